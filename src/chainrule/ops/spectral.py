"""Decompositions: linalg.qr, linalg.eigh / eigvalsh, linalg.svd / svdvals, matrix_rank, pinv.

Eigenvector and singular-vector gradients divide by lambda_j - lambda_i (s_j^2 - s_i^2): where
eigenvalues (singular values) repeat they are inf or NaN, exactly as torch's. Functions of the
eigenvalues alone (eigvalsh, svdvals, a loss on L or S only) stay finite there.

These are multi-output primitives; under create_graph their backward recomputes the
decomposition from the input Tensor, so that second derivatives see the outputs' dependence on A.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np

from chainrule.ops import _dual as d
from chainrule.ops import _linalg_helpers as h
from chainrule.ops._linalg_helpers import check_float, check_matrix, defined
from chainrule.ops._util import Primitive
from chainrule.tensor import Tensor

QRResult = namedtuple("linalg_qr", ["Q", "R"])
EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("linalg_svd", ["U", "S", "Vh"])


def _like(ref: Any, *gs: Any) -> list:
    """Gradients as Tensors when the formula records a graph (ref a Tensor), else as given."""
    if not isinstance(ref, Tensor):
        return list(gs)
    return [g if g is None or isinstance(g, Tensor) else d.const(ref, g) for g in gs]


class QR(Primitive):
    """Q, R = qr(A);  dA = (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q, for m >= n (the
    reduced case); for m < n the leading square block, then + Q gR (as torch)"""

    node_name = "LinalgQrBackward0"

    @staticmethod
    def forward(ctx, A, mode):
        if mode == "r":
            Q, R = np.empty((0,), A.dtype), np.linalg.qr(A, mode="r")
        else:
            Q, R = np.linalg.qr(A, mode=mode)
        ctx.mode = mode
        ctx.save_for_backward(A, Q, R)
        return Q, R

    @staticmethod
    def backward(ctx, gQ, gR):
        mode = ctx.mode
        if mode == "r":
            raise RuntimeError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                "through linalg.qr."
            )
        A, Q, R = ctx.saved_tensors
        m, n = A.shape[-2:]
        if mode == "complete" and m > n:
            raise RuntimeError(
                "The QR decomposition is not differentiable when mode='complete' and nrows > ncols."
            )
        if isinstance(A, Tensor):
            Q, R = QR.apply(A, mode=mode)
        hasQ = defined(gQ)
        hasR = defined(gR) or not hasQ  # a gradient of zeros is still a gradient
        gQ, gR = _like(A, gQ, gR)
        if hasQ:
            gA = gR @ h.mT(R) - h.mT(Q) @ gQ if hasR else -(h.mT(Q) @ gQ)
        else:
            gA = gR @ h.mT(R)
        if m >= n:
            X = h.triu(gA)
            gA = Q @ (X + h.mT(h.triu(X, 1)))
            if hasQ:
                gA = gA + gQ
            return h.right_solve_tri(gA, h.mT(R), lower=True)
        gA = Q @ h.tril(-gA - h.mT(-gA))
        gA = h.right_solve_tri(gA, h.mT(R[..., :, :m]), lower=True)
        gA = gA @ d.const(gA, np.eye(m, n, dtype=d.data(A).dtype))  # zero columns m..n
        return gA + Q @ gR if hasR else gA


class Eigh(Primitive):
    """L, V = eigh(A) (A symmetric);  dA = V (diag(gL) + sym(V^T gV) / E) V^T with
    sym(X) = (X - X^T) / 2 and E_ij = L_j - L_i: inf or NaN where eigenvalues repeat (as torch);
    without gV just V diag(gL) V^T"""

    node_name = "LinalgEighBackward0"

    @staticmethod
    def forward(ctx, A, uplo):
        L, V = np.linalg.eigh(A, UPLO=uplo)
        ctx.uplo = uplo
        ctx.save_for_backward(A, L, V)
        return L, V

    @staticmethod
    def backward(ctx, gL, gV):
        A, L, V = ctx.saved_tensors
        if isinstance(A, Tensor):
            L, V = Eigh.apply(A, uplo=ctx.uplo)
        hasL, hasV = defined(gL), defined(gV)
        gL, gV = _like(A, gL, gV)
        if not hasV:  # eigenvalues only (a zero gradient of V reads as none: see defined)
            return (V * h.unsqueeze(gL, -2)) @ h.mT(V)
        n = L.shape[-1]
        VhgV = h.mT(V) @ gV
        VhgV = 0.5 * (VhgV - h.mT(VhgV))
        E = h.unsqueeze(L, -2) - h.unsqueeze(L, -1) + h.eye_like(L, n)  # its diagonal: 1
        with np.errstate(all="ignore"):
            ret = VhgV / E
        if hasL:  # the diagonal is gL (torch copies it in)
            ret = d.masked(ret, ~np.eye(n, dtype=bool)) + h.diag_embed(gL)
        return V @ (ret @ h.mT(V))


class Svd(Primitive):
    """U, S, Vh = svd(A);  dA = U (skew(U^T gU) / E S + S skew(V^T gV) / E + diag(gS)) V^T
    with skew(X) = X - X^T, E_ij = s_j^2 - s_i^2: inf or NaN where singular values repeat
    (as torch); plus the terms of the rectangular case. full_matrices: the extra columns of U
    (rows of Vh) get no gradient, as torch"""

    node_name = "LinalgSvdBackward0"

    @staticmethod
    def forward(ctx, A, full_matrices):
        U, S, Vh = np.linalg.svd(A, full_matrices=full_matrices)
        ctx.full = full_matrices
        ctx.save_for_backward(A, U, S, Vh)
        return U, S, Vh

    @staticmethod
    def backward(ctx, gU, gS, gVh):
        A, U, S, Vh = ctx.saved_tensors
        if isinstance(A, Tensor):
            U, S, Vh = Svd.apply(A, full_matrices=ctx.full)
        hasU, hasS, hasV = defined(gU), defined(gS), defined(gVh)
        hasS = hasS or not (hasU or hasV)  # a gradient of zeros is still a gradient
        gU, gS, gVh = _like(A, gU, gS, gVh)
        k = S.shape[-1]
        if ctx.full:
            U, Vh = U[..., :k], Vh[..., :k, :]
            gU = gU[..., :k] if hasU else gU
            gVh = gVh[..., :k, :] if hasV else gVh
        m, n = U.shape[-2], Vh.shape[-1]
        Sr, Sc = h.unsqueeze(S, -2), h.unsqueeze(S, -1)  # S as a row, as a column
        if not (hasU or hasV):
            return U @ (h.unsqueeze(gS, -1) * Vh) if m >= n else (U * h.unsqueeze(gS, -2)) @ Vh
        with np.errstate(all="ignore"):
            S2 = S * S
            E = h.unsqueeze(S2, -2) - h.unsqueeze(S2, -1) + h.eye_like(S, k)
            UhgU = h.mT(U) @ gU if hasU else None
            VhgV = Vh @ h.mT(gVh) if hasV else None
            UhgU = None if UhgU is None else UhgU - h.mT(UhgU)
            VhgV = None if VhgV is None else VhgV - h.mT(VhgV)
            if hasU and hasV:
                gA = (UhgU * Sr + Sc * VhgV) / E
            elif hasU:
                gA = (UhgU / E) * Sr
            else:
                gA = Sc * (VhgV / E)
            if hasS:
                gA = gA + h.diag_embed(gS)
            if m > n and hasU:
                gA = U @ gA
                gUSinv = gU / Sr
                gA = gA + gUSinv - U @ (h.mT(U) @ gUSinv)
                return gA @ Vh
            if m < n and hasV:
                gA = gA @ Vh
                SinvgVh = gVh / Sc
                gA = gA + SinvgVh - (SinvgVh @ h.mT(Vh)) @ Vh
                return U @ gA
            return U @ (gA @ Vh) if m >= n else (U @ gA) @ Vh


# --- functional forms ----------------------------------------------------------------------------


def qr(A: Tensor, mode: str = "reduced", *, out: Any = None) -> Any:
    """(Q, R) with A = Q R; mode 'reduced', 'complete', or 'r' (R only, Q empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(
            f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
            "'r', or 'complete'"
        )
    check_matrix("linalg.qr", A.data, square=False)
    check_float("linalg.qr", A.data)
    return QRResult(*QR.apply(A, mode=mode))


def _eigh_checks(A: Tensor, UPLO: str) -> str:
    if UPLO not in ("L", "U", "l", "u"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    check_matrix("linalg.eigh", A.data)
    if A.data.dtype.kind != "f" or A.data.dtype.itemsize < 4:
        raise NotImplementedError(
            f"\"linalg_eigh_cpu\" not implemented for '{h.scalar_name(A.data.dtype)}'"
        )
    return UPLO.upper()


def eigh(A: Tensor, UPLO: str = "L", *, out: Any = None) -> Any:
    """(eigenvalues ascending, eigenvectors as columns) of symmetric A, read from its lower
    (UPLO='L') or upper triangle. Eigenvectors are defined up to sign, and their gradient is
    inf/NaN where eigenvalues repeat (as torch)."""
    uplo = _eigh_checks(A, UPLO)
    return EighResult(*Eigh.apply(A, uplo=uplo))


def eigvalsh(A: Tensor, UPLO: str = "L", *, out: Any = None) -> Tensor:
    """The eigenvalues of symmetric A, ascending (finite gradient even where they repeat)."""
    uplo = _eigh_checks(A, UPLO)
    return Eigh.apply(A, uplo=uplo)[0]


def svd(A: Tensor, full_matrices: bool = True, *, driver: Any = None, out: Any = None) -> Any:
    """(U, S, Vh) with A = U diag(S) Vh, S descending. Singular vectors are defined up to sign,
    and their gradient is inf/NaN where singular values repeat (as torch)."""
    check_matrix("linalg.svd", A.data, square=False)
    check_float("linalg.svd", A.data)
    return SVDResult(*Svd.apply(A, full_matrices=full_matrices))


def svdvals(A: Tensor, *, driver: Any = None, out: Any = None) -> Tensor:
    """The singular values of A, descending (finite gradient even where they repeat)."""
    check_matrix("linalg.svd", A.data, square=False)
    check_float("linalg.svd", A.data)
    return Svd.apply(A, full_matrices=False)[1]


def _tolerance(s: np.ndarray, shape: tuple, atol: Any, rtol: Any) -> np.ndarray:
    """torch's rank cutoff max(atol, rtol * s_max): rtol defaults to eps * max(m, n) unless a
    positive atol is given."""
    atol_v = 0.0 if atol is None else h.array(atol)
    if rtol is None:
        rtol_v = (
            np.finfo(s.dtype).eps * max(shape[-2:]) if atol is None or np.all(atol_v <= 0) else 0
        )
    else:
        rtol_v = h.array(rtol)
    smax = s.max(axis=-1, initial=0.0) if s.shape[-1] else np.zeros(s.shape[:-1], s.dtype)
    return np.maximum(atol_v, rtol_v * smax)


def matrix_rank(
    A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False, out: Any = None
) -> Tensor:
    """The number of singular values above max(atol, rtol * largest) (an int64 tensor)."""
    from chainrule.autograd.function import _wrap

    x = A.data
    check_matrix("linalg.matrix_rank", x, square=hermitian)
    check_float("linalg.matrix_rank", x)
    s = np.abs(np.linalg.eigvalsh(x)) if hermitian else np.linalg.svd(x, compute_uv=False)
    tol = _tolerance(s, x.shape, atol, rtol)
    return _wrap(np.asarray((s > tol[..., None]).sum(-1), np.int64), None)


class Pinv(Primitive):
    """out = A^+ = V diag(1/s) U^T over the singular values above the cutoff;  dA: torch's
    pinv_backward (the derivative where the rank does not change)"""

    node_name = "LinalgPinvBackward0"

    @staticmethod
    def forward(ctx, A, atol, rtol, hermitian):
        if hermitian:
            L, V = np.linalg.eigh(A)
            s, U, Vh = np.abs(L), V, h.mT(V)
            inv_of = L
        else:
            U, s, Vh = np.linalg.svd(A, full_matrices=False)
            inv_of = s
        tol = _tolerance(s, A.shape, atol, rtol)
        with np.errstate(divide="ignore"):
            sinv = np.where(s > tol[..., None], 1 / inv_of, 0).astype(A.dtype)
        out = (h.mT(Vh) * sinv[..., None, :]) @ h.mT(U)
        ctx.save_for_backward(A, out)
        return out

    @staticmethod
    def backward(ctx, g):
        A, P = ctx.saved_tensors
        m, n = A.shape[-2:]
        Ph, gh = h.mT(P), h.mT(g)
        if m <= n:
            K = gh @ P
            KPh = K @ Ph
            return -h.mT(P @ K) + KPh - (A @ P) @ KPh + (Ph @ P) @ (gh - K @ A)
        K = P @ gh
        PhK = Ph @ K
        return -h.mT(K @ P) + ((gh - A @ K) @ P) @ Ph + PhK - (PhK @ P) @ A


def pinv(
    A: Tensor,
    *,
    atol: Any = None,
    rtol: Any = None,
    hermitian: bool = False,
    rcond: Any = None,
    out: Any = None,
) -> Tensor:
    """The Moore-Penrose pseudo-inverse; singular values at or below max(atol, rtol * largest)
    are treated as zero (rtol defaults to eps * max(m, n) unless a positive atol is given)."""
    x = A.data
    if x.ndim < 2 or x.dtype.kind != "f" or x.dtype.itemsize < 4:
        raise RuntimeError(
            f"linalg.pinv({h.scalar_name(x.dtype)}{{{list(x.shape)}}}): expected a tensor with 2 "
            "or more dimensions of float, double, cfloat or cdouble types"
        )
    if rcond is not None:
        rtol = rcond
    return Pinv.apply(A, atol=atol, rtol=rtol, hermitian=hermitian)
