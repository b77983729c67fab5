"""Reductions: prod var std var_mean std_mean logsumexp amax amin all any count_nonzero."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from chainrule.autograd import forward_ad as fw
from chainrule.autograd.function import _wrap
from chainrule.ops import _dual as d
from chainrule.ops._moments import Std, StdMean, Var, VarMean, _unreduce
from chainrule.ops._util import Primitive, norm_dim, norm_dims
from chainrule.ops.elementwise import to_float
from chainrule.ops.reduction import _kept_shape
from chainrule.ops.scan import dual_cumprod, flip
from chainrule.tensor import Tensor

__all__ = [
    "prod",
    "var",
    "std",
    "var_mean",
    "std_mean",
    "logsumexp",
    "amax",
    "amin",
    "all",
    "any",
    "count_nonzero",
]

_I64 = np.dtype(np.int64)


def _reduced_shape(shape: tuple, axes: tuple | None) -> tuple:
    return () if axes is None else tuple(s for i, s in enumerate(shape) if i not in axes)


# --- prod ----------------------------------------------------------------------------------------


def _shift_in_one(x: Any, axis: int) -> Any:
    """[1, x_0, ..., x_{n-2}] along axis: x moved one step on, a 1 in front."""
    shape = d.data(x).shape
    head = x[(slice(None),) * axis + (slice(None, -1),)]
    first = np.zeros(shape, d.data(x).dtype)
    first[(slice(None),) * axis + (0,)] = 1
    if isinstance(x, Tensor):
        tail = (slice(None),) * axis + (slice(1, None),)
        return d.index_add_into(shape, tail, head, False) + d.const(x, first)
    return np.concatenate([first[(slice(None),) * axis + (slice(0, 1),)], head], axis)


def _others_product(x: Any, axis: int) -> Any:
    """prod_{j != i} x_j along axis, from exclusive cumulative products taken from both ends
    (torch's prod_safe_zeros_backward: exact where x has zeros, no division)."""
    if d.data(x).shape[axis] == 0:
        return x
    before = dual_cumprod(_shift_in_one(x, axis), axis)
    after = flip(dual_cumprod(_shift_in_one(flip(x, axis), axis), axis), axis)
    return before * after


class ProdAll(Primitive):
    """out = prod(x);  dout/dx_i = prod_{j != i} x_j (out / x_i when no x is zero, as torch)"""

    node_name = "ProdBackward0"

    @staticmethod
    def forward(ctx, x):
        if x.dtype.kind in "biu":
            return np.asarray(x.prod(dtype=_I64))
        out = np.asarray(x.prod())
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xd = d.data(x)
        if xd.ndim == 0:
            return g
        zeros = np.count_nonzero(xd == 0)
        if zeros == 0:
            return g * (out / x)
        if zeros > 1 and not isinstance(g, Tensor):  # every product of others holds a zero
            return np.zeros(xd.shape, np.result_type(g, xd))
        return g * d.reshape(_others_product(d.reshape(x, (-1,)), 0), xd.shape)

    @staticmethod
    def jvp_rule(t, out, x):  # sum(dx * dout/dx), dout/dx from backward (as torch)
        return (t[0] * ProdAll.backward(fw.Saved(x, out), np.ones((), out.dtype))).sum()


class ProdDim(Primitive):
    """out = prod(x, dim);  dout/dx_i = prod_{j != i} x_j along dim (out / x_i without zeros)"""

    node_name = "ProdBackward1"

    @staticmethod
    def forward(ctx, x, axis, keepdim):
        if x.dtype.kind in "biu":
            return x.astype(_I64) if x.ndim == 0 else x.prod(axis, keepdims=keepdim, dtype=_I64)
        out = x.copy() if x.ndim == 0 else np.asarray(x.prod(axis=axis, keepdims=keepdim))
        ctx.axis, ctx.keepdim = axis, keepdim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xd = d.data(x)
        if xd.ndim == 0:
            return g
        axis = ctx.axis
        g = _unreduce(g, xd.shape, (axis,), ctx.keepdim)
        if not (xd == 0).any():
            return g * (_unreduce(out, xd.shape, (axis,), ctx.keepdim) / x)
        return g * _others_product(x, axis)

    @staticmethod
    def jvp_rule(t, out, x, axis, keepdim):  # sum along dim of dx * dout/dx (from backward)
        if x.ndim == 0:
            return t[0]
        grad = ProdDim.backward(fw.Saved(x, out, axis=axis, keepdim=keepdim), np.ones_like(out))
        return (t[0] * grad).sum(axis, keepdims=keepdim)


def prod(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Product of all elements, or along one `dim` (integers and bools multiply as int64)."""
    if dim is None:
        if keepdim:
            raise TypeError("prod() received keepdim without dim: use prod(input, dim, keepdim)")
    elif not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"prod(): argument 'dim' must be int, not {type(dim).__name__}")
    if dtype is not None:
        input = input.to(dtype)
    if dim is None:
        return ProdAll.apply(input)
    return ProdDim.apply(input, axis=norm_dim(int(dim), input.data.ndim), keepdim=keepdim)


# --- var, std, var_mean, std_mean (primitives in _moments.py) -------------------------------------


def _var_args(name: str, input: Tensor, dim: Any, unbiased: Any, correction: Any) -> tuple:
    """(axes, correction, full) from torch's overloads: var(x, dim, unbiased, keepdim),
    var(x, dim, *, correction, keepdim) and var(x, unbiased)."""
    if isinstance(dim, bool):  # var(x, False): the unbiased overload
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise TypeError(
            f"{name}() received an invalid combination of arguments: unbiased and "
            "correction cannot both be given"
        )
    x = input.data
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"{'std and var' if name in ('std', 'var') else name} only support floating point "
            f"and complex dtypes (got {x.dtype})"
        )
    c = (1 if unbiased in (None, True) else 0) if correction is None else correction
    axes = norm_dims(dim, x.ndim)
    full = axes is None or x.ndim == 0
    return (None if x.ndim == 0 else axes), c, full


def _var_like(cls: type, name: str) -> Any:
    def reduce(
        input: Tensor,
        dim: Any = None,
        unbiased: Any = None,
        keepdim: bool = False,
        *,
        correction: Any = None,
    ) -> Any:
        axes, c, full = _var_args(name, input, dim, unbiased, correction)
        shape = input.data.shape
        kept = math.prod(_kept_shape(shape, axes or None))
        if (math.prod(shape) / kept if kept else 0) - c <= 0:
            warnings.warn(
                f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than "
                "the reduction factor (input numel divided by output numel).",
                UserWarning,
                stacklevel=2,
            )
        return cls.apply(input, axes=axes, keepdim=keepdim, correction=c, full=full)

    reduce.__name__ = name
    return reduce


var = _var_like(Var, "var")
var.__doc__ = "Variance over all elements or `dim`, divided by N - correction (1: unbiased)."
std = _var_like(Std, "std")
std.__doc__ = "Standard deviation over all elements or `dim` (the square root of var)."
var_mean = _var_like(VarMean, "var_mean")
var_mean.__doc__ = "(var, mean) over all elements or `dim`, as a plain tuple."
std_mean = _var_like(StdMean, "std_mean")
std_mean.__doc__ = "(std, mean) over all elements or `dim`, as a plain tuple."


# --- logsumexp, amax, amin -----------------------------------------------------------------------


class Logsumexp(Primitive):
    """out = log(sum(exp(x)));  dout/dx = exp(x - out), computed around the max for stability"""

    node_name = "LogsumexpBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        x = to_float(x)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if x.size == 0:
                out = np.log(np.exp(x).sum(axis=axes, keepdims=keepdim))
            else:
                m = x.max(axis=axes, keepdims=True)
                m = np.where(np.isinf(m), 0, m)  # as torch: an infinite max is not subtracted
                out = np.log(np.exp(x - m).sum(axis=axes, keepdims=True)) + m
                if not keepdim:
                    out = out.reshape(_reduced_shape(x.shape, axes))
        out = np.asarray(out)
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        shape = d.data(x).shape
        g = _unreduce(g, shape, ctx.axes, ctx.keepdim)
        with np.errstate(invalid="ignore", over="ignore"):
            return g * d.exp(x - _unreduce(out, shape, ctx.axes, ctx.keepdim))

    @staticmethod
    def jvp_rule(t, out, x, axes, keepdim):  # torch's logsumexp_jvp
        e = np.exp(x - x.max(axis=axes, keepdims=True)) if x.size else np.exp(x)
        return (e * t[0]).sum(axis=axes, keepdims=keepdim) / e.sum(axis=axes, keepdims=keepdim)


def logsumexp(input: Tensor, dim: Any, keepdim: bool = False) -> Tensor:
    """log(sum(exp(input))) along `dim` (an int or a tuple), stable for large inputs."""
    ndim = input.data.ndim
    axes = norm_dims(dim, ndim)
    if axes == () and ndim:  # torch reduces nothing and then fails to write the result
        raise RuntimeError(
            f"logsumexp(): output with shape [] doesn't match the broadcast shape {[1] * ndim}"
        )
    return Logsumexp.apply(input, axes=axes if ndim else None, keepdim=keepdim)


class Amax(Primitive):
    """out = max(x, dims);  the gradient is split evenly among the elements equal to the max
    (as torch; a NaN max gives NaN gradients to its whole slice)"""

    node_name = "AmaxBackward0"
    _np = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, x, axes, keepdim):
        out = np.asarray(cls._np(x, axis=axes, keepdims=keepdim))
        ctx.axes, ctx.keepdim = axes, keepdim
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xd = d.data(x)
        mask = xd == _unreduce(d.data(out), xd.shape, ctx.axes, ctx.keepdim)
        count = mask.sum(axis=ctx.axes, keepdims=True).astype(xd.dtype)
        g = _unreduce(g, xd.shape, ctx.axes, ctx.keepdim)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (g / d.const(g, count)) * d.const(g, mask.astype(xd.dtype))

    @staticmethod
    def jvp_rule(t, out, x, axes, keepdim):  # torch's amaxamin_jvp: the ties' mean tangent
        mask = x == _unreduce(out, x.shape, axes, keepdim)
        total = np.where(mask, t[0], 0.0).sum(axis=axes, keepdims=keepdim)
        return total / mask.sum(axis=axes, keepdims=keepdim)


class Amin(Amax):
    """out = min(x, dims);  the gradient is split evenly among the elements equal to the min"""

    node_name = "AminBackward0"
    _np = staticmethod(np.min)


def _amaxmin(cls: type, name: str) -> Any:
    def reduce(input: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
        x = input.data
        axes = norm_dims(dim, x.ndim) or None
        if x.ndim == 0:
            axes = None
        elif axes is None and x.size == 0:
            raise RuntimeError(
                f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        for a in axes or ():
            if x.shape[a] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")
        return cls.apply(input, axes=axes, keepdim=keepdim)

    reduce.__name__ = name
    reduce.__doc__ = f"The {name[1:]}imum over all elements or `dim`; ties share the gradient."
    return reduce


amax = _amaxmin(Amax, "amax")
amin = _amaxmin(Amin, "amin")


# --- all, any, count_nonzero: no gradients -------------------------------------------------------


def _logical(name: str, fn: Any) -> Any:
    def reduce(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
        x = input.data
        axes = norm_dims(dim, x.ndim)  # as torch, an empty tuple reduces nothing here
        if x.ndim == 0:
            axes = None
        out = np.asarray(fn(x, axis=axes, keepdims=keepdim))
        return _wrap(out.astype(np.uint8) if x.dtype == np.uint8 else out, None)

    reduce.__name__ = name
    reduce.__doc__ = f"Whether {name} elements (over all or `dim`) are nonzero: a bool tensor."
    return reduce


all = _logical("all", np.all)  # noqa: A001 - torch.all
any = _logical("any", np.any)  # noqa: A001 - torch.any


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """The number of nonzero elements, over all or along `dim` (int64)."""
    x = input.data
    axes = norm_dims(dim, x.ndim) or None
    if x.ndim == 0:
        axes = None
    return _wrap(np.asarray(np.count_nonzero(x, axis=axes), dtype=_I64), None)


# Tensor methods, installed by ops/_methods.py
METHODS: dict[str, Any] = {
    "prod": prod,
    "var": var,
    "std": std,
    "logsumexp": logsumexp,
    "amax": amax,
    "amin": amin,
    "all": all,
    "any": any,
    "count_nonzero": count_nonzero,
}
