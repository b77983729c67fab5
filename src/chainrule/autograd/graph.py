"""torch.autograd.graph: the Node type, and hooks on the tensors saved for backward."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule.autograd.function import Node
from chainrule.autograd.grad_mode import state as _state

__all__ = ["Node", "saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]


class saved_tensors_hooks:  # noqa: N801 - torch's name
    """Within this block, every tensor an op saves for backward is passed to `pack_hook`, and
    what it returns is kept instead; backward gets `unpack_hook(packed)` back.

    `pack_hook(tensor) -> Any` and `unpack_hook(packed) -> Tensor`; unpack must return a tensor
    with the saved tensor's values. Use it to offload, compress or log what the graph keeps.
    """

    def __init__(self, pack_hook: Callable[[Any], Any], unpack_hook: Callable[[Any], Any]):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        if _state.__dict__.get("hooks_disabled"):
            raise RuntimeError(_state.hooks_disabled)
        self._prev = _state.saved_hooks
        _state.saved_hooks = (*self._prev, (self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc: object) -> None:
        _state.saved_hooks = self._prev


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - torch's name
    """torch offloads saved tensors to CPU memory; chainrule's tensors always are there, so the
    hooks are the identity (kept so torch code runs unchanged)."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        super().__init__(lambda t: t, lambda t: t)


class disable_saved_tensors_hooks:  # noqa: N801 - torch's name
    """Within this block, entering saved_tensors_hooks raises RuntimeError(error_message)."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> None:
        self._prev = _state.__dict__.get("hooks_disabled")
        _state.hooks_disabled = self.error_message

    def __exit__(self, *exc: object) -> None:
        _state.hooks_disabled = self._prev
