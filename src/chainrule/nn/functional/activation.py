"""torch.nn.functional: activations and the softmax family.

log_softmax is a primitive of its own, for numerical stability (it never exponentiates a
positive number) and for speed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, norm_dim
from chainrule.ops.functional import relu, sigmoid, tanh
from chainrule.tensor import Tensor

__all__ = ["relu", "sigmoid", "tanh", "log_softmax", "softmax"]


def _sum_keep(g: Any, axis: int) -> Any:
    return g.sum(dim=axis, keepdim=True) if d._t(g) else g.sum(axis=axis, keepdims=True)


class LogSoftmax(Primitive):
    """out = x - log(sum(exp(x), dim));  dx = g - exp(out) * sum(g, dim) (saved output)"""

    node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, axis):
        if x.dtype.kind != "f":
            x = x.astype(np.float32)
        z = x - x.max(axis=axis, keepdims=True)  # shift: exp never overflows
        out = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - d.exp(out) * _sum_keep(g, ctx.axis)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """log(softmax(input)) along dim, computed stably."""
    if dim is None:
        raise TypeError("log_softmax() requires dim (torch's implicit choice is deprecated)")
    if dtype is not None:
        input = input.to(dtype)
    return LogSoftmax.apply(input, axis=norm_dim(dim, input.data.ndim))


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """exp(input) / sum(exp(input)) along dim, computed stably."""
    return log_softmax(input, dim, dtype).exp()


