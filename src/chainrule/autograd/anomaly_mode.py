"""Anomaly detection: find the operation whose backward produced NaN (or inf), and the line of
user code that ran it forward.

With the mode on, every node records the forward stack when it is created, and checks its
gradients after its backward: NaN -- as torch -- and also inf, which torch lets through. The
error names the node and shows where it was created. It slows everything down; turn it on to
debug only.
"""

from __future__ import annotations

import functools
import traceback
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule.autograd.function import _internal
from chainrule.autograd.grad_mode import anomaly_state as _state

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]  # fmt: skip


def is_anomaly_enabled() -> bool:
    return _state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _state.check_nan


class detect_anomaly:  # noqa: N801 - torch's name
    """Context manager (or decorator) turning anomaly detection on for its block."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self) -> None:
        self._prev = (_state.enabled, _state.check_nan)
        _state.enabled, _state.check_nan = True, self.check_nan

    def __exit__(self, *exc: object) -> None:
        _state.enabled, _state.check_nan = self._prev

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class set_detect_anomaly:  # noqa: N801 - torch's name
    """Turn anomaly detection on or off now; as a context manager, restore it on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._prev = (_state.enabled, _state.check_nan)
        _state.enabled, _state.check_nan = bool(mode), check_nan

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _state.enabled, _state.check_nan = self._prev


def _user_stack() -> list[str]:
    """The forward stack without chainrule's own frames."""
    frames = [f for f in traceback.extract_stack()[:-1] if not _internal[f.filename]]
    return traceback.format_list(frames)


def _record(node: Any) -> None:
    node.__dict__["_trace"] = _user_stack()
    node.register_prehook(functools.partial(_enter, node))
    node.register_hook(functools.partial(_check, node))


def _enter(node: Any, grad_outputs: tuple) -> None:
    _state.current = node


def _trace_of(node: Any) -> str:
    trace = "".join(node.__dict__.get("_trace", ()))
    return f"Traceback of forward call that caused the error:\n{trace}"


def _check(node: Any, grad_inputs: tuple, grad_outputs: tuple) -> None:
    _state.current = None
    if not _state.check_nan:
        return
    name = type(node).__name__
    for i, g in enumerate(grad_inputs):
        if g is None or g.data.dtype.kind != "f":
            continue
        for bad, test in (("nan", np.isnan), ("inf", np.isinf)):
            if test(g.data).any():
                raise RuntimeError(
                    f"Function '{name}' returned {bad} values in its {i}th output.\n"
                    + _trace_of(node)
                )


def report_failure() -> None:
    """An exception escaped a backward under anomaly mode: show where its node was made."""
    node, _state.current = _state.current, None
    if node is not None:
        warnings.warn(
            f"Error detected in {type(node).__name__}. {_trace_of(node)}", stacklevel=3
        )


_state.record = _record
