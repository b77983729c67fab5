"""nn.functional's normalize, cosine_similarity and pairwise_distance (re-exported by
linear.py), on linalg.vector_norm's primitive (ops/norms.py).

They compose as torch composes them, so their graphs, gradients and conventions are torch's:
`x / clamp_min(norm, eps)` for normalize, `sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps))` for
the cosine (whose clamps torch applies without recording them), `norm(x1 - x2 + eps)` for the
pairwise distance.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule._dtype import SCALAR_TYPE
from chainrule.ops._util import Primitive, broadcast_error, norm_dim
from chainrule.ops.elementwise import clamp_min
from chainrule.ops.norms import VectorNorm
from chainrule.tensor import Tensor

_TORCH_TYPES = SCALAR_TYPE  # torch's ScalarType names


class Norm(VectorNorm):
    """out = ||x||_p over axes: linalg.vector_norm's math under at::norm's name, which
    pairwise_distance records"""

    node_name = "NormBackward1"


class ClampedClone(Primitive):
    """out = max(x, eps);  dout/dx = 1 everywhere: torch clamps cosine_similarity's norms in
    place under no_grad, on a clone, so the clamp is not differentiated"""

    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x, eps):
        return np.maximum(x, eps)

    @staticmethod
    def backward(ctx, g):
        return g


def _check_floating(input: Tensor) -> None:
    dt = input.data.dtype
    if dt.kind != "f":
        raise RuntimeError(
            "linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
            f"{_TORCH_TYPES.get(dt.name, dt.name)}"
        )


def _axes(dim: int, ndim: int) -> tuple[int, ...] | None:
    axis = norm_dim(dim, ndim)
    return (axis,) if ndim else None


def normalize(
    input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12, out: Any = None
) -> Tensor:
    """input / max(norm_p(input, dim), eps): unit vectors along dim."""
    if out is not None:
        raise NotImplementedError("normalize(out=...): chainrule has no out= arguments")
    _check_floating(input)
    n = VectorNorm.apply(input, ord=p, axes=_axes(dim, input.data.ndim), keepdim=True)
    return input / clamp_min(n, eps).expand_as(input)


def _float_pair(x1: Tensor, x2: Tensor) -> tuple[Tensor, Tensor]:
    """Integer operands cast to the common (floating) dtype, as torch."""
    a, b = x1.data.dtype, x2.data.dtype
    if a.kind != "f" and b.kind != "f":
        common = np.result_type(a, b)
        raise RuntimeError(
            "expected common dtype to be floating point, yet common dtype is "
            f"{_TORCH_TYPES.get(common.name, common.name)}"
        )
    if a.kind != "f":
        x1 = x1.to(b)
    if b.kind != "f":
        x2 = x2.to(a)
    return x1, x2


def cosine_similarity(x1: Tensor, x2: Tensor, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps)) along dim (torch's formula)."""
    x1, x2 = _float_pair(x1, x2)
    s1, s2 = x1.data.shape, x2.data.shape
    if s1 != s2:
        try:
            shape = np.broadcast_shapes(s1, s2)
        except ValueError:
            raise broadcast_error(x1.data, x2.data) from None
        x1, x2 = x1.expand(shape), x2.expand(shape)
    axes = _axes(dim, x1.data.ndim)
    n1 = ClampedClone.apply(VectorNorm.apply(x1, ord=2, axes=axes, keepdim=True), eps=eps)
    n2 = ClampedClone.apply(VectorNorm.apply(x2, ord=2, axes=axes, keepdim=True), eps=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """norm_p(x1 - x2 + eps) along the last dim of the broadcast shape."""
    ndim = max(x1.data.ndim, x2.data.ndim)
    diff = x1 - x2 + eps
    _check_floating(diff)
    p, shape = float(p), diff.data.shape
    if (p < 0 or math.isinf(p)) and shape and shape[-1] == 0:  # linalg.vector_norm's check
        raise RuntimeError(
            f"linalg.vector_norm cannot compute the {p:g} norm on the dimension {len(shape) - 1}"
            "because this dimension is empty and the operation does not have an identity"
        )
    return Norm.apply(diff, ord=p, axes=(ndim - 1,) if ndim else None, keepdim=keepdim)
