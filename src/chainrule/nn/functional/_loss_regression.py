"""torch.nn.functional: regression and margin losses (exported by loss.py).

mse, smooth_l1, huber and soft_margin are primitives as in torch (their grad_fn names are
torch's, and one node replaces four); l1 and the margin losses compose primitives exactly as
ATen does, so their gradients -- kinks included -- are those of abs, clamp_min and where.
Integer inputs do what torch's do: the kernels refuse them, the composites compute (in torch's
dtypes: the margin of hinge_embedding_loss is filled into the input's dtype).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import _dtype
from chainrule.nn.functional._distance import pairwise_distance
from chainrule.nn.functional._loss_common import (
    BOOL_NEG,
    apply_reduction,
    cast_error,
    check_broadcast,
    check_reduction,
    data,
    float_kernel,
    grad_scale,
    legacy_reduction,
    no_grad_arg,
    reduce_array,
    size_str,
    warn_size,
)
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, broadcast_error
from chainrule.ops.arithmetic import prep, where
from chainrule.ops.elementwise import clamp_min
from chainrule.ops.functional import minimum
from chainrule.tensor import Tensor


def _diff(ctx: Any, x: np.ndarray, y: np.ndarray, reduction: str, kernel: str) -> np.ndarray:
    """x - y (broadcast, torch's promotion: a float, or the kernel's error), with x and y saved
    and the element count kept."""
    if x.dtype.kind != "f" or y.dtype != x.dtype:
        float_kernel(kernel, x, y)
        x, y = prep(x, y)
    try:
        diff = x - y
    except ValueError:
        raise broadcast_error(x, y) from None
    ctx.save_for_backward(x, y)
    ctx.reduction, ctx.n = reduction, diff.size
    return diff


class MseLoss(Primitive):
    """out = (x - y)^2, reduced;  dout/dx = 2 (x - y) = -dout/dy (/ numel for the mean)"""

    node_name = "MseLossBackward0"

    @staticmethod
    def forward(ctx, x, y, reduction):
        diff = _diff(ctx, x, y, reduction, "mse_cpu")
        return reduce_array(diff * diff, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gx = grad_scale(g, ctx.reduction, ctx.n) * (2.0 * (x - y))
        return gx, -gx


class SmoothL1Loss(Primitive):
    """out = d^2 / (2 beta) where |d| < beta, else |d| - beta / 2 (d = x - y);
    dout/dx = -dout/dy = d / beta inside, sign(d) outside: +-1 at |d| = beta from both sides,
    and the second derivative is 0 there (torch's mask is |d| < beta)"""

    node_name = "SmoothL1LossBackward0"

    @staticmethod
    def forward(ctx, x, y, reduction, beta):
        diff = _diff(ctx, x, y, reduction, "smooth_l1_cpu")
        ctx.beta = beta
        ad = np.abs(diff)
        return reduce_array(
            np.where(ad < beta, 0.5 * diff * diff / beta, ad - 0.5 * beta), reduction
        )

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        diff = x - y
        inside = np.abs(d.data(diff)) < ctx.beta
        gx = grad_scale(g, ctx.reduction, ctx.n) * d.where(inside, diff / ctx.beta, d.sign(diff))
        return gx, -gx


class HuberLoss(Primitive):
    """out = d^2 / 2 where |d| < delta, else delta (|d| - delta / 2) (d = x - y);
    dout/dx = -dout/dy = d inside, delta sign(d) outside (continuous at |d| = delta, where the
    second derivative is 0 as torch's). The loss takes x's dtype, as torch's (which writes it
    into a tensor like x)."""

    node_name = "HuberLossBackward0"

    @staticmethod
    def forward(ctx, x, y, reduction, delta):
        dt = x.dtype
        if dt.kind != "f":  # the kernel's error, else its float result does not fit x's dtype
            raise cast_error(float_kernel("huber_cpu", x, y), dt)
        diff = _diff(ctx, x, y, reduction, "huber_cpu")
        ctx.delta = delta
        ad = np.abs(diff)
        loss = np.where(ad < delta, 0.5 * diff * diff, delta * (ad - 0.5 * delta))
        return reduce_array(loss.astype(dt, copy=False), reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        diff = x - y
        inside = np.abs(d.data(diff)) < ctx.delta
        gx = grad_scale(g, ctx.reduction, ctx.n) * d.where(inside, diff, ctx.delta * d.sign(diff))
        return gx, -gx


class SoftMarginLoss(Primitive):
    """out = log(1 + exp(-y x));  dout/dx = -y exp(-y x) / (1 + exp(-y x)).
    As torch, not rewritten for stability: exp(-y x) overflows to an inf loss (NaN gradient)
    past -y x ~ 710 in float64, ~ 89 in float32. As torch, the loss is computed in x's shape
    and dtype (-x, times y, then exp and log1p in place), so integer x cannot hold it."""

    node_name = "SoftMarginLossBackward0"

    @staticmethod
    def forward(ctx, x, y, reduction):
        dt = x.dtype
        if dt.kind == "b":
            raise RuntimeError(BOOL_NEG)
        if x.shape != y.shape:
            check_broadcast(x, y)
            shape = np.broadcast_shapes(x.shape, y.shape)
            if shape != x.shape:
                raise RuntimeError(
                    f"output with shape {list(x.shape)} doesn't match the broadcast shape "
                    f"{list(shape)}"
                )
        if dt.kind != "f":  # the product's type, else exp's float
            rt = _dtype.result_type(x, y)
            raise cast_error(rt if rt.kind == "f" else _dtype.DEFAULT_FLOAT, dt)
        x, y = prep(x, y)
        with np.errstate(over="ignore"):
            loss = np.log1p(np.exp((-x * y).astype(dt, copy=False)))
        ctx.save_for_backward(x, y)
        ctx.reduction, ctx.n = reduction, loss.size
        return reduce_array(loss, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        y = d.const(g, d.data(y))
        with np.errstate(over="ignore", invalid="ignore"):
            z = d.exp(-y * x)
            return grad_scale(g, ctx.reduction, ctx.n) * (-y * z / (1 + z)), None


def _weighted(err: Tensor, weight: Tensor, input: Tensor, reduction: str, mean: Any) -> Tensor:
    """torch's weighted mse/l1/huber: the loss times weight, reduced by `mean`."""
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = err * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        return mean(loss)
    raise ValueError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', 'sum'.")


def _weighted_error(
    err: Any,
    input: Tensor,
    target: Tensor,
    weight: Tensor,
    size_average: Any,
    reduce: Any,
    reduction: str,
) -> Tensor:
    """torch's weighted mse/l1: err(input - target) times weight; the legacy flags count only
    when given, and the mean divides by the sum of the weights."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    check_broadcast(input, target)
    return _weighted(
        err(input - target), weight, input, reduction, lambda loss: loss.sum() / weight.sum()
    )


def mse_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Mean squared error (x - y)^2, reduced; with `weight`, the mean divides by its sum."""
    warn_size(input, target)
    if weight is not None:
        return _weighted_error(
            lambda diff: diff**2, input, target, weight, size_average, reduce, reduction
        )
    return MseLoss.apply(input, target, reduction=legacy_reduction(size_average, reduce, reduction))


def l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    weight: Any = None,
) -> Tensor:
    """Mean absolute error |x - y|, reduced; its gradient at x = y is sign(0) = 0 (as torch)."""
    warn_size(input, target)
    if weight is not None:
        return _weighted_error(
            lambda diff: diff.abs(), input, target, weight, size_average, reduce, reduction
        )
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_broadcast(input, target)
    return apply_reduction((input - target).abs(), reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    beta: float = 1.0,
) -> Tensor:
    """Squared error below `beta`, absolute error above it (l1_loss when beta is 0)."""
    warn_size(input, target)
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_broadcast(input, target)
    if beta == 0.0:
        return apply_reduction((input - target).abs(), reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return SmoothL1Loss.apply(input, target, reduction=reduction, beta=float(beta))


def huber_loss(
    input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0, weight: Any = None
) -> Tensor:
    """Squared error below `delta`, delta times the absolute error above it."""
    warn_size(input, target)
    check_broadcast(input, target)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        loss = HuberLoss.apply(input, target, reduction="none", delta=float(delta))
        return _weighted(loss, weight, input, reduction, lambda loss: loss.mean())
    return HuberLoss.apply(input, target, reduction=check_reduction(reduction), delta=float(delta))


def soft_margin_loss(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Two-class logistic loss log(1 + exp(-y x)) for targets y = +-1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    no_grad_arg("soft_margin_loss", "target", target)
    return SoftMarginLoss.apply(input, target, reduction=reduction)


def margin_ranking_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, -y (x1 - x2) + margin); at the margin the gradient passes (clamp_min's)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if not input1.dim() == input2.dim() == target.dim():
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got sizes: "
            f"input1: {size_str(input1)}, input2: {size_str(input2)}, target: "
            f"{size_str(target)} "
        )
    diff = input1 - input2  # first, as ATen evaluates it
    return apply_reduction(clamp_min(-target * diff + float(margin), 0), reduction)


def hinge_embedding_loss(
    input: Tensor,
    target: Tensor,
    margin: float = 1.0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (the bound passes the gradient)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    t = data(target)
    dt = input.data.dtype
    # ATen fills a tensor like the input with the margin: truncated for integers (as torch)
    margin = bool(margin) if dt.kind == "b" else _dtype.checked_scalar(margin, dt)
    output_margin = where(np.asarray(t != 1), clamp_min(margin - input, 0), 0)
    output_self = where(np.asarray(t != -1), input, 0)
    return apply_reduction(output_margin + output_self, reduction)


_COS_EPS = 1e-12  # ATen's EPSILON in cosine_embedding_loss


def cosine_embedding_loss(
    input1: Tensor,
    input2: Tensor,
    target: Tensor,
    margin: float = 0,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    tdim = target.dim()
    if tdim not in (0, 1):
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
    want = 2 if tdim == 1 else 1
    if input1.dim() != want or input2.dim() != want:
        raise RuntimeError(
            f"{tdim}D target tensor expects {want}D input tensors, but found inputs with sizes "
            f"{list(input1.shape)} and {list(input2.shape)}."
        )
    check_broadcast(input1, input2)
    prod_sum = (input1 * input2).sum(tdim)
    mag_square1 = (input1 * input1).sum(tdim) + _COS_EPS
    mag_square2 = (input2 * input2).sum(tdim) + _COS_EPS
    cos = prod_sum / (mag_square1 * mag_square2).sqrt()
    t = data(target)
    output = where(np.asarray(t == 1), 1 - cos, 0.0) + where(
        np.asarray(t == -1), clamp_min(cos - margin, 0), 0.0
    )
    return apply_reduction(output, reduction)


def triplet_margin_loss(
    anchor: Tensor,
    positive: Tensor,
    negative: Tensor,
    margin: float = 1.0,
    p: float = 2,
    eps: float = 1e-6,
    swap: bool = False,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """max(0, margin + d(a, p) - d(a, n)) with d the p-norm distance along the last dim."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, pd, nd = anchor.dim(), positive.dim(), negative.dim()
    if not a == pd == nd:
        raise RuntimeError(
            "The anchor, positive, and negative tensors are expected to have the same number of "
            f"dimensions, but got: anchor {a}D, positive {pd}D, and negative {nd}D inputs"
        )
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_neg = minimum(dist_neg, pairwise_distance(positive, negative, p, eps))
    return apply_reduction(clamp_min(margin + dist_pos - dist_neg, 0), reduction)


__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss",
    "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss",
]  # fmt: skip
