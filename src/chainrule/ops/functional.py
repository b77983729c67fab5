"""torch-level functions (`chainrule.exp(x)`, `chainrule.sum(x, dim)`, ...) over the primitives."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import _dtype
from chainrule.autograd.function import _wrap
from chainrule.ops import arithmetic as ar
from chainrule.ops import elementwise as ew
from chainrule.ops.arithmetic import (  # noqa: F401 - re-exported
    bitwise_and,
    bitwise_or,
    bitwise_xor,
    eq,
    ge,
    gt,
    le,
    logical_and,
    logical_or,
    logical_xor,
    lt,
    ne,
    pow,
    where,
)
from chainrule.ops.elementwise import clamp
from chainrule.ops.linalg import matmul
from chainrule.ops.reduction import max, mean, min, sum  # noqa: F401
from chainrule.ops.shape import (  # noqa: F401
    flatten,
    permute,
    reshape,
    squeeze,
    t,
    transpose,
    unsqueeze,
)
from chainrule.tensor import Tensor

clip = clamp
mm = mv = dot = matmul


def scale_alpha(input: Any, other: Any, alpha: Any, name: str = "alpha") -> Any:
    """other * alpha for add/sub(alpha=...), after torch's checks of alpha against the result
    dtype: no bool alpha unless the result is bool, no float alpha for integer results, and
    a bool result takes alpha as a bool."""
    if alpha.__class__ is int and alpha == 1:
        return other
    rt = _dtype.result_type(*(v.data if isinstance(v, Tensor) else v for v in (input, other)))
    if isinstance(alpha, (bool, np.bool_)) and rt.kind != "b":
        raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
    if rt.kind in "iub" and not isinstance(alpha, (int, np.integer, np.bool_)):
        raise RuntimeError(
            f"For integral input tensors, argument {name} must not be a floating point number."
        )
    if rt.kind == "b":
        return other if alpha else (other * False if isinstance(other, Tensor) else False)
    return other if alpha == 1 else other * alpha


def add(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    return ar.Add.apply(input, scale_alpha(input, other, alpha))


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Tensor:
    return ar.Sub.apply(input, scale_alpha(input, other, alpha))


def mul(input: Any, other: Any) -> Tensor:
    return ar.Mul.apply(input, other)


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """input / other; with rounding_mode 'trunc' or 'floor', rounded (zero gradients)."""
    if rounding_mode is not None:
        from chainrule.ops.division import div_rounding

        return div_rounding(input, other, rounding_mode)
    return ar.Div.apply(input, other)


true_divide = div


def _unary(cls: Any) -> Any:
    def fn(input: Tensor) -> Tensor:
        return cls.apply(input)

    fn.__name__ = cls.__name__.lower()
    fn.__doc__ = cls.__doc__
    return fn


neg = _unary(ar.Neg)
exp = _unary(ew.Exp)
log = _unary(ew.Log)
sqrt = _unary(ew.Sqrt)
abs = _unary(ew.Abs)
sin = _unary(ew.Sin)
cos = _unary(ew.Cos)
tanh = _unary(ew.Tanh)
sigmoid = _unary(ew.Sigmoid)
relu = _unary(ew.Relu)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    return ar.Maximum.apply(input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    return ar.Minimum.apply(input, other)


def clone(input: Tensor, *, memory_format: Any = None) -> Tensor:
    return ew.Clone.apply(input)


def logical_not(input: Tensor) -> Tensor:
    return _wrap(np.logical_not(input.data), None)


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input.data.dtype.kind == "f"


def numel(input: Tensor) -> int:
    return input.data.size


def safe_where(condition: Any, f: Any, g: Any, *inputs: Tensor) -> Tensor:
    """`where(condition, f(*inputs), g(*inputs))`, evaluating f only where condition holds and g
    only where it does not, so neither branch's derivative leaks into the other.

    torch.where computes both branches everywhere; its gradient is 0 * (the other branch's
    derivative), which is NaN wherever that derivative is inf or NaN:
    `where(x > 0, sqrt(x), 0)` at x = -1 gives a NaN gradient. `safe_where(x > 0, sqrt,
    zeros_like, x)` gives 0 there. f and g take the selected elements (1-D tensors) of the
    inputs, broadcast with condition, and return one value per element (or a scalar).
    """
    from chainrule.ops.indexing import IndexPutInto
    from chainrule.ops.shape import expand

    if not inputs:
        raise TypeError("safe_where() needs at least one input tensor for f and g")
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"safe_where(): condition must be a bool tensor, got {cond.dtype}")
    inputs = tuple(x if isinstance(x, Tensor) else _wrap(np.asarray(x), None) for x in inputs)
    try:
        shape = np.broadcast_shapes(cond.shape, *(x.data.shape for x in inputs))
    except ValueError:
        shapes = [list(cond.shape)] + [list(x.data.shape) for x in inputs]
        raise RuntimeError(
            f"safe_where(): condition and inputs do not broadcast together: shapes {shapes}"
        ) from None
    # work on flat copies: the selected elements of any shape, 0-d included, are a 1-D tensor
    flat = np.broadcast_to(cond, shape).reshape(-1)
    size = flat.size
    full = tuple((x if x.data.shape == shape else expand(x, shape)).reshape(-1) for x in inputs)
    out = None
    for branch, mask in ((f, flat), (g, ~flat)):
        index = np.flatnonzero(mask)
        value = branch(*[x[_wrap(index, None)] for x in full])
        if not isinstance(value, Tensor):
            value = _wrap(np.asarray(value, dtype=full[0].data.dtype), None)
        if value.data.shape != index.shape:
            value = expand(value, index.shape)
        part = IndexPutInto.apply(value, shape=(size,), index=index, repeats=False)
        out = part if out is None else out + part
    return out.reshape(shape)
