"""torch.nn.functional: losses of probabilities and likelihoods (exported by loss.py).

The binary cross-entropies are primitives as in torch: binary_cross_entropy for torch's clamp of
the logs at -100 and its guarded gradient, the logits form for stability (it never evaluates
log(sigmoid(x)) as such, so logits of +-1e4 give finite losses and gradients). kl_div,
poisson_nll_loss and gaussian_nll_loss compose primitives exactly as torch does. Integer inputs
do what torch's do: the kernels refuse them, the composites compute in torch's dtypes.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from scipy.special import xlogy

from chainrule import _dtype
from chainrule._dtype import kernel_error
from chainrule.autograd.grad_mode import no_grad
from chainrule.nn.functional._activation_ops import LogSigmoid, dual, sigmoid
from chainrule.nn.functional._loss_common import (
    BOOL_SUB,
    BOOL_SUB_BOTH,
    REDUCTIONS,
    apply_reduction,
    cast_error,
    check_reduction,
    constant,
    data,
    grad_scale,
    legacy_reduction,
    no_grad_arg,
    reduce_array,
    scalar_type,
    size_str,
)
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, broadcast_error
from chainrule.ops.arithmetic import prep, where
from chainrule.ops.special import Logit
from chainrule.tensor import Tensor

_BCE_EPS = float(np.float32(1e-12))  # torch's EPSILON: the float literal 1e-12f


def _weigh_and_reduce(
    ctx: Any, loss: np.ndarray, x: np.ndarray, y: np.ndarray, weight: Any, reduction: str
) -> np.ndarray:
    """A binary cross-entropy's forward tail: the loss times weight, reduced; x and y saved."""
    if weight is not None:
        loss = loss * weight
    ctx.save_for_backward(x, y)
    ctx.weight, ctx.reduction, ctx.n = weight, reduction, loss.size
    return reduce_array(loss, reduction)


class BinaryCrossEntropy(Primitive):
    """out = -w (y max(log x, -100) + (1 - y) max(log(1 - x), -100)), the clamp torch's;
    dout/dx = w (x - y) / max(x (1 - x), 1e-12),  dout/dy = -w logit(x)"""

    node_name = "BinaryCrossEntropyBackward0"

    @staticmethod
    def forward(ctx, x, y, weight, reduction):
        x, y = prep(x, y)
        for a, name in ((x, "input"), (y, "target")):
            if not ((a >= 0) & (a <= 1)).all():  # NaN fails too, as in torch
                raise RuntimeError(f"all elements of {name} should be between 0 and 1")
        with np.errstate(divide="ignore"):
            loss = (y - 1) * np.maximum(np.log1p(-x), -100) - y * np.maximum(np.log(x), -100)
        return _weigh_and_reduce(ctx, loss, x, y, weight, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gs = grad_scale(g, ctx.reduction, ctx.n)
        if d._t(gs):
            gx = BinaryCrossEntropyGrad.apply(gs, x, y, weight=ctx.weight)
        else:
            gx = _bce_grad(gs, x, y, ctx.weight)
        gy = None
        if ctx.needs_input_grad[1]:
            if ctx.weight is not None:
                gs = gs * d.const(g, ctx.weight)
            gy = -gs * dual(Logit, x, eps=None)
        return gx, gy


def _bce_grad(g: np.ndarray, x: np.ndarray, y: np.ndarray, w: Any) -> np.ndarray:
    out = g * (x - y) / np.maximum(x * (1 - x), _BCE_EPS)
    return out if w is None else out * w


class BinaryCrossEntropyGrad(Primitive):
    """out = g w (x - y) / max(x (1 - x), 1e-12): binary_cross_entropy's input gradient, a node
    of its own so that its derivatives are torch's double-backward formulas, which guard with
    (x + e)(1 - x + e), e = 1e-12, instead of differentiating the clamp:
    d/dg = w (x - y) / ((x + e)(1 - x + e)),  d/dx = g w (x^2 - 2xy + y) / ((x + e)(1 - x + e))^2,
    d/dy = -g w / max(x (1 - x), e) -- so at x = 0 or 1 they are torch's too (and the clamp is
    not differentiated, as torch's)"""

    node_name = "BinaryCrossEntropyBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, y, weight):
        ctx.save_for_backward(g, x, y)
        ctx.weight = weight
        return _bce_grad(g, x, y, weight)

    @staticmethod
    def backward(ctx, gg):
        g, x, y = ctx.saved_tensors
        if ctx.weight is not None:
            gg = gg * d.const(gg, ctx.weight)
        e = 1e-12  # a double in torch's formulas (the forward's clamp is a float)
        guard = (x + e) * (1 - x + e)
        d_g = gg * (x - y) / guard
        d_x = gg * g * (x * x - 2 * x * y + y) / (guard * guard)
        d_y = -gg * g / _denominator(x, e)
        return d_g, d_x, d_y


def _denominator(x: Any, e: float) -> Any:
    """max(x (1 - x), e) whose gradient is that of x (1 - x): torch clamps it in place under
    no_grad, so bce's third derivative passes the clamp"""
    denom = (1 - x) * x
    if not d._t(denom):
        return np.maximum(denom, e)
    with no_grad():
        denom.clamp_(min=e)
    return denom


class BinaryCrossEntropyWithLogits(Primitive):
    """out = w ((1 - y) x - l log_sigmoid(x)), l = 1 + (pos_weight - 1) y;
    dout/dx = w (l sigmoid(x) - pos_weight y),
    dout/dy = w (log_sigmoid(-x) - pos_weight log_sigmoid(x)).
    The loss takes y's dtype, as torch's (which computes it in place into 1 - y)."""

    node_name = "BinaryCrossEntropyWithLogitsBackward0"

    @staticmethod
    def forward(ctx, x, y, weight, pos_weight, reduction):
        dt = y.dtype
        x, y = prep(x, y)
        ls = dual(LogSigmoid, x)  # exact at any |x|
        if pos_weight is not None:
            ls = ls * ((pos_weight - 1) * y + 1)
        ctx.pos_weight = pos_weight
        loss = ((1 - y) * x - ls).astype(dt, copy=False)
        return _weigh_and_reduce(ctx, loss, x, y, weight, reduction)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        gs = grad_scale(g, ctx.reduction, ctx.n)
        if ctx.weight is not None:
            gs = gs * d.const(g, ctx.weight)
        pw = None if ctx.pos_weight is None else d.const(g, ctx.pos_weight)
        if pw is None:
            gx = gs * (sigmoid(x) - y)
        else:
            t = pw * y
            gx = gs * ((t + 1 - y) * sigmoid(x) - t)
        gy = None
        if ctx.needs_input_grad[1]:
            if pw is None:
                gy = gs * -x
            else:
                gy = gs * (dual(LogSigmoid, -x) - dual(LogSigmoid, x) * pw)
        return gx, gy


def _in_place_operand(
    fn: str, name: str, t: Any, input: Tensor, dtype: np.dtype | None = None
) -> np.ndarray | None:
    """weight or pos_weight (None stays None) as an array of the loss's dtype (the input's by
    default): torch refuses one that requires grad, and multiplies the loss by it in place, so
    it must broadcast to the input's shape."""
    if t is None:
        return None
    no_grad_arg(fn, name, t)
    shape = input.data.shape
    w = constant(t, input.data.dtype if dtype is None else dtype)
    try:
        out = np.broadcast_shapes(shape, w.shape)
    except ValueError:
        raise broadcast_error(np.empty(shape), w) from None
    if out != shape:
        raise RuntimeError(
            f"output with shape {list(shape)} doesn't match the broadcast shape {list(out)}"
        )
    return w


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """-(y log x + (1 - y) log(1 - x)) for probabilities x; the logs are clamped at -100."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    shape = input.data.shape
    if data(target).shape != shape:
        raise ValueError(
            f"Using a target size ({size_str(target)}) that is different to the input size "
            f"({size_str(input)}) is deprecated. Please ensure they have the same size."
        )
    w = _in_place_operand("binary_cross_entropy", "weight", weight, input)
    dt, tdt = input.data.dtype, data(target).dtype
    if tdt != dt:  # one dtype for input, target and loss (torch's TensorIterator check)
        raise RuntimeError(
            f"Found dtype {scalar_type(data(target))} but expected {scalar_type(input.data)}"
        )
    if dt.kind != "f":
        raise kernel_error("binary_cross_entropy", dt)
    return BinaryCrossEntropy.apply(input, target, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,
    weight: Any = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Any = None,
) -> Tensor:
    """binary_cross_entropy(sigmoid(x), y), computed stably from the logits x; pos_weight
    weighs the positive term of each class."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    shape = input.data.shape
    if data(target).shape != shape:
        raise ValueError(
            f"Target size ({size_str(target)}) must be the same as input size ({size_str(input)})"
        )
    fn = "binary_cross_entropy_with_logits"
    no_grad_arg(fn, "weight", weight)
    no_grad_arg(fn, "pos_weight", pos_weight)
    # torch's order: log_sigmoid(input), (pos_weight - 1), then (1 - target) * input in place
    dt, tdt = input.data.dtype, data(target).dtype
    if dt.kind != "f":
        raise kernel_error("log_sigmoid_cpu", dt)
    if pos_weight is not None and data(pos_weight).dtype.kind == "b":
        raise RuntimeError(BOOL_SUB)
    if tdt.kind == "b":
        raise RuntimeError(BOOL_SUB_BOTH)
    if tdt.kind != "f":
        raise cast_error(dt, tdt)
    w = _in_place_operand(fn, "weight", weight, input, tdt)  # the loss is in target's dtype
    pw = _in_place_operand(fn, "pos_weight", pos_weight, input)
    return BinaryCrossEntropyWithLogits.apply(
        input, target, weight=w, pos_weight=pw, reduction=reduction
    )


def _xlogx(t: Tensor) -> Tensor:
    """xlogy(t, t): t log t, 0 at t = 0."""
    if not t.requires_grad:
        with np.errstate(divide="ignore", invalid="ignore"):
            return d.const(t, xlogy(t.data, t.data))
    with np.errstate(divide="ignore", invalid="ignore"):
        return where(np.asarray(t.data == 0), 0.0, t * t.log())


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target || exp(input)) pointwise, input being log-probabilities; 'batchmean' divides
    the sum by the batch size (the mathematical KL divergence)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce, reduction)
    else:
        if reduction == "mean":
            warnings.warn(
                "reduction: 'mean' divides the total loss by both the batch size and the support "
                "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
                "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
                "major release.",
                stacklevel=2,
            )
        if reduction != "batchmean":
            reduction = check_reduction(reduction)
    if input.data.dtype.kind in "biu" or data(target).dtype.kind in "biu":
        raise RuntimeError("kl_div: Integral inputs not supported.")
    if log_target:
        out = target.exp() * (target - input)
    else:
        out = _xlogx(target) - target * input
    reduced = apply_reduction(out, "sum" if reduction == "batchmean" else reduction)
    if reduction == "batchmean" and input.dim() != 0:
        reduced = reduced / input.shape[0]
    return reduced


def poisson_nll_loss(
    input: Tensor,
    target: Tensor,
    log_input: bool = True,
    full: bool = False,
    size_average: Any = None,
    eps: float = 1e-8,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Poisson negative log-likelihood: exp(x) - y x (log_input) or x - y log(x + eps); `full`
    adds Stirling's approximation of log(y!) where y > 1."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:  # in the float type of target's log (float32 for integer targets), as torch
        with np.errstate(divide="ignore", invalid="ignore"):
            stirling = target * target.log() - target + 0.5 * (2 * math.pi * target).log()
        loss = loss + where(np.asarray(data(target) <= 1), 0.0, stirling)
    return apply_reduction(loss, reduction)


def gaussian_nll_loss(
    input: Tensor,
    target: Tensor,
    var: Any,
    full: bool = False,
    eps: float = 1e-6,
    reduction: str = "mean",
) -> Tensor:
    """Gaussian negative log-likelihood 0.5 (log var + (x - y)^2 / var), var clamped at eps
    (the clamp does not stop its gradient, as torch's)."""
    if isinstance(var, float):  # var * ones_like(input): float32 for integer inputs
        if var < 0:
            raise ValueError("var has negative entry/entries")
        dt = input.data.dtype
        var = d.const(
            input, np.full(input.data.shape, var, dt if dt.kind == "f" else _dtype.DEFAULT_FLOAT)
        )
    elif not isinstance(var, Tensor):  # torch.any(var < 0) of a Python bool
        raise TypeError(
            f"any() received an invalid combination of arguments - got ({type(var < 0).__name__}), "
            "but expected one of:\n * (Tensor input, *, Tensor out = None)"
        )
    elif (var.data < 0).any():
        raise ValueError("var has negative entry/entries")
    ishape, vshape = tuple(input.shape), tuple(var.shape)
    if vshape != ishape:
        if ishape[:-1] == vshape:  # homoscedastic: one variance per row
            var = var.unsqueeze(-1)
        elif not (
            len(ishape) == len(vshape) and sum(v for i, v in zip(ishape, vshape) if i != v) == 1
        ):
            raise ValueError("var is of incorrect size")
    if reduction not in REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return apply_reduction(loss, reduction)


__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss",
    "gaussian_nll_loss",
]  # fmt: skip
