"""nn.functional's normalize, cosine_similarity and pairwise_distance, and the p-norm primitive
they share (re-exported by linear.py).

They compose as torch composes them, so their graphs, gradients and conventions are torch's:
`x / max(norm, eps)` for normalize, `sum(x1 / max(|x1|, eps) * x2 / max(|x2|, eps))` for the
cosine (whose clamps torch applies without recording them), `norm(x1 - x2 + eps)` for the
pairwise distance.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from chainrule._dtype import SCALAR_TYPE
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, broadcast_error, norm_dim
from chainrule.ops.elementwise import clamp
from chainrule.tensor import Tensor

_TORCH_TYPES = SCALAR_TYPE  # torch's ScalarType names


def _sum(x: np.ndarray, axes: tuple | None) -> np.ndarray:
    return x.sum(axis=axes, keepdims=True)


class VectorNorm(Primitive):
    """out = (sum |x|^p)^(1/p) over axes (max |x| for p = inf, the count of nonzeros for p = 0);
    dx = sign(x) |x|^(p-1) g / out^(p-1), 0 where out = 0 (p = 2: x g / out, 0 at x = 0, as
    torch); p = 1: sign(x) g (0 at x_i = 0); p = +-inf: g split evenly among the extrema of |x|"""

    node_name = "LinalgVectorNormBackward0"

    @staticmethod
    def forward(ctx, x, p, axes, keepdim):
        a = np.abs(x)
        if p == 2:
            out = np.sqrt(_sum(x * x, axes))
        elif p == 1:
            out = _sum(a, axes)
        elif p == math.inf:
            out = a.max(axis=axes, keepdims=True)
        elif p == -math.inf:
            out = a.min(axis=axes, keepdims=True)
        elif p == 0:
            out = _sum(x != 0, axes).astype(x.dtype)
        else:
            with np.errstate(divide="ignore"):  # |x| = 0 with p < 0: inf, as torch
                out = _sum(a**p, axes) ** (1 / p)
        ctx.kept, ctx.axes, ctx.p = out.shape, axes, p
        if not keepdim:
            out = out.reshape([s for i, s in enumerate(x.shape) if axes and i not in axes])
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, g):
        x, out = ctx.saved_tensors
        p = ctx.p
        g, n = d.reshape(g, ctx.kept), d.reshape(out, ctx.kept)
        xd, nd = d.data(x), d.data(n)
        if p == 0:
            return d.const(g, np.zeros(xd.shape, xd.dtype))
        if p == 1:
            return g * d.sign(x)
        if math.isinf(p):
            hit = np.abs(xd) == nd
            return g * d.sign(x) * d.const(x, (hit / _sum(hit, ctx.axes)).astype(xd.dtype))
        if p < 1:  # sign(x) |x|^(p-1) g out^(1-p), 0 where x = 0
            nz = xd != 0
            a = d.where(nz, abs(x), 1.0)
            return d.masked(d.sign(x) * a ** (p - 1) * g * n ** (1 - p), nz)
        live = nd != 0
        safe = d.where(live, n, 1.0)
        r = x if p == 2 else (d.sign(x) * abs(x) ** (p - 1) if p < 2 else x * abs(x) ** (p - 2))
        return d.masked(r * g / (safe if p == 2 else safe ** (p - 1)), live)


class Norm(VectorNorm):
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
    n = VectorNorm.apply(input, p=p, axes=_axes(dim, input.data.ndim), keepdim=True)
    return input / clamp(n, min=eps).expand_as(input)


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
    n1 = ClampedClone.apply(VectorNorm.apply(x1, p=2, axes=axes, keepdim=True), eps=eps)
    n2 = ClampedClone.apply(VectorNorm.apply(x2, p=2, axes=axes, keepdim=True), eps=eps)
    return ((x1 / n1) * (x2 / n2)).sum(dim)


def pairwise_distance(
    x1: Tensor, x2: Tensor, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False
) -> Tensor:
    """norm_p(x1 - x2 + eps) along the last dim of the broadcast shape."""
    ndim = max(x1.data.ndim, x2.data.ndim)
    diff = x1 - x2 + eps
    _check_floating(diff)
    return Norm.apply(diff, p=p, axes=(ndim - 1,) if ndim else None, keepdim=keepdim)
