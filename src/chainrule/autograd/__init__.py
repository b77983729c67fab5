"""torch.autograd: backward, grad, Function, grad modes and gradient checking."""

from __future__ import annotations

from typing import Any

from chainrule.autograd.anomaly_mode import detect_anomaly, set_detect_anomaly
from chainrule.autograd.conventions import conventions
from chainrule.autograd.custom import once_differentiable
from chainrule.autograd.function import Function
from chainrule.autograd.grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from chainrule.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from chainrule.autograd.numerical import (
    ApproximateGradientWarning,
    NumericalFunction,
    numerical_function,
)

__all__ = [
    "ApproximateGradientWarning",
    "NumericalFunction",
    "Function",
    "backward",
    "detect_anomaly",
    "set_detect_anomaly",
    "conventions",
    "enable_grad",
    "explain",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "inference_mode",
    "is_grad_enabled",
    "no_grad",
    "numerical_function",
    "once_differentiable",
    "set_grad_enabled",
]

_LAZY = {
    "backward": "chainrule.autograd.engine",
    "grad": "chainrule.autograd.engine",
    "explain": "chainrule.diagnostics.explain",  # backward that prints how each gradient arises
}


_SUBMODULES = ("functional", "forward_ad", "graph")


def __getattr__(name: str) -> Any:
    # the engine sits above the Tensor it walks; importing it lazily keeps the import graph acyclic
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"chainrule.autograd.{name}")
    raise AttributeError(f"module 'chainrule.autograd' has no attribute {name!r}")
