"""More elementwise primitives: the exp/log family (log1p expm1 exp2 log2 log10 rsqrt square
reciprocal logit), and trigonometric and hyperbolic functions and their inverses.

clamp_min and clamp_max (ops/elementwise.py, beside clamp) are exported from here too.

This module also gathers the names of its sibling families -- ops/erf_gamma.py (erf erfc erfinv
lgamma digamma polygamma), ops/rounding.py (step functions, nan_to_num, isnan...),
ops/division.py (rounding division, fmod, remainder, `//`, `%`) and ops/special_binary.py (atan2
xlogy logaddexp hypot lerp) -- into its `__all__` and `METHODS`.

Each docstring's first line is the math; integer inputs become float32 (`to_float`), as torch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule.autograd import forward_ad as fw
from chainrule.autograd.function import NULL_CTX, _wrap
from chainrule.autograd.grad_mode import state as _grad_state
from chainrule.ops import _dual as d
from chainrule.ops import division, erf_gamma, rounding, special_binary
from chainrule.ops._util import Primitive
from chainrule.ops.arithmetic import Pow, Reciprocal
from chainrule.ops.division import *  # noqa: F403 - re-exported through __all__
from chainrule.ops.elementwise import clamp_max, clamp_min, to_float  # noqa: F401 - exported
from chainrule.ops.erf_gamma import *  # noqa: F403
from chainrule.ops.erf_gamma import FloatUnary, apply_dual
from chainrule.ops.rounding import *  # noqa: F403
from chainrule.ops.rounding import unary_function as _unary
from chainrule.ops.special_binary import *  # noqa: F403
from chainrule.tensor import Tensor

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


# --- exp and log ---------------------------------------------------------------------------------


class Log1p(Primitive):
    """out = log(1 + x);  dout/dx = 1 / (x + 1)"""

    node_name = "Log1PBackward0"

    @staticmethod
    def forward(ctx, x):
        x = to_float(x)
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log1p(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (x + 1)

    jvp_rule = staticmethod(lambda t, out, x: t[0] / (x + 1))


class Expm1(Primitive):
    """out = exp(x) - 1;  dout/dx = out + 1 (saved output)"""

    node_name = "Expm1Backward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            out = np.expm1(to_float(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out + 1)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * (out + 1))


class Exp2(Primitive):
    """out = 2**x;  dout/dx = out * log(2) (saved output)"""

    node_name = "Exp2Backward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(over="ignore"):
            out = np.exp2(to_float(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * _LN2

    jvp_rule = staticmethod(lambda t, out, x: t[0] * out * _LN2)


class Log2(Primitive):
    """out = log2(x);  dout/dx = 1 / (x * log(2))"""

    node_name = "Log2Backward0"
    _np = staticmethod(np.log2)
    _ln = _LN2

    @classmethod
    def forward(cls, ctx, x):
        x = to_float(x)
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return cls._np(x)

    @classmethod
    def backward(cls, ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (x * cls._ln)

    @classmethod
    def jvp_rule(cls, t, out, x):
        return t[0] / (x * cls._ln)


class Log10(Log2):
    """out = log10(x);  dout/dx = 1 / (x * log(10))"""

    node_name = "Log10Backward0"
    _np = staticmethod(np.log10)
    _ln = _LN10


class Rsqrt(Primitive):
    """out = 1 / sqrt(x);  dout/dx = -out**3 / 2 (saved output; -inf at 0, as torch)"""

    node_name = "RsqrtBackward0"

    @staticmethod
    def forward(ctx, x):
        with np.errstate(divide="ignore", invalid="ignore"):
            out = 1 / np.sqrt(to_float(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        with np.errstate(over="ignore", invalid="ignore"):
            return -0.5 * g * out**3

    jvp_rule = staticmethod(lambda t, out, x: -0.5 * t[0] * out**3)


class Logit(Primitive):
    """out = log(z / (1 - z)), z = x clamped to [eps, 1 - eps] (eps >= 0; else z = x);
    dout/dx = 1 / (x (1 - x)) inside the clamp's range, bounds included, else 0; without eps,
    NaN outside [0, 1] and +-inf at 0 and 1 (as torch)"""

    node_name = "LogitBackward0"

    @staticmethod
    def forward(ctx, x, eps):
        x = to_float(x)
        z = x
        if eps is not None and not eps < 0:  # torch's kernel clamps so: x < lo first
            lo = x.dtype.type(eps)
            hi = x.dtype.type(1) - lo
            z = np.where(x < lo, lo, np.where(x > hi, hi, x))
        ctx.save_for_backward(x)
        ctx.eps = eps
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(z / (1 - z))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        eps, xd = ctx.eps, d.data(x)
        dt = xd.dtype.type
        # torch has two formulas: logit_backward's kernel, and under create_graph a where()
        # whose mask differs at NaN inputs and for a negative eps
        if d._t(g):
            lo, hi = (0.0, 1.0) if eps is None else (dt(eps), dt(1.0 - eps))
            outside, fill = ~((xd >= lo) & (xd <= hi)), (math.nan if eps is None else 0.0)
        elif eps is None or eps < 0:
            outside, fill = (xd < 0) | (xd > 1), math.nan
        else:
            lo = dt(eps)
            outside, fill = (xd < lo) | (xd > dt(1) - lo), 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            grad = g / (x * (1 - x))
        return d.where(outside, fill, grad) if outside.any() else grad

    @staticmethod
    def jvp_rule(t, out, x, eps):
        # torch's jvp is its backward formula: with grad mode on, the differentiable where()
        ctx = fw.Saved(x, eps=eps)
        if _grad_state.enabled:
            return Logit.backward(ctx, _wrap(t[0], None)).data
        return Logit.backward(ctx, t[0])


# --- trigonometric and hyperbolic ----------------------------------------------------------------


class Tan(Primitive):
    """out = tan(x);  dout/dx = 1 + out**2 (saved output)"""

    node_name = "TanBackward0"

    @staticmethod
    def forward(ctx, x):
        out = np.tan(to_float(x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 + out * out)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * (1 + out * out))


class Asin(FloatUnary):
    """out = asin(x);  dout/dx = 1 / sqrt(1 - x**2) (inf at +-1, as torch)"""

    node_name = "AsinBackward0"
    _np = staticmethod(np.arcsin)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * apply_dual(Rsqrt, -x * x + 1)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * _rsqrt(-x * x + 1))


class Acos(FloatUnary):
    """out = acos(x);  dout/dx = -1 / sqrt(1 - x**2) (-inf at +-1, as torch)"""

    node_name = "AcosBackward0"
    _np = staticmethod(np.arccos)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * -apply_dual(Rsqrt, -x * x + 1)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * -_rsqrt(-x * x + 1))


class Atan(FloatUnary):
    """out = atan(x);  dout/dx = 1 / (x**2 + 1)"""

    node_name = "AtanBackward0"
    _np = staticmethod(np.arctan)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (x * x + 1)

    jvp_rule = staticmethod(lambda t, out, x: t[0] / (x * x + 1))


class Sinh(FloatUnary):
    """out = sinh(x);  dout/dx = cosh(x)"""

    node_name = "SinhBackward0"
    _np = staticmethod(np.sinh)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * apply_dual(Cosh, x)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * np.cosh(x))


class Cosh(FloatUnary):
    """out = cosh(x);  dout/dx = sinh(x)"""

    node_name = "CoshBackward0"
    _np = staticmethod(np.cosh)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * apply_dual(Sinh, x)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * np.sinh(x))


class Asinh(FloatUnary):
    """out = asinh(x);  dout/dx = 1 / sqrt(x**2 + 1)"""

    node_name = "AsinhBackward0"
    _np = staticmethod(np.arcsinh)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * apply_dual(Rsqrt, x * x + 1)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * _rsqrt(x * x + 1))


class Acosh(FloatUnary):
    """out = acosh(x);  dout/dx = 1 / sqrt(x**2 - 1) (inf at 1, as torch)"""

    node_name = "AcoshBackward0"
    _np = staticmethod(np.arccosh)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * apply_dual(Rsqrt, x * x - 1)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * _rsqrt(x * x - 1))


class Atanh(FloatUnary):
    """out = atanh(x);  dout/dx = 1 / (1 - x**2) (inf at +-1, as torch)"""

    node_name = "AtanhBackward0"
    _np = staticmethod(np.arctanh)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore"):
            return g / (1 - x * x)

    jvp_rule = staticmethod(lambda t, out, x: t[0] / (1 - x * x))


def _rsqrt(x: np.ndarray) -> np.ndarray:
    return Rsqrt.forward(NULL_CTX, x)


# --- functional forms -------------------------------------------------------------------------


log1p = _unary(Log1p, "log1p")
expm1 = _unary(Expm1, "expm1")
exp2 = _unary(Exp2, "exp2")
log2 = _unary(Log2, "log2")
log10 = _unary(Log10, "log10")
rsqrt = _unary(Rsqrt, "rsqrt")
reciprocal = _unary(Reciprocal, "reciprocal")
tan = _unary(Tan, "tan")
asin = arcsin = _unary(Asin, "asin")
acos = arccos = _unary(Acos, "acos")
atan = arctan = _unary(Atan, "atan")
sinh = _unary(Sinh, "sinh")
cosh = _unary(Cosh, "cosh")
asinh = arcsinh = _unary(Asinh, "asinh")
acosh = arccosh = _unary(Acosh, "acosh")
atanh = arctanh = _unary(Atanh, "atanh")


def logit(input: Tensor, eps: float | None = None) -> Tensor:
    """log(p / (1 - p)), p = input clamped to [eps, 1 - eps] when eps is given."""
    return Logit.apply(input, eps=None if eps is None else float(eps))


def square(input: Tensor) -> Tensor:
    """input * input, as torch's pow(input, 2): integer dtypes stay, bool becomes int64."""
    if input.data.dtype.kind == "b":
        return _wrap(input.data.astype(np.int64), None)
    return Pow.apply(input, p=2)


_OWN = [
    "log1p", "expm1", "exp2", "log2", "log10", "rsqrt", "reciprocal", "square", "logit",
    "clamp_min", "clamp_max",
    "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "asinh", "acosh", "atanh", "arcsinh", "arccosh", "arctanh",
]  # fmt: skip

__all__: list[str] = (
    _OWN + erf_gamma.__all__ + rounding.__all__ + division.__all__ + special_binary.__all__
)  # exported by chainrule

# Tensor methods, installed by ops/_methods.py
METHODS: dict[str, Any] = {
    **{name: globals()[name] for name in _OWN},
    **erf_gamma.METHODS,
    **rounding.METHODS,
    **division.METHODS,
    **special_binary.METHODS,
}
