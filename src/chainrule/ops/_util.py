"""Argument helpers shared by the ops: torch's dim/shape conventions converted to NumPy's."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd.function import Function


class Primitive(Function):
    """A built-in op: forward and backward on NumPy arrays (see autograd/function.py)."""

    _raw = True


def norm_dim(dim: int, ndim: int) -> int:
    """A torch dim (possibly negative) as a NumPy axis; IndexError as torch when out of range."""
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})"
        )
    return dim % ndim if ndim else 0


def norm_dims(dim: Any, ndim: int) -> tuple[int, ...] | None:
    """None, an int, or a sequence of ints, as a tuple of NumPy axes (None means all)."""
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        return (norm_dim(int(dim), ndim),)
    axes = tuple(norm_dim(int(d), ndim) for d in dim)
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"dim {list(dim)} appears multiple times in the list of dims")
    return axes


def shape_arg(shape: tuple) -> tuple[int, ...]:
    """`f(2, 3)`, `f((2, 3))`, `f([2, 3])` and `f(Size)` all mean shape (2, 3)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"shape must be a sequence of ints, got {shape!r}") from None


def broadcast_error(x: Any, y: Any) -> RuntimeError:
    """torch's message for shapes that do not broadcast, naming the first clashing dim."""
    a, b = np.shape(x), np.shape(y)
    n = max(len(a), len(b))
    pa, pb = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    for i in range(n - 1, -1, -1):
        if pa[i] != pb[i] and pa[i] != 1 and pb[i] != 1:
            return RuntimeError(
                f"The size of tensor a ({pa[i]}) must match the size of tensor b ({pb[i]}) at "
                f"non-singleton dimension {i} (shapes {list(a)} and {list(b)})"
            )
    return RuntimeError(f"shapes {list(a)} and {list(b)} cannot be broadcast together")
