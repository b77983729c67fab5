"""chainrule.nondiff.soft_sort / soft_rank: the hard sort and ranks at small regularization,
the mean at large, gradcheck, and the projection onto the permutahedron solved directly as a
constrained optimisation (scipy SLSQP) on small n."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from chainrule import nondiff as nd
from chainrule.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
scipy_optimize = pytest.importorskip("scipy.optimize")
scipy_stats = pytest.importorskip("scipy.stats")

rng = np.random.default_rng(0)


def _np(t) -> np.ndarray:
    return t.detach().numpy()


def _project(z: np.ndarray, w: np.ndarray, kl: bool = False) -> np.ndarray:
    """argmin over the permutahedron of w of 1/2 ||mu - z||^2 (l2) or KL(mu, exp z) (kl),
    solved by scipy's trust-constr with one linear constraint per subset S:
    sum_S mu <= sum of the |S| largest w, and sum mu = sum w."""
    n = z.size
    top = np.cumsum(np.sort(w)[::-1])
    rows, bounds = [], []
    for k in range(1, n):
        for idx in itertools.combinations(range(n), k):
            row = np.zeros(n)
            row[list(idx)] = 1
            rows.append(row)
            bounds.append(top[k - 1])
    cons = [
        scipy_optimize.LinearConstraint(np.ones((1, n)), w.sum(), w.sum()),
        scipy_optimize.LinearConstraint(np.array(rows), -np.inf, np.array(bounds)),
    ]
    if kl:
        ez = np.exp(z)
        obj = lambda m: np.sum(m * np.log(m / ez) - m + ez)  # noqa: E731
        jac = lambda m: np.log(m / ez)  # noqa: E731
        hess = lambda m: np.diag(1 / m)  # noqa: E731
        box = scipy_optimize.Bounds(1e-12, np.inf)
    else:
        obj = lambda m: 0.5 * np.sum((m - z) ** 2)  # noqa: E731
        jac = lambda m: m - z  # noqa: E731
        hess = lambda m: np.eye(n)  # noqa: E731
        box = None
    res = scipy_optimize.minimize(
        obj,
        np.full(n, w.mean()),
        jac=jac,
        hess=hess,
        bounds=box,
        constraints=cons,
        method="trust-constr",
        options={"gtol": 1e-12, "xtol": 1e-14, "maxiter": 5000},
    )
    return res.x


def _assert_optimal(mu: np.ndarray, z: np.ndarray, w: np.ndarray, kl: bool = False) -> None:
    """An exact certificate that mu is the projection: mu lies in the permutahedron of w (its
    top-k sums are at most w's, equal for k = n), and the objective's gradient g at mu satisfies
    <g, nu - mu> >= 0 for every vertex nu (the minimising vertex pairs the largest w with the
    smallest g)."""
    top_w = np.cumsum(np.sort(w)[::-1])
    top_mu = np.cumsum(np.sort(mu)[::-1])
    assert np.all(top_mu <= top_w + 1e-9) and abs(top_mu[-1] - top_w[-1]) < 1e-9
    g = np.log(mu) - z if kl else mu - z
    best_vertex = np.sort(g) @ np.sort(w)[::-1]
    assert g @ mu <= best_vertex + 1e-9 * max(1.0, np.abs(g).max())


@pytest.mark.parametrize("n", [3, 5])
@pytest.mark.parametrize("eps", [0.3, 1.0, 4.0])
def test_soft_rank_is_the_permutahedron_projection(n, eps):
    w = np.arange(n, 0, -1.0)
    for _ in range(2):
        x = rng.normal(size=n)
        t = chainrule.tensor(x)
        asc = _np(nd.soft_rank(t, eps))
        desc = _np(nd.soft_rank(t, eps, direction="descending"))
        kl = _np(nd.soft_rank(t, eps, regularization="kl"))
        _assert_optimal(asc, x / eps, w)
        _assert_optimal(desc, -x / eps, w)
        _assert_optimal(kl, x / eps, w, kl=True)
        np.testing.assert_allclose(asc, _project(x / eps, w), atol=1e-4)
        np.testing.assert_allclose(desc, _project(-x / eps, w), atol=1e-4)
        np.testing.assert_allclose(kl, _project(x / eps, w, kl=True), atol=1e-4)


@pytest.mark.parametrize("n", [3, 5])
@pytest.mark.parametrize("eps", [0.3, 1.0, 4.0])
def test_soft_sort_is_the_permutahedron_projection(n, eps):
    w = np.arange(n, 0, -1.0)
    for _ in range(2):
        x = rng.normal(size=n)
        t = chainrule.tensor(x)
        desc = _np(nd.soft_sort(t, eps, direction="descending"))
        asc = _np(nd.soft_sort(t, eps))
        _assert_optimal(desc, w / eps, x)
        _assert_optimal(-asc, w / eps, -x)
        np.testing.assert_allclose(desc, _project(w / eps, x), atol=1e-4)
        np.testing.assert_allclose(asc, -_project(w / eps, -x), atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_small_strength_is_the_hard_sort_and_rank(dtype):
    x = rng.normal(size=(4, 9)).astype(dtype)
    x[1, :4] = x[1, 4]  # ties
    x[2, 0] = 0.0
    t, tt = chainrule.tensor(x), torch.tensor(x)
    for direction, desc in (("ascending", False), ("descending", True)):
        hard = torch.sort(tt, -1, descending=desc).values.numpy()
        np.testing.assert_array_equal(_np(nd.soft_sort(t, 1e-3, direction=direction)), hard)
    ranks = np.stack([scipy_stats.rankdata(r, method="average") for r in x]).astype(dtype)
    for reg in ("l2", "kl"):  # tied entries share the average rank
        np.testing.assert_array_equal(_np(nd.soft_rank(t, 1e-4, regularization=reg)), ranks)
        np.testing.assert_array_equal(
            _np(nd.soft_rank(t, 1e-4, direction="descending", regularization=reg)), 10 - ranks
        )
    assert nd.soft_sort(t).dtype == t.dtype


def test_large_strength_tends_to_the_mean():
    x = rng.normal(size=(3, 6))
    t = chainrule.tensor(x)
    for eps, tol in ((1e2, 1e-1), (1e5, 1e-4)):
        np.testing.assert_allclose(
            _np(nd.soft_sort(t, eps)), np.broadcast_to(x.mean(-1, keepdims=True), x.shape), atol=tol
        )
        for reg in ("l2", "kl"):
            np.testing.assert_allclose(_np(nd.soft_rank(t, eps, regularization=reg)), 3.5, atol=tol)


@pytest.mark.parametrize("direction", ["ascending", "descending"])
@pytest.mark.parametrize(
    "fn, reg", [(nd.soft_sort, "l2"), (nd.soft_rank, "l2"), (nd.soft_rank, "kl")]
)
def test_gradcheck(fn, reg, direction):
    x = chainrule.tensor(rng.normal(size=(3, 6)), requires_grad=True)
    strength = 3.0 if fn is nd.soft_sort else 0.5  # sort pools gaps > 1/strength, rank < strength
    f = lambda t: fn(t, strength, direction=direction, regularization=reg)  # noqa: E731
    hard = _np(fn(x, 1e-6, direction=direction, regularization=reg))
    assert not np.allclose(_np(f(x)), hard, atol=1e-3)  # pooled blocks are exercised
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_batched_and_nd_match_row_by_row():
    x = rng.normal(size=(2, 3, 5))
    t = chainrule.tensor(x, requires_grad=True)
    for fn in (nd.soft_sort, nd.soft_rank):
        out = fn(t, 0.7)
        assert tuple(out.shape) == x.shape
        rows = [_np(fn(chainrule.tensor(r), 0.7)) for r in x.reshape(-1, 5)]
        np.testing.assert_allclose(_np(out), np.stack(rows).reshape(x.shape), rtol=1e-14)
    w = rng.normal(size=x.shape)
    (g,) = chainrule.autograd.grad((nd.soft_rank(t, 0.7) * chainrule.tensor(w)).sum(), t)
    for i, r in enumerate(x.reshape(-1, 5)):
        tr = chainrule.tensor(r, requires_grad=True)
        (gr,) = chainrule.autograd.grad(
            (nd.soft_rank(tr, 0.7) * chainrule.tensor(w.reshape(-1, 5)[i])).sum(), tr
        )
        np.testing.assert_allclose(g.numpy().reshape(-1, 5)[i], gr.numpy(), rtol=1e-13)


def test_errors():
    x = chainrule.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="direction"):
        nd.soft_sort(x, direction="up")
    with pytest.raises(ValueError, match="regularization must be"):
        nd.soft_sort(x, regularization="kl")
    with pytest.raises(ValueError, match="regularization_strength must be positive"):
        nd.soft_rank(x, 0.0)
    with pytest.raises(ValueError, match="0-d"):
        nd.soft_rank(chainrule.tensor(1.0))
    with pytest.raises(TypeError, match="floating-point"):
        nd.soft_rank(chainrule.tensor([1, 2]))


@settings(max_examples=30, deadline=None)
@given(
    rows=st.integers(1, 3),
    n=st.integers(1, 8),
    eps=st.sampled_from([0.05, 0.5, 3.0]),
    seed=st.integers(0, 2**16),
)
def test_invariants(rows, n, eps, seed):
    x = np.random.default_rng(seed).normal(size=(rows, n)) * 2
    t = chainrule.tensor(x)
    asc = _np(nd.soft_sort(t, eps))
    assert np.all(np.diff(asc, axis=-1) >= -1e-12)  # sorted
    np.testing.assert_allclose(asc.sum(-1), x.sum(-1), rtol=1e-10, atol=1e-10)  # sum kept
    np.testing.assert_allclose(
        _np(nd.soft_sort(t, eps, direction="descending")), asc[:, ::-1], atol=1e-12
    )
    for reg in ("l2", "kl"):
        r = _np(nd.soft_rank(t, eps, regularization=reg))
        np.testing.assert_allclose(r.sum(-1), n * (n + 1) / 2, rtol=1e-10)
        if reg == "l2":  # the permutahedron is symmetric about (n + 1) / 2
            d = _np(nd.soft_rank(t, eps, direction="descending"))
            np.testing.assert_allclose(d, n + 1 - r, atol=1e-10)


@pytest.mark.parametrize("shape", [(3, 0), (0, 4), (1,)])
def test_empty_and_single_element(shape):
    x = chainrule.zeros(*shape, dtype=chainrule.float64, requires_grad=True)
    for fn in (nd.soft_sort, nd.soft_rank):
        y = fn(x, 0.5)
        assert tuple(y.shape) == shape
        (g,) = chainrule.autograd.grad(y.sum(), x)
        assert tuple(g.shape) == shape
    if shape == (1,):
        assert float(nd.soft_rank(x)) == 1.0 and float(nd.soft_sort(x)) == 0.0
