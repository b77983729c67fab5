"""Norms: linalg.vector_norm, linalg.matrix_norm, linalg.norm and torch.norm.

vector_norm is the primitive; matrix norms are built from it and from the singular values,
as torch builds them (so their grad_fn names are torch's: AmaxBackward0, SumBackward1, ...).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule.autograd import forward_ad as fw
from chainrule.ops import _dual as d
from chainrule.ops._linalg_helpers import array, check_float, sgn
from chainrule.ops._util import Primitive, norm_dim, norm_dims
from chainrule.ops.reduction import _kept_shape
from chainrule.tensor import Tensor


def _fmt(v: float) -> str:
    return f"{v:g}"


def _abs(x: Any) -> Any:
    return x.abs() if isinstance(x, Tensor) else np.abs(x)


class VectorNorm(Primitive):
    """out = (sum |x|^p)^(1/p) (p = 0: the count of nonzeros; +-inf: max / min |x|);
    dout/dx = sgn(x) |x|^(p-1) / out^(p-1), and 0 wherever out = 0 (as torch: the 2-norm of
    zeros has gradient 0, not NaN); p = 0: no gradient; p = +-inf: split among the ties"""

    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, ord, axes, keepdim):
        a = np.abs(x)
        kw = {"axis": axes, "keepdims": keepdim}
        with np.errstate(all="ignore"):
            if ord == 0:
                out = (x != 0).sum(**kw).astype(x.dtype)
            elif ord == math.inf:
                out = a.max(**kw)
            elif ord == -math.inf:
                out = a.min(**kw)
            elif ord == 1:
                out = a.sum(**kw)
            elif ord == 2:
                out = np.sqrt((x * x).sum(**kw))
            else:
                out = (a**ord).sum(**kw) ** (1.0 / ord)
        out = np.asarray(out, x.dtype)
        ctx.ord, ctx.axes, ctx.kept = ord, axes, _kept_shape(x.shape, axes)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def jvp_rule(t, out, x, ord, axes, keepdim):  # sum(dx * dout/dx), dout/dx from backward
        if ord == 0:
            return fw.ZERO
        ctx = fw.Saved(x, out, ord=ord, axes=axes, kept=_kept_shape(x.shape, axes))
        grad = VectorNorm.backward(ctx, np.ones(out.shape, out.dtype))
        return (t[0] * grad).sum(axis=axes, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        p = ctx.ord
        if p == 0:
            return None
        x, out = ctx.saved_tensors
        g, out = d.reshape(g, ctx.kept), d.reshape(out, ctx.kept)
        od = d.data(out)
        with np.errstate(all="ignore"):
            if p == 1:
                return sgn(x) * g
            if p == 2:
                return g * d.where(od == 0, 0.0, x / out)
            if math.isinf(p):  # the gradient of max |x|, split evenly among the maxima
                xa = np.abs(d.data(x))
                mask = (xa == od) | np.isnan(xa)
                count = mask.sum(axis=ctx.axes, keepdims=True).astype(od.dtype)
                return sgn(x) * ((g / d.const(g, count)) * d.const(g, mask))
            if p < 1:
                scaled = sgn(x) * d.where(d.data(x) == 0, 0.0, _abs(x) ** (p - 1))
                return scaled * g * out ** (1 - p)
            scaled = sgn(x) * _abs(x) ** (p - 1) if p < 2 else x * _abs(x) ** (p - 2)
            return scaled * d.where(od == 0, 0.0, g / out ** (p - 1))


def _check_ord(ord: Any) -> float:
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise TypeError(
            f"linalg_vector_norm(): argument 'ord' must be Number, not {type(ord).__name__}"
        )
    return float(ord)


def vector_norm(
    x: Tensor, ord: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """The p-norm of x's elements (all, or along dim): p = 0, +-inf and fractional included."""
    p = _check_ord(ord)
    check_float("linalg.vector_norm", x.data, low_precision=True)
    if dtype is not None:
        x = x.to(dtype)
    xd = x.data
    axes = norm_dims(dim, max(xd.ndim, 1)) if xd.ndim else None
    if axes == ():
        axes = None
    if p < 0 or math.isinf(p):
        if axes is None and xd.size == 0:
            raise RuntimeError(
                f"linalg.vector_norm cannot compute the {_fmt(p)} norm on an empty tensor "
                "because the operation does not have an identity"
            )
        for a in axes or ():
            if xd.shape[a] == 0:
                raise RuntimeError(
                    f"linalg.vector_norm cannot compute the {_fmt(p)} norm on the dimension {a}"
                    "because this dimension is empty and the operation does not have an identity"
                )
    return VectorNorm.apply(x, ord=p, axes=axes, keepdim=keepdim)


class Amax(Primitive):
    """out = max(x, dims);  the gradient is split evenly among the maxima (as torch's amax)"""

    node_name = "AmaxBackward0"
    _np = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx, x, axis, keepdim):
        out = cls._np(x, axis=axis, keepdims=keepdim)
        ctx.kept = _kept_shape(x.shape, (axis,))
        ctx.axis = axis
        ctx.save_for_backward(x, out)
        return np.asarray(out)

    @classmethod
    def jvp_rule(cls, t, out, x, axis, keepdim):  # the mean tangent of the ties, as torch
        ctx = fw.Saved(x, out, axis=axis, kept=_kept_shape(x.shape, (axis,)))
        grad = Amax.backward(ctx, np.ones(out.shape, out.dtype))
        return (t[0] * grad).sum(axis=axis, keepdims=keepdim)

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        mask = d.data(x) == d.data(out).reshape(ctx.kept)
        count = mask.sum(axis=ctx.axis, keepdims=True).astype(d.data(x).dtype)
        return (d.reshape(g, ctx.kept) / d.const(g, count)) * d.const(g, mask)


class Amin(Amax):
    """out = min(x, dims);  the gradient is split evenly among the minima (as torch's amin)"""

    node_name = "AminBackward0"
    _np = staticmethod(np.min)


def _maxmin(red: type, t: Tensor, axis: int, keepdim: bool, shown: int) -> Tensor:
    """amax / amin over one dim; over an empty dim torch's amax gives a constant 0 here, its
    amin an IndexError naming the dim as torch numbers it."""
    x = t.data
    if x.shape[axis] == 0:
        if red is Amin:
            raise IndexError(f"amin(): Expected reduction dim {shown} to have non-zero size.")
        from chainrule.autograd.function import _wrap

        shape = _kept_shape(x.shape, (axis,))
        return _wrap(np.zeros(shape if keepdim else np.delete(shape, axis), x.dtype), None)
    return red.apply(t, axis=axis, keepdim=keepdim)


def _matrix_dims(x: np.ndarray, dim: Any) -> tuple[int, int]:
    dims = [dim] if isinstance(dim, (int, np.integer)) else list(dim)
    if len(dims) != 2:
        raise RuntimeError(
            f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}"
        )
    a, b = (norm_dim(int(i), x.ndim) for i in dims)
    if a == b:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({a}, {b})")
    return a, b


def _svdvals_last(x: Tensor, a: int, b: int) -> tuple[Tensor, list]:
    """The singular values of x's (a, b) matrices, moved to the end."""
    from chainrule.ops.shape import permute
    from chainrule.ops.spectral import svdvals

    perm = [i for i in range(x.data.ndim) if i not in (a, b)] + [a, b]
    return svdvals(permute(x, perm)), perm


def _restore(r: Tensor, perm: list, keepdim: bool) -> Tensor:
    """A reduction over the last two of `perm`'s dims, with keepdim's 1s put back in place."""
    if not keepdim:
        return r
    from chainrule.ops.shape import permute, reshape

    r = reshape(r, r.data.shape + (1, 1))
    return permute(r, tuple(np.argsort(perm)))


def matrix_norm(
    A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """Matrix norms: 'fro', 'nuc', 1, -1 (columns), inf, -inf (rows), 2, -2 (singular values)."""
    x = A.data
    if isinstance(ord, str):
        if ord not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
        low = ord == "fro"
    else:
        p = float(ord)
        if abs(p) not in (1.0, 2.0, math.inf):
            raise RuntimeError(f"linalg.matrix_norm: Order {_fmt(p)} not supported.")
        low = abs(p) != 2
    if x.ndim < 2:
        raise RuntimeError(
            "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."
        )
    check_float("linalg.matrix_norm", x, low_precision=low)
    a, b = _matrix_dims(x, dim)
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return vector_norm(A, 2, (a, b), keepdim)
    if ord == "nuc":
        from chainrule.ops.reduction import sum as tsum

        s, perm = _svdvals_last(A, a, b)
        return _restore(tsum(s, -1), perm, keepdim)
    red = Amax if p > 0 else Amin
    if abs(p) == 2:
        s, perm = _svdvals_last(A, a, b)
        return _restore(_maxmin(red, s, s.data.ndim - 1, False, -1), perm, keepdim)
    if math.isinf(p):  # the inf norm is the 1 norm of the transpose
        a, b = b, a
    col = vector_norm(A, 1.0, a, keepdim)
    if not keepdim and a < b:
        b -= 1
    return _maxmin(red, col, b, keepdim, b)


def norm(
    A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *, dtype: Any = None
) -> Tensor:
    """linalg.norm: a vector norm, or a matrix norm for 2-D input / a 2-tuple dim with an ord."""
    x = A.data
    if dim is not None:
        dims = [dim] if isinstance(dim, (int, np.integer)) else list(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(
                f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got {dims}"
            )
    elif ord is not None and x.ndim not in (1, 2):
        raise RuntimeError(
            "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got "
            f"{x.ndim}D."
        )
    if isinstance(ord, str):
        return matrix_norm(A, ord, (0, 1) if dim is None else dim, keepdim, dtype=dtype)
    if ord is not None and ((dim is not None and len(dims) == 2) or (dim is None and x.ndim == 2)):
        return matrix_norm(A, ord, (0, 1) if dim is None else dim, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def torch_norm(
    input: Tensor,
    p: Any = "fro",
    dim: Any = None,
    keepdim: bool = False,
    out: Any = None,
    dtype: Any = None,
) -> Tensor:
    """torch.norm: the Frobenius / p-norm over dim (all dims by default), or 'nuc'."""
    _dim = [dim] if isinstance(dim, (int, np.integer)) else dim
    if isinstance(p, str):
        if p == "fro" and (dim is None or isinstance(dim, (int, np.integer)) or len(dim) <= 2):
            return vector_norm(input, 2, _dim, keepdim, dtype=dtype)
        if _dim is None:
            _dim = list(range(array(input).ndim))
        return matrix_norm(input, p, _dim, keepdim, dtype=dtype)
    return vector_norm(input, 2.0 if p is None else p, _dim, keepdim, dtype=dtype)
