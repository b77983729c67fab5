"""chainrule.distributions against torch.distributions: values and gradients (w.r.t. parameters
and values) of log_prob, cdf, icdf, entropy, mean, variance and kl_divergence, from identical
parameters in float32 and float64; shapes, expand, enumerate_support."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
import chainrule.distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions

# float64: torch's trigamma (the gradient of digamma) differs from SciPy's by ~1e-9
TOL = {"float32": dict(rtol=2e-5, atol=2e-5), "float64": dict(rtol=1e-8, atol=1e-12)}
DTYPES = ["float32", "float64"]
R = np.random.default_rng(1234)


def pos(*shape):
    return R.uniform(0.5, 2.0, shape)


def unit(*shape):
    return R.uniform(0.05, 0.95, shape)


def simplex(*shape):
    p = R.uniform(0.1, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


def real(*shape):
    return R.normal(size=shape)


def onehot(k, *batch):
    return np.eye(k)[R.integers(0, k, batch)]


# (name, {param: array}, build(lib, params) -> distribution, value array or None)
CASES = [
    (
        "normal",
        dict(loc=real(3, 1), scale=pos(4)),
        lambda L, p: L.Normal(p["loc"], p["scale"]),
        real(2, 3, 4),
    ),
    ("normal_float", dict(loc=real(3)), lambda L, p: L.Normal(p["loc"], 1.5), real(3)),
    (
        "uniform",
        dict(low=-pos(3) - 0.5, high=pos(3) + 0.5),
        lambda L, p: L.Uniform(p["low"], p["high"]),
        R.uniform(-0.5, 0.5, (5, 3)),
    ),
    (
        "bernoulli_probs",
        dict(probs=unit(2, 3)),
        lambda L, p: L.Bernoulli(probs=p["probs"]),
        R.integers(0, 2, (4, 2, 3)).astype(float),
    ),
    (
        "bernoulli_logits",
        dict(logits=real(3)),
        lambda L, p: L.Bernoulli(logits=p["logits"]),
        R.integers(0, 2, (3,)).astype(float),
    ),
    (
        "categorical_probs",
        dict(probs=simplex(2, 4)),
        lambda L, p: L.Categorical(probs=p["probs"]),
        None,
    ),
    (
        "categorical_logits",
        dict(logits=real(3, 5)),
        lambda L, p: L.Categorical(logits=p["logits"]),
        None,
    ),
    (
        "onehot_probs",
        dict(probs=simplex(3, 4)),
        lambda L, p: L.OneHotCategorical(probs=p["probs"]),
        onehot(4, 2, 3),
    ),
    (
        "onehot_logits",
        dict(logits=real(4)),
        lambda L, p: L.OneHotCategorical(logits=p["logits"]),
        onehot(4, 5),
    ),
    (
        "relaxed_bernoulli",
        dict(temperature=pos(), logits=real(2, 3)),
        lambda L, p: L.RelaxedBernoulli(p["temperature"], logits=p["logits"]),
        unit(2, 3),
    ),
    (
        "relaxed_bernoulli_probs",
        dict(temperature=pos(), probs=unit(3)),
        lambda L, p: L.RelaxedBernoulli(p["temperature"], probs=p["probs"]),
        unit(4, 3),
    ),
    (
        "relaxed_onehot",
        dict(temperature=pos(), logits=real(2, 3)),
        lambda L, p: L.RelaxedOneHotCategorical(p["temperature"], logits=p["logits"]),
        simplex(2, 3),
    ),
    (
        "relaxed_onehot_probs",
        dict(temperature=pos(), probs=simplex(4)),
        lambda L, p: L.RelaxedOneHotCategorical(p["temperature"], probs=p["probs"]),
        simplex(3, 4),
    ),
    ("beta", dict(c1=pos(3, 1) * 2, c0=pos(2)), lambda L, p: L.Beta(p["c1"], p["c0"]), unit(3, 2)),
    ("beta_floats", {}, lambda L, p: L.Beta(2.5, 0.7), unit(4)),
]
CASE_IDS = [c[0] for c in CASES]
METHODS = [
    "log_prob",
    "cdf",
    "icdf",
    "entropy",
    "perplexity",
    "mean",
    "mode",
    "variance",
    "stddev",
    "probs",
    "logits",
    "temperature",
    "concentration1",
    "concentration0",
]


def leaves(lib, params, dtype):
    dt = getattr(lib, dtype)
    return {k: lib.tensor(v, dtype=dt, requires_grad=True) for k, v in params.items()}


def evaluate(lib, case, method, dtype):
    """(output, leaf tensors) of one method, or None where torch has no such method."""
    name, params, build, value = case
    ps = leaves(lib, params, dtype)
    dist = build(lib.distributions, ps)
    if method in ("log_prob", "cdf", "icdf"):
        if name.startswith("categorical"):
            value = R_CAT.integers(0, dist.param_shape[-1], (2,) + tuple(dist.batch_shape))
            v = lib.tensor(value)
        else:
            if method == "icdf":
                value = R_CAT.uniform(0.05, 0.95, np.shape(value))
            v = lib.tensor(value, dtype=getattr(lib, dtype), requires_grad=True)
            ps["value"] = v
        return getattr(dist, method)(v), ps
    out = getattr(dist, method)
    return (out() if callable(out) else out), ps


R_CAT = np.random.default_rng(7)


def run(lib, case, method, dtype, seed=0):
    global R_CAT
    R_CAT = np.random.default_rng(seed)
    try:
        out, ps = evaluate(lib, case, method, dtype)
    except (NotImplementedError, AttributeError):
        return None
    w = np.random.default_rng(99).normal(size=tuple(out.shape))
    grads = {}
    if out.requires_grad:
        (out * lib.tensor(w, dtype=out.dtype)).sum().backward()
        grads = {k: t.grad for k, t in ps.items() if t.grad is not None}
    return out, grads


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_values_and_gradients_match_torch(case, method, dtype):
    want = run(torch, case, method, dtype)
    got = run(cr, case, method, dtype)
    if want is None:
        assert got is None or method in ("probs", "logits"), f"torch has no {method}"
        return
    assert got is not None, f"chainrule lacks {method}"
    (o_t, g_t), (o_c, g_c) = want, got
    assert tuple(o_c.shape) == tuple(o_t.shape)
    assert str(o_c.dtype).split(".")[-1] == str(o_t.dtype).split(".")[-1]
    # by the output's dtype: Beta(float, float) is float32 (as torch); integers exact
    tol = TOL.get(str(o_t.dtype).split(".")[-1], dict(rtol=0, atol=0))
    np.testing.assert_allclose(o_c.detach().numpy(), o_t.detach().numpy(), **tol)
    assert set(g_c) == set(g_t)
    for k in g_t:
        np.testing.assert_allclose(g_c[k].numpy(), g_t[k].numpy(), err_msg=k, **tol)


def test_every_method_is_exercised():
    """The table above reaches each method torch defines for each family."""
    counted = sum(run(torch, c, m, "float64") is not None for c in CASES for m in METHODS)
    assert counted >= 70


# --- kl_divergence -------------------------------------------------------------------------------

KL_PAIRS = [
    (
        "normal_normal",
        dict(a=real(3), b=pos(3), c=real(2, 1), d=pos(3)),
        lambda L, p: (L.Normal(p["a"], p["b"]), L.Normal(p["c"], p["d"])),
    ),
    (
        "bernoulli_bernoulli",
        dict(a=unit(3), b=real(3)),
        lambda L, p: (L.Bernoulli(probs=p["a"]), L.Bernoulli(logits=p["b"])),
    ),
    (
        "categorical_categorical",
        dict(a=simplex(2, 4), b=real(4)),
        lambda L, p: (L.Categorical(probs=p["a"]), L.Categorical(logits=p["b"])),
    ),
    (
        "onehot_onehot",
        dict(a=real(3, 4), b=simplex(3, 4)),
        lambda L, p: (L.OneHotCategorical(logits=p["a"]), L.OneHotCategorical(probs=p["b"])),
    ),
    (
        "uniform_uniform",
        dict(
            a=np.array([0.0, -1.0]),
            b=np.array([1.0, 0.5]),
            c=np.array([-0.5, -2.0]),
            d=np.array([2.0, 0.7]),
        ),
        lambda L, p: (L.Uniform(p["a"], p["b"]), L.Uniform(p["c"], p["d"])),
    ),
    (
        "beta_beta",
        dict(a=pos(3), b=pos(3), c=pos(3), d=pos(1)),
        lambda L, p: (L.Beta(p["a"], p["b"]), L.Beta(p["c"], p["d"])),
    ),
    (
        "uniform_normal",
        dict(a=real(3) - 2, b=real(3) + 2, c=real(3), d=pos(3)),
        lambda L, p: (L.Uniform(p["a"], p["b"]), L.Normal(p["c"], p["d"])),
    ),
    (
        "uniform_beta",
        dict(a=np.array([0.1, 0.3]), b=np.array([0.6, 0.9]), c=pos(2), d=pos(2)),
        lambda L, p: (L.Uniform(p["a"], p["b"]), L.Beta(p["c"], p["d"])),
    ),
    (
        "beta_normal",
        dict(a=pos(3), b=pos(3), c=real(3), d=pos(3)),
        lambda L, p: (L.Beta(p["a"], p["b"]), L.Normal(p["c"], p["d"])),
    ),
    (
        "beta_uniform",
        dict(a=pos(2), b=pos(2), c=np.array([-0.5, -1.0]), d=np.array([1.0, 3.0])),
        lambda L, p: (L.Beta(p["a"], p["b"]), L.Uniform(p["c"], p["d"])),
    ),
    (
        "normal_uniform_inf",
        dict(a=real(3), b=pos(3)),
        lambda L, p: (L.Normal(p["a"], p["b"]), L.Uniform(0.0, 1.0)),
    ),
    (
        "normal_beta_inf",
        dict(a=real(3), b=pos(3)),
        lambda L, p: (L.Normal(p["a"], p["b"]), L.Beta(2.0, 3.0)),
    ),
    # infinite and zero branches: disjoint supports, zero probabilities
    (
        "uniform_uniform_inf",
        dict(a=np.array([0.0, 0.0]), b=np.array([1.0, 1.0])),
        lambda L, p: (L.Uniform(p["a"], p["b"]), L.Uniform(0.5, 2.0)),
    ),
    (
        "bernoulli_edges",
        dict(a=np.array([0.0, 1.0, 0.3, 0.0])),
        lambda L, p: (
            L.Bernoulli(probs=p["a"]),
            L.Bernoulli(probs=torch_free([0.0, 1.0, 0.0, 1.0], L)),
        ),
    ),
    (
        "categorical_zeros",
        dict(a=np.array([[0.0, 0.5, 0.5], [0.2, 0.8, 0.0]])),
        lambda L, p: (
            L.Categorical(probs=p["a"]),
            L.Categorical(probs=torch_free([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]], L)),
        ),
    ),
    (
        "uniform_beta_inf",
        dict(a=np.array([-0.1, 0.3]), b=np.array([0.6, 1.9])),
        lambda L, p: (L.Uniform(p["a"], p["b"]), L.Beta(2.0, 3.0)),
    ),
]


def torch_free(data, L):
    """A constant tensor of the library that `L` (its distributions module) belongs to."""
    lib = torch if L is TD else cr
    return lib.tensor(data, dtype=lib.float64)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pair", KL_PAIRS, ids=[p[0] for p in KL_PAIRS])
def test_kl_divergence_matches_torch(pair, dtype):
    name, params, build = pair
    res = []
    for lib in (torch, cr):
        ps = leaves(
            lib, params, dtype if "edges" not in name and "zeros" not in name else "float64"
        )
        p, q = build(lib.distributions, ps)
        out = lib.distributions.kl_divergence(p, q)
        if out.requires_grad:
            finite = lib.tensor(np.isfinite(out.detach().numpy()))
            out.masked_fill(~finite, 0.0).sum().backward()
        res.append((out, {k: t.grad for k, t in ps.items() if t.grad is not None}))
    (o_t, g_t), (o_c, g_c) = res
    assert tuple(o_c.shape) == tuple(o_t.shape)
    np.testing.assert_allclose(o_c.detach().numpy(), o_t.detach().numpy(), **TOL[dtype])
    assert set(g_c) == set(g_t)
    for k in g_t:
        np.testing.assert_allclose(g_c[k].numpy(), g_t[k].numpy(), err_msg=k, **TOL[dtype])


@pytest.mark.parametrize(
    "make",
    [
        lambda L: (L.Bernoulli(0.3), L.Beta(1.0, 2.0)),
        lambda L: (L.Bernoulli(0.3), L.Normal(1.0, 2.0)),
        lambda L: (L.Categorical(probs=L_t(L, [0.5, 0.5])), L.Normal(0.0, 1.0)),
        lambda L: (L.Uniform(0.0, 1.0), L.Bernoulli(0.5)),
        lambda L: (L.RelaxedBernoulli(L_t(L, 0.5), 0.3), L.RelaxedBernoulli(L_t(L, 0.5), 0.4)),
        lambda L: (L.OneHotCategorical(L_t(L, [0.5, 0.5])), L.Categorical(L_t(L, [0.5, 0.5]))),
        lambda L: (
            L.RelaxedBernoulli(L_t(L, 0.5), 0.3),
            L.RelaxedOneHotCategorical(L_t(L, 0.5), L_t(L, [0.5, 0.5])),
        ),
    ],
)
def test_unregistered_kl_pairs_raise_as_torch(make):
    msgs = []
    for L in (TD, D):
        with pytest.raises(NotImplementedError) as e:
            L.kl_divergence(*make(L))
        msgs.append(" ".join(str(e.value).split()))
    assert msgs[0] == msgs[1]


def L_t(L, data):
    return (torch if L is TD else cr).tensor(data)


def test_register_kl_adds_a_pair():
    class MyNormal(D.Normal):
        pass

    calls = []

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        calls.append(1)
        return cr.zeros(p.batch_shape)

    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 2.0)).shape == ()
    assert calls == [1]
    # the subclass still dispatches to Normal-Normal as the second argument
    got = D.kl_divergence(D.Normal(0.0, 1.0), MyNormal(0.0, 2.0)).item()
    assert got == pytest.approx(TD.kl_divergence(TD.Normal(0.0, 1.0), TD.Normal(0.0, 2.0)).item())


# --- shapes, expand, enumerate_support ----------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_shapes_and_expand_match_torch(case):
    name, params, build, _ = case
    dists = [build(lib.distributions, leaves(lib, params, "float64")) for lib in (torch, cr)]
    for t, c in zip(dists, dists[1:] + [None]):
        if c is None:
            break
        assert tuple(c.batch_shape) == tuple(t.batch_shape)
        assert tuple(c.event_shape) == tuple(t.event_shape)
        assert c.has_rsample == t.has_rsample
        assert c.has_enumerate_support == t.has_enumerate_support
        big = (2,) + tuple(t.batch_shape)
        et, ec = t.expand(big), c.expand(big)
        assert type(ec) is type(c) and tuple(ec.batch_shape) == tuple(et.batch_shape)
        assert tuple(ec.event_shape) == tuple(et.event_shape)
        assert tuple(ec.sample((3,)).shape) == tuple(et.sample((3,)).shape)
        if t.has_enumerate_support:
            for expand in (True, False):
                st, sc = t.enumerate_support(expand), c.enumerate_support(expand)
                np.testing.assert_array_equal(sc.numpy(), st.numpy())
                assert str(sc.dtype).split(".")[-1] == str(st.dtype).split(".")[-1]


def test_broadcasting_of_parameters_as_torch():
    loc, scale = real(3, 1), pos(4)
    d = D.Normal(cr.tensor(loc), cr.tensor(scale))
    t = TD.Normal(torch.tensor(loc), torch.tensor(scale))
    assert tuple(d.batch_shape) == tuple(t.batch_shape) == (3, 4)
    assert tuple(d.loc.shape) == (3, 4)
    assert D.Normal(0.0, 1.0).batch_shape == () and D.Normal(0.0, 1.0).loc.dtype == cr.float32
    with pytest.raises(RuntimeError):
        D.Normal(cr.zeros(3), cr.ones(2))
    with pytest.raises(RuntimeError):
        TD.Normal(torch.zeros(3), torch.ones(2))


def test_uniform_log_prob_and_cdf_at_the_bounds_as_torch():
    """[low, high): log_prob is finite at low and -inf at high; cdf clamps to [0, 1]."""
    low, high, v = [0.0, -1.0], [1.0, 2.0], [[0.0, 2.0], [1.0, -1.0]]
    t = TD.Uniform(torch.tensor(low), torch.tensor(high)).log_prob(torch.tensor(v))
    c = D.Uniform(cr.tensor(low), cr.tensor(high)).log_prob(cr.tensor(v))
    np.testing.assert_array_equal(c.numpy(), t.numpy())
    u = [[-5.0, 0.5], [3.0, 7.0]]
    t = TD.Uniform(torch.tensor(low), torch.tensor(high), validate_args=False).cdf(torch.tensor(u))
    c = D.Uniform(cr.tensor(low), cr.tensor(high), validate_args=False).cdf(cr.tensor(u))
    np.testing.assert_array_equal(c.numpy(), t.numpy())
