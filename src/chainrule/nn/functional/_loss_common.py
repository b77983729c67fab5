"""What the losses share: torch's reduction arguments, argument and dtype checks, and the
division by a count that torch's C++ losses record as DivBackward1 (the public `/` records
DivBackward0)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from chainrule._dtype import SCALAR_TYPE, kernel_error, result_type
from chainrule.autograd.grad_mode import state as _grad_state
from chainrule.ops._util import Primitive, broadcast_error
from chainrule.tensor import Size, Tensor

REDUCTIONS = ("none", "mean", "sum")


def scalar_type(a: np.ndarray) -> str:
    """An array's dtype as torch's messages name it ("Long")."""
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


def float_kernel(kernel: str, x: np.ndarray, y: np.ndarray) -> np.dtype:
    """The dtype a binary loss kernel runs in (torch's promotion of x and y): NotImplementedError
    as torch where that is not a float, after its broadcast check."""
    dt = result_type(x, y)
    if dt.kind != "f":
        check_broadcast(x, y)
        raise kernel_error(kernel, dt)
    return dt


def cast_error(result: np.dtype, out: np.dtype) -> RuntimeError:
    """torch's error for a result written into a tensor of a kind that cannot hold it."""
    names = (SCALAR_TYPE.get(np.dtype(t).name, np.dtype(t).name) for t in (result, out))
    return RuntimeError("result type {} can't be cast to the desired output type {}".format(*names))


BOOL_SUB_BOTH = (
    "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
    "`logical_xor()` operator instead."
)
BOOL_SUB = (
    "Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
    "invert a mask, use the `~` or `logical_not()` operator instead."
)
BOOL_NEG = (
    "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert "
    "a mask, use the `~` or `logical_not()` operator instead."
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


# --- the primitive the composite losses share ---------------------------------------------------


class DivScalar(Primitive):
    """out = x / c for a number c;  dout/dx = 1 / c"""

    # not the public `/`, which records DivBackward0: ATen's div by a Scalar, where a C++ loss
    # divides by a count, records DivBackward1
    node_name = "DivBackward1"

    @staticmethod
    def forward(ctx, x, c):
        ctx.c = c
        return x / c

    @staticmethod
    def backward(ctx, g):
        return g / ctx.c
