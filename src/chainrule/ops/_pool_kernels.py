"""Pooling kernels and primitives (the public functions and torch's checks are in pool.py).

Windows are read as strided slices, one per kernel offset (never a loop over pixels). Max
pooling keeps, per window, the flat index into the input plane that torch picks: the first
maximum in row-major window order, or the last NaN; its backward scatters the gradient to
those indices and the scatter's own derivative gathers, so second derivatives are exact.
Average pooling and its backward are a pair of adjoint linear maps, each the other's
derivative; adaptive average pooling is a matrix on each side of the input plane.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from chainrule.autograd.function import NULL_CTX
from chainrule.ops._util import Primitive
from chainrule.tensor import Tensor


class Pool(NamedTuple):
    """A 2-D pooling window layout over input planes of `size`."""

    size: tuple[int, int]
    ksize: tuple[int, int]
    out: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    pad: tuple[int, int]

    def span(self, i: int) -> int:
        return (self.out[i] - 1) * self.stride[i] + (self.ksize[i] - 1) * self.dilation[i] + 1

    def offsets(self) -> list[tuple[int, int]]:
        return [(i, j) for i in range(self.ksize[0]) for j in range(self.ksize[1])]


def _padded(x: np.ndarray, p: Pool, fill: Any) -> np.ndarray:
    """x (..., H, W) inside `fill`, as far as the windows reach (ceil_mode may overhang)."""
    h, w = x.shape[-2:]
    (t, left), (ph, pw) = p.pad, (p.span(0), p.span(1))
    if t == 0 and left == 0 and ph <= h and pw <= w:
        return x
    xp = np.full(x.shape[:-2] + (max(ph, t + h), max(pw, left + w)), fill, x.dtype)
    xp[..., t : t + h, left : left + w] = x
    return xp


def _window(xp: np.ndarray, p: Pool, i: int, j: int) -> np.ndarray:
    """The element at kernel offset (i, j) of every window: a strided slice."""
    (oh, ow), (sh, sw), (dh, dw) = p.out, p.stride, p.dilation
    rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
    return xp[..., rows, j * dw : j * dw + sw * (ow - 1) + 1 : sw]


def _valid(p: Pool, i: int, j: int) -> np.ndarray | None:
    """Which windows hold a real input element (not padding) at offset (i, j); None: all."""
    rows = np.arange(p.out[0]) * p.stride[0] - p.pad[0] + i * p.dilation[0]
    cols = np.arange(p.out[1]) * p.stride[1] - p.pad[1] + j * p.dilation[1]
    ok = ((rows >= 0) & (rows < p.size[0]))[:, None] & ((cols >= 0) & (cols < p.size[1]))
    return None if ok.all() else ok


def _first_max(views: list[np.ndarray], masks: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The max over the views and the position of the first one that holds it -- or of the last
    NaN, as torch's scan `if (val > maxval || isnan(val))` finds -- without branching per window."""
    best = views[0].copy()
    for v in views[1:]:
        np.maximum(best, v, out=best)
    code = np.int8 if len(views) < 128 else np.int32
    pos = np.zeros(best.shape, code)
    found = np.zeros(best.shape, bool)
    for n, (v, ok) in enumerate(zip(views, masks)):
        hit = v == best
        if ok is not None:
            hit &= ok  # padding never wins, not even over an all -inf window
        if n:
            pos += (hit > found) * code(n)
        found |= hit
    if best.dtype.kind == "f" and np.isnan(best).any():
        for n, v in enumerate(views):
            pos[np.isnan(v)] = n
    return best, pos


def _global(idx: np.ndarray, hw: int) -> np.ndarray:
    """Per-plane flat indices as indices into the whole input, flattened."""
    per = idx.shape[-1] * idx.shape[-2]
    planes = idx.size // max(per, 1)
    return (idx.reshape(planes, per) + (np.arange(planes) * hw)[:, None]).ravel()


def _scatter(g: np.ndarray, gidx: np.ndarray, shape: tuple, overlap: bool) -> np.ndarray:
    n = int(np.prod(shape))
    if overlap:  # windows share elements: accumulate
        out = np.bincount(gidx, weights=g.ravel(), minlength=n).astype(g.dtype, copy=False)
    else:
        out = np.zeros(n, g.dtype)
        out[gidx] = g.ravel()
    return out.reshape(shape)


class Scatter(Primitive):
    """out = zeros(shape) with g added at the indices;  d/dg = the upstream gathered there"""

    node_name = "MaxPool2DWithIndicesBackwardBackward0"

    @classmethod
    def forward(cls, ctx, g, gidx, shape, overlap):
        ctx.gidx, ctx.oshape = gidx, g.shape
        return _scatter(g, gidx, shape, overlap)

    @classmethod
    def backward(cls, ctx, h):
        return _gather(cls.gather, h, ctx.gidx, ctx.oshape)


class Gather(Primitive):
    """out = x at the indices (max pooling with its indices fixed);  d/dx = g scattered back"""

    node_name = "MaxPool2DWithIndicesBackward0"

    @classmethod
    def forward(cls, ctx, x, gidx, shape):
        ctx.gidx, ctx.xshape = gidx, x.shape
        return x.reshape(-1)[gidx].reshape(shape)

    @classmethod
    def backward(cls, ctx, g):
        return _scatter_any(cls.scatter, g, ctx.gidx, ctx.xshape, True)


class AdaptiveScatter(Scatter):
    node_name = "AdaptiveMaxPool2DBackwardBackward0"


class AdaptiveGather(Gather):
    node_name = "AdaptiveMaxPool2DBackward0"


Scatter.gather, Gather.scatter = Gather, Scatter
AdaptiveScatter.gather, AdaptiveGather.scatter = AdaptiveGather, AdaptiveScatter


def _scatter_any(cls: type, g: Any, gidx: np.ndarray, shape: tuple, overlap: bool) -> Any:
    """Scatter on arrays, or recorded as a node when a backward runs on Tensors."""
    if isinstance(g, Tensor):
        return cls.apply(g, gidx=gidx, shape=shape, overlap=overlap)
    return _scatter(g, gidx, shape, overlap)


def _gather(cls: type, h: Any, gidx: np.ndarray, shape: tuple) -> Any:
    """Gather on arrays, or recorded as a node when a backward runs on Tensors."""
    if isinstance(h, Tensor):
        return cls.apply(h, gidx=gidx, shape=shape)
    return h.reshape(-1)[gidx].reshape(shape)


class MaxPool2D(Primitive):
    """out = max over each window;  d/dx = g scattered to the index torch picks in each window
    (the first maximum in row-major order, the last NaN if any): ties are not split"""

    node_name = "MaxPool2DWithIndicesBackward0"
    scatter = Scatter

    @classmethod
    def forward(cls, ctx, x, pool, indices):
        fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = _padded(x, pool, fill)
        views = [_window(xp, pool, i, j) for i, j in pool.offsets()]
        if not (indices or ctx._edges[0] is not None):
            best = views[0].copy()
            for v in views[1:]:
                np.maximum(best, v, out=best)
            return best
        masks = [_valid(pool, i, j) for i, j in pool.offsets()]
        best, pos = _first_max(views, masks)
        (h, w), (sh, sw), (dh, dw), (ph, pw) = pool.size, pool.stride, pool.dilation, pool.pad
        tab = np.array([i * dh * w + j * dw for i, j in pool.offsets()])
        base = (np.arange(pool.out[0]) * sh - ph)[:, None] * w + np.arange(pool.out[1]) * sw - pw
        idx = np.take(tab, pos) + base
        ctx.gidx, ctx.shape = _global(idx, h * w), x.shape
        ctx.overlap = any(s < dv * (k - 1) + 1 for s, dv, k in zip(pool.stride, pool.dilation,
                                                                    pool.ksize))  # fmt: skip
        return (best, idx) if indices else best

    @classmethod
    def backward(cls, ctx, g, *_indices):
        return _scatter_any(cls.scatter, g, ctx.gidx, ctx.shape, ctx.overlap)


def _divisors(p: Pool, count_include_pad: bool, divisor_override: Any) -> Any:
    """torch's divisor per output: the window clipped to the padded input, or to the input."""
    if divisor_override is not None:
        return divisor_override
    sizes = []
    for k in range(2):
        start = np.arange(p.out[k]) * p.stride[k] - p.pad[k]
        end = np.minimum(start + p.ksize[k], p.size[k] + p.pad[k])
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, p.size[k])
        sizes.append(end - start)
    return sizes[0][:, None] * sizes[1]


class AvgPool2D(Primitive):
    """out = sum over each window / divisor;  d/dx = g / divisor added back over each window"""

    node_name = "AvgPool2DBackward0"

    @classmethod
    def forward(cls, ctx, x, pool, div):
        ctx.pool, ctx.div, ctx.shape = pool, div, x.shape
        xp = _padded(x, pool, 0)
        acc = _window(xp, pool, 0, 0).astype(np.int64 if x.dtype.kind in "iub" else x.dtype)
        for i, j in pool.offsets()[1:]:
            acc += _window(xp, pool, i, j)
        if x.dtype.kind in "iub":  # integer division truncating toward zero, as torch
            q = np.abs(acc) // np.maximum(div, 1)
            return (np.sign(acc) * q * (div != 0)).astype(x.dtype)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(div != 0, acc / div, 0).astype(x.dtype, copy=False)

    @classmethod
    def backward(cls, ctx, g):
        return _avg_adjoint(AvgPool2DBackward, g, ctx.pool, ctx.div, ctx.shape)


class AvgPool2DBackward(Primitive):
    """out = g / divisor added back over each window;  d/dg = the average over each window"""

    node_name = "AvgPool2DBackwardBackward0"

    @classmethod
    def forward(cls, ctx, g, pool, div, shape):
        ctx.pool, ctx.div = pool, div
        with np.errstate(invalid="ignore", divide="ignore"):
            gd = np.where(div != 0, g / div, 0).astype(g.dtype, copy=False)
        (t, left), (h, w) = pool.pad, pool.size
        buf = np.zeros(shape[:-2] + (max(pool.span(0), t + h), max(pool.span(1), left + w)),
                       g.dtype)  # fmt: skip
        for i, j in pool.offsets():
            _window(buf, pool, i, j)[...] += gd
        return buf[..., t : t + h, left : left + w].copy()

    @classmethod
    def backward(cls, ctx, h):
        if isinstance(h, Tensor):
            return AvgPool2D.apply(h, pool=ctx.pool, div=ctx.div)
        return AvgPool2D.forward(NULL_CTX, h, ctx.pool, ctx.div)


def _avg_adjoint(cls: type, g: Any, pool: Pool, div: Any, shape: tuple) -> Any:
    if isinstance(g, Tensor):
        return cls.apply(g, pool=pool, div=div, shape=shape)
    return cls.forward(NULL_CTX, g, pool, div, shape)


# --- adaptive pooling -----------------------------------------------------------------------------


def _adaptive_rows(n_in: int, n_out: int) -> tuple[np.ndarray, bool]:
    """Per output, its window's input rows (torch's bounds floor(i n / m) to ceil((i + 1) n / m)),
    the last one repeated up to a common length; and whether neighbouring windows share rows."""
    i = np.arange(n_out)
    start, end = i * n_in // n_out, -(-(i + 1) * n_in // n_out)
    k = int((end - start).max()) if n_out else 0
    rows = np.minimum(start[:, None] + np.arange(k), end[:, None] - 1)
    return rows, bool((end[:-1] > start[1:]).any())


def _averaging(n_in: int, n_out: int, dtype: np.dtype) -> np.ndarray:
    """The (n_out, n_in) matrix averaging each adaptive window."""
    i = np.arange(n_out)
    start, end = i * n_in // n_out, -(-(i + 1) * n_in // n_out)
    cols = np.arange(n_in)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2D(Primitive):
    """out = A @ x @ B.T, A and B averaging the windows' rows and columns;  d/dx = A.T @ g @ B"""

    node_name = "AdaptiveAvgPool2DBackward0"

    @classmethod
    def forward(cls, ctx, x, mats):
        a, b = mats
        ctx.mats = mats
        return (a @ x) @ b.T

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.mats
        if isinstance(g, Tensor):
            return AdaptiveAvgPool2DBackward.apply(g, mats=(a.T, b.T))
        return (a.T @ g) @ b


class AdaptiveAvgPool2DBackward(AdaptiveAvgPool2D):
    node_name = "AdaptiveAvgPool2DBackwardBackward0"


class AdaptiveMaxPool2D(MaxPool2D):
    """out = max over each adaptive window;  d/dx = g scattered to torch's index in each window
    (the first maximum in row-major order, the last NaN if any): ties are not split"""

    node_name = "AdaptiveMaxPool2DBackward0"
    scatter = AdaptiveScatter

    @classmethod
    def forward(cls, ctx, x, out, indices):
        h, w = x.shape[-2:]
        (rows, share_r), (cols, share_c) = _adaptive_rows(h, out[0]), _adaptive_rows(w, out[1])
        win = x[..., rows[:, :, None, None], cols]  # (..., oh, kh, ow, kw)
        kh, kw = rows.shape[1], cols.shape[1]
        views = [win[..., :, i, :, j] for i in range(kh) for j in range(kw)]
        if not views:  # an empty output
            views = [np.empty(x.shape[:-2] + tuple(out), x.dtype)]
        best, pos = _first_max(views, [None] * len(views))
        idx = rows[np.arange(out[0])[:, None], pos // kw] * w + cols[np.arange(out[1]), pos % kw]
        ctx.gidx, ctx.shape, ctx.overlap = _global(idx, h * w), x.shape, share_r or share_c
        return (best, idx) if indices else best
