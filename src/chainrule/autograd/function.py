"""Function: one class per differentiable operation; its backward node doubles as `ctx`.

Every primitive of chainrule and every user-defined Function goes through `Function.apply`,
which runs `forward`, and -- only when grad mode is on and some input requires grad -- records
a node: an instance of the Function's backward class (`MulBackward0`, `ExpBackward0`, ...).

Two kinds of Function share this path:

* primitives (`_raw = True`): `forward` receives NumPy arrays (and Python scalars) and
  returns an array; `backward` receives the incoming gradient and returns one gradient per
  input. The same backward formula serves first order (arrays in, arrays out: no graph is
  recorded and no Tensor is built) and `create_graph=True` (Tensors in, so the formula records
  a differentiable graph). Formulas reach functions through `chainrule.ops._dual`, which
  dispatches on the argument's type.
* user Functions (`_raw = False`): torch's contract; forward and backward see Tensors.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd.grad_mode import state as _grad_state

_ndarray = np.ndarray


class _NullCtx:
    """Stands in for ctx when nothing is recorded, so forwards need no `if ctx` branches."""

    __slots__ = ()

    def save_for_backward(self, *items: Any) -> None:
        pass

    def __setattr__(self, name: str, value: Any) -> None:
        pass

    def mark_non_differentiable(self, *items: Any) -> None:
        pass


NULL_CTX = _NullCtx()


class Node:
    """A recorded operation in the backward graph (torch's `grad_fn`), and the `ctx` of its forward.

    `_edges[i]` is where the gradient of input i goes: the producing Node, a leaf Tensor that
    requires grad, or None. `_shape`/`_dtype` describe the output, so the engine can reduce and
    check gradients flowing into this node without keeping the output tensor alive.
    """

    __slots__ = (
        "_edges",
        "_edge_nrs",
        "_saved",
        "_saved_versions",
        "_out_saved",
        "_released",
        "_shape",
        "_dtype",
        "_n_out",
        "_tensor_hooks",
        "_retain",
        "__dict__",
        "__weakref__",
    )
    _forward_cls: type[Function]
    _raw = True

    def __init__(self) -> None:
        self._saved = None
        self._out_saved = -1  # index into _saved of the output, if the forward saved it
        self._released = False
        self._tensor_hooks = None
        self._retain = None
        self._edge_nrs = None
        self._n_out = 1

    # --- ctx API used by forward ---------------------------------------------------------
    def save_for_backward(self, *items: Any) -> None:
        """Keep these tensors (or arrays) for backward; freed after backward unless retained."""
        self._saved = items

    def mark_non_differentiable(self, *items: Any) -> None:
        self.__dict__["_non_diff"] = items

    @property
    def saved_tensors(self) -> tuple:
        """What forward saved: arrays in first-order backward, Tensors when recording a graph."""
        saved = self._saved
        if saved is None:
            if self._released:
                raise RuntimeError(_released_message(self))
            return ()
        versions = self._saved_versions
        if versions is not None:
            _check_versions(self, saved, versions)
        if _grad_state.create_graph and _grad_state.enabled:
            return _saved_as_tensors(self, saved)
        if self._raw:
            return tuple(s.data if isinstance(s, _Tensor) else s for s in saved)
        return tuple(_as_tensor_const(s) if isinstance(s, _ndarray) else s for s in saved)

    @property
    def needs_input_grad(self) -> tuple[bool, ...]:
        return tuple(e is not None for e in self._edges)

    # --- graph inspection, as torch ------------------------------------------------------
    def name(self) -> str:
        return type(self).__name__

    @property
    def next_functions(self) -> tuple:
        nrs = self._edge_nrs
        out = []
        for i, e in enumerate(self._edges):
            if e is None:
                out.append((None, 0))
            elif isinstance(e, Node):
                out.append((e, nrs[i] if nrs else 0))
            else:
                out.append((AccumulateGrad(e), 0))
        return tuple(out)

    @property
    def metadata(self) -> dict:
        return self.__dict__.setdefault("_metadata", {})

    def register_hook(self, hook: Any) -> Any:
        raise NotImplementedError("Node.register_hook arrives with the extending-autograd work")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object at {hex(id(self))}>"

    def __call__(self, *grads: Any) -> Any:
        return self._forward_cls.backward(self, *grads)


class AccumulateGrad:
    """The node torch shows for a leaf in `next_functions`; `.variable` is the leaf."""

    __slots__ = ("variable",)

    def __init__(self, variable: Any) -> None:
        self.variable = variable

    @property
    def next_functions(self) -> tuple:
        return ()

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


class _FunctionMeta(type):
    """Gives each Function its backward node class, named as torch names it."""

    def __init__(cls, name: str, bases: tuple, ns: dict) -> None:
        super().__init__(name, bases, ns)
        node_name = ns.get("node_name") or f"{name}Backward"
        raw = ns.get("_raw", getattr(cls, "_raw", False))
        cls._backward_cls = type(node_name, (Node,), {"_forward_cls": cls, "_raw": raw})


class Function(metaclass=_FunctionMeta):
    """Base class for differentiable operations (torch.autograd.Function).

    Subclasses define static `forward(ctx, *args)` and `backward(ctx, *grad_outputs)` and are
    called through `apply`.
    """

    _raw = False
    node_name: str | None = None

    @staticmethod
    def forward(ctx: Any, *args: Any) -> Any:
        raise NotImplementedError

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError

    @classmethod
    def apply(cls, *args: Any) -> Any:
        record = False
        if _grad_state.enabled:
            for a in args:
                if isinstance(a, _Tensor) and a._requires_grad:
                    record = True
                    break
        if cls._raw:
            raw = [a.data if isinstance(a, _Tensor) else a for a in args]
            if not record:
                out = cls.forward(NULL_CTX, *raw)
                if type(out) is tuple:
                    return tuple(_wrap(o, None) for o in out)
                return _wrap(out, None)
            ctx = cls._backward_cls()
            out = cls.forward(ctx, *raw)
        else:
            if not record:
                from chainrule.autograd.grad_mode import no_grad

                with no_grad():
                    return cls.forward(_UserCtx(), *args)
            raise NotImplementedError("custom autograd.Function arrives with issue 4")
        _connect(ctx, args)
        if type(out) is tuple:
            return _wrap_many(ctx, out, args, raw)
        if out.__class__ is not _ndarray:
            out = np.asarray(out)
        ctx._shape = out.shape
        ctx._dtype = out.dtype
        saved = ctx._saved
        if saved is not None:
            _resolve_saved(ctx, saved, args, raw, out)
        return _wrap(out, ctx)


class _UserCtx:
    def save_for_backward(self, *items: Any) -> None:
        self.saved_tensors = items


def _connect(ctx: Node, args: tuple) -> None:
    """Record where each input's gradient goes."""
    edges = []
    nrs = None
    for i, a in enumerate(args):
        if isinstance(a, _Tensor) and a._requires_grad:
            fn = a.grad_fn
            if fn is None:
                edges.append(a)
            else:
                edges.append(fn)
                if a._output_nr:
                    if nrs is None:
                        nrs = [0] * len(args)
                    nrs[i] = a._output_nr
        else:
            edges.append(None)
    ctx._edges = tuple(edges)
    ctx._edge_nrs = nrs


def _resolve_saved(ctx: Node, saved: tuple, args: tuple, raw: list, out: Any) -> None:
    """Swap each saved input array for its Tensor, note its version, and find a saved output.

    Holding the input Tensor (not a copy) is what lets `create_graph` differentiate through
    it; the output is held as a bare array, since holding the output Tensor would make a
    reference cycle tensor -> node -> tensor.
    """
    items = list(saved)
    versions = []
    for k, s in enumerate(items):
        if s is out:
            ctx._out_saved = k
            continue
        if isinstance(s, _ndarray):
            for a, r in zip(args, raw):
                if r is s and isinstance(a, _Tensor):
                    items[k] = a
                    vc = a._vc
                    versions.append((k, 0 if vc is None else vc[0]))
                    break
    ctx._saved = tuple(items)
    ctx._saved_versions = versions or None


def _wrap(out: Any, ctx: Node | None) -> Any:
    t = _tensor_new(_Tensor)
    t.data = out if out.__class__ is _ndarray else np.asarray(out)
    t._requires_grad = ctx is not None
    t.grad_fn = ctx
    t._output_nr = 0
    t._grad = None
    t._vc = None
    t._base = None
    t._hooks = None
    return t


def _wrap_many(ctx: Node, outs: tuple, args: tuple, raw: list) -> tuple:
    """Multi-output forward: every output shares the node; non-float outputs do not require grad."""
    arrs = [o if o.__class__ is _ndarray else np.asarray(o) for o in outs]
    ctx._n_out = len(arrs)
    ctx._shape = tuple(a.shape for a in arrs)
    ctx._dtype = tuple(a.dtype for a in arrs)
    if ctx._saved is not None:
        _resolve_saved(ctx, ctx._saved, args, raw, None)
    res = []
    for nr, a in enumerate(arrs):
        if a.dtype.kind == "f":
            t = _wrap(a, ctx)
            t._output_nr = nr
        else:
            t = _wrap(a, None)
        res.append(t)
    return tuple(res)


def _check_versions(node: Node, saved: tuple, versions: list) -> None:
    for k, v in versions:
        t = saved[k]
        vc = t._vc
        now = 0 if vc is None else vc[0]
        if now != v:
            _version_error(node, t.data, now, v)
    if node.__dict__.get("_out_dirty"):
        k = node._out_saved
        _version_error(node, saved[k], node.__dict__["_out_dirty"], 0)


def _version_error(node: Node, arr: Any, now: int, expected: int) -> None:
    name = type(node).__name__
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{arr.dtype} tensor of shape {list(arr.shape)}], saved by "
        f"{name}, is at version {now}; expected version {expected} instead. Compute the "
        "value again (or .clone() it) instead of modifying it in place before backward."
    )


def _released_message(node: Node) -> str:
    return (
        f"Trying to backward through the graph a second time (or directly access saved tensors "
        f"after they have already been freed): {type(node).__name__} released its saved values "
        "after the first backward. Specify retain_graph=True in the first backward() or "
        "autograd.grad() call if you need to backward through the graph a second time."
    )


def _saved_as_tensors(node: Node, saved: tuple) -> tuple:
    res = []
    for k, s in enumerate(saved):
        if k == node._out_saved:
            t = _wrap(s, node)
        elif isinstance(s, _ndarray):
            t = _wrap(s, None)
        else:
            t = s
        res.append(t)
    return tuple(res)


def _as_tensor_const(a: Any) -> Any:
    return _wrap(a, None)


# bound by chainrule.tensor, which imports this module
_Tensor: Any = None
_tensor_new: Any = None
