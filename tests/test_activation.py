"""nn.functional activations, softmax family, linear layers, embedding, one_hot and distances:
kink conventions, stability at extreme inputs, in-place forms, grad_fn names and errors, beside
torch.

Forward values, gradients, gradcheck and second derivatives at ordinary points come from the
records in opdb_activation.py (`pytest tests/test_ops.py -k nnf_`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes
from scipy import special

import chainrule
from chainrule.nn.functional import activation

INF = float("inf")


def F(m: Any) -> Any:
    return m.nn.functional


def vals(t: Any) -> np.ndarray:
    t = t.detach()
    if getattr(t, "_is_zerotensor", lambda: False)():  # torch's symbolic zeros
        return np.zeros(tuple(t.shape))
    return np.asarray(t.numpy(), dtype=np.float64)


def first_and_second(m: Any, fn: Callable, points: list, dtype: str) -> tuple:
    """fn(x), d sum(fn(x)) / dx, and the derivative of that gradient's sum (None if torch has no
    second derivative), at the given points."""
    x = m.tensor(np.asarray(points, dtype=dtype), requires_grad=True)
    out = fn(m, x)
    (g,) = m.autograd.grad(out.sum(), x, create_graph=True)
    try:
        (h,) = m.autograd.grad(g.sum(), x, allow_unused=True)
    except (RuntimeError, NotImplementedError):
        h = None
    if h is None and g.grad_fn is None:
        h = m.zeros_like(x)
    return vals(out), vals(g), (None if h is None else vals(h))


# --- 1. kink conventions: gradients exactly at the kinks ------------------------------------------

KINKS: list[Any] = [
    pytest.param(lambda m, x: F(m).relu(x), [-1.0, 0.0, 1.0], id="relu@0"),
    pytest.param(lambda m, x: F(m).relu6(x), [-1.0, 0.0, 3.0, 6.0, 7.0], id="relu6@0,6"),
    pytest.param(lambda m, x: F(m).hardtanh(x), [-2.0, -1.0, 0.0, 1.0, 2.0], id="hardtanh@-1,1"),
    pytest.param(lambda m, x: F(m).hardtanh(x, -2.0, 0.5), [-2.0, 0.5], id="hardtanh@bounds"),
    pytest.param(lambda m, x: F(m).hardtanh(x, 0.5, 0.5), [0.0, 0.5, 1.0], id="hardtanh@min=max"),
    pytest.param(lambda m, x: F(m).leaky_relu(x), [-1.0, 0.0, 1.0], id="leaky_relu@0"),
    pytest.param(lambda m, x: F(m).leaky_relu(x, 0.3), [0.0], id="leaky_relu_0.3@0"),
    pytest.param(lambda m, x: F(m).leaky_relu(x, -0.3), [0.0], id="leaky_relu_neg@0"),
    pytest.param(lambda m, x: F(m).elu(x), [-1.0, 0.0, 1.0], id="elu@0"),
    pytest.param(lambda m, x: F(m).elu(x, 2.0), [0.0], id="elu_alpha2@0"),
    pytest.param(lambda m, x: F(m).elu(x, -0.5), [0.0], id="elu_alpha_neg@0"),
    pytest.param(lambda m, x: F(m).celu(x), [0.0], id="celu@0"),
    pytest.param(lambda m, x: F(m).celu(x, 2.0), [-1.0, 0.0], id="celu_alpha2@0"),
    pytest.param(lambda m, x: F(m).celu(x, -0.5), [0.0], id="celu_alpha_neg@0"),
    pytest.param(lambda m, x: F(m).selu(x), [-1.0, 0.0, 1.0], id="selu@0"),
    pytest.param(lambda m, x: F(m).hardsigmoid(x), [-4.0, -3.0, 0.0, 3.0, 4.0], id="hardsigmoid@3"),
    pytest.param(lambda m, x: F(m).hardswish(x), [-4.0, -3.0, 0.0, 3.0, 4.0], id="hardswish@3"),
    pytest.param(lambda m, x: F(m).softplus(x), [19.9, 20.0, 20.1], id="softplus@threshold"),
    pytest.param(
        lambda m, x: F(m).softplus(x, beta=2.0, threshold=1.0),
        [0.25, 0.5, 0.75],
        id="softplus_beta@threshold",
    ),
    pytest.param(lambda m, x: F(m).threshold(x, 0.5, -1.0), [0.0, 0.5, 1.0], id="threshold@th"),
    pytest.param(lambda m, x: F(m).softsign(x), [-1.0, 0.0, 1.0], id="softsign@0"),
    pytest.param(lambda m, x: F(m).tanhshrink(x), [0.0], id="tanhshrink@0"),
    pytest.param(lambda m, x: F(m).normalize(x, dim=0), [0.0, 0.0], id="normalize@zero"),
    pytest.param(lambda m, x: F(m).normalize(x, p=1, dim=0), [0.0, 2.0], id="normalize_p1@0"),
    pytest.param(
        lambda m, x: F(m).normalize(x, p=INF, dim=0), [1.0, -1.0, 0.5], id="normalize_pinf@tie"
    ),
    pytest.param(lambda m, x: F(m).normalize(x, p=3.0, dim=0), [0.0, 0.0], id="normalize_p3@0,0"),
    pytest.param(
        lambda m, x: F(m).cosine_similarity(x, m.ones_like(x), dim=0),
        [0.0, 0.0],
        id="cosine@zero",
    ),
    pytest.param(
        lambda m, x: F(m).cosine_similarity(x, m.ones_like(x), dim=0, eps=1.0),
        [0.3, 0.4],
        id="cosine@clamped_norm",
    ),
    pytest.param(
        lambda m, x: F(m).pairwise_distance(x, m.zeros_like(x), eps=0.0),
        [0.0, 0.0],
        id="pairwise_distance@zero",
    ),
    pytest.param(
        lambda m, x: F(m).pairwise_distance(x, m.zeros_like(x), p=1.0, eps=0.0),
        [0.0, 2.0],
        id="pairwise_distance_p1@0",
    ),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("fn", "points"), KINKS)
def test_kink_conventions_match_torch(torch, fn: Callable, points: list, dtype: str) -> None:
    ours = first_and_second(chainrule, fn, points, dtype)
    theirs = first_and_second(torch, fn, points, dtype)
    for what, a, b in zip(("value", "gradient"), ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7, err_msg=what)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("fn", "points"), KINKS)
def test_kink_second_derivatives_match_torch(torch, fn: Callable, points: list, dtype: str) -> None:
    ours = first_and_second(chainrule, fn, points, dtype)[2]
    theirs = first_and_second(torch, fn, points, dtype)[2]
    if theirs is not None:  # None: torch has no second derivative here (hardsigmoid)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("fn", "points"), KINKS)
def test_kinks_emit_no_warnings(fn: Callable, points: list) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first_and_second(chainrule, fn, points, "float64")


# --- 2. stability at extreme inputs ---------------------------------------------------------------

EXTREME = [-1e4, -100.0, -30.0, 30.0, 100.0, 1e4]

STABLE: list[Any] = [
    pytest.param(lambda m, x: F(m).elu(x), id="elu"),
    pytest.param(lambda m, x: F(m).celu(x, 0.01), id="celu_small_alpha"),
    pytest.param(lambda m, x: F(m).selu(x), id="selu"),
    pytest.param(lambda m, x: F(m).gelu(x), id="gelu"),
    pytest.param(lambda m, x: F(m).gelu(x, approximate="tanh"), id="gelu_tanh"),
    pytest.param(lambda m, x: F(m).silu(x), id="silu"),
    pytest.param(lambda m, x: F(m).mish(x), id="mish"),
    pytest.param(lambda m, x: F(m).softplus(x), id="softplus"),
    pytest.param(lambda m, x: F(m).logsigmoid(x), id="logsigmoid"),
    pytest.param(lambda m, x: F(m).softsign(x), id="softsign"),
    pytest.param(lambda m, x: F(m).tanhshrink(x), id="tanhshrink"),
    pytest.param(lambda m, x: F(m).sigmoid(x), id="sigmoid"),
    pytest.param(lambda m, x: F(m).hardswish(x), id="hardswish"),
    pytest.param(lambda m, x: F(m).glu(x, 0), id="glu"),
    pytest.param(lambda m, x: F(m).softmax(x, 0), id="softmax"),
    pytest.param(lambda m, x: F(m).log_softmax(x, 0), id="log_softmax"),
    pytest.param(lambda m, x: F(m).softmin(x, 0), id="softmin"),
    pytest.param(lambda m, x: F(m).normalize(x, dim=0), id="normalize"),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fn", STABLE)
def test_stable_at_extreme_inputs(torch, fn: Callable, dtype: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow (or any other) RuntimeWarning
        out, grad, _ = first_and_second(chainrule, fn, EXTREME, dtype)
    t_out, t_grad, _ = first_and_second(torch, fn, EXTREME, dtype)
    assert np.isfinite(out).all() and np.isfinite(grad).all()
    np.testing.assert_allclose(out, t_out, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-6, atol=1e-6)


def test_softplus_without_linear_part_does_not_overflow():
    # torch overflows here (log1p(exp(5000)) = inf, gradient inf / inf = NaN); chainrule computes
    # log(1 + exp(beta x)) as logaddexp(0, beta x), finite (a deliberate deviation)
    x = chainrule.tensor(EXTREME, dtype=chainrule.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F(chainrule).softplus(x, beta=0.5, threshold=1e5)
        out.sum().backward()
    xs = np.asarray(EXTREME)
    np.testing.assert_allclose(vals(out), np.logaddexp(0, 0.5 * xs) / 0.5, rtol=1e-12)
    np.testing.assert_allclose(vals(x.grad), special.expit(0.5 * xs), rtol=1e-12)


def test_logsigmoid_tails_are_exact(lib):
    out = F(lib).logsigmoid(lib.tensor([-1e4, 1e4], dtype=lib.float64))
    np.testing.assert_allclose(vals(out), [-1e4, 0.0], atol=1e-300)


# --- 3. in-place forms ----------------------------------------------------------------------------

INPLACE: list[Any] = [
    pytest.param(lambda m, y: F(m).relu(y, inplace=True), id="relu"),
    pytest.param(lambda m, y: F(m).relu_(y), id="relu_"),
    pytest.param(lambda m, y: F(m).relu6(y, inplace=True), id="relu6"),
    pytest.param(lambda m, y: F(m).hardtanh(y, -0.5, 0.5, True), id="hardtanh"),
    pytest.param(lambda m, y: F(m).hardtanh_(y, -0.5, 0.5), id="hardtanh_"),
    pytest.param(lambda m, y: F(m).leaky_relu(y, 0.2, inplace=True), id="leaky_relu"),
    pytest.param(lambda m, y: F(m).leaky_relu_(y), id="leaky_relu_"),
    pytest.param(lambda m, y: F(m).elu(y, inplace=True), id="elu"),
    pytest.param(lambda m, y: F(m).elu_(y, 0.5), id="elu_"),
    pytest.param(lambda m, y: F(m).selu(y, inplace=True), id="selu"),
    pytest.param(lambda m, y: F(m).selu_(y), id="selu_"),
    pytest.param(lambda m, y: F(m).celu(y, 2.0, inplace=True), id="celu"),
    pytest.param(lambda m, y: F(m).celu_(y), id="celu_"),
    pytest.param(lambda m, y: F(m).threshold(y, 0.1, -2.0, inplace=True), id="threshold"),
    pytest.param(lambda m, y: F(m).threshold_(y, 0.1, 2.0), id="threshold_value_above"),
    pytest.param(lambda m, y: F(m).hardsigmoid(y, inplace=True), id="hardsigmoid"),
    pytest.param(lambda m, y: F(m).hardswish(y, inplace=True), id="hardswish"),
    pytest.param(lambda m, y: F(m).silu(y, inplace=True), id="silu"),
    pytest.param(lambda m, y: F(m).mish(y, inplace=True), id="mish"),
]

XIN = [-4.0, -3.0, -1.0, 0.0, 0.05, 0.1, 0.5, 3.0, 7.0]
COEF = [1.0, -2.0, 0.5, 3.0, 1.5, -1.0, 2.0, 0.25, -0.5]


def _inplace_run(m: Any, fn: Callable) -> tuple:
    x = m.tensor(XIN, requires_grad=True)
    y = x * 1
    v0 = y._version
    out = fn(m, y)
    (out * m.tensor(COEF)).sum().backward()
    return out is y, y._version > v0, out.grad_fn.name(), vals(out), vals(x.grad)


@pytest.mark.parametrize("fn", INPLACE)
def test_inplace_forms_match_torch(torch, fn: Callable) -> None:
    ours, theirs = _inplace_run(chainrule, fn), _inplace_run(torch, fn)
    assert ours[:3] == theirs[:3] == (True, True, theirs[2])
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ours[4], theirs[4], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("fn", INPLACE)
def test_inplace_without_grad_writes_memory(lib, fn: Callable) -> None:
    y = lib.tensor(XIN)
    expected = vals(fn(lib, lib.tensor(XIN)))
    assert fn(lib, y) is y
    np.testing.assert_allclose(vals(y), expected)


@pytest.mark.parametrize("fn", INPLACE)
def test_inplace_on_leaf_requiring_grad_raises(lib, fn: Callable) -> None:
    with pytest.raises(RuntimeError, match="leaf Variable"):
        fn(lib, lib.tensor(XIN, requires_grad=True))


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda m, y: F(m).elu(y, -0.5, inplace=True), id="elu"),
        pytest.param(lambda m, y: F(m).leaky_relu_(y, -0.2), id="leaky_relu"),
    ],
)
def test_inplace_negative_slope_backward_raises(lib, fn: Callable) -> None:
    x = lib.tensor(XIN, requires_grad=True)
    y = x * 1
    fn(lib, y)
    with pytest.raises(RuntimeError, match="negative slope"):
        y.sum().backward()


# --- 4. grad_fn names ----------------------------------------------------------------------------

NAMED: list[Any] = [
    pytest.param(lambda m, x: F(m).relu(x), id="relu"),
    pytest.param(lambda m, x: F(m).relu6(x), id="relu6"),
    pytest.param(lambda m, x: F(m).leaky_relu(x), id="leaky_relu"),
    pytest.param(lambda m, x: F(m).elu(x), id="elu"),
    pytest.param(lambda m, x: F(m).selu(x), id="selu"),
    pytest.param(lambda m, x: F(m).celu(x), id="celu"),
    pytest.param(lambda m, x: F(m).gelu(x), id="gelu"),
    pytest.param(lambda m, x: F(m).gelu(x, approximate="tanh"), id="gelu_tanh"),
    pytest.param(lambda m, x: F(m).silu(x), id="silu"),
    pytest.param(lambda m, x: F(m).mish(x), id="mish"),
    pytest.param(lambda m, x: F(m).softplus(x), id="softplus"),
    pytest.param(lambda m, x: F(m).softsign(x), id="softsign"),
    pytest.param(lambda m, x: F(m).hardtanh(x), id="hardtanh"),
    pytest.param(lambda m, x: F(m).hardsigmoid(x), id="hardsigmoid"),
    pytest.param(lambda m, x: F(m).hardswish(x), id="hardswish"),
    pytest.param(lambda m, x: F(m).logsigmoid(x), id="logsigmoid"),
    pytest.param(lambda m, x: F(m).tanhshrink(x), id="tanhshrink"),
    pytest.param(lambda m, x: F(m).sigmoid(x), id="sigmoid"),
    pytest.param(lambda m, x: F(m).tanh(x), id="tanh"),
    pytest.param(lambda m, x: F(m).threshold(x, 0.0, 1.0), id="threshold"),
    pytest.param(lambda m, x: F(m).glu(x, 1), id="glu"),
    pytest.param(lambda m, x: F(m).softmax(x, 1), id="softmax"),
    pytest.param(lambda m, x: F(m).log_softmax(x, 1), id="log_softmax"),
    pytest.param(lambda m, x: F(m).softmin(x, 1), id="softmin"),
    pytest.param(lambda m, x: F(m).linear(x, x), id="linear_mm"),
    pytest.param(lambda m, x: F(m).linear(x, x, x[0]), id="linear_addmm"),
    pytest.param(lambda m, x: F(m).linear(x[0], x, x[0]), id="linear_1d"),
    pytest.param(lambda m, x: F(m).linear(x[0], x), id="linear_1d_no_bias"),
    pytest.param(lambda m, x: F(m).linear(x[None], x), id="linear_3d_no_bias"),
    pytest.param(lambda m, x: F(m).linear(x[None], x, x[0]), id="linear_3d"),
    pytest.param(lambda m, x: F(m).bilinear(x, x, x[None]), id="bilinear"),
    pytest.param(lambda m, x: F(m).bilinear(x, x, x[None], x[0, :1]), id="bilinear_bias"),
    pytest.param(lambda m, x: F(m).embedding(m.tensor([1, 0]), x), id="embedding"),
    pytest.param(lambda m, x: F(m).normalize(x), id="normalize"),
    pytest.param(lambda m, x: F(m).cosine_similarity(x, x), id="cosine_similarity"),
    pytest.param(lambda m, x: F(m).pairwise_distance(x, x), id="pairwise_distance"),
]


def _names(m: Any, fn: Callable) -> tuple[str, str | None]:
    x = m.tensor([[0.5, -1.0], [2.0, 0.25]], requires_grad=True)
    out = fn(m, x)
    (g,) = m.autograd.grad(out.sum(), x, create_graph=True)
    return out.grad_fn.name(), g.grad_fn.name() if g.grad_fn is not None else None


@pytest.mark.parametrize("fn", NAMED)
def test_grad_fn_names_match_torch(torch, fn: Callable) -> None:
    assert _names(chainrule, fn)[0] == _names(torch, fn)[0]


DOUBLE_BACKWARD = ["elu", "selu", "celu", "gelu", "gelu_tanh", "softplus"]


@pytest.mark.parametrize("fn", [p for p in NAMED if p.id in DOUBLE_BACKWARD])
def test_double_backward_names_match_torch(torch, fn: Callable) -> None:
    assert _names(chainrule, fn)[1] == _names(torch, fn)[1]


# --- 5. dims, dtypes and tensor methods of the softmax family ------------------------------------


@given(
    shape=array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    data=st.data(),
    which=st.sampled_from(["softmax", "log_softmax", "softmin"]),
)
def test_softmax_family_any_shape_and_dim(shape: tuple, data: Any, which: str) -> None:
    torch = pytest.importorskip("torch")  # not the fixture: hypothesis reruns the body

    n = max(len(shape), 1)
    dim = data.draw(st.integers(-n, n - 1))
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    res = []
    for m in (chainrule, torch):
        t = m.tensor(x, requires_grad=True)
        out = getattr(F(m), which)(t, dim)
        out.backward(m.tensor(np.cos(np.arange(out.numel())).reshape(shape)))
        res.append((vals(out), vals(t.grad)))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
def test_softmax_implicit_dim_warns_and_picks_torchs_dim(lib, name: str) -> None:
    for shape in [(3,), (2, 3), (2, 3, 2), (2, 2, 3, 2)]:
        x = lib.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape))
        with pytest.warns(UserWarning, match="Implicit dimension choice"):
            out = getattr(F(lib), name)(x)
        dim = 0 if len(shape) in (0, 1, 3) else 1
        np.testing.assert_allclose(vals(out), vals(getattr(F(lib), name)(x, dim)))


def test_softmax_positional_stacklevel_then_dtype(lib):
    # torch's third positional parameter is _stacklevel, dtype comes after
    out = F(lib).softmax(lib.tensor([1.0, 2.0]), 0, 3, lib.float64)
    assert out.dtype == lib.float64


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_methods_match_torch(torch, name: str) -> None:
    x = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
    ours = activation.METHODS[name](chainrule.tensor(x), 1)
    theirs = getattr(torch.tensor(x), name)(1)
    np.testing.assert_allclose(vals(ours), vals(theirs), rtol=1e-12)
    ours = activation.METHODS[name](chainrule.tensor(x), dim=0, dtype=chainrule.float32)
    theirs = getattr(torch.tensor(x), name)(dim=0, dtype=torch.float32)
    assert ours.dtype == chainrule.float32
    np.testing.assert_allclose(vals(ours), vals(theirs), rtol=1e-6)


def test_softmax_methods_are_installed():
    x = chainrule.tensor([1.0, 2.0])
    np.testing.assert_allclose(vals(x.softmax(0)), vals(F(chainrule).softmax(x, 0)))
    np.testing.assert_allclose(vals(x.log_softmax(0)), vals(F(chainrule).log_softmax(x, 0)))


# --- 6. embedding --------------------------------------------------------------------------------


def _embedding_grad(m: Any, idx: list, padding_idx: Any, **kw: Any) -> np.ndarray:
    w = m.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    out = F(m).embedding(m.tensor(idx), w, padding_idx=padding_idx, **kw)
    (out * m.tensor(np.arange(out.numel(), dtype=np.float32).reshape(out.shape))).sum().backward()
    return vals(w.grad)


@pytest.mark.parametrize("padding_idx", [None, 0, 2, -1, -4])
def test_embedding_padding_row_gets_no_gradient(torch, padding_idx: Any) -> None:
    idx = [[0, 2, 3], [2, 2, 1]]
    ours = _embedding_grad(chainrule, idx, padding_idx)
    np.testing.assert_array_equal(ours, _embedding_grad(torch, idx, padding_idx))
    if padding_idx is not None:
        assert not ours[padding_idx].any()


def test_embedding_scale_grad_by_freq_with_padding(torch):
    idx = [[0, 2, 3], [2, 2, 1]]
    kw = {"scale_grad_by_freq": True}
    np.testing.assert_allclose(
        _embedding_grad(chainrule, idx, 2, **kw), _embedding_grad(torch, idx, 2, **kw)
    )


@pytest.mark.parametrize("norm_type", [2.0, 1.0, INF])
def test_embedding_max_norm_renormalises_weight_in_place(torch, norm_type: float) -> None:
    wv = np.array([[3.0, 4.0], [0.3, 0.4], [6.0, -8.0], [1.0, 1.0]])
    res = []
    for m in (chainrule, torch):
        w = m.tensor(wv, requires_grad=True)
        v0 = w._version
        out = F(m).embedding(m.tensor([0, 1, 0, 3]), w, max_norm=1.0, norm_type=norm_type)
        out.sum().backward()
        res.append((vals(out), vals(w.detach()), vals(w.grad), w._version > v0))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize(
    ("idx", "kw", "exc", "match"),
    [
        ([0, 4], {}, IndexError, "index out of range in self"),
        ([-1], {}, IndexError, "index out of range in self"),
        ([0], {"padding_idx": 4}, AssertionError, "Padding_idx must be within num_embeddings"),
        ([0], {"padding_idx": -5}, AssertionError, "Padding_idx must be within num_embeddings"),
    ],
)
def test_embedding_errors(lib, idx: list, kw: dict, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        F(lib).embedding(lib.tensor(idx), lib.zeros(4, 3), **kw)


def test_embedding_float_indices_and_1d_weight_raise(lib):
    with pytest.raises(RuntimeError, match=r"'indices'.*Long, Int.*FloatTensor"):
        F(lib).embedding(lib.tensor([1.0]), lib.zeros(4, 3))
    with pytest.raises(RuntimeError, match="'weight' must be 2-D"):
        F(lib).embedding(lib.tensor([1]), lib.zeros(4))


# --- 7. one_hot ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "num_classes"), [([0, 2, 1], -1), ([0, 2, 1], 5), (2, 4), ([[1], [0]], 2)]
)
def test_one_hot_matches_torch(torch, data: Any, num_classes: int) -> None:
    ours = F(chainrule).one_hot(chainrule.tensor(data), num_classes)
    theirs = F(torch).one_hot(torch.tensor(data), num_classes)
    assert ours.dtype == chainrule.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_one_hot_of_empty_tensor(lib):
    assert tuple(F(lib).one_hot(lib.zeros(0, dtype=lib.int64), 3).shape) == (0, 3)


@pytest.mark.parametrize(
    ("make", "num_classes", "match"),
    [
        (lambda m: m.tensor([0, 3]), 2, "Class values must be smaller than num_classes"),
        (lambda m: m.tensor([0, 1]), -2, "Class values must be smaller than num_classes"),
        (lambda m: m.tensor([-1, 0]), -1, "Class values must be non-negative"),
        (lambda m: m.tensor([-1, 0]), 3, "Class values must be non-negative"),
        (lambda m: m.tensor([0.0, 1.0]), -1, "only applicable to index tensor of type LongTensor"),
        (lambda m: m.tensor([0], dtype=m.int32), -1, "index tensor of type LongTensor"),
        (lambda m: m.zeros(0, dtype=m.int64), -1, "Can not infer total number of classes"),
    ],
)
def test_one_hot_errors(lib, make: Callable, num_classes: int, match: str) -> None:
    with pytest.raises(RuntimeError, match=match):
        F(lib).one_hot(make(lib), num_classes)


# --- 8. bad arguments ----------------------------------------------------------------------------

ERRORS: list[Any] = [
    pytest.param(
        lambda m: F(m).linear(m.zeros(3, 4), m.zeros(5, 3)),
        RuntimeError,
        r"mat1 and mat2 shapes cannot be multiplied \(3x4 and 3x5\)",
        id="linear_shapes",
    ),
    pytest.param(
        lambda m: F(m).linear(m.zeros(2, 3, 4), m.zeros(5, 3)),
        RuntimeError,
        r"mat1 and mat2 shapes cannot be multiplied \(6x4 and 3x5\)",
        id="linear_shapes_3d",
    ),
    pytest.param(
        lambda m: F(m).linear(m.zeros(4), m.zeros(5, 3), m.zeros(5)),
        RuntimeError,
        r"mat1 and mat2 shapes cannot be multiplied \(1x4 and 3x5\)",
        id="linear_shapes_1d",
    ),
    pytest.param(
        lambda m: F(m).linear(m.zeros(3, 4), m.zeros(5, 4), m.zeros(4)),
        RuntimeError,
        r"expanded size of the tensor \(5\) must match the existing size \(4\) at non-singleton "
        r"dimension 1.  Target sizes: \[3, 5\].  Tensor sizes: \[4\]",
        id="linear_bias_shape",
    ),
    pytest.param(
        lambda m: F(m).linear(m.zeros(3, 4), m.zeros(5, 4, dtype=m.float64)),
        RuntimeError,
        "expected m1 and m2 to have the same dtype, but got: float != double",
        id="linear_dtypes",
    ),
    pytest.param(
        lambda m: F(m).linear(m.zeros(3, 4), m.zeros(5, 4), m.zeros(5, dtype=m.float64)),
        RuntimeError,
        "self and mat2 must have the same dtype, but got Double and Float",
        id="linear_bias_dtype",
    ),
    pytest.param(
        lambda m: F(m).linear(m.tensor(1.0), m.zeros(2, 3)),
        RuntimeError,
        "both arguments to linear need to be at least 1D, but they are 0D and 2D",
        id="linear_0d",
    ),
    pytest.param(
        lambda m: F(m).linear(m.zeros(3, 4), m.zeros(2, 5, 4)),
        RuntimeError,
        "t\\(\\) expects a tensor with <= 2 dimensions, but self is 3D",
        id="linear_3d_weight",
    ),
    pytest.param(
        lambda m: F(m).bilinear(m.zeros(3, 4), m.zeros(3, 3), m.zeros(5, 4, 2)),
        RuntimeError,
        "bilinear\\(\\): input2 size does not match weight size: got 3 but expected 2",
        id="bilinear_input2",
    ),
    pytest.param(
        lambda m: F(m).bilinear(m.zeros(3, 3), m.zeros(3, 2), m.zeros(5, 4, 2)),
        RuntimeError,
        "bilinear\\(\\): input1 size does not match weight size: got 3 but expected 4",
        id="bilinear_input1",
    ),
    pytest.param(
        lambda m: F(m).bilinear(m.zeros(3, 4), m.zeros(2, 2), m.zeros(5, 4, 2)),
        RuntimeError,
        "bilinear\\(\\): input batch dimensions do not match at dim 0: got 3 and 2",
        id="bilinear_batch",
    ),
    pytest.param(
        lambda m: F(m).bilinear(m.zeros(3, 4), m.zeros(2), m.zeros(5, 4, 2)),
        RuntimeError,
        "bilinear\\(\\): input dimensions do not match: got 2 and 1",
        id="bilinear_ndim",
    ),
    pytest.param(
        lambda m: F(m).bilinear(m.zeros(3, 4), m.zeros(3, 2), m.zeros(5, 4, 2), m.zeros(4)),
        RuntimeError,
        "bilinear\\(\\): bias size does not match weight size: got 4 but expected 5",
        id="bilinear_bias",
    ),
    pytest.param(
        lambda m: F(m).glu(m.zeros(3, 3)),
        RuntimeError,
        "Halving dimension must be even, but dimension 1 is size 3",
        id="glu_odd",
    ),
    pytest.param(
        lambda m: F(m).glu(m.tensor(1.0)),
        RuntimeError,
        "glu does not support scalars",
        id="glu_0d",
    ),
    pytest.param(lambda m: F(m).glu(m.zeros(2, 4), 2), IndexError, "out of range", id="glu_dim"),
    pytest.param(
        lambda m: F(m).softmax(m.zeros(2, 3), 2), IndexError, "out of range", id="softmax_dim"
    ),
    pytest.param(
        lambda m: F(m).hardtanh(m.zeros(2), 1.0, -1.0),
        ValueError,
        "min_val cannot be greater than max_val",
        id="hardtanh_bounds",
    ),
    pytest.param(
        lambda m: F(m).celu(m.zeros(2), 0.0),
        RuntimeError,
        "alpha cannot be 0 for CELU",
        id="celu_alpha_0",
    ),
    pytest.param(
        lambda m: F(m).gelu(m.zeros(2), approximate="erf"),
        RuntimeError,
        "approximate argument must be either none or tanh",
        id="gelu_approximate",
    ),
    pytest.param(
        lambda m: F(m).cosine_similarity(m.tensor([1, 2]), m.tensor([1, 0]), 0),
        RuntimeError,
        "expected common dtype to be floating point, yet common dtype is Long",
        id="cosine_int",
    ),
    pytest.param(
        lambda m: F(m).cosine_similarity(m.zeros(3, 2), m.zeros(3, 4)),
        RuntimeError,
        r"size of tensor a \(2\) must match the size of tensor b \(4\) at non-singleton "
        r"dimension 1",
        id="cosine_shapes",
    ),
    pytest.param(
        lambda m: F(m).normalize(m.tensor([[3, 4]])),
        RuntimeError,
        "Expected a floating point or complex tensor as input. Got Long",
        id="normalize_int",
    ),
    pytest.param(
        lambda m: F(m).normalize(m.zeros(3)), IndexError, "out of range", id="normalize_dim"
    ),
]


@pytest.mark.parametrize(("make", "exc", "match"), ERRORS)
def test_bad_arguments_raise_as_torch(lib, make: Callable, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        make(lib)


INTEGER_REFUSED = [
    "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "hardsigmoid",
    "hardswish", "logsigmoid",
]  # fmt: skip


@pytest.mark.parametrize("name", INTEGER_REFUSED)
def test_integer_inputs_refused_as_torch(lib, name: str) -> None:
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        getattr(F(lib), name)(lib.tensor([1, -2]))


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda m, x: F(m).relu6(x), id="relu6"),
        pytest.param(lambda m, x: F(m).hardtanh(x, -1.5, 2.5), id="hardtanh"),
        pytest.param(lambda m, x: F(m).relu(x), id="relu"),
        pytest.param(lambda m, x: F(m).softsign(x), id="softsign"),
        pytest.param(lambda m, x: F(m).tanhshrink(x), id="tanhshrink"),
        pytest.param(lambda m, x: F(m).softmax(x, 0, dtype=m.float64), id="softmax_dtype"),
        pytest.param(lambda m, x: F(m).pairwise_distance(x, x * 2), id="pairwise_distance"),
        pytest.param(lambda m, x: F(m).linear(x[None], x[None]), id="linear"),
    ],
)
def test_integer_inputs_accepted_as_torch(torch, fn: Callable) -> None:
    ours = fn(chainrule, chainrule.tensor([1, -2, 7]))
    theirs = fn(torch, torch.tensor([1, -2, 7]))
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(vals(ours), vals(theirs), rtol=1e-6)


def test_embedding_sparse_gradients_are_refused():
    w = chainrule.zeros(3, 2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="sparse"):
        F(chainrule).embedding(chainrule.tensor([1]), w, sparse=True)
