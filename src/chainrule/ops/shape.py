"""Shape primitives: reshape/view, transpose, permute, squeeze, unsqueeze, expand.

Their results share memory with the input, as torch's views do (and share its version
counter, so an in-place change through either is seen by autograd).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd import forward_ad as fw
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, norm_dim, norm_dims, shape_arg
from chainrule.tensor import Tensor, _share_version


def _infer(shape: tuple, size: int) -> tuple:
    """Resolve one -1 in `shape`; RuntimeError as torch when the sizes disagree."""
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if -1 in shape:
        if known == 0 or size % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    elif known != size:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {size}")
    return shape


class Reshape(Primitive):
    """out = x with a new shape;  dout/dx: the gradient reshaped back"""

    node_name = "ViewBackward0"

    @staticmethod
    def forward(ctx, x, shape, view):
        ctx.shape = x.shape
        if view:
            try:
                return np.reshape(x, shape, copy=False)
            except ValueError:
                raise RuntimeError(
                    "view size is not compatible with input tensor's size and stride (at least "
                    "one dimension spans across two contiguous subspaces). Use .reshape(...) "
                    "instead."
                ) from None
        return np.reshape(x, shape)

    @staticmethod
    def backward(ctx, g):
        return d.reshape(g, ctx.shape)

    # a reshape, not a view: the tangent's memory layout may differ from x's
    jvp_rule = staticmethod(lambda t, out, x, shape, view: np.reshape(t[0], shape))


class Transpose(Primitive):
    """out = x with dims a and b swapped;  dout/dx: swap them back"""

    node_name = "TransposeBackward0"

    @staticmethod
    def forward(ctx, x, a, b):
        ctx.dims = (a, b)
        return np.swapaxes(x, a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.dims
        return d.swap(g, a, b)

    jvp_rule = fw.linear


class T(Transpose):
    node_name = "TBackward0"


class Permute(Primitive):
    """out = x with dims reordered;  dout/dx: the inverse permutation"""

    node_name = "PermuteBackward0"

    @staticmethod
    def forward(ctx, x, axes):
        ctx.inverse = tuple(np.argsort(axes))
        return np.transpose(x, axes)

    @staticmethod
    def backward(ctx, g):
        return d.permute(g, ctx.inverse)

    jvp_rule = fw.linear


class Squeeze(Reshape):
    node_name = "SqueezeBackward1"


class SqueezeAll(Reshape):
    node_name = "SqueezeBackward0"


class Unsqueeze(Reshape):
    node_name = "UnsqueezeBackward0"


class Expand(Primitive):
    """out = x broadcast to a larger shape;  dout/dx: sum over the broadcast dims (engine does)"""

    node_name = "ExpandBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        return np.broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, g):
        return g

    jvp_rule = fw.linear


# --- functional forms; each result is a view of its input ------------------------------------


def _view_of(x: Tensor, out: Tensor, view_fn: Any = None) -> Tensor:
    _share_version(x, out, view_fn=view_fn)
    return out


def _reshaper(shape: tuple) -> Any:
    return lambda a: a.reshape(shape)


def reshape(input: Tensor, *shape: Any) -> Tensor:
    s = _infer(shape_arg(shape), input.data.size)
    out = Reshape.apply(input, shape=s, view=False)
    if np.may_share_memory(out.data, input.data):
        _share_version(input, out, view_fn=_reshaper(s))
    return out


def view(input: Tensor, *shape: Any) -> Tensor:
    if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list, np.integer)):
        return input.to(shape[0])  # view(dtype)
    s = _infer(shape_arg(shape), input.data.size)
    return _view_of(input, Reshape.apply(input, shape=s, view=True), _reshaper(s))


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    shape = input.data.shape
    if not shape:
        return reshape(input, (1,))
    a, b = norm_dim(start_dim, len(shape)), norm_dim(end_dim, len(shape))
    if a > b:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if a == b:
        return input
    return reshape(input, shape[:a] + (-1,) + shape[b + 1 :])


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    n = input.data.ndim
    a, b = norm_dim(dim0, n), norm_dim(dim1, n)
    return _view_of(input, Transpose.apply(input, a=a, b=b), lambda v: d.swap(v, a, b))


def t(input: Tensor) -> Tensor:
    if input.data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    if input.data.ndim < 2:
        return input
    return _view_of(input, T.apply(input, a=0, b=1), lambda v: d.swap(v, 0, 1))


def permute(input: Tensor, *dims: Any) -> Tensor:
    n = input.data.ndim
    axes = norm_dims(shape_arg(dims), n) if dims else ()
    if len(axes) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
            f"length of the desired ordering of dimensions i.e. input.dim() = {n} is not equal "
            f"to len(dims) = {len(axes)}"
        )
    return _view_of(input, Permute.apply(input, axes=axes), lambda v: d.permute(v, axes))


def squeeze(input: Tensor, dim: Any = None) -> Tensor:
    shape = input.data.shape
    if dim is None:
        s = tuple(x for x in shape if x != 1)
        return _view_of(input, SqueezeAll.apply(input, shape=s, view=True), _reshaper(s))
    axes = norm_dims(dim, len(shape))
    s = tuple(x for i, x in enumerate(shape) if not (i in axes and x == 1))
    return _view_of(input, Squeeze.apply(input, shape=s, view=True), _reshaper(s))


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    shape = input.data.shape
    a = norm_dim(dim, len(shape) + 1)
    s = shape[:a] + (1,) + shape[a:]
    return _view_of(input, Unsqueeze.apply(input, shape=s, view=True), _reshaper(s))


def expand(input: Tensor, *sizes: Any) -> Tensor:
    sizes = shape_arg(sizes)
    shape = input.data.shape
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(
            f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
            f"the number of dimensions in the tensor ({len(shape)})"
        )
    target = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError("expand: -1 is not allowed in a leading, non-existing dimension")
            target.append(s)
            continue
        have = shape[i - lead]
        if s == -1:
            s = have
        elif have != s and have != 1:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({have}) at "
                f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                f"{list(shape)}"
            )
        target.append(s)
    return _view_of(input, Expand.apply(input, shape=tuple(target)))


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, other.data.shape)
