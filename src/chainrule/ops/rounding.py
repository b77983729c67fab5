"""Step functions: sign sgn floor ceil round trunc frac; and isnan isinf isfinite nan_to_num.

Step functions have zero gradient everywhere (torch returns zeros, not None); their forwards
keep integer dtypes, as torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._dtype import SCALAR_TYPE
from chainrule.autograd import forward_ad as fw
from chainrule.autograd.function import _wrap
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive
from chainrule.tensor import Tensor

__all__ = [
    "sign", "sgn", "floor", "ceil", "round", "trunc", "fix", "frac",
    "isnan", "isinf", "isfinite", "nan_to_num",
]  # fmt: skip

# torch's ScalarType names, for its "not implemented for 'Long'" kernel errors
_SCALAR_TYPE = SCALAR_TYPE  # torch's ScalarType names


def kernel_error(kernel: str, dtype: np.dtype) -> NotImplementedError:
    """torch's error for a dtype an elementwise kernel has no loop for."""
    return NotImplementedError(
        f"\"{kernel}\" not implemented for '{_SCALAR_TYPE.get(dtype.name, dtype.name)}'"
    )


def zero_gradient(g: Any) -> Any:
    """zeros like g, as a constant: a step function's gradient (torch's zeros_like(grad))."""
    return d.const(g, np.zeros_like(d.data(g)))


# --- step functions ------------------------------------------------------------------------------


class Sign(Primitive):
    """out = sign(x) (sign(nan) = 0, as torch);  dout/dx = 0"""

    node_name = "SignBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind == "b":
            return x.copy()
        if x.dtype.kind == "f":
            return (x > 0).astype(x.dtype) - (x < 0)
        return np.sign(x)

    @staticmethod
    def backward(ctx, g):
        return zero_gradient(g)

    jvp_rule = fw.zero


class Sgn(Sign):
    """out = sgn(x), sign(x) for real x;  dout/dx = 0"""

    node_name = "SgnBackward0"


class Floor(Primitive):
    """out = floor(x);  dout/dx = 0 (also at the integers, as torch)"""

    node_name = "FloorBackward0"
    _np = staticmethod(np.floor)
    _kernel = "floor_vml_cpu"

    @classmethod
    def forward(cls, ctx, x):
        if x.dtype.kind == "b":
            raise kernel_error(cls._kernel, x.dtype)
        if x.dtype.kind != "f":
            return x.copy()  # integers are already whole
        return cls._np(x)

    @staticmethod
    def backward(ctx, g):
        return zero_gradient(g)

    jvp_rule = fw.zero


class Ceil(Floor):
    """out = ceil(x);  dout/dx = 0"""

    node_name = "CeilBackward0"
    _np = staticmethod(np.ceil)
    _kernel = "ceil_vml_cpu"


class Trunc(Floor):
    """out = trunc(x) (rounds toward zero);  dout/dx = 0"""

    node_name = "TruncBackward0"
    _np = staticmethod(np.trunc)
    _kernel = "trunc_vml_cpu"


class Round(Floor):
    """out = round(x), halves to even;  dout/dx = 0"""

    node_name = "RoundBackward0"
    _np = staticmethod(np.rint)
    _kernel = "round_vml_cpu"


class RoundDecimals(Primitive):
    """out = round(x * 10**k) / 10**k (k < 0: round(x / 10**-k) * 10**-k);  dout/dx = 0"""

    node_name = "RoundBackward1"

    @staticmethod
    def forward(ctx, x, decimals):
        if x.dtype.kind != "f":
            raise kernel_error("round_vml_cpu" if decimals == 0 else "round_cpu", x.dtype)
        # torch computes in the input's float type (float32 for half)
        work = np.float32 if x.dtype == np.float16 else x.dtype.type
        scale = work(10.0 ** abs(decimals))
        v = x.astype(work, copy=False)
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.rint(v / scale) * scale if decimals < 0 else np.rint(v * scale) / scale
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return zero_gradient(g)

    jvp_rule = fw.zero


class Frac(Primitive):
    """out = x - trunc(x);  dout/dx = 1"""

    node_name = "FracBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind != "f":
            raise kernel_error("frac_cpu", x.dtype)
        with np.errstate(invalid="ignore"):  # frac(inf) = nan, as torch
            return x - np.trunc(x)

    @staticmethod
    def backward(ctx, g):
        return g

    jvp_rule = staticmethod(lambda t, out, x: t[0])


# --- non-finite values ---------------------------------------------------------------------------


class NanToNum(Primitive):
    """out = x with nan, +inf, -inf replaced;  dout/dx = isfinite(x)"""

    node_name = "NanToNumBackward0"

    @staticmethod
    def forward(ctx, x, nan, posinf, neginf):
        if x.dtype.kind != "f":
            return x.copy()
        ctx.save_for_backward(x)
        info = np.finfo(x.dtype)
        with np.errstate(over="ignore"):  # a replacement too large for the dtype becomes inf
            vals = [
                np.asarray(info.max if posinf is None else posinf, np.float64).astype(x.dtype),
                np.asarray(info.min if neginf is None else neginf, np.float64).astype(x.dtype),
                np.asarray(0.0 if nan is None else nan, np.float64).astype(x.dtype),
            ]
        out = np.where(x == np.inf, vals[0], x)
        out = np.where(x == -np.inf, vals[1], out)
        return np.where(np.isnan(x), vals[2], out)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return d.masked(g, np.isfinite(d.data(x)))

    jvp_rule = staticmethod(lambda t, out, x, nan, posinf, neginf: t[0] * np.isfinite(x))


# --- functional forms -------------------------------------------------------------------------


def unary_function(cls: Any, name: str) -> Any:
    def fn(input: Tensor) -> Tensor:
        return cls.apply(input)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = cls.__doc__.split(";")[0].strip() + "."
    return fn


sign = unary_function(Sign, "sign")
sgn = unary_function(Sgn, "sgn")
floor = unary_function(Floor, "floor")
ceil = unary_function(Ceil, "ceil")
trunc = fix = unary_function(Trunc, "trunc")
frac = unary_function(Frac, "frac")


def round(input: Tensor, *, decimals: int | None = None) -> Tensor:  # noqa: A001 - torch's name
    """Round to the nearest integer (halves to even), or to `decimals` decimal places."""
    if decimals is None:
        return Round.apply(input)
    return RoundDecimals.apply(input, decimals=int(decimals))


def isnan(input: Tensor) -> Tensor:
    """True where input is NaN."""
    x = input.data
    return _wrap(np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool), None)


def isinf(input: Tensor) -> Tensor:
    """True where input is +inf or -inf."""
    x = input.data
    return _wrap(np.isinf(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool), None)


def isfinite(input: Tensor) -> Tensor:
    """True where input is neither NaN nor infinite."""
    x = input.data
    return _wrap(np.isfinite(x) if x.dtype.kind == "f" else np.ones(x.shape, bool), None)


def nan_to_num(
    input: Tensor, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> Tensor:
    """NaN -> nan, +inf -> posinf, -inf -> neginf (defaults: 0 and the dtype's extremes)."""
    return NanToNum.apply(input, nan=nan, posinf=posinf, neginf=neginf)


METHODS: dict[str, Any] = {
    "sign": sign, "sgn": sgn, "floor": floor, "ceil": ceil, "round": round, "trunc": trunc,
    "fix": fix, "frac": frac, "isnan": isnan, "isinf": isinf, "isfinite": isfinite,
    "nan_to_num": nan_to_num,
}  # fmt: skip
