"""Functions that run on NumPy arrays and on Tensors alike, for derivative formulas.

A backward formula is written once: in first-order backward it receives arrays and these
functions are plain NumPy; under `create_graph=True` it receives Tensors and the same calls
record differentiable operations. Masks and signs are constants (their derivative is zero),
so for Tensors they are computed on the data and enter the graph as constants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.tensor import Tensor


def _t(x: Any) -> bool:
    return isinstance(x, Tensor)


def const(x: Any, arr: np.ndarray) -> Any:
    """`arr` as a constant of x's kind (array for arrays, constant Tensor for Tensors)."""
    if _t(x):
        from chainrule.autograd.function import _wrap

        return _wrap(np.asarray(arr), None)
    return arr


def data(x: Any) -> Any:
    return x.data if _t(x) else x


def exp(x: Any) -> Any:
    return x.exp() if _t(x) else np.exp(x)


def log(x: Any) -> Any:
    return x.log() if _t(x) else np.log(x)


def sin(x: Any) -> Any:
    return x.sin() if _t(x) else np.sin(x)


def cos(x: Any) -> Any:
    return x.cos() if _t(x) else np.cos(x)


def sign(x: Any) -> Any:
    """sign(x) as a constant, with sign(NaN) = 0 as torch's sgn."""
    s = np.sign(data(x))
    if s.dtype.kind == "f" and np.isnan(s).any():
        s = np.nan_to_num(s, nan=0.0)
    return const(x, s)


def masked(g: Any, mask: np.ndarray) -> Any:
    """g where the constant boolean mask holds, else 0.

    A multiplication, ten times faster than np.where on a random mask; it differs from
    torch's where-based formulas only where g itself is inf or NaN at a blocked position.
    """
    return g * const(g, mask)


def where(mask: Any, a: Any, b: Any) -> Any:
    """mask is a constant boolean array; a and b arrays, tensors or scalars."""
    if _t(a) or _t(b):
        from chainrule.ops.arithmetic import where as twhere

        return twhere(const(a if _t(a) else b, mask), a, b)
    return np.where(mask, a, b)


def swap(x: Any, a: int, b: int) -> Any:
    """Swap dimensions a and b (a method both kinds have)."""
    return x.swapaxes(a, b)


def swap_last(x: Any) -> Any:
    """Swap the last two dimensions."""
    return swap(x, -1, -2)


def permute(x: Any, axes: tuple) -> Any:
    return x.permute(axes) if _t(x) else np.transpose(x, axes)


def reshape(x: Any, shape: tuple) -> Any:
    return x.reshape(shape)  # the method, on arrays and Tensors alike


def expand(x: Any, shape: tuple) -> Any:
    """x broadcast to shape. For arrays, a filled new array: several times faster than
    np.broadcast_to for small shapes, and the leaf that receives it can adopt it uncopied."""
    if _t(x):
        return x.expand(shape)
    out = np.empty(shape, x.dtype)
    out[...] = x
    return out


def sum_to(g: Any, shape: tuple) -> Any:
    """Sum a broadcast gradient down to `shape`; ValueError if `shape` cannot broadcast to it."""
    gshape = g.shape
    lead = len(gshape) - len(shape)
    if lead == 1 and gshape[1:] == shape:  # the common bias case: sum over the batch dim
        return g.sum(0)
    if lead < 0:
        raise ValueError("gradient has fewer dimensions than its input")
    axes = list(range(lead))
    for i, s in enumerate(shape):
        gs = gshape[lead + i]
        if s == 1 and gs != 1:
            axes.append(lead + i)
        elif s != gs:
            raise ValueError(f"cannot sum {tuple(gshape)} to {tuple(shape)}")
    if not axes:
        return g
    if _t(g):
        return g.sum(dim=tuple(axes), keepdim=True).reshape(shape)
    return g.sum(axis=tuple(axes), keepdims=True).reshape(shape)


def index_add_into(shape: tuple, index: Any, g: Any, repeats: bool) -> Any:
    """zeros(shape) with g added at `index` (repeated indices accumulate): getitem's backward."""
    from chainrule.ops.indexing import IndexPutInto

    if _t(g):
        return IndexPutInto.apply(g, shape=shape, index=index, repeats=repeats)
    return IndexPutInto.forward(None, g, shape, index, repeats)
