"""Hook bookkeeping for Module: removable handles over ordered dicts, and the full backward
hook (identity Functions around a module's inputs and outputs, as torch's BackwardHook)."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any

from chainrule.autograd.function import Function
from chainrule.autograd.grad_mode import state as _grad_state
from chainrule.tensor import Tensor


class RemovableHandle:
    """Returned by a Module's `register_*_hook`; `remove()` unregisters the hook."""

    _next_id = itertools.count()

    def __init__(self, hooks_dict: OrderedDict, *extra_dicts: dict) -> None:
        self.hooks_dict_ref = hooks_dict
        self.id = next(RemovableHandle._next_id)
        self.extra_dicts = extra_dicts

    def remove(self) -> None:
        for d in (self.hooks_dict_ref, *self.extra_dicts):
            if self.id in d:
                del d[self.id]

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def add_hook(hooks: OrderedDict, hook: Any, prepend: bool, *extra: dict) -> RemovableHandle:
    """Put `hook` in `hooks` (first when prepend) under a fresh handle's id."""
    handle = RemovableHandle(hooks, *extra)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


class BackwardHookFunction(Function):
    """Identity on tensors; its backward node is where the module's backward hooks attach."""

    @staticmethod
    def forward(ctx: Any, *args: Tensor) -> Any:
        outs = [a.detach() for a in args]
        ctx.mark_non_differentiable(*[o for o, a in zip(outs, args) if not a.requires_grad])
        # one output is returned bare: the engine keeps a 1-tuple's shapes as a tuple of shapes
        return outs[0] if len(outs) == 1 else tuple(outs)

    @staticmethod
    def backward(ctx: Any, *grads: Any) -> tuple:
        return grads


class BackwardHook:
    """Calls `hook(module, grad_input, grad_output)` once the gradients of the module's inputs
    are known (grad_input has None at non-Tensor positions and for inputs needing no grad)."""

    def __init__(self, module: Any, user_hooks: list) -> None:
        self.module = module
        self.user_hooks = user_hooks
        self.grad_outputs: tuple | None = None
        self.n_outputs = -1
        self.output_tensors_index: list | None = None
        self.n_inputs = -1
        self.input_tensors_index: list | None = None

    @staticmethod
    def _pack_with_none(indices: list, values: tuple, size: int) -> tuple:
        res = [None] * size
        for idx, val in zip(indices, values):
            res[idx] = val
        return tuple(res)

    def _apply(self, args: Any) -> tuple[Any, list | None, int, Any]:
        """Route the Tensors of `args` (a Tensor or a tuple) through BackwardHookFunction."""
        single = isinstance(args, Tensor)
        items = (args,) if single else tuple(args)
        idx = [i for i, a in enumerate(items) if isinstance(a, Tensor)]
        tensors = [items[i] for i in idx]
        if not (_grad_state.enabled and any(t.requires_grad for t in tensors)):
            return args, None, len(items), None
        new = BackwardHookFunction.apply(*tensors)
        if isinstance(new, Tensor):
            new = (new,)
        fn = next((t.grad_fn for t in new if t.grad_fn is not None), None)
        out = list(items)
        for i, t in zip(idx, new):
            out[i] = t
        return (out[0] if single else tuple(out)), idx, len(items), fn

    def setup_input_hook(self, args: tuple) -> tuple:
        new, self.input_tensors_index, self.n_inputs, fn = self._apply(args)
        if fn is not None:
            fn.register_hook(self._input_hook)
        return new

    def _input_hook(self, grad_input: tuple, _grad_output: tuple) -> tuple | None:
        if self.grad_outputs is None:
            return None
        res = self._pack_with_none(self.input_tensors_index, grad_input, self.n_inputs)
        for hook in self.user_hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if len(out) != len(res):
                raise RuntimeError(
                    "Backward hook returned an invalid number of grad_input, "
                    f"got {len(out)}, but expected {len(res)}"
                )
            res = out
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_tensors_index)

    def setup_output_hook(self, result: Any) -> Any:
        new, self.output_tensors_index, self.n_outputs, fn = self._apply(result)
        if fn is not None:
            fn.register_prehook(self._output_hook)
        return new

    def _output_hook(self, grad_output: tuple) -> None:
        self.grad_outputs = self._pack_with_none(
            self.output_tensors_index, grad_output, self.n_outputs
        )
        if self.input_tensors_index is None:
            grad_inputs = (None,) * self.n_inputs
            for hook in self.user_hooks:
                res = hook(self.module, grad_inputs, self.grad_outputs)
                if res is not None and not (
                    isinstance(res, tuple) and all(el is None for el in res)
                ):
                    raise RuntimeError(
                        "Backward hook for Modules where no input requires "
                        "gradient should always return None or None for all gradients."
                    )
            self.grad_outputs = None
