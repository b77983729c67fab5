"""Indexed along one dim or by a mask: index_select index_add index_copy index_fill masked_fill
masked_select nonzero argwhere, and the in-place forms (helpers shared with ops/scatter.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._dtype import checked_scalar
from chainrule.autograd import forward_ad as fw
from chainrule.autograd.function import NULL_CTX, _wrap
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, broadcast_error, norm_dim
from chainrule.ops.inplace import apply_inplace
from chainrule.ops.scatter import (
    _INTS,
    _LONG,
    Gather,
    ScatterValue,
    _bounds,
    _dtype_name,
    _first_bad,
    _gathered,
    _index_of,
    _int_index,
    _lift,
    _lifted,
    _shaped,
    _src_tensor,
    _total,
    _zero_at,
)
from chainrule.tensor import Tensor


class IndexSelect(Gather):
    node_name = "IndexSelectBackward0"


class IndexAdd(Primitive):
    """out = x with alpha * src added at index along axis;  dout/dx = g,
    dout/dsrc = alpha * g at index"""

    node_name = "IndexAddBackward0"

    @staticmethod
    def forward(ctx, x, src, at, alpha):
        ctx.at, ctx.alpha, ctx.shape = at, alpha, src.shape
        out = _lift(x).copy()
        np.add.at(out, at, _lift(src) if alpha == 1 else _lift(src) * alpha)
        return out.reshape(x.shape)

    jvp_rule = fw.linear

    @staticmethod
    def backward(ctx, g):
        gsrc = None
        if ctx._edges[1] is not None:
            gsrc = _gathered(g, ctx.at, _lifted(ctx.shape))
            gsrc = _shaped(gsrc if ctx.alpha == 1 else gsrc * ctx.alpha, ctx.shape)
        return g, gsrc


class IndexCopy(Primitive):
    """out = x with src written at index along axis;  dout/dx = g zeroed there,
    dout/dsrc = g at index"""

    node_name = "IndexCopyBackward0"

    @staticmethod
    def forward(ctx, x, src, at):
        ctx.at, ctx.shape = at, src.shape
        out = _lift(x).copy()
        out[at] = _lift(src)
        return out.reshape(x.shape)

    jvp_rule = fw.linear

    @staticmethod
    def backward(ctx, g):
        gsrc = None
        if ctx._edges[1] is not None:
            gsrc = _shaped(_gathered(g, ctx.at, _lifted(ctx.shape)), ctx.shape)
        return _zero_at(g, ctx.at), gsrc


class IndexFill(ScatterValue):
    node_name = "IndexFillBackward0"


class IndexFillTensor(Primitive):
    """out = x with the 0-d value written at `at`;  dout/dx = g zeroed there,
    dout/dvalue = the sum of g there"""

    node_name = "IndexFillBackward1"

    @staticmethod
    def forward(ctx, x, value, at, negative):
        ctx.negative = negative
        return ScatterValue.forward(ctx, x, at, value)

    jvp_rule = fw.linear

    @staticmethod
    def backward(ctx, g):
        gv = None
        if ctx._edges[1] is not None:
            if ctx.negative:  # torch's formula index_selects the unwrapped index
                raise IndexError("index out of range in self")
            gv = _total(_shaped(g, _lifted(g.shape))[ctx.at])
        return _zero_at(g, ctx.at), gv


class MaskedSelect(Primitive):
    """out = the entries of x where the mask holds, as 1-D;  dout/dx = g put back there"""

    node_name = "MaskedSelectBackward0"

    @staticmethod
    def forward(ctx, x, mask):
        try:
            shape = np.broadcast_shapes(x.shape, mask.shape)
        except ValueError:
            raise broadcast_error(mask, x) from None
        mask = np.broadcast_to(mask, shape)
        ctx.shape, ctx.mask = shape, mask
        return np.broadcast_to(x, shape)[mask]

    jvp_rule = fw.linear

    @staticmethod
    def backward(ctx, g):
        return d.index_add_into(ctx.shape, (ctx.mask,), g, False)


class MaskedFill(Primitive):
    """out = value where the mask holds, else x (broadcast together);  dout/dx = g off the mask"""

    node_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, x, mask, value):
        ctx.mask = mask
        try:
            return np.where(mask, np.asarray(value).astype(x.dtype), x)
        except ValueError:
            raise broadcast_error(mask, x) from None

    @staticmethod
    def jvp_rule(t, out, x, mask, value):  # dx with 0 on the mask
        return MaskedFill.forward(NULL_CTX, fw.dense(t[0], x), mask, 0.0)

    @staticmethod
    def backward(ctx, g):
        return d.where(ctx.mask, 0.0, g)


class MaskedFillTensor(Primitive):
    """out = the 0-d value where the mask holds, else x;  dout/dx = g off the mask,
    dout/dvalue = the sum of g on it"""

    node_name = "MaskedFillBackward1"

    @staticmethod
    def forward(ctx, x, value, mask):
        return MaskedFill.forward(ctx, x, mask, value)

    jvp_rule = fw.linear

    @staticmethod
    def backward(ctx, g):
        gv = _total(d.where(ctx.mask, g, 0.0)) if ctx._edges[1] is not None else None
        return d.where(ctx.mask, 0.0, g), gv


def _index_at(x: Tensor, dim: int, index: Any, fname: str) -> tuple[int, np.ndarray]:
    """axis and 1-D index (as NumPy intp) for the index_* ops; the caller checks the values."""
    idx = _index_of(index, fname)
    axis = norm_dim(int(dim), x.data.ndim)
    return axis, _lift(idx).astype(np.intp)


# --- functional forms ---------------------------------------------------------------------------


def index_select(input: Tensor, dim: int, index: Tensor, *, out: Any = None) -> Tensor:
    """The entries of input at index (a vector) along dim."""
    axis, idx = _index_at(input, dim, index, "index_select")
    raw = index.data
    _int_index(raw, "index_select(): Expected dtype int32 or int64 for index")
    if raw.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    n = _lifted(input.data.shape)[axis]
    if input.data.ndim == 0 and idx.size != 1:
        raise RuntimeError(
            f"index_select(): Index to scalar can have only 1 value, got {idx.size} value(s)"
        )
    if _first_bad(idx, n) is not None:
        raise IndexError("index out of range in self")
    shape = input.data.shape[:axis] + idx.shape + input.data.shape[axis + 1 :]
    return IndexSelect.apply(input, at=(slice(None),) * axis + (idx,), shape=shape)


def _index_add_at(x: Tensor, dim: int, index: Any, source: Any) -> tuple:
    axis, idx = _index_at(x, dim, index, "index_add")
    raw = index.data
    if raw.dtype not in _INTS:
        raise RuntimeError(
            f"index_add_(): Expected dtype int32/int64 for index but got: {_dtype_name(raw)}"
        )
    if raw.ndim > 1:
        raise IndexError(
            f"index_add_(): Index is supposed to be a vector, but got dim: {raw.ndim} with type: "
            f"{_dtype_name(raw)} and size: {list(raw.shape)}"
        )
    src = _src_tensor(source, "index_add").data
    xs, ss = x.data.shape, src.shape
    if len(xs) != len(ss) or any(a != b for i, (a, b) in enumerate(zip(xs, ss)) if i != axis):
        raise RuntimeError(
            "source tensor shape must match self tensor shape, excluding the specified dimension. "
            f"Got self.shape = {list(x.data.shape)} source.shape = {list(src.shape)}"
        )
    ss, xs = _lifted(ss), _lifted(xs)
    if ss[axis] != idx.size:
        raise RuntimeError(
            f"index_add_(): Number of indices ({idx.size}) should be equal to source.size(dim): "
            f"({ss[axis]}), for dim: {axis}"
        )
    if src.dtype != x.data.dtype:
        raise RuntimeError(
            f"index_add_(): self ({_dtype_name(x.data)}) and source ({_dtype_name(src)}) must "
            "have the same scalar type"
        )
    _bounds(idx, axis, xs[axis])
    return (slice(None),) * axis + (idx,)


def _alpha(alpha: Any, x: Tensor) -> Any:
    # integer tensors take alpha truncated (an error where it overflows their dtype), as torch
    dt = x.data.dtype
    return alpha if dt.kind == "f" or alpha == 1 else int(checked_scalar(alpha, dt))


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """input with alpha * source[i] added at index[i] along dim (repeats accumulate)."""
    at = _index_add_at(input, dim, index, source)
    return IndexAdd.apply(input, source, at=at, alpha=_alpha(alpha, input))


def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    at = _index_add_at(self, dim, index, source)
    return apply_inplace(
        self, IndexAdd, (source,), "index_add_", False, at=at, alpha=_alpha(alpha, self)
    )


def _index_copy_at(x: Tensor, dim: int, index: Any, source: Any) -> tuple:
    axis, idx = _index_at(x, dim, index, "index_copy")
    raw, src = index.data, _src_tensor(source, "index_copy").data
    if raw.ndim > 1:
        raise IndexError(f"index_copy_(): Index should have dimension 1 or 0 (got {raw.ndim})")
    if src.ndim == 0 and idx.size != 1:
        raise IndexError(
            f"index_copy_(): When source is scalar, index should have one element (got {idx.size})"
        )
    if src.ndim != x.data.ndim and src.ndim and x.data.ndim:
        raise IndexError(
            "index_copy_(): When source and destination are not scalars, their dimensionality "
            f"must match. Source dimensionality ({src.ndim}), destination dimensionality "
            f"({x.data.ndim})"
        )
    _int_index(raw, "index_copy_(): Expected a long tensor for index, but got {got}", True)
    rest_x = [s for i, s in enumerate(x.data.shape) if i != axis]
    rest_s = [s for i, s in enumerate(src.shape) if i != axis]
    if rest_x != rest_s:
        raise RuntimeError(
            "index_copy_(): Source/destination tensor must have same slice shapes. Destination "
            f"slice shape: {' '.join(map(str, rest_x))} at dimension {axis} and source slice "
            f"shape: {' '.join(map(str, rest_s))} at dimension 0."
        )
    if src.ndim > axis and src.shape[axis] != idx.size:
        raise IndexError(
            f"index_copy_(): Number of indices ({idx.size}) should be equal to source.size(dim) "
            f"({src.shape[axis]})"
        )
    if src.dtype != x.data.dtype:
        raise RuntimeError(
            "index_copy_(): self and source expected to have the same dtype, but got (self) "
            f"{_dtype_name(x.data)} and (source) {_dtype_name(src)}"
        )
    _bounds(idx, axis, _lifted(x.data.shape)[axis], "index_copy_(): ", IndexError)
    return (slice(None),) * axis + (idx,)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """input with source[i] written at index[i] along dim."""
    at = _index_copy_at(input, dim, index, source)
    return IndexCopy.apply(input, source, at=at)


def index_copy_(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    at = _index_copy_at(self, dim, index, source)
    return apply_inplace(self, IndexCopy, (source,), "index_copy_", False, at=at)


def _index_fill_at(x: Tensor, dim: int, index: Any, value: Any) -> tuple:
    axis, idx = _index_at(x, dim, index, "index_fill")
    raw = index.data
    _int_index(
        raw, "index_fill_(): Expected dtype int64 for index.", long_only=True, exc=IndexError
    )
    if raw.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    if isinstance(value, Tensor) and value.data.ndim:
        raise RuntimeError(
            "index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.data.ndim} dimension(s)."
        )
    n = _lifted(x.data.shape)[axis]
    _bounds(idx, axis, n, exc=IndexError, negatives=True)
    return (slice(None),) * axis + (np.where(idx < 0, idx + n, idx),), bool((idx < 0).any())


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """input with value (a number or 0-d tensor) written at index along dim."""
    at, negative = _index_fill_at(input, dim, index, value)
    if isinstance(value, Tensor):
        return IndexFillTensor.apply(input, value, at=at, negative=negative)
    return IndexFill.apply(input, at=at, value=checked_scalar(value, input.data.dtype))


def index_fill_(self: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    at, negative = _index_fill_at(self, dim, index, value)
    if isinstance(value, Tensor):
        return apply_inplace(
            self, IndexFillTensor, (value,), "index_fill_", False, at=at, negative=negative
        )
    value = checked_scalar(value, self.data.dtype)
    return apply_inplace(self, IndexFill, (), "index_fill_", False, at=at, value=value)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    """The entries of input where mask holds (broadcast together), as a 1-D tensor."""
    m = _index_of(mask, "masked_select", "mask")
    if m.dtype.kind != "b":
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    return MaskedSelect.apply(input, mask=m)


def _mask_value(mask: Any, value: Any, fname: str) -> np.ndarray:
    m = _index_of(mask, fname, "mask")
    if m.dtype.kind != "b":
        raise RuntimeError(
            f"masked_fill_ only supports boolean masks, but got mask with dtype "
            f"{_C_NAMES.get(m.dtype.name, m.dtype.name)}"
        )
    if isinstance(value, Tensor) and value.data.ndim:
        raise RuntimeError(
            "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
            f"{value.data.ndim} dimension(s)."
        )
    return m


_C_NAMES = {
    "int64": "long int",
    "int32": "int",
    "int16": "short int",
    "int8": "signed char",
    "uint8": "unsigned char",
    "float32": "float",
    "float64": "double",
}


def masked_fill(input: Tensor, mask: Tensor, value: Any) -> Tensor:
    """value where mask holds, else input (broadcast together); value a number or 0-d tensor."""
    m = _mask_value(mask, value, "masked_fill")
    if isinstance(value, Tensor):
        return MaskedFillTensor.apply(input, value, mask=m)
    return MaskedFill.apply(input, mask=m, value=checked_scalar(value, input.data.dtype))


def masked_fill_(self: Tensor, mask: Tensor, value: Any) -> Tensor:
    m = _mask_value(mask, value, "masked_fill_")
    try:
        shape = np.broadcast_shapes(self.data.shape, m.shape)
    except ValueError:
        raise broadcast_error(m, self.data) from None
    if shape != self.data.shape:
        raise RuntimeError(
            f"output with shape {list(self.data.shape)} doesn't match the broadcast shape "
            f"{list(shape)}"
        )
    if isinstance(value, Tensor):
        return apply_inplace(self, MaskedFillTensor, (value,), "masked_fill_", False, mask=m)
    value = checked_scalar(value, self.data.dtype)
    return apply_inplace(self, MaskedFill, (), "masked_fill_", False, mask=m, value=value)


def nonzero(input: Tensor, *, as_tuple: bool = False, out: Any = None) -> Any:
    """The indices of the nonzero entries: an (n, ndim) int64 tensor, or one 1-D tensor per dim
    with as_tuple=True."""
    x = input.data
    if as_tuple:
        return tuple(_wrap(i.astype(_LONG), None) for i in np.nonzero(_lift(x)))
    if x.ndim == 0:
        return _wrap(np.zeros((int(x != 0), 0), _LONG), None)
    return _wrap(np.argwhere(x).astype(_LONG), None)


def argwhere(input: Tensor) -> Tensor:
    """nonzero(input) as an (n, ndim) tensor."""
    return nonzero(input)


__all__ = [
    "index_select", "index_add", "index_copy", "index_fill", "masked_select", "masked_fill",
    "nonzero", "argwhere",
]  # fmt: skip

METHODS: dict[str, Any] = {name: globals()[name] for name in __all__}
METHODS.update({
    "index_add_": index_add_, "index_copy_": index_copy_, "index_fill_": index_fill_,
    "masked_fill_": masked_fill_,
})  # fmt: skip
