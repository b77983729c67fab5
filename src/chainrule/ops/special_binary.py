"""Smooth binary (and ternary) elementwise ops: atan2 xlogy logaddexp hypot lerp.

Formulas are written as if shapes matched: the engine reduces broadcast gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd import forward_ad as fw
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, broadcast_error
from chainrule.ops.arithmetic import prep, prep_float
from chainrule.ops.rounding import kernel_error
from chainrule.tensor import Tensor

__all__ = ["atan2", "arctan2", "xlogy", "logaddexp", "hypot", "lerp"]

_nd = np.ndarray


def _compute(fn: Any, x: Any, y: Any) -> np.ndarray:
    """fn(x, y) silently (inf and NaN as IEEE gives them), torch's error on a shape clash."""
    try:
        with np.errstate(all="ignore"):
            return np.asarray(fn(x, y))
    except ValueError:
        raise broadcast_error(x, y) from None


def _float_only(x: Any, y: Any, kernel: str) -> tuple[Any, Any]:
    """Operands promoted as torch, for a kernel that has no integer loop."""
    x, y = prep(x, y)
    dt = x.dtype if isinstance(x, _nd) else y.dtype
    if dt.kind != "f":
        raise kernel_error(kernel, dt)
    return x, y


class Atan2(Primitive):
    """out = atan2(x, y);  dout/dx = y / (x² + y²), dout/dy = -x / (x² + y²), both 0 where
    x² + y² == 0 (as torch)"""

    node_name = "Atan2Backward0"

    @staticmethod
    def forward(ctx, x, y):
        x, y = prep_float(x, y)
        ctx.save_for_backward(x, y)
        return _compute(np.arctan2, x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        ex, ey = ctx._edges
        with np.errstate(divide="ignore", invalid="ignore"):
            denom = x * x + y * y
            recip = d.where(d.data(denom) == 0, 0.0, 1 / denom)
            return (
                g * y * recip if ex is not None else None,
                g * -x * recip if ey is not None else None,
            )

    # torch's formula: unlike backward, no special case where x² + y² == 0
    jvp_rule = staticmethod(lambda t, out, x, y: (-x * t[1] + y * t[0]) / (x * x + y * y))


def _xlogy(x: Any, y: Any) -> Any:
    """x * log(y), 0 where x == 0 unless y is NaN (as torch)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(x == 0, 0, x * np.log(y))
    return np.where(np.isnan(y), np.nan, out)


class Xlogy(Primitive):
    """out = x * log(y) (0 where x == 0);  dout/dx = log(y), dout/dy = x / y.
    dout/dx = 0 where x == 0 and y <= 0 (as torch)"""

    node_name = "XlogyBackward0"

    @staticmethod
    def forward(ctx, x, y):
        x, y = prep_float(x, y)
        # a number operand as a 0-d array of the result's dtype: np.log(2.0) would be float64
        dt = (x if isinstance(x, _nd) else y).dtype
        x, y = np.asarray(x, dt), np.asarray(y, dt)
        ctx.save_for_backward(x, y)
        try:
            return _xlogy(x, y)
        except ValueError:
            raise broadcast_error(x, y) from None

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        ex, ey = ctx._edges
        gx = gy = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ex is not None:
                # xlogy(g, y), not g * log(y): a zero gradient stays zero at y == 0
                gxy = xlogy(g, y) if isinstance(g, Tensor) else _xlogy(g, y)
                gx = d.where((d.data(x) == 0) & (d.data(y) <= 0), 0.0, gxy)
            if ey is not None:
                gy = g * x / y
        return gx, gy

    @staticmethod
    def jvp_rule(t, out, x, y):  # dx log(y) (0 where x == 0 and y <= 0) + dy x / y, as torch
        dx = fw.ZERO if t[0] is fw.ZERO else np.where((x == 0) & (y <= 0), 0.0, _xlogy(t[0], y))
        return dx + t[1] * x / y


class XlogyScalarSelf(Xlogy):
    """out = c * log(y) (c a number);  dout/dy = c / y"""

    node_name = "XlogyBackward1"


class XlogyScalarOther(Xlogy):
    """out = x * log(c) (c a number);  dout/dx = log(c), 0 where x == 0 and c <= 0"""

    node_name = "XlogyBackward2"


class Logaddexp(Primitive):
    """out = log(e**x + e**y);  dout/dx = 1 / (1 + exp(y - x)), dout/dy = 1 / (1 + exp(x - y))"""

    node_name = "LogaddexpBackward0"

    @staticmethod
    def forward(ctx, x, y):
        x, y = _float_only(x, y, "logaddexp_cpu")
        ctx.save_for_backward(x, y)
        return _compute(np.logaddexp, x, y)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        ex, ey = ctx._edges
        with np.errstate(over="ignore", invalid="ignore"):  # exp overflows to inf: gradient 0
            return (
                g / (1 + d.exp(y - x)) if ex is not None else None,
                g / (1 + d.exp(x - y)) if ey is not None else None,
            )

    jvp_rule = staticmethod(
        lambda t, out, x, y: t[0] / (1 + np.exp(y - x)) + t[1] / (1 + np.exp(x - y))
    )


class Hypot(Primitive):
    """out = sqrt(x² + y²);  dout/dx = x / out, dout/dy = y / out (NaN at 0, as torch)"""

    node_name = "HypotBackward0"

    @staticmethod
    def forward(ctx, x, y):
        x, y = _float_only(x, y, "hypot_cpu")
        out = _compute(np.hypot, x, y)
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        ex, ey = ctx._edges
        with np.errstate(divide="ignore", invalid="ignore"):
            return (
                g * x / out if ex is not None else None,
                g * y / out if ey is not None else None,
            )

    jvp_rule = staticmethod(lambda t, out, x, y: t[0] * x / out + t[1] * y / out)


# C++ names torch's lerp uses in its dtype errors
_CPP_TYPE = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
    "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
    "bool": "bool",
}  # fmt: skip


def _lerp_values(x: np.ndarray, end: np.ndarray, w: Any) -> np.ndarray:
    """torch's two-sided formula: exact at w == 0 and at w == 1."""
    try:
        np.broadcast_shapes(np.shape(x), np.shape(end), np.shape(w))
    except ValueError:
        pairs = ((x, end), (x, w), (end, w))
        a, b = next((a, b) for a, b in pairs if not _broadcastable(a, b))
        raise broadcast_error(a, b) from None
    dt = x.dtype
    work = np.float32 if dt == np.float16 else dt  # half computes in float
    x, end = x.astype(work, copy=False), end.astype(work, copy=False)
    w = w.astype(work, copy=False) if isinstance(w, _nd) else float(w)
    with np.errstate(all="ignore"):
        out = np.where(np.abs(w) < 0.5, x + w * (end - x), end - (end - x) * (1 - w))
    return out.astype(dt, copy=False)


def _broadcastable(a: Any, b: Any) -> bool:
    try:
        np.broadcast_shapes(np.shape(a), np.shape(b))
    except ValueError:
        return False
    return True


def _lerp_check(x: np.ndarray, end: np.ndarray, w: Any) -> None:
    for name, v in (("end", end), ("weight", w)):
        if isinstance(v, _nd) and v.dtype != x.dtype and (name == "end" or v.ndim):
            raise RuntimeError(
                f"expected dtype {_CPP_TYPE[x.dtype.name]} for `{name}` but got "
                f"dtype {_CPP_TYPE.get(v.dtype.name, v.dtype.name)}"
            )
    if x.dtype.kind != "f":
        raise kernel_error(
            "lerp_kernel_tensor" if isinstance(w, _nd) else "lerp_kernel_scalar", x.dtype
        )


class Lerp(Primitive):
    """out = x + w * (end - x) (w a tensor);  dout/dx = 1 - w, dout/dend = w, dout/dw = end - x"""

    node_name = "LerpBackward1"

    @staticmethod
    def forward(ctx, x, end, w):
        _lerp_check(x, end, w)
        ctx.save_for_backward(x, end, w)
        return _lerp_values(x, end, w)

    @staticmethod
    def backward(ctx, g):
        x, end, w = ctx.saved_tensors
        ex, ee, ew = ctx._edges
        return (
            g * (1 - w) if ex is not None else None,
            g * w if ee is not None else None,
            g * (end - x) if ew is not None else None,
        )

    @staticmethod
    def jvp_rule(t, out, x, end, w):  # lerp(dx, dend, w) + dw (end - x), as torch
        return _lerp_values(fw.dense(t[0], x), fw.dense(t[1], end), w) + t[2] * (end - x)


class LerpScalar(Primitive):
    """out = x + w * (end - x) (w a number);  dout/dx = 1 - w, dout/dend = w"""

    node_name = "LerpBackward0"

    @staticmethod
    def forward(ctx, x, end, w):
        _lerp_check(x, end, w)
        ctx.w = w
        return _lerp_values(x, end, w)

    @staticmethod
    def backward(ctx, g):
        w = float(ctx.w)
        ex, ee, _ = ctx._edges
        return (g * (1.0 - w) if ex is not None else None, g * w if ee is not None else None, None)

    jvp_rule = staticmethod(
        lambda t, out, x, end, w: _lerp_values(fw.dense(t[0], x), fw.dense(t[1], end), w)
    )


# --- functional forms -------------------------------------------------------------------------


def _tensors(fn: str, input: Any, other: Any) -> None:
    for pos, (arg, v) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(v, Tensor):
            raise TypeError(
                f"{fn}(): argument '{arg}' (position {pos}) must be Tensor, not {type(v).__name__}"
            )


def atan2(input: Tensor, other: Tensor) -> Tensor:
    """The angle of the point (other, input): atan(input / other) in the right quadrant."""
    _tensors("atan2", input, other)
    return Atan2.apply(input, other)


arctan2 = atan2


def xlogy(input: Any, other: Any) -> Tensor:
    """input * log(other), 0 where input == 0 (unless other is NaN)."""
    if isinstance(input, Tensor):
        return (Xlogy if isinstance(other, Tensor) else XlogyScalarOther).apply(input, other)
    if not isinstance(other, Tensor):
        raise TypeError(
            f"xlogy(): expected a Tensor argument, got {type(input).__name__} and "
            f"{type(other).__name__}"
        )
    return XlogyScalarSelf.apply(input, other)


def logaddexp(input: Tensor, other: Tensor) -> Tensor:
    """log(exp(input) + exp(other)), without overflow."""
    _tensors("logaddexp", input, other)
    return Logaddexp.apply(input, other)


def hypot(input: Tensor, other: Tensor) -> Tensor:
    """sqrt(input² + other²), without overflow."""
    _tensors("hypot", input, other)
    return Hypot.apply(input, other)


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:
    """input + weight * (end - input); weight a number or a tensor (broadcast together)."""
    _tensors("lerp", input, end)
    if isinstance(weight, Tensor):
        return Lerp.apply(input, end, weight)
    if not isinstance(weight, (int, float, np.number)):
        raise TypeError(
            f"lerp(): argument 'weight' (position 3) must be Tensor or Number, not "
            f"{type(weight).__name__}"
        )
    return LerpScalar.apply(input, end, weight)


METHODS: dict[str, Any] = {
    "atan2": atan2, "arctan2": arctan2, "xlogy": xlogy, "logaddexp": logaddexp,
    "hypot": hypot, "lerp": lerp,
}  # fmt: skip
