"""Thread-local switches for graph recording: no_grad, enable_grad, set_grad_enabled,
inference_mode."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    enabled = True
    inference = False
    create_graph = False  # set by the engine while a create_graph backward runs


state = _State()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _Mode:
    """Base for the switches: a context manager that also decorates functions (as torch's)."""

    def _enter(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> None:
        self._prev = (state.enabled, state.inference)
        self._enter()

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.inference = self._prev

    def clone(self) -> _Mode:
        return self.__class__()

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_Mode):  # noqa: N801
    """Within this block (or decorated function), results never require grad."""

    def _enter(self) -> None:
        state.enabled = False


class enable_grad(_Mode):  # noqa: N801
    """Switch recording back on inside a `no_grad` block."""

    def _enter(self) -> None:
        state.enabled = True


class set_grad_enabled(_Mode):  # noqa: N801
    """Switch recording on or off; takes effect at once, as in torch, and also as a context."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev = (state.enabled, state.inference)
        state.enabled = self.mode

    def _enter(self) -> None:
        state.enabled = self.mode

    def __enter__(self) -> None:
        # the constructor already switched; keep the state from before construction
        state.enabled = self.mode

    def clone(self) -> set_grad_enabled:
        obj = set_grad_enabled.__new__(set_grad_enabled)
        obj.mode = self.mode
        return obj

    def __call__(self, fn: F) -> F:
        state.enabled, state.inference = self._prev  # as decorator, do not switch at import
        return super().__call__(fn)


class inference_mode(_Mode):  # noqa: N801
    """Like `no_grad`; tensors made inside are marked as inference tensors (`is_inference()`)."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def _enter(self) -> None:
        if self.mode:
            state.enabled = False
            state.inference = True
        else:
            state.inference = False

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)
