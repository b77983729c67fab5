"""nn.functional.pad: constant (negative pads crop), reflect, replicate and circular modes."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._dtype import kernel_error
from chainrule.autograd import forward_ad as fw
from chainrule.autograd.function import NULL_CTX
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive
from chainrule.tensor import Tensor


def check_narrow(size: int, start: int, length: int) -> int:
    """torch's checks of narrow(dim, start, length) on a dim of `size`; the start, wrapped."""
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start != size:
        if not -size <= start < size:
            raise IndexError(
                f"start out of range (expected to be in range of [{-size}, {size}], but got "
                f"{start})"
            )
        start %= size
    if start > size - length:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return start


class ConstantPadNd(Primitive):
    """out = x with (lo, hi) entries of `value` added on each axis (cropped where negative);
    dout/dx = g with the pads negated (the padding cropped off, the crop padded with zeros)"""

    node_name = "ConstantPadNdBackward0"

    @staticmethod
    def forward(ctx, x, pads, value):
        ctx.pads = pads
        out = np.full(tuple(s + lo + hi for s, (lo, hi) in zip(x.shape, pads)), value, x.dtype)
        src, dst = [], []
        for s, (lo, hi) in zip(x.shape, pads):
            a, b = max(-lo, 0), s - max(-hi, 0)
            src.append(slice(a, b))
            dst.append(slice(max(lo, 0), max(lo, 0) + b - a))
        out[tuple(dst)] = x[tuple(src)]
        return out

    @staticmethod
    def backward(ctx, g):
        back = tuple((-lo, -hi) for lo, hi in ctx.pads)
        if d._t(g):
            return ConstantPadNd.apply(g, pads=back, value=0)
        return ConstantPadNd.forward(NULL_CTX, g, back, 0)

    @staticmethod
    def jvp_rule(t, out, x, pads, value):
        return ConstantPadNd.forward(NULL_CTX, fw.dense(t[0], x), pads, 0)  # the pads are constant


class _IndexPad(Primitive):
    """out = x[index] (each padded position reads the input position its mode maps it to);
    dout/dx = g added back at index (positions read twice accumulate)"""

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape, ctx.index = x.shape, index
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return d.index_add_into(ctx.shape, ctx.index, g, True)

    jvp_rule = fw.linear


_PADS = {
    (mode, k): type(cls, (_IndexPad,), {"node_name": f"{cls}{k}DBackward0"})
    for mode, cls in (("reflect", "ReflectionPad"), ("replicate", "ReplicationPad"))
    for k in (1, 2, 3)
}
# torch builds circular padding from slice copies: its grad_fn is a CopySlices
_CIRCULAR = type("CopySlices", (_IndexPad,), {"node_name": "CopySlices"})
_PADS.update({("circular", k): _CIRCULAR for k in (1, 2, 3)})

_NOT_SUPPORTED = (
    "Padding size {p} is not supported for {n}D input tensor.\n"
    "Supported combinations for non-constant padding:\n"
    "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
    "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
    "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)"
)


def _source(mode: str, s: int, lo: int, hi: int) -> np.ndarray:
    """For each output position along one axis, the input position it reads."""
    p = np.arange(s + lo + hi) - lo
    if mode == "reflect":
        p = np.abs(p)
        return np.where(p >= s, 2 * (s - 1) - p, p)
    if mode == "replicate":
        return np.clip(p, 0, s - 1)
    # circular: torch wraps around the input cropped by the negative pads
    a, kept = max(-lo, 0), s - max(-lo, 0) - max(-hi, 0)
    return a + (np.arange(s + lo + hi) - max(lo, 0)) % max(kept, 1)


def _check_mode(mode: str, shape: tuple, pairs: list) -> None:
    """torch's checks for the non-constant modes; pairs[i] pads axis -1 - i."""
    n, k = len(shape), len(pairs)
    if mode == "circular":
        for i, (lo, hi) in enumerate(pairs):
            s = shape[n - 1 - i]
            kept = s - max(-lo, 0) - max(-hi, 0)
            if lo > s or hi > s or (kept <= 0 < s + lo + hi):
                raise RuntimeError("Padding value causes wrapping around more than once.")
            if s + lo + hi < 0:
                raise RuntimeError("Negative padding value is resulting in an empty dimension.")
        return
    first = 1 if n == k + 2 else 0
    if any(s == 0 for s in shape[first:]):
        raise RuntimeError(
            f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 batch size and "
            f"other non-zero dimensions for input, but got: {list(shape)}"
        )
    if mode == "reflect":
        for i, (lo, hi) in enumerate(pairs):
            if lo >= shape[n - 1 - i] or hi >= shape[n - 1 - i]:
                raise RuntimeError(
                    f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding "
                    f"input dimension, but got: padding ({lo}, {hi}) at dimension {n - 1 - i} of "
                    f"input {list(shape)}"
                )
    names = "WHD"[:k][::-1]
    sizes = [shape[n - 1 - i] for i in range(k)][::-1]
    outs = [s + lo + hi for s, (lo, hi) in zip(sizes, pairs[::-1])]
    if any(o < 1 for o in outs):
        ins = ", ".join(f"{c}: {s}" for c, s in zip(names, sizes))
        got = " ".join(f"{c}: {o}" for c, o in zip(names, outs))
        raise RuntimeError(f"input ({ins}) is too small. Calculated output {got}")


def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pad (or crop, where negative) the last len(pad) // 2 dims of input: `pad` lists
    (before, after) for the last dim, then the one before it, and so on."""
    pads = list(pad)
    for i, p in enumerate(pads):
        if not isinstance(p, (int, np.integer)) or isinstance(p, bool):
            raise TypeError(
                "pad(): argument 'pad' (position 2) must be tuple of ints, but found element of "
                f"type {type(p).__name__} at pos {i}"
            )
    pads = [int(p) for p in pads]
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if len(pads) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    shape = input.data.shape
    n, k = len(shape), len(pads) // 2
    if k > n:
        raise RuntimeError(
            "Padding length should be less than or equal to two times the input dimension but "
            f"got padding length {len(pads)} and input of dimension {n}"
        )
    pairs = [(pads[2 * i], pads[2 * i + 1]) for i in range(k)]  # the last dim first
    if mode == "constant":
        for i, (lo, hi) in enumerate(pairs):
            s = shape[n - 1 - i]
            if lo < 0:
                check_narrow(s, -lo, s + lo)
                s += lo
            if hi < 0:
                check_narrow(s, 0, s + hi)
        full = ((0, 0),) * (n - k) + tuple(pairs[::-1])
        return ConstantPadNd.apply(input, pads=full, value=0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if k not in (1, 2, 3) or n not in (k + 1, k + 2):
        raise NotImplementedError(_NOT_SUPPORTED.format(p=len(pads), n=n))
    _check_mode(mode, shape, pairs)
    if input.data.dtype.kind == "b" and mode != "circular":
        raise kernel_error(
            f"{'reflection' if mode == 'reflect' else 'replication'}_pad{k}d", input.data.dtype
        )
    maps = [_source(mode, shape[n - 1 - i], lo, hi) for i, (lo, hi) in enumerate(pairs)][::-1]
    index = (slice(None),) * (n - k) + np.ix_(*maps)
    return _PADS[mode, k].apply(input, index=index)
