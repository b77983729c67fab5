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
from chainrule.tensor import Tensor, bump_version


def _uses_setup_context(cls: type) -> bool:
    return getattr(cls, "setup_context", None) is not getattr(Function, "setup_context", None)


def apply_user(cls: type, args: tuple, kwargs: dict) -> Any:
    """Function.apply for a user Function: run forward, and record a node when needed."""
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
    if not record:
        return out
    return _record_outputs(ctx, args, out)


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
    if single:
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
