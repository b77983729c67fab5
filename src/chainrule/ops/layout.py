"""Rearranging: flip roll repeat tile narrow movedim unflatten broadcast_to tril triu diag
diagonal diag_embed (and, through ops/padding.py, nn.functional.pad).

narrow, movedim, unflatten, broadcast_to and diagonal return views of their input, as torch's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd import forward_ad as fw
from chainrule.autograd.function import NULL_CTX
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, norm_dim, shape_arg
from chainrule.ops.indexing import getitem
from chainrule.ops.padding import check_narrow, pad  # noqa: F401 - nn.functional.pad
from chainrule.ops.shape import _view_of, expand, permute, view
from chainrule.tensor import Tensor


class Flip(Primitive):
    """out = x reversed along axes;  dout/dx = g reversed along them"""

    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return np.flip(x, axes).copy()

    @staticmethod
    def backward(ctx, g):
        return Flip.apply(g, axes=ctx.axes) if d._t(g) else np.flip(g, ctx.axes)

    jvp_rule = fw.linear


class Roll(Primitive):
    """out = x shifted cyclically (flattened when axes is None);  dout/dx = g shifted back"""

    node_name = "RollBackward0"

    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return np.roll(x, shifts, axes)

    @staticmethod
    def backward(ctx, g):
        back = tuple(-s for s in ctx.shifts)
        return Roll.apply(g, shifts=back, axes=ctx.axes) if d._t(g) else np.roll(g, back, ctx.axes)

    jvp_rule = fw.linear


class Repeat(Primitive):
    """out = x tiled reps times;  dout/dx = g summed over the tiles"""

    node_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, x, reps):
        ctx.shape, ctx.reps = x.shape, reps
        return np.tile(x, reps)

    @staticmethod
    def backward(ctx, g):
        reps, shape = ctx.reps, ctx.shape
        full = (1,) * (len(reps) - len(shape)) + shape
        g = d.reshape(g, tuple(v for r, s in zip(reps, full) for v in (r, s)))
        tiles = tuple(range(0, 2 * len(reps), 2))
        g = g.sum(dim=tiles) if d._t(g) else g.sum(axis=tiles)
        return d.reshape(g, shape)

    jvp_rule = fw.linear


class Tril(Primitive):
    """out = x with the entries above diagonal k zeroed;  dout/dx = tril(g, k)"""

    node_name = "TrilBackward0"
    _np = staticmethod(np.tril)

    @classmethod
    def forward(cls, ctx, x, k):
        ctx.k = k
        return cls._np(x, k)

    @classmethod
    def backward(cls, ctx, g):
        return cls.apply(g, k=ctx.k) if d._t(g) else cls._np(g, ctx.k)

    jvp_rule = fw.linear


class Triu(Tril):
    """out = x with the entries below diagonal k zeroed;  dout/dx = triu(g, k)"""

    node_name = "TriuBackward0"
    _np = staticmethod(np.triu)


def _diag_view(a: np.ndarray, offset: int, d1: int, d2: int) -> np.ndarray:
    """A writable view of a diagonal, as a last dim (np.diagonal's view is read-only)."""
    ref = np.diagonal(a, offset, d1, d2)
    at = [slice(None)] * a.ndim
    at[d2 if offset >= 0 else d1] = slice(abs(offset), None)
    return np.lib.stride_tricks.as_strided(a[tuple(at)], ref.shape, ref.strides)


class Diagonal(Primitive):
    """out = the diagonal of x over dims d1, d2 (a view);  dout/dx = g laid on it in zeros"""

    node_name = "DiagonalBackward0"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        ctx.args, ctx.shape = (offset, d1, d2), x.shape
        return _diag_view(x, offset, d1, d2)

    @staticmethod
    def backward(ctx, g):
        if d._t(g):
            return DiagonalScatter.apply(g, shape=ctx.shape, args=ctx.args)
        return DiagonalScatter.forward(NULL_CTX, g, ctx.shape, ctx.args)

    jvp_rule = fw.linear


class DiagonalCopy(Diagonal):
    """out = a copy of the diagonal of x;  dout/dx = g laid on it in zeros"""

    node_name = "DiagonalBackward0_copy"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        return Diagonal.forward(ctx, x, offset, d1, d2).copy()

    jvp_rule = fw.linear


class DiagonalScatter(Primitive):
    """out = zeros(shape) with x on a diagonal;  dout/dx = that diagonal of g"""

    node_name = "DiagonalBackwardBackward0"

    @staticmethod
    def forward(ctx, x, shape, args):
        out = np.zeros(shape, x.dtype)
        _diag_view(out, *args)[...] = x
        ctx.args = args
        return out

    @staticmethod
    def backward(ctx, g):
        if d._t(g):
            offset, d1, d2 = ctx.args
            return Diagonal.apply(g, offset=offset, d1=d1, d2=d2)
        return _diag_view(g, *ctx.args)

    jvp_rule = fw.linear


class DiagEmbed(DiagonalScatter):
    """out = a new pair of dims d1, d2 with x's last dim on their diagonal;  dout/dx = that
    diagonal of g"""

    node_name = "DiagEmbedBackward0"

    @staticmethod
    def forward(ctx, x, offset, d1, d2):
        m = x.shape[-1] + abs(offset) if x.ndim else 1 + abs(offset)
        shape = list(x.shape[:-1])
        for pos in sorted((d1, d2)):
            shape.insert(pos, m)
        return DiagonalScatter.forward(ctx, x, tuple(shape), (offset, d1, d2))

    jvp_rule = fw.linear


# --- functional forms ---------------------------------------------------------------------------


def _int_list(dims: tuple) -> list[int]:
    """`f(0, 1)`, `f((0, 1))`, `f([0, 1])` and `f(0)` as [0, 1] / [0]."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    return [int(x) for x in dims]


def flip(input: Tensor, *args: Any, dims: Any = None) -> Tensor:
    """input reversed along each of dims."""
    if not args and dims is None:
        raise TypeError("flip() missing 1 required positional argument: 'dims'")
    axes = tuple(norm_dim(x, input.data.ndim) for x in _int_list(args or (dims,)))
    for i, a in enumerate(axes):
        if a in axes[:i]:
            raise RuntimeError(f"dim {a} appears multiple times in the list of dims")
    return Flip.apply(input, axes=axes if input.data.ndim else ())


def fliplr(input: Tensor) -> Tensor:
    if input.data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, 1)


def flipud(input: Tensor) -> Tensor:
    if input.data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, 0)


def roll(input: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """input shifted cyclically along dims (over the flattened tensor when dims is None)."""
    sh = _int_list((shifts,))
    if dims is None:
        if len(sh) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:0")
        return Roll.apply(input, shifts=tuple(sh), axes=None)
    ds = _int_list((dims,))
    if len(sh) != len(ds):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(sh)}, dims:{len(ds)}")
    if input.data.ndim == 0:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    axes = tuple(norm_dim(x, input.data.ndim) for x in ds)
    return Roll.apply(input, shifts=tuple(sh), axes=axes)


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """input tiled sizes[i] times along dim i (leading new dims where sizes is longer)."""
    reps = shape_arg(sizes)
    shape = input.data.shape
    if len(reps) < len(shape):
        raise RuntimeError(
            "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
            "tensor"
        )
    full = (1,) * (len(reps) - len(shape)) + shape
    target = [r * s for r, s in zip(reps, full)]
    bad = [t for t in target if t < 0]
    if bad:
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad[0]}: {target}")
    return Repeat.apply(input, reps=reps)


def tile(input: Tensor, dims: Any) -> Tensor:
    """repeat, with dims padded by leading ones to input's number of dims."""
    reps = shape_arg((dims,))
    return repeat(input, (1,) * (input.data.ndim - len(reps)) + reps)


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:
    """A view of `length` entries of dim from `start`."""
    if input.data.ndim == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    axis = norm_dim(int(dim), input.data.ndim)
    length = int(length)
    start = check_narrow(input.data.shape[axis], int(start), length)
    return getitem(input, (slice(None),) * axis + (slice(start, start + length),))


def movedim(input: Tensor, source: Any, destination: Any) -> Tensor:
    """A view with the dims in source moved to the positions in destination."""
    src, dst = _int_list((source,)), _int_list((destination,))
    n = input.data.ndim
    if len(src) != len(dst):
        raise RuntimeError(
            f"movedim: Invalid source or destination dims: source ({src} dims) should contain "
            f"the same number of dims as destination ({dst} dims)"
        )
    s = [norm_dim(x, n) for x in src]
    t = [norm_dim(x, n) for x in dst]
    for name, given, normed in (("source", src, s), ("destination", dst, t)):
        if len(set(normed)) != len(normed):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({given})")
    if n == 0:
        return input
    perm = [-1] * n
    for a, b in zip(s, t):
        perm[b] = a
    rest = iter(i for i in range(n) if i not in s)
    perm = [p if p >= 0 else next(rest) for p in perm]
    return permute(input, perm)


moveaxis = movedim


def unflatten(input: Tensor, dim: int, sizes: Any) -> Tensor:
    """A view with dim split into dims of the given sizes (one may be -1)."""
    sizes = list(shape_arg((sizes,)))
    shape = input.data.shape
    axis = norm_dim(int(dim), input.data.ndim)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    n = shape[axis]
    known = int(np.prod([s for s in sizes if s != -1]))
    if (n % known if known else n) if -1 in sizes else known != n:
        raise RuntimeError(
            f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {int(dim)} "
            f"({n}) in the input tensor"
        )
    if -1 in sizes:
        sizes[sizes.index(-1)] = n // known if known else 0
    return view(input, shape[:axis] + tuple(sizes) + shape[axis + 1 :])


def broadcast_to(input: Tensor, size: Any) -> Tensor:
    """A (read-only) view of input expanded to size."""
    return expand(input, shape_arg((size,)))


def _tri(cls: type, name: str) -> Any:
    def fn(input: Tensor, diagonal: int = 0, *, out: Any = None) -> Tensor:
        if input.data.ndim < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return cls.apply(input, k=int(diagonal))

    fn.__name__ = name
    fn.__doc__ = f"{name}(input, diagonal=0): {cls.__doc__.split(';')[0][6:]}."
    return fn


tril = _tri(Tril, "tril")
triu = _tri(Triu, "triu")


def _diag_dims(dim1: int, dim2: int, n: int) -> tuple[int, int]:
    a, b = norm_dim(int(dim1), n), norm_dim(int(dim2), n)
    if a == b:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return a, b


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """A view of the diagonal over dim1, dim2 (offset above it, or below if negative), as the
    last dim."""
    a, b = _diag_dims(dim1, dim2, input.data.ndim)
    k = int(offset)

    def view_fn(arr: Any) -> Any:
        if isinstance(arr, Tensor):
            return diagonal(arr, k, a, b)
        return _diag_view(arr, k, a, b)

    return _view_of(input, Diagonal.apply(input, offset=k, d1=a, d2=b), view_fn)


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:
    """Each vector along input's last dim laid on a diagonal of new dims dim1, dim2."""
    a, b = _diag_dims(dim1, dim2, input.data.ndim + 1)
    return DiagEmbed.apply(input, offset=int(offset), d1=a, d2=b)


def diag(input: Tensor, diagonal: int = 0, *, out: Any = None) -> Tensor:
    """1-D: the square matrix with input on diagonal k; 2-D: a copy of its diagonal k."""
    n = input.data.ndim
    if n == 1:
        return DiagEmbed.apply(input, offset=int(diagonal), d1=0, d2=1)
    if n == 2:
        return DiagonalCopy.apply(input, offset=int(diagonal), d1=0, d2=1)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {n}D")


__all__ = [
    "flip", "fliplr", "flipud", "roll", "tile", "narrow", "movedim", "moveaxis", "unflatten",
    "broadcast_to", "tril", "triu", "diagonal", "diag_embed", "diag",
]  # fmt: skip


def _flip_method(self: Tensor, *dims: Any) -> Tensor:
    return flip(self, *dims)


METHODS: dict[str, Any] = {
    "flip": _flip_method, "fliplr": fliplr, "flipud": flipud, "roll": roll, "repeat": repeat,
    "tile": tile, "narrow": narrow, "movedim": movedim, "moveaxis": movedim,
    "unflatten": unflatten, "broadcast_to": broadcast_to, "tril": tril, "triu": triu,
    "diagonal": diagonal, "diag_embed": diag_embed, "diag": diag,
}  # fmt: skip
