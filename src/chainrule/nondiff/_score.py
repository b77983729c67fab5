"""Score-function (REINFORCE) estimators: surrogate losses whose gradient is an unbiased
estimate of -d E[reward] / d theta when samples are drawn from p_theta and cannot be
differentiated through (Williams 1992), with baselines for variance reduction and the DiCE
"magic box" form whose higher derivatives are correct too (Foerster et al. 2018).

Sign convention: every loss here is meant to be *minimised*; minimising it maximises the
expected reward.
"""

from __future__ import annotations

from numbers import Number
from typing import Any

import chainrule
from chainrule.tensor import Tensor

_FORMS = ("plain", "dice")
_REDUCTIONS = ("mean", "sum", "none")


def magic_box(x: Tensor) -> Tensor:
    """exp(x - x.detach()): evaluates to 1, but d magic_box(x) = magic_box(x) * dx, so every
    derivative order of magic_box(log_prob) * reward is the score-function one (DiCE)."""
    return chainrule.exp(x - x.detach())


class MovingAverageBaseline:
    """A baseline b = exponential moving average of past mean rewards (never differentiated).

    `value` is None until the first `update`, and reads as 0.0 until then; the first update
    sets it to that batch's mean reward, later ones to `decay * value + (1 - decay) * mean`.
    `reinforce_loss` reads the baseline *before* updating it with the current rewards, so the
    baseline never depends on the sample it is subtracted from and the estimate stays unbiased.
    """

    def __init__(self, decay: float = 0.9) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"MovingAverageBaseline: decay must lie in [0, 1), got {decay!r}")
        self.decay = float(decay)
        self.value: float | None = None

    def __call__(self) -> float:
        """The current baseline value (0.0 before any update)."""
        return 0.0 if self.value is None else self.value

    def update(self, reward: Tensor | float) -> float:
        """Fold the mean of `reward` (detached) into the average; return the new value."""
        r = reward.detach().mean().item() if isinstance(reward, Tensor) else float(reward)
        if self.value is None:
            self.value = r
        else:
            self.value = self.decay * self.value + (1.0 - self.decay) * r
        return self.value

    def __repr__(self) -> str:
        return f"MovingAverageBaseline(decay={self.decay}, value={self.value})"


def _reduce(x: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return x.mean()
    if reduction == "sum":
        return x.sum()
    return x


def baseline_loss(values: Tensor, reward: Tensor, reduction: str = "mean") -> Tensor:
    """Squared-error regression loss (values - reward.detach())**2 that trains a learned
    baseline (a value estimate b(x)) towards the observed rewards."""
    _check_reduction(reduction)
    return _reduce((values - _as_tensor(reward, values).detach()) ** 2, reduction)


def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _as_tensor(x: Any, like: Tensor) -> Tensor:
    return x if isinstance(x, Tensor) else chainrule.tensor(x, dtype=like.dtype)


def reinforce_loss(
    log_prob: Tensor,
    reward: Tensor | float,
    baseline: None | float | Tensor | MovingAverageBaseline = None,
    *,
    form: str = "plain",
    reduction: str = "mean",
    value_coef: float = 1.0,
) -> Tensor:
    """Surrogate loss whose gradient is the score-function estimate of -d E[reward] / d theta.

    log_prob: log p_theta(z) of the sampled z (differentiable in theta; sum event dims first).
    reward:   f(z), same shape as log_prob or broadcastable to it; always detached.
    baseline: subtracted from the reward in the policy term, always detached there:
      None                   no baseline (b = 0)
      a number               a constant b
      MovingAverageBaseline  its current value; it is then updated with these rewards
      a Tensor               per-sample values, e.g. a learned value estimate b(x); if it
                             requires grad, `value_coef * baseline_loss(b, reward)` (same
                             reduction) is added so one backward also trains b
    form:  'plain' gives -(reward - b).detach() * log_prob; 'dice' gives
           -magic_box(log_prob) * (reward - b), with the same first derivative and also
           correct higher derivatives (its forward value is -(reward - b), not a log-prob term).
    reduction: 'mean' | 'sum' | 'none' over the samples.

    Minimising the loss maximises E[reward]: the gradient of the mean over samples is the
    average of -(f(z) - b) * d log p(z) / d theta.
    """
    if form not in _FORMS:
        raise ValueError(f"reinforce_loss: form must be 'plain' or 'dice', got {form!r}")
    _check_reduction(reduction)
    reward = _as_tensor(reward, log_prob).detach().to(log_prob.dtype)
    value_term = None
    if baseline is None:
        advantage = reward
    elif isinstance(baseline, MovingAverageBaseline):
        advantage = reward - baseline()
        baseline.update(reward)
    elif isinstance(baseline, Tensor):
        advantage = reward - baseline.detach()
        if baseline.requires_grad and value_coef:
            value_term = value_coef * baseline_loss(baseline, reward, reduction)
    elif isinstance(baseline, Number):
        advantage = reward - float(baseline)
    else:
        raise TypeError(
            f"reinforce_loss: baseline must be None, a number, a Tensor or a "
            f"MovingAverageBaseline, got {type(baseline).__name__}"
        )
    if form == "plain":
        terms = -(advantage * log_prob)
    else:
        terms = -(magic_box(log_prob) * advantage)
    loss = _reduce(terms, reduction)
    return loss if value_term is None else loss + value_term
