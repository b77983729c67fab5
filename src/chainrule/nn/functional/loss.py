"""torch.nn.functional: losses.

nll_loss is a primitive: cross-entropy is two nodes (log_softmax, nll_loss) instead of the
eight that the composite `x - logsumexp(x)` then indexing would record. The other losses live
in _loss_regression.py and _loss_probabilistic.py and are exported from here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._dtype import kernel_error
from chainrule.nn.functional._loss_common import (
    DivScalar,
    data,
    legacy_reduction,
    no_grad_arg,
    scalar_type,
)
from chainrule.nn.functional._loss_probabilistic import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    gaussian_nll_loss,
    kl_div,
    poisson_nll_loss,
)
from chainrule.nn.functional._loss_regression import (
    cosine_embedding_loss,
    hinge_embedding_loss,
    huber_loss,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
)
from chainrule.nn.functional.activation import log_softmax
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive
from chainrule.ops.arithmetic import where
from chainrule.tensor import Tensor

__all__ = [
    "nll_loss",
    "cross_entropy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "kl_div",
    "poisson_nll_loss",
    "gaussian_nll_loss",
    "mse_loss",
    "l1_loss",
    "smooth_l1_loss",
    "huber_loss",
    "soft_margin_loss",
    "margin_ranking_loss",
    "hinge_embedding_loss",
    "cosine_embedding_loss",
    "triplet_margin_loss",
]


class NllLoss(Primitive):
    """out = -w[t] * logp[n, t, ...] (0 where t is ignored), reduced: the mean divides by the sum
    of the targets' weights;  d out / d logp = -w[t] (/ sum of w[t]) at the targets, else 0"""

    node_name = "NllLossBackward0"

    @staticmethod
    def forward(ctx, logp, index, weights, valid, total, reduction):
        # index: where each target's log-probability sits; weights: w[t] per target, 0 where
        # ignored (None: all ones); valid: False where ignored (None: none is)
        picked = logp[index]
        if weights is None:
            loss = -picked
        else:
            with np.errstate(invalid="ignore"):
                loss = -(picked * weights)
        if valid is not None:
            loss = np.where(valid, loss, 0)  # 0, not NaN, where an ignored logp is -inf
        ctx.index, ctx.shape, ctx.weights, ctx.valid = index, logp.shape, weights, valid
        ctx.total, ctx.reduction, ctx.tshape = total, reduction, picked.shape
        if reduction == "none":
            return loss
        if reduction == "sum" or total:
            return loss.sum() if reduction == "sum" else loss.sum() / total
        return np.array(np.nan, loss.dtype)  # all ignored, or no targets: 0 / 0, as torch

    @staticmethod
    def backward(ctx, g):
        if ctx.reduction == "none":
            coef = -g
        else:
            # no total weight: nothing to differentiate but weights of 0 (torch: 0 * inf)
            scale = -g if ctx.reduction == "sum" else -g / (ctx.total or np.nan)
            coef = d.expand(d.reshape(scale, (1,) * len(ctx.tshape)), ctx.tshape)
        if ctx.weights is not None:
            coef = coef * d.const(coef, ctx.weights)
            if ctx.valid is not None:
                coef = d.where(ctx.valid, coef, 0.0)
        return d.index_add_into(ctx.shape, ctx.index, coef, False)


class NllLoss2d(NllLoss):
    """nll_loss for inputs of 3 or more dims (torch's nll_loss2d)"""

    node_name = "NllLoss2DBackward0"


def _check_target(shape: tuple, t: np.ndarray) -> None:
    """torch's nll_loss_nd shape checks, in its order and with its exception types."""
    ndim = len(shape)
    if ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {ndim})")
    batch = t.shape[0] if t.ndim else 0
    if ndim != 1 and batch != shape[0]:
        raise ValueError(
            f"Expected input batch_size ({shape[0]}) to match target batch_size ({batch})."
        )
    if ndim <= 2:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if ndim == 1 and t.ndim == 1 and t.shape[0] != 1:
            raise ValueError(
                f"For 1D input, 1D target must have size 1, but got target size: {t.shape[0]}"
            )
    elif ndim == 4:
        if t.ndim != 3:
            raise RuntimeError(
                "only batches of spatial targets supported (3D tensors) but got targets of "
                f"dimension: {t.ndim}"
            )
        if t.shape != (shape[0], *shape[2:]):
            raise RuntimeError(f"size mismatch (got input: {list(shape)} , target: {list(t.shape)}")
    elif t.shape[1:] != shape[2:]:
        raise RuntimeError(f"Expected target size {[shape[0], *shape[2:]]}, got {list(t.shape)}")
    if t.dtype != np.int64 and t.dtype != np.uint8:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {scalar_type(t)}")


def _weight(weight: Any, shape: tuple, fn: str) -> np.ndarray:
    no_grad_arg(fn, "weight", weight)
    w = data(weight)
    c = shape[0] if len(shape) == 1 else shape[1]
    if w.ndim != 1 or w.size != c:
        if len(shape) <= 2:
            raise RuntimeError(
                f"weight tensor should be defined either for all {c} classes or no classes but "
                f"got weight tensor of shape: {list(w.shape)}"
            )
        raise RuntimeError("weight tensor should be defined either for all or no classes")
    return w


def _nll(input: Tensor, target: Any, weight: Any, reduction: str, ignore_index: int) -> Tensor:
    """nll_loss after the reduction is settled: checks, then one NllLoss node."""
    shape = input.data.shape
    t = data(target)
    ndim = len(shape)
    if not (ndim == 2 and t.dtype == np.int64 and t.shape == shape[:1]):  # the common case
        _check_target(shape, t)
    if weight is not None:
        weight = _weight(weight, shape, "nll_loss_forward" if ndim <= 2 else "nll_loss2d_forward")
    dtype = input.data.dtype
    if dtype.kind != "f":  # before the targets' bounds, which torch checks inside its kernel
        kernel = "nll_loss_out_frame" if ndim <= 2 else "nll_loss2d_forward_out_frame"
        raise kernel_error(kernel, dtype)
    if weight is not None and weight.dtype != dtype:
        raise RuntimeError(
            f"expected scalar type {scalar_type(input.data)} but found {scalar_type(weight)}"
        )
    c = shape[0] if ndim == 1 else shape[1]
    if ndim == 1:
        t = t.reshape(())  # an unbatched target: a 0-d index, or the one element of a (1,)
    valid = None
    if t.size:
        lo, hi = t.min(), t.max()
        if lo <= ignore_index <= hi and (ignored := t == ignore_index).any():
            valid = ~ignored
        if lo < 0 or hi >= c:
            bad = (t < 0) | (t >= c)
            if valid is not None:
                bad &= valid
            if bad.any():
                raise IndexError(f"Target {t[bad].flat[0]} is out of bounds.")
        if valid is not None:
            t = np.where(valid, t, 0)
    weights = None
    if weight is not None:
        weights = weight[t]
        if valid is not None:
            weights = np.where(valid, weights, 0).astype(dtype)
    elif valid is not None:
        weights = valid.astype(dtype)
    total = t.size if weights is None else weights.sum()
    if ndim == 1:
        index = (t,)
    elif ndim == 2:
        index = (np.arange(shape[0]), t)
    else:
        index = (np.arange(shape[0]).reshape((-1,) + (1,) * (ndim - 2)), t)
        index += tuple(
            np.arange(s).reshape((1,) * (k + 1) + (-1,) + (1,) * (ndim - 3 - k))
            for k, s in enumerate(shape[2:])
        )
    prim = NllLoss if ndim <= 2 else NllLoss2d
    out = prim.apply(
        input, index=index, weights=weights, valid=valid, total=total, reduction=reduction
    )
    if reduction == "none" and ndim not in (1, 2, 4):
        out = out.view(t.shape)  # torch runs these through a (N, C, 1, -1) view
    return out


def nll_loss(
    input: Tensor,
    target: Tensor,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Negative log-likelihood of class-index targets, from log-probabilities (C,), (N, C) or
    (N, C, d1, ...); `weight` per class, targets equal to `ignore_index` count for nothing."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return _nll(input, target, weight, reduction, ignore_index)


def _class_shape(ndim: int, c: int, class_dim: int) -> tuple[int, ...]:
    """A per-class vector's shape broadcasting along the class dim of an ndim input."""
    return tuple(c if k == class_dim else 1 for k in range(ndim))


def _check_smoothing(label_smoothing: float) -> None:
    """torch's bound on a positive label_smoothing."""
    if label_smoothing > 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")


def _ce_probabilities(
    input: Tensor, target: Tensor, weight: Any, reduction: str, label_smoothing: float
) -> Tensor:
    """cross_entropy against class probabilities of the input's shape (torch's composite)."""
    ndim = input.dim()
    class_dim = 0 if ndim == 1 else 1
    c = input.shape[class_dim] if ndim else 1  # (log_softmax refuses a 0-d input below)
    if weight is not None and (weight.dim() != 1 or weight.numel() != c):
        raise RuntimeError(
            f"cross_entropy: weight tensor should be defined either for all {c} classes or no "
            f"classes but got weight tensor of shape: {list(weight.shape)}"
        )
    logp = log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
        target = target * (1 - label_smoothing) + label_smoothing / c
    prod = logp * target
    if weight is not None:
        prod = prod * (weight.view(_class_shape(ndim, c, class_dim)) if ndim > 1 else weight)
    if reduction == "mean":
        if input.numel() == 0:
            return -prod.sum() * float("nan")
        return DivScalar.apply(-prod.sum(), c=input.numel() // c)
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum(class_dim)


def _ce_smoothed(
    input: Tensor,
    target: Any,
    weight: Any,
    reduction: str,
    ignore_index: int,
    label_smoothing: float,
) -> Tensor:
    """cross_entropy against class indices with label smoothing: (1 - s) nll + s / C times the
    loss against the uniform distribution (torch's composite)."""
    ndim = input.dim()
    class_dim = 0 if ndim == 1 else 1
    c = input.shape[class_dim]
    logp = log_softmax(input, class_dim)
    nll = _nll(logp, target, weight, reduction, ignore_index)
    t = data(target)
    ignored = np.asarray(t == ignore_index)
    if weight is not None:
        smooth = -(logp * weight.view(_class_shape(ndim, c, class_dim))).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    if ignored.any():
        smooth = where(ignored, 0.0, smooth)  # torch's masked_fill_: 0, not NaN, when ignored
    if reduction == "mean":
        if weight is not None:
            total = data(weight)[t[~ignored]].sum()
        else:
            total = (~ignored).sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            ret = smooth.sum() / float(total)
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - label_smoothing) * nll + ret * (label_smoothing / c)


def cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Any = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy of logits (C,), (N, C) or (N, C, d1, ...) against class indices,
    or against class probabilities of the input's shape."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    t = data(target)
    if input.data.shape == t.shape:  # probabilities: torch's rule for telling them apart
        if t.dtype.kind != "f":
            raise RuntimeError(
                "Expected floating point type for target with class probabilities, got "
                f"{scalar_type(t)}"
            )
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        return _ce_probabilities(input, target, weight, reduction, label_smoothing)
    if label_smoothing > 0.0:
        _check_smoothing(label_smoothing)
        return _ce_smoothed(input, target, weight, reduction, ignore_index, label_smoothing)
    class_dim = 0 if input.data.ndim == 1 else 1
    return _nll(log_softmax(input, class_dim), target, weight, reduction, ignore_index)
