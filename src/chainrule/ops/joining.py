"""Joining and splitting: cat stack hstack vstack dstack split chunk unbind tensor_split.

Pieces of split, chunk and unbind are views of their input, outputs of one multi-output node:
as torch, they may be written in place only where nothing is recorded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import _dtype
from chainrule.autograd import forward_ad as fw
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, norm_dim
from chainrule.ops.indexing import getitem
from chainrule.ops.shape import reshape
from chainrule.tensor import Tensor, _share_version


def _result_dtype(arrays: Any) -> np.dtype:
    """torch's promotion across all the tensors of a list: bool < integer < float decides,
    then the widest type of the winning category."""
    first = arrays[0].dtype
    if all(a.dtype == first for a in arrays):
        return first
    top = max(_dtype._category(a.dtype.kind) for a in arrays)
    out = None
    for a in arrays:
        if _dtype._category(a.dtype.kind) == top:
            out = a.dtype if out is None else np.promote_types(out, a.dtype)
    return out


def _skipped(x: np.ndarray) -> bool:
    # torch's legacy rule: 1-D empty tensors take no part in cat's shape checks or result
    return x.shape == (0,)


def _split_at(g: Any, axis: int, sizes: list[int]) -> list:
    """Consecutive slices of g along axis (arrays or Tensors)."""
    out, start = [], 0
    lead = (slice(None),) * axis
    for s in sizes:
        out.append(g[lead + (slice(start, start + s),)])
        start += s
    return out


def _join(parts: list, axis: int, stack: bool = False) -> Any:
    """Concatenate (or stack) gradient pieces; constants where some are Tensors and some not."""
    if any(d._t(p) for p in parts):
        ref = next(p for p in parts if d._t(p))
        parts = [p if d._t(p) else d.const(ref, p) for p in parts]
        return (Stack if stack else Cat).apply(*parts, axis=axis)
    return np.stack(parts, axis) if stack else np.concatenate(parts, axis)


class Cat(Primitive):
    """out = [x0 x1 ...] along axis;  dout/dxi = g's slice where xi went"""

    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, *xs, axis):
        dt = _result_dtype(xs)
        skipped = [_skipped(x) for x in xs]
        ctx.axis, ctx.skipped = axis, skipped
        ctx.sizes = [0 if s else x.shape[axis] for x, s in zip(xs, skipped)]
        kept = [x.astype(dt, copy=False) for x in xs if not _skipped(x)]
        return np.concatenate(kept, axis) if kept else np.zeros((0,), dt)

    @staticmethod
    def backward(ctx, g):
        parts = _split_at(g, ctx.axis, ctx.sizes)
        return tuple(
            d.const(g, np.zeros((0,), d.data(g).dtype)) if s else p
            for p, s in zip(parts, ctx.skipped)
        )

    jvp_rule = fw.linear


class Stack(Primitive):
    """out = [x0 x1 ...] along a new axis;  dout/dxi = g's i-th entry along it"""

    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, *xs, axis):
        dt = _result_dtype(xs)
        ctx.axis, ctx.n = axis, len(xs)
        if axis == 0 and all(x.dtype == dt for x in xs):
            return np.array(xs)  # a DataLoader's collate: several times faster than np.stack
        return np.stack([x.astype(dt, copy=False) for x in xs], axis)

    @staticmethod
    def backward(ctx, g):
        lead = (slice(None),) * ctx.axis
        return tuple(g[lead + (i,)] for i in range(ctx.n))

    jvp_rule = fw.linear


def _outputs(pieces: list) -> Any:
    # a lone piece leaves as a plain output: the engine keeps 1-tuples' shapes wrongly
    return pieces[0] if len(pieces) == 1 else tuple(pieces)


class Split(Primitive):
    """outs = consecutive pieces of x along axis (views);  dout/dx = their gradients joined"""

    node_name = "SplitBackward0"

    @staticmethod
    def forward(ctx, x, axis, sizes):
        ctx.axis = axis
        return _outputs(_split_at(x, axis, sizes))

    @staticmethod
    def backward(ctx, *gs):
        return _join(list(gs), ctx.axis)

    jvp_rule = fw.linear


class SplitWithSizes(Split):
    node_name = "SplitWithSizesBackward0"


class Unbind(Primitive):
    """outs = the entries of x along axis (views);  dout/dx = their gradients stacked"""

    node_name = "UnbindBackward0"

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        lead = (slice(None),) * axis
        return _outputs([x[lead + (i,)] for i in range(x.shape[axis])])

    @staticmethod
    def backward(ctx, *gs):
        return _join(list(gs), ctx.axis, stack=True)

    jvp_rule = fw.linear


# --- argument checks ----------------------------------------------------------------------------


def _tensor_list(tensors: Any, fname: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{fname}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
            f"{type(tensors).__name__}"
        )
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(
                f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}"
            )
    return list(tensors)


def _cat_axis(xs: list[Tensor], dim: int) -> int:
    """dim as an axis of the joined tensors, after torch's checks of their shapes."""
    for i, x in enumerate(xs):
        if x.data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
    kept = [(i, x.data.shape) for i, x in enumerate(xs) if not _skipped(x.data)]
    if not kept:
        return norm_dim(dim, 1)
    ref = kept[0][1]
    axis = norm_dim(dim, len(ref))
    for i, s in kept[1:]:
        if len(s) != len(ref):
            raise RuntimeError(
                f"Tensors must have same number of dimensions: got {len(ref)} and {len(s)}"
            )
        for k, (a, b) in enumerate(zip(ref, s)):
            if k != axis and a != b:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {axis}. Expected size {a} "
                    f"but got size {b} for tensor number {i} in the list."
                )
    return axis


def _dim_kw(dim: Any, axis: Any) -> int:
    return int(axis if axis is not None else dim)


# --- functional forms ---------------------------------------------------------------------------


def cat(tensors: Any, dim: int = 0, *, axis: int | None = None, out: Any = None) -> Tensor:
    """The tensors joined along dim (1-D empty tensors are skipped, dtypes promoted)."""
    xs = _tensor_list(tensors, "cat")
    if not xs:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    return Cat.apply(*xs, axis=_cat_axis(xs, _dim_kw(dim, axis)))


concat = concatenate = cat


def stack(tensors: Any, dim: int = 0, *, out: Any = None) -> Tensor:
    """The tensors (all of one shape) joined along a new dim."""
    xs = _tensor_list(tensors, "stack")
    if not xs:
        raise RuntimeError("stack expects a non-empty TensorList")
    ref = xs[0].data.shape
    for i, x in enumerate(xs[1:], 1):
        if x.data.shape != ref:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(ref)} at entry 0 and "
                f"{list(x.data.shape)} at entry {i}"
            )
    return Stack.apply(*xs, axis=norm_dim(dim, len(ref) + 1))


def _at_least(x: Tensor, n: int) -> Tensor:
    """x viewed with at least n dims, as torch.atleast_1d/2d/3d place the new ones."""
    s = x.data.shape
    if len(s) >= n:
        return x
    if n == 3 and len(s) == 2:
        return reshape(x, s + (1,))
    if n == 3 and len(s) == 1:
        return reshape(x, (1,) + s + (1,))
    return reshape(x, (1,) * (n - len(s)) + s)


def hstack(tensors: Any, *, out: Any = None) -> Tensor:
    """cat along dim 1 (dim 0 for 1-D tensors), 0-d tensors as 1-D."""
    xs = [_at_least(x, 1) for x in _tensor_list(tensors, "hstack")]
    return cat(xs, 0 if xs and xs[0].data.ndim == 1 else 1)


def vstack(tensors: Any, *, out: Any = None) -> Tensor:
    """cat along dim 0 of the tensors seen as at least 2-D."""
    return cat([_at_least(x, 2) for x in _tensor_list(tensors, "vstack")], 0)


row_stack = vstack


def dstack(tensors: Any, *, out: Any = None) -> Tensor:
    """cat along dim 2 of the tensors seen as at least 3-D."""
    return cat([_at_least(x, 3) for x in _tensor_list(tensors, "dstack")], 2)


def _multi_view_fn(i: int, name: str) -> Any:
    def refuse(a: Any) -> Any:
        raise RuntimeError(
            f"Output {i} of {name} is a view and is being modified inplace, or its base or "
            "another view of its base has been. This view is the output of a function that "
            "returns multiple views. Such functions do not allow the output views to be modified "
            "inplace. You should replace the inplace operation by an out-of-place one."
        )

    return refuse


def _views(x: Tensor, pieces: Any, name: str) -> tuple:
    pieces = pieces if isinstance(pieces, tuple) else (pieces,)
    for i, p in enumerate(pieces):
        _share_version(x, p, view_fn=_multi_view_fn(i, name))
    return pieces


def _split_dim(x: Tensor, dim: int, fname: str) -> int:
    if x.data.ndim == 0:
        raise RuntimeError(f"{fname} expects at least a 1-dimensional tensor")
    return norm_dim(int(dim), x.data.ndim)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces of split_size along dim (the last may be smaller), or of the listed sizes."""
    sections = split_size_or_sections
    if isinstance(sections, (list, tuple)):
        return split_with_sizes(tensor, sections, dim)
    axis = _split_dim(tensor, dim, "split")
    n, s = tensor.data.shape[axis], int(sections)
    if s < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size={s}")
    if s == 0 and n != 0:
        raise RuntimeError(
            f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}"
        )
    count = max(-(-n // s), 1) if s else 1
    sizes = [s] * (count - 1) + [n - s * (count - 1)]
    return _views(tensor, Split.apply(tensor, axis=axis, sizes=sizes), "SplitBackward0")


def split_with_sizes(tensor: Tensor, split_sizes: Any, dim: int = 0) -> tuple:
    """Pieces of the listed sizes along dim (they must add up to its size)."""
    axis = _split_dim(tensor, dim, "split")
    sizes = [int(s) for s in split_sizes]
    n = tensor.data.shape[axis]
    if any(s < 0 for s in sizes):
        raise RuntimeError(
            "split_with_sizes expects split_sizes have only non-negative entries, but got "
            f"split_sizes={sizes}"
        )
    if sum(sizes) != n:
        raise RuntimeError(
            f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
            f"dimension {axis}), but got split_sizes={sizes}"
        )
    pieces = SplitWithSizes.apply(tensor, axis=axis, sizes=sizes)
    return _views(tensor, pieces, "SplitWithSizesBackward0")


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple:
    """At most `chunks` pieces of equal size along dim (the last may be smaller)."""
    axis = _split_dim(input, dim, "chunk")
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input.data.shape[axis]
    if n == 0:
        return split_with_sizes(input, [0] * chunks, axis)
    return split(input, -(-n // chunks), axis)


def unbind(input: Tensor, dim: int = 0) -> tuple:
    """The slices of input along dim, that dim removed."""
    if input.data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    axis = norm_dim(int(dim), input.data.ndim)
    return _views(input, Unbind.apply(input, axis=axis), "UnbindBackward0")


def tensor_split(input: Any, indices_or_sections: Any, dim: int = 0) -> tuple:
    """Pieces split at the given indices, or `sections` near-equal pieces (the first larger)."""
    if input.data.ndim == 0:
        raise RuntimeError(
            "tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims"
        )
    axis = norm_dim(int(dim), input.data.ndim)
    n = input.data.shape[axis]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        spec = spec.data.item() if spec.data.ndim == 0 else spec.data.tolist()
    if isinstance(spec, (list, tuple)):
        bounds = [int(i) for i in spec]
    else:
        sections = int(spec)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        q, r = divmod(n, sections)
        bounds = list(np.cumsum([q + 1] * r + [q] * (sections - r))[:-1])
    lead = (slice(None),) * axis
    edges = [0] + [min(max(b if b >= 0 else b + n, 0), n) for b in bounds] + [n]
    return tuple(
        getitem(input, lead + (slice(a, max(a, b)),)) for a, b in zip(edges[:-1], edges[1:])
    )


__all__ = [
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "dstack", "split",
    "split_with_sizes", "chunk", "unbind", "tensor_split",
]  # fmt: skip


def _split_method(self: Tensor, split_size: Any, dim: int = 0) -> tuple:
    return split(self, split_size, dim)


METHODS: dict[str, Any] = {
    "split": _split_method, "split_with_sizes": split_with_sizes, "chunk": chunk,
    "unbind": unbind, "tensor_split": tensor_split,
}  # fmt: skip
