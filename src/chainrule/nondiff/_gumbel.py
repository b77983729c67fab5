"""Reparameterised relaxations of discrete samples: Gumbel-softmax (concrete) and binary
concrete, with straight-through hard samples. Noise comes from chainrule's generator, or is
passed in (`noise=`) for reproducibility and tests."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

import chainrule
from chainrule.ops.creation import Generator, _gen
from chainrule.tensor import Tensor


def _noise(logits: Tensor, noise: Any, kind: str, generator: Generator | None) -> Tensor:
    """Standard Gumbel or logistic noise of logits' shape and dtype (or `noise` checked)."""
    if noise is not None:
        noise = noise if isinstance(noise, Tensor) else chainrule.tensor(noise)
        if tuple(noise.shape) != tuple(logits.shape):
            raise RuntimeError(
                f"{kind} noise of shape {tuple(noise.shape)} does not match logits of shape "
                f"{tuple(logits.shape)}"
            )
        return noise.detach().to(logits.dtype)
    rng = _gen(generator)
    if kind == "gumbel":  # -log(E), E ~ Exp(1), as torch
        arr = -np.log(rng.standard_exponential(tuple(logits.shape)))
    else:  # log(u) - log(1 - u), u clamped away from 0 and 1 as torch.distributions
        tiny = np.finfo(logits.data.dtype).eps
        u = np.clip(rng.random(tuple(logits.shape)), tiny, 1 - tiny)
        arr = np.log(u) - np.log1p(-u)
    return chainrule.from_numpy(arr.astype(logits.data.dtype))


def gumbel_softmax(
    logits: Tensor,
    tau: float = 1,
    hard: bool = False,
    eps: float = 1e-10,
    dim: int = -1,
    *,
    generator: Generator | None = None,
    noise: Tensor | None = None,
) -> Tensor:
    """softmax((logits + g) / tau, dim), g ~ Gumbel(0, 1); with hard=True the one-hot of its
    argmax, whose gradient is the soft sample's (y_hard - y_soft.detach() + y_soft), as
    torch.nn.functional.gumbel_softmax. `eps` is unused (deprecated in torch too); `noise`
    supplies g."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    g = _noise(logits, noise, "gumbel", generator)
    y_soft = chainrule.softmax((logits + g) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.argmax(dim, keepdim=True)
    y_hard = chainrule.zeros_like(logits).scatter(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def relaxed_bernoulli(
    logits: Tensor,
    tau: float = 1.0,
    hard: bool = False,
    *,
    generator: Generator | None = None,
    noise: Tensor | None = None,
) -> Tensor:
    """Binary concrete sample sigmoid((logits + l) / tau), l ~ Logistic(0, 1) (Maddison et al.
    2017; torch.distributions.RelaxedBernoulli.rsample); with hard=True 1[y > 0.5] forward and
    the soft sample's gradient. `noise` supplies l."""
    ell = _noise(logits, noise, "logistic", generator)
    y_soft = chainrule.sigmoid((logits + ell) / tau)
    if not hard:
        return y_soft
    y_hard = (y_soft.detach() > 0.5).to(y_soft.dtype)
    return y_hard - y_soft.detach() + y_soft
