"""The error and gamma function families: erf erfc erfinv, lgamma digamma polygamma (SciPy's
special functions, in the input's float dtype), and the helpers special.py shares.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from chainrule.autograd.function import NULL_CTX
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive
from chainrule.ops.elementwise import to_float
from chainrule.ops.rounding import unary_function
from chainrule.tensor import Tensor

__all__ = ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma"]

_SQRT_PI = math.sqrt(math.pi)


def apply_dual(cls: Any, x: Any, **kw: Any) -> Any:
    """A primitive on an array (its forward) or on a Tensor (recorded): for backward formulas."""
    if isinstance(x, Tensor):
        return cls.apply(x, **kw)
    return cls.forward(NULL_CTX, x, **kw)


def like(out: Any, x: np.ndarray) -> np.ndarray:
    """A SciPy result in x's dtype (SciPy computes float16, and polygamma, in a wider type)."""
    return np.asarray(out, dtype=x.dtype)


class FloatUnary(Primitive):
    """A float elementwise function of x, saving x for its derivative."""

    _np: Any = None

    @classmethod
    def forward(cls, ctx, x):
        x = to_float(x)
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return like(cls._np(x), x)


# --- error and gamma functions -------------------------------------------------------------------


class Erf(FloatUnary):
    """out = erf(x);  dout/dx = 2 / sqrt(pi) * exp(-x**2)"""

    node_name = "ErfBackward0"
    _np = staticmethod(sc.erf)
    _sign = 1.0

    @classmethod
    def backward(cls, ctx, g):
        (x,) = ctx.saved_tensors
        return (cls._sign * 2 / _SQRT_PI) * d.exp(-(x * x)) * g

    @classmethod
    def jvp_rule(cls, t, out, x):
        return (cls._sign * 2 / _SQRT_PI) * np.exp(-(x * x)) * t[0]


class Erfc(Erf):
    """out = 1 - erf(x);  dout/dx = -2 / sqrt(pi) * exp(-x**2)"""

    node_name = "ErfcBackward0"
    _np = staticmethod(sc.erfc)
    _sign = -1.0


class Erfinv(Primitive):
    """out = erf⁻¹(x);  dout/dx = sqrt(pi) / 2 * exp(out**2) (saved output)"""

    node_name = "ErfinvBackward0"

    @staticmethod
    def forward(ctx, x):
        x = to_float(x)
        out = like(sc.erfinv(x), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        with np.errstate(over="ignore"):
            return (0.5 * _SQRT_PI) * d.exp(out * out) * g

    jvp_rule = staticmethod(lambda t, out, x: (0.5 * _SQRT_PI) * np.exp(out * out) * t[0])


class Lgamma(FloatUnary):
    """out = log|Γ(x)|;  dout/dx = digamma(x)"""

    node_name = "LgammaBackward0"
    _np = staticmethod(sc.gammaln)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * apply_dual(Digamma, x)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * apply_dual(Digamma, x))


class Digamma(FloatUnary):
    """out = ψ(x) = Γ'(x) / Γ(x);  dout/dx = polygamma(1, x)"""

    node_name = "DigammaBackward0"
    _np = staticmethod(sc.psi)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * apply_dual(Polygamma, x, n=1)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * apply_dual(Polygamma, x, n=1))


class Polygamma(Primitive):
    """out = ψ⁽ⁿ⁾(x), the n-th derivative of digamma;  dout/dx = polygamma(n + 1, x)"""

    node_name = "PolygammaBackward0"

    @staticmethod
    def forward(ctx, x, n):
        x = to_float(x)
        ctx.save_for_backward(x)
        ctx.n = n
        with np.errstate(all="ignore"):
            return like(sc.psi(x) if n == 0 else sc.polygamma(n, x), x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * apply_dual(Polygamma, x, n=ctx.n + 1)

    jvp_rule = staticmethod(lambda t, out, x, n: t[0] * apply_dual(Polygamma, x, n=n + 1))


# --- functional forms -------------------------------------------------------------------------

erf = unary_function(Erf, "erf")
erfc = unary_function(Erfc, "erfc")
erfinv = unary_function(Erfinv, "erfinv")
lgamma = unary_function(Lgamma, "lgamma")
digamma = unary_function(Digamma, "digamma")


def polygamma(n: int, input: Tensor) -> Tensor:
    """The n-th derivative of digamma at input (n = 0: digamma)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer, Tensor)):
        raise TypeError(
            f"polygamma(): argument 'n' (position 1) must be int, not {type(n).__name__}"
        )
    n = int(n.item() if isinstance(n, Tensor) else n)
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return Polygamma.apply(input, n=n)


METHODS: dict[str, Any] = {
    "erf": erf, "erfc": erfc, "erfinv": erfinv, "lgamma": lgamma, "digamma": digamma,
    "polygamma": lambda self, n: polygamma(n, self),
}  # fmt: skip
