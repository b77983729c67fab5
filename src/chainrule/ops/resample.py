"""Resampling: interpolate's nearest, nearest-exact and (bi)linear modes as primitives.

Each mode is separable: one sparse (out, in) matrix per spatial dim, built from index arrays
(one entry per output for nearest, two for linear) and applied along that dim. The gradient
applies the transposed matrices; SciPy's sparse product is the scatter-add that bilinear's
backward needs (each output's gradient accumulating into its four neighbours), an order of
magnitude faster than np.add.at. The index and weight arithmetic follows ATen's UpSample.h
and its CPU kernels step by step (float32 scales, `floorf`), so the same pixels are picked.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from scipy import sparse

from chainrule.autograd import forward_ad as fw
from chainrule.ops._util import Primitive

__all__: list[str] = []  # torch-level names, exported by chainrule/__init__.py

# Tensor methods, installed by ops/_methods.py
METHODS: dict[str, Any] = {}

_F32 = np.float32


def _scale(n_in: int, n_out: int, align_corners: bool, scale: float | None, dt: Any) -> Any:
    """ATen's area_pixel_compute_scale in the op-math type `dt` (input/output, or 1/scale)."""
    if align_corners:
        return dt(n_in - 1) / dt(n_out - 1) if n_out > 1 else dt(0)
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(n_in) / dt(n_out)


def _half_pixel(s: Any, n_out: int, dt: Any) -> np.ndarray:
    """max(s * (j + 0.5) - 0.5, 0) for each output j, rounded once: ATen's build contracts it
    into a fused multiply-add, which float64 reproduces exactly for float32 operands."""
    j = np.arange(n_out) + 0.5
    src = (np.float64(s) * j - 0.5).astype(dt) if dt is _F32 else s * j - 0.5
    return np.maximum(src, dt(0))


def _floorf(v: np.ndarray) -> np.ndarray:
    """C's floorf: the argument rounded to float32 first, as ATen's index code does."""
    return np.floor(v.astype(_F32)).astype(np.int64)


def nearest_index(
    n_in: int, n_out: int, scale: float | None, exact: bool, dt: Any, legacy: bool = False
) -> np.ndarray:
    """Source index of every output position, as ATen's CPU kernels pick it.

    ATen has two index rules. The legacy one (nearest_idx, float32 scale) copies when
    n_out == n_in and halves when n_out == 2 n_in, whatever the scale factor; it serves the
    2-D forward and every backward. The 1-D forward kernel always applies the scale, in the
    input's precision. So for 1-D with a scale factor that rounds to one of those sizes
    (6 * 1.1 -> 6), torch's gradient is not the derivative of its forward -- and ours,
    matching torch's, is not either.
    """
    i = np.arange(n_out)
    if legacy:
        if not exact and n_out == n_in:
            return i
        if not exact and n_out == 2 * n_in:
            return i >> 1
        s = _scale(n_in, n_out, False, scale, _F32)
        src = (i + 0.5) * np.float64(s) if exact else i.astype(_F32) * s
    else:
        s = _scale(n_in, n_out, False, scale, dt)
        if exact:
            src = _half_pixel(s, n_out, dt).astype(np.float64) + 0.5
        else:
            src = s * i.astype(dt)
    return np.minimum(_floorf(src), n_in - 1)


def linear_weights(
    n_in: int, n_out: int, scale: float | None, align_corners: bool, dt: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(i0, i1, l0, l1): out[j] = l0[j] * x[i0[j]] + l1[j] * x[i1[j]], as ATen computes them.

    Equal sizes copy, whatever the scale factor (5 * 1.1 -> 5 is a copy), as in ATen.
    """
    if n_in == n_out:
        j = np.arange(n_out)
        return j, j, np.ones(n_out, dt), np.zeros(n_out, dt)
    s = _scale(n_in, n_out, align_corners, scale, dt)
    src = s * np.arange(n_out).astype(dt) if align_corners else _half_pixel(s, n_out, dt)
    i0 = np.minimum(_floorf(src), n_in - 1)
    l1 = np.clip(src - i0.astype(dt), dt(0), dt(1)).astype(dt)
    i1 = i0 + (i0 < n_in - 1)
    return i0, i1, (dt(1) - l1).astype(dt), l1


def _matrix(n_in: int, cols: tuple, weights: tuple) -> Any:
    """The (out, in) CSR matrix with row j holding weights[k][j] at column cols[k][j].

    Built directly (not through COO, which would merge the two entries of an edge row), so each
    row is summed as ATen sums it: l0 * x0 + l1 * x1.
    """
    n_out, k = len(cols[0]), len(cols)
    indices = np.stack(cols, axis=1).reshape(-1)
    data = np.stack(weights, axis=1).reshape(-1)
    indptr = np.arange(0, k * n_out + 1, k)
    return sparse.csr_array((data, indices, indptr), shape=(n_out, n_in))


@functools.lru_cache(maxsize=256)  # a model resamples the same shapes at every step
def axis_maps(
    mode: str, n_in: int, n_out: int, scale: float | None, align_corners: bool, dt: Any, ndim: int
) -> tuple[Any, Any]:
    """(forward matrix (out, in), backward matrix (in, out)) for one of `ndim` spatial dims."""
    if mode in ("nearest", "nearest-exact"):
        exact = mode == "nearest-exact"
        one = np.ones(n_out, dt)
        bwd = _matrix(n_in, (nearest_index(n_in, n_out, scale, exact, dt, True),), (one,))
        if ndim > 1:
            return bwd, bwd.T.tocsr()
        fwd = _matrix(n_in, (nearest_index(n_in, n_out, scale, exact, dt),), (one,))
        return fwd, bwd.T.tocsr()
    i0, i1, l0, l1 = linear_weights(n_in, n_out, scale, align_corners, dt)
    fwd = _matrix(n_in, (i0, i1), (l0, l1))
    return fwd, fwd.T.tocsr()


def apply_along(x: np.ndarray, mats: tuple, axes: tuple) -> np.ndarray:
    """Apply mats[k] along axes[k], the last axis first (ATen's nesting: W inside H)."""
    for m, ax in reversed(tuple(zip(mats, axes))):
        moved = np.moveaxis(x, ax, 0)
        rest = moved.shape[1:]
        y = m @ moved.reshape(moved.shape[0], math.prod(rest))
        x = np.ascontiguousarray(np.moveaxis(y.reshape((m.shape[0],) + rest), 0, ax))
    return x


class Upsample(Primitive):
    """out = (M_h x M_w^T per image), M_k the forward matrices;  dx = M_h'^T g M_w', M_k' torch's
    backward matrices (the forward's own, but for nearest's legacy index rule)"""

    node_name = "UpsampleBackward0"  # the concrete ops below carry torch's names
    _adjoint: type

    @classmethod
    def forward(cls, ctx, x, fwd, bwd):
        if ctx is not None:
            ctx.fwd, ctx.bwd = fwd, bwd
        axes = tuple(range(x.ndim - len(fwd), x.ndim))
        if x.dtype.kind != "f":  # integer images: a gather keeps the dtype exactly
            for m, ax in zip(fwd, axes):
                x = np.take(x, m.indices, axis=ax)
            return x
        return apply_along(x, fwd, axes)

    @classmethod
    def backward(cls, ctx, g):
        if isinstance(g, np.ndarray):
            return cls._adjoint.forward(None, g, ctx.fwd, ctx.bwd)
        return cls._adjoint.apply(g, fwd=ctx.fwd, bwd=ctx.bwd)

    jvp_rule = fw.linear


class UpsampleAdjoint(Primitive):
    """out = M'^T g, the gradient as an op (for create_graph);  d out/d g = the forward again"""

    node_name = "UpsampleBackwardBackward0"
    _forward_op: type

    @classmethod
    def forward(cls, ctx, g, fwd, bwd):
        if ctx is not None:
            ctx.fwd, ctx.bwd = fwd, bwd
        axes = tuple(range(g.ndim - len(bwd), g.ndim))
        return apply_along(g, bwd, axes)

    @classmethod
    def backward(cls, ctx, gg):
        if isinstance(gg, np.ndarray):
            return cls._forward_op.forward(None, gg, ctx.fwd, ctx.bwd)
        return cls._forward_op.apply(gg, fwd=ctx.fwd, bwd=ctx.bwd)

    jvp_rule = fw.linear


def _family(name: str) -> type:
    """The forward primitive for torch's upsample_<name> and its adjoint, named as torch's."""
    fwd_cls = type(name, (Upsample,), {"node_name": f"{name}Backward0"})
    adj_cls = type(f"{name}Adjoint", (UpsampleAdjoint,), {"node_name": f"{name}BackwardBackward0"})
    fwd_cls._adjoint, adj_cls._forward_op = adj_cls, fwd_cls
    return fwd_cls


UPSAMPLE: dict[tuple[str, int], type] = {
    ("nearest", 1): _family("UpsampleNearest1D"),
    ("nearest", 2): _family("UpsampleNearest2D"),
    ("nearest-exact", 1): _family("UpsampleNearestExact1D"),
    ("nearest-exact", 2): _family("UpsampleNearestExact2D"),
    ("linear", 1): _family("UpsampleLinear1D"),
    ("bilinear", 2): _family("UpsampleBilinear2D"),
}


def upsample(x: Any, mode: str, sizes: tuple, scales: tuple, align_corners: bool) -> Any:
    """x (a Tensor, spatial dims last) resampled to `sizes` by the primitive for `mode`."""
    shape = x.data.shape
    dt = x.data.dtype.type if x.data.dtype.kind == "f" else np.float32
    spatial = shape[len(shape) - len(sizes) :]
    pairs = [
        axis_maps(mode, n, m, s, align_corners, dt, len(sizes))
        for n, m, s in zip(spatial, sizes, scales)
    ]
    return UPSAMPLE[(mode, len(sizes))].apply(
        x, fwd=tuple(p[0] for p in pairs), bwd=tuple(p[1] for p in pairs)
    )
