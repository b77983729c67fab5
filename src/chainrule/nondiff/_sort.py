"""Soft sorting and ranking (Blondel, Teboul, Berthet & Djolonga 2020, "Fast Differentiable
Sorting and Ranking"): projections onto the permutahedron, computed by a sort and an isotonic
regression (pool adjacent violators), O(n log n); backward is exact through the isotonic
solution's blocks. Along the last dim; leading dims are a batch.

With w = (n, n-1, ..., 1), eps the regularization strength and blocks B from PAV:
  soft_rank (l2): P(x / eps, w), one block's entries s_i - mean_B(s) + mean_B(w)
  soft_rank (kl): exp(P_kl(x / eps, log w)), one block's entries softmax_B(s)_i * sum_B(w)
  soft_sort (l2): P(w / eps, x), one block's entries mean_B(s) + (w_i - mean_B(w)) / eps
Written in that form (block means, not w - iso(w - s)) a singleton block returns s, or w,
exactly: at small eps the hard sort and rank come out bit for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import chainrule
from chainrule.autograd.function import Function
from chainrule.tensor import Tensor


def _pav_l2(y: np.ndarray) -> list[int]:
    """Block sizes of argmin ||v - y||^2 s.t. v non-increasing (pool adjacent violators)."""
    sums: list[float] = []
    sizes: list[int] = []
    for v in y.tolist():
        s, c = v, 1
        while sums and sums[-1] / sizes[-1] < s / c:
            s += sums.pop()
            c += sizes.pop()
        sums.append(s)
        sizes.append(c)
    return sizes


def _pav_kl(s: np.ndarray, lw: np.ndarray) -> list[int]:
    """Block sizes of the KL isotonic problem: block value logsumexp(s_B) - logsumexp(lw_B),
    non-increasing."""
    a_st: list[float] = []
    b_st: list[float] = []
    sizes: list[int] = []
    for a, b in zip(s.tolist(), lw.tolist()):
        c = 1
        while a_st and a_st[-1] - b_st[-1] < a - b:
            a = float(np.logaddexp(a, a_st.pop()))
            b = float(np.logaddexp(b, b_st.pop()))
            c += sizes.pop()
        a_st.append(a)
        b_st.append(b)
        sizes.append(c)
    return sizes


class _Blocks:
    """Global block ids of a (rows, n) batch, and the per-block sums and means over them."""

    def __init__(self, sizes_per_row: list[list[int]], n: int) -> None:
        self.rows = len(sizes_per_row)
        ids = []
        offset = 0
        for sizes in sizes_per_row:
            ids.append(np.repeat(np.arange(offset, offset + len(sizes)), sizes))
            offset += len(sizes)
        self.ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        self.count = offset
        self.sizes = np.bincount(self.ids, minlength=offset).astype(np.float64)

    def sum(self, v: np.ndarray) -> np.ndarray:
        """Each entry replaced by its block's sum (v: rows x n)."""
        return np.bincount(self.ids, v.ravel(), minlength=self.count)[self.ids].reshape(v.shape)

    def mean(self, v: np.ndarray) -> np.ndarray:
        return self.sum(v) / self.sizes[self.ids].reshape(v.shape)

    def sum_t(self, v: Tensor) -> Tensor:
        """sum() on a Tensor, differentiably (backward under create_graph)."""
        ids = chainrule.from_numpy(self.ids)
        flat = chainrule.zeros(self.count, dtype=v.dtype).index_add(0, ids, v.reshape(-1))
        return flat[ids].reshape(v.shape)

    def mean_t(self, v: Tensor) -> Tensor:
        size = chainrule.from_numpy(self.sizes[self.ids].reshape(v.shape).astype(v.data.dtype))
        return self.sum_t(v) / size


def _rows(x: Tensor, name: str) -> np.ndarray:
    if x.dim() == 0:
        raise ValueError(f"{name}: expected a tensor with at least one dimension, got a 0-d one")
    if x.data.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point tensor, got {x.dtype}")
    return x.data.astype(np.float64).reshape(int(np.prod(x.shape[:-1])), x.shape[-1])


def _sign(direction: str, name: str) -> int:
    d = direction.upper()
    if d not in ("ASCENDING", "DESCENDING"):
        raise ValueError(
            f"{name}: direction must be 'ascending' or 'descending', got {direction!r}"
        )
    return 1 if d == "ASCENDING" else -1


def _check(strength: float, regularization: str, name: str, kinds: tuple) -> float:
    eps = float(strength)
    if not eps > 0:
        raise ValueError(f"{name}: regularization_strength must be positive, got {strength!r}")
    if regularization not in kinds:
        raise ValueError(f"{name}: regularization must be one of {kinds}, got {regularization!r}")
    return eps


def _descending_order(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    perm = np.argsort(-v, axis=-1, kind="stable")
    inv = np.argsort(perm, axis=-1, kind="stable")
    return perm, inv


class SoftSort(Function):
    """out = P(w / eps, sign * x) * sign, sorted;  dout/dx: block means of the gradient,
    scattered back to x's order."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, eps: float, sign: int) -> Tensor:
        rows = _rows(x, "soft_sort")
        n = rows.shape[-1]
        perm, inv = _descending_order(sign * rows)
        s = np.take_along_axis(sign * rows, perm, -1)
        w = np.arange(n, 0, -1, dtype=np.float64)
        blocks = _Blocks([_pav_l2(w / eps - r) for r in s], n)
        wb = np.broadcast_to(w, s.shape)
        out = blocks.mean(s) + (wb - blocks.mean(wb)) / eps
        ctx.blocks, ctx.inv, ctx.shape = blocks, inv, x.shape
        out = sign * out + 0.0  # + 0.0: no -0.0 where the hard sort gives 0.0
        return chainrule.from_numpy(out.astype(x.data.dtype).reshape(x.shape))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        g = grad_out.reshape(ctx.blocks.rows, ctx.shape[-1])
        gs = ctx.blocks.mean_t(g)  # d(sorted out)/d(sorted input) = block averaging (signs cancel)
        grad_x = gs.gather(-1, chainrule.from_numpy(ctx.inv))
        return grad_x.reshape(ctx.shape), None, None


class SoftRank(Function):
    """out = P(x * sign / eps, w);  dout/dx = (I - J) / eps * sign, J the block averaging
    (l2) or per-block softmax-weighted (kl) Jacobian of the isotonic solution."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, eps: float, sign: int, kl: bool) -> Tensor:
        rows = _rows(x, "soft_rank")
        n = rows.shape[-1]
        scale = sign / eps
        theta = rows * scale
        perm, inv = _descending_order(theta)
        s = np.take_along_axis(theta, perm, -1)
        w = np.arange(n, 0, -1, dtype=np.float64)
        wb = np.broadcast_to(w, s.shape)
        if kl:
            lw = np.log(w)
            blocks = _Blocks([_pav_kl(r, lw) for r in s], n)
            ctx.shift = _blocks_max(blocks, s)
            ctx.weight = blocks.sum(wb)
            e = np.exp(s - ctx.shift)
            primal = e / blocks.sum(e) * ctx.weight
            ctx.save_for_backward(x)
        else:
            blocks = _Blocks([_pav_l2(r - w) for r in s], n)
            primal = s - blocks.mean(s) + blocks.mean(wb)
        ctx.blocks, ctx.perm, ctx.inv, ctx.shape = blocks, perm, inv, x.shape
        ctx.scale, ctx.kl = scale, kl
        out = np.take_along_axis(primal, inv, -1)
        return chainrule.from_numpy(out.astype(x.data.dtype).reshape(x.shape))

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        g = grad_out.reshape(ctx.blocks.rows, ctx.shape[-1]).gather(
            -1, chainrule.from_numpy(ctx.perm)
        )
        if ctx.kl:  # out_i = W_B p_i, p = softmax_B(s): grad_s = out * (g - sum_B(p g))
            p = _block_softmax(ctx)  # from the saved input: differentiable in x too
            weight = chainrule.from_numpy(ctx.weight.astype(p.data.dtype))
            gs = p * weight * (g - ctx.blocks.sum_t(p * g))
        else:
            gs = g - ctx.blocks.mean_t(g)
        grad_x = gs.gather(-1, chainrule.from_numpy(ctx.inv)) * ctx.scale
        return grad_x.reshape(ctx.shape), None, None, None


def _block_softmax(ctx: Any) -> Tensor:
    """softmax of the sorted scaled input within each block, as a function of the saved input."""
    (x,) = ctx.saved_tensors
    s = (
        x.reshape(ctx.blocks.rows, ctx.shape[-1]).gather(-1, chainrule.from_numpy(ctx.perm))
        * ctx.scale
    )
    e = (s - chainrule.from_numpy(ctx.shift.astype(x.data.dtype))).exp()
    return e / ctx.blocks.sum_t(e)


def _blocks_max(blocks: _Blocks, v: np.ndarray) -> np.ndarray:
    """Each entry replaced by its block's max (for a stable per-block softmax)."""
    m = np.full(blocks.count, -np.inf)
    np.maximum.at(m, blocks.ids, v.ravel())
    return m[blocks.ids].reshape(v.shape)


def soft_sort(
    input: Tensor,
    regularization_strength: float = 1.0,
    *,
    direction: str = "ascending",
    regularization: str = "l2",
) -> Tensor:
    """Sorted values of `input` along its last dim, relaxed: the hard sort as
    regularization_strength -> 0, every entry the mean as it -> inf (l2 regularization)."""
    eps = _check(regularization_strength, regularization, "soft_sort", ("l2",))
    return SoftSort.apply(input, eps, _sign(direction, "soft_sort") * -1)


def soft_rank(
    input: Tensor,
    regularization_strength: float = 1.0,
    *,
    direction: str = "ascending",
    regularization: str = "l2",
) -> Tensor:
    """Ranks (1..n, as floats) of `input` along its last dim, relaxed: the hard ranks as
    regularization_strength -> 0, every entry (n + 1) / 2 as it -> inf."""
    eps = _check(regularization_strength, regularization, "soft_rank", ("l2", "kl"))
    return SoftRank.apply(input, eps, _sign(direction, "soft_rank"), regularization == "kl")
