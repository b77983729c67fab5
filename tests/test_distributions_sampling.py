"""chainrule.distributions sampling: reproducibility under manual_seed, shapes, support, sample
moments within confidence bounds, rsample gradients against torch's formulas fed the same noise,
and validation errors as torch's."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

N = 20000


def both(data, dtype="float64", grad=False):
    return tuple(
        lib.tensor(np.asarray(data), dtype=getattr(lib, dtype), requires_grad=grad)
        for lib in (torch, cr)
    )


# name, build(L, T) with T the library's tensor maker, true mean and variance from torch
MOMENT_CASES = [
    ("normal", lambda L, T: L.Normal(T([0.0, 3.0]), T([[1.0], [0.5]]))),
    ("uniform", lambda L, T: L.Uniform(T([-1.0, 2.0]), T([1.0, 2.5]))),
    ("bernoulli", lambda L, T: L.Bernoulli(probs=T([0.1, 0.5, 0.9]))),
    ("bernoulli_logits", lambda L, T: L.Bernoulli(logits=T([-2.0, 0.0]))),
    ("onehot", lambda L, T: L.OneHotCategorical(probs=T([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]))),
    ("beta", lambda L, T: L.Beta(T([0.5, 2.0, 10.0]), T([0.5, 5.0, 1.5]))),
    ("beta_small", lambda L, T: L.Beta(T([0.1]), T([0.2]))),
]


def maker(lib):
    return lambda data: lib.tensor(data, dtype=lib.float64)


@pytest.mark.parametrize("name,build", MOMENT_CASES, ids=[c[0] for c in MOMENT_CASES])
def test_sample_moments_shapes_and_support(name, build):
    d, t = build(D, maker(cr)), build(TD, maker(torch))
    cr.manual_seed(0)
    s = d.sample((N,))
    assert tuple(s.shape) == (N,) + tuple(t.batch_shape) + tuple(t.event_shape)
    assert s.dtype == cr.float64 and not s.requires_grad
    assert t.support.check(torch.tensor(s.numpy())).all()
    mean, var = t.mean.numpy(), t.variance.numpy()
    x = s.numpy()
    # 5 standard errors of the mean; the variance within 10% (or 5 SE of the 4th moment)
    np.testing.assert_array_less(np.abs(x.mean(0) - mean), 5 * np.sqrt(var / N) + 1e-12)
    np.testing.assert_allclose(x.var(0), var, rtol=0.1, atol=1e-3)


def test_categorical_sample_frequencies():
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])
    cr.manual_seed(1)
    s = D.Categorical(probs=cr.tensor(probs)).sample((N, 2)).numpy()
    assert s.shape == (N, 2, 2) and s.dtype == np.int64
    for b in range(2):
        freq = np.bincount(s[..., b].ravel(), minlength=3) / (2 * N)
        np.testing.assert_array_less(np.abs(freq - probs[b]), 5 * np.sqrt(0.25 / (2 * N)))
    assert (s[..., 1] != 1).all()  # zero-probability category never drawn


@pytest.mark.parametrize(
    "make",
    [
        lambda: D.Normal(cr.zeros(3), 2.0),
        lambda: D.Bernoulli(probs=cr.full((2,), 0.3)),
        lambda: D.Categorical(logits=cr.zeros(2, 4)),
        lambda: D.Beta(cr.ones(2), 3.0),
        lambda: D.RelaxedOneHotCategorical(cr.tensor(0.5), logits=cr.zeros(3)),
    ],
)
def test_manual_seed_makes_samples_reproducible(make):
    cr.manual_seed(42)
    a = make().sample((5,)).numpy()
    cr.manual_seed(42)
    b = make().sample((5,)).numpy()
    c = make().sample((5,)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


# --- rsample gradients, given the same noise ------------------------------------------------------


def noise(dtype, shape, fn):
    cr.manual_seed(5)
    return fn(*shape, dtype=getattr(cr, dtype)).numpy()


RSAMPLE_CASES = [
    # name, params, build(L, p), torch's noise function to patch, chainrule's noise function
    (
        "normal",
        dict(loc=np.array([[0.5], [-1.0]]), scale=np.array([1.0, 2.0, 0.3])),
        lambda L, p: L.Normal(p["loc"], p["scale"]),
        "normal",
        cr.randn,
    ),
    (
        "uniform",
        dict(low=np.array([-1.0, 0.0]), high=np.array([1.0, 3.0])),
        lambda L, p: L.Uniform(p["low"], p["high"]),
        "rand",
        cr.rand,
    ),
    (
        "relaxed_bernoulli",
        dict(t=np.array(0.7), logits=np.array([-1.0, 0.0, 2.0])),
        lambda L, p: L.RelaxedBernoulli(p["t"], logits=p["logits"]),
        "rand",
        cr.rand,
    ),
    (
        "relaxed_bernoulli_probs",
        dict(t=np.array(2.0), probs=np.array([0.2, 0.9])),
        lambda L, p: L.RelaxedBernoulli(p["t"], probs=p["probs"]),
        "rand",
        cr.rand,
    ),
    (
        "relaxed_onehot",
        dict(t=np.array(0.5), logits=np.array([[0.0, 1.0, -1.0], [2.0, 0.1, 0.3]])),
        lambda L, p: L.RelaxedOneHotCategorical(p["t"], logits=p["logits"]),
        "rand",
        cr.rand,
    ),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", RSAMPLE_CASES, ids=[c[0] for c in RSAMPLE_CASES])
def test_rsample_gradient_matches_torch_given_the_same_noise(case, dtype, monkeypatch):
    name, params, build, which, fn = case
    sample_shape = (4,)
    ps = {k: cr.tensor(v, dtype=getattr(cr, dtype), requires_grad=True) for k, v in params.items()}
    d = build(D, ps)
    shape = tuple(d._extended_shape(sample_shape))
    eps = noise(dtype, shape, fn)
    cr.manual_seed(5)
    s = d.rsample(sample_shape)
    pt = {
        k: torch.tensor(v, dtype=getattr(torch, dtype), requires_grad=True)
        for k, v in params.items()
    }
    if which == "normal":
        monkeypatch.setattr(TD.normal, "_standard_normal", lambda *a, **k: torch.tensor(eps))
    else:
        monkeypatch.setattr(torch, "rand", lambda *a, **k: torch.tensor(eps))
    st = build(TD, pt).rsample(sample_shape)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s.detach().numpy(), st.detach().numpy(), **tol)
    w = np.random.default_rng(0).normal(size=shape)
    (s * cr.tensor(w, dtype=s.dtype)).sum().backward()
    (st * torch.tensor(w, dtype=st.dtype)).sum().backward()
    for k in params:
        np.testing.assert_allclose(ps[k].grad.numpy(), pt[k].grad.numpy(), err_msg=k, **tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("c1,c0", [(0.5, 0.5), (2.0, 3.0), (0.1, 5.0), (10.0, 20.0), (50.0, 1.5)])
def test_beta_rsample_gradient_matches_torch_on_the_same_sample(c1, c0, dtype, monkeypatch):
    """torch differentiates a Beta sample x implicitly through its CDF (_dirichlet_grad); we do
    the same exactly, torch with approximations good to ~1e-3 relative."""
    a, b = both(np.full(6, c1), dtype, grad=True), both(np.full(6, c0), dtype, grad=True)
    cr.manual_seed(3)
    s = D.Beta(a[1], b[1]).rsample()
    x = torch.tensor(s.detach().numpy())
    monkeypatch.setattr(torch, "_sample_dirichlet", lambda conc: torch.stack([x, 1 - x], -1))
    st = TD.Beta(a[0], b[0]).rsample()
    np.testing.assert_array_equal(st.detach().numpy(), s.detach().numpy())
    w = np.random.default_rng(0).normal(size=6)
    (st * torch.tensor(w, dtype=st.dtype)).sum().backward()
    (s * cr.tensor(w, dtype=s.dtype)).sum().backward()
    for t, c in (a, b):
        np.testing.assert_allclose(c.grad.numpy(), t.grad.numpy(), rtol=2e-3, atol=1e-6)


def test_beta_sample_gradient_is_exact_against_finite_differences():
    """dx/da at fixed CDF: x(a + h) - x(a - h) through scipy's inverse incomplete beta."""
    sc = pytest.importorskip("scipy.special")
    from chainrule.distributions.beta import beta_sample_grad

    x, a, b = np.array([0.01, 0.3, 0.7, 0.99]), np.array([0.3, 2.0, 7.0, 1.5]), np.full(4, 2.5)
    u, h = sc.betainc(a, b, x), 1e-6
    fd_a = (sc.betaincinv(a + h, b, u) - sc.betaincinv(a - h, b, u)) / (2 * h)
    fd_b = (sc.betaincinv(a, b + h, u) - sc.betaincinv(a, b - h, u)) / (2 * h)
    ga, gb = beta_sample_grad(x, a, b)
    np.testing.assert_allclose(ga, fd_a, rtol=1e-6)
    np.testing.assert_allclose(gb, fd_b, rtol=1e-6)


def test_sample_has_no_gradient_and_rsample_does():
    loc = cr.tensor([0.0, 1.0], requires_grad=True)
    d = D.Normal(loc, 1.0)
    assert not d.sample().requires_grad and d.rsample().requires_grad
    with pytest.raises(NotImplementedError):
        D.Bernoulli(0.3).rsample()
    with pytest.raises(NotImplementedError):
        TD.Bernoulli(0.3).rsample()


# --- validation ---------------------------------------------------------------------------------


def _msg(e):
    return str(e).replace("torch.", "chainrule.").replace(", requires_grad=True", "")


BAD = [
    lambda L, T: L.Normal(T([0.0, 1.0]), T([1.0, -1.0])),
    lambda L, T: L.Normal(0.0, T(-1.0)),
    lambda L, T: L.Bernoulli(probs=T([0.5, 1.5])),
    lambda L, T: L.Bernoulli(),
    lambda L, T: L.Bernoulli(probs=T(0.5), logits=T(0.0)),
    lambda L, T: L.Categorical(probs=T(0.5)),
    lambda L, T: L.Categorical(logits=T(0.5)),
    lambda L, T: L.Categorical(probs=T([-0.5, 1.5])),
    lambda L, T: L.OneHotCategorical(probs=T([[0.5, 0.5], [-0.5, 1.5]])),
    lambda L, T: L.Uniform(1.0, 0.0),
    lambda L, T: L.Uniform(T([0.0, 1.0]), T([1.0, 1.0])),
    lambda L, T: L.Beta(T([1.0, -1.0]), 1.0),
    lambda L, T: L.Beta(0.0, 1.0),
    lambda L, T: L.RelaxedBernoulli(T(0.5), probs=T(1.5)),
    lambda L, T: L.RelaxedOneHotCategorical(T(0.5), probs=T([[-0.5, 1.5]])),
    lambda L, T: (
        L.Normal(0.0, 1.0).log_prob(T([[0.0, 1.0]])).shape
        and L.Normal(T([0.0, 1.0, 2.0]), 1.0).log_prob(T([0.0, 1.0]))
    ),
    lambda L, T: L.Normal(0.0, 1.0).log_prob(0.5),
    lambda L, T: L.Bernoulli(T([0.5, 0.2])).log_prob(T([0.5, 1.0])),
    lambda L, T: L.Categorical(T([0.5, 0.5])).log_prob(T(2.0)),
    lambda L, T: L.OneHotCategorical(T([0.5, 0.5])).log_prob(T([1.0, 1.0])),
    lambda L, T: L.OneHotCategorical(T([0.5, 0.5])).log_prob(T([1.0, 0.0, 0.0])),
    lambda L, T: L.Uniform(0.0, 1.0).log_prob(T(1.5)),
    lambda L, T: L.Uniform(0.0, 1.0).cdf(T([-0.5])),
    lambda L, T: L.Beta(2.0, 2.0).log_prob(T(1.5)),
    lambda L, T: L.RelaxedBernoulli(T(0.5), 0.3).log_prob(T(1.5)),
    lambda L, T: L.RelaxedOneHotCategorical(T(0.5), T([0.3, 0.7])).log_prob(T([0.5, 0.6])),
]


@pytest.mark.parametrize("bad", BAD)
def test_bad_parameters_and_values_raise_valueerror_as_torch(bad):
    msgs = []
    for L, lib in ((TD, torch), (D, cr)):
        with pytest.raises(ValueError) as e:
            bad(L, lambda data, lib=lib: lib.tensor(data))
        msgs.append(_msg(e.value))
    assert msgs[1] == msgs[0]


def test_validate_args_false_and_default_switch():
    D.Normal(0.0, -1.0, validate_args=False)
    D.Bernoulli(probs=cr.tensor(2.0), validate_args=False)
    D.Distribution.set_default_validate_args(False)
    try:
        D.Uniform(1.0, 0.0)
        assert D.Normal(0.0, 1.0).log_prob(cr.tensor([1.0, 2.0])).shape == (2,)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Uniform(1.0, 0.0)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args(3)


def test_repr_as_torch():
    for build in (
        lambda L, T: L.Normal(T([0.0, 1.0]), T(1.0)),
        lambda L, T: L.Uniform(0.0, 2.0),
        lambda L, T: L.Categorical(logits=T([0.0, 1.0])),
        lambda L, T: L.Beta(2.0, 3.0),
    ):
        reps = [_msg(repr(build(L, lib.tensor))) for L, lib in ((TD, torch), (D, cr))]
        assert reps[1] == reps[0]


def test_beta_rsample_gradient_under_create_graph_is_the_same_constant():
    a = cr.tensor([2.0, 0.4], requires_grad=True)
    cr.manual_seed(9)
    (g1,) = cr.autograd.grad(D.Beta(a, 1.5).rsample((3,)).sum(), a)
    cr.manual_seed(9)
    (g2,) = cr.autograd.grad(D.Beta(a, 1.5).rsample((3,)).sum(), a, create_graph=True)
    np.testing.assert_array_equal(g1.numpy(), g2.detach().numpy())
