"""torch.autograd.forward_ad: dual tensors and forward-mode derivatives.

Inside a `dual_level()`, `make_dual(x, t)` gives a tensor that carries the tangent t. Every op
applied to such a tensor runs as usual (reverse-mode recording included) and, beside it,
pushes the tangents of its inputs forward: `Function.apply` hands the call to `apply_dual`.

The rule of a primitive is its `jvp_rule`, written beside its forward and backward:

    jvp_rule(t, out, *args, **kwargs) -> tangent of out (a tuple for a multi-output op)

`args`/`kwargs` are exactly what `forward` received (arrays for tensors), `out` what it
returned, and `t` holds one tangent per positional argument: the array for a tensor that has
one; `ZERO` for a tensor or number without one; None for anything else (None, a tuple...).
`ZERO` is torch's "efficient zero tensor": products with it are ZERO and sums ignore it, so a
missing tangent drops its term (no 0 * inf = NaN); NumPy functions need `dense(t, x)`.
Ops linear in their tensor arguments (sum, reshape, cat, getitem...) say `jvp_rule = linear`:
the op itself applied to the tangents. A primitive without a rule raises torch's
NotImplementedError; so does one whose rule is inherited from above the class that defines its
forward (a subclass that changes forward must restate the rule).

Tangents are constants (arrays): a tangent is not itself differentiable in reverse mode, as it
is in torch. User Functions (`_raw = False`) use torch's contract: a static `jvp(ctx,
*input_tangents)` (see autograd/custom.py).
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from chainrule.autograd.function import NULL_CTX, Function, _wrap
from chainrule.autograd.grad_mode import forward_state as _fw
from chainrule.tensor import Tensor, _share_version

__all__ = [
    "UnpackedDualTensor",
    "enter_dual_level",
    "exit_dual_level",
    "make_dual",
    "unpack_dual",
    "dual_level",
]

_current_level = -1  # torch's numbering: -1 none, 0 the (only) level; _fw.level is this + 1
_holders: dict[int, weakref.ref] = {}  # tensors given a tangent at the current level


# --- levels -------------------------------------------------------------------------------------


def enter_dual_level() -> int:
    """Enter a new forward grad level (torch allows one at a time) and return it."""
    global _current_level
    if _current_level >= 0:
        raise RuntimeError("Nested forward mode AD is not supported at the moment")
    _current_level += 1
    _fw.level = _current_level + 1
    return _current_level


def exit_dual_level(*, level: int | None = None) -> None:
    """Exit the last level entered; the tangents of that level are deleted."""
    global _current_level
    if level is None:
        level = _current_level
    if level != _current_level:
        raise RuntimeError(
            "Trying to exit a forward AD level that was not the last one that was created. "
            "This is not supported."
        )
    if level < 0:
        raise RuntimeError("Dual level must be a positive number.")
    for ref in _holders.values():
        t = ref()
        if t is not None:
            t.__dict__.pop("_fw_grad", None)
    _holders.clear()
    _current_level = level - 1
    _fw.level = 0


class dual_level:  # noqa: N801 - torch's name
    """Context manager (or decorator) for forward AD: a level is active inside it, and the
    tangents made in it are gone after it."""

    def __enter__(self) -> int:
        return enter_dual_level()

    def __exit__(self, *exc: object) -> None:
        exit_dual_level()

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with dual_level():
                return fn(*args, **kwargs)

        return wrapper


# --- dual tensors -------------------------------------------------------------------------------


class UnpackedDualTensor(NamedTuple):
    """What `unpack_dual` returns: the primal (a view) and the tangent (or None)."""

    primal: Tensor
    tangent: Tensor | None


def _set_tangent(t: Tensor, tangent: Tensor) -> None:
    t._fw_grad = tangent
    key = id(t)
    _holders[key] = weakref.ref(
        t, lambda ref: _holders.pop(key, None) if _holders.get(key) is ref else None
    )


def _check_floating(t: Any, what: str) -> None:
    if not (t.is_floating_point() or t.data.dtype.kind == "c"):
        raise ValueError(f"Expected {what} to be floating point or complex, but got: {t.dtype}")


def _size_error(shape: tuple, tangent_shape: tuple) -> RuntimeError:
    return RuntimeError(
        "Trying to set a forward gradient that has a different size than that of the original "
        f"Tensor, this is not supported. Tensor is of size {list(shape)} while the given forward "
        f"gradient is of size {list(tangent_shape)}."
    )


def make_dual(tensor: Tensor, tangent: Tensor, *, level: int | None = None) -> Tensor:
    """A view of `tensor` that carries `tangent` (as it is) at the given level; reverse-mode
    differentiable with respect to `tensor`, as torch's."""
    if level is None:
        level = _current_level
    if level < 0:
        raise RuntimeError(
            "Trying to create a dual Tensor for forward AD but no level exists, make sure to "
            "enter_dual_level() first."
        )
    _check_floating(tensor, "primal")
    _check_floating(tangent, "tangent")
    if _current_level < 0:
        raise RuntimeError(
            "Trying to access a forward AD level with an invalid index. This index was either "
            "not created or is already deleted."
        )
    if level != _current_level:
        raise RuntimeError("Invalid level given to _make_dual")
    if tensor._fw_grad is not None:
        raise RuntimeError(
            "Making a dual Tensor based on a Tensor that already has a forward gradient at the "
            f"same level {level} is not supported."
        )
    if tangent.data.shape != tensor.data.shape:
        raise _size_error(tensor.data.shape, tangent.data.shape)
    from chainrule.ops.shape import view

    dual = view(tensor, tensor.data.shape)
    _set_tangent(dual, tangent)
    return dual


class _Alias(Function):
    """out = x (the same memory);  dout/dx = 1: the primal that unpack_dual returns"""

    node_name = "Identity"
    _raw = True

    @staticmethod
    def forward(ctx, x):
        return x.view()

    @staticmethod
    def backward(ctx, g):
        return g


_Alias._backward_cls.name = lambda self: "torch::autograd::Identity"


def _alias(t: Tensor) -> Tensor:
    """t's data as a new tensor (a view of t) without its tangent, differentiable back to t."""
    level = _fw.level
    _fw.level = 0
    try:
        out = _Alias.apply(t)
    finally:
        _fw.level = level
    _share_version(t, out, view_fn=lambda a: a)
    return out


def unpack_dual(tensor: Any, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent) of a dual tensor: the primal a view of it without the tangent, the
    tangent as it is (None when there is none)."""
    if level is None:
        level = _current_level
    if level < 0:
        return UnpackedDualTensor(tensor, None)
    if not isinstance(tensor, Tensor):
        raise TypeError(
            "_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
            f"{type(tensor).__name__}"
        )
    tangent = tensor._fw_grad if _fw.level else None  # inside a user forward: primals only
    if tangent is not None and level != _current_level:
        raise RuntimeError("Invalid level given to _fw_primal")
    return UnpackedDualTensor(_alias(tensor), tangent)


# --- rules' vocabulary --------------------------------------------------------------------------


class _Zero:
    """The tangent of an input that has none: absorbs products, vanishes from sums."""

    __slots__ = ()
    __array_ufunc__ = None  # `array op ZERO` calls our reflected operators

    def __mul__(self, other: Any) -> _Zero:
        return self

    __rmul__ = __truediv__ = __matmul__ = __rmatmul__ = __mul__

    def __add__(self, other: Any) -> Any:
        return other

    __radd__ = __rsub__ = __add__

    def __sub__(self, other: Any) -> Any:
        return self if other is self else -other

    def __neg__(self) -> _Zero:
        return self

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("forward AD: the zero tangent ZERO must go through dense() first")

    def __repr__(self) -> str:
        return "ZERO"


ZERO = _Zero()


def _float_dtype(x: Any) -> np.dtype:
    dt = np.asarray(x).dtype
    return dt if dt.kind == "f" else np.dtype(np.float32)


def dense(t: Any, like: Any) -> Any:
    """t as an array: ZERO becomes (read-only) zeros shaped like `like`, 0.0 for a number."""
    if t is not ZERO:
        return t
    if isinstance(like, np.ndarray):
        return np.broadcast_to(np.zeros((), _float_dtype(like)), like.shape)
    return 0.0


def where(cond: Any, a: Any, b: Any) -> Any:
    """np.where for tangents: ZERO on both sides stays ZERO."""
    if a is ZERO and b is ZERO:
        return ZERO
    return np.where(cond, 0.0 if a is ZERO else a, 0.0 if b is ZERO else b)


class Saved:
    """A stand-in for ctx, for a rule that reuses its op's backward formula on the tangent
    (torch's auto_element_wise): forward's saved arrays and attributes."""

    def __init__(self, *saved: Any, **attrs: Any) -> None:
        self.saved_tensors = saved
        self.__dict__.update(attrs)


@classmethod  # type: ignore[misc]
def linear(cls: Any, t: tuple, out: Any, *args: Any, **kwargs: Any) -> Any:
    """The rule of an op linear in its tensor arguments: the op applied to their tangents."""
    return cls.forward(NULL_CTX, *(dense(ti, a) for ti, a in zip(t, args)), **kwargs)


@staticmethod  # type: ignore[misc]
def zero(t: tuple, out: Any, *args: Any, **kwargs: Any) -> Any:
    """The rule of a step function (floor, sign...): a zero tangent, as torch's."""
    return ZERO


# --- Function.apply in forward mode -------------------------------------------------------------


def _op_name(cls: type) -> str:
    name = re.sub(r"Backward\d*$", "", cls._backward_cls.__name__)
    # NllLoss2D -> nll_loss2d, MaxPool2DWithIndices -> max_pool2d_with_indices (aten's names)
    name = re.sub(r"(\d)D", r"\1d", name)
    return re.sub(r"(?<!^)(?<!\d)(?=[A-Z])|(?<=\dd)(?=[A-Z])", "_", name).lower()


def _not_implemented(cls: type) -> NotImplementedError:
    return NotImplementedError(
        f"Trying to use forward AD with {_op_name(cls)} that does not support it because it has "
        f"not been implemented yet.\n(chainrule: the primitive {cls.__module__}.{cls.__name__} "
        "has no jvp_rule.)"
    )


_rules: dict[type, Any] = {}


def rule_of(cls: type) -> Any:
    """cls's jvp_rule, or None: a rule counts only if defined with or below its forward."""
    if cls in _rules:
        return _rules[cls]
    rule = None
    for k in cls.__mro__:
        if "jvp_rule" in k.__dict__:
            rule = cls.jvp_rule
            break
        if "forward" in k.__dict__:
            break
    _rules[cls] = rule
    return rule


def supports(fn: Any) -> bool:
    """Whether a primitive (a Function subclass) has a forward-mode rule."""
    if not getattr(fn, "_raw", False):
        return getattr(fn, "jvp", None) is not None
    return rule_of(fn) is not None


def _tangent_of(a: Any) -> Any:
    if isinstance(a, Tensor):
        t = a._fw_grad
        return ZERO if t is None else t.data
    if isinstance(a, (bool, int, float, complex, np.number, np.bool_, np.ndarray)):
        return ZERO
    return None


def apply_dual(cls: type, args: tuple, kwargs: dict) -> Any:
    """Function.apply when some input carries a tangent at the active dual level: the op runs
    as usual with forward mode suspended, then the tangents of its outputs are attached."""
    level = _fw.level
    if not cls._raw:
        from chainrule.autograd.custom import apply_user_jvp

        _fw.level = 0
        try:
            out, tangents = apply_user_jvp(cls, args, kwargs)
        finally:
            _fw.level = level
        return _attach(cls, out, tangents)
    rule = rule_of(cls)
    if rule is None:
        raise _not_implemented(cls)
    t = tuple(_tangent_of(a) for a in args)
    _fw.level = 0
    try:
        out = cls.apply(*args, **kwargs)
    finally:
        _fw.level = level
    raw = [a.data if isinstance(a, Tensor) else a for a in args]
    primal = tuple(o.data for o in out) if type(out) is tuple else out.data
    with np.errstate(all="ignore"):
        tangents = rule(t, primal, *raw, **kwargs)
    return _attach(cls, out, tangents)


def _attach(cls: type, out: Any, tangents: Any) -> Any:
    """Give each floating output its tangent."""
    single = type(out) is not tuple
    outs = (out,) if single else out
    ts = (tangents,) if single or type(tangents) is not tuple else tangents
    if len(ts) != len(outs):
        raise RuntimeError(
            f"forward AD: the rule of {cls.__name__} returned {len(ts)} tangents for "
            f"{len(outs)} outputs"
        )
    for o, t in zip(outs, ts):
        if t is not None and isinstance(o, Tensor) and o.data.dtype.kind in "fc":
            _set_tangent(o, _wrap(_fit(cls, t, o.data), None))
    return out


def _fit(cls: type, t: Any, o: np.ndarray) -> np.ndarray:
    """A rule's tangent as an array of the output's shape and dtype."""
    if t is ZERO:
        return np.zeros(o.shape, o.dtype)
    t = np.asarray(t)
    if t.shape != o.shape:
        try:
            t = np.broadcast_to(t, o.shape)  # a term of a broadcast input, the others dropped
        except ValueError:
            raise RuntimeError(
                f"forward AD: the rule of {cls.__name__} gave a tangent of shape "
                f"{list(t.shape)} for an output of shape {list(o.shape)}"
            ) from None
        return t.astype(o.dtype)  # a copy: broadcast arrays are read-only
    return t if t.dtype == o.dtype else t.astype(o.dtype)


# --- for autograd.functional --------------------------------------------------------------------


def forward_jvp(func: Callable, primals: tuple, tangents: tuple) -> tuple[Any, Any]:
    """(func(*primals), J @ tangents) by forward mode, shaped as func's output (a tensor or a
    tuple); outputs that got no tangent get zeros. Tangents are constants, so this cannot serve
    `create_graph=True`; it raises RuntimeError inside a dual level (one level at a time) and
    NotImplementedError when func uses an op without a forward rule."""
    with dual_level():
        duals = [make_dual(p, t) for p, t in zip(primals, tangents)]
        _fw.backward_ran = False
        out = func(*duals)
        if _fw.backward_ran:  # func differentiates inside: its gradients carry no tangents
            raise NotImplementedError(
                "forward-mode AD through a backward pass (a func that calls autograd.grad or "
                "backward) is not supported: gradients computed inside carry no tangents"
            )
        single = not isinstance(out, tuple)
        pairs = [unpack_dual(o) for o in ((out,) if single else out)]
    values = tuple(p for p, _ in pairs)
    jvps = tuple(_wrap(np.zeros_like(p.data), None) if t is None else t for p, t in pairs)
    return (values[0], jvps[0]) if single else (values, jvps)
