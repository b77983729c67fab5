"""Gather and scatter: gather scatter scatter_add take take_along_dim, their in-place forms,
and (from ops/indexed.py) index_select index_add index_copy index_fill masked_fill
masked_select nonzero argwhere.

Positions are NumPy indices built once by the functional form; a backward that adds gradient
back at positions (gather, index_select, take, masked_select) goes through `d.index_add_into`,
so repeated positions accumulate, as in torch. A 0-d tensor takes part as a 1-element 1-D one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._dtype import SCALAR_TYPE, checked_scalar
from chainrule.autograd import forward_ad as fw
from chainrule.autograd.function import NULL_CTX
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, broadcast_error, norm_dim
from chainrule.ops.inplace import apply_inplace
from chainrule.ops.shape import expand, reshape
from chainrule.tensor import Tensor

_LONG = np.dtype(np.int64)
_INTS = (np.dtype(np.int32), _LONG)
_SCALAR_NAMES = SCALAR_TYPE  # torch's ScalarType names


def _lift(a: np.ndarray) -> np.ndarray:
    return a.reshape(1) if a.ndim == 0 else a


def _lifted(shape: tuple) -> tuple:
    return shape or (1,)


def _shaped(g: Any, shape: tuple) -> Any:
    return g if g.shape == shape else d.reshape(g, shape)


def _total(g: Any) -> Any:
    return g.sum() if d._t(g) else np.asarray(g.sum())


def _zero_at(g: Any, at: tuple) -> Any:
    """g with the positions `at` (of g lifted to 1-D if 0-d) set to exactly zero."""
    keep = np.ones(_lifted(g.shape), bool)
    keep[at] = False
    return d.where(keep.reshape(g.shape), g, 0.0)


def _gathered(g: Any, at: tuple, shape: tuple) -> Any:
    """g[at] (g lifted to 1-D if 0-d), shaped as `shape`."""
    return _shaped(_shaped(g, _lifted(g.shape))[at], shape)


class Gather(Primitive):
    """out = x at the positions `at` (index along axis);  dout/dx = g added back there
    (repeated positions accumulate)"""

    node_name = "GatherBackward0"
    _flat = False  # `at` indexes x flattened (take) rather than x lifted to >= 1-D

    @classmethod
    def forward(cls, ctx, x, at, shape):
        src = x.reshape(-1) if cls._flat else _lift(x)
        out = src[at]
        ctx.shape, ctx.src, ctx.mid, ctx.at = x.shape, src.shape, out.shape, at
        return out.reshape(shape)

    jvp_rule = fw.linear

    @staticmethod
    def backward(ctx, g):
        return _shaped(d.index_add_into(ctx.src, ctx.at, _shaped(g, ctx.mid), True), ctx.shape)


class Take(Gather):
    node_name = "TakeBackward0"
    _flat = True


class Scatter(Primitive):
    """out = x with src written at `at`;  dout/dx = g zeroed there, dout/dsrc = g at `at` (every
    src entry aimed at a position gets its gradient, repeats included, as torch)"""

    node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, x, src, at, grid):
        ctx.at = at
        out = _lift(x).copy()
        out[at] = v = _lift(src)[grid]
        ctx.mid = v.shape
        return out.reshape(x.shape)

    jvp_rule = fw.linear

    @staticmethod
    def backward(ctx, g):
        gsrc = _gathered(g, ctx.at, ctx.mid) if ctx._edges[1] is not None else None
        return _zero_at(g, ctx.at), gsrc


class ScatterValue(Primitive):
    """out = x with value written at `at`;  dout/dx = g zeroed there"""

    node_name = "ScatterBackward1"

    @staticmethod
    def forward(ctx, x, at, value):
        ctx.at = at
        out = _lift(x).copy()
        out[at] = value
        return out.reshape(x.shape)

    @staticmethod
    def jvp_rule(t, out, x, at, value):  # dx with 0 written at `at`
        return ScatterValue.forward(NULL_CTX, fw.dense(t[0], x), at, 0.0)

    @staticmethod
    def backward(ctx, g):
        return _zero_at(g, ctx.at)


class ScatterAdd(Primitive):
    """out = x with src added at `at` (repeats accumulate);  dout/dx = g, dout/dsrc = g at `at`"""

    node_name = "ScatterAddBackward0"

    @staticmethod
    def forward(ctx, x, src, at, grid):
        ctx.at = at
        out = _lift(x).copy()
        v = _lift(src)[grid]
        np.add.at(out, at, v)
        ctx.mid = v.shape
        return out.reshape(x.shape)

    jvp_rule = fw.linear

    @staticmethod
    def backward(ctx, g):
        gsrc = _gathered(g, ctx.at, ctx.mid) if ctx._edges[1] is not None else None
        return g, gsrc


class ScatterReduce(Primitive):
    """out = x with src (or a value) added or multiplied in at `at`;  no derivative (as torch)"""

    node_name = "NotImplemented"

    @staticmethod
    def forward(ctx, x, *src, at, grid, value, reduce):
        out = _lift(x).copy()
        v = _lift(src[0])[grid] if src else value
        (np.add if reduce == "add" else np.multiply).at(out, at, v)
        return out.reshape(x.shape)

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("derivative for aten::scatter is not implemented")


# --- argument checks ----------------------------------------------------------------------------


def _index_of(index: Any, fname: str, name: str = "index") -> np.ndarray:
    if not isinstance(index, Tensor):
        raise TypeError(f"{fname}(): argument '{name}' must be Tensor, not {type(index).__name__}")
    return index.data


def _int_index(
    idx: np.ndarray, message: str, long_only: bool = False, exc: type = RuntimeError
) -> None:
    if idx.dtype != _LONG and (long_only or idx.dtype not in _INTS):
        raise exc(message.format(got=_SCALAR_NAMES.get(idx.dtype.name, idx.dtype.name)))


def _first_bad(idx: np.ndarray, n: int, negatives: bool = False) -> int | None:
    """The first index outside [0, n) ([-n, n) when negatives count from the end), or None."""
    bad = (idx >= n) | (idx < (-n if negatives else 0))
    return int(idx[bad].flat[0]) if bad.any() else None


def _bounds(
    idx: np.ndarray,
    axis: int,
    n: int,
    prefix: str = "",
    exc: type = RuntimeError,
    negatives: bool = False,
) -> None:
    v = _first_bad(idx, n, negatives)
    if v is not None:
        raise exc(f"{prefix}index {v} is out of bounds for dimension {axis} with size {n}")


def _along(idx: np.ndarray, axis: int) -> tuple:
    """The positions index names along axis, elsewhere its own position (gather/scatter)."""
    grid = list(np.indices(idx.shape, sparse=True))
    grid[axis] = idx
    return tuple(grid)


def _dtype_name(a: np.ndarray) -> str:
    return _SCALAR_NAMES.get(a.dtype.name, a.dtype.name)


def _gather_at(x: Tensor, dim: int, index: Any) -> tuple:
    """positions for gather, and the result's shape, after torch's checks."""
    idx = _index_of(index, "gather")
    _int_index(idx, "gather(): Expected dtype int32/int64 for index")
    xs, ix = _lifted(x.data.shape), _lifted(idx.shape)
    axis = norm_dim(int(dim), x.data.ndim)
    if len(xs) != len(ix):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for i, (a, b) in enumerate(zip(ix, xs)):
        if i != axis and a > b:
            raise RuntimeError(
                f"Size does not match at dimension {i} expected index {list(idx.shape)} to be no "
                f"larger than self {list(x.data.shape)} apart from dimension {axis}"
            )
    _bounds(idx, axis, xs[axis])
    return _along(_lift(idx).astype(np.intp), axis), idx.shape


def _scatter_at(x: Tensor, dim: int, index: Any, src: Any) -> tuple:
    """positions in x and in src for scatter/scatter_add, after torch's checks."""
    idx = _index_of(index, "scatter")
    _int_index(idx, "scatter(): Expected dtype int32/int64 for index")
    axis = norm_dim(int(dim), x.data.ndim)
    xs, ix = _lifted(x.data.shape), _lifted(idx.shape)
    if isinstance(src, Tensor) and src.data.dtype != x.data.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if idx.size:
        if len(ix) != len(xs):
            raise RuntimeError(
                "Index tensor must have the same number of dimensions as self tensor"
            )
        ss = _lifted(src.data.shape) if isinstance(src, Tensor) else None
        if ss is not None and len(ss) != len(ix):
            raise RuntimeError("Index tensor must have the same number of dimensions as src tensor")
        if any(
            (i != axis and ix[i] > xs[i]) or (ss is not None and ix[i] > ss[i])
            for i in range(len(ix))
        ):
            also = f" and to be no larger size than src {list(src.data.shape)}" if ss else ""
            raise RuntimeError(
                f"Expected index {list(idx.shape)} to be no larger than self "
                f"{list(x.data.shape)} apart from dimension {axis}{also}"
            )
    _bounds(idx, axis, xs[axis])
    lifted = _lift(idx).astype(np.intp)
    return _along(lifted, axis), tuple(np.indices(lifted.shape, sparse=True))


# --- functional forms ---------------------------------------------------------------------------


def gather(
    input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False, out: Any = None
) -> Tensor:
    """out[i][j] = input[index[i][j]][j] for dim 0 (and likewise for other dims)."""
    at, shape = _gather_at(input, dim, index)
    return Gather.apply(input, at=at, shape=shape)


def take_along_dim(
    input: Tensor, indices: Tensor, dim: int | None = None, *, out: Any = None
) -> Tensor:
    """gather along dim with input and indices broadcast elsewhere; over the flattened input
    when dim is None. Negative indices count from the end."""
    idx = _index_of(indices, "take_along_dim", "indices")
    if idx.dtype != _LONG:
        raise RuntimeError(
            f"torch.take_along_dim(): dtype of indices should be Long but got {_dtype_name(idx)}"
        )
    if dim is None:
        flat = idx.reshape(-1)
        n = input.data.size
        _bounds(flat, 0, n, negatives=True)
        at = (np.where(flat < 0, flat + n, flat).astype(np.intp),)
        return Gather.apply(reshape(input, (-1,)), at=at, shape=flat.shape)
    if input.data.ndim != idx.ndim:
        raise RuntimeError(
            "torch.take_along_dim(): input and indices should have the same number of dimensions, "
            f"but got {input.data.ndim} dimensions for input, and {idx.ndim} dimensions for "
            "indices"
        )
    axis = norm_dim(int(dim), idx.ndim)
    if idx.ndim:
        want = list(input.data.shape)
        want[axis] = idx.shape[axis]
        try:
            common = np.broadcast_shapes(tuple(want), idx.shape)
        except ValueError:
            raise broadcast_error(np.broadcast_to(0, want), idx) from None
        idx = np.broadcast_to(idx, common)
        target = common[:axis] + input.data.shape[axis : axis + 1] + common[axis + 1 :]
        if target != input.data.shape:
            input = expand(input, target)
    n = _lifted(input.data.shape)[axis]
    _bounds(idx, axis, n, negatives=True)
    wrapped = np.where(idx < 0, idx + n, idx)
    return Gather.apply(input, at=_along(_lift(wrapped).astype(np.intp), axis), shape=idx.shape)


def take(input: Tensor, index: Tensor) -> Tensor:
    """input flattened, at index (negative entries count from the end); shaped as index."""
    idx = _index_of(index, "take")
    _int_index(idx, "take(): Expected a long tensor for index, but got {got}", long_only=True)
    n = input.data.size
    v = _first_bad(idx, n, negatives=True)
    if v is not None:
        raise IndexError(f"out of range: tried to access index {v} on a tensor of {n} elements.")
    at = (np.where(idx < 0, idx + n, idx).astype(np.intp),)
    return Take.apply(input, at=at, shape=idx.shape)


def _scatter(
    x: Tensor, dim: int, index: Any, src: Any, value: Any, reduce: Any, inplace: bool
) -> Tensor:
    if src is None:
        src = value
    if reduce is not None and reduce not in ("add", "multiply"):
        raise RuntimeError("reduce argument must be either add or multiply.")
    at, grid = _scatter_at(x, dim, index, src)
    tensors = (src,) if isinstance(src, Tensor) else ()
    if reduce is not None:
        cls, kw = ScatterReduce, {"grid": grid, "value": None if tensors else src, "reduce": reduce}
    elif tensors:
        cls, kw = Scatter, {"grid": grid}
    else:
        cls, kw = ScatterValue, {"value": checked_scalar(src, x.data.dtype)}
    if inplace:
        return apply_inplace(x, cls, tensors, "scatter_", False, at=at, **kw)
    return cls.apply(x, *tensors, at=at, **kw)


def scatter(
    input: Tensor,
    dim: int,
    index: Tensor,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    """input with src[i][j] written at [index[i][j]][j] for dim 0 (likewise for other dims),
    or a number `value` written there; with reduce='add'/'multiply', combined instead."""
    return _scatter(input, dim, index, src, value, reduce, inplace=False)


def scatter_(
    self: Tensor,
    dim: int,
    index: Tensor,
    src: Any = None,
    *,
    value: Any = None,
    reduce: str | None = None,
) -> Tensor:
    return _scatter(self, dim, index, src, value, reduce, inplace=True)


def _src_tensor(src: Any, fname: str) -> Tensor:
    if not isinstance(src, Tensor):
        raise TypeError(f"{fname}(): argument 'src' must be Tensor, not {type(src).__name__}")
    return src


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """input with src[i][j] added at [index[i][j]][j] for dim 0 (repeats accumulate)."""
    at, grid = _scatter_at(input, dim, index, _src_tensor(src, "scatter_add"))
    return ScatterAdd.apply(input, src, at=at, grid=grid)


def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    at, grid = _scatter_at(self, dim, index, _src_tensor(src, "scatter_add_"))
    return apply_inplace(self, ScatterAdd, (src,), "scatter_add_", False, at=at, grid=grid)


# the index_* family lives in ops/indexed.py, which builds on the helpers above; imported last
# so that it finds them defined
from chainrule.ops import indexed as _indexed  # noqa: E402
from chainrule.ops.indexed import *  # noqa: E402, F403

__all__ = ["gather", "take_along_dim", "take", "scatter", "scatter_add", *_indexed.__all__]

METHODS: dict[str, Any] = {name: globals()[name] for name in __all__}
METHODS.update({"scatter_": scatter_, "scatter_add_": scatter_add_, **_indexed.METHODS})
