"""User-defined Functions (torch.autograd.Function): recording their nodes and running their
backward on Tensors.

Primitives (`_raw = True`) take the fast path in function.py; a user Function's forward and
backward see Tensors, as in torch. Its forward runs under no_grad; its outputs are then given
the Function's node as grad_fn. Its backward runs with grad mode on only under
`create_graph=True`, so a backward written in chainrule ops is itself differentiable.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from chainrule.autograd.function import Function, Node, _wrap, creation_site, pack_saved, where
from chainrule.autograd.grad_mode import anomaly_state as _anomaly
from chainrule.autograd.grad_mode import enable_grad, no_grad
from chainrule.autograd.grad_mode import state as _grad_state
from chainrule.tensor import Tensor, _share_version, bump_version


def _uses_setup_context(cls: type) -> bool:
    return getattr(cls, "setup_context", None) is not getattr(Function, "setup_context", None)


def apply_user(cls: type, args: tuple, kwargs: dict) -> Any:
    """Function.apply for a user Function: run forward, and record a node when needed."""
    ctx, out, record = _run_forward(cls, args, kwargs)
    if not record:
        return out
    return _record_outputs(ctx, args, out)


def _run_forward(cls: type, args: tuple, kwargs: dict) -> tuple[Node, Any, bool]:
    """(ctx, forward's outputs, whether a node is to be recorded)."""
    ctx = cls._backward_cls()
    ctx._saved = None
    edges = []
    nrs = []
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad and _grad_state.enabled:
            edges.append(a if a.grad_fn is None else a.grad_fn)
            nrs.append(a._output_nr)
        else:
            edges.append(None)
            nrs.append(0)
    ctx._edges = tuple(edges)
    ctx._where = creation_site()
    if _anomaly.enabled:
        _anomaly.record(ctx)
    if any(nrs):
        ctx._edge_nrs = nrs
    record = any(e is not None for e in edges)
    with no_grad():
        if _uses_setup_context(cls):
            out = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args, **kwargs)
    return ctx, out, record


def _record_outputs(ctx: Node, args: tuple, out: Any) -> Any:
    """Give the differentiable Tensor outputs `ctx` as grad_fn; returns forward's outputs."""
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    dirty = {id(t) for t in ctx.__dict__.get("_dirty", ())}
    non_diff = {id(t) for t in ctx.__dict__.get("_non_diff", ())}
    input_ids = {id(a) for a in args if isinstance(a, Tensor)}
    shapes, dtypes, result = [], [], []
    for nr, o in enumerate(outs):
        if not isinstance(o, Tensor):
            shapes.append(None)
            dtypes.append(None)
            result.append(o)
            continue
        if id(o) in dirty:
            if o.grad_fn is None and o._requires_grad:
                raise RuntimeError(
                    "a leaf Variable that requires grad is being used in an in-place operation."
                )
            bump_version(o)
        elif id(o) in input_ids:  # an input returned as it is: a new tensor on the same data
            o = _wrap(o.data, None)
        shapes.append(o.data.shape)
        dtypes.append(o.data.dtype)
        if o.data.dtype.kind == "f" and id(outs[nr]) not in non_diff:
            o.grad_fn = ctx
            o._requires_grad = True
            o._output_nr = nr
        result.append(o)
    ctx._n_out = len(outs)
    ctx._fast = False
    if len(outs) == 1:  # a bare output or a 1-tuple: a single-output node either way
        ctx._shape, ctx._dtype = shapes[0], dtypes[0]
    else:
        ctx._shape, ctx._dtype = tuple(shapes), tuple(dtypes)
    saved = ctx._saved
    if saved is not None and _grad_state.saved_hooks:
        pack_saved(ctx, saved, (), [], None)
    elif saved is not None:
        ctx._saved_src = tuple(s if isinstance(s, Tensor) else None for s in saved)
        versions = {
            k: s._vc[0] for k, s in enumerate(saved) if isinstance(s, Tensor) and s._vc is not None
        }
        if versions:
            ctx._saved_versions = versions
    return result[0] if single else tuple(result)


class _JvpCtx:
    """ctx as a user Function's jvp sees it: forward's ctx, whose saved_tensors are the tensors
    given to save_for_forward."""

    __slots__ = ("_ctx",)

    def __init__(self, ctx: Node) -> None:
        object.__setattr__(self, "_ctx", ctx)

    @property
    def saved_tensors(self) -> tuple:
        return self._ctx.__dict__.get("_saved_fw", ())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ctx, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._ctx, name, value)


def apply_user_jvp(cls: type, args: tuple, kwargs: dict) -> tuple[Any, Any]:
    """Function.apply in forward mode for a user Function (the caller suspends forward mode):
    forward's outputs, recorded as apply_user records them, and their tangents by the
    Function's `jvp(ctx, *input_tangents)` as arrays (None: no tangent)."""
    jvp = getattr(cls, "jvp", None)
    if jvp is None:
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD."
        )
    tangents = [
        (a._fw_grad if a._fw_grad is not None else _wrap(np.zeros_like(a.data), None))
        if isinstance(a, Tensor)
        else None
        for a in args
    ]
    ctx, out, record = _run_forward(cls, args, kwargs)
    single = not isinstance(out, tuple)
    outs = (out,) if single else out
    if record:
        result = _record_outputs(ctx, args, out)
        result = (result,) if single else result
    else:  # an input returned as it is becomes a new tensor, unless forward changed it in place
        dirty = {id(t) for t in ctx.__dict__.get("_dirty", ())}
        result = tuple(
            _alias_of(o) if any(o is a for a in args) and id(o) not in dirty else o for o in outs
        )
    with no_grad():
        res = jvp(_JvpCtx(ctx), *tangents)
    res = res if isinstance(res, tuple) else (res,)
    if len(res) != len(outs):
        raise RuntimeError(
            "Function's jvp returned an invalid number of forward gradients (expected "
            f"{len(outs)} but got {len(res)})"
        )
    non_diff = {id(t) for t in ctx.__dict__.get("_non_diff", ())}
    arrays = []
    for o, r, orig in zip(result, res, outs):
        if r is None or not isinstance(o, Tensor) or id(orig) in non_diff:
            arrays.append(None)
            continue
        if not isinstance(r, Tensor):
            raise TypeError(
                f"function {cls.__name__}'s jvp returned a {type(r).__name__}; expected a Tensor "
                "or None per output"
            )
        if r.data.shape != o.data.shape:
            from chainrule.autograd.forward_ad import _size_error

            raise _size_error(o.data.shape, r.data.shape)
        arrays.append(r.data)
    return (result[0], arrays[0]) if single else (result, tuple(arrays))


def _alias_of(t: Tensor) -> Tensor:
    alias = _wrap(t.data, None)
    _share_version(t, alias, view_fn=lambda a: a)
    return alias


def call_user(n: Node, g: Any) -> tuple:
    """Run a user Function's backward on Tensors; gradients come back as the engine's kind
    (arrays in first-order backward, Tensors under create_graph)."""
    cls = n._forward_cls
    create_graph = _grad_state.create_graph and _grad_state.enabled
    grads = [g] if n._n_out == 1 else list(g)
    shapes = [n._shape] if n._n_out == 1 else list(n._shape)
    dtypes = [n._dtype] if n._n_out == 1 else list(n._dtype)
    materialize = n.__dict__.get("_materialize", True)
    args = []
    for gi, s, dt in zip(grads, shapes, dtypes):
        if gi is None and materialize and dt is not None and dt.kind == "f":
            gi = np.zeros(s, dt)
        args.append(gi if gi is None or isinstance(gi, Tensor) else _wrap(gi, None))
    backward = cls.backward
    if backward is Function.backward and cls.vjp is not Function.vjp:
        backward = cls.vjp
    with enable_grad() if create_graph else no_grad():
        out = backward(n, *args)
    out = out if isinstance(out, tuple) else (out,)
    n_in = len(n._edges)
    if len(out) > n_in and all(o is None for o in out[n_in:]):
        out = out[:n_in]  # torch allows extra trailing Nones
    if len(out) != n_in:
        raise RuntimeError(
            f"function {type(n).__name__} returned an incorrect number of gradients "
            f"(expected {n_in}, got {len(out)}){where(n)}"
        )
    res = []
    for i, (o, e) in enumerate(zip(out, n._edges)):
        if o is None or e is None:
            res.append(None)
            continue
        if not isinstance(o, Tensor):
            raise TypeError(
                f"function {type(n).__name__} returned a gradient of type {type(o).__name__} "
                f"at index {i}; expected a Tensor or None"
            )
        res.append(o if create_graph else o.data)
    return tuple(res)


class _OnceDifferentiable(Function):
    """out = g, but differentiating out raises: the backward of a Function marked
    @once_differentiable has no derivative of its own."""

    node_name = "DelayedError"
    _raw = True

    @staticmethod
    def forward(ctx, g, *_):
        return g.copy()

    @staticmethod
    def backward(ctx, *_):
        raise RuntimeError(
            "trying to differentiate twice a function that was marked with @once_differentiable"
        )


def once_differentiable(backward: Any) -> Any:
    """Decorator for a Function's backward that is not itself differentiable: it runs without
    recording, and a second differentiation through it raises."""

    @functools.wraps(backward)
    def wrapper(ctx: Any, *grad_outputs: Any) -> Any:
        with no_grad():
            out = backward(ctx, *grad_outputs)
        if not _grad_state.enabled:
            return out
        tracked = [g for g in grad_outputs if isinstance(g, Tensor) and g.requires_grad]
        if not tracked:
            return out
        single = not isinstance(out, tuple)
        outs = [
            _OnceDifferentiable.apply(o, *tracked) if isinstance(o, Tensor) else o
            for o in ((out,) if single else out)
        ]
        return outs[0] if single else tuple(outs)

    return wrapper
