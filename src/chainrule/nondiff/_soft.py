"""Smooth approximations of kinked and piecewise-constant functions. Each takes a temperature
tau > 0 and tends to the hard function as tau -> 0; all are compositions of chainrule ops, so
they differentiate to any order."""

from __future__ import annotations

import math

import chainrule
from chainrule.tensor import Tensor


def _check(temperature: float, name: str) -> float:
    t = float(temperature)
    if not t > 0:
        raise ValueError(f"{name}: temperature must be positive, got {temperature!r}")
    return t


def soft_relu(input: Tensor, temperature: float = 1.0, threshold: float = 20.0) -> Tensor:
    """tau * log(1 + exp(x / tau)): F.softplus(x, beta=1/tau, threshold); within tau log 2."""
    from chainrule.nn.functional import softplus  # late: nn.functional may import nondiff

    t = _check(temperature, "soft_relu")
    return softplus(input, beta=1 / t, threshold=threshold)


def soft_abs(input: Tensor, temperature: float = 1.0) -> Tensor:
    """sqrt(x**2 + tau**2) - tau: 0 at 0, and within tau of |x| everywhere."""
    t = _check(temperature, "soft_abs")
    return (input * input + t * t).sqrt() - t


def soft_sign(input: Tensor, temperature: float = 1.0) -> Tensor:
    """tanh(x / tau): 0 at 0 (as torch.sign)."""
    t = _check(temperature, "soft_sign")
    return chainrule.tanh(input / t)


def soft_max(
    input: Tensor, temperature: float = 1.0, dim: int = -1, keepdim: bool = False
) -> Tensor:
    """tau * logsumexp(x / tau, dim): within tau * log(n) above max(x, dim)."""
    t = _check(temperature, "soft_max")
    return chainrule.logsumexp(input / t, dim, keepdim=keepdim) * t


def soft_min(
    input: Tensor, temperature: float = 1.0, dim: int = -1, keepdim: bool = False
) -> Tensor:
    """-tau * logsumexp(-x / tau, dim): within tau * log(n) below min(x, dim)."""
    return -soft_max(-input, temperature, dim, keepdim)


def soft_argmax(
    input: Tensor, temperature: float = 1.0, dim: int = -1, keepdim: bool = False
) -> Tensor:
    """sum_i i * softmax(x / tau, dim)_i: the expected index, -> argmax (the mean index of tied
    maxima, where torch.argmax takes the first)."""
    t = _check(temperature, "soft_argmax")
    p = chainrule.softmax(input / t, dim)
    n = input.shape[dim]
    shape = [1] * input.dim()
    shape[dim] = n
    idx = chainrule.arange(n, dtype=input.dtype).reshape(shape)
    return (p * idx).sum(dim=dim, keepdim=keepdim)


def soft_clamp(
    input: Tensor, temperature: float = 1.0, *, min: float | None = None, max: float | None = None
) -> Tensor:
    """clamp(x, min, max) with soft corners: min + soft_relu(x - min), then
    max - soft_relu(max - .); within tau log 2 of the clamp per bound."""
    t = _check(temperature, "soft_clamp")
    if min is not None and max is not None and min > max:
        raise ValueError(f"soft_clamp: min ({min}) must not exceed max ({max})")
    out = input
    if min is not None:
        out = soft_relu(out - min, t) + min
    if max is not None:
        out = max - soft_relu(max - out, t)
    return out


def soft_round(input: Tensor, temperature: float = 1.0) -> Tensor:
    """floor(x) + 1/2 + tanh(r / tau) / (2 tanh(1 / (2 tau))), r = x - floor(x) - 1/2
    (Agustsson & Theis 2020, alpha = 1/tau): -> round(x) as tau -> 0 (the midpoint at
    half-integers), -> x as tau -> inf; smooth, and exact at the integers."""
    t = _check(temperature, "soft_round")
    m = chainrule.floor(input).detach()
    r = input - m - 0.5
    return m + 0.5 + chainrule.tanh(r / t) / (2 * math.tanh(0.5 / t))
