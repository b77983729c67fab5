"""chainrule.nn.init vs torch.nn.init: exact values for the deterministic fills, gains and fans;
distributions (bounds, moments, orthogonality) for the random ones, whose draws differ."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainrule
from chainrule.nn import init

SHAPES = [(3, 4), (5, 2, 3), (4, 3, 2, 2), (2, 3, 1, 2, 3)]


def _init(lib):
    return lib.nn.init if lib.__name__ == "torch" else init


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t.data)


@pytest.mark.parametrize(
    "args",
    [
        ("linear",),
        ("conv1d",),
        ("conv2d",),
        ("conv3d",),
        ("conv_transpose1d",),
        ("conv_transpose2d",),
        ("conv_transpose3d",),
        ("sigmoid",),
        ("tanh",),
        ("relu",),
        ("leaky_relu",),
        ("leaky_relu", 0.2),
        ("leaky_relu", 3),
        ("selu",),
    ],
)
def test_calculate_gain(torch, args):
    expected = torch.nn.init.calculate_gain(*args)
    got = init.calculate_gain(*args)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("args", [("leaky_relu", True), ("leaky_relu", "x"), ("foo",)])
def test_calculate_gain_errors(lib, args):
    with pytest.raises(ValueError) as err:
        _init(lib).calculate_gain(*args)
    assert str(err.value) in (
        "negative_slope True not a valid number",
        "negative_slope x not a valid number",
        "Unsupported nonlinearity foo",
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_fans(torch, shape):
    expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init._calculate_fan_in_and_fan_out(chainrule.empty(*shape)) == expected


@pytest.mark.parametrize("shape", [(), (3,)])
def test_fans_need_two_dims(lib, shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        _init(lib)._calculate_fan_in_and_fan_out(lib.zeros(shape))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_constant_ones_zeros(torch, dtype):
    t = chainrule.empty(3, 4, dtype=getattr(chainrule, dtype))
    r = torch.empty(3, 4, dtype=getattr(torch, dtype))
    for name, args in [("constant_", (2.7,)), ("ones_", ()), ("zeros_", ())]:
        out = getattr(init, name)(t, *args)
        getattr(torch.nn.init, name)(r, *args)
        assert out is t
        np.testing.assert_array_equal(_np(t), r.numpy())
        assert _np(t).dtype == r.numpy().dtype


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_eye(torch, shape, dtype):
    t = chainrule.full(shape, 7, dtype=getattr(chainrule, dtype))
    r = torch.full(shape, 7, dtype=getattr(torch, dtype))
    assert init.eye_(t) is t
    torch.nn.init.eye_(r)
    np.testing.assert_array_equal(_np(t), r.numpy())


@pytest.mark.parametrize("shape", [(3,), (2, 2, 2)])
def test_eye_needs_2d(lib, shape):
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        _init(lib).eye_(lib.zeros(shape))


@pytest.mark.parametrize(
    "shape,groups",
    [((4, 3, 3), 1), ((3, 5, 4), 1), ((6, 2, 3, 3), 2), ((4, 4, 3, 2, 5), 2), ((6, 1, 3), 3)],
)
def test_dirac(torch, shape, groups):
    t = chainrule.ones(*shape)
    r = torch.ones(shape)
    assert init.dirac_(t, groups) is t
    torch.nn.init.dirac_(r, groups)
    np.testing.assert_array_equal(_np(t), r.numpy())


@pytest.mark.parametrize("shape,groups", [((3, 3), 1), ((4, 3, 3), 3)])
def test_dirac_errors(lib, shape, groups):
    with pytest.raises(ValueError) as err:
        _init(lib).dirac_(lib.zeros(shape), groups)
    assert str(err.value) in (
        "Only tensors with 3, 4, or 5 dimensions are supported",
        "dim 0 must be divisible by groups",
    )


def test_inplace_on_leaf_bumps_version(lib):
    """Under no_grad, on a leaf that requires grad: same object, version bumped, grad kept."""
    w = lib.zeros(4, 5, requires_grad=True)
    v = w._version
    for fn in ("uniform_", "normal_", "xavier_uniform_", "kaiming_normal_", "orthogonal_"):
        assert getattr(_init(lib), fn)(w) is w
    assert w._version > v and w.requires_grad and w.grad_fn is None


def _draw(fn, shape, *args, seed=0, **kw):
    chainrule.manual_seed(seed)
    t = chainrule.empty(*shape, dtype=chainrule.float64)
    assert fn(t, *args, **kw) is t
    return _np(t)


def _check_uniform(x, lo, hi):
    n = x.size
    assert x.min() >= lo and x.max() <= hi
    width = hi - lo
    assert abs(x.mean() - (lo + hi) / 2) < 5 * width / math.sqrt(12 * n)
    assert abs(x.std() - width / math.sqrt(12)) < 0.02 * width


def _check_normal(x, mean, std):
    n = x.size
    assert abs(x.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(x.std() - std) < 5 * std / math.sqrt(2 * n)


def test_uniform_normal():
    _check_uniform(_draw(init.uniform_, (200, 300), -2.0, 3.0), -2.0, 3.0)
    _check_uniform(_draw(init.uniform_, (200, 300)), 0.0, 1.0)
    _check_normal(_draw(init.normal_, (200, 300), 1.5, 0.3), 1.5, 0.3)
    _check_normal(_draw(init.normal_, (200, 300)), 0.0, 1.0)


def test_seeded_and_generator():
    a = _draw(init.normal_, (10, 10), seed=3)
    b = _draw(init.normal_, (10, 10), seed=3)
    np.testing.assert_array_equal(a, b)
    g1, g2 = chainrule.Generator().manual_seed(7), chainrule.Generator().manual_seed(7)
    x = init.uniform_(chainrule.empty(5, 5), generator=g1)
    y = init.uniform_(chainrule.empty(5, 5), generator=g2)
    np.testing.assert_array_equal(_np(x), _np(y))


def test_float32_draws_keep_dtype():
    for fn in (init.uniform_, init.normal_, init.trunc_normal_, init.orthogonal_, init.sparse_):
        t = chainrule.empty(6, 4)
        args = (0.5,) if fn is init.sparse_ else ()
        assert fn(t, *args).dtype == chainrule.float32


@pytest.mark.parametrize("shape", [(300, 200), (40, 30, 5, 5)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_xavier(torch, shape, gain):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    _check_uniform(_draw(init.xavier_uniform_, shape, gain), -bound, bound)
    _check_normal(_draw(init.xavier_normal_, shape, gain), 0.0, std)


@pytest.mark.parametrize("shape", [(300, 200), (40, 30, 5, 5)])
@pytest.mark.parametrize("a", [0, 0.2])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "FAN_OUT"])
@pytest.mark.parametrize("nonlinearity", ["leaky_relu", "relu", "tanh"])
def test_kaiming(torch, shape, a, mode, nonlinearity):
    fan = torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    kw = dict(a=a, mode=mode, nonlinearity=nonlinearity)
    _check_uniform(_draw(init.kaiming_uniform_, shape, **kw), -bound, bound)
    _check_normal(_draw(init.kaiming_normal_, shape, **kw), 0.0, std)


@pytest.mark.parametrize("fn", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_zero_element_warns(lib, fn):
    t = lib.zeros(0, 3)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        assert getattr(_init(lib), fn)(t) is t


@pytest.mark.parametrize("fn", ["kaiming_uniform_", "kaiming_normal_"])
def test_kaiming_errors(lib, fn):
    with pytest.raises(ValueError, match=r"Mode bad not supported, please use one of \['fan_in', "):
        getattr(_init(lib), fn)(lib.zeros(3, 3), mode="bad")
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        getattr(_init(lib), fn)(lib.zeros(3))
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        getattr(_init(lib), fn)(lib.zeros(3, 3), nonlinearity="foo")


def test_xavier_zero_fans(lib):
    with pytest.raises(ZeroDivisionError):
        _init(lib).xavier_uniform_(lib.zeros(0, 0))


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (3, 2, 2, 2), (1, 5)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_orthogonal(shape, gain, dtype):
    chainrule.manual_seed(0)
    t = chainrule.empty(*shape, dtype=getattr(chainrule, dtype))
    assert init.orthogonal_(t, gain) is t
    m = _np(t).reshape(shape[0], -1).astype(np.float64)
    rows, cols = m.shape
    gram = m @ m.T if rows <= cols else m.T @ m
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=tol)


def test_orthogonal_sign_fix():
    """With diag(R) made positive, the first column of Q has the sign of the first draw column's
    projection, i.e. Q = A R^-1 with R's diagonal positive."""
    g = chainrule.Generator().manual_seed(1)
    t = init.orthogonal_(chainrule.empty(5, 3, dtype=chainrule.float64), generator=g)
    a = chainrule.Generator().manual_seed(1).rng.standard_normal((5, 3))
    r = _np(t).T @ a  # = R of A = Q R
    assert np.all(np.diagonal(r) > 0)
    np.testing.assert_allclose(np.tril(r, -1), 0, atol=1e-12)


@pytest.mark.parametrize("shape", [(), (3,)])
def test_orthogonal_errors(lib, shape):
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        _init(lib).orthogonal_(lib.zeros(shape))


def test_orthogonal_empty(lib):
    t = lib.zeros(0, 3)
    assert _init(lib).orthogonal_(t) is t


@pytest.mark.parametrize(
    "mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (1.0, 0.5, 0.0, 3.0), (0.0, 1.0, 1.5, 4.0)]
)
def test_trunc_normal(mean, std, a, b):
    from scipy.stats import truncnorm

    x = _draw(init.trunc_normal_, (300, 300), mean, std, a, b)
    assert x.min() >= a and x.max() <= b
    law = truncnorm((a - mean) / std, (b - mean) / std, loc=mean, scale=std)
    _check_normal(x, law.mean(), law.std())


def test_trunc_normal_warns(lib):
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        _init(lib).trunc_normal_(lib.zeros(10), mean=10.0, std=1.0, a=-2.0, b=2.0)


def test_sparse():
    chainrule.manual_seed(0)
    t = init.sparse_(chainrule.empty(10, 400, dtype=chainrule.float64), 0.25, std=0.5)
    x = _np(t)
    assert np.all((x == 0).sum(axis=0) == math.ceil(0.25 * 10))
    _check_normal(x[x != 0], 0.0, 0.5)


def test_sparse_needs_2d(lib):
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        _init(lib).sparse_(lib.zeros(3), 0.1)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, t: m.uniform_(t),
        lambda m, t: m.normal_(t),
        lambda m, t: m.trunc_normal_(t),
        lambda m, t: m.orthogonal_(t),
    ],
)
def test_integer_tensor_errors(lib, call):
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        call(_init(lib), lib.zeros(2, 2, dtype=lib.long))


def test_bad_bounds(lib):
    with pytest.raises(RuntimeError, match=r"uniform_ expects to return a \[from, to\) range"):
        _init(lib).uniform_(lib.zeros(3), 1.0, 0.0)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0, but found std -1"):
        _init(lib).normal_(lib.zeros(3), 0.0, -1.0)


@pytest.mark.parametrize("name", ["uniform", "normal", "constant", "xavier_uniform", "eye"])
def test_deprecated_aliases(lib, name):
    args = (1.0,) if name == "constant" else ()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        getattr(_init(lib), name)(lib.zeros(3, 3), *args)
    assert any(
        issubclass(w.category, FutureWarning)
        and f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`" in str(w.message)
        for w in rec
    )


def test_all_names(torch):
    assert set(init.__all__) == set(torch.nn.init.__all__)
