"""Family tests for ops/special.py, ops/rounding.py and ops/special_binary.py, beyond the generic
OpInfo tests: zero gradients of step functions, integer inputs, nan_to_num's arguments, rounding
division, values at kinks and extremes, grad_fn names, broadcasting, and bad inputs.

Every expectation is torch's, live: tests taking `lib` run on both libraries, tests taking
`torch` compare numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chainrule
from opdb_special import OPS
from opinfo import make_inputs

try:
    import torch as torch_lib
except ImportError:  # the comparisons skip
    torch_lib = None

needs_torch = pytest.mark.skipif(torch_lib is None, reason="torch is not installed")
OPS_BY_NAME = {op.name: op for op in OPS}
NAN, INF = float("nan"), float("inf")


def dtype_name(t: Any) -> str:
    return str(t.dtype).replace("torch.", "").replace("chainrule.", "")


def to_np(t: Any) -> np.ndarray:
    t = t.detach()
    if getattr(t, "_is_zerotensor", lambda: False)():  # torch's symbolic zeros (sgn')
        return np.zeros(tuple(t.shape), dtype_name(t))
    return np.asarray(t.numpy())


def assert_same(
    ours: Any, theirs: Any, rtol: float = 1e-6, atol: float = 0.0, signed_zeros: bool = False
) -> None:
    """Same dtype, shape and values (NaN where torch has NaN; optionally the signs of zeros)."""
    assert dtype_name(ours) == dtype_name(theirs)
    assert tuple(ours.shape) == tuple(theirs.shape)
    a, b = to_np(ours).astype(np.float64), to_np(theirs).astype(np.float64)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
    if signed_zeros:
        np.testing.assert_array_equal(np.signbit(a), np.signbit(b), err_msg="signs of zeros")


def grads_of(m: Any, fn: Callable, values: list, dtype: str = "float64") -> tuple[Any, list]:
    """fn(m, *leaves) and the leaves' .grad after backward with an all-ones gradient."""
    xs = [m.tensor(np.asarray(v, dtype=dtype), requires_grad=True) for v in values]
    out = fn(m, *xs)
    out.backward(gradient=m.ones_like(out))
    return out, [x.grad for x in xs]


# --- step functions: zero gradients, exactly as torch ---------------------------------------------

STEPS: list[Any] = [
    pytest.param(lambda m, x: m.sign(x), id="sign"),
    pytest.param(lambda m, x: m.sgn(x), id="sgn"),
    pytest.param(lambda m, x: m.floor(x), id="floor"),
    pytest.param(lambda m, x: m.ceil(x), id="ceil"),
    pytest.param(lambda m, x: m.round(x), id="round"),
    pytest.param(lambda m, x: m.round(x, decimals=1), id="round_decimals"),
    pytest.param(lambda m, x: m.round(x, decimals=0), id="round_decimals_0"),
    pytest.param(lambda m, x: m.trunc(x), id="trunc"),
    pytest.param(lambda m, x: m.div(x, 2.0, rounding_mode="floor"), id="div_floor"),
    pytest.param(lambda m, x: m.div(x, -0.5, rounding_mode="trunc"), id="div_trunc"),
]
AT_JUMPS = [-2.5, -1.0, -0.5, -0.0, 0.0, 0.05, 0.5, 1.0, 1.5, 2.5, 3.7]


@pytest.mark.parametrize("fn", STEPS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_step_functions_have_zero_gradients(fn: Callable, dtype: str, torch: Any) -> None:
    ours_out, (ours,) = grads_of(chainrule, fn, [AT_JUMPS], dtype)
    theirs_out, (theirs,) = grads_of(torch, fn, [AT_JUMPS], dtype)
    assert_same(ours_out, theirs_out, signed_zeros=True)
    assert ours_out.grad_fn.name() == theirs_out.grad_fn.name()
    assert ours is not None and theirs is not None
    assert_same(ours, theirs)
    assert not to_np(ours).any()


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_rounding_div_gives_both_inputs_zero_gradients(mode: str, torch: Any) -> None:
    fn = lambda m, x, y: m.div(x, y, rounding_mode=mode)
    values = [[7.0, -7.0, 0.5, 3.0], [2.0, 2.0, -0.25, 1.5]]
    ours_out, ours = grads_of(chainrule, fn, values)
    theirs_out, theirs = grads_of(torch, fn, values)
    assert ours_out.grad_fn.name() == theirs_out.grad_fn.name() == "DivBackward2"
    for a, b in zip(ours, theirs):
        assert_same(a, b)


def test_step_function_second_derivative_is_zero(lib: Any) -> None:
    x = lib.tensor([0.3, -1.7, 2.0], requires_grad=True)
    (g,) = lib.autograd.grad((x.floor() * x).sum(), x, create_graph=True)
    np.testing.assert_array_equal(to_np(g), to_np(x.floor()))
    (gg,) = lib.autograd.grad(g.sum(), x, allow_unused=True)
    assert gg is None or not to_np(gg).any()


# --- integer and bool inputs ---------------------------------------------------------------------

INT_INPUTS: list[Any] = [
    pytest.param(lambda m, x, name=name: getattr(m, name)(x), id=name)
    for name in [
        "log1p", "expm1", "exp2", "log2", "log10", "reciprocal", "rsqrt", "square", "sign", "sgn",
        "floor", "ceil", "round", "trunc", "tan", "asin", "acos", "atan", "sinh", "cosh",
        "asinh", "acosh", "atanh", "erf", "erfc", "erfinv", "lgamma", "digamma", "isnan",
        "isinf", "isfinite", "nan_to_num",
    ]
] + [
    pytest.param(lambda m, x: m.polygamma(1, x * x), id="polygamma"),
    pytest.param(lambda m, x: m.atan2(x, x[[3, 2, 1, 0]]), id="atan2"),
    pytest.param(lambda m, x: m.xlogy(x, x[[3, 2, 1, 0]]), id="xlogy"),
    pytest.param(lambda m, x: m.xlogy(x, 2), id="xlogy_int_scalar"),
    pytest.param(lambda m, x: m.xlogy(2, x), id="int_scalar_xlogy"),
    pytest.param(lambda m, x: m.fmod(x, 2), id="fmod_int"),
    pytest.param(lambda m, x: m.fmod(x, -2.5), id="fmod_float_scalar"),
    pytest.param(lambda m, x: m.remainder(x, x[[3, 2, 1, 0]]), id="remainder_int"),
    pytest.param(lambda m, x: x % 3, id="mod_int"),
    pytest.param(lambda m, x: 7 % x, id="rmod_int"),
    pytest.param(lambda m, x: 7.5 % x, id="rmod_float"),
    pytest.param(lambda m, x: x // 2, id="floordiv_int"),
    pytest.param(lambda m, x: x // 2.5, id="floordiv_float_scalar"),
    pytest.param(lambda m, x: 7 // x, id="rfloordiv_int"),
    pytest.param(lambda m, x: m.floor_divide(x, x[[3, 2, 1, 0]]), id="floor_divide"),
    pytest.param(lambda m, x: m.div(x, 2, rounding_mode="trunc"), id="div_trunc_int"),
    pytest.param(lambda m, x: m.div(-x, 2, rounding_mode="floor"), id="div_floor_int"),
    pytest.param(lambda m, x: m.div(x, 2.5, rounding_mode="floor"), id="div_floor_float_scalar"),
    pytest.param(lambda m, x: m.div(7, x, rounding_mode="trunc"), id="int_div_trunc"),
]  # fmt: skip
INT_DTYPES = ["int64", "int32", "uint8", "int8"]


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("fn", INT_INPUTS)
def test_integer_inputs_follow_torch(fn: Callable, dtype: str, torch: Any) -> None:
    values = np.array([1, 3, 2, 7], dtype=dtype)
    if dtype != "uint8":
        values[1] = -3
    ours = fn(chainrule, chainrule.tensor(values))
    theirs = fn(torch, torch.tensor(values))
    assert_same(ours, theirs, rtol=1e-5)
    assert not ours.requires_grad


BOOL_OK: list[Any] = [
    pytest.param(lambda m, x, name=name: getattr(m, name)(x), id=name)
    for name in ["log1p", "exp2", "square", "sign", "sgn", "erf", "lgamma", "isfinite",
                 "nan_to_num"]
] + [pytest.param(lambda m, x: m.xlogy(x, x), id="xlogy"),
     pytest.param(lambda m, x: m.atan2(x, x), id="atan2")]  # fmt: skip


@pytest.mark.parametrize("fn", BOOL_OK)
def test_bool_inputs_follow_torch(fn: Callable, torch: Any) -> None:
    values = np.array([True, False, True])
    assert_same(fn(chainrule, chainrule.tensor(values)), fn(torch, torch.tensor(values)))


NO_INTEGER_KERNEL: list[Any] = [
    pytest.param(lambda m, x: m.floor(x > 0), id="floor_bool"),
    pytest.param(lambda m, x: m.round(x > 0), id="round_bool"),
    pytest.param(lambda m, x: m.frac(x), id="frac_int"),
    pytest.param(lambda m, x: m.round(x, decimals=1), id="round_decimals_int"),
    pytest.param(lambda m, x: m.hypot(x, x), id="hypot_int"),
    pytest.param(lambda m, x: m.logaddexp(x, x), id="logaddexp_int"),
    pytest.param(lambda m, x: m.lerp(x, x, 0.5), id="lerp_int"),
    pytest.param(lambda m, x: m.fmod(x > 0, x > 0), id="fmod_bool"),
    pytest.param(lambda m, x: (x > 0) % (x > 0), id="mod_bool"),
    pytest.param(lambda m, x: (x > 0) // (x > 0), id="floordiv_bool"),
]


@pytest.mark.parametrize("fn", NO_INTEGER_KERNEL)
def test_ops_without_integer_kernels_refuse(fn: Callable, lib: Any) -> None:
    with pytest.raises(NotImplementedError, match="not implemented for '(Long|Bool)'"):
        fn(lib, lib.tensor([1, 2, 3]))


INT_ZERO_DIVISION: list[Any] = [
    pytest.param(lambda m, x, y: x // y, id="floordiv"),
    pytest.param(lambda m, x, y: x % y, id="mod"),
    pytest.param(lambda m, x, y: m.fmod(x, y), id="fmod"),
    pytest.param(lambda m, x, y: m.fmod(x, 0), id="fmod_scalar"),
    pytest.param(lambda m, x, y: m.div(x, y, rounding_mode="trunc"), id="div_trunc"),
    pytest.param(lambda m, x, y: m.div(x, 0, rounding_mode="floor"), id="div_floor_scalar"),
]


@pytest.mark.parametrize("fn", INT_ZERO_DIVISION)
def test_integer_division_by_zero_raises(fn: Callable, lib: Any) -> None:
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        fn(lib, lib.tensor([3, 4]), lib.tensor([1, 0]))


# --- nan_to_num ----------------------------------------------------------------------------------

NAN_TO_NUM_ARGS: list[Any] = [
    pytest.param({}, id="defaults"),
    pytest.param({"nan": 2.0}, id="nan"),
    pytest.param({"posinf": 1e30}, id="posinf"),
    pytest.param({"neginf": -3}, id="neginf_int"),
    pytest.param({"nan": -1.5, "posinf": 7.0, "neginf": -7.0}, id="all"),
    pytest.param({"posinf": 1e300, "neginf": -1e300}, id="beyond_float32"),
    pytest.param({"nan": None}, id="nan_none"),
]


@pytest.mark.parametrize("kwargs", NAN_TO_NUM_ARGS)
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_nan_to_num_arguments(kwargs: dict, dtype: str, torch: Any) -> None:
    values = np.array([NAN, INF, -INF, 1.5, -0.0], dtype=dtype)
    ours = chainrule.nan_to_num(chainrule.tensor(values), **kwargs)
    theirs = torch.nan_to_num(torch.tensor(values), **kwargs)
    assert_same(ours, theirs, rtol=0)
    assert_same(chainrule.tensor(values).nan_to_num(**kwargs), theirs, rtol=0)


def test_nan_to_num_positional_arguments(torch: Any) -> None:
    values = np.array([NAN, INF, -INF, 1.5])
    ours = chainrule.tensor(values).nan_to_num(1.0, 2.0, -2.0)
    assert_same(ours, torch.tensor(values).nan_to_num(1.0, 2.0, -2.0), rtol=0)


def test_nan_to_num_gradient_blocks_non_finite_inputs(torch: Any) -> None:
    fn = lambda m, x: m.nan_to_num(x, nan=1.0) * 0.5
    values = [[NAN, INF, -INF, 1.5, 0.0]]
    ours_out, (ours,) = grads_of(chainrule, fn, values)
    theirs_out, (theirs,) = grads_of(torch, fn, values)
    assert_same(ours_out, theirs_out)
    assert_same(ours, theirs)
    assert ours_out.grad_fn.name() == theirs_out.grad_fn.name()


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "bool"])
def test_isnan_isinf_isfinite(name: str, dtype: str, torch: Any) -> None:
    values = np.array([NAN, INF, -INF, 1.5, 0.0]) if dtype.startswith("float") else [1, 0, 1]
    values = np.asarray(values).astype(dtype)
    ours = getattr(chainrule, name)(chainrule.tensor(values))
    theirs = getattr(torch, name)(torch.tensor(values))
    assert_same(ours, theirs)
    x = chainrule.tensor(np.array([1.0, NAN]), requires_grad=True)
    out = getattr(x * 2, name)()
    assert not out.requires_grad and out.grad_fn is None


# --- rounding division, floor_divide, fmod, remainder: special values -----------------------------

SPECIAL_X = [-7.5, 7.5, -0.0, 0.0, 3.0, -3.0, 1.0, -1.0, 5.0, INF, NAN, 2.0]
SPECIAL_Y = [2.0, -2.0, 1.0, -1.0, 1.5, 1.5, INF, INF, 0.0, 3.0, 1.0, -INF]

DIVISIONS: list[Any] = [
    pytest.param(lambda m, x, y: m.div(x, y, rounding_mode="trunc"), id="div_trunc"),
    pytest.param(lambda m, x, y: m.div(x, y, rounding_mode="floor"), id="div_floor"),
    pytest.param(lambda m, x, y: x.div(y, rounding_mode="floor"), id="div_floor_method"),
    pytest.param(lambda m, x, y: m.div(x, 2, rounding_mode="floor"), id="div_floor_int_scalar"),
    pytest.param(lambda m, x, y: m.div(-1.5, y, rounding_mode="trunc"), id="scalar_div_trunc"),
    pytest.param(lambda m, x, y: m.floor_divide(x, y), id="floor_divide"),
    pytest.param(lambda m, x, y: x // y, id="floordiv"),
    pytest.param(lambda m, x, y: 5.0 // y, id="rfloordiv"),
    pytest.param(lambda m, x, y: x.floor_divide(-0.75), id="floor_divide_method"),
    pytest.param(lambda m, x, y: m.fmod(x, y), id="fmod"),
    pytest.param(lambda m, x, y: m.fmod(x, -1.5), id="fmod_scalar"),
    pytest.param(lambda m, x, y: m.remainder(x, y), id="remainder"),
    pytest.param(lambda m, x, y: x % y, id="mod"),
    pytest.param(lambda m, x, y: x % 1.5, id="mod_scalar"),
    pytest.param(lambda m, x, y: -4.0 % y, id="rmod"),
    pytest.param(lambda m, x, y: m.remainder(2, y), id="scalar_remainder"),
]


@pytest.mark.parametrize("fn", DIVISIONS)
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_division_family_special_values(fn: Callable, dtype: str, torch: Any) -> None:
    x, y = np.array(SPECIAL_X, dtype), np.array(SPECIAL_Y, dtype)
    ours = fn(chainrule, chainrule.tensor(x), chainrule.tensor(y))
    theirs = fn(torch, torch.tensor(x), torch.tensor(y))
    assert_same(ours, theirs, rtol=0, signed_zeros=True)


@pytest.mark.parametrize("fn", DIVISIONS)
def test_division_family_integers(fn: Callable, torch: Any) -> None:
    x = np.array([-7, 7, 0, 3, -3, 1, -1, 5, 8, 2])
    y = np.array([2, -2, 1, -1, 4, 4, 3, -3, -3, 2])
    ours = fn(chainrule, chainrule.tensor(x), chainrule.tensor(y))
    theirs = fn(torch, torch.tensor(x), torch.tensor(y))
    assert_same(ours, theirs, rtol=0)


def test_rounding_mode_must_be_trunc_or_floor(lib: Any) -> None:
    with pytest.raises(RuntimeError, match="rounding_mode.*'round'"):
        lib.div(lib.tensor([1.0]), 2, rounding_mode="round")


NOT_DIFFERENTIABLE: list[Any] = [
    pytest.param(lambda m, x: x // 2, "floor_divide", id="floordiv"),
    pytest.param(lambda m, x: 2.0 // x, "floor_divide", id="rfloordiv"),
    pytest.param(lambda m, x: m.floor_divide(x, x), "floor_divide", id="floor_divide"),
    pytest.param(lambda m, x: 2.0 % x, "remainder", id="rmod"),
    pytest.param(lambda m, x: m.remainder(3, x), "remainder", id="scalar_remainder"),
]


@pytest.mark.parametrize(("fn", "aten"), NOT_DIFFERENTIABLE)
def test_ops_torch_cannot_differentiate_raise_on_backward(
    fn: Callable, aten: str, lib: Any
) -> None:
    x = lib.tensor([1.5, -2.5], requires_grad=True)
    out = fn(lib, x)
    assert out.requires_grad
    assert out.grad_fn.name() == "torch::autograd::NotImplemented"
    with pytest.raises(RuntimeError, match=f"derivative for aten::{aten} is not implemented"):
        out.sum().backward()


# --- values at kinks, poles and boundaries: gradients as torch ------------------------------------

AT_KINKS: list[Any] = [
    pytest.param(lambda m, x, y: m.xlogy(x, y),
                 [[0.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0], [0.0, -1.0, 2.0, 0.0, -1.0, NAN, INF]],
                 id="xlogy_x_0"),
    pytest.param(lambda m, y: m.xlogy(0.0, y), [[0.0, -1.0, 2.0]], id="xlogy_scalar_0"),
    pytest.param(lambda m, x: m.xlogy(x, 0.0), [[0.0, 1.0]], id="xlogy_other_0"),
    pytest.param(lambda m, x: m.xlogy(x, -1.0), [[0.0, 1.0]], id="xlogy_other_negative"),
    pytest.param(lambda m, x, y: m.atan2(x, y), [[0.0, 0.0, 1.0], [0.0, -0.0, 0.0]],
                 id="atan2_origin"),
    pytest.param(lambda m, x, y: m.hypot(x, y), [[0.0, 1.0], [0.0, 0.0]], id="hypot_origin"),
    pytest.param(lambda m, x, y: m.logaddexp(x, y),
                 [[INF, -INF, 1.0, 0.0, 1e30, -1e30], [INF, -INF, 1.0, 1000.0, 1e30, 5.0]],
                 id="logaddexp_infinities"),
    pytest.param(lambda m, x, y: m.fmod(x, y), [[3.0, -3.0, 0.0, 3.0], [1.5, 1.5, 1.5, 0.0]],
                 id="fmod_at_jumps"),
    pytest.param(lambda m, x, y: m.remainder(x, y),
                 [[3.0, -3.0, 0.0, 3.0, -0.5], [1.5, 1.5, 1.5, 0.0, 1.0]],
                 id="remainder_at_jumps"),
    pytest.param(lambda m, x: m.frac(x), [[-1.0, 0.0, 2.0]], id="frac_at_integers"),
    pytest.param(lambda m, x: m.rsqrt(x), [[0.0, -1.0, 4.0]], id="rsqrt_at_0"),
    pytest.param(lambda m, x: m.log1p(x), [[-1.0, -2.0]], id="log1p_at_minus_1"),
    pytest.param(lambda m, x: m.log2(x), [[0.0]], id="log2_at_0"),
    pytest.param(lambda m, x: m.log10(x), [[0.0]], id="log10_at_0"),
    pytest.param(lambda m, x: m.asin(x), [[1.0, -1.0]], id="asin_at_1"),
    pytest.param(lambda m, x: m.acos(x), [[1.0, -1.0]], id="acos_at_1"),
    pytest.param(lambda m, x: m.acosh(x), [[1.0]], id="acosh_at_1"),
    pytest.param(lambda m, x: m.atanh(x), [[1.0, -1.0]], id="atanh_at_1"),
    pytest.param(lambda m, x: m.erfinv(x), [[1.0, -1.0, 0.0]], id="erfinv_at_1"),
    pytest.param(lambda m, x: m.lgamma(x), [[0.0, -1.0, -2.5]], id="lgamma_at_poles"),
    pytest.param(lambda m, x: m.digamma(x), [[0.0, -0.0, -2.5]], id="digamma_at_0"),
    pytest.param(lambda m, x: m.reciprocal(x), [[0.0, -0.0]], id="reciprocal_at_0"),
    pytest.param(lambda m, x, y, w: m.lerp(x, y, w), [[1.0, 2.0], [3.0, 5.0], [0.5, 1.0]],
                 id="lerp_at_half_and_one"),
]  # fmt: skip


@pytest.mark.parametrize(("fn", "values"), AT_KINKS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradients_at_kinks_match_torch(fn: Callable, values: list, dtype: str, torch: Any) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch computes inf/NaN silently: so must we
        ours_out, ours = grads_of(chainrule, fn, values, dtype)
    theirs_out, theirs = grads_of(torch, fn, values, dtype)
    assert_same(ours_out, theirs_out, rtol=1e-6)
    for a, b in zip(ours, theirs):
        assert_same(a, b, rtol=1e-6)


EXTREMES: list[Any] = [
    pytest.param(lambda m, x: m.log1p(x * 1e-12), id="log1p_tiny"),
    pytest.param(lambda m, x: m.expm1(x * 1e-12), id="expm1_tiny"),
    pytest.param(lambda m, x: m.expm1(x * 1e3), id="expm1_overflow"),
    pytest.param(lambda m, x: m.exp2(x * 2e3), id="exp2_overflow"),
    pytest.param(lambda m, x: m.hypot(x * 1e200, x * 1e200), id="hypot_huge"),
    pytest.param(lambda m, x: m.hypot(x * 1e-200, x), id="hypot_tiny"),
    pytest.param(lambda m, x: m.logaddexp(x * 1e3, -x * 1e3), id="logaddexp_far_apart"),
    pytest.param(lambda m, x: m.erfc(x * 10), id="erfc_tails"),
    pytest.param(lambda m, x: m.erfinv(x * 0.999999), id="erfinv_near_1"),
    pytest.param(lambda m, x: m.atan2(x * 1e-200, x * 1e-200), id="atan2_underflow"),
    pytest.param(lambda m, x: m.lgamma(x.abs() * 1e5 + 1), id="lgamma_large"),
    pytest.param(lambda m, x: m.digamma(x.abs() * 1e-8 + 1e-9), id="digamma_near_0"),
]


@pytest.mark.parametrize("fn", EXTREMES)
def test_extreme_inputs_match_torch(fn: Callable, torch: Any) -> None:
    values = [[-1.0, -0.3, 0.2, 0.7, 1.0]]
    ours_out, ours = grads_of(chainrule, fn, values)
    theirs_out, theirs = grads_of(torch, fn, values)
    assert_same(ours_out, theirs_out, rtol=1e-9)
    assert_same(ours[0], theirs[0], rtol=1e-9)


@pytest.mark.parametrize("decimals", [-2, -1, 0, 1, 2, 3])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_round_decimals_values(decimals: int, dtype: str, torch: Any) -> None:
    values = np.array([1234.5678, -15.0, 25.0, 0.125, 2.5, -0.35, 1.005, 0.0], dtype)
    ours = chainrule.round(chainrule.tensor(values), decimals=decimals)
    theirs = torch.round(torch.tensor(values), decimals=decimals)
    assert_same(ours, theirs, rtol=0, signed_zeros=True)


@pytest.mark.xfail(
    strict=True,
    reason="at a pole (a non-positive integer) torch's trigamma returns a huge finite number "
    "(pi**2 / sin(pi * x)**2 with sin rounding away from 0); SciPy returns inf",
)
def test_trigamma_at_negative_integers(torch: Any) -> None:
    values = np.array([-1.0, -3.0])
    ours = chainrule.polygamma(1, chainrule.tensor(values))
    assert_same(ours, torch.polygamma(1, torch.tensor(values)))


def test_sign_of_nan_and_zeros(torch: Any) -> None:
    values = np.array([NAN, -0.0, 0.0, -2.0, INF])
    for name in ("sign", "sgn"):
        ours = getattr(chainrule, name)(chainrule.tensor(values))
        assert_same(ours, getattr(torch, name)(torch.tensor(values)), signed_zeros=True)


# --- grad_fn names -------------------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS, ids=[op.name for op in OPS])
def test_grad_fn_names_match_torch(op: Any, torch: Any) -> None:
    shapes = next(s for s in op.samples if all(np.prod(x) > 0 for x in s))
    arrays = make_inputs(op, shapes, 0)
    names = []
    for m in (chainrule, torch):
        xs = [m.tensor(a, requires_grad=op.differentiable(i)) for i, a in enumerate(arrays)]
        names.append(op.fn(m, *xs).grad_fn.name())
    assert names[0] == names[1]


# --- broadcasting: random shapes against torch ---------------------------------------------------


def check_broadcast(name: str, shapes: tuple, seed: int, dtype: str) -> None:
    """Forward and gradients of OPS_BY_NAME[name] on inputs of `shapes`, chainrule vs torch."""
    op = OPS_BY_NAME[name]
    rtol, atol = op.tolerance(dtype)
    arrays = make_inputs(op, shapes, seed)
    outs, grads = [], []
    g = None
    for m in (chainrule, torch_lib):
        xs = [
            m.tensor(a.astype(dtype), requires_grad=op.differentiable(i))
            for i, a in enumerate(arrays)
        ]
        out = op.fn(m, *xs)
        if g is None:
            g = np.random.default_rng(seed + 1).standard_normal(tuple(out.shape)).astype(dtype)
        out.backward(gradient=m.tensor(g))
        outs.append(out)
        grads.append([x.grad for x in xs])
    assert_same(outs[0], outs[1], rtol, atol)
    for i, (a, b) in enumerate(zip(*grads)):
        assert (a is None) == (b is None), f"grad of input {i}"
        if b is not None:
            assert_same(a, b, rtol, atol)


BROADCAST_BINARY = [
    "atan2", "xlogy", "logaddexp", "hypot", "fmod", "remainder", "div_trunc", "div_floor",
    "lerp_scalar", "remainder_only_y",
]  # fmt: skip
SHAPES2 = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=3)
SHAPES3 = mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=4, max_side=3)


@needs_torch
@pytest.mark.parametrize("name", BROADCAST_BINARY)
@settings(max_examples=10)
@given(shapes=SHAPES2, seed=st.integers(0, 2**31), dtype=st.sampled_from(["float32", "float64"]))
def test_binary_broadcasting_matches_torch(name: str, shapes: Any, seed: int, dtype: str) -> None:
    check_broadcast(name, tuple(shapes.input_shapes), seed, dtype)


@needs_torch
@settings(max_examples=15)
@given(shapes=SHAPES3, seed=st.integers(0, 2**31), dtype=st.sampled_from(["float32", "float64"]))
def test_lerp_broadcasting_matches_torch(shapes: Any, seed: int, dtype: str) -> None:
    check_broadcast("lerp_tensor", tuple(shapes.input_shapes), seed, dtype)


MIXED_DTYPES: list[Any] = [
    pytest.param(lambda m, x, y: m.atan2(x, y.double()), id="atan2"),
    pytest.param(lambda m, x, y: m.xlogy(x.double(), y.abs()), id="xlogy"),
    pytest.param(lambda m, x, y: m.hypot(x, y.double().sum()), id="hypot_0d"),
    pytest.param(lambda m, x, y: m.logaddexp(x.double(), y), id="logaddexp"),
    pytest.param(lambda m, x, y: m.fmod(x, y.double()), id="fmod"),
    pytest.param(lambda m, x, y: m.remainder(x.double(), y), id="remainder"),
    pytest.param(lambda m, x, y: m.lerp(x, y, y.double().sum()), id="lerp_0d_weight"),
]


@pytest.mark.parametrize("fn", MIXED_DTYPES)
def test_mixed_float_dtypes_promote_as_torch(fn: Callable, torch: Any) -> None:
    values = [[0.5, -1.5, 2.0], [1.25, 2.0, -0.75]]
    ours_out, ours = grads_of(chainrule, fn, values, "float32")
    theirs_out, theirs = grads_of(torch, fn, values, "float32")
    assert_same(ours_out, theirs_out, rtol=1e-6)
    for a, b in zip(ours, theirs):
        assert_same(a, b, rtol=1e-6)


# --- bad inputs ----------------------------------------------------------------------------------

SHAPE_CLASHES: list[Any] = [
    pytest.param(lambda m, a, b: m.atan2(a, b), id="atan2"),
    pytest.param(lambda m, a, b: m.xlogy(a, b), id="xlogy"),
    pytest.param(lambda m, a, b: m.logaddexp(a, b), id="logaddexp"),
    pytest.param(lambda m, a, b: m.hypot(a, b), id="hypot"),
    pytest.param(lambda m, a, b: m.fmod(a, b), id="fmod"),
    pytest.param(lambda m, a, b: a % b, id="mod"),
    pytest.param(lambda m, a, b: a // b, id="floordiv"),
    pytest.param(lambda m, a, b: m.div(a, b, rounding_mode="floor"), id="div_floor"),
    pytest.param(lambda m, a, b: m.lerp(a, b, 0.5), id="lerp"),
    pytest.param(lambda m, a, b: m.lerp(a, a, b), id="lerp_weight"),
]


@pytest.mark.parametrize("fn", SHAPE_CLASHES)
def test_shape_clash_names_the_sizes(fn: Callable, lib: Any) -> None:
    a, b = lib.ones(2, 3), lib.ones(4, 1)
    with pytest.raises(
        RuntimeError,
        match=r"size of tensor a \(2\) must match the size of "
        r"tensor b \(4\) at non-singleton dimension 0",
    ):
        fn(lib, a, b)


BAD_ARGUMENTS: list[Any] = [
    pytest.param(lambda m, x: m.atan2(x, 2.0), TypeError, "must be Tensor, not float",
                 id="atan2_number"),
    pytest.param(lambda m, x: m.hypot(1, x), TypeError, "must be Tensor, not int",
                 id="hypot_number"),
    pytest.param(lambda m, x: m.logaddexp(x, 0.5), TypeError, "must be Tensor, not float",
                 id="logaddexp_number"),
    pytest.param(lambda m, x: m.fmod(2.0, x), TypeError, "fmod.*float", id="fmod_number_first"),
    pytest.param(lambda m, x: m.polygamma(1.5, x), TypeError, "must be int, not float",
                 id="polygamma_float_n"),
    pytest.param(lambda m, x: m.polygamma(-1, x), RuntimeError, "does not support negative n",
                 id="polygamma_negative_n"),
    pytest.param(lambda m, x: m.lerp(x, 1.0, 0.5), TypeError, "lerp.*float", id="lerp_number_end"),
    pytest.param(lambda m, x: m.lerp(x, x.double(), 0.5), RuntimeError,
                 "expected dtype float for `end` but got dtype double", id="lerp_end_dtype"),
    pytest.param(lambda m, x: m.lerp(x, x, x.double()), RuntimeError,
                 "expected dtype float for `weight` but got dtype double", id="lerp_weight_dtype"),
    pytest.param(lambda m, x: m.lerp(x, x, "a"), TypeError, "lerp.*str", id="lerp_string_weight"),
]  # fmt: skip


@pytest.mark.parametrize(("fn", "exc", "match"), BAD_ARGUMENTS)
def test_bad_arguments_raise_as_torch(fn: Callable, exc: type, match: str, lib: Any) -> None:
    with pytest.raises(exc, match=match):
        fn(lib, lib.tensor([0.5, 1.5]))
