"""Thread-local switches for graph recording: no_grad, enable_grad, set_grad_enabled,
inference_mode."""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    enabled = True
    inference = False
    create_graph = False  # set by the engine while a create_graph backward runs
    saved_hooks: tuple = ()  # (pack, unpack) pairs of autograd.graph.saved_tensors_hooks
    inputs_given = False  # the running backward is grad() or backward(inputs=...)


state = _State()


class _Forward:
    """Forward-mode AD: the innermost active dual level (0: none). Global, as torch's levels."""

    level = 0
    backward_ran = False  # set by the engine when a backward runs while a level is active


forward_state = _Forward()


class _Anomaly:
    """Anomaly detection (autograd.detect_anomaly): global, as torch's. `record(node)` is set
    by anomaly_mode.py, which is imported whenever the mode is switched on."""

    enabled = False
    check_nan = True
    current = None  # the node whose backward is running, for error reports
    record: Callable[[Any], None] = staticmethod(lambda node: None)


anomaly_state = _Anomaly()


def is_grad_enabled() -> bool:
    """True when operations on tensors that require grad are being recorded."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    return state.inference


class _Mode:
    """Base for the switches: a context manager that also decorates functions and generator
    functions (each step of the generator runs under the mode), with or without parentheses."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is not set_grad_enabled and len(args) == 1 and callable(args[0]) and not kwargs:
            return cls()(args[0])  # @no_grad without parentheses
        return super().__new__(cls)

    def _apply(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> None:
        self._prev = (state.enabled, state.inference)
        self._apply()

    def __exit__(self, *exc: object) -> None:
        state.enabled, state.inference = self._prev

    def clone(self) -> _Mode:
        return self.__class__()

    def __call__(self, fn: F) -> F:
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def _wrap_generator(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            gen = fn(*args, **kwargs)
            try:
                with self.clone():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with self.clone():
                            gen.close()
                        raise
                    except BaseException as e:
                        with self.clone():
                            response = gen.throw(e)
                    else:
                        with self.clone():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value

        return wrapper  # type: ignore[return-value]


class no_grad(_Mode):  # noqa: N801
    """Within this block (or decorated function), results never require grad."""

    def _apply(self) -> None:
        state.enabled = False


class enable_grad(_Mode):  # noqa: N801
    """Switch recording back on inside a `no_grad` block."""

    def _apply(self) -> None:
        state.enabled = True


class set_grad_enabled(_Mode):  # noqa: N801
    """Switch recording on or off. Like torch's, calling it switches at once (so it also works
    as a plain call); as a context manager the previous state comes back on exit."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._before = (state.enabled, state.inference)
        state.enabled = self.mode

    def _apply(self) -> None:
        state.enabled = self.mode

    def __enter__(self) -> None:
        before = self.__dict__.pop("_before", None)
        self._prev = before if before is not None else (state.enabled, state.inference)
        self._apply()

    def clone(self) -> set_grad_enabled:
        obj = object.__new__(set_grad_enabled)
        obj.mode = self.mode
        return obj

    def __call__(self, fn: F) -> F:
        before = self.__dict__.pop("_before", None)
        if before is not None:  # used as a decorator: undo the switch made at construction
            state.enabled, state.inference = before
        return super().__call__(fn)


class inference_mode(_Mode):  # noqa: N801
    """Like `no_grad` (faster in torch; the same here); `inference_mode(False)` turns
    recording back on, as torch's does."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def _apply(self) -> None:
        state.enabled = not self.mode
        state.inference = self.mode

    def clone(self) -> inference_mode:
        return inference_mode(self.mode)
