"""The dispatch table: Tensor's operator methods, bound to the ops (installed once at import)."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import _device, _dtype
from chainrule.autograd.function import _wrap
from chainrule.ops import arithmetic as ar
from chainrule.ops import (
    contract,
    conv,
    decomp,
    inplace,
    joining,
    layout,
    pool,
    random,
    reduction,
    resample,
    scan,
    scatter,
    shape,
    sorting,
    special,
    statistics,
)
from chainrule.ops import elementwise as ew
from chainrule.ops import functional as F
from chainrule.ops.indexing import getitem
from chainrule.ops.linalg import matmul
from chainrule.tensor import Tensor

FAMILIES = (
    special, statistics, sorting, scan, joining, layout, scatter, contract, decomp, conv, pool,
    resample, random,
)  # fmt: skip

Add, Sub, Mul, Div = ar.Add.apply, ar.Sub.apply, ar.Mul.apply, ar.Div.apply


def _parse_dtype(args: tuple, kwargs: dict) -> np.dtype | None:
    """The dtype in `to(dtype)`, `to(device, dtype)`, `to(other)` or `to(dtype=...)`."""
    if "dtype" in kwargs:
        return _dtype.to_np(kwargs["dtype"])
    for a in args:
        if isinstance(a, Tensor):
            return a.data.dtype
        if isinstance(a, (_dtype.dtype, np.dtype)) or a in (float, int, bool):
            return _dtype.to_np(a)
    return None


def to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """A tensor of the requested dtype (self if it already is); only the cpu device exists."""
    for a in list(args) + [kwargs.get("device")]:
        if isinstance(a, (str, _device.device)):
            _device.check(a)
    dt = _parse_dtype(args, kwargs)
    if dt is None or dt == self.data.dtype:
        return self
    if dt.kind != "f":  # integer results never require grad
        return _wrap(self.data.astype(dt), None)
    return ew.Cast.apply(self, dtype=dt)


def _caster(dt: _dtype.dtype) -> Any:
    def cast(self: Tensor) -> Tensor:
        return to(self, dt)

    return cast


def _binary(fn: Any) -> Any:
    """A dunder bound straight to a primitive's apply: no keyword handling on this hot path."""

    def op(self: Tensor, other: Any) -> Tensor:
        return fn(self, other)

    return op


def _rsub(self: Tensor, other: Any) -> Tensor:
    return ar.Rsub.apply(self, c=other)


def _rdiv(self: Tensor, other: Any) -> Tensor:
    return ar.Mul.apply(ar.Reciprocal.apply(self), other)


def _rpow(self: Tensor, base: Any) -> Tensor:
    return ar.RPow.apply(self, c=base)


def _rmatmul(self: Tensor, other: Any) -> Tensor:
    return matmul(other, self)


def _T(self: Tensor) -> Tensor:
    n = self.data.ndim
    if n < 2:
        return self
    return shape.permute(self, tuple(range(n - 1, -1, -1)))


def _mT(self: Tensor) -> Tensor:
    if self.data.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{self.data.ndim}-D tensor.")
    return shape.transpose(self, -2, -1)


def _new(fill: Any) -> Any:
    def new(self: Tensor, *size: Any, dtype: Any = None, requires_grad: bool = False,
            **kw: Any) -> Tensor:
        from chainrule.ops import creation

        return getattr(creation, fill)(*size, dtype=dtype or self.dtype,
                                       requires_grad=requires_grad)

    return new


def _new_tensor(self: Tensor, data: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    from chainrule.ops.creation import tensor

    return tensor(data, dtype=dtype or self.dtype, requires_grad=requires_grad)


METHODS: dict[str, Any] = {
    "__add__": _binary(Add), "__radd__": _binary(Add), "add": F.add,
    "__sub__": _binary(Sub), "__rsub__": _rsub, "sub": F.sub,
    "__mul__": _binary(Mul), "__rmul__": _binary(Mul), "mul": F.mul,
    "__truediv__": _binary(Div), "__rtruediv__": _rdiv, "div": F.div,
    "__pow__": ar.pow, "__rpow__": _rpow, "pow": ar.pow,
    "__matmul__": matmul, "__rmatmul__": _rmatmul, "matmul": matmul,
    "mm": matmul, "mv": matmul, "dot": matmul,
    "__neg__": F.neg, "neg": F.neg, "__pos__": lambda self: self,
    "__abs__": F.abs, "abs": F.abs,
    "exp": F.exp, "log": F.log, "sqrt": F.sqrt, "sin": F.sin, "cos": F.cos, "tanh": F.tanh,
    "sigmoid": F.sigmoid, "relu": F.relu,
    "clamp": F.clamp, "clip": F.clamp, "maximum": F.maximum, "minimum": F.minimum,
    "where": lambda self, condition, other: ar.where(condition, self, other),
    "clone": F.clone,
    "__lt__": ar.lt, "__le__": ar.le, "__gt__": ar.gt, "__ge__": ar.ge,
    "__eq__": ar.eq, "__ne__": ar.ne,
    "lt": ar.lt, "le": ar.le, "gt": ar.gt, "ge": ar.ge, "eq": ar.eq, "ne": ar.ne,
    "__and__": ar.bitwise_and, "__or__": ar.bitwise_or, "__xor__": ar.bitwise_xor,
    "__invert__": lambda self: _wrap(np.logical_not(self.data) if self.data.dtype.kind == "b"
                                     else np.invert(self.data), None),
    "logical_not": F.logical_not,
    "sum": reduction.sum, "mean": reduction.mean, "max": reduction.max, "min": reduction.min,
    "reshape": shape.reshape, "view": shape.view, "flatten": shape.flatten,
    "transpose": shape.transpose, "swapaxes": shape.transpose, "t": shape.t,
    "permute": shape.permute, "squeeze": shape.squeeze, "unsqueeze": shape.unsqueeze,
    "expand": shape.expand, "expand_as": shape.expand_as,
    "view_as": lambda self, other: shape.view(self, other.data.shape),
    "reshape_as": lambda self, other: shape.reshape(self, other.data.shape),
    "contiguous": lambda self, memory_format=None: self,
    "T": property(_T), "mT": property(_mT),
    "__getitem__": getitem, "__setitem__": inplace.setitem,
    "to": to, "type_as": lambda self, other: to(self, other.data.dtype),
    "float": _caster(_dtype.float32), "double": _caster(_dtype.float64),
    "half": _caster(_dtype.float16), "long": _caster(_dtype.int64),
    "int": _caster(_dtype.int32), "bool": _caster(_dtype.bool_),
    "cpu": lambda self: self,
    "add_": inplace.add_, "sub_": inplace.sub_, "mul_": inplace.mul_, "div_": inplace.div_,
    "zero_": inplace.zero_, "fill_": inplace.fill_, "clamp_": inplace.clamp_,
    "clip_": inplace.clamp_, "copy_": inplace.copy_, "relu_": inplace.relu_,
    "exp_": inplace.exp_, "neg_": inplace.neg_, "sigmoid_": inplace.sigmoid_,
    "tanh_": inplace.tanh_, "sqrt_": inplace.sqrt_, "abs_": inplace.abs_, "log_": inplace.log_,
    "sin_": inplace.sin_, "cos_": inplace.cos_, "pow_": inplace.pow_,
    "__iadd__": inplace.add_, "__isub__": inplace.sub_,
    "__imul__": inplace.mul_, "__itruediv__": inplace.div_,
    "new_zeros": _new("zeros"), "new_ones": _new("ones"), "new_empty": _new("empty"),
    "new_tensor": _new_tensor,
}


# each op family contributes its methods (added after the foundation's, so a family may refine one)
for _family in FAMILIES:
    METHODS.update(_family.METHODS)


def install(*extra: dict[str, Any]) -> None:
    """Install the table, then `extra` tables from higher layers (nn.functional's softmax)."""
    for table in (METHODS, *extra):
        for name, fn in table.items():
            setattr(Tensor, name, fn)
