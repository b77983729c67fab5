"""In-place operations (`add_`, `x[i] = v`, ...) and the version counter that guards them.

With nothing to record, the new values are written straight into the tensor's memory. When
the change must be differentiated, the op runs out of place on a stand-in for the tensor's old
value (holding its old history), the result is written into the tensor's memory, and the
tensor takes the new history -- what torch calls rebasing. The stand-in is a copy only for
ops whose derivative needs the old value (mul_, div_, clamp_).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import _dtype
from chainrule.autograd import forward_ad as fw
from chainrule.autograd.function import NULL_CTX, _wrap
from chainrule.autograd.grad_mode import forward_state as _fw_state
from chainrule.autograd.grad_mode import state as _grad_state
from chainrule.ops import arithmetic as ar
from chainrule.ops import elementwise as ew
from chainrule.ops._util import broadcast_error
from chainrule.ops.functional import scale_alpha
from chainrule.ops.indexing import IndexPut, convert_index, split_ints
from chainrule.tensor import Tensor, _share_version, bump_version

_LEAF_ERROR = (
    "a leaf Variable that requires grad is being used in an in-place operation. Wrap the update "
    "in `with chainrule.no_grad():` (as optimisers do), or work on a .clone() of the tensor."
)


def mark_modified(t: Tensor) -> None:
    """Bump t's version; a node that saved t's memory as its output will refuse to backward."""
    bump_version(t)
    if t.grad_fn is None and t._base is None:
        return
    for owner in (t, t._base):
        fn = owner.grad_fn if owner is not None else None
        if fn is not None and fn._out_saved >= 0 and fn._saved is not None:
            fn.__dict__["_out_dirty"] = owner._version
            if fn._saved_versions is None:
                fn._saved_versions = []  # so that saved_tensors runs its version check


def _write(t: Tensor, res: np.ndarray, opname: str) -> None:
    """Store res into t's memory: same shape, dtype castable as torch allows."""
    res = np.asarray(res)
    if res.shape != t.data.shape:
        raise RuntimeError(
            f"{opname}: output with shape {list(t.data.shape)} doesn't match the broadcast shape "
            f"{list(res.shape)}"
        )
    dst = t.data.dtype
    if res.dtype != dst and not _can_cast(res.dtype, dst):
        raise RuntimeError(
            f"{opname}: result type {_dtype.from_np(res.dtype)!r} can't be cast to the desired "
            f"output type {_dtype.from_np(dst)!r}"
        )
    if not t.data.flags.writeable:
        raise RuntimeError(
            f"{opname}: unsupported operation: the tensor's memory is read-only (it is an "
            "expanded view, where several elements share one memory location); clone() it first"
        )
    np.copyto(t.data, res, casting="unsafe")


def _writes_directly(dst: np.ndarray, other: Any) -> bool:
    """Whether `dst op= other` can run as one NumPy call with torch's result: same float dtype,
    and other broadcasts to dst's shape without growing it."""
    if not dst.flags.writeable or dst.dtype.kind != "f":
        return False
    if isinstance(other, np.ndarray):
        return other.dtype == dst.dtype and (
            other.shape == dst.shape or np.broadcast_shapes(other.shape, dst.shape) == dst.shape
        )
    return isinstance(other, (float, int)) and not isinstance(other, bool)


def _can_cast(src: np.dtype, dst: np.dtype) -> bool:
    order = "biuf"
    return order.index(src.kind) <= order.index(dst.kind)


def apply_inplace(
    t: Tensor, fn: Any, others: tuple, opname: str, needs_old: bool, **kw: Any
) -> Tensor:
    """Run `fn(t, *others)` (a Primitive) and make t hold the result, history included (and,
    in forward mode, t's tangent becomes the result's, as torch's)."""
    dual = _is_dual(t, others)
    record = dual or (
        _grad_state.enabled
        and (t._requires_grad or any(isinstance(o, Tensor) and o._requires_grad for o in others))
    )
    if not record:
        raw = [o.data if isinstance(o, Tensor) else o for o in others]
        _write(t, fn.forward(NULL_CTX, t.data, *raw, **kw), opname)
        mark_modified(t)
        return t
    if _grad_state.enabled and t.grad_fn is None and t._requires_grad:
        raise RuntimeError(_LEAF_ERROR)
    res = fn.apply(_stand_in(t, needs_old), *others, **kw)
    base = t._base
    if base is None:
        _write(t, res.data, opname)
        mark_modified(t)
        _rebase(t, res)
        return t
    # t is a view: the base takes the new values of the region as part of its history, and
    # t becomes that region of the new base (torch's CopySlices)
    if _grad_state.enabled and base.grad_fn is None and base._requires_grad:
        raise RuntimeError(
            f"{opname}: a view of a leaf Variable that requires grad is being used in an in-place "
            "operation. Do it under `with chainrule.no_grad():`, or on a clone() of the leaf."
        )
    view_fn = t._view_fn
    if view_fn is None:
        raise RuntimeError(f"{opname}: in-place operations on this kind of view are not supported")
    old_base = _stand_in(base, False)
    if dual and base._fw_grad is None and t._fw_grad is not None:
        # torch's view tangents live in the base's: the base's is zeros off the view's region
        z = np.zeros(base.data.shape, t._fw_grad.data.dtype)
        view_fn(z)[...] = t._fw_grad.data
        old_base._fw_grad = _wrap(z, None)
    new_base = CopySlices.apply(old_base, res, view_fn=view_fn)
    _write(base, new_base.data, opname)
    mark_modified(base)
    _rebase(base, new_base)
    _rebase(t, ViewOf.apply(base, view_fn=view_fn))
    t._view_version = t._vc[0]
    return t


def _is_dual(t: Tensor, others: tuple) -> bool:
    """Whether forward mode is on and t or an operand carries a tangent."""
    return bool(_fw_state.level) and (
        t._fw_grad is not None
        or any(isinstance(o, Tensor) and o._fw_grad is not None for o in others)
    )


def _stand_in(t: Tensor, copy: bool) -> Tensor:
    """A tensor holding t's current value, history and tangent, for the out-of-place
    computation."""
    old = _wrap(t.data.copy() if copy else t.data, t.grad_fn)
    old._requires_grad = t._requires_grad
    old._output_nr = t._output_nr
    if t._fw_grad is not None and _fw_state.level:
        old._fw_grad = t._fw_grad
    if not copy:
        _share_version(t, old, as_view=False)
    return old


def _rebase(t: Tensor, res: Tensor) -> None:
    """t takes res's history (its memory already holds res's values) and, in forward mode,
    its tangent."""
    if _grad_state.enabled:  # a forward-mode-only change (no_grad) keeps the reverse history
        t.grad_fn = res.grad_fn
        t._requires_grad = res._requires_grad
        t._output_nr = 0
    if _fw_state.level and (res._fw_grad is not None or t._fw_grad is not None):
        tangent = res._fw_grad
        if tangent is None:
            tangent = _wrap(np.zeros(t.data.shape, t.data.dtype), None)
        fw._set_tangent(t, tangent)


class CopySlices(ar.Primitive):
    """out = base with the region view_fn(base) replaced by v;  dout/dbase = g off the region
    (0 on it), dout/dv = view_fn(g)"""

    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, v, view_fn):
        out = base.copy()
        region = view_fn(out)
        if not np.may_share_memory(region, out):
            raise RuntimeError("in-place operation on a view whose region cannot be addressed")
        region[...] = v
        ctx.view_fn = view_fn
        return out

    @staticmethod
    def backward(ctx, g):
        from chainrule.ops import _dual as d

        vf = ctx.view_fn
        gb = gv = None
        if ctx._edges[0] is not None:
            keep = np.ones(g.shape, bool)
            vf(keep)[...] = False
            gb = d.masked(g, keep)
        if ctx._edges[1] is not None:
            gv = vf(g)
        return gb, gv

    jvp_rule = fw.linear


class ViewOf(ar.Primitive):
    """out = view_fn(base): a view re-derived from its base after an in-place change;
    dout/dbase = g placed into the region of zeros"""

    node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, base, view_fn):
        ctx.view_fn, ctx.shape = view_fn, base.shape
        return view_fn(base)

    @staticmethod
    def backward(ctx, g):
        from chainrule.ops import _dual as d

        if d._t(g):
            zeros = d.const(g, np.zeros(ctx.shape, g.data.dtype))
            return CopySlices.apply(zeros, g, view_fn=ctx.view_fn)
        z = np.zeros(ctx.shape, g.dtype)
        ctx.view_fn(z)[...] = g
        return z

    jvp_rule = fw.linear


def _binary_inplace(fn: Any, ufunc: Any, opname: str, needs_old: bool) -> Any:
    """`t.op_(other)`; with nothing to record and matching dtypes, one NumPy call into t's
    memory, as hand-written NumPy would do it (the optimiser-update path)."""

    def op(t: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
        other = scale_alpha(t, other, alpha)
        o = other.data if isinstance(other, Tensor) else other
        if (
            not (
                _grad_state.enabled
                and (t._requires_grad or (isinstance(other, Tensor) and other._requires_grad))
            )
            and not _is_dual(t, (other,))
            and _writes_directly(t.data, o)
        ):
            ufunc(t.data, o, out=t.data)
            mark_modified(t)
            return t
        return apply_inplace(t, fn, (other,), opname, needs_old)

    op.__name__ = opname
    return op


add_ = _binary_inplace(ar.Add, np.add, "add_", False)
sub_ = _binary_inplace(ar.Sub, np.subtract, "sub_", False)
_mul_ = _binary_inplace(ar.Mul, np.multiply, "mul_", True)


def mul_(t: Tensor, other: Any) -> Tensor:
    return _mul_(t, other)


def div_(t: Tensor, other: Any) -> Tensor:
    return apply_inplace(t, ar.Div, (other,), "div_", True)


def clamp_(t: Tensor, min: Any = None, max: Any = None) -> Tensor:
    return apply_inplace(t, ew.Clamp, (), "clamp_", True, lo=min, hi=max)


class _Fill(ew.Primitive):
    """out = value everywhere;  dout/dx = 0, dout/dvalue = sum(g) (a 0-d tensor value)"""

    node_name = "FillBackward0"

    @staticmethod
    def forward(ctx, x, value):
        return np.full(x.shape, value, x.dtype)

    @staticmethod
    def backward(ctx, g):
        from chainrule.ops import _dual as d

        gv = g.sum() if ctx._edges[1] is not None else None
        return d.const(g, np.zeros(g.shape, d.data(g).dtype)), gv


class _Copy(ew.Primitive):
    """out = src broadcast to x's shape;  dout/dx = 0, dout/dsrc = g (summed by the engine)"""

    node_name = "CopyBackwards"

    @staticmethod
    def forward(ctx, x, src):
        try:
            return np.broadcast_to(np.asarray(src).astype(x.dtype), x.shape)
        except ValueError:
            raise broadcast_error(x, src) from None

    @staticmethod
    def backward(ctx, g):
        from chainrule.ops import _dual as d

        return d.const(g, np.zeros(g.shape, d.data(g).dtype)), g


def fill_(t: Tensor, value: Any) -> Tensor:
    if isinstance(value, Tensor) and value.data.ndim != 0:
        raise RuntimeError(
            f"fill_ only supports 0-dimension value tensor but got tensor with "
            f"{value.data.ndim} dimensions."
        )
    return apply_inplace(t, _Fill, (value,), "fill_", False)


def zero_(t: Tensor) -> Tensor:
    return apply_inplace(t, _Fill, (0,), "zero_", False)


def copy_(t: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    return apply_inplace(t, _Copy, (src,), "copy_", False)


def setitem(t: Tensor, index: Any, value: Any) -> None:
    """t[index] = value, differentiable with respect to t's old value and to value."""
    idx, basic, _ = convert_index(index)
    parts = None if basic else split_ints(idx)
    if parts is not None:  # torch's order: the integer indices select a view first
        return setitem(t[parts[0]], parts[1], value)
    record = _is_dual(t, (value,)) or (
        _grad_state.enabled
        and (t._requires_grad or (isinstance(value, Tensor) and value._requires_grad))
    )
    if not record:
        v = value.data if isinstance(value, Tensor) else value
        if not t.data.flags.writeable:
            raise RuntimeError("cannot assign into a read-only (expanded) tensor; clone() it first")
        try:
            t.data[idx] = v
        except ValueError as e:
            raise RuntimeError(f"shape mismatch in index assignment: {e}") from None
        mark_modified(t)
        return
    if isinstance(value, Tensor) and value.data.dtype != t.data.dtype:
        value = value.to(t.dtype)
    apply_inplace(t, IndexPut, (value,), "__setitem__", False, index=idx)


def _unary(cls: Any, opname: str, needs_old: bool) -> Any:
    def op(t: Tensor) -> Tensor:
        return apply_inplace(t, cls, (), opname, needs_old)

    op.__name__ = opname
    return op


relu_ = _unary(ew.Relu, "relu_", False)
exp_ = _unary(ew.Exp, "exp_", False)
neg_ = _unary(ar.Neg, "neg_", False)
sigmoid_ = _unary(ew.Sigmoid, "sigmoid_", False)
tanh_ = _unary(ew.Tanh, "tanh_", False)
sqrt_ = _unary(ew.Sqrt, "sqrt_", False)
abs_ = _unary(ew.Abs, "abs_", True)
log_ = _unary(ew.Log, "log_", True)
sin_ = _unary(ew.Sin, "sin_", True)
cos_ = _unary(ew.Cos, "cos_", True)


def pow_(t: Tensor, exponent: Any) -> Tensor:
    if isinstance(exponent, Tensor):
        return apply_inplace(t, ar.PowTensor, (exponent,), "pow_", True)
    return apply_inplace(t, ar.Pow, (), "pow_", True, p=exponent)
