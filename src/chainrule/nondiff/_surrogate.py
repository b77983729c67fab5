"""Surrogate gradients for the Heaviside step (spiking networks): the forward pass is the exact
step, the backward pass uses the derivative of a smooth stand-in (Neftci, Mostafa & Zenke 2019;
the formulas and default slopes follow snnTorch).

SURROGATES maps a name to (derivative(x, slope), default slope); `register_surrogate` adds one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import chainrule
from chainrule.nondiff._ste import SurrogateGrad, step
from chainrule.tensor import Tensor

SurrogateDerivative = Callable[[Tensor, float], Tensor]


def fast_sigmoid(x: Tensor, slope: float) -> Tensor:
    """1 / (1 + slope * |x|)**2  (SuperSpike; Zenke & Ganguli 2018)."""
    return 1 / (slope * x.abs() + 1) ** 2


def atan(x: Tensor, slope: float) -> Tensor:
    """(slope / 2) / (1 + (pi / 2 * slope * x)**2): the derivative of
    1/2 + arctan(pi / 2 * slope * x) / pi."""
    return (slope / 2) / ((math.pi / 2 * slope * x) ** 2 + 1)


def sigmoid(x: Tensor, slope: float) -> Tensor:
    """slope * s * (1 - s), s = sigmoid(slope * x): derivative of sigmoid(slope * x)."""
    s = chainrule.sigmoid(slope * x)
    return slope * s * (1 - s)


def triangular(x: Tensor, slope: float) -> Tensor:
    """slope * max(0, 1 - slope * |x|): a triangle of half-width 1/slope and unit area
    (Bellec et al. 2018 with its height tied to its width)."""
    return slope * (1 - slope * x.abs()).clamp(min=0)


def straight_through(x: Tensor, slope: float) -> Tensor:
    """1 where slope * |x| <= 1, else 0; slope = 0 (the default) is the plain identity."""
    return (slope * x.abs() <= 1).to(x.dtype)


SURROGATES: dict[str, tuple[SurrogateDerivative, float]] = {
    "fast_sigmoid": (fast_sigmoid, 25.0),
    "atan": (atan, 2.0),
    "sigmoid": (sigmoid, 25.0),
    "triangular": (triangular, 1.0),
    "straight_through": (straight_through, 0.0),
}


def register_surrogate(name: str, derivative: SurrogateDerivative, slope: float) -> None:
    """Add a surrogate: `derivative(x, slope)` in chainrule ops, and its default slope."""
    SURROGATES[name] = (derivative, float(slope))


def heaviside(
    input: Tensor,
    surrogate: str | SurrogateDerivative = "fast_sigmoid",
    slope: float | None = None,
    *,
    values: Any = 0.0,
) -> Tensor:
    """The step 1[x > 0] (`values` at x == 0, default 0 as snnTorch's spike), whose gradient is
    the surrogate's derivative at x: a name in SURROGATES or a callable derivative(x, slope).

    slope: the surrogate's sharpness (None: its default). Derivatives (s = slope):
      fast_sigmoid      1 / (1 + s|x|)^2                       (default s = 25)
      atan              (s/2) / (1 + (pi s x / 2)^2)           (default s = 2)
      sigmoid           s * sigmoid(s x) * (1 - sigmoid(s x))  (default s = 25)
      triangular        s * max(0, 1 - s|x|)                   (default s = 1)
      straight_through  1[s|x| <= 1]                           (default s = 0: identity)
    """
    if callable(surrogate):
        derivative, default = surrogate, 1.0
    elif surrogate in SURROGATES:
        derivative, default = SURROGATES[surrogate]
    else:
        raise ValueError(
            f"heaviside: unknown surrogate {surrogate!r}; expected a callable or one of "
            f"{sorted(SURROGATES)}"
        )
    s = default if slope is None else float(slope)
    return SurrogateGrad.apply(input, lambda x: step(x, values), lambda x: derivative(x, s))
