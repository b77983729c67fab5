"""The variance family's primitives: var std var_mean std_mean (public forms: statistics.py).

torch's var_backward is reproduced as written, also where the degrees of freedom N - correction
are <= 0: the full reduction then gives NaN where x equals the mean and inf elsewhere, a
reduction along dims scales by 2 / (N - correction) (inf at 0, negative below).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule.autograd import forward_ad as fw
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive
from chainrule.ops.reduction import _kept_shape
from chainrule.tensor import Tensor


def _unreduce(g: Any, shape: tuple, axes: tuple | None, keepdim: bool) -> Any:
    """A reduction's gradient (or output) reshaped so that it broadcasts against the input."""
    return g if keepdim else d.reshape(g, _kept_shape(shape, axes))


def _mean_kept(x: Any, axes: tuple | None) -> Any:
    """mean(x, axes, keepdim=True) for arrays and Tensors; NaN (silently) for empty axes."""
    if isinstance(x, Tensor):
        return x.mean(dim=axes, keepdim=True)
    n = x.size if axes is None else math.prod(x.shape[a] for a in axes)
    with np.errstate(divide="ignore", invalid="ignore"):
        return x.sum(axis=axes, keepdims=True) / n


def _moments(x: np.ndarray, axes: tuple | None, keepdim: bool, correction: float) -> tuple:
    """(var, mean kept) over axes (None or () for all), var = m2 / max(n - correction, 0) as
    torch; float32 and float16 are accumulated in double."""
    red = axes or None
    xf = x.astype(np.float64) if x.dtype.itemsize < 8 else x
    n = xf.size if red is None else math.prod(x.shape[a] for a in red)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = xf.sum(axis=red, keepdims=True) / n
        dev = xf - mean
        var = (dev * dev).sum(axis=red, keepdims=keepdim) / max(n - correction, 0)
    return np.asarray(var).astype(x.dtype, copy=False), mean


def _var_grad(ctx: Any, g: Any, x: Any) -> Any:
    """torch's var_backward: 2 (x - mean) / (n - correction), taken as written, also where
    n - correction <= 0 (its full-reduction branch then gives NaN where x equals the mean,
    inf elsewhere)."""
    shape, c = d.data(x).shape, ctx.correction
    if ctx.full:
        dof = math.prod(shape) - c
        if dof <= 0:
            xd = d.data(x)
            with np.errstate(invalid="ignore", divide="ignore"):
                m = xd.sum() / xd.size
            return g * d.const(g, np.where(xd == m, np.nan, np.inf).astype(xd.dtype))
        return (2.0 / dof) * g * (x - _mean_kept(x, None))
    g = _unreduce(g, shape, ctx.axes or None, ctx.keepdim)
    n = math.prod(shape[a] for a in ctx.axes)  # torch counts an empty dim list as 1 here
    scale = 2.0 / (n - c) if n != c else math.inf
    return scale * g * (x - _mean_kept(x, ctx.axes or None))


def _std_to_var_grad(g: Any, out: Any) -> Any:
    """d std = d var / (2 std), and 0 where std = 0 (as torch)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return d.where(d.data(out) == 0, 0.0, g / (out * 2))


def _given(g: Any) -> bool:
    # an output nobody differentiated arrives as zeros; torch skips its term (which may be NaN)
    return bool(np.any(d.data(g)))


# forward mode (torch's rules)


def _var_jvp(
    t: Any, out: Any, x: np.ndarray, axes: Any, keepdim: bool, correction: Any, full: bool
) -> Any:
    """torch's var rule: var_backward(dx, x, dims, correction, keepdim=True) summed over dims."""
    ctx = fw.Saved(axes=axes, keepdim=True, correction=correction, full=full)
    return _var_grad(ctx, t[0], x).sum(axis=axes or None, keepdims=keepdim)


def _std_jvp(t: Any, out: Any, x: np.ndarray, *args: Any, **kw: Any) -> Any:
    """d std = d var / (2 std), 0 where std = 0 (as torch)."""
    return np.where(out == 0, 0.0, _var_jvp(t, out, x, *args, **kw) / (2 * out))


def _moments_jvp(
    cls: type,
    t: Any,
    out: Any,
    x: np.ndarray,
    axes: Any,
    keepdim: bool,
    correction: Any,
    full: bool,
) -> tuple:
    """(d var or d std, d mean)."""
    spread = _std_jvp if cls._std else _var_jvp
    n = math.prod(x.shape[a] for a in axes) if axes else x.size
    return (
        spread(t, out[0], x, axes, keepdim, correction, full),
        t[0].sum(axis=axes or None, keepdims=keepdim) / n,
    )


class Var(Primitive):
    """out = sum((x - mean)^2) / (n - correction);  dout/dx = 2 (x - mean) / (n - correction)"""

    node_name = "VarBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim, correction, full):
        ctx.axes, ctx.keepdim, ctx.correction, ctx.full = axes, keepdim, correction, full
        ctx.save_for_backward(x)
        return _moments(x, axes, keepdim, correction)[0]

    jvp_rule = staticmethod(_var_jvp)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return _var_grad(ctx, g, x)


class Std(Primitive):
    """out = sqrt(var(x));  dout/dx = dvar/dx / (2 out), 0 where out = 0 (as torch)"""

    node_name = "StdBackward0"

    @staticmethod
    def forward(ctx, x, axes, keepdim, correction, full):
        ctx.axes, ctx.keepdim, ctx.correction, ctx.full = axes, keepdim, correction, full
        with np.errstate(invalid="ignore"):
            out = np.sqrt(_moments(x, axes, keepdim, correction)[0])
        ctx.save_for_backward(x, out)
        return out

    jvp_rule = staticmethod(_std_jvp)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        with np.errstate(divide="ignore", invalid="ignore"):
            return _var_grad(ctx, _std_to_var_grad(g, out), x)


class VarMean(Primitive):
    """var, mean = var_mean(x);  the gradient is var's plus mean's (1 / n each)"""

    node_name = "VarMeanBackward0"
    _std = False

    @classmethod
    def forward(cls, ctx, x, axes, keepdim, correction, full):
        ctx.axes, ctx.keepdim, ctx.correction, ctx.full = axes, keepdim, correction, full
        var, mean = _moments(x, axes, keepdim, correction)
        mean = np.asarray(mean if keepdim else mean.squeeze(axes or None)).astype(x.dtype)
        if cls._std:
            with np.errstate(invalid="ignore"):
                var = np.sqrt(var)
            ctx.out = var
        ctx.save_for_backward(x)
        return var, mean

    jvp_rule = classmethod(_moments_jvp)

    @classmethod
    def backward(cls, ctx, g_var, g_mean):
        (x,) = ctx.saved_tensors
        shape = d.data(x).shape
        red = ctx.axes or None
        n = math.prod(shape) if red is None else math.prod(shape[a] for a in red)
        g_mean = _unreduce(g_mean, shape, red, ctx.keepdim)
        grad = d.expand(g_mean / n if n else g_mean, shape)  # nothing averaged: no 0/0
        if _given(g_var):
            with np.errstate(divide="ignore", invalid="ignore"):
                if cls._std:  # under create_graph std is recomputed, so that it is differentiable
                    out = ctx.out
                    if isinstance(x, Tensor):
                        out = Std.apply(x, ctx.axes, ctx.keepdim, ctx.correction, ctx.full)
                    g_var = _std_to_var_grad(g_var, out)
                grad = _var_grad(ctx, g_var, x) + grad
        return grad


class StdMean(VarMean):
    """std, mean = std_mean(x);  the gradient is std's plus mean's"""

    node_name = "StdMeanBackward0"
    _std = True
