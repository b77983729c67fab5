"""Division with integer results: div with a rounding mode, floor_divide, fmod, remainder, and
the `//` and `%` operators, as torch defines them (including its signs of zero, its refusal of
integer division by zero, and its missing derivatives).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd import forward_ad as fw
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, broadcast_error
from chainrule.ops.arithmetic import prep
from chainrule.ops.rounding import kernel_error, zero_gradient
from chainrule.tensor import Tensor

__all__ = ["floor_divide", "fmod", "remainder"]


def _check_zero_division(y: Any) -> None:
    """Integer division by zero is an error in torch (NumPy would warn and return 0)."""
    if np.any(np.asarray(y) == 0):
        raise RuntimeError("ZeroDivisionError")


# --- division with rounding, fmod, remainder ------------------------------------------------------


def _prep_int_div(x: Any, y: Any, kernel: str) -> tuple[Any, Any]:
    """Operands promoted as torch; bool refused, integer division by zero refused."""
    x, y = prep(x, y)
    dt = x.dtype if isinstance(x, np.ndarray) else y.dtype
    if dt.kind == "b":
        raise kernel_error(kernel, dt)
    if dt.kind in "iu":
        _check_zero_division(y)
    return x, y


def _floor_div(x: Any, y: Any) -> Any:
    """torch's floor division: floor of the exact quotient (NumPy's algorithm is torch's)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.floor_divide(x, y)


def _trunc_div(x: Any, y: Any) -> Any:
    if np.result_type(x, y).kind in "iu":
        return (x - np.fmod(x, y)) // y  # exact: the numerator is a multiple of y
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.trunc(x / y)


def _remainder(x: Any, y: Any) -> Any:
    """x - floor(x / y) * y as torch computes it: fmod, then shifted into y's sign."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mod = np.fmod(x, y)
        return np.where((mod != 0) & ((y < 0) != (mod < 0)), mod + y, mod)


def _binary(fn: Any, x: Any, y: Any) -> np.ndarray:
    try:
        return np.asarray(fn(x, y))
    except ValueError:
        raise broadcast_error(x, y) from None


class DivMode(Primitive):
    """out = trunc(x / y) or floor(x / y);  dout/dx = dout/dy = 0 (as torch)"""

    node_name = "DivBackward2"

    @staticmethod
    def forward(ctx, x, y, mode):
        x, y = _prep_int_div(x, y, f"div_{mode}_cpu")
        return _binary(_trunc_div if mode == "trunc" else _floor_div, x, y)

    jvp_rule = fw.zero

    @staticmethod
    def backward(ctx, g):
        return tuple(None if e is None else zero_gradient(g) for e in ctx._edges)


class FloorDivide(Primitive):
    """out = floor(x / y); torch has no derivative for it: backward raises, as torch"""

    node_name = "torch::autograd::NotImplemented"
    _aten = "floor_divide"

    @staticmethod
    def forward(ctx, x, y):
        x, y = _prep_int_div(x, y, "div_floor_cpu")
        return _binary(_floor_div, x, y)

    @classmethod
    def backward(cls, ctx, g):
        raise RuntimeError(f"derivative for aten::{cls._aten} is not implemented")


class Fmod(Primitive):
    """out = x - trunc(x / y) * y;  dout/dx = 1, dout/dy = -trunc(x / y)"""

    node_name = "FmodBackward1"

    @staticmethod
    def forward(ctx, x, y):
        x, y = _prep_int_div(x, y, "fmod_cpu")
        ctx.save_for_backward(x, y)
        with np.errstate(invalid="ignore"):
            return _binary(np.fmod, x, y)

    @staticmethod
    def jvp_rule(t, out, x, y):  # dx - trunc(x / y) dy, as torch
        return t[0] - t[1] * _trunc_div(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gy = None
        if ctx._edges[1] is not None:
            gy = -g * d.const(g, _trunc_div(d.data(x), d.data(y)))
        return g, gy


class FmodScalar(Primitive):
    """out = fmod(x, c) (c a number);  dout/dx = 1"""

    node_name = "FmodBackward0"

    @staticmethod
    def forward(ctx, x, c):
        x, c = _prep_int_div(x, c, "fmod_cpu")
        with np.errstate(invalid="ignore"):
            return np.asarray(np.fmod(x, c))

    jvp_rule = staticmethod(lambda t, out, x, c: t[0])

    @staticmethod
    def backward(ctx, g):
        return g, None


class Remainder(Primitive):
    """out = x - floor(x / y) * y;  dout/dx = 1, dout/dy = -floor(x / y)"""

    node_name = "RemainderBackward1"

    @staticmethod
    def forward(ctx, x, y):
        x, y = _prep_int_div(x, y, "remainder_cpu")
        ctx.save_for_backward(x, y)
        return _binary(_remainder, x, y)

    @staticmethod
    def jvp_rule(t, out, x, y):  # dx - floor(x / y) dy, as torch
        return t[0] - t[1] * _floor_div(x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gy = None
        if ctx._edges[1] is not None:
            gy = -g * d.const(g, _floor_div(d.data(x), d.data(y)))
        return g, gy


class RemainderScalar(Remainder):
    """out = remainder(x, c) (c a number);  dout/dx = 1"""

    node_name = "RemainderBackward0"
    jvp_rule = staticmethod(lambda t, out, x, c: t[0])

    @staticmethod
    def backward(ctx, g):
        return g, None


class RemainderScalarSelf(FloorDivide):
    """out = remainder(c, y) (c a number); torch has no derivative for it: backward raises"""

    node_name = "torch::autograd::NotImplemented"
    _aten = "remainder"

    @staticmethod
    def forward(ctx, c, y):
        return Remainder.forward(ctx, c, y)


# --- functional forms -------------------------------------------------------------------------


def _type_error(fn: str, arg: str, pos: int, v: Any) -> TypeError:
    return TypeError(
        f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(v).__name__}"
    )


def div_rounding(input: Any, other: Any, rounding_mode: str) -> Tensor:
    """torch.div with rounding_mode 'trunc' or 'floor' (zero gradients, as torch)."""
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' "
            f"but found '{rounding_mode}'"
        )
    return DivMode.apply(input, other, mode=rounding_mode)


def floor_divide(input: Any, other: Any) -> Tensor:
    """floor(input / other), elementwise; not differentiable in torch."""
    return FloorDivide.apply(input, other)


def fmod(input: Tensor, other: Any) -> Tensor:
    """The C remainder: input - trunc(input / other) * other, with input's sign."""
    if not isinstance(input, Tensor):
        raise _type_error("fmod", "input", 1, input)
    if isinstance(other, Tensor):
        return Fmod.apply(input, other)
    return FmodScalar.apply(input, other)


def remainder(input: Any, other: Any) -> Tensor:
    """Python's modulus: input - floor(input / other) * other, with other's sign."""
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):
            raise _type_error("remainder", "other", 2, other)
        return RemainderScalarSelf.apply(input, other)
    if isinstance(other, Tensor):
        return Remainder.apply(input, other)
    return RemainderScalar.apply(input, other)


METHODS: dict[str, Any] = {
    "floor_divide": floor_divide, "fmod": fmod, "remainder": remainder,
    "__floordiv__": floor_divide,
    "__rfloordiv__": lambda self, other: floor_divide(other, self),
    "__mod__": remainder,
    "__rmod__": lambda self, other: remainder(other, self),
}  # fmt: skip
