"""chainrule.nondiff: straight-through estimators and surrogate gradients of the step. Forward
against torch's hard functions bit for bit (zeros and ties included), backward against the
documented derivative written out in NumPy (and torch's autograd where it has the same one)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule
from chainrule import nondiff as nd

torch = pytest.importorskip("torch")

# zeros of both signs, exact half-integers (ties of round), integers, |x| = 1, large values
EDGE = np.array(
    [-3.0, -2.5, -1.5, -1.0, -0.7, -0.5, -0.0, 0.0, 0.2, 0.5, 1.0, 1.5, 2.5, 3.7, 1e3],
    dtype=np.float64,
)


def _pair(arr: np.ndarray, dtype=np.float64):
    a = arr.astype(dtype)
    return chainrule.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def _grad(y, x, seed: np.ndarray | None = None) -> np.ndarray:
    g = chainrule.tensor(np.ones(y.shape) if seed is None else seed, dtype=y.dtype)
    (gx,) = chainrule.autograd.grad(y, x, g)
    return gx.detach().numpy()


def _same(a: np.ndarray, b: np.ndarray) -> None:
    """Equal bit for bit, the sign of zero included."""
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "ours, theirs",
    [
        (nd.round_ste, lambda t: torch.round(t)),
        (nd.floor_ste, lambda t: torch.floor(t)),
        (nd.sign_ste, lambda t: torch.sign(t)),
        (nd.heaviside_ste, lambda t: torch.heaviside(t, torch.zeros(()).to(t.dtype))),
    ],
)
def test_ste_forward_is_torch_and_gradient_is_identity(ours, theirs, dtype):
    x, xt = _pair(EDGE, dtype)
    y = ours(x)
    _same(y.detach().numpy(), theirs(xt).detach().numpy())
    assert y.dtype == x.dtype
    seed = np.linspace(-2, 2, EDGE.size).astype(dtype)
    np.testing.assert_array_equal(_grad(y, x, seed), seed)


@pytest.mark.parametrize("values", [0.0, 0.5, 1.0])
def test_heaviside_ste_values_at_zero(values):
    x, xt = _pair(EDGE)
    expected = torch.heaviside(xt, torch.tensor(values, dtype=torch.float64))
    _same(nd.heaviside_ste(x, values).detach().numpy(), expected.detach().numpy())


def test_binarize_is_sign_with_plus_one_at_zero_and_clipped_gradient():
    x, _ = _pair(EDGE)
    y = nd.binarize(x)
    np.testing.assert_array_equal(y.detach().numpy(), np.where(EDGE >= 0, 1.0, -1.0))
    np.testing.assert_array_equal(_grad(y, x), (np.abs(EDGE) <= 1).astype(float))


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_quantize_ste_matches_torch_fake_quantize(bits):
    rng = np.random.default_rng(bits)
    top = 2**bits - 1
    # random points, points just inside/outside the range, and exact grid points
    arr = np.concatenate(
        [rng.uniform(-0.3, 1.3, 200), [-0.2, 0.0, 1.0, 1.2, 1 + 0.4 / top, -0.4 / top]],
    ).astype(np.float32)
    arr = np.concatenate([arr, (np.arange(top + 1) / top).astype(np.float32)])
    x, xt = _pair(arr, np.float32)
    y = nd.quantize_ste(x, bits, (0.0, 1.0))
    yt = torch.fake_quantize_per_tensor_affine(xt, 1.0 / top, 0, 0, top)
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=0, atol=1e-7)
    yt.sum().backward()
    np.testing.assert_array_equal(_grad(y, x), xt.grad.detach().numpy())


def test_quantize_ste_levels_and_errors():
    x = chainrule.tensor(np.linspace(-2, 2, 101))
    y = nd.quantize_ste(x, 3, (-1.0, 1.0)).detach().numpy()
    levels = -1 + 2 * np.arange(8) / 7
    assert set(np.round(y, 12)) <= set(np.round(levels, 12))
    np.testing.assert_allclose(
        np.abs(y - np.clip(x.detach().numpy(), -1, 1)).max(), 1 / 7, atol=1e-12
    )
    with pytest.raises(ValueError, match="bits"):
        nd.quantize_ste(x, 0)
    with pytest.raises(ValueError, match="range"):
        nd.quantize_ste(x, 4, (1.0, 0.0))


def test_straight_through_general():
    x, _ = _pair(EDGE)
    ident = nd.straight_through(chainrule.round)
    clipped = nd.straight_through(chainrule.round, "clipped")
    custom = nd.straight_through(chainrule.round, lambda t: 2 * t * t)
    for f in (ident, clipped, custom):
        np.testing.assert_array_equal(f(x).detach().numpy(), np.round(EDGE))
    np.testing.assert_array_equal(_grad(ident(x), x), np.ones_like(EDGE))
    np.testing.assert_array_equal(_grad(clipped(x), x), (np.abs(EDGE) <= 1).astype(float))
    np.testing.assert_array_equal(_grad(custom(x), x), 2 * EDGE * EDGE)
    # create_graph differentiates the user's derivative: d/dx (2 x^2) = 4 x
    (g,) = chainrule.autograd.grad(custom(x).sum(), x, create_graph=True)
    (h,) = chainrule.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(h.detach().numpy(), 4 * EDGE)
    with pytest.raises(ValueError, match="backward must be"):
        nd.straight_through(chainrule.round, "bogus")


def test_ste_integer_input_has_no_gradient():
    x = chainrule.tensor([-2, 0, 3])
    y = nd.round_ste(x)
    np.testing.assert_array_equal(y.detach().numpy(), [-2, 0, 3])
    assert not y.requires_grad


# --- surrogate gradients of the step -----------------------------------------------------


def _numpy_surrogate(name: str, x: np.ndarray, s: float) -> np.ndarray:
    """The derivatives as the docstring of nondiff.heaviside states them."""
    if name == "fast_sigmoid":
        return 1 / (1 + s * np.abs(x)) ** 2
    if name == "atan":
        return (s / 2) / (1 + (math.pi / 2 * s * x) ** 2)
    if name == "sigmoid":
        sig = 1 / (1 + np.exp(-s * x))
        return s * sig * (1 - sig)
    if name == "triangular":
        return s * np.maximum(0, 1 - s * np.abs(x))
    if name == "straight_through":
        return (s * np.abs(x) <= 1).astype(float)
    raise AssertionError(name)


DEFAULT_SLOPES = {
    "fast_sigmoid": 25,
    "atan": 2,
    "sigmoid": 25,
    "triangular": 1,
    "straight_through": 0,
}
SURROGATE_X = np.concatenate([EDGE[:-1], np.linspace(-1.2, 1.2, 25)])


@pytest.mark.parametrize("name", sorted(DEFAULT_SLOPES))
@pytest.mark.parametrize("slope", [None, 0.5, 4.0])
@pytest.mark.parametrize("values", [0.0, 0.5])
def test_heaviside_surrogate_forward_and_gradient(name, slope, values):
    x, xt = _pair(SURROGATE_X)
    y = nd.heaviside(x, name, slope, values=values)
    _same(
        y.detach().numpy(),
        torch.heaviside(xt, torch.tensor(values, dtype=xt.dtype)).detach().numpy(),
    )
    s = DEFAULT_SLOPES[name] if slope is None else slope
    np.testing.assert_allclose(_grad(y, x), _numpy_surrogate(name, SURROGATE_X, s), rtol=1e-13)


def test_default_surrogate_is_fast_sigmoid_and_values_tensor():
    x, xt = _pair(SURROGATE_X)
    y = nd.heaviside(x, values=chainrule.tensor(0.25, dtype=chainrule.float64))
    _same(
        y.detach().numpy(),
        torch.heaviside(xt, torch.tensor(0.25, dtype=torch.float64)).detach().numpy(),
    )
    np.testing.assert_allclose(_grad(y, x), _numpy_surrogate("fast_sigmoid", SURROGATE_X, 25.0))


@pytest.mark.parametrize(
    "name, smooth",
    [
        ("sigmoid", lambda t, s: torch.sigmoid(s * t)),
        ("atan", lambda t, s: 0.5 + torch.atan(math.pi / 2 * s * t) / math.pi),
        # d/dx [x / (1 + s|x|)] = 1 / (1 + s|x|)^2
        ("fast_sigmoid", lambda t, s: t / (1 + s * t.abs())),
    ],
)
def test_surrogate_is_the_derivative_of_its_smooth_function_in_torch(name, smooth):
    x, xt = _pair(SURROGATE_X)
    s = 3.0
    smooth(xt, s).sum().backward()
    np.testing.assert_allclose(
        _grad(nd.heaviside(x, name, s), x), xt.grad.detach().numpy(), rtol=1e-12
    )


@pytest.mark.parametrize("name", ["fast_sigmoid", "atan", "sigmoid", "triangular"])
def test_surrogate_second_derivative_under_create_graph(name):
    x, _ = _pair(np.array([-0.9, -0.3, 0.1, 0.45, 1.7]))
    s = 1.5
    (g,) = chainrule.autograd.grad(nd.heaviside(x, name, s).sum(), x, create_graph=True)
    (h,) = chainrule.autograd.grad(g.sum(), x)
    d = 1e-6
    numeric = _numpy_surrogate(name, x.detach().numpy() + d, s) - _numpy_surrogate(
        name, x.detach().numpy() - d, s
    )
    np.testing.assert_allclose(h.detach().numpy(), numeric / (2 * d), rtol=1e-6, atol=1e-8)


def test_register_surrogate_and_callable_surrogate():
    x, _ = _pair(SURROGATE_X)
    gauss = lambda t, s: (-((s * t) ** 2)).exp() * s / math.sqrt(math.pi)  # noqa: E731
    nd.register_surrogate("gaussian_test", gauss, 2.0)
    try:
        expected = np.exp(-((2 * SURROGATE_X) ** 2)) * 2 / math.sqrt(math.pi)
        np.testing.assert_allclose(_grad(nd.heaviside(x, "gaussian_test"), x), expected)
        np.testing.assert_allclose(_grad(nd.heaviside(x, gauss, 2.0), x), expected)
    finally:
        del nd.SURROGATES["gaussian_test"]
    with pytest.raises(ValueError, match="unknown surrogate 'nope'"):
        nd.heaviside(x, "nope")


@pytest.mark.parametrize(
    "f",
    [nd.round_ste, nd.binarize, lambda t: nd.quantize_ste(t, 2), lambda t: nd.heaviside(t, "atan")],
)
def test_forward_mode_tangent_is_the_surrogate_derivative(f):
    import chainrule.autograd.forward_ad as fwAD

    x, _ = _pair(EDGE)
    tangent = np.linspace(-1, 1, EDGE.size)
    with fwAD.dual_level():
        out = fwAD.unpack_dual(f(fwAD.make_dual(x.detach(), chainrule.tensor(tangent))))
    np.testing.assert_allclose(out.tangent.numpy(), _grad(f(x), x) * tangent, rtol=1e-14)
    np.testing.assert_array_equal(out.primal.numpy(), f(x).detach().numpy())
