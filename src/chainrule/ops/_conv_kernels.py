"""Convolution kernels on NumPy arrays: im2col, and the three maps of one geometry.

    conv:   y = A(x, w)    im2col of x, then one batched matmul per group
    input:  x = At(y, w)   A's adjoint in x: a matmul, then col2im (conv_transpose's forward)
    weight: w = Aw(x, y)   A's adjoint in w: a matmul against the im2col columns

All of it runs on 4-D arrays; 1-D convolutions get a height of 1.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided


class Geom(NamedTuple):
    """The geometry of A: x (N, C, *size) -> y (N, O, *out), weight (O, C / groups, *ksize)."""

    size: tuple[int, int]
    ksize: tuple[int, int]
    out: tuple[int, int]
    stride: tuple[int, int]
    dilation: tuple[int, int]
    lo: tuple[int, int]  # zeros before the input; after it, as many as the last window needs
    groups: int
    nd: int  # spatial dims of the arrays; with 1, the 4-D kernels see a height of 1

    def span(self, i: int) -> int:
        """How far the windows of spatial dim i reach into the padded input."""
        return (self.out[i] - 1) * self.stride[i] + (self.ksize[i] - 1) * self.dilation[i] + 1


# --- the three maps on 4-D arrays ----------------------------------------------------------------


def _padded(x: np.ndarray, g: Geom) -> np.ndarray:
    n, c, h, w = x.shape
    (t, left), (ph, pw) = g.lo, (g.span(0), g.span(1))
    if t == 0 and left == 0 and ph <= h and pw <= w:
        return x
    xp = np.zeros((n, c, max(ph, t + h), max(pw, left + w)), x.dtype)
    xp[:, :, t : t + h, left : left + w] = x
    return xp


def im2col(x: np.ndarray, g: Geom) -> np.ndarray:
    """x's windows as (N, groups, C / groups * kh * kw, oh * ow): one strided copy."""
    xp = _padded(x, g)
    n, c = xp.shape[:2]
    s_n, s_c, s_h, s_w = xp.strides
    (kh, kw), (oh, ow) = g.ksize, g.out
    shape = (n, c, kh, kw, oh, ow)
    strides = (
        s_n, s_c, s_h * g.dilation[0], s_w * g.dilation[1], s_h * g.stride[0], s_w * g.stride[1]
    )  # fmt: skip
    view = as_strided(xp, shape, strides, writeable=False)
    return view.reshape(n, g.groups, c // g.groups * kh * kw, oh * ow)


def _forward(x: np.ndarray, w: np.ndarray, g: Geom, cols: np.ndarray | None = None) -> np.ndarray:
    cols = im2col(x, g) if cols is None else cols
    o = w.shape[0]
    y = w.reshape(g.groups, o // g.groups, cols.shape[2]) @ cols  # (N, G, O / G, oh * ow)
    return y.reshape(x.shape[0], o, *g.out)


def _conv_input(y: np.ndarray, w: np.ndarray, g: Geom) -> np.ndarray:
    """At(y, w): the columns y's windows received, summed back onto the input (col2im).

    col2im accumulates one strided slice per kernel offset; with the batch innermost
    (C, H, W, N) each slice is made of long contiguous runs, which is what makes it fast.
    """
    n, o = y.shape[:2]
    groups, (kh, kw), (oh, ow), (h, w_) = g.groups, g.ksize, g.out, g.size
    c = w.shape[1] * groups
    yt = np.ascontiguousarray(y.reshape(n, groups, o // groups, oh * ow).transpose(1, 2, 3, 0))
    wt = w.reshape(groups, o // groups, c // groups * kh * kw).transpose(0, 2, 1)
    cols = (wt @ yt.reshape(groups, o // groups, oh * ow * n)).reshape(c, kh, kw, oh, ow, n)
    (t, left), (sh, sw), (dh, dw) = g.lo, g.stride, g.dilation
    buf = np.zeros((c, max(g.span(0), t + h), max(g.span(1), left + w_), n), cols.dtype)
    for i in range(kh):
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        for j in range(kw):
            buf[:, rows, j * dw : j * dw + sw * (ow - 1) + 1 : sw] += cols[:, i, j]
    return np.ascontiguousarray(buf[:, t : t + h, left : left + w_].transpose(3, 0, 1, 2))


def _conv_weight(
    x: np.ndarray, y: np.ndarray, g: Geom, cols: np.ndarray | None = None
) -> np.ndarray:
    """Aw(x, y): each weight is the sum over the batch and space of y times its window entry."""
    cols = im2col(x, g) if cols is None else cols
    n, o = y.shape[:2]
    ym = y.reshape(n, g.groups, o // g.groups, g.out[0] * g.out[1])
    dw = (ym @ cols.transpose(0, 1, 3, 2)).sum(0)  # (G, O / G, C / G * kh * kw)
    return dw.reshape(o, cols.shape[2] // (g.ksize[0] * g.ksize[1]), *g.ksize)


def as4(a: np.ndarray, g: Geom) -> np.ndarray:
    return a if g.nd == 2 else a.reshape(a.shape[:2] + (1,) + a.shape[2:])


def run(kind: str, a: np.ndarray, b: np.ndarray, g: Geom, cols: Any = None) -> np.ndarray:
    """One of the three maps on arrays of the user's rank (kind: conv, input or weight)."""
    a4, b4 = as4(a, g), as4(b, g)
    if kind == "conv":
        out = _forward(a4, b4, g, cols)
    elif kind == "input":
        out = _conv_input(a4, b4, g)
    else:
        out = _conv_weight(a4, b4, g, cols)
    return out if g.nd == 2 else out.reshape(out.shape[:2] + out.shape[3:])
