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

import os
import sys
from typing import Any

import numpy as np

from chainrule.autograd.grad_mode import anomaly_state as _anomaly
from chainrule.autograd.grad_mode import forward_state as _fw
from chainrule.autograd.grad_mode import state as _grad_state

_ndarray = np.ndarray
_getframe = sys._getframe
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


class _Internal(dict):
    """filename -> whether it is chainrule's own code (filled on first sight of each file)."""

    def __missing__(self, filename: str) -> bool:
        inside = self[filename] = os.path.abspath(filename).startswith(_PACKAGE)
        return inside


_internal = _Internal()


def creation_site() -> tuple | None:
    """(code, instruction offset) of the nearest caller outside chainrule: where user code
    made a node."""
    f = _getframe(2)
    while f is not None and _internal[f.f_code.co_filename]:
        f = f.f_back
    return None if f is None else (f.f_code, f.f_lasti)


def where(node: Any) -> str:
    """` (created at file.py:12, in fn)` for a node whose creation site is known, else ''."""
    site = getattr(node, "_where", None)
    if site is None:
        return ""
    code, lasti = site
    line = next((ln for start, end, ln in code.co_lines() if start <= lasti < end), None)
    return f" (created at {code.co_filename}:{line}, in {code.co_name})"


class _NullCtx:
    """Stands in for ctx when nothing is recorded, so forwards need no `if ctx` branches."""

    __slots__ = ()
    _edges = (None, None, None, None)

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

    Rarely-set fields are class attributes, overridden per instance only when needed, so that
    recording a node costs a handful of attribute stores.
    """

    __slots__ = ("_edges", "_saved", "_shape", "_dtype", "_where", "__dict__", "__weakref__")
    _forward_cls: type[Function]
    _raw = True
    _edge_nrs = None  # output_nr per edge, when some input is a later output of its node
    _saved_src = ()  # per saved item: the input Tensor it came from, or None
    _saved_versions = None  # {index in _saved: version} for saved tensors not at version 0
    _out_saved = -1  # index in _saved of this node's own output, if forward saved it
    _out_dirty = 0  # version of the output's memory after an in-place change, if any
    _released = False
    _n_out = 1
    _fast = True  # one output and array formulas: the engine's short path (set per class)
    _hooked = False  # some output tensor has hooks or retain_grad
    _tensor_hooks = None  # {output_nr: [hook]} for hooks on the non-leaf outputs
    _retain = None  # {output_nr: weakref to tensor} for retain_grad()

    # --- ctx API used by forward ---------------------------------------------------------
    def save_for_backward(self, *items: Any) -> None:
        """Keep these tensors (or arrays) for backward; freed after backward unless retained."""
        self._saved = items

    def save_for_forward(self, *tensors: Any) -> None:
        """Keep these tensors for jvp, where they are ctx.saved_tensors (torch's contract)."""
        for t in tensors:
            assert isinstance(t, _Tensor) or t is None, (
                "save_for_forward expects all arguments to be tensors; you should save "
                "non-tensors as attributes on ctx."
            )
        self.__dict__["_saved_fw"] = tensors

    def mark_non_differentiable(self, *items: Any) -> None:
        """These outputs get no gradient (they will not require grad)."""
        self.__dict__["_non_diff"] = items

    def mark_dirty(self, *tensors: Any) -> None:
        """These inputs were modified in place by forward (and are returned as outputs)."""
        self.__dict__["_dirty"] = tensors

    def set_materialize_grads(self, value: bool) -> None:
        """With False, backward receives None (not zeros) for outputs that got no gradient."""
        self.__dict__["_materialize"] = bool(value)

    @property
    def saved_tensors(self) -> tuple:
        """What forward saved: arrays in first-order backward, Tensors when recording a graph."""
        saved = self._saved
        if saved is None:
            if self._released:
                raise RuntimeError(_released_message(self))
            return ()
        if "_packed" in self.__dict__:
            return self._unpack()
        versions = self._saved_versions
        for k, t in enumerate(self._saved_src):
            if t is not None:
                vc = t._vc
                if vc is not None and vc[0] != (versions.get(k, 0) if versions else 0):
                    _version_error(self, t.data, vc[0], versions.get(k, 0) if versions else 0)
        if self._out_dirty:
            _version_error(self, saved[self._out_saved], self._out_dirty, 0)
        if _grad_state.create_graph and _grad_state.enabled:
            return _saved_as_tensors(self, saved)
        if self._raw:
            return saved
        return tuple(_wrap(s, None) if s.__class__ is _ndarray else s for s in saved)

    def _unpack(self) -> tuple:
        """Saved values packed by saved_tensors_hooks, through their unpack hook."""
        unpack, items = self.__dict__["_packed"]
        out = []
        graph = _grad_state.create_graph and _grad_state.enabled
        for kind, item, src in items:
            if kind == "plain":
                out.append(item)
                continue
            t = unpack(item)
            if kind == "out":
                t = _wrap(t.data, self)  # this node's own output, differentiable through it
            elif graph and src is not None:
                t = _with_history(t, src)
            out.append(t)
        if graph:
            return tuple(out)
        if self._raw:
            return tuple(t.data if isinstance(t, _Tensor) else t for t in out)
        return tuple(out)

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
        """Call `hook(grad_inputs, grad_outputs)` after this node's backward; a returned tuple
        replaces grad_inputs (the gradients sent on to next_functions)."""
        return self._add_hook("_post_hooks", hook)

    def register_prehook(self, hook: Any) -> Any:
        """Call `hook(grad_outputs)` before this node's backward; a returned tuple replaces
        grad_outputs."""
        return self._add_hook("_pre_hooks", hook)

    def _add_hook(self, kind: str, hook: Any) -> Any:
        from chainrule.tensor import RemovableHandle

        hooks = self.__dict__.setdefault(kind, [])
        hooks.append(hook)
        self._hooked = True
        return RemovableHandle(hooks, hook)

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
        cls._backward_cls = type(
            node_name, (Node,), {"_forward_cls": cls, "_raw": raw, "_fast": raw}
        )


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
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    @staticmethod
    def vjp(ctx: Any, *grad_outputs: Any) -> Any:
        """Another name for backward: define either."""
        raise NotImplementedError(
            "You must implement either the backward or vjp method for your custom "
            "autograd.Function to use it with backward mode AD."
        )

    @staticmethod
    def jvp(ctx: Any, *grad_inputs: Any) -> Any:
        """The forward-mode derivative: the outputs' tangents from the inputs' (define it to use
        the Function under forward AD; ctx.saved_tensors are those given to save_for_forward)."""
        raise NotImplementedError(
            "You must implement the jvp function for custom autograd.Function to use it with "
            "forward mode AD."
        )

    @staticmethod
    def setup_context(ctx: Any, inputs: tuple, output: Any) -> None:
        """Define it (and a forward without ctx) to save for backward outside forward."""
        raise NotImplementedError("setup_context is not implemented.")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        if _fw.level and any(isinstance(a, _Tensor) and a._fw_grad is not None for a in args):
            from chainrule.autograd.forward_ad import apply_dual

            return apply_dual(cls, args, kwargs)
        if not cls._raw:
            from chainrule.autograd.custom import apply_user

            return apply_user(cls, args, kwargs)
        if not _grad_state.enabled:
            out = cls.forward(NULL_CTX, *[a.data if isinstance(a, _Tensor) else a for a in args],
                              **kwargs)
            if type(out) is tuple:
                return tuple(_wrap(o, None) for o in out)
            return _wrap(out, None)
        # one pass over the inputs: unwrap arrays, and find where each gradient would go
        raw = []
        edges = []
        record = later_output = False
        for a in args:
            if isinstance(a, _Tensor):
                if a._base is not None and a._vc[0] != a._view_version:
                    _refresh_view(a)
                raw.append(a.data)
                if a._requires_grad:
                    record = True
                    fn = a.grad_fn
                    if fn is None:
                        edges.append(a)
                    else:
                        edges.append(fn)
                        if a._output_nr:
                            later_output = True
                else:
                    edges.append(None)
            else:
                raw.append(a)
                edges.append(None)
        if not record:
            out = cls.forward(NULL_CTX, *raw, **kwargs)
            if type(out) is tuple:
                return tuple(_wrap(o, None) for o in out)
            return _wrap(out, None)
        ctx = cls._backward_cls()
        ctx._saved = None
        ctx._edges = tuple(edges)
        # the user's line that made this node, for error messages: creation_site() inlined
        # (a call here costs measurably per op), starting from apply's caller's caller since
        # primitives are applied by a chainrule wrapper; no traceback is built
        f = _getframe(2)
        while f is not None and _internal[f.f_code.co_filename]:
            f = f.f_back
        ctx._where = f and (f.f_code, f.f_lasti)  # the line is worked out when needed
        if _anomaly.enabled:
            _anomaly.record(ctx)
        if later_output:
            _set_edge_nrs(ctx, args)
        out = cls.forward(ctx, *raw, **kwargs)
        if type(out) is tuple:
            return _wrap_many(ctx, out, args, raw)
        if ctx._saved is not None:
            _resolve_saved(ctx, ctx._saved, args, raw, out)
        if out.__class__ is not _ndarray:
            out = np.asarray(out)  # NumPy returns scalars for 0-d results
        ctx._shape = out.shape
        ctx._dtype = out.dtype
        t = _tensor_new(_Tensor)
        t.data = out
        t._requires_grad = True
        t.grad_fn = ctx
        return t


def _refresh_view(v: Any) -> None:
    """A view whose memory changed in place through another view or its base since its grad_fn
    was recorded: re-derive it from the base's present history, as torch does."""
    base = v._base
    v._view_version = v._vc[0]
    if v._view_fn is None or not (base._requires_grad and _grad_state.enabled):
        return
    from chainrule.ops.inplace import ViewOf

    fresh = ViewOf.apply(base, view_fn=v._view_fn)
    v.grad_fn = fresh.grad_fn
    v._requires_grad = True
    v._output_nr = 0


def _set_edge_nrs(ctx: Node, args: tuple) -> None:
    ctx._edge_nrs = [a._output_nr if isinstance(a, _Tensor) else 0 for a in args]


def _resolve_saved(ctx: Node, saved: tuple, args: tuple, raw: list, out: Any) -> None:
    """Find the input Tensor behind each saved array (and note its version), and a saved output.

    Holding the input Tensor is what lets `create_graph` differentiate through it; the output
    is held as a bare array, since holding the output Tensor would make a reference cycle
    tensor -> node -> tensor.
    """
    if _grad_state.saved_hooks:
        pack_saved(ctx, saved, args, raw, out)
        return
    if len(saved) == 1 and saved[0] is out:  # exp, tanh, sigmoid, relu...: the output only
        ctx._out_saved = 0
        return
    src = []
    versions = None
    for k, s in enumerate(saved):
        t = None
        if s is out:
            ctx._out_saved = k
        elif s.__class__ is _ndarray:
            for i, r in enumerate(raw):
                if r is s:
                    a = args[i]
                    if isinstance(a, _Tensor):
                        t = a
                        vc = a._vc
                        if vc is not None and vc[0]:
                            if versions is None:
                                versions = {}
                            versions[k] = vc[0]
                    break
        src.append(t)
    ctx._saved_src = src
    if versions is not None:
        ctx._saved_versions = versions


def pack_saved(ctx: Node, saved: tuple, args: tuple, raw: list, out: Any) -> None:
    """Hand each saved tensor to the innermost saved_tensors_hooks' pack; keep what it returns."""
    pack, unpack = _grad_state.saved_hooks[-1]
    items = []
    for s in saved:
        if isinstance(s, _Tensor):
            items.append(("tensor", pack(s), _history(s)))
        elif s.__class__ is not _ndarray:
            items.append(("plain", s, None))
        elif s is out:
            items.append(("out", pack(_wrap(s, None)), None))
        else:
            src = next((a for a, r in zip(args, raw) if r is s and isinstance(a, _Tensor)), None)
            packed = pack(src if src is not None else _wrap(s, None))
            items.append(("tensor", packed, _history(src)))
    ctx.__dict__["_packed"] = (unpack, items)
    ctx._saved = ()  # the values live in the packed items only


def _history(t: Any) -> Any:
    """What a packed saved tensor needs to regain its place in the graph when unpacked for a
    create_graph backward (as torch's SavedVariable): a leaf itself, or (grad_fn, output_nr)
    -- never the tensor's own memory, which the hooks decide about."""
    if t is None or not t._requires_grad:
        return None
    return t if t.grad_fn is None else (t.grad_fn, t._output_nr)


def _with_history(t: Any, history: Any) -> Any:
    if isinstance(history, _Tensor):
        return history  # a leaf: gradients must reach the leaf object itself
    fn, nr = history
    out = _wrap(t.data, fn)
    out._output_nr = nr
    return out


def _wrap(out: Any, ctx: Node | None) -> Any:
    """A Tensor around an array: a result of `ctx`, or a constant when ctx is None."""
    t = _tensor_new(_Tensor)
    t.data = out if out.__class__ is _ndarray else np.asarray(out)
    t._requires_grad = ctx is not None
    t.grad_fn = ctx
    return t


def _wrap_many(ctx: Node, outs: tuple, args: tuple, raw: list) -> tuple:
    """Multi-output forward: every output shares the node; non-float outputs do not require grad."""
    arrs = [o if o.__class__ is _ndarray else np.asarray(o) for o in outs]
    ctx._n_out = len(arrs)
    ctx._fast = False
    if len(arrs) == 1:  # a 1-tuple (split into one piece): a single-output node
        ctx._shape, ctx._dtype = arrs[0].shape, arrs[0].dtype
    else:
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


def _version_error(node: Node, arr: Any, now: int, expected: int) -> None:
    name = type(node).__name__
    raise RuntimeError(
        "one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{arr.dtype} tensor of shape {list(arr.shape)}], saved by "
        f"{name}{where(node)}, is at version {now}; expected version {expected} instead. "
        "Compute the value again (or .clone() it) instead of modifying it in place before "
        "backward."
    )


def _released_message(node: Node) -> str:
    return (
        f"Trying to backward through the graph a second time (or directly access saved tensors "
        f"after they have already been freed): {type(node).__name__}{where(node)} released its "
        "saved values after the first backward. Specify retain_graph=True in the first "
        "backward() or autograd.grad() call if you need to backward through the graph a second "
        "time."
    )


def _saved_as_tensors(node: Node, saved: tuple) -> tuple:
    """Saved values for a create_graph backward: inputs as themselves, the output as a tensor
    of this node, anything else as a constant."""
    src = node._saved_src
    res = []
    for k, s in enumerate(saved):
        if k < len(src) and src[k] is not None:
            res.append(src[k])
        elif k == node._out_saved:
            res.append(_wrap(s, node))
        elif s.__class__ is _ndarray:
            res.append(_wrap(s, None))
        else:
            res.append(s)
    return tuple(res)


# bound by chainrule.tensor, which imports this module
_Tensor: Any = None
_tensor_new: Any = None


def __getattr__(name: str) -> Any:
    # torch spells it torch.autograd.function.once_differentiable; it lives beside apply_user
    if name == "once_differentiable":
        from chainrule.autograd.custom import once_differentiable

        return once_differentiable
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
