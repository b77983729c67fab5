"""Convolution and pooling beside torch: random geometries (hypothesis), 'same' padding, ties
and NaN in max pooling, indices, unbatched inputs, grad_fn names, integer inputs and errors.

Forward, gradients, gradcheck and gradgradcheck on fixed samples come from the records in
opdb_conv.py.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import chainrule


def F(m: Any) -> Any:
    return m.nn.functional


def to_np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def run(m: Any, fn: Any, arrays: list, dtype: str, upstream: np.ndarray | None = None) -> tuple:
    """fn(m, *leaves): the output (and indices, if a pair) and every leaf's gradient."""
    leaves = [m.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's note on 'same' with even kernels
        out = fn(m, *leaves)
    idx = None
    if isinstance(out, tuple):
        out, idx = out
    g = np.ones(tuple(out.shape)) if upstream is None else upstream
    out.backward(gradient=m.tensor(g.astype(dtype)))
    grads = [None if x.grad is None else to_np(x.grad) for x in leaves]
    return to_np(out), None if idx is None else to_np(idx), grads, out.grad_fn.name()


def same_as_torch(torch: Any, fn: Any, arrays: list, dtype: str = "float64", seed: int = 0,
                  exact: bool = False) -> None:  # fmt: skip
    """Values, indices, gradients (for a random upstream gradient) and grad_fn name agree."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = fn(torch, *[torch.tensor(a.astype(dtype)) for a in arrays])
    shape = tuple((probe[0] if isinstance(probe, tuple) else probe).shape)
    g = np.random.default_rng(seed).standard_normal(shape)
    ours, theirs = run(chainrule, fn, arrays, dtype, g), run(torch, fn, arrays, dtype, g)
    rtol, atol = (0, 0) if exact else ((1e-9, 1e-11) if dtype == "float64" else (1e-4, 1e-5))
    np.testing.assert_allclose(ours[0], theirs[0], rtol=rtol, atol=atol, err_msg="output")
    assert ours[0].dtype == theirs[0].dtype
    if theirs[1] is not None:
        np.testing.assert_array_equal(ours[1], theirs[1], err_msg="indices")
        assert ours[1].dtype == theirs[1].dtype == np.int64
    for k, (a, b) in enumerate(zip(ours[2], theirs[2])):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"grad of input {k}")
    assert ours[3] == theirs[3]


# --- hypothesis: random geometries ----------------------------------------------------------------


@st.composite
def conv_cases(draw: Any) -> tuple:
    """(nd, transposed, shapes, kwargs) for conv{1,2}d / conv_transpose{1,2}d."""
    nd = draw(st.sampled_from([1, 2]))
    transposed = draw(st.booleans())
    groups = draw(st.integers(1, 3))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = [draw(st.integers(1, 3)) for _ in range(nd)]
    stride = [draw(st.integers(1, 3)) for _ in range(nd)]
    dil = [draw(st.integers(1, 2)) for _ in range(nd)]
    span = [dv * (kv - 1) + 1 for dv, kv in zip(dil, k)]
    batch = draw(st.sampled_from([None, 1, 2]))
    lead = () if batch is None else (batch,)
    kw: dict[str, Any] = {"stride": stride, "dilation": dil, "groups": groups}
    if transposed:
        pad = [draw(st.integers(0, 2)) for _ in range(nd)]
        opad = [draw(st.integers(0, max(s, dv) - 1)) for s, dv in zip(stride, dil)]
        size = [draw(st.integers(1, 4)) for _ in range(nd)]
        out = [
            (i - 1) * s - 2 * p + sp + o for i, s, p, sp, o in zip(size, stride, pad, span, opad)
        ]
        assume(min(out) >= 1)
        kw.update(padding=pad, output_padding=opad)
        shapes = [lead + (cin, *size), (cin, cout // groups, *k)]
    else:
        padding = draw(st.sampled_from(["int", "list", "valid", "same"]))
        if padding == "same":
            kw["stride"] = 1
            kw["padding"] = "same"
            pad = [0] * nd
        elif padding == "valid":
            kw["padding"], pad = "valid", [0] * nd
        else:
            pad = (
                [draw(st.integers(0, 2))] * nd
                if padding == "int"
                else [draw(st.integers(0, 2)) for _ in range(nd)]
            )
            kw["padding"] = pad[0] if padding == "int" else pad
        size = [draw(st.integers(max(1, sp - 2 * p), sp + 4)) for sp, p in zip(span, pad)]
        shapes = [lead + (cin, *size), (cout, cin // groups, *k)]
    if draw(st.booleans()):
        shapes.append((cout,))
    return nd, transposed, shapes, kw


def conv_fn(nd: int, transposed: bool, kw: dict) -> Any:
    name = f"conv_transpose{nd}d" if transposed else f"conv{nd}d"
    return lambda m, x, w, b=None: getattr(F(m), name)(x, w, b, **kw)


# the `torch` fixture is the module itself: nothing to reset between examples
module_fixture = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@module_fixture
@given(case=conv_cases(), seed=st.integers(0, 2**31), dtype=st.sampled_from(["float32", "float64"]))
def test_convolution_matches_torch(torch, case, seed, dtype):
    nd, transposed, shapes, kw = case
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    same_as_torch(torch, conv_fn(nd, transposed, kw), arrays, dtype, seed)


@st.composite
def pool_cases(draw: Any) -> tuple:
    """(name, shape, kwargs) for max/avg pooling in 1-D and 2-D."""
    nd = draw(st.sampled_from([1, 2]))
    kind = draw(st.sampled_from(["max", "avg"]))
    k = [draw(st.integers(1, 3)) for _ in range(nd)]
    stride = [draw(st.integers(1, 3)) for _ in range(nd)]
    pad = [draw(st.integers(0, kv // 2)) for kv in k]
    dil = [draw(st.integers(1, 2)) if kind == "max" else 1 for _ in range(nd)]
    span = [dv * (kv - 1) + 1 for dv, kv in zip(dil, k)]
    size = [draw(st.integers(max(1, sp - 2 * p), sp + 5)) for sp, p in zip(span, pad)]
    kw: dict[str, Any] = {"kernel_size": k, "stride": stride, "padding": pad,
                          "ceil_mode": draw(st.booleans())}  # fmt: skip
    if kind == "max":
        kw["dilation"] = dil
        kw["return_indices"] = draw(st.booleans())
    else:
        kw["count_include_pad"] = draw(st.booleans())
        if nd == 2 and draw(st.booleans()):
            kw["divisor_override"] = draw(st.integers(1, 5))
    lead = draw(st.sampled_from([(2,), (1, 2), (2, 3)]))  # unbatched or batched
    return f"{kind}_pool{nd}d", lead + tuple(size), kw


@module_fixture
@given(case=pool_cases(), seed=st.integers(0, 2**31), ties=st.booleans())
def test_pooling_matches_torch(torch, case, seed, ties):
    name, shape, kw = case
    rng = np.random.default_rng(seed)
    # small integers make ties in most windows: gradients and indices must still be torch's
    x = rng.integers(-2, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    same_as_torch(torch, lambda m, x: getattr(F(m), name)(x, **kw), [x], seed=seed)


@module_fixture
@given(
    shape=st.tuples(st.integers(1, 2), st.integers(1, 7), st.integers(1, 7)),
    out=st.tuples(st.integers(1, 8), st.integers(1, 8)),
    kind=st.sampled_from(["adaptive_avg_pool2d", "adaptive_max_pool2d"]),
    ties=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_adaptive_pooling_matches_torch(torch, shape, out, kind, ties, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, shape).astype(float) if ties else rng.standard_normal(shape)
    kw = {"return_indices": True} if kind == "adaptive_max_pool2d" else {}
    same_as_torch(torch, lambda m, x: getattr(F(m), kind)(x, out, **kw), [x], seed=seed)


# --- 'same' padding -----------------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("dilation", [1, 2, 3])
def test_same_padding_keeps_the_size_and_matches_torch(torch, k, dilation):
    rng = np.random.default_rng(k * 10 + dilation)
    x, w = rng.standard_normal((2, 2, 7, 6)), rng.standard_normal((3, 2, k, 5 - k // 2))
    same_as_torch(torch, lambda m, x, w: F(m).conv2d(x, w, padding="same", dilation=dilation),
                  [x, w])  # fmt: skip
    same_as_torch(torch, lambda m, x, w: m.conv1d(x, w, padding="same", dilation=dilation),
                  [x[:, :, 0], w[:, :, 0]])  # fmt: skip
    y = F(chainrule).conv2d(chainrule.tensor(x), chainrule.tensor(w), padding="same")
    assert tuple(y.shape) == (2, 3, 7, 6)


# --- max pooling: ties, NaN, -inf and indices ----------------------------------------------------

TIES = [
    pytest.param(lambda m, x: F(m).max_pool2d(x, 2, return_indices=True), (1, 1, 4, 4),
                 id="all_equal"),
    pytest.param(lambda m, x: F(m).max_pool2d(x.relu(), 2, 1, return_indices=True), (2, 2, 5, 5),
                 id="relu_zeros_overlapping"),
    pytest.param(lambda m, x: F(m).max_pool2d(x, 3, 2, 1, return_indices=True), (1, 2, 5, 5),
                 id="padding"),
    pytest.param(lambda m, x: F(m).max_pool2d(x, 2, 1, dilation=2, ceil_mode=True,
                                              return_indices=True), (1, 1, 6, 5), id="dilation"),
    pytest.param(lambda m, x: F(m).max_pool1d(x, 3, 1, 1, return_indices=True), (2, 8),
                 id="1d"),
    pytest.param(lambda m, x: F(m).adaptive_max_pool2d(x, (3, 2), return_indices=True),
                 (1, 2, 5, 5), id="adaptive"),
    pytest.param(lambda m, x: F(m).adaptive_max_pool2d(x, (6, 7), return_indices=True),
                 (1, 2, 4, 3), id="adaptive_upsample"),
]  # fmt: skip


@pytest.mark.parametrize("fill", ["zeros", "ints"])
@pytest.mark.parametrize(("fn", "shape"), TIES)
def test_max_pool_ties_go_to_torchs_index(torch, fn, shape, fill):
    # torch scans each window row-major and keeps the first maximum: all of the gradient goes
    # there (not split among the tied elements, unlike max())
    rng = np.random.default_rng(0)
    x = np.zeros(shape) if fill == "zeros" else rng.integers(0, 2, shape).astype(float)
    same_as_torch(torch, fn, [x], exact=True)


@pytest.mark.parametrize(("fn", "shape"), [p for p in TIES if p.id != "relu_zeros_overlapping"])
@pytest.mark.parametrize("special", ["nan", "-inf", "inf"])
def test_max_pool_nan_and_infinities_follow_torch(torch, fn, shape, special):
    # NaN wins a window and the last NaN in it gets the gradient; an all -inf window picks its
    # first element inside the input (padding never wins)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, shape).astype(float)
    x[rng.random(shape) < 0.4] = float(special)
    if special == "-inf":
        x[...] = -np.inf
    ours = run(chainrule, fn, [x], "float64")
    theirs = run(torch, fn, [x], "float64")
    np.testing.assert_array_equal(ours[0], theirs[0])
    np.testing.assert_array_equal(ours[1], theirs[1])
    np.testing.assert_array_equal(ours[2][0], theirs[2][0])


def test_max_pool_tie_convention():
    x = chainrule.tensor([[[1.0, 3.0, 3.0, 2.0, 2.0]]], requires_grad=True)
    out, idx = F(chainrule).max_pool1d(x, 3, 1, 1, return_indices=True)
    out.sum().backward()
    assert idx.tolist() == [[[1, 1, 1, 2, 3]]]
    assert x.grad.tolist() == [[[0.0, 3.0, 1.0, 1.0, 0.0]]]


POOLS_OF_VALUES = [
    lambda m, x: F(m).max_pool2d(x, 2, 1, 1, return_indices=True),
    lambda m, x: F(m).avg_pool2d(x, 3, 2, 1, ceil_mode=True),
    lambda m, x: F(m).avg_pool2d(x, 2, count_include_pad=False, divisor_override=3),
    lambda m, x: m.avg_pool1d(x[0], 2, padding=1),
]


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8", "float16", "float32"])
@pytest.mark.parametrize("fn", POOLS_OF_VALUES)
def test_pooling_other_dtypes(torch, fn, dtype):
    # avg pooling takes int64 (dividing with truncation) but no other integer type, as torch
    x = np.random.default_rng(2).integers(-9 if dtype != "uint8" else 0, 10, (2, 3, 6, 5))
    try:
        theirs = fn(torch, torch.tensor(x.astype(dtype)))
    except NotImplementedError as e:
        with pytest.raises(NotImplementedError, match=str(e).replace('"', ".")):
            fn(chainrule, chainrule.tensor(x.astype(dtype)))
        return
    ours = fn(chainrule, chainrule.tensor(x.astype(dtype)))
    ours, theirs = (ours, theirs) if isinstance(ours, tuple) else ((ours,), (theirs,))
    for a, b in zip(ours, theirs):
        assert str(b.dtype) == f"torch.{a.dtype.name}"
        np.testing.assert_allclose(to_np(a), to_np(b), rtol=1e-3)


def test_convolution_of_integers(torch):
    rng = np.random.default_rng(3)
    x, w = rng.integers(-3, 4, (1, 2, 5, 5)), rng.integers(-3, 4, (3, 2, 2, 2))
    for dtype in ("int64", "int32"):
        ours = chainrule.conv2d(
            chainrule.tensor(x.astype(dtype)), chainrule.tensor(w.astype(dtype))
        )
        theirs = torch.conv2d(torch.tensor(x.astype(dtype)), torch.tensor(w.astype(dtype)))
        assert str(theirs.dtype) == f"torch.{ours.dtype.name}"
        np.testing.assert_array_equal(to_np(ours), to_np(theirs))


def test_max_pool_without_grad_gives_the_same_values(lib):
    x = lib.tensor(np.random.default_rng(4).standard_normal((2, 2, 5, 5)), requires_grad=True)
    with_grad = F(lib).max_pool2d(x, 3, 2, 1)
    with lib.no_grad():
        without = F(lib).max_pool2d(x, 3, 2, 1)
    np.testing.assert_array_equal(to_np(with_grad), to_np(without))
    assert without.grad_fn is None


# --- unbatched inputs and graph structure ---------------------------------------------------------

UNBATCHED = [
    pytest.param(lambda m, x, w: F(m).conv2d(x, w, padding=1), (3, 5, 4), (2, 3, 3, 3),
                 id="conv2d"),
    pytest.param(lambda m, x, w: F(m).conv1d(x, w[..., 0], stride=2), (3, 5), (2, 3, 3, 3),
                 id="conv1d"),
    pytest.param(lambda m, x, w: F(m).conv_transpose2d(x, w, stride=2),
                 (2, 3, 4), (2, 3, 3, 3), id="conv_transpose2d"),
    pytest.param(lambda m, x, w: F(m).conv_transpose1d(x, w[..., 0]),
                 (2, 6), (2, 3, 3, 3), id="conv_transpose1d"),
    pytest.param(lambda m, x, w: F(m).max_pool2d(x * w.sum(), 2), (3, 5, 4), (1,), id="max_pool2d"),
    pytest.param(lambda m, x, w: F(m).max_pool1d(x * w.sum(), 2), (3, 5), (1,), id="max_pool1d"),
    pytest.param(lambda m, x, w: F(m).avg_pool2d(x * w.sum(), 2), (3, 5, 4), (1,), id="avg_pool2d"),
    pytest.param(lambda m, x, w: F(m).avg_pool1d(x * w.sum(), 2), (3, 5), (1,), id="avg_pool1d"),
    pytest.param(lambda m, x, w: F(m).adaptive_avg_pool2d(x * w.sum(), 2), (3, 5, 4), (1,),
                 id="adaptive_avg_pool2d"),
    pytest.param(lambda m, x, w: F(m).adaptive_max_pool2d(x * w.sum(), 2), (3, 5, 4), (1,),
                 id="adaptive_max_pool2d"),
    pytest.param(lambda m, x, w: F(m).adaptive_avg_pool1d(x * w.sum(), 2), (3, 5), (1,),
                 id="adaptive_avg_pool1d"),
    pytest.param(lambda m, x, w: F(m).adaptive_max_pool1d(x * w.sum(), 2), (3, 5), (1,),
                 id="adaptive_max_pool1d"),
]  # fmt: skip


@pytest.mark.parametrize(("fn", "xshape", "wshape"), UNBATCHED)
def test_unbatched_inputs_match_torch(torch, fn, xshape, wshape):
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal(xshape), rng.standard_normal(wshape)
    same_as_torch(torch, fn, [x, w])
    w_ = chainrule.tensor(w)
    batched = to_np(fn(chainrule, chainrule.tensor(x[None]), w_))[0]
    np.testing.assert_allclose(batched, to_np(fn(chainrule, chainrule.tensor(x), w_)), rtol=1e-12)


GRAPHS = [
    pytest.param(lambda m, x: F(m).conv2d(x, x[:2, :, :2, :2]), id="conv2d"),
    pytest.param(
        lambda m, x: F(m).conv_transpose2d(x, x[0, :, :2, :2].reshape(3, 1, 2, 2)),
        id="conv_transpose2d",
    ),
    pytest.param(lambda m, x: F(m).max_pool2d(x, 2), id="max_pool2d"),
    pytest.param(lambda m, x: F(m).avg_pool2d(x, 2), id="avg_pool2d"),
    pytest.param(lambda m, x: F(m).adaptive_avg_pool2d(x, 3), id="adaptive_avg_pool2d"),
    pytest.param(lambda m, x: F(m).adaptive_max_pool2d(x, 3), id="adaptive_max_pool2d"),
]


def names(node: Any, depth: int = 3) -> list:
    """grad_fn names down the first edges."""
    out = []
    while node is not None and depth:
        out.append(node.name())
        nxt = [n for n, _ in node.next_functions if n is not None]
        node, depth = (nxt[0] if nxt else None), depth - 1
    return out


@pytest.mark.parametrize("fn", GRAPHS)
def test_grad_fn_names_match_torch_to_second_order(torch, fn):
    x = np.random.default_rng(6).standard_normal((2, 3, 5, 5))
    got = {}
    for m in (chainrule, torch):
        t = m.tensor(x, requires_grad=True)
        out = fn(m, t)
        (g,) = m.autograd.grad((out * out).sum(), [t], create_graph=True)
        got[m.__name__] = (out.grad_fn.name(), g.grad_fn.name())
    assert got["chainrule"] == got["torch"]


def test_double_backward_through_a_small_convnet(torch):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s) for s in [(2, 1, 6, 6), (3, 1, 3, 3), (3,), (2, 3, 2, 2)]]
    results = []
    for m in (chainrule, torch):
        x, w1, b1, w2 = [m.tensor(a, requires_grad=True) for a in arrays]
        h = F(m).max_pool2d(F(m).conv2d(x, w1, b1, padding=1).tanh(), 2)
        y = F(m).conv_transpose2d(F(m).avg_pool2d(h, 2, 1), w2.transpose(0, 1))
        gx, gw = m.autograd.grad((y**2).sum(), [x, w1], create_graph=True)
        second = m.autograd.grad((gx**2).sum() + (gw * gw).sum(), [x, w1, b1, w2])
        results.append([to_np(t) for t in (gx, gw, *second)])
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10)


# --- errors, as torch raises them -----------------------------------------------------------------


def _z(m: Any, *shape: int, dtype: Any = None) -> Any:
    return m.zeros(*shape, dtype=dtype)


ERRORS = [
    pytest.param(lambda m: F(m).conv2d(_z(m, 3, 8), _z(m, 4, 3, 3, 3)), RuntimeError,
                 r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of "
                 r"size: \[3, 8\]", id="conv2d_2d_input"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 1, 2, 3, 8, 8), _z(m, 4, 3, 3, 3)), RuntimeError,
                 r"input of size: \[1, 2, 3, 8, 8\]", id="conv2d_5d_input"),
    pytest.param(lambda m: F(m).conv1d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 3)), RuntimeError,
                 r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d", id="conv1d_4d"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 2, 3, 3)), RuntimeError,
                 r"Given groups=1, weight of size \[4, 2, 3, 3\], expected input\[2, 3, 8, 8\] to "
                 r"have 2 channels, but got 3 channels instead", id="channels"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 3, 8, 8), _z(m, 4, 2, 3, 3)), RuntimeError,
                 r"expected input\[1, 3, 8, 8\] to have 2 channels", id="channels_unbatched"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 1, 3, 3), groups=2),
                 RuntimeError, r"Given groups=2, weight of size \[4, 1, 3, 3\], expected "
                 r"input\[2, 3, 8, 8\] to have 2 channels", id="groups_channels"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 4, 8, 8), _z(m, 3, 2, 3, 3), groups=2),
                 RuntimeError, r"expected weight to be divisible by 2 at dimension 0, but got "
                 r"weight of size \[\[3, 2, 3, 3\]\]", id="groups_divisible"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 3, 3), groups=0),
                 RuntimeError, "non-positive groups is not supported", id="groups_zero"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 9, 9)), RuntimeError,
                 r"Calculated padded input size per channel: \(8 x 8\). Kernel size: \(9 x 9\). "
                 "Kernel size can't be greater than actual input size", id="kernel_too_big"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 3, 3), dilation=4),
                 RuntimeError, r"Kernel size: \(9 x 9\)", id="dilated_kernel_too_big"),
    pytest.param(lambda m: F(m).conv1d(_z(m, 1, 3, 2), _z(m, 4, 3, 3)), RuntimeError,
                 r"padded input size per channel: \(2\). Kernel size: \(3\)", id="conv1d_too_big"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 3, 3), padding="same",
                                       stride=2), RuntimeError,
                 "padding='same' is not supported for strided convolutions", id="same_stride"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 3, 3), padding="full"),
                 RuntimeError, "Invalid padding string: 'full'", id="padding_string"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 3, 3), padding=-1),
                 RuntimeError, "negative padding is not supported", id="negative_padding"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 3, 3), stride=0),
                 RuntimeError, "non-positive stride is not supported", id="stride_zero"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 3, 3), stride=(1, 1, 1)),
                 RuntimeError, r"expected stride to be a single integer value or a list of 2 "
                 r"values to match the convolution dimensions, but got stride=\[1, 1, 1\]",
                 id="stride_length"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 3, 3), _z(m, 3)),
                 RuntimeError, r"expected bias to be 1-dimensional with 4 elements, but got bias "
                 r"of size \[3\]", id="bias_shape"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 3, 3, dtype=m.float64)),
                 RuntimeError, r"Input type \(torch.FloatTensor\) and weight type "
                 r"\(torch.DoubleTensor\) should be the same", id="weight_dtype"),
    pytest.param(lambda m: F(m).conv2d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 3, 3),
                                       _z(m, 4, dtype=m.float64)), RuntimeError,
                 r"Input type \(float\) and bias type \(double\) should be the same",
                 id="bias_dtype"),
    pytest.param(lambda m: F(m).conv_transpose2d(_z(m, 2, 3, 8, 8), _z(m, 4, 3, 3, 3)),
                 RuntimeError, r"Given transposed=1, weight of size \[4, 3, 3, 3\], expected "
                 r"input\[2, 3, 8, 8\] to have 4 channels", id="transpose_channels"),
    pytest.param(lambda m: F(m).conv_transpose2d(_z(m, 2, 3, 8, 8), _z(m, 3, 4, 3, 3),
                                                 output_padding=1), RuntimeError,
                 "output padding must be smaller than either stride or dilation, but got "
                 "output_padding_height: 1 output_padding_width: 1 stride_height: 1",
                 id="output_padding"),
    pytest.param(lambda m: F(m).conv_transpose1d(_z(m, 2, 3, 8), _z(m, 3, 4, 3),
                                                 output_padding=1), RuntimeError,
                 "output_padding_height: 0 output_padding_width: 1", id="output_padding_1d"),
    pytest.param(lambda m: F(m).conv_transpose2d(_z(m, 1, 3, 1, 1), _z(m, 3, 4, 1, 1),
                                                 padding=1), RuntimeError,
                 r"Given input size per channel: \(1 x 1\). Calculated output size per channel: "
                 r"\(-1 x -1\). Output size is too small", id="transpose_too_small"),
    pytest.param(lambda m: F(m).conv_transpose2d(_z(m, 3, 8), _z(m, 3, 4, 3, 3)), RuntimeError,
                 "input to conv_transpose2d", id="transpose_2d_input"),
    pytest.param(lambda m: F(m).conv_transpose2d(_z(m, 1, 3, 8, 8), _z(m, 3, 4, 3, 3),
                                                 padding="same"), TypeError,
                 "argument 'padding'", id="transpose_same"),
    pytest.param(lambda m: F(m).max_pool2d(_z(m, 8, 8), 2), RuntimeError,
                 r"non-empty 3D or 4D \(batch mode\) tensor expected for input", id="mp_2d"),
    pytest.param(lambda m: F(m).max_pool2d(_z(m, 1, 1, 1, 8, 8), 2), RuntimeError,
                 "non-empty 3D or 4D", id="mp_5d"),
    pytest.param(lambda m: F(m).max_pool2d(_z(m, 2, 0, 8, 8), 2), RuntimeError,
                 r"with optional 0 dim batch size for input, but got:\[2, 0, 8, 8\]",
                 id="mp_empty_channels"),
    pytest.param(lambda m: F(m).max_pool2d(_z(m, 1, 3, 8, 8), 2, padding=2), RuntimeError,
                 "pad should be at most half of effective kernel size, but got pad=2, "
                 "kernel_size=2 and dilation=1", id="mp_padding"),
    pytest.param(lambda m: F(m).max_pool2d(_z(m, 1, 3, 8, 8), 2, 1, padding=2, dilation=3),
                 RuntimeError, "pad should be smaller than or equal to half of kernel size, but "
                 "got padW = 2, padH = 2, kW = 2, kH = 2", id="mp_padding_dilated"),
    pytest.param(lambda m: F(m).max_pool2d(_z(m, 1, 3, 8, 8), 9), RuntimeError,
                 r"Given input size: \(3x8x8\). Calculated output size: \(3x0x0\). Output size is "
                 "too small", id="mp_too_big"),
    pytest.param(lambda m: F(m).max_pool2d(_z(m, 1, 3, 8, 8), 0), RuntimeError,
                 "stride should not be zero", id="mp_kernel_zero"),
    pytest.param(lambda m: F(m).max_pool2d(_z(m, 1, 3, 8, 8), 0, 1), RuntimeError,
                 "kernel size should be greater than zero, but got kH: 0 kW: 0",
                 id="mp_kernel_zero_stride"),
    pytest.param(lambda m: F(m).max_pool2d(_z(m, 1, 3, 8, 8), 2, dilation=0), RuntimeError,
                 "dilation should be greater than zero", id="mp_dilation"),
    pytest.param(lambda m: F(m).max_pool2d(_z(m, 1, 3, 8, 8), (2, 2, 2)), RuntimeError,
                 "max_pool2d: kernel_size must either be a single int, or a tuple of two ints",
                 id="mp_kernel_tuple"),
    pytest.param(lambda m: F(m).max_pool2d(_z(m, 1, 3, 8, 8), 2, (1, 1, 1)), RuntimeError,
                 "max_pool2d: stride must either be omitted", id="mp_stride_tuple"),
    pytest.param(lambda m: F(m).max_pool1d(_z(m, 8), 2), RuntimeError,
                 r"max_pool1d: Expected 2D or 3D \(batch mode\) tensor with optional 0 dim batch "
                 r"size for input, but got:\[8\]", id="mp1d_1d"),
    pytest.param(lambda m: F(m).max_pool1d(_z(m, 2, 3, 8), 2, padding=2), RuntimeError,
                 r"max_pool1d\(\) padding should be at most half of kernel size, but got "
                 "padding=2 and kernel_size=2", id="mp1d_padding"),
    pytest.param(lambda m: F(m).max_pool1d(_z(m, 2, 3, 8), 2, padding=2, return_indices=True),
                 RuntimeError, "pad should be at most half of effective kernel size",
                 id="mp1d_indices_padding"),
    pytest.param(lambda m: F(m).max_pool1d(_z(m, 2, 3, 8), 9), RuntimeError,
                 r"max_pool1d\(\) Invalid computed output size: 0", id="mp1d_too_big"),
    pytest.param(lambda m: F(m).max_pool1d(_z(m, 2, 3, 8), (2, 2)), RuntimeError,
                 r"max_pool1d\(\) kernel_size must be an int, list of ints or tuple of ints of "
                 "size 1 but got size 2", id="mp1d_kernel_tuple"),
    pytest.param(lambda m: F(m).max_pool1d(_z(m, 2, 3, 8, 8), 2, return_indices=True),
                 RuntimeError, "Expected 2 to 3 dimensions, but got 4-dimensional tensor for "
                 r"argument #1 'self' \(while checking arguments for max_pool1d\)",
                 id="mp1d_indices_4d"),
    pytest.param(lambda m: F(m).avg_pool2d(_z(m, 8, 8), 2), IndexError,
                 r"Dimension out of range \(expected to be in range of \[-2, 1\], but got -3\)",
                 id="ap_2d"),
    pytest.param(lambda m: F(m).avg_pool2d(_z(m, 1, 1, 1, 8, 8), 2), RuntimeError,
                 "Expected 3D or 4D", id="ap_5d"),
    pytest.param(lambda m: F(m).avg_pool2d(_z(m, 1, 3, 8, 8), 2, padding=2), RuntimeError,
                 "pad should be at most half of effective kernel size", id="ap_padding"),
    pytest.param(lambda m: F(m).avg_pool2d(_z(m, 1, 3, 8, 8), 2, padding=-1), RuntimeError,
                 "pad must be non-negative, but got pad: -1", id="ap_negative_padding"),
    pytest.param(lambda m: F(m).avg_pool2d(_z(m, 1, 3, 8, 8), 2, divisor_override=0),
                 RuntimeError, "divisor must be not zero", id="ap_divisor"),
    pytest.param(lambda m: F(m).avg_pool1d(_z(m, 1, 3, 8, 8), 2), RuntimeError,
                 "while checking arguments for avg_pool1d", id="ap1d_4d"),
    pytest.param(lambda m: F(m).avg_pool1d(_z(m, 1, 3, 8), (2, 2)), RuntimeError,
                 r"avg_pool1d\(\) argument 'kernel_size' should contain one int \(got 2\)",
                 id="ap1d_kernel_tuple"),
    pytest.param(lambda m: F(m).adaptive_avg_pool2d(_z(m, 8), 2), RuntimeError,
                 r"adaptive_avg_pool2d\(\): Expected 3D or 4D tensor, but got \[8\]",
                 id="aap_1d"),
    pytest.param(lambda m: F(m).adaptive_avg_pool2d(_z(m, 2, 3, 8, 8), -1), RuntimeError,
                 "elements of output_size must be greater than or equal to 0 but received "
                 r"\{-1, -1\}", id="aap_negative"),
    pytest.param(lambda m: F(m).adaptive_avg_pool2d(_z(m, 2, 3, 8, 8), (2, 2, 2)), RuntimeError,
                 "adaptive_avg_pool2d: output_size must be 2", id="aap_three_sizes"),
    pytest.param(lambda m: F(m).adaptive_avg_pool2d(_z(m, 3, 8, 8), (2, 2, 2)), ValueError,
                 "Input dimension should be at least 4", id="aap_too_many_sizes"),
    pytest.param(lambda m: F(m).adaptive_avg_pool2d(_z(m, 2, 3, 0, 4), 2), RuntimeError,
                 r"input has sizes \[2, 3, 0, 4\] with dimension 2 being empty", id="aap_empty"),
    pytest.param(lambda m: F(m).adaptive_avg_pool2d(_z(m, 2, 3, 4, 4, dtype=m.int64), 2),
                 NotImplementedError, "\"adaptive_avg_pool2d\" not implemented for 'Long'",
                 id="aap_long"),
    pytest.param(lambda m: F(m).adaptive_max_pool2d(_z(m, 8, 8), 2), RuntimeError,
                 r"adaptive_max_pool2d\(\): Expected 3D or 4D tensor, but got: \[8, 8\]",
                 id="amp_2d"),
    pytest.param(lambda m: F(m).adaptive_max_pool2d(_z(m, 2, 3, 0, 4), 2), RuntimeError,
                 "with dimension 2 being empty", id="amp_empty"),
    pytest.param(lambda m: F(m).adaptive_avg_pool1d(_z(m, 2, 3, 8), (2, 2)), RuntimeError,
                 r"adaptive_avg_pool1d\(\) argument 'output_size' should contain one int",
                 id="aap1d_tuple"),
]  # fmt: skip


@pytest.mark.parametrize(("fn", "exc", "match"), ERRORS)
def test_errors_as_torch(lib, fn, exc, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=match):
            fn(lib)


def test_empty_batch_pools(lib):
    x = lib.zeros(0, 2, 4, 4, requires_grad=True)
    for out in (
        F(lib).max_pool2d(x, 2),
        F(lib).avg_pool2d(x, 2),
        F(lib).conv2d(x, lib.ones(3, 2, 3, 3)),
    ):
        out.sum().backward()
    assert tuple(x.grad.shape) == (0, 2, 4, 4)
