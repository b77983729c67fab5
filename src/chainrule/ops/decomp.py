"""Matrix functions: inv det slogdet logdet solve cholesky; also torch.norm (ops/norms.py) among
this family's torch-level names and Tensor methods.

Gradients follow torch's formulas (Giles 2008, "Collected matrix derivative results"), written
once for arrays and Tensors so that create_graph records them.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
import scipy.linalg as sl

from chainrule._dtype import kernel_error
from chainrule.ops import _dual as d
from chainrule.ops import _linalg_helpers as h
from chainrule.ops._linalg_helpers import LinAlgError, batch_prefix, check_float, check_matrix
from chainrule.ops._util import Primitive, broadcast_error
from chainrule.ops.norms import torch_norm
from chainrule.ops.shape import transpose
from chainrule.ops.spectral import pinv, svdvals
from chainrule.ops.spectral import qr as linalg_qr
from chainrule.ops.spectral import svd as linalg_svd
from chainrule.tensor import Tensor

slogdet_result = namedtuple("linalg_slogdet", ["sign", "logabsdet"])


class Inv(Primitive):
    """out = A^-1;  dA = -out^T g out^T"""

    node_name = "LinalgInvExBackward0"

    @staticmethod
    def forward(ctx, A, name):
        try:
            out = np.linalg.inv(A)
        except np.linalg.LinAlgError:
            b, k = h.first_zero_pivot(A)
            raise LinAlgError(
                f"{name}: {batch_prefix(A, max(b, 0))}The diagonal element {k} is zero, the "
                "inversion could not be completed because the input matrix is singular."
            ) from None
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        oT = h.mT(out)
        return -(oT @ (g @ oT))


class Det(Primitive):
    """out = det(A);  dA = g det(A) A^-T. At a singular A, as torch: 0 where det(A) is exactly 0
    in a first-order backward; under create_graph, where |det(A)| < 100 eps, the adjugate
    U diag(prod_{j != i} s_j) V^T det(U) det(V^T) g from the SVD"""

    node_name = "LinalgDetBackward0"

    @staticmethod
    def forward(ctx, A):
        out = np.asarray(np.linalg.det(A), A.dtype)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, g):
        A, det = ctx.saved_tensors
        if d.data(A).size == 0:
            return d.const(g, np.zeros(A.shape, d.data(A).dtype))
        if isinstance(A, Tensor):
            return _det_backward_graph(A, det, g)
        n = A.shape[-1]
        dg = g * det
        res = np.empty(A.shape, A.dtype)
        nz = det != 0
        res[nz] = np.linalg.solve(h.mT(A[nz]), dg[nz][..., None, None] * np.eye(n, dtype=A.dtype))
        # torch solves with the rhs det * g = 0 there (zero pivots nudged by eps): 0, or NaN
        res[~nz] = (dg[~nz] * 0)[..., None, None]
        return res


def _det_backward_graph(A: Tensor, det: Tensor, g: Any) -> Any:
    """torch's create_graph formula: a solve where A is regular, the SVD adjugate where not."""
    eps = np.finfo(A.data.dtype).eps
    singular = np.abs(det.data) < 100 * eps
    if not singular.any():
        return _det_regular(A, det, g)
    if singular.all():
        return _det_singular(A, g)
    idx, rest = (singular,), (~singular,)
    gt = g if isinstance(g, Tensor) else d.const(A, g)
    return d.index_add_into(A.shape, idx, _det_singular(A[idx], gt[idx]), False) + d.index_add_into(
        A.shape, rest, _det_regular(A[rest], det[rest], gt[rest]), False
    )


def _det_regular(A: Tensor, det: Tensor, g: Any) -> Tensor:
    gd = h.unsqueeze(h.unsqueeze(g * det, -1), -1)  # det g I, as a batch of matrices
    return h.solve(h.mT(A), gd * h.eye_like(A, A.shape[-1]))


def _det_singular(A: Tensor, g: Any) -> Tensor:
    U, S, Vh = linalg_svd(A)
    alpha = det(U) * det(Vh) * g
    n = S.shape[-1]
    others = h.unsqueeze(alpha, -1) * d.const(A, np.ones(n, A.data.dtype))  # prod_{j != i} s_j
    for j in range(n):
        keep = np.arange(n) != j
        one_j = d.const(A, (~keep).astype(A.data.dtype))
        others = others * (S[..., j : j + 1] * d.const(A, keep.astype(A.data.dtype)) + one_j)
    return (U * h.unsqueeze(others, -2)) @ Vh


class Slogdet(Primitive):
    """sign, logabsdet = slogdet(A);  dA = g_logabsdet A^-T (sign: no gradient for real A)"""

    node_name = "LinalgSlogdetBackward0"

    @staticmethod
    def forward(ctx, A):
        sign, logabs = np.linalg.slogdet(A)
        ctx.save_for_backward(A)
        return np.asarray(sign, A.dtype), np.asarray(logabs, A.dtype)

    @staticmethod
    def backward(ctx, g_sign, g_log):
        if not h.defined(g_log):
            return None
        (A,) = ctx.saved_tensors
        rhs = h.diag_embed(
            h.unsqueeze(g_log, -1) * d.const(g_log, np.ones(A.shape[-1], d.data(A).dtype))
        )
        if isinstance(A, Tensor) or isinstance(rhs, Tensor):
            return h.solve(h.mT(A), rhs)
        try:
            return np.linalg.solve(h.mT(A), rhs)
        except np.linalg.LinAlgError:  # singular: LU's zero pivots divide, as torch's lu_solve
            flat_a = A.reshape((-1,) + A.shape[-2:])
            flat_r = np.broadcast_to(rhs, A.shape).reshape(flat_a.shape)
            with np.errstate(all="ignore"), h._quiet():
                out = [
                    sl.lu_solve(sl.lu_factor(a, check_finite=False), r, trans=1, check_finite=False)
                    for a, r in zip(flat_a, flat_r)
                ]
            return np.stack(out).reshape(A.shape)


class Solve(Primitive):
    """X = A^-1 B (left) or B A^-1;  dB = A^-T g, dA = -dB X^T (left) or -X^T dB"""

    node_name = "LinalgSolveExBackward0"

    @staticmethod
    def forward(ctx, A, B, vector, left):
        Bm = B[..., None] if vector else B
        Al, Bl = (A, Bm) if left else (h.mT(A), h.mT(Bm))
        try:
            X = np.linalg.solve(Al, Bl)
        except np.linalg.LinAlgError:
            b, _ = h.first_zero_pivot(A)
            raise LinAlgError(
                f"torch.linalg.solve: {batch_prefix(A, max(b, 0))}The solver failed because the "
                "input matrix is singular."
            ) from None
        if not left:
            X = np.ascontiguousarray(h.mT(X))
        if vector:
            X = X[..., 0]
        ctx.vector, ctx.left = vector, left
        ctx.save_for_backward(A, X)
        return X

    @staticmethod
    def backward(ctx, g):
        A, X = ctx.saved_tensors
        if ctx.vector:
            g, X = h.unsqueeze(g, -1), h.unsqueeze(X, -1)
        if ctx.left:
            gB = h.solve(h.mT(A), g)
            gA = -(gB @ h.mT(X)) if ctx._edges[0] is not None else None
        else:
            gB = h.mT(h.solve(A, h.mT(g)))
            gA = -(h.mT(X) @ gB) if ctx._edges[0] is not None else None
        if ctx.vector:
            gB = d.reshape(gB, gB.shape[:-1])
        return gA, gB


class Cholesky(Primitive):
    """L = cholesky(A), A = L L^T (upper: U = L^T);  dA = L^-T Phi(L^T g) L^-1 with
    Phi(X) = (tril(X) + tril(X, -1)^T) / 2"""

    node_name = "LinalgCholeskyExBackward0"

    @staticmethod
    def forward(ctx, A, upper, name="linalg.cholesky"):
        src = h.mT(A) if upper else A  # upper reads A's upper triangle, as torch
        try:
            L = np.linalg.cholesky(src)
        except np.linalg.LinAlgError:
            b, k = _not_positive_definite(src)
            raise LinAlgError(
                f"{name}: {batch_prefix(A, b)}The factorization could not be completed "
                f"because the input is not positive-definite (the leading minor of order {k} is "
                "not positive-definite)."
            ) from None
        out = np.ascontiguousarray(h.mT(L)) if upper else L
        ctx.upper = upper
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        L, gL = (h.mT(out), h.mT(g)) if ctx.upper else (out, g)
        P = h.tril(h.mT(L) @ gL)
        gA = 0.5 * (P + h.mT(h.tril(P, -1)))
        gA = h.solve_tri(h.mT(L), gA, lower=False)
        return h.right_solve_tri(gA, L, lower=True)


class _LegacyCholesky(Cholesky):
    node_name = "CholeskyBackward0"


def _not_positive_definite(a: np.ndarray) -> tuple[int, int]:
    """(batch index, order of the leading minor) where LAPACK's potrf first fails."""
    flat = a.reshape((-1,) + a.shape[-2:])
    potrf = sl.lapack.get_lapack_funcs("potrf", (flat,))
    for b, m in enumerate(flat):
        _, info = potrf(m, lower=1)
        if info > 0:
            return b, int(info)
    return 0, 0


# --- functional forms ----------------------------------------------------------------------------


def _square_float(name: str, A: Tensor) -> None:
    check_matrix(name, A.data)
    check_float(name, A.data)


def inv(A: Tensor, *, out: Any = None) -> Tensor:
    """The inverse of a square matrix (batched); LinAlgError if it is singular."""
    _square_float("linalg.inv", A)
    return Inv.apply(A, name="linalg.inv")


def inverse(input: Tensor, *, out: Any = None) -> Tensor:
    """torch.inverse: linalg.inv."""
    return inv(input)


def det(A: Tensor, *, out: Any = None) -> Tensor:
    """The determinant of square matrices (batched)."""
    check_matrix("linalg.det", A.data)
    check_float("linalg.det", A.data, low_precision=True)
    return Det.apply(A)


def slogdet(A: Tensor, *, out: Any = None) -> Any:
    """(sign, log|det|) of square matrices (batched)."""
    _square_float("linalg.slogdet", A)
    return slogdet_result(*Slogdet.apply(A))


def logdet(input: Tensor) -> Tensor:
    """log det: NaN for a negative determinant, -inf for a singular matrix."""
    from chainrule.ops.arithmetic import where

    _square_float("logdet", input)
    sign, logabs = Slogdet.apply(input)
    return where(np.asarray(sign.data == -1), np.nan, logabs)


def solve(A: Tensor, B: Tensor, *, left: bool = True, out: Any = None) -> Tensor:
    """X with A X = B (left) or X A = B; B a batch of vectors or matrices, batches broadcast."""
    a, b = A.data, B.data
    _square_float("linalg.solve", A)
    if a.dtype != b.dtype:
        raise RuntimeError(
            "linalg.solve: Expected A and B to have the same dtype, but found A of type "
            f"{h.scalar_name(a.dtype)} and B of type {h.scalar_name(b.dtype)} instead"
        )
    n = a.shape[-1]
    vector = b.ndim == 1 or (a.ndim - 1 == b.ndim and b.shape == a.shape[:-1])
    rows, cols = (b.shape[-1], 1) if vector else b.shape[-2:]
    if (rows if left else cols) != n or (vector and not left and n != 1):
        raise RuntimeError(
            "linalg.solve: Incompatible shapes of A and B for the equation "
            f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {rows}x{cols})"
        )
    batch_b = b.shape[:-1] if vector else b.shape[:-2]
    try:
        np.broadcast_shapes(batch_b, a.shape[:-2])
    except ValueError:
        raise broadcast_error(np.empty(batch_b), np.empty(a.shape[:-2])) from None
    return Solve.apply(A, B, vector=vector, left=left)


def linalg_cholesky(A: Tensor, *, upper: bool = False, out: Any = None) -> Tensor:
    """L with A = L L^T (upper=True: U, A = U^T U); LinAlgError if A is not positive-definite."""
    _square_float("linalg.cholesky", A)
    return Cholesky.apply(A, upper=upper)


def cholesky(input: Tensor, upper: bool = False, *, out: Any = None) -> Tensor:
    """torch.cholesky (deprecated in torch for linalg.cholesky): the same factor."""
    check_matrix("cholesky", input.data)
    if input.data.dtype not in (np.float32, np.float64):  # torch's kernel: float, double only
        if input.data.size == 0:  # except an empty input, returned as it is
            return input.clone()
        raise kernel_error("cholesky_cpu", input.data.dtype)
    return _LegacyCholesky.apply(input, upper=upper, name="cholesky")


def qr(input: Tensor, some: bool = True, *, out: Any = None) -> Any:
    """torch.qr (deprecated in torch): linalg.qr, reduced unless some=False."""
    return qr_result(*linalg_qr(input, "reduced" if some else "complete"))


def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out: Any = None) -> Any:
    """torch.svd (deprecated in torch): (U, S, V) with V = Vh^T; without compute_uv, U and V are
    zeros (full size) and only S has a gradient."""
    if not compute_uv:
        from chainrule.autograd.function import _wrap

        m, n = input.data.shape[-2:]
        batch, dt = input.data.shape[:-2], input.data.dtype
        zeros = [_wrap(np.zeros(batch + (k, k), dt), None) for k in (m, n)]
        return svd_result(zeros[0], svdvals(input), zeros[1])
    U, S, Vh = linalg_svd(input, full_matrices=not some)
    return svd_result(U, S, transpose(Vh, -2, -1))


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """torch.pinverse: linalg.pinv with rtol = rcond."""
    return pinv(input, rcond=rcond)


qr_result = namedtuple("qr", ["Q", "R"])
svd_result = namedtuple("svd", ["U", "S", "V"])
norm = torch_norm

# torch-level names, exported as chainrule.<name> (cholesky, qr and svd: torch's legacy forms)
__all__ = ["det", "inverse", "logdet", "slogdet", "norm", "pinverse", "cholesky", "qr", "svd"]

# Tensor methods, installed by ops/_methods.py
METHODS: dict[str, Any] = {
    "det": det, "inverse": inverse, "logdet": logdet, "slogdet": slogdet, "norm": torch_norm,
    "pinverse": pinverse, "cholesky": cholesky, "qr": qr, "svd": svd,
}  # fmt: skip
