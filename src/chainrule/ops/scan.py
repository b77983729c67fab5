"""Scans: cumsum cumprod cummax cummin."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from chainrule.autograd import forward_ad as fw
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, norm_dim
from chainrule.tensor import Tensor

__all__ = ["cumsum", "cumprod", "cummax", "cummin"]

_I64 = np.dtype(np.int64)

# torch.return_types.cummax / cummin
cummax_result = namedtuple("cummax", ["values", "indices"])
cummin_result = namedtuple("cummin", ["values", "indices"])


# --- helpers shared with statistics.py and sorting.py ----------------------------------------


def flip(x: Any, axis: int) -> Any:
    """x reversed along a non-negative axis (arrays and Tensors)."""
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


def along(idx: np.ndarray, axis: int) -> tuple:
    """The NumPy index that takes, in every line along `axis`, the positions listed in idx."""
    grids = list(np.indices(idx.shape, sparse=True))
    grids[axis] = idx
    return tuple(grids)


def place_along(shape: tuple, axis: int, idx: np.ndarray, g: Any, repeats: bool) -> Any:
    """zeros(shape) with g put at the positions idx along axis (added up where they repeat):
    the gradient of every op that selects elements (sort, topk, kthvalue, median, cummax)."""
    return d.index_add_into(shape, along(idx, axis), g, repeats)


def _accumulate(x: np.ndarray, axis: int, ufunc: Any) -> np.ndarray:
    # torch accumulates float32 and float16 scans in double, rounding each output once
    if x.dtype.kind in "biu":
        return ufunc.accumulate(x, axis, dtype=_I64)
    if x.dtype.itemsize < 8:
        return ufunc.accumulate(x, axis, dtype=np.float64).astype(x.dtype)
    return ufunc.accumulate(x, axis)


def cumsum_array(x: np.ndarray, axis: int) -> np.ndarray:
    return _accumulate(x, axis, np.add)


def cumprod_array(x: np.ndarray, axis: int) -> np.ndarray:
    return _accumulate(x, axis, np.multiply)


def _cumsum(x: Any, axis: int) -> Any:
    return Cumsum.apply(x, axis=axis) if isinstance(x, Tensor) else cumsum_array(x, axis)


def dual_cumprod(x: Any, axis: int) -> Any:
    """cumprod along a non-negative axis, recorded when x is a Tensor."""
    return Cumprod.apply(x, axis=axis) if isinstance(x, Tensor) else cumprod_array(x, axis)


def reversed_cumsum(g: Any, axis: int) -> Any:
    """out_i = sum_{j >= i} g_j along axis."""
    return flip(_cumsum(flip(g, axis), axis), axis)


def _scalar(x: np.ndarray) -> np.ndarray:
    return x.astype(_I64) if x.dtype.kind in "biu" else x.copy()


# --- primitives --------------------------------------------------------------------------------


class Cumsum(Primitive):
    """out_i = sum_{j<=i} x_j;  dout/dx: the gradient summed from the end (reversed cumsum)"""

    node_name = "CumsumBackward0"

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        return _scalar(x) if x.ndim == 0 else cumsum_array(x, axis)

    @staticmethod
    def backward(ctx, g):
        if g.ndim == 0 or g.shape[ctx.axis] <= 1:
            return g
        return reversed_cumsum(g, ctx.axis)

    jvp_rule = fw.linear


class Cumprod(Primitive):
    """out_i = prod_{j<=i} x_j;  dx_k = sum_{i>=k} g_i prod_{j<=i, j!=k} x_j"""

    node_name = "CumprodBackward0"

    @staticmethod
    def forward(ctx, x, axis):
        out = _scalar(x) if x.ndim == 0 else cumprod_array(x, axis)
        ctx.axis = axis
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xd, axis = d.data(x), ctx.axis
        if xd.size <= 1 or xd.shape[axis] == 1:
            return g
        zero = xd == 0
        if not zero.any():  # as torch: sum_{i>=k} g_i out_i, divided by x_k
            return reversed_cumsum(out * g, axis) / x
        if isinstance(g, Tensor):  # torch also switches to an O(n^2) formula for create_graph
            return _cumprod_grad_exact(g, x, axis)
        return _cumprod_grad_zeros(g, xd, out, zero, axis)

    @staticmethod
    def jvp_rule(t, out, x, axis):  # torch's cumprod_jvp
        if x.ndim == 0:
            return t[0]
        grad = cumsum_array(t[0] / x, axis) * out  # exact before the first zero
        zero = x == 0
        first = zero & (np.cumsum(zero, axis) == 1)
        # from the first zero on: prod_{j<z} x_j * dx_z * prod_{z<j<=i} x_j
        after = cumprod_array(np.where(first, t[0], x), axis)
        return np.where(np.cumsum(first, axis) > 0, after, grad)


def _cumprod_grad_zeros(
    g: np.ndarray, x: np.ndarray, out: np.ndarray, zero: np.ndarray, axis: int
) -> np.ndarray:
    """torch's first-order cumprod gradient with zeros in x: before the first zero z1 the
    division formula holds; at z1 it is out_{z1-1} * sum_{z1<=i<z2} g_i prod_{z1<j<=i} x_j
    (z2 the second zero); after z1 it is 0."""
    seen = np.cumsum(zero, axis)
    before = seen == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = np.where(before, reversed_cumsum(np.where(before, out * g, 0), axis) / x, 0)
    between = seen == 1
    first = between & zero
    runs = cumprod_array(np.where(between & ~first, x, 1), axis)
    total = (runs * np.where(between, g, 0)).sum(axis, keepdims=True)
    z1 = np.argmax(between, axis, keepdims=True)
    prefix = np.take_along_axis(out, np.maximum(z1 - 1, 0), axis)
    prefix = np.where(z1 == 0, 1, prefix)
    return np.where(first, total * prefix, grad)


def _cumprod_grad_exact(g: Tensor, x: Tensor, axis: int) -> Tensor:
    """dx_k = sum_{i>=k} g_i prod_{j<=i, j!=k} x_j from n copies of x, copy k with x_k set to 1:
    exact at zeros, and differentiable again."""
    xd = d.data(x)
    n = xd.shape[axis]
    xl, gl = d.swap(x, axis, -1), d.swap(g, axis, -1)
    lead = tuple(xl.shape[:-1])
    eye = np.eye(n, dtype=xd.dtype)
    rows = d.expand(d.reshape(xl, lead + (1, n)), lead + (n, n))
    rows = rows * d.const(x, 1 - eye) + d.const(x, eye)
    upper = np.triu(np.ones((n, n), xd.dtype))  # row k, column i: i >= k
    terms = dual_cumprod(rows, len(lead) + 1) * d.reshape(gl, lead + (1, n)) * d.const(x, upper)
    return d.swap(terms.sum(-1), axis, -1)


class Cummax(Primitive):
    """values_i = max_{j<=i} x_j (NaN wins), indices_i the last such j;  dx: g added at indices"""

    node_name = "CummaxBackward0"
    _ufunc = np.maximum

    @classmethod
    def forward(cls, ctx, x, axis):
        ctx.axis, ctx.shape = axis, x.shape
        if x.ndim == 0:
            return x.copy(), np.zeros((), _I64)
        running = cls._ufunc.accumulate(x, axis)
        # as torch: a later element equal to the running max (or a NaN) takes over the index
        takes_over = running == x
        if x.dtype.kind == "f":
            takes_over |= np.isnan(x)
        pos = np.arange(x.shape[axis]).reshape([-1 if i == axis else 1 for i in range(x.ndim)])
        idx = np.maximum.accumulate(np.where(takes_over, pos, 0), axis)
        ctx.idx = idx
        return x[along(idx, axis)], idx

    @staticmethod
    def backward(ctx, g, _g_indices):
        if len(ctx.shape) == 0:
            return g
        return place_along(ctx.shape, ctx.axis, ctx.idx, g, repeats=True)

    @staticmethod
    def jvp_rule(t, out, x, axis):  # the tangent where each running extreme was reached
        return (t[0] if x.ndim == 0 else t[0][along(out[1], axis)]), None


class Cummin(Cummax):
    """values_i = min_{j<=i} x_j (NaN wins), indices_i the last such j;  dx: g added at indices"""

    node_name = "CumminBackward0"
    _ufunc = np.minimum


# --- functional forms -------------------------------------------------------------------------


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative sum along `dim` (integers and bools sum as int64)."""
    if dtype is not None:
        input = input.to(dtype)
    return Cumsum.apply(input, axis=norm_dim(int(dim), input.data.ndim))


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Cumulative product along `dim` (integers and bools multiply as int64)."""
    if dtype is not None:
        input = input.to(dtype)
    return Cumprod.apply(input, axis=norm_dim(int(dim), input.data.ndim))


def cummax(input: Tensor, dim: int) -> Any:
    """(values, indices): the running maximum along `dim` and where it was last reached."""
    values, indices = Cummax.apply(input, axis=norm_dim(int(dim), input.data.ndim))
    return cummax_result(values, indices)


def cummin(input: Tensor, dim: int) -> Any:
    """(values, indices): the running minimum along `dim` and where it was last reached."""
    values, indices = Cummin.apply(input, axis=norm_dim(int(dim), input.data.ndim))
    return cummin_result(values, indices)


# Tensor methods, installed by ops/_methods.py
METHODS: dict[str, Any] = {"cumsum": cumsum, "cumprod": cumprod, "cummax": cummax, "cummin": cummin}
