"""Reductions: sum, mean, max, min (whole tensor or along dims)."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from chainrule.autograd import forward_ad as fw
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, norm_dim, norm_dims
from chainrule.tensor import Tensor

_I64 = np.dtype(np.int64)

# torch.return_types.max / min
max_result = namedtuple("max", ["values", "indices"])
min_result = namedtuple("min", ["values", "indices"])


def _kept_shape(shape: tuple, axes: tuple | None) -> tuple:
    """The shape of a reduction with keepdim=True."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Primitive):
    """out = sum(x, dims);  dout/dx = 1, so the gradient is g broadcast back to x's shape"""

    node_name = "SumBackward1"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        ctx.shape = x.shape
        ctx.kept = _kept_shape(x.shape, axes)
        if x.dtype.kind in "biu":
            return x.sum(axis=axes, keepdims=keepdim, dtype=_I64)
        return x.sum(axis=axes, keepdims=keepdim)  # the method: less wrapping than np.sum

    @staticmethod
    def backward(ctx, g):
        return d.expand(d.reshape(g, ctx.kept), ctx.shape)

    jvp_rule = fw.linear


class SumAll(Sum):
    node_name = "SumBackward0"


class Mean(Primitive):
    """out = mean(x, dims);  dout/dx = 1 / n, n the number of elements averaged"""

    node_name = "MeanBackward1"

    @staticmethod
    def forward(ctx, x, axes, keepdim):
        if x.dtype.kind != "f":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {x.dtype} (convert with .float() first)"
            )
        ctx.shape = x.shape
        ctx.kept = _kept_shape(x.shape, axes)
        n = x.size
        if axes is not None:
            n = 1
            for a in axes:
                n *= x.shape[a]
        ctx.n = n
        total = x.sum(axis=axes, keepdims=keepdim)
        if n == 0:
            return np.full(total.shape, np.nan, x.dtype)
        return total / n  # what np.mean computes, without its Python-level wrapping

    @staticmethod
    def backward(ctx, g):
        if ctx.n == 0:  # nothing was averaged: an empty gradient, with no 0/0 on the way
            return d.expand(d.reshape(g, ctx.kept), ctx.shape)
        return d.expand(d.reshape(g / ctx.n, ctx.kept), ctx.shape)

    jvp_rule = fw.linear


class MeanAll(Mean):
    node_name = "MeanBackward0"


class MaxAll(Primitive):
    """out = max(x);  the gradient is split evenly among all elements equal to the max (as torch)"""

    node_name = "MaxBackward1"
    _np = staticmethod(np.max)
    _name = "max"

    @classmethod
    def forward(cls, ctx, x):
        if x.size == 0:
            raise RuntimeError(
                f"{cls._name}(): Expected reduction dim to be specified for input.numel() == 0. "
                "Specify the reduction dim with the 'dim' argument."
            )
        out = np.asarray(cls._np(x))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xd, od = d.data(x), d.data(out)
        mask = (xd == od) | (np.isnan(xd) & np.isnan(od)) if xd.dtype.kind == "f" else xd == od
        return g * d.const(g, mask / np.count_nonzero(mask))

    @staticmethod
    def jvp_rule(t, out, x):  # torch's evenly_read_jvp: the mean tangent of the ties (NaN: NaN)
        mask = x == out
        return np.where(mask, t[0], 0.0).sum() / np.count_nonzero(mask)


class MinAll(MaxAll):
    """out = min(x);  the gradient is split evenly among all elements equal to the min (as torch)"""

    node_name = "MinBackward1"
    _np = staticmethod(np.min)
    _name = "min"


class MaxDim(Primitive):
    """values, indices = max(x, dim);  the gradient goes to the returned index only (as torch)"""

    node_name = "MaxBackward0"
    _arg, _val = "argmax", "max"

    @classmethod
    def forward(cls, ctx, x, axis, keepdim):
        if x.ndim == 0:
            ctx.axis, ctx.shape = axis, x.shape
            return x.copy(), np.zeros((), _I64)
        if x.shape[axis] == 0:
            raise IndexError(f"max(): Expected reduction dim {axis} to have non-zero size.")
        # argmax/argmin return the first NaN's index, so NaN wins as in torch
        idx = getattr(x, cls._arg)(axis=axis, keepdims=True)
        values = getattr(x, cls._val)(axis=axis, keepdims=True)  # x at idx, NaN included
        ctx.axis, ctx.shape, ctx.idx = axis, x.shape, idx
        if not keepdim:
            values = values.squeeze(axis)
            idx = idx.squeeze(axis)
        return values, idx.astype(_I64, copy=False)

    @staticmethod
    def backward(ctx, g, _g_indices):
        axis, shape = ctx.axis, ctx.shape
        if len(shape) == 0:
            return g
        kept = list(g.shape)
        if len(kept) != len(shape):
            kept.insert(axis, 1)
            g = d.reshape(g, tuple(kept))
        pos = np.arange(shape[axis]).reshape([-1 if i == axis else 1 for i in range(len(shape))])
        return d.masked(g, pos == ctx.idx)

    @staticmethod
    def jvp_rule(t, out, x, axis, keepdim):  # the tangent at the returned index
        if x.ndim == 0:
            return t[0], None
        idx = out[1] if keepdim else np.expand_dims(out[1], axis)
        picked = np.take_along_axis(t[0], idx, axis)
        return (picked if keepdim else picked.squeeze(axis)), None


class MinDim(MaxDim):
    node_name = "MinBackward0"
    _arg, _val = "argmin", "min"


# --- functional forms -------------------------------------------------------------------------


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum of all elements, or along `dim` (an int or a tuple of ints)."""
    if dtype is not None:
        input = input.to(dtype)
    axes = norm_dims(dim, input.data.ndim)
    if not axes or input.data.ndim == 0:  # torch: an empty dim list means every dim
        return SumAll.apply(input, axes=None, keepdim=keepdim)
    return Sum.apply(input, axes=axes, keepdim=keepdim)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Mean of all elements, or along `dim`."""
    if dtype is not None:
        input = input.to(dtype)
    axes = norm_dims(dim, input.data.ndim)
    if not axes or input.data.ndim == 0:
        return MeanAll.apply(input, axes=None, keepdim=keepdim)
    return Mean.apply(input, axes=axes, keepdim=keepdim)


def _maxmin(name: str, all_cls: type, dim_cls: type, pair: Any, result: type) -> Any:
    def reduce(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
        if isinstance(dim, Tensor):
            return pair(input, dim)
        if dim is None:
            if keepdim:
                raise TypeError(f"{name}() received keepdim without dim")
            return all_cls.apply(input)
        axis = norm_dim(int(dim), input.data.ndim)
        values, indices = dim_cls.apply(input, axis=axis, keepdim=keepdim)
        return result(values, indices)

    reduce.__name__ = name
    reduce.__doc__ = (
        f"{name}(input): the {name} element; {name}(input, dim, keepdim=False): (values, indices) "
        f"along dim; {name}(input, other): elementwise {name}imum."
    )
    return reduce


def _maximum(a: Any, b: Any) -> Tensor:
    from chainrule.ops.arithmetic import Maximum

    return Maximum.apply(a, b)


def _minimum(a: Any, b: Any) -> Tensor:
    from chainrule.ops.arithmetic import Minimum

    return Minimum.apply(a, b)


max = _maxmin("max", MaxAll, MaxDim, _maximum, max_result)
min = _maxmin("min", MinAll, MinDim, _minimum, min_result)
