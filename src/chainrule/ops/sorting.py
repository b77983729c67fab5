"""Order statistics: argmax argmin sort argsort msort topk kthvalue median.

Which of several equal elements an op returns follows torch's CPU kernels: sort is stable up
to 16 elements per row (and with stable=True), beyond that it is libstdc++'s introsort, and
topk and kthvalue have their own selection algorithms; median along a dim takes the lower
middle of a stable order. Rows whose answer depends on the algorithm (ties) are replayed by
`_selection`; NaN counts as larger than every number, as in torch.
"""

from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

import numpy as np

from chainrule.autograd import forward_ad as fw
from chainrule.autograd.function import _wrap
from chainrule.ops import _dual as d
from chainrule.ops import _selection
from chainrule.ops._util import Primitive, norm_dim
from chainrule.ops.scan import along, place_along
from chainrule.tensor import Tensor

__all__ = ["argmax", "argmin", "sort", "argsort", "msort", "topk", "kthvalue", "median"]

_I64 = np.dtype(np.int64)
_RADIX_MIN = 32768  # torch sorts 1-D integer tensors this long with a (stable) radix sort

# torch.return_types.sort / topk / kthvalue / median
sort_result = namedtuple("sort", ["values", "indices"])
topk_result = namedtuple("topk", ["values", "indices"])
kthvalue_result = namedtuple("kthvalue", ["values", "indices"])
median_result = namedtuple("median", ["values", "indices"])


# --- rows: the reduced dim last, everything else flattened ---------------------------------------


def _rows(x: np.ndarray, axis: int) -> np.ndarray:
    moved = np.moveaxis(x, axis, -1)
    return moved.reshape(math.prod(moved.shape[:-1]), moved.shape[-1])


def _unrows(a: np.ndarray, shape: tuple, axis: int) -> np.ndarray:
    """Row results (m, k) back to shape with k elements along axis."""
    moved = tuple(s for i, s in enumerate(shape) if i != axis) + (a.shape[-1],)
    return np.moveaxis(a.reshape(moved), -1, axis)


def _ranks(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ranks, stable ascending order, ties): dense ranks per row, equal values (and all NaNs)
    sharing one, NaN ranking highest; ties[r, i] says sorted positions i and i+1 are equal."""
    order = np.argsort(rows, axis=-1, kind="stable")
    s = np.take_along_axis(rows, order, -1)
    ties = s[:, 1:] == s[:, :-1]
    if rows.dtype.kind == "f":
        ties |= np.isnan(s[:, 1:]) & np.isnan(s[:, :-1])
    in_order = np.zeros(rows.shape, _I64)
    np.cumsum(~ties, axis=-1, out=in_order[:, 1:])
    ranks = np.empty_like(in_order)
    np.put_along_axis(ranks, order, in_order, -1)
    return ranks, order, ties


def _sort_order(x: np.ndarray, axis: int, descending: bool, stable: bool) -> np.ndarray:
    """The indices torch.sort returns."""
    if x.strides[axis] == 0:  # an expanded dim: torch leaves it unsorted (all values equal)
        shape = [-1 if i == axis else 1 for i in range(x.ndim)]
        return np.broadcast_to(np.arange(x.shape[axis]).reshape(shape), x.shape).copy()
    rows = _rows(x, axis)
    if rows.size == 0:
        return np.zeros(x.shape, _I64)
    ranks, order, ties = _ranks(rows)
    keys = -ranks if descending else ranks
    if descending:
        order = np.argsort(keys, axis=-1, kind="stable")
    radix = x.ndim == 1 and x.dtype.kind in "iu" and not descending and x.size >= _RADIX_MIN
    if not (stable or radix) and rows.shape[1] > 16:  # std::sort: ties land where it puts them
        for r in np.flatnonzero(ties.any(-1)):
            order[r] = _selection.sort_order(keys[r].tolist())
    return _unrows(order, x.shape, axis)


# --- sort, argsort, msort ------------------------------------------------------------------------


def _at_indices(t: tuple, out: tuple, x: np.ndarray, axis: int, keepdim: bool = True) -> tuple:
    """The tangent of (values, indices) picked along axis: dx at the indices, and none."""
    if x.ndim == 0:
        return t[0], None
    idx = out[1] if keepdim else np.expand_dims(out[1], axis)
    picked = np.take_along_axis(fw.dense(t[0], x), idx, axis)
    return (picked if keepdim else picked.squeeze(axis)), None


class Sort(Primitive):
    """values = x sorted along dim;  dx: g put back at the indices"""

    node_name = "SortBackward0"

    @staticmethod
    def forward(ctx, x, axis, descending, stable):
        ctx.axis, ctx.shape = axis, x.shape
        if x.ndim == 0:
            return x.copy(), np.zeros((), _I64)
        idx = ctx.idx = _sort_order(x, axis, descending, stable)
        return x[along(idx, axis)], idx

    @staticmethod
    def jvp_rule(t, out, x, axis, descending, stable):
        return _at_indices(t, out, x, axis)

    @staticmethod
    def backward(ctx, g, _g_indices):
        if len(ctx.shape) == 0:
            return g
        return place_along(ctx.shape, ctx.axis, ctx.idx, g, repeats=False)


class SortStable(Sort):
    node_name = "SortBackward1"


def _sort_args(name: str, args: tuple, dim: int, descending: bool, stable: Any) -> tuple:
    """torch's two overloads: (input, dim=-1, descending=False) positionally, or
    (input, *, stable, dim=-1, descending=False) with every argument a keyword."""
    if len(args) > 2:
        raise TypeError(
            f"{name}() takes from 1 to 3 positional arguments but {len(args) + 1} "
            "were given (stable is keyword-only)"
        )
    if args and stable is not None:
        raise TypeError(
            f"{name}() received an invalid combination of arguments: with stable=, "
            "dim and descending must be keywords too"
        )
    if args:
        dim = args[0]
        descending = args[1] if len(args) == 2 else descending
    return dim, descending, bool(stable)


def sort(
    input: Tensor, *args: Any, dim: int = -1, descending: bool = False, stable: Any = None
) -> Any:
    """(values, indices) sorted along `dim`: sort(input, dim=-1, descending=False) or
    sort(input, *, stable, dim=-1, descending=False). NaN sorts as the largest value."""
    dim, descending, stable = _sort_args("sort", args, dim, descending, stable)
    cls = SortStable if stable else Sort
    axis = norm_dim(int(dim), input.data.ndim)
    values, indices = cls.apply(input, axis=axis, descending=descending, stable=stable)
    return sort_result(values, indices)


def argsort(
    input: Tensor, *args: Any, dim: int = -1, descending: bool = False, stable: Any = None
) -> Tensor:
    """The indices that sort `input` along `dim` (sort's indices; the same overloads)."""
    dim, descending, stable = _sort_args("argsort", args, dim, descending, stable)
    x = input.data
    axis = norm_dim(int(dim), x.ndim)
    if x.ndim == 0:
        return _wrap(np.zeros((), _I64), None)
    return _wrap(_sort_order(x, axis, descending, stable), None)


def msort(input: Tensor) -> Tensor:
    """`input` sorted along its first dim."""
    return sort(input, 0).values


# --- topk, kthvalue -----------------------------------------------------------------------------


class Topk(Primitive):
    """values, indices = the k largest (smallest) along dim;  dx: g put back at the indices"""

    node_name = "TopkBackward0"

    @staticmethod
    def forward(ctx, x, k, axis, largest, sorted_):
        ctx.axis, ctx.shape = axis, x.shape
        if x.ndim == 0:
            return x.copy(), np.zeros((), _I64)
        rows = _rows(x, axis)
        n = rows.shape[1]
        order = np.zeros((rows.shape[0], k), _I64)
        if rows.size and k:
            ranks, order, ties = _ranks(rows)
            keys = -ranks if largest else ranks
            if largest:
                order = np.argsort(keys, axis=-1, kind="stable")
            order = order[:, :k]
            if sorted_ or k * 64 <= n:  # sorted: only ties reaching the first k are ambiguous
                ties = ties[:, ::-1] if largest else ties  # adjacent pairs from the top down
                replay = np.flatnonzero(ties[:, :k].any(-1))
            else:  # left in nth_element's order
                replay = range(rows.shape[0])
            for r in replay:
                order[r] = _selection.topk_order(keys[r].tolist(), k, sorted_)
        idx = ctx.idx = _unrows(order, x.shape, axis)
        return x[along(idx, axis)], idx

    @staticmethod
    def jvp_rule(t, out, x, k, axis, largest, sorted_):
        return _at_indices(t, out, x, axis)

    @staticmethod
    def backward(ctx, g, _g_indices):
        if len(ctx.shape) == 0:
            return g
        return place_along(ctx.shape, ctx.axis, ctx.idx, g, repeats=False)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:
    """(values, indices) of the k largest (or smallest) elements along `dim`."""
    x = input.data
    axis = norm_dim(int(dim), x.ndim)
    if x.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    n = x.shape[axis] if x.ndim else 1
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range (k = {k}, dim {dim} has size {n})")
    values, indices = Topk.apply(input, k=int(k), axis=axis, largest=largest, sorted_=sorted)
    return topk_result(values, indices)


def _reduced(idx_rows: np.ndarray, shape: tuple, axis: int, keepdim: bool) -> np.ndarray:
    """One index per row, shaped as a reduction along axis."""
    idx = _unrows(idx_rows.reshape(-1, 1), shape, axis)
    return idx if keepdim else idx.squeeze(axis)


class Kthvalue(Primitive):
    """values, indices = the k-th smallest along dim;  dx: g put back at the index"""

    node_name = "KthvalueBackward0"

    @staticmethod
    def forward(ctx, x, k, axis, keepdim):
        ctx.axis, ctx.shape, ctx.keepdim = axis, x.shape, keepdim
        if x.ndim == 0:
            return x.copy(), np.zeros((), _I64)
        rows = _rows(x, axis)
        picked = np.zeros(rows.shape[0], _I64)
        if rows.size:
            ranks, order, _ = _ranks(rows)
            picked = order[:, k - 1]
            kth = np.take_along_axis(ranks, picked[:, None], -1)
            for r in np.flatnonzero((ranks == kth).sum(-1) > 1):  # which of the equal ones
                picked[r] = _selection.kth_position(ranks[r].tolist(), k - 1)
        idx = ctx.idx = _reduced(picked, x.shape, axis, True)
        values = x[along(idx, axis)]
        if not keepdim:
            values, idx = values.squeeze(axis), idx.squeeze(axis)
        return values, idx

    @staticmethod
    def jvp_rule(t, out, x, k, axis, keepdim):
        return _at_indices(t, out, x, axis, keepdim)

    @staticmethod
    def backward(ctx, g, _g_indices):
        if len(ctx.shape) == 0:
            return g
        kept = g if ctx.keepdim else d.reshape(g, ctx.idx.shape)
        return place_along(ctx.shape, ctx.axis, ctx.idx, kept, repeats=False)


def _check_reduction_dim(name: str, x: np.ndarray, axis: int) -> None:
    if x.ndim and x.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")


def _no_bool(name: str, x: np.ndarray) -> None:
    if x.dtype.kind == "b":
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for 'Bool'")


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> Any:
    """(values, indices) of the k-th smallest element along `dim` (k counts from 1)."""
    x = input.data
    axis = norm_dim(int(dim), x.ndim)
    _check_reduction_dim("kthvalue", x, axis)
    n = x.shape[axis] if x.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(
            f"kthvalue(): selected number k out of range for dimension {axis} (k = {k}, size {n})"
        )
    if x.ndim:  # torch copies a 0-d input before its kernel's dtype dispatch
        _no_bool("kthvalue", x)
    values, indices = Kthvalue.apply(input, k=int(k), axis=axis, keepdim=keepdim)
    return kthvalue_result(values, indices)


# --- median --------------------------------------------------------------------------------------


class MedianAll(Primitive):
    """out = the lower median of all elements (NaN if any);  the gradient is split evenly among
    the elements equal to it (as torch)"""

    node_name = "MedianBackward0"

    @staticmethod
    def forward(ctx, x):
        flat = x.ravel()
        if flat.size == 0:
            with np.errstate(invalid="ignore"):
                out = np.asarray(np.nan).astype(x.dtype)
        elif x.dtype.kind == "f" and np.isnan(flat).any():
            out = np.asarray(np.nan, x.dtype)
        else:
            mid = (flat.size - 1) // 2
            out = np.asarray(np.partition(flat, mid)[mid])
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        xd, od = d.data(x), d.data(out)
        mask = np.isnan(xd) if np.isnan(od) else xd == od
        return g * d.const(g, (mask / np.count_nonzero(mask)).astype(xd.dtype))

    @staticmethod
    def jvp_rule(t, out, x):  # torch's evenly_read_jvp: the mean tangent of the equal elements
        mask = np.isnan(x) if np.isnan(out) else x == out
        return (t[0] * mask).sum() / np.count_nonzero(mask)


class MedianDim(Kthvalue):
    """values, indices = the lower median along dim (the first NaN if any);  dx: g at the index"""

    node_name = "MedianBackward1"

    @staticmethod
    def forward(ctx, x, axis, keepdim):
        ctx.axis, ctx.shape, ctx.keepdim = axis, x.shape, keepdim
        if x.ndim == 0:
            return x.copy(), np.zeros((), _I64)
        rows = _rows(x, axis)
        picked = np.zeros(rows.shape[0], _I64)
        if rows.size:
            # torch partitions with ties broken by position: the middle of a stable order
            picked = np.argsort(rows, axis=-1, kind="stable")[:, (rows.shape[1] - 1) // 2]
            if x.dtype.kind == "f":
                nan = np.isnan(rows)
                picked = np.where(nan.any(-1), nan.argmax(-1), picked)
        idx = ctx.idx = _reduced(picked, x.shape, axis, True)
        values = x[along(idx, axis)]
        if not keepdim:
            values, idx = values.squeeze(axis), idx.squeeze(axis)
        return values, idx

    @staticmethod
    def jvp_rule(t, out, x, axis, keepdim):
        return _at_indices(t, out, x, axis, keepdim)


def median(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """median(input): the lower median; median(input, dim): (values, indices) along dim."""
    x = input.data
    if dim is None:
        if keepdim:
            raise TypeError('median() missing 1 required positional arguments: "dim"')
        _no_bool("median", x)
        return MedianAll.apply(input)
    axis = norm_dim(int(dim), x.ndim)
    _no_bool("median", x)
    _check_reduction_dim("median", x, axis)
    values, indices = MedianDim.apply(input, axis=axis, keepdim=keepdim)
    return median_result(values, indices)


# --- argmax, argmin ------------------------------------------------------------------------------


def _arg(name: str, fn: Any) -> Any:
    def reduce(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
        x = input.data
        if x.dtype.kind == "b":
            raise RuntimeError(f"{name}(): does not support bool input")
        if dim is None:
            if x.size == 0:
                raise IndexError(
                    f"{name}(): Expected reduction dim to be specified for input.numel() == 0."
                )
            out = np.asarray(fn(x.ravel()), _I64)  # NumPy, like torch, returns the first NaN
            return _wrap(out.reshape((1,) * x.ndim) if keepdim else out, None)
        if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
            raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
        axis = norm_dim(int(dim), x.ndim)
        if x.ndim == 0:
            return _wrap(np.zeros((), _I64), None)
        _check_reduction_dim(name, x, axis)
        return _wrap(np.asarray(fn(x, axis=axis, keepdims=keepdim), _I64), None)

    reduce.__name__ = name
    reduce.__doc__ = f"The index of the {name[3:]}imum, of the flattened input or along `dim`."
    return reduce


argmax = _arg("argmax", np.argmax)
argmin = _arg("argmin", np.argmin)


# Tensor methods, installed by ops/_methods.py
METHODS: dict[str, Any] = {
    "argmax": argmax,
    "argmin": argmin,
    "sort": sort,
    "argsort": argsort,
    "msort": msort,
    "topk": topk,
    "kthvalue": kthvalue,
    "median": median,
}
