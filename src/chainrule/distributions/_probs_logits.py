"""The probs=|logits= parameterisation shared by the Bernoulli and categorical families: one
is stored, the other derived lazily."""

from __future__ import annotations

from numbers import Number
from typing import Any

from chainrule.distributions.distribution import (
    broadcast_all,
    lazy_property,
    logits_to_probs,
    probs_to_logits,
)
from chainrule.tensor import Size, Tensor


def one_of(probs: Any, logits: Any) -> None:
    """torch's ValueError unless exactly one of probs and logits is given."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")


class ProbsLogits:
    """Mixin: `probs` or `logits` as given (kept in `_param`), the other computed on first use;
    `_is_binary` picks sigmoid / log-odds over softmax / log-probabilities."""

    _is_binary: bool = True
    _param: Tensor

    def _set_binary_param(self, probs: Any, logits: Any) -> Size:
        """Store whichever of probs and logits is given, as a tensor; return the batch shape."""
        one_of(probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
        else:
            (self.logits,) = broadcast_all(logits)
        given = probs if probs is not None else logits
        self._param = self.probs if probs is not None else self.logits
        return Size() if isinstance(given, Number) else self._param.size()

    def _expand_param(self, new: Any, shape: Any) -> None:
        """Give `new` this instance's stored probs or logits, expanded to `shape`."""
        for name in ("probs", "logits"):
            if name in self.__dict__:
                setattr(new, name, getattr(self, name).expand(shape))
                new._param = getattr(new, name)

    @lazy_property
    def logits(self) -> Tensor:
        """Log-odds (binary) or normalised log-probabilities."""
        return probs_to_logits(self.probs, is_binary=self._is_binary)

    @lazy_property
    def probs(self) -> Tensor:
        """Probabilities."""
        return logits_to_probs(self.logits, is_binary=self._is_binary)

    @property
    def param_shape(self) -> Size:
        return self._param.size()
