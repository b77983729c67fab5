"""What the losses share: torch's reduction arguments, argument checks, and three small
primitives (clamp_min at 0, log_sigmoid, the vector norm of pairwise_distance, division by a
count) that the losses compose, whose gradients and names must follow torch's."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.special import expit

from chainrule.autograd.grad_mode import state as _grad_state
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, broadcast_error
from chainrule.tensor import Size, Tensor

REDUCTIONS = ("none", "mean", "sum")

# torch's ScalarType names, for its dtype messages
SCALAR_TYPE = {
    "bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
    "int64": "Long", "float16": "Half", "float32": "Float", "float64": "Double",
}  # fmt: skip


def scalar_type(a: np.ndarray) -> str:
    return SCALAR_TYPE.get(a.dtype.name, a.dtype.name)


def check_reduction(reduction: str) -> str:
    """torch's _Reduction.get_enum: ValueError for an unknown name."""
    if reduction == "elementwise_mean":
        warnings.warn(
            "reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
            stacklevel=3,
        )
        return "mean"
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    """The reduction, from the deprecated size_average/reduce flags when either is given (they
    override `reduction`, with torch's warning), checked."""
    if size_average is None and reduce is None and reduction in REDUCTIONS:
        return reduction
    if size_average is not None or reduce is not None:
        size_average = True if size_average is None else size_average
        reduce = True if reduce is None else reduce
        reduction = "mean" if size_average and reduce else ("sum" if reduce else "none")
        warnings.warn(
            "size_average and reduce args will be deprecated, please use "
            f"reduction='{reduction}' instead.",
            stacklevel=3,
        )
    return check_reduction(reduction)


def apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    """torch's apply_loss_reduction, on Tensors."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def reduce_array(loss: np.ndarray, reduction: str) -> np.ndarray:
    """apply_loss_reduction in a primitive's forward; the mean of nothing is NaN, quietly."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if loss.size == 0:
        return np.array(np.nan, loss.dtype)
    return loss.mean()


def grad_scale(g: Any, reduction: str, n: int) -> Any:
    """The incoming gradient of a reduced loss as seen by each element (g / n for the mean)."""
    return g / n if reduction == "mean" and n else g


def data(t: Any) -> np.ndarray:
    return t.data if isinstance(t, Tensor) else np.asarray(t)


def size_str(t: Any) -> str:
    """A tensor's size as torch prints it in messages: `chainrule.Size([2, 3])`."""
    return repr(Size(np.shape(data(t))))


def warn_size(input: Tensor, target: Tensor) -> None:
    """torch's warning for a target that broadcasts against the input in the regression losses."""
    if np.shape(data(input)) != np.shape(data(target)):
        warnings.warn(
            f"Using a target size ({size_str(target)}) that is different to the input size "
            f"({size_str(input)}). This will likely lead to incorrect results due to "
            "broadcasting. Please ensure they have the same size.",
            stacklevel=3,
        )


def check_broadcast(a: Any, b: Any) -> None:
    """RuntimeError as torch when two shapes do not broadcast."""
    try:
        np.broadcast_shapes(np.shape(data(a)), np.shape(data(b)))
    except ValueError:
        raise broadcast_error(data(a), data(b)) from None


def no_grad_arg(fn: str, name: str, t: Any) -> None:
    """torch refuses a requires-grad tensor for an argument it does not differentiate."""
    if isinstance(t, Tensor) and t.requires_grad and _grad_state.enabled:
        raise RuntimeError(
            f"The function '{fn}' is not differentiable with respect to argument '{name}'. "
            "This input cannot have requires_grad True."
        )


def constant(t: Any, dtype: np.dtype) -> np.ndarray:
    """A constant tensor argument (weight, mask) as an array of the loss's dtype."""
    a = data(t)
    return a if a.dtype == dtype else a.astype(dtype)


# --- primitives the composite losses share -----------------------------------------------------


class ClampMin(Primitive):
    """out = max(x, 0);  dout/dx = 1 where x >= 0: the bound passes the gradient (as torch's
    clamp_min, which the margin losses use; unlike relu)"""

    node_name = "ClampMinBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.mask = x >= 0
        return np.maximum(x, 0)

    @staticmethod
    def backward(ctx, g):
        return d.masked(g, ctx.mask)


def clamp_min0(x: Tensor) -> Tensor:
    return ClampMin.apply(x)


class DivScalar(Primitive):
    """out = x / c for a number c;  dout/dx = 1 / c (ATen's div by a Scalar, named as torch
    names it where a C++ loss divides by a count)"""

    node_name = "DivBackward1"

    @staticmethod
    def forward(ctx, x, c):
        ctx.c = c
        return x / c

    @staticmethod
    def backward(ctx, g):
        return g / ctx.c


def sigmoid(x: Any) -> Any:
    """sigmoid for arrays (scipy's expit never overflows) and Tensors."""
    return x.sigmoid() if isinstance(x, Tensor) else expit(x)


class LogSigmoid(Primitive):
    """out = log(sigmoid(x)) = -log(1 + exp(-x));  dout/dx = sigmoid(-x) (stable at any |x|)"""

    node_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return -np.logaddexp(0, -x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * sigmoid(-x)


def log_sigmoid(x: Any) -> Any:
    """log(sigmoid(x)) for arrays and Tensors (a recorded op)."""
    return LogSigmoid.apply(x) if isinstance(x, Tensor) else -np.logaddexp(0, -x)


class Norm(Primitive):
    """out = ||x||_p along the last dim;  dout/dx = sign(x) |x|^(p-1) / out^(p-1), which is
    0 where out = 0 (torch's norm_backward, so pairwise_distance has gradient 0 there); for
    p = inf the gradient is shared evenly by the elements of largest |x| (as torch)"""

    node_name = "NormBackward1"

    @staticmethod
    def forward(ctx, x, p):
        a = np.abs(x)
        if p == 2:
            out = np.sqrt((x * x).sum(-1))
        elif p == 1:
            out = a.sum(-1)
        elif p == np.inf:
            out = a.max(-1, initial=0)
        elif p == 0:
            out = (a != 0).sum(-1).astype(x.dtype)
        else:
            with np.errstate(divide="ignore"):
                out = (a**p).sum(-1) ** (1.0 / p)
        ctx.save_for_backward(x, out)
        ctx.p = p
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        p = ctx.p
        g, out = d.reshape(g, (*g.shape, 1)), d.reshape(out, (*out.shape, 1))
        xd, zero = d.data(x), d.data(out) == 0
        if p == 0:
            return g * d.const(g, np.zeros_like(xd))
        if p == 1:
            return g * d.sign(x)
        if p == np.inf:
            mask = np.abs(xd) == d.data(out)
            share = mask / mask.sum(-1, keepdims=True).clip(1)
            return g * d.const(g, (np.sign(xd) * share).astype(xd.dtype))
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                return d.where(zero, 0.0, g * (x / out))
            if p < 1:  # |x|^(p-1) is inf at x = 0: torch zeroes it there
                scaled = d.where(xd == 0, 0.0, d.sign(x) * abs(x) ** (p - 1))
                return scaled * g * out ** (1 - p)
            scaled = x * abs(x) ** (p - 2) if p >= 2 else d.sign(x) * abs(x) ** (p - 1)
            return scaled * d.where(zero, 0.0, g / out ** (p - 1))


def pairwise_distance(x1: Tensor, x2: Tensor, p: float, eps: float) -> Tensor:
    """torch's at::pairwise_distance: ||x1 - x2 + eps||_p along the last dim."""
    return Norm.apply(x1 - x2 + eps, p=float(p))
