"""The concrete (Gumbel-softmax) relaxations, as torch.distributions: LogitRelaxedBernoulli and
ExpRelaxedCategorical, and RelaxedBernoulli / RelaxedOneHotCategorical, which torch builds as
their sigmoid / exp transforms; here the transform is written out, with the same values."""

from __future__ import annotations

import math
from numbers import Number
from typing import Any

import numpy as np

from chainrule.distributions import constraints
from chainrule.distributions._probs_logits import ProbsLogits
from chainrule.distributions.categorical import CategoricalParams
from chainrule.distributions.distribution import (
    Distribution,
    broadcast_all,
    clamp_probs,
    new_tensor,
    rng,
)
from chainrule.nn.functional import softplus
from chainrule.ops.erf_gamma import lgamma
from chainrule.tensor import Size, Tensor

__all__ = [
    "ExpRelaxedCategorical",
    "LogitRelaxedBernoulli",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
]


def _log(t: Any) -> Any:
    return math.log(t) if isinstance(t, Number) else t.log()


def _uniforms(shape: Size, like: Tensor) -> Tensor:
    return clamp_probs(new_tensor(rng().random(tuple(shape)), like))


class LogitRelaxedBernoulli(ProbsLogits, Distribution):
    """The logit of a RelaxedBernoulli sample: (logit(u) + logits) / temperature."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    def __init__(
        self,
        temperature: Tensor,
        probs: Tensor | float | None = None,
        logits: Tensor | float | None = None,
        validate_args: bool | None = None,
    ) -> None:
        self.temperature = temperature
        batch_shape = self._set_binary_param(probs, logits)
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> LogitRelaxedBernoulli:
        new = self._get_checked_instance(LogitRelaxedBernoulli, _instance)
        batch_shape = Size(batch_shape)
        new.temperature = self.temperature
        self._expand_param(new, batch_shape)
        return self._finish_expand(new, LogitRelaxedBernoulli, batch_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        probs = clamp_probs(self.probs.expand(shape))
        u = _uniforms(shape, probs)
        return (u.log() - (-u).log1p() + probs.log() - (-probs).log1p()) / self.temperature

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        diff = logits - value * self.temperature
        return _log(self.temperature) + diff - 2 * diff.exp().log1p()


class ExpRelaxedCategorical(CategoricalParams, Distribution):
    """The log of a RelaxedOneHotCategorical sample: log_softmax((logits + gumbel) / T)."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector
    has_rsample = True

    def __init__(
        self,
        temperature: Tensor,
        probs: Tensor | None = None,
        logits: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        batch_shape, event_shape = self._set_categorical(probs, logits)
        self.temperature = temperature
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> ExpRelaxedCategorical:
        new = self._get_checked_instance(ExpRelaxedCategorical, _instance)
        batch_shape = Size(batch_shape)
        new.temperature = self.temperature
        new._categorical = self._categorical.expand(batch_shape)
        return self._finish_expand(new, ExpRelaxedCategorical, batch_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        gumbels = -((-(_uniforms(shape, self.logits).log())).log())
        scores = (self.logits + gumbels) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value: Tensor) -> Tensor:
        k = self._categorical._num_events
        if self._validate_args:
            self._validate_sample(value)
        logits, value = broadcast_all(self.logits, value)
        temp = self.temperature
        log_k = lgamma(new_tensor(np.full(np.shape(temp.data), float(k)), temp))
        log_scale = log_k - _log(temp) * (-(k - 1))
        score = logits - value * temp
        score = (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1)
        return score + log_scale


class _Transformed(Distribution):
    """A base distribution pushed through an elementwise bijection (torch's
    TransformedDistribution, for one transform that keeps shapes)."""

    has_rsample = True
    base_dist: Distribution

    def _setup(self, base: Distribution, validate_args: bool | None) -> None:
        self.base_dist = base
        super().__init__(base.batch_shape, base.event_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> _Transformed:
        new = self._get_checked_instance(type(self), _instance)
        batch_shape = Size(batch_shape)
        new.base_dist = self.base_dist.expand(batch_shape)
        return self._finish_expand(new, _Transformed, batch_shape)

    def _call(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def _inverse(self, y: Tensor) -> Tensor:
        raise NotImplementedError

    def _log_abs_det_jacobian(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return self._call(self.base_dist.sample(sample_shape))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self._call(self.base_dist.rsample(sample_shape))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        x = self._inverse(value)
        ladj = self._log_abs_det_jacobian(x)
        if len(self.event_shape):
            ladj = ladj.sum(-1)
        return -ladj + self.base_dist.log_prob(x)

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RelaxedBernoulli(_Transformed):
    """sigmoid of a LogitRelaxedBernoulli sample: a value in (0, 1) near 0 or 1 for small T."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval

    def __init__(
        self,
        temperature: Tensor,
        probs: Tensor | float | None = None,
        logits: Tensor | float | None = None,
        validate_args: bool | None = None,
    ) -> None:
        # as torch: the base distribution validates with the default, not `validate_args`
        self._setup(LogitRelaxedBernoulli(temperature, probs, logits), validate_args)

    def _call(self, x: Tensor) -> Tensor:
        fi = np.finfo(x.data.dtype)
        return x.sigmoid().clamp(min=float(fi.tiny), max=1.0 - float(fi.eps))

    def _inverse(self, y: Tensor) -> Tensor:
        fi = np.finfo(y.data.dtype)
        y = y.clamp(min=float(fi.tiny), max=1.0 - float(fi.eps))
        return y.log() - (-y).log1p()

    def _log_abs_det_jacobian(self, x: Tensor) -> Tensor:
        return -softplus(-x) - softplus(x)


class RelaxedOneHotCategorical(_Transformed):
    """exp of an ExpRelaxedCategorical sample: a point of the simplex near a vertex for small T."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex

    def __init__(
        self,
        temperature: Tensor,
        probs: Tensor | None = None,
        logits: Tensor | None = None,
        validate_args: bool | None = None,
    ) -> None:
        base = ExpRelaxedCategorical(temperature, probs, logits, validate_args=validate_args)
        self._setup(base, validate_args)

    def _call(self, x: Tensor) -> Tensor:
        return x.exp()

    def _inverse(self, y: Tensor) -> Tensor:
        return y.log()

    def _log_abs_det_jacobian(self, x: Tensor) -> Tensor:
        return x
