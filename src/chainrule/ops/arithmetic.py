"""Binary elementwise primitives (+ - * / ** maximum minimum where) and torch's type promotion.

Formulas are written as if shapes matched: the engine reduces broadcast gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import _dtype
from chainrule.autograd import forward_ad as fw
from chainrule.autograd.function import _wrap
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, broadcast_error
from chainrule.tensor import Tensor

_nd = np.ndarray
_F32 = _dtype.DEFAULT_FLOAT


def prep(x: Any, y: Any) -> tuple[Any, Any]:
    """Cast the operands of a binary op to torch's result dtype (see _dtype.result_type)."""
    if x.__class__ is _nd:
        if y.__class__ is _nd:
            if x.dtype == y.dtype:
                return x, y
        elif x.dtype.kind == "f" and (y.__class__ is float or y.__class__ is int):
            return x, y
    elif y.__class__ is _nd and y.dtype.kind == "f" and x.__class__ in (float, int):
        return x, y
    rt = _dtype.result_type(x, y)
    if isinstance(x, _nd) and x.dtype != rt:
        x = x.astype(rt)
    elif isinstance(x, (bool, int, float, np.generic)) and not isinstance(x, _nd):
        x = _scalar(x, rt)
    if isinstance(y, _nd) and y.dtype != rt:
        y = y.astype(rt)
    elif not isinstance(y, _nd):
        y = _scalar(y, rt)
    return x, y


def _scalar(v: Any, rt: np.dtype) -> Any:
    """A scalar operand as a weak Python scalar of the result's kind."""
    if isinstance(v, np.generic):
        v = v.item()
    if rt.kind == "f":
        return float(v)
    if rt.kind in "iu":
        return _dtype.wrap_int(int(v), rt)  # uint8 - 1 wraps, as torch
    return v


def prep_float(x: Any, y: Any) -> tuple[Any, Any]:
    """As prep, but integer results become float32 (true division, pow with float...)."""
    if (x.__class__ is _nd and x.dtype.kind == "f") or (y.__class__ is _nd and y.dtype.kind == "f"):
        return prep(x, y)
    if _dtype.result_type(x, y).kind == "f":
        return prep(x, y)
    # an integer result: both sides to float32, the numbers as they are (no wrapping)
    return (
        x.astype(_F32) if isinstance(x, _nd) else float(x),
        y.astype(_F32) if isinstance(y, _nd) else float(y),
    )


def _is_bool(v: Any) -> bool:
    return isinstance(v, (bool, np.bool_)) or (isinstance(v, _nd) and v.dtype.kind == "b")


class Add(Primitive):
    """out = x + y;  dout/dx = 1, dout/dy = 1"""

    node_name = "AddBackward0"

    @staticmethod
    def forward(ctx, x, y):
        x, y = prep(x, y)
        try:
            return x + y
        except ValueError:
            raise broadcast_error(x, y) from None

    @staticmethod
    def backward(ctx, g):
        return g, g

    jvp_rule = fw.linear


class Sub(Primitive):
    """out = x - y;  dout/dx = 1, dout/dy = -1"""

    node_name = "SubBackward0"

    @staticmethod
    def forward(ctx, x, y):
        bx, by = _is_bool(x), _is_bool(y)
        if bx and by:
            raise RuntimeError(
                "Subtraction, the `-` operator, with two bool tensors is not supported. "
                "Use the `^` or `logical_xor()` operator instead."
            )
        if bx or by:
            raise RuntimeError(
                "Subtraction, the `-` operator, with a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        x, y = prep(x, y)
        try:
            return x - y
        except ValueError:
            raise broadcast_error(x, y) from None

    @staticmethod
    def backward(ctx, g):
        return g, (-g if ctx._edges[1] is not None else None)

    jvp_rule = fw.linear


class Rsub(Sub):
    """out = y - x (a scalar minus a tensor);  dout/dx = -1"""

    node_name = "RsubBackward1"

    @staticmethod
    def forward(ctx, x, c):
        return Sub.forward(ctx, c, x)

    @staticmethod
    def backward(ctx, g):
        return -g

    jvp_rule = staticmethod(lambda t, out, x, c: -t[0])


class Mul(Primitive):
    """out = x * y;  dout/dx = y, dout/dy = x"""

    node_name = "MulBackward0"

    @staticmethod
    def forward(ctx, x, y):
        x, y = prep(x, y)
        e = ctx._edges  # save only what the wanted gradients need, as torch
        ctx.save_for_backward(x if e[1] is not None else None, y if e[0] is not None else None)
        try:
            return x * y
        except ValueError:
            raise broadcast_error(x, y) from None

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        ex, ey = ctx._edges
        return (g * y if ex is not None else None), (g * x if ey is not None else None)

    jvp_rule = staticmethod(lambda t, out, x, y: t[0] * y + x * t[1])


class Div(Primitive):
    """out = x / y;  dout/dx = 1 / y, dout/dy = -x / y**2 (written (x / y) / y, as torch)"""

    node_name = "DivBackward0"

    @staticmethod
    def forward(ctx, x, y):
        x, y = prep_float(x, y)
        ctx.save_for_backward(x if ctx._edges[1] is not None else None, y)
        try:
            return x / y
        except ValueError:
            raise broadcast_error(x, y) from None

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        ex, ey = ctx._edges
        return (g / y if ex is not None else None), (-g * ((x / y) / y) if ey is not None else None)

    jvp_rule = staticmethod(lambda t, out, x, y: (t[0] - t[1] * out) / y)  # as torch


class Reciprocal(Primitive):
    """out = 1 / x;  dout/dx = -out**2 (saved output). `c / x` is `reciprocal(x) * c`, as torch"""

    node_name = "ReciprocalBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            x = x.astype(_F32)
        with np.errstate(divide="ignore"):
            out = 1 / x
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return -g * (out * out)

    jvp_rule = staticmethod(lambda t, out, x: -t[0] * (out * out))


class Neg(Primitive):
    """out = -x;  dout/dx = -1"""

    node_name = "NegBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            raise RuntimeError(
                "Negation, the `-` operator, on a bool tensor is not supported. If you are "
                "trying to invert a mask, use the `~` or `logical_not()` operator instead."
            )
        return -x

    @staticmethod
    def backward(ctx, g):
        return -g

    jvp_rule = fw.linear


class Pow(Primitive):
    """out = x ** p (p a number);  dout/dx = p * x ** (p - 1), and 0 when p == 0 (as torch)"""

    node_name = "PowBackward0"

    @staticmethod
    def forward(ctx, x, p):
        if isinstance(p, float) and x.dtype.kind != "f":
            x = x.astype(_F32)
        elif x.dtype.kind in "iub" and isinstance(p, int) and p < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        elif x.dtype.kind == "b":  # bool ** int is int64 in torch (int8 in NumPy)
            if isinstance(p, (bool, np.bool_)):  # a bool result: torch's x ** 1, x ** 0
                return x.copy() if p else np.ones_like(x)
            x = x.astype(_dtype.DEFAULT_INT)
        ctx.save_for_backward(x)
        ctx.p = p
        if isinstance(p, (int, float)) and p < 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                return x**p  # 0 ** -1 = inf, silently, as torch
        return x**p

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        p = ctx.p
        if p == 0:
            return d.const(g, np.zeros_like(d.data(g)))
        return g * (p * x ** (p - 1))

    jvp_rule = staticmethod(lambda t, out, x, p: fw.ZERO if p == 0 else t[0] * (p * x ** (p - 1)))


def _power(x: Any, y: Any, rt: np.dtype) -> np.ndarray:
    """x ** y in dtype rt, by torch's rules for integers: a negative exponent gives 1 / x
    truncated (1 for x = 1, +-1 for x = -1, else 0, 0 ** -n included), where NumPy refuses."""
    if rt.kind == "b":
        raise _dtype.kernel_error("pow", rt)
    if rt.kind in "iu" and np.any(np.asarray(y) < 0):
        xa, ya = np.asarray(x, rt), np.asarray(y, rt)
        neg = ya < 0
        out = np.power(xa, np.where(neg, 0, ya))
        inv = np.where(xa == 1, 1, np.where(xa == -1, 1 - 2 * (ya & 1), 0))
        return np.asarray(np.where(neg, inv, out), rt)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.power(x, y), rt)


class PowTensor(Primitive):
    """out = x ** y;  dout/dx = y * x**(y-1) (0 where y == 0), dout/dy = out * log(x)
    (0 where x == 0 and y >= 0), as torch"""

    node_name = "PowBackward1"

    @staticmethod
    def forward(ctx, x, y):
        x, y = prep(x, y)
        out = _power(x, y, x.dtype if isinstance(x, _nd) else y.dtype)
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, y, out = ctx.saved_tensors
        ex, ey = ctx._edges
        gx = gy = None
        if ex is not None:
            gx = d.where(d.data(y) == 0, 0.0, g * (y * x ** (y - 1)))
        if ey is not None:
            xd, yd = d.data(x), d.data(y)
            gy = d.where((xd == 0) & (yd >= 0), 0.0, g * (out * d.log(x)))
        return gx, gy

    @staticmethod
    def jvp_rule(t, out, x, y):
        x, y = prep(x, y)
        dx = fw.where(y == 0, 0.0, t[0] * (y * x ** (y - 1)))
        return dx + fw.where((x == 0) & (y >= 0), 0.0, t[1] * (out * np.log(x)))


class RPow(Primitive):
    """out = c ** x (c a number);  dout/dx = out * log(c) (0 where c == 0 and x >= 0)"""

    node_name = "PowBackward2"

    @staticmethod
    def forward(ctx, x, c):
        rt = _dtype.result_type(x, c)
        if x.dtype != rt:
            x = x.astype(rt)
        out = _power(_scalar(c, rt), x, rt)
        ctx.save_for_backward(x, out)
        ctx.c = c
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        c = ctx.c
        if c == 0:
            return d.where(d.data(x) >= 0, 0.0, g * (out * float(np.log(c))))
        return g * (out * float(np.log(c)))

    @staticmethod
    def jvp_rule(t, out, x, c):
        dout = t[0] * (out * float(np.log(c)))
        return fw.where(x >= 0, 0.0, dout) if c == 0 else dout


class Maximum(Primitive):
    """out = max(x, y);  the larger input gets the gradient; at x == y each gets half (as torch)"""

    node_name = "MaximumBackward0"
    _pick = staticmethod(np.maximum)

    @staticmethod
    def _less(a, b):
        return a < b

    @classmethod
    def forward(cls, ctx, x, y):
        x, y = prep(x, y)
        ctx.save_for_backward(x, y)
        try:
            return cls._pick(x, y)
        except ValueError:
            raise broadcast_error(x, y) from None

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved_tensors
        xd, yd = d.data(x), d.data(y)
        dt = d.data(g).dtype
        tie = 0.5 * (xd == yd)
        # 1 where this side wins, 1/2 at ties, 0 where it loses (NaN compares false: passes)
        wx = (1.0 - cls._less(xd, yd) - tie).astype(dt)
        wy = (1.0 - cls._less(yd, xd) - tie).astype(dt)
        return g * d.const(g, wx), g * d.const(g, wy)

    @classmethod
    def jvp_rule(cls, t, out, x, y):  # torch's: dy + (1 where x wins, 1/2 at ties) * (dx - dy)
        x, y = prep(x, y)
        return t[1] + np.where(x == y, 0.5, cls._less(y, x)) * (t[0] - t[1])


class Minimum(Maximum):
    """out = min(x, y);  the smaller input gets the gradient; at x == y each gets half (as torch)"""

    node_name = "MinimumBackward0"
    _pick = staticmethod(np.minimum)

    @staticmethod
    def _less(a, b):
        return a > b


class Where(Primitive):
    """out = cond ? x : y;  dout/dx = cond, dout/dy = !cond"""

    node_name = "WhereBackward0"

    @staticmethod
    def forward(ctx, x, y, cond):
        if not isinstance(cond, _nd) or cond.dtype.kind != "b":
            raise TypeError(f"where expected condition to be a bool tensor, got {cond!r}")
        x, y = prep(x, y)
        ctx.cond = cond
        try:
            return np.where(cond, x, y)
        except ValueError:
            raise broadcast_error(x, y) from None

    @staticmethod
    def backward(ctx, g):
        c = ctx.cond
        return d.where(c, g, 0.0), d.where(c, 0.0, g)

    jvp_rule = staticmethod(lambda t, out, x, y, cond: fw.where(cond, t[0], t[1]))


# --- functional forms -------------------------------------------------------------------------


def _unwrap(v: Any) -> Any:
    return v.data if isinstance(v, Tensor) else v


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Elements of `input` where `condition`, else of `other` (broadcast together)."""
    return Where.apply(input, other, cond=_unwrap(condition))


def pow(input: Any, exponent: Any) -> Tensor:
    if isinstance(exponent, Tensor):
        if isinstance(input, Tensor):
            return PowTensor.apply(input, exponent)
        return RPow.apply(exponent, c=input)
    return Pow.apply(input, p=exponent)


def _compare(op: Any) -> Any:
    def compare(input: Any, other: Any) -> Tensor:
        x, y = _unwrap(input), _unwrap(other)
        if isinstance(x, (int, float)) or isinstance(y, (int, float)):
            x, y = prep(x, y)  # the number in the tensor's dtype, as torch (uint8 < -1 holds)
        try:
            return _wrap(np.asarray(op(x, y)), None)
        except ValueError:
            raise broadcast_error(x, y) from None

    compare.__name__ = op.__name__
    return compare


lt = _compare(np.less)
le = _compare(np.less_equal)
gt = _compare(np.greater)
ge = _compare(np.greater_equal)
eq = _compare(np.equal)
ne = _compare(np.not_equal)
logical_and = _compare(np.logical_and)
logical_or = _compare(np.logical_or)
logical_xor = _compare(np.logical_xor)
bitwise_and = _compare(np.bitwise_and)
bitwise_or = _compare(np.bitwise_or)
bitwise_xor = _compare(np.bitwise_xor)
