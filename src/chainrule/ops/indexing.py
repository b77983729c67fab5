"""Indexing: `x[index]` (ints, slices, None, ..., bool masks, integer arrays) and its inverse."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd import forward_ad as fw
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive
from chainrule.tensor import Tensor, _share_version


def convert_index(index: Any) -> tuple[Any, bool, bool]:
    """A torch index as a NumPy one; also whether it is basic (a view) and may repeat positions."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    basic = True
    repeats = False
    for it in items:
        if isinstance(it, Tensor):
            it = it.data
        elif isinstance(it, (list, range)):
            it = np.asarray(it)
            if it.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
        if isinstance(it, np.ndarray):
            if it.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if it.dtype.kind in "iu" and it.ndim == 0:
                it = int(it)
            else:
                basic = False
                repeats = repeats or it.dtype.kind != "b"
        elif isinstance(it, bool):
            basic = False
        elif not (it is None or it is Ellipsis or isinstance(it, (int, slice, np.integer))):
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                f"are valid indices (got {type(it).__name__})"
            )
        out.append(it)
    return tuple(out), basic, repeats


class GetItem(Primitive):
    """out = x[index];  dout/dx: g placed back at index into zeros (repeats accumulate)"""

    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, index, basic, repeats):
        try:
            out = x[index]
        except IndexError as e:
            raise IndexError(f"{e} (indexing a tensor of shape {list(x.shape)})") from None
        ctx.shape, ctx.index, ctx.mode = x.shape, index, repeats
        return out

    @staticmethod
    def backward(ctx, g):
        return d.index_add_into(ctx.shape, ctx.index, g, ctx.mode)

    jvp_rule = fw.linear


class Select(GetItem):
    node_name = "SelectBackward0"


class Slice(GetItem):
    node_name = "SliceBackward0"


class IndexPutInto(Primitive):
    """out = zeros(shape) with g added at index;  dout/dg = out_grad[index]"""

    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, g, shape, index, repeats):
        z = np.zeros(shape, np.asarray(g).dtype)
        if repeats:
            np.add.at(z, index, g)
        else:
            z[index] = g
        if ctx is not None:
            ctx.index = index
        return z

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.index]

    jvp_rule = fw.linear


class IndexPut(Primitive):
    """out = x with out[index] = v;  dout/dx = 1 off the index, 0 on it;  dout/dv = g[index]"""

    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, x, v, index):
        out = x.copy()
        try:
            out[index] = v
        except ValueError as e:
            raise RuntimeError(
                f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot be broadcast "
                f"to indexing result of shape {list(out[index].shape)} ({e})"
            ) from None
        ctx.index = index
        return out

    @staticmethod
    def backward(ctx, g):
        keep = np.ones(g.shape, bool)
        keep[ctx.index] = False
        gv = g[ctx.index] if ctx._edges[1] is not None else None
        return d.masked(g, keep), gv

    jvp_rule = fw.linear  # dout = dx with dout[index] = dv


def split_ints(idx: tuple) -> tuple[tuple, tuple] | None:
    """torch applies integer indices before index arrays (NumPy mixes them into one advanced
    index): for an index with both, the (ints, rest) pair to apply one after the other."""
    if not any(isinstance(i, int) for i in idx) or all(
        i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in idx
    ):
        return None
    first = tuple(i if isinstance(i, int) or i is None or i is Ellipsis else slice(None)
                  for i in idx)
    rest = tuple(slice(None) if i is None else i for i in idx if not isinstance(i, int))
    return first, rest


def getitem(x: Tensor, index: Any) -> Tensor:
    idx, basic, repeats = convert_index(index)
    parts = None if basic else split_ints(idx)
    if parts is not None:
        return getitem(getitem(x, parts[0]), parts[1])
    if basic:
        cls = Select if len(idx) == 1 and isinstance(idx[0], int) else Slice
        out = cls.apply(x, index=idx, basic=basic, repeats=repeats)
        _share_version(x, out, view_fn=lambda a: a[idx])
        return out
    return GetItem.apply(x, index=idx, basic=basic, repeats=repeats)
