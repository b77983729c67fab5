"""Unary elementwise primitives (exp log sqrt abs sin cos tanh sigmoid relu clamp clamp_min
clamp_max, casts).

Each docstring's first line is the math; the formula sits beside it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import _dtype
from chainrule.autograd import forward_ad as fw
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, broadcast_error
from chainrule.tensor import Tensor

_F32 = _dtype.DEFAULT_FLOAT


def to_float(x: np.ndarray) -> np.ndarray:
    return x if x.dtype.kind == "f" else x.astype(_F32)


def _promote(*arrays: np.ndarray | None) -> list[np.ndarray | None]:
    """Tensor operands (None skipped) cast to torch's result dtype: float beats int beats bool,
    and within the winning kind a dimensioned operand outranks a 0-d one."""
    present = [a for a in arrays if a is not None]
    rt = present[0]
    for a in present[1:]:
        dt = _dtype.result_type(rt, a)
        dimensioned = any(v.ndim and v.dtype.kind == dt.kind for v in (rt, a))
        rt = np.empty((1,) if dimensioned else (), dt)
    return [a if a is None or a.dtype == rt.dtype else a.astype(rt.dtype) for a in arrays]


class Exp(Primitive):
    """out = exp(x);  dout/dx = out (saved: cheaper than recomputing exp)"""

    node_name = "ExpBackward0"

    @staticmethod
    def forward(ctx, x):
        out = np.exp(to_float(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out

    jvp_rule = staticmethod(lambda t, out, x: t[0] * out)


class Log(Primitive):
    """out = log(x);  dout/dx = 1 / x"""

    node_name = "LogBackward0"

    @staticmethod
    def forward(ctx, x):
        x = to_float(x)
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / x

    jvp_rule = staticmethod(lambda t, out, x: t[0] / x)


class Sqrt(Primitive):
    """out = sqrt(x);  dout/dx = 1 / (2 * out) (inf at x = 0, as torch)"""

    node_name = "SqrtBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(invalid="ignore"):
            out = np.sqrt(to_float(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (2 * out)

    jvp_rule = staticmethod(lambda t, out, x: t[0] / (2 * out))


class Abs(Primitive):
    """out = |x|;  dout/dx = sign(x), so abs'(0) = 0 (as torch)"""

    node_name = "AbsBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise _dtype.kernel_error("abs_cpu", x.dtype)
        ctx.save_for_backward(x)
        return np.abs(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * d.sign(x)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * d.sign(x))


class Sin(Primitive):
    """out = sin(x);  dout/dx = cos(x)"""

    node_name = "SinBackward0"

    @staticmethod
    def forward(ctx, x):
        x = to_float(x)
        ctx.save_for_backward(x)
        return np.sin(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * d.cos(x)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * np.cos(x))


class Cos(Primitive):
    """out = cos(x);  dout/dx = -sin(x)"""

    node_name = "CosBackward0"

    @staticmethod
    def forward(ctx, x):
        x = to_float(x)
        ctx.save_for_backward(x)
        return np.cos(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * -d.sin(x)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * -np.sin(x))


class Tanh(Primitive):
    """out = tanh(x);  dout/dx = 1 - out**2 (saved output)"""

    node_name = "TanhBackward0"

    @staticmethod
    def forward(ctx, x):
        out = np.tanh(to_float(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * (1 - out * out))


class Sigmoid(Primitive):
    """out = 1 / (1 + exp(-x));  dout/dx = out * (1 - out) (saved output)"""

    node_name = "SigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        x = to_float(x)
        # exp of a non-positive number only: no overflow for large |x|
        e = np.exp(-np.abs(x))
        out = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out) * out

    jvp_rule = staticmethod(lambda t, out, x: t[0] * (1 - out) * out)


class Relu(Primitive):
    """out = max(x, 0);  dout/dx = 0 where out <= 0 else 1, so relu'(0) = 0 (as torch)"""

    node_name = "ReluBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise RuntimeError("Boolean inputs not supported for relu")
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return d.masked(g, ~(d.data(out) <= 0))  # NaN passes the gradient, as torch

    jvp_rule = staticmethod(lambda t, out, x: np.where(out <= 0, 0.0, t[0]))


class Clamp(Primitive):
    """out = min(max(x, lo), hi);  dout/dx = 1 where lo <= x <= hi (bounds pass, as torch)"""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, lo, hi):
        if lo is None and hi is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        lo, hi = (b.item() if isinstance(b, np.generic) else b for b in (lo, hi))  # as numbers
        if x.dtype.kind == "b" and all(b is None or isinstance(b, bool) for b in (lo, hi)):
            kernel = "clamp_max" if lo is None else ("clamp_min" if hi is None else "clamp")
            raise _dtype.kernel_error(kernel + "_scalar_cpu", x.dtype)  # a bool result
        if any(isinstance(b, float) for b in (lo, hi)) and x.dtype.kind != "f":
            x = x.astype(_F32)
        elif x.dtype.kind in "iu":  # int bounds in x's dtype: overflow checked, wrapped (torch)
            lo, hi = (None if b is None else _dtype.checked_scalar(b, x.dtype) for b in (lo, hi))
        ctx.save_for_backward(x)
        ctx.bounds = (lo, hi)
        out = x
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        return out if out is not x else x.copy()

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        xd = d.data(x)
        mask = True
        if lo is not None:
            mask = xd >= lo
        if hi is not None:
            mask = mask & (xd <= hi)
        return d.masked(g, mask)

    @staticmethod
    def jvp_rule(t, out, x, lo, hi):  # torch's clamp_backward applied to the tangent
        keep = (x >= (-np.inf if lo is None else lo)) & (x <= (np.inf if hi is None else hi))
        return np.where(keep, t[0], 0.0)


class ClampTensor(Primitive):
    """out = min(max(x, lo), hi) with tensor bounds.

    dout/dx = 1 where lo <= x <= hi (ties go to x, as torch); dout/dlo = 1 where x < lo < hi;
    dout/dhi = 1 where x > hi or hi < lo (when lo > hi the result is hi, as torch).
    """

    node_name = "ClampBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        if all(b is None for b in (lo, hi)):
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        # a bool result: torch's clamp kernel refuses it (one bound alone is maximum/minimum)
        if all(v is not None and v.dtype.kind == "b" for v in (x, lo, hi)):
            raise _dtype.kernel_error("clamp_cpu", x.dtype)
        x, lo, hi = _promote(x, lo, hi)
        out = x
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        ctx.save_for_backward(x, lo, hi)
        return out if out is not x else x.copy()

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = (None if v is None else d.data(v) for v in ctx.saved_tensors)
        keep_x = True
        g_lo = g_hi = None
        if lo is not None:
            keep_x = x >= lo
            below = x < lo if hi is None else (x < lo) & (lo < hi)
            g_lo = d.masked(g, below)
        if hi is not None:
            keep_x = keep_x & (x <= hi)
            g_hi = d.masked(g, x > hi if lo is None else (x > hi) | (hi < lo))
        return d.masked(g, keep_x), g_lo, g_hi

    @staticmethod
    def jvp_rule(t, out, x, lo, hi):  # torch's clamp_jvp (its ties differ from backward's)
        (tx, tlo, thi), (x, lo, hi) = t, _promote(x, lo, hi)
        if hi is None:
            return fw.where(x > lo, tx, tlo)
        if lo is None:
            return fw.where(x < hi, tx, thi)
        return fw.where(lo > hi, thi, fw.where(x < lo, tlo, fw.where(x > hi, thi, tx)))


class ClampMin(Clamp):
    """out = max(x, lo) for a number lo;  dout/dx = 1 where x >= lo (the bound passes, as torch)"""

    node_name = "ClampMinBackward0"

    @staticmethod
    def forward(ctx, x, bound):
        return Clamp.forward(ctx, x, bound, None)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return d.where(d.data(x) >= ctx.bounds[0], g, 0.0)  # torch's where: 0, even for inf g

    jvp_rule = staticmethod(lambda t, out, x, bound: Clamp.jvp_rule(t, out, x, bound, None))


class ClampMax(Clamp):
    """out = min(x, hi) for a number hi;  dout/dx = 1 where x <= hi (the bound passes, as torch)"""

    node_name = "ClampMaxBackward0"

    @staticmethod
    def forward(ctx, x, bound):
        return Clamp.forward(ctx, x, None, bound)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return d.where(d.data(x) <= ctx.bounds[1], g, 0.0)

    jvp_rule = staticmethod(lambda t, out, x, bound: Clamp.jvp_rule(t, out, x, None, bound))


class ClampMinTensor(Primitive):
    """out = max(x, lo) for a tensor lo;  dout/dx = 1 where x >= lo (a tie goes to x),
    dout/dlo = 1 where x < lo; NaN on either side gives neither a gradient (as torch)"""

    node_name = "ClampMinBackward1"
    _np = staticmethod(np.maximum)

    @classmethod
    def forward(cls, ctx, x, bound):
        x, bound = _promote(x, bound)
        try:
            out = cls._np(x, bound)
        except ValueError:
            raise broadcast_error(x, bound) from None
        ctx.save_for_backward(x, bound)
        return out

    @classmethod
    def backward(cls, ctx, g):
        x, bound = (d.data(v) for v in ctx.saved_tensors)
        keep = x >= bound if cls._np is np.maximum else x <= bound
        passed = x < bound if cls._np is np.maximum else x > bound
        return d.where(keep, g, 0.0), d.where(passed, g, 0.0)

    @classmethod
    def jvp_rule(cls, t, out, x, bound):  # torch's: dx where x >= lo (<= hi), else dlo (dhi)
        x, bound = _promote(x, bound)
        return fw.where(x >= bound if cls._np is np.maximum else x <= bound, t[0], t[1])


class ClampMaxTensor(ClampMinTensor):
    """out = min(x, hi) for a tensor hi;  dout/dx = 1 where x <= hi (a tie goes to x),
    dout/dhi = 1 where x > hi; NaN on either side gives neither a gradient (as torch)"""

    node_name = "ClampMaxBackward1"
    _np = staticmethod(np.minimum)


class Clone(Primitive):
    """out = x (a copy);  dout/dx = 1"""

    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, g):
        return g

    jvp_rule = fw.linear


class Cast(Primitive):
    """out = x converted to another dtype;  dout/dx = 1 (gradient cast back by the engine)"""

    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dtype):
        return x.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g

    jvp_rule = fw.linear


# --- functional forms -------------------------------------------------------------------------


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """min(max(input, min), max): bounds both numbers or both tensors (or None), as torch."""
    tensors = [isinstance(b, Tensor) for b in (min, max) if b is not None]
    if any(tensors):
        if not all(tensors):
            raise TypeError(
                "clamp() received an invalid combination of arguments: min and max must both "
                "be numbers or both be tensors (or None)"
            )
        return ClampTensor.apply(input, min, max)
    return Clamp.apply(input, lo=min, hi=max)


def _clamp_one(name: str, scalar: type, tensor: type, input: Tensor, bound: Any) -> Tensor:
    if isinstance(bound, Tensor):
        return tensor.apply(input, bound)
    if not isinstance(bound, (bool, int, float, np.number, np.bool_)):
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got (Tensor, "
            f"{type(bound).__name__}), but expected one of:\n * (Tensor input, Tensor {name[6:]})"
            f"\n * (Tensor input, Number {name[6:]})"
        )
    return scalar.apply(input, bound=bound)


def clamp_min(input: Tensor, min: Any) -> Tensor:
    """max(input, min) for a number or tensor min (torch.clamp_min: the bound passes the
    gradient to input)."""
    return _clamp_one("clamp_min", ClampMin, ClampMinTensor, input, min)


def clamp_max(input: Tensor, max: Any) -> Tensor:
    """min(input, max) for a number or tensor max (torch.clamp_max: the bound passes the
    gradient to input)."""
    return _clamp_one("clamp_max", ClampMax, ClampMaxTensor, input, max)
