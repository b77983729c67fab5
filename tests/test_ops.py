"""Generic op tests over the op database (tests/opdb.py), plus the kink/tie conventions,
non-differentiable outputs, dtype promotion and gradient dtypes.

Every comparison with torch builds both libraries' inputs from the same NumPy arrays and feeds
both the same upstream gradient. Tests that need torch skip when it is absent; the gradcheck and
gradgradcheck tests (finite differences) run without it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes

import chainrule

# from the submodule: `chainrule.autograd.gradcheck` itself is pinned by
# test_autograd_gradcheck_names_are_the_functions
from chainrule.autograd.gradcheck import gradcheck, gradgradcheck
from opdb import OPS, OPS_BY_NAME, OpInfo, make_inputs, samples, seed_of, shape_id

try:
    import torch
except ImportError:  # the torch comparisons skip; gradcheck still runs
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

DTYPES = ("float32", "float64")


# --- helpers -------------------------------------------------------------------------------------


def dtype_name(t: Any) -> str:
    """`float32` for both chainrule.float32 and torch.float32."""
    if isinstance(t.dtype, chainrule.dtype):
        return t.dtype.name
    return str(t.dtype).replace("torch.", "")


def to_np(t: Any) -> np.ndarray:
    t = t.detach()
    if getattr(t, "_is_zerotensor", lambda: False)():  # torch's symbolic zeros (abs'')
        return np.zeros(tuple(t.shape), dtype_name(t))
    return np.asarray(t.numpy())


def leaves(m: Any, op: OpInfo, arrays: list[np.ndarray], dtype: str) -> list[Any]:
    return [
        m.tensor(a.astype(dtype), requires_grad=op.differentiable(i)) for i, a in enumerate(arrays)
    ]


def assert_same_tensor(ours: Any, theirs: Any, rtol: float, atol: float, what: str) -> None:
    """Same shape, dtype and (within tolerance) values."""
    assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape"
    assert dtype_name(ours) == dtype_name(theirs), f"{what}: dtype"
    np.testing.assert_allclose(to_np(ours), to_np(theirs), rtol=rtol, atol=atol, err_msg=what)


def check_against_torch(op: OpInfo, shapes: tuple, seed: int, dtype: str) -> None:
    """Forward, output dtype, and .grad of every differentiable input, chainrule vs torch."""
    rtol, atol = op.tolerance(dtype)
    arrays = make_inputs(op, shapes, seed)
    ours_in, theirs_in = leaves(chainrule, op, arrays, dtype), leaves(torch, op, arrays, dtype)
    ours, theirs = op.fn(chainrule, *ours_in), op.fn(torch, *theirs_in)
    assert_same_tensor(ours, theirs, rtol, atol, "output")
    assert ours.requires_grad == theirs.requires_grad
    if not theirs.requires_grad:
        return
    g = np.random.default_rng(seed + 1).standard_normal(tuple(theirs.shape))
    g = g.astype(dtype_name(theirs))
    ours.backward(gradient=chainrule.tensor(g))
    theirs.backward(gradient=torch.tensor(g))
    for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
        if not op.differentiable(i):
            assert a.grad is None
            continue
        assert (a.grad is None) == (b.grad is None), f"grad of input {i}: None vs not None"
        if b.grad is not None:
            assert_same_tensor(a.grad, b.grad, rtol, atol, f"grad of input {i}")


def float64_inputs(op: OpInfo, shapes: tuple, seed: int) -> list[Any]:
    return leaves(chainrule, op, make_inputs(op, shapes, seed), "float64")


def bound(op: OpInfo) -> Callable[..., Any]:
    def fn(*tensors: Any) -> Any:
        return op.fn(chainrule, *tensors)

    return fn


def second_derivatives(m: Any, op: OpInfo, arrays: list, seed: int) -> tuple[list, list]:
    """First derivatives (create_graph=True) along a random v, then the gradient of
    <first derivatives, w> with respect to the inputs and v; None read as zeros."""
    ins = leaves(m, op, arrays, "float64")
    out = op.fn(m, *ins)
    rng = np.random.default_rng(seed + 2)
    v = m.tensor(rng.standard_normal(tuple(out.shape)), requires_grad=True)
    wrt = [t for i, t in enumerate(ins) if op.differentiable(i)]
    first = m.autograd.grad(out, wrt, grad_outputs=v, create_graph=True, allow_unused=True)
    first = [f if f is not None else m.zeros_like(t) for f, t in zip(first, wrt)]
    ws = [m.tensor(rng.standard_normal(tuple(f.shape))) for f in first]
    terms = [(f * w).sum() for f, w in zip(first, ws) if f.requires_grad]
    targets = [*wrt, v]
    if not terms:
        second = [np.zeros(tuple(t.shape)) for t in targets]
    else:
        total = terms[0]
        for term in terms[1:]:
            total = total + term
        got = m.autograd.grad(total, targets, allow_unused=True)
        second = [np.zeros(tuple(t.shape)) if s is None else to_np(s) for s, t in zip(got, targets)]
    return [to_np(f) for f in first], second


def sample_params(ops: list[OpInfo] | None = None) -> list[Any]:
    return [
        pytest.param(op, i, shapes, id=f"{op.name}-{shape_id(shapes)}")
        for op, i, shapes in samples(OPS if ops is None else ops)
    ]


GRADCHECK_OPS = [op for op in OPS if op.gradcheck]
GRADGRAD_OPS = [op for op in OPS if op.gradcheck and op.gradgrad]


# --- 1. forward and backward against torch -------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("op", "index", "shapes"), sample_params())
def test_forward_backward_match_torch(op: OpInfo, index: int, shapes: tuple, dtype: str) -> None:
    check_against_torch(op, shapes, seed_of(op.name, index), dtype)


# --- 2. gradcheck ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("op", "index", "shapes"), sample_params(GRADCHECK_OPS))
def test_gradcheck(op: OpInfo, index: int, shapes: tuple) -> None:
    inputs = float64_inputs(op, shapes, seed_of(op.name, index))
    assert gradcheck(bound(op), tuple(inputs))


@pytest.mark.parametrize("name", ["gradcheck", "gradgradcheck"])
def test_autograd_gradcheck_names_are_the_functions(name: str) -> None:
    # as torch.autograd.gradcheck: the function, also after its submodule has been imported
    import chainrule.autograd.gradcheck  # noqa: F401

    for _ in range(2):
        assert callable(getattr(chainrule.autograd, name))


# --- 3. second derivatives ------------------------------------------------------------------------


@pytest.mark.parametrize(("op", "index", "shapes"), sample_params(GRADGRAD_OPS))
def test_gradgradcheck(op: OpInfo, index: int, shapes: tuple) -> None:
    inputs = float64_inputs(op, shapes, seed_of(op.name, index))
    assert gradgradcheck(bound(op), tuple(inputs))


@needs_torch
@pytest.mark.parametrize(("op", "index", "shapes"), sample_params(GRADGRAD_OPS))
def test_second_derivatives_match_torch(op: OpInfo, index: int, shapes: tuple) -> None:
    seed = seed_of(op.name, index)
    arrays = make_inputs(op, shapes, seed)
    ours_first, ours_second = second_derivatives(chainrule, op, arrays, seed)
    theirs_first, theirs_second = second_derivatives(torch, op, arrays, seed)
    rtol, atol = op.tolerance("float64")
    for k, (a, b) in enumerate(zip(ours_first, theirs_first)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"first derivative {k}")
    for k, (a, b) in enumerate(zip(ours_second, theirs_second)):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"second derivative {k}")


# --- 4. hypothesis: random shapes -----------------------------------------------------------------

BROADCAST_OPS = ["add", "sub", "mul", "div", "pow_tensor", "maximum", "minimum", "where"]


@needs_torch
@pytest.mark.parametrize("name", BROADCAST_OPS)
@given(
    shapes=mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=4, min_side=0, max_side=4
    ),
    seed=st.integers(0, 2**31),
    dtype=st.sampled_from(DTYPES),
)
def test_binary_broadcasting_matches_torch(name: str, shapes: Any, seed: int, dtype: str) -> None:
    op = OPS_BY_NAME[name]
    check_against_torch(op, tuple(shapes.input_shapes), seed, dtype)


@st.composite
def reduction_cases(draw: Any) -> tuple[str, Any, bool, tuple]:
    """(reduction, dim, keepdim, shape): dim None, an int (maybe negative) or a tuple of ints."""
    kind = draw(st.sampled_from(["sum", "mean", "max", "min", "max_dim", "min_dim"]))
    shape = draw(array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    n = max(len(shape), 1)  # a 0-d tensor accepts dim 0 and -1
    one_dim = st.integers(-n, n - 1)
    if kind in ("max", "min"):
        return kind, None, False, shape
    if kind in ("max_dim", "min_dim"):
        return kind, draw(one_dim), draw(st.booleans()), shape
    # torch refuses a dim listed twice (also as -1 and n - 1)
    unique = st.lists(one_dim, min_size=1, max_size=n, unique_by=lambda d: d % n).map(tuple)
    dims = st.none() | one_dim | unique
    return kind, draw(dims), draw(st.booleans()), shape


def reduction_op(kind: str, dim: Any, keepdim: bool, shape: tuple) -> OpInfo:
    if kind in ("max", "min"):
        fn = lambda m, x: getattr(x, kind)()
    elif kind in ("max_dim", "min_dim"):
        fn = lambda m, x: getattr(x, kind[:3])(dim, keepdim=keepdim).values
    elif dim is None:
        fn = lambda m, x: getattr(x, kind)()
    else:
        fn = lambda m, x: getattr(x, kind)(dim, keepdim=keepdim)
    return OpInfo(f"{kind}-hyp", fn, ((shape,),), distinct=kind.startswith(("max", "min")))


@needs_torch
@given(case=reduction_cases(), seed=st.integers(0, 2**31), dtype=st.sampled_from(DTYPES))
def test_reductions_match_torch(case: tuple, seed: int, dtype: str) -> None:
    kind, dim, keepdim, shape = case
    if kind in ("max", "min"):
        assume(int(np.prod(shape)) > 0)  # torch refuses a full max of an empty tensor
    if kind in ("max_dim", "min_dim") and shape:
        assume(shape[dim] > 0)
    check_against_torch(reduction_op(kind, dim, keepdim, shape), (shape,), seed, dtype)


# --- 5. kink and tie conventions ------------------------------------------------------------------


def grads_in(m: Any, fn: Callable[..., Any], values: list, dtype: str) -> tuple[Any, list]:
    """fn(m, *leaves) and the .grad of each leaf after backward with an all-ones gradient."""
    xs = [m.tensor(np.asarray(v, dtype=dtype), requires_grad=True) for v in values]
    out = fn(m, *xs)
    out.backward(gradient=m.ones_like(out))
    return out, [x.grad for x in xs]


KINKS: list[Any] = [
    pytest.param(lambda m, x: m.relu(x), [[-1.0, 0.0, 2.0]], [[0.0, 0.0, 1.0]], id="relu_at_0"),
    pytest.param(lambda m, x: m.abs(x), [[-1.0, 0.0, 2.0]], [[-1.0, 0.0, 1.0]], id="abs_at_0"),
    pytest.param(lambda m, x: x.max(), [[1.0, 3.0, 3.0]], [[0.0, 0.5, 0.5]], id="max_ties_split"),
    pytest.param(lambda m, x: x.min(), [[1.0, 1.0, 3.0]], [[0.5, 0.5, 0.0]], id="min_ties_split"),
    pytest.param(
        lambda m, x: m.max(x),
        [[[3.0, 1.0, 3.0], [3.0, 0.0, 2.0]]],
        [[[1 / 3, 0.0, 1 / 3], [1 / 3, 0.0, 0.0]]],
        id="max_ties_split_2d",
    ),
    pytest.param(
        lambda m, x: x.max(dim=1).values,
        [[[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]]],
        [[[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]],
        id="max_dim_ties_to_index",
    ),
    pytest.param(
        lambda m, x: x.min(dim=1, keepdim=True).values,
        [[[1.0, 1.0, 3.0], [0.0, 2.0, 0.0]]],
        [[[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]],
        id="min_dim_ties_to_index",
    ),
    pytest.param(
        lambda m, x: x.clamp(0.0, 1.0),
        [[-1.0, 0.0, 0.5, 1.0, 2.0]],
        [[0.0, 1.0, 1.0, 1.0, 0.0]],
        id="clamp_bounds_pass",
    ),
    pytest.param(
        lambda m, x: x.clamp(min=0.0),
        [[-1.0, 0.0, 2.0]],
        [[0.0, 1.0, 1.0]],
        id="clamp_min_bound_passes",
    ),
    pytest.param(
        lambda m, x: x.clamp(max=1.0),
        [[0.0, 1.0, 2.0]],
        [[1.0, 1.0, 0.0]],
        id="clamp_max_bound_passes",
    ),
    pytest.param(
        lambda m, x, y: m.maximum(x, y),
        [[1.0, 2.0], [1.0, 3.0]],
        [[0.5, 0.0], [0.5, 1.0]],
        id="maximum_tie_halves",
    ),
    pytest.param(
        lambda m, x, y: m.minimum(x, y),
        [[1.0, 2.0], [1.0, 3.0]],
        [[0.5, 1.0], [0.5, 0.0]],
        id="minimum_tie_halves",
    ),
    pytest.param(
        lambda m, x: m.maximum(x, x), [[1.0, -2.0]], [[1.0, 1.0]], id="maximum_same_tensor"
    ),
    pytest.param(lambda m, x: m.sqrt(x), [[0.0, 4.0]], [[np.inf, 0.25]], id="sqrt_at_0_inf"),
    pytest.param(lambda m, x: x**0, [[0.0, 2.0, -1.0]], [[0.0, 0.0, 0.0]], id="pow_0_grad_0"),
    pytest.param(lambda m, x: m.pow(x, 0.0), [[0.0, 2.0]], [[0.0, 0.0]], id="pow_0.0_grad_0"),
    pytest.param(lambda m, x: x**2.5, [[0.0, 1.0]], [[0.0, 2.5]], id="pow_2.5_at_0"),
    pytest.param(lambda m, x: x**0.5, [[0.0, 4.0]], [[np.inf, 0.25]], id="pow_0.5_at_0"),
    pytest.param(
        lambda m, x, y: x**y,
        [[0.0, 0.0, 0.0, 0.0, 0.0], [2.0, 0.0, 0.5, 1.0, -1.0]],
        [[0.0, 0.0, np.inf, 1.0, -np.inf], [0.0, 0.0, 0.0, 0.0, -np.inf]],
        id="pow_tensor_at_x_0",
    ),
    pytest.param(
        lambda m, x: 0.0**x,
        [[1.0, 2.0, 0.0, -1.0]],
        [[0.0, 0.0, 0.0, -np.inf]],
        id="rpow_base_0",
    ),
    pytest.param(lambda m, x: m.where(x > 0, x, 0.0), [[0.0, 1.0]], [[0.0, 1.0]], id="where_at_0"),
]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("fn", "values", "expected"), KINKS)
def test_kink_convention(fn: Callable, values: list, expected: list, dtype: str) -> None:
    ours_out, ours = grads_in(chainrule, fn, values, dtype)
    theirs_out, theirs = grads_in(torch, fn, values, dtype)
    np.testing.assert_allclose(to_np(ours_out), to_np(theirs_out), rtol=1e-6)
    for i, (a, b, e) in enumerate(zip(ours, theirs, expected)):
        assert dtype_name(a) == dtype
        np.testing.assert_allclose(to_np(b), e, rtol=1e-6, err_msg=f"torch, input {i}")
        np.testing.assert_allclose(to_np(a), e, rtol=1e-6, err_msg=f"chainrule, input {i}")


@pytest.mark.parametrize(("fn", "values", "expected"), KINKS)
def test_kinks_emit_no_warnings(fn: Callable, values: list, expected: list) -> None:
    # torch computes inf/nan at kinks silently; NumPy's RuntimeWarnings must not leak out
    for m in (chainrule,) if torch is None else (chainrule, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            grads_in(m, fn, values, "float64")


@needs_torch
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_dim_indices_follow_torch_on_ties(name: str) -> None:
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    ours = getattr(chainrule.tensor(x), name)(dim=1)
    theirs = getattr(torch.tensor(x), name)(dim=1)
    np.testing.assert_array_equal(to_np(ours.indices), to_np(theirs.indices))
    np.testing.assert_array_equal(to_np(ours.values), to_np(theirs.values))


# --- 6. non-differentiable outputs ----------------------------------------------------------------

COMPARISONS: list[Any] = [
    pytest.param(lambda x, y: x < y, id="lt"),
    pytest.param(lambda x, y: x <= y, id="le"),
    pytest.param(lambda x, y: x > y, id="gt"),
    pytest.param(lambda x, y: x >= y, id="ge"),
    pytest.param(lambda x, y: x == y, id="eq"),
    pytest.param(lambda x, y: x != y, id="ne"),
    pytest.param(lambda x, y: x < 0.5, id="lt_scalar"),
    pytest.param(lambda x, y: 0.5 <= x, id="scalar_le"),
    pytest.param(lambda x, y: x.eq(y), id="eq_method"),
]


@needs_torch
@pytest.mark.parametrize("compare", COMPARISONS)
def test_comparisons_never_require_grad(compare: Callable) -> None:
    xv, yv = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0])
    for m in (chainrule, torch):
        x = m.tensor(xv, requires_grad=True)
        y = m.tensor(yv, requires_grad=True)
        out = compare(x * 1, y)
        assert not out.requires_grad, m.__name__
        assert out.grad_fn is None, m.__name__
        assert dtype_name(out) == "bool", m.__name__
    ours = compare(chainrule.tensor(xv), chainrule.tensor(yv))
    theirs = compare(torch.tensor(xv), torch.tensor(yv))
    np.testing.assert_array_equal(to_np(ours), to_np(theirs))


@needs_torch
@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_dim_indices_are_int64_without_grad(name: str, keepdim: bool) -> None:
    xv = np.array([[1.0, 5.0, 2.0], [4.0, 0.0, 3.0]])
    for m in (chainrule, torch):
        x = m.tensor(xv, requires_grad=True)
        values, indices = getattr(x, name)(dim=-1, keepdim=keepdim)
        assert values.requires_grad, m.__name__
        assert not indices.requires_grad, m.__name__
        assert indices.grad_fn is None, m.__name__
        assert dtype_name(indices) == "int64", m.__name__
        assert tuple(indices.shape) == ((2, 1) if keepdim else (2,)), m.__name__


# --- 7. dtype promotion ---------------------------------------------------------------------------

PROMOTIONS: list[Any] = [
    pytest.param(lambda m: m.tensor([1, 2]) + 1.5, id="int_tensor+float_scalar"),
    pytest.param(lambda m: 2.5 * m.tensor([1, 2]), id="float_scalar*int_tensor"),
    pytest.param(lambda m: m.tensor([1, 2]) * 2, id="int_tensor*int_scalar"),
    pytest.param(lambda m: m.tensor([1, 2]) / m.tensor([2, 4]), id="int/int"),
    pytest.param(lambda m: m.tensor([1, 2]) / 2, id="int/int_scalar"),
    pytest.param(lambda m: 2 / m.tensor([1, 2]), id="int_scalar/int"),
    pytest.param(lambda m: m.tensor([1, 2], dtype=m.int32) + m.tensor(3), id="int32+int64_0d"),
    pytest.param(lambda m: m.tensor([1, 2], dtype=m.int32) + 3, id="int32+int_scalar"),
    pytest.param(lambda m: m.tensor(1, dtype=m.int32) + m.tensor(3), id="int32_0d+int64_0d"),
    pytest.param(
        lambda m: m.tensor([1.0, 2.0]) + m.tensor(1.5, dtype=m.float64), id="float32+float64_0d"
    ),
    pytest.param(
        lambda m: m.tensor([1.0, 2.0]) + m.tensor([1.5, 1.0], dtype=m.float64),
        id="float32+float64",
    ),
    pytest.param(
        lambda m: m.tensor(1.0) + m.tensor(1.5, dtype=m.float64), id="float32_0d+float64_0d"
    ),
    pytest.param(lambda m: m.tensor([1, 2]) + m.tensor(1.5, dtype=m.float64), id="int+float64_0d"),
    pytest.param(lambda m: m.tensor(1) + 1.5, id="int_0d+float_scalar"),
    pytest.param(lambda m: m.tensor([1.0], dtype=m.float16) + 1.5, id="float16+float_scalar"),
    pytest.param(
        lambda m: m.tensor([1, 2], dtype=m.uint8) + m.tensor([1, 2], dtype=m.int8),
        id="uint8+int8",
    ),
    pytest.param(lambda m: m.tensor([True, False]) + 1, id="bool+int_scalar"),
    pytest.param(lambda m: m.tensor([True, False]) + m.tensor([1, 2]), id="bool+int"),
    pytest.param(lambda m: m.tensor([True, False]) + m.tensor([True, True]), id="bool+bool"),
    pytest.param(lambda m: m.tensor([True, False]) * 1.5, id="bool*float_scalar"),
    pytest.param(lambda m: m.tensor([1, 2]) ** 2, id="int**int"),
    pytest.param(lambda m: m.tensor([1, 2]) ** 2.0, id="int**float"),
    pytest.param(lambda m: 2 ** m.tensor([1, 2]), id="int_scalar**int"),
    pytest.param(lambda m: 2.5 ** m.tensor([1, 2]), id="float_scalar**int"),
    pytest.param(lambda m: m.exp(m.tensor([1, 2])), id="exp_int"),
    pytest.param(lambda m: m.sqrt(m.tensor([1, 4], dtype=m.int32)), id="sqrt_int32"),
    pytest.param(lambda m: m.sigmoid(m.tensor([True, False])), id="sigmoid_bool"),
    pytest.param(lambda m: m.abs(m.tensor([-1, 2], dtype=m.int32)), id="abs_int32"),
    pytest.param(lambda m: -m.tensor([1, 2], dtype=m.int16), id="neg_int16"),
    pytest.param(lambda m: m.tensor([1, 2], dtype=m.int32).sum(), id="sum_int32"),
    pytest.param(lambda m: m.tensor([True, True]).sum(), id="sum_bool"),
    pytest.param(lambda m: m.tensor([[1, 2]], dtype=m.int8).sum(dim=0), id="sum_dim_int8"),
    pytest.param(lambda m: m.tensor([1.0, 2.0], dtype=m.float16).sum(), id="sum_float16"),
    pytest.param(lambda m: m.tensor([1, 2], dtype=m.int32).max(), id="max_int32"),
    pytest.param(
        lambda m: m.maximum(m.tensor([1, 2], dtype=m.int32), m.tensor([1.5, 0.5])),
        id="maximum_int32_float32",
    ),
    pytest.param(
        lambda m: m.where(m.tensor([True, False]), m.tensor([1, 2]), m.tensor([0.5, 1.5])),
        id="where_int_float",
    ),
    pytest.param(
        lambda m: m.where(m.tensor([True, False]), m.tensor([1, 2], dtype=m.int32), 0),
        id="where_int32_scalar",
    ),
    pytest.param(lambda m: m.clamp(m.tensor([1, 2]), min=0.5), id="clamp_int_float_bound"),
    pytest.param(lambda m: m.clamp(m.tensor([1, 5]), 0, 3), id="clamp_int_int_bounds"),
    pytest.param(lambda m: m.tensor([[1, 2]]) @ m.tensor([[1], [2]]), id="matmul_int"),
    pytest.param(lambda m: m.tensor([1, 2]).to(m.float64), id="to_float64"),
    pytest.param(lambda m: m.tensor([1.7, -2.5]).to(m.int32), id="to_int32"),
    pytest.param(lambda m: m.tensor([1.0, 0.0]).bool(), id="to_bool"),
    pytest.param(lambda m: m.tensor([1, 2]) * m.tensor([True, False]), id="int*bool"),
]


@needs_torch
@pytest.mark.parametrize("expr", PROMOTIONS)
def test_dtype_promotion_matches_torch(expr: Callable) -> None:
    ours, theirs = expr(chainrule), expr(torch)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(to_np(ours).astype(float), to_np(theirs).astype(float), rtol=1e-3)


# --- 8. gradient dtypes ---------------------------------------------------------------------------

GRAD_DTYPES: list[Any] = [
    pytest.param(lambda m, x: x * 2, ["float32"], "float64", id="float32_leaf_float64_upstream"),
    pytest.param(lambda m, x: x * 2, ["float64"], "float32", id="float64_leaf_float32_upstream"),
    pytest.param(lambda m, x: x.to(m.float64), ["float32"], None, id="cast_up"),
    pytest.param(lambda m, x: x.float(), ["float64"], None, id="cast_down"),
    pytest.param(lambda m, x, y: x * y, ["float32", "float64"], None, id="float32*float64"),
    pytest.param(
        lambda m, x, y: x * y.sum(), ["float32", "float64"], None, id="float32*float64_0d"
    ),
    pytest.param(lambda m, x, y: x @ y.double(), ["float64", "float32"], None, id="matmul_mixed"),
    pytest.param(lambda m, x, y: m.maximum(x, y), ["float32", "float64"], None, id="maximum_mixed"),
]


@needs_torch
@pytest.mark.parametrize(("fn", "in_dtypes", "upstream"), GRAD_DTYPES)
def test_grad_keeps_input_dtype(fn: Callable, in_dtypes: list, upstream: str | None) -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 2)) for _ in in_dtypes]
    results = {}
    for m in (chainrule, torch):
        xs = [m.tensor(a.astype(d), requires_grad=True) for a, d in zip(arrays, in_dtypes)]
        out = fn(m, *xs)
        g = np.ones(tuple(out.shape), dtype=upstream or dtype_name(out))
        out.backward(gradient=m.tensor(g))
        results[m.__name__] = (out, [x.grad for x in xs])
    (ours_out, ours), (theirs_out, theirs) = results["chainrule"], results["torch"]
    assert dtype_name(ours_out) == dtype_name(theirs_out)
    for i, (a, b, d) in enumerate(zip(ours, theirs, in_dtypes)):
        assert dtype_name(b) == d, "torch keeps the input's dtype"
        assert dtype_name(a) == d, f"grad of input {i}"
        np.testing.assert_allclose(to_np(a), to_np(b), rtol=1e-5, atol=1e-6)


# --- 5. integer inputs ---------------------------------------------------------------------------


def _outputs(out: Any) -> list:
    return list(out) if isinstance(out, tuple) else [out]


@needs_torch
@pytest.mark.parametrize(("op", "index", "shapes"), sample_params())
def test_integer_inputs_match_torch(op: OpInfo, index: int, shapes: tuple) -> None:
    """Integer tensors (the record's samples rounded): the same result dtype and values as
    torch, or the same exception type where torch refuses them."""
    samples_ = make_inputs(op, shapes, seed_of(op.name, index))
    arrays = [np.round(a).astype(np.int64) for a in samples_]
    results = []
    for m in (torch, chainrule):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                results.append(_outputs(op.fn(m, *[m.tensor(a) for a in arrays])))
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            results.append(e)
    theirs, ours = results
    if isinstance(theirs, Exception):
        assert isinstance(ours, Exception), f"torch raised {type(theirs).__name__}: {theirs}"
        # by name: torch.linalg.LinAlgError is matched by chainrule.linalg.LinAlgError
        assert type(theirs).__name__ in {c.__name__ for c in type(ours).__mro__}, (
            f"torch raised {type(theirs).__name__}, chainrule {type(ours).__name__}: {ours}"
        )
        return
    if isinstance(ours, Exception):
        raise ours
    for a, b in zip(ours, theirs):
        assert dtype_name(a) == dtype_name(b), "dtype"
        assert tuple(a.shape) == tuple(b.shape), "shape"
        np.testing.assert_allclose(
            to_np(a).astype(np.float64), to_np(b).astype(np.float64), rtol=1e-5, atol=1e-6
        )
