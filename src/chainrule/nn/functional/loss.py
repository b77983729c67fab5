"""torch.nn.functional: losses.

nll_loss is a primitive: cross-entropy is two nodes (log_softmax, nll_loss) instead of the
eight that the composite `x - logsumexp(x)` then indexing would record.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.nn.functional.activation import log_softmax
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive
from chainrule.tensor import Tensor

__all__ = ["nll_loss", "cross_entropy"]

_REDUCTIONS = ("none", "mean", "sum")


class NllLoss(Primitive):
    """out = -logp[i, target[i]], reduced;  d out/d logp = -1 (/ N for the mean) at the targets"""

    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, logp, target, reduction):
        n, c = logp.shape
        if target.shape != (n,):
            raise ValueError(
                f"Expected target of shape ({n},) for input of shape {list(logp.shape)}, got "
                f"{list(target.shape)}"
            )
        if target.dtype.kind not in "iu":
            raise RuntimeError(
                f"expected scalar type Long for the class-index target but found {target.dtype}"
            )
        if n and (target.min() < 0 or target.max() >= c):
            bad = target[(target < 0) | (target >= c)][0]
            raise IndexError(f"Target {bad} is out of bounds.")
        rows = np.arange(n)
        picked = logp[rows, target]
        ctx.index, ctx.shape, ctx.reduction = (rows, target), logp.shape, reduction
        if reduction == "none":
            return -picked
        total = -picked.sum()
        return total / n if reduction == "mean" else total

    @staticmethod
    def backward(ctx, g):
        n = ctx.shape[0]
        if ctx.reduction == "none":
            coef = -g
        else:
            coef = d.expand(d.reshape(-g / n if ctx.reduction == "mean" else -g, (1,)), (n,))
        return d.index_add_into(ctx.shape, ctx.index, coef, False)


def _not_yet(**given: Any) -> None:
    for name, value in given.items():
        if value is not None and value is not False and value != -100 and value != 0.0:
            raise NotImplementedError(
                f"{name}= arrives with the operator-surface work (issue 3); chainrule's "
                "cross_entropy/nll_loss take class-index targets and a reduction for now"
            )


def nll_loss(input: Tensor, target: Tensor, weight: Any = None, size_average: Any = None,
             ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class-index targets, from log-probabilities (N, C)."""
    _not_yet(weight=weight, size_average=size_average, reduce=reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if input.data.ndim != 2:
        raise ValueError(
            f"nll_loss takes input of shape (N, C) for now; got {list(input.data.shape)}"
        )
    target = target.data if isinstance(target, Tensor) else np.asarray(target)
    return NllLoss.apply(input, target=target, reduction=reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Any = None, size_average: Any = None,
                  ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits (N, C) against class indices (N,)."""
    _not_yet(weight=weight, size_average=size_average, reduce=reduce,
             label_smoothing=label_smoothing)
    return nll_loss(log_softmax(input, 1), target, reduction=reduction)
