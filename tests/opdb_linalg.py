"""OpInfo records for contractions, norms and linear algebra (ops/contract.py, norms.py,
decomp.py, spectral.py). Every name starts with `linalg_`.

Random inputs are made valid inside each lambda: `x + 3 I` for an inverse or a solve,
`x x^T + 3 I` for Cholesky, `x + x^T` for eigh. Eigenvectors and singular vectors are defined
up to sign, so their records differentiate sign-invariant functions of them (`V * V`,
`U diag(S) Vh`), as torch's own OpInfos do.
"""

from __future__ import annotations

import math

from opinfo import LOOSE_TOL, OpInfo

INF = math.inf
SQUARE = (((3, 3),), ((2, 3, 3),), ((1, 2, 2),))
RECT = (((4, 3),), ((3, 4),), ((2, 4, 3),))
VECS = (((3,),), ((2, 3),), ((2, 1, 3),))


def _eye(m, x):
    return m.eye(x.shape[-1], dtype=x.dtype)


def regular(m, x):
    """A well-conditioned square matrix."""
    return x + 3 * _eye(m, x)


def spd(m, x):
    """A symmetric positive-definite matrix."""
    return x @ x.mT + 3 * _eye(m, x)


def sym(m, x):
    return x + x.mT


def _svd_full(r, k):
    """Sign-invariant in the leading k singular vectors; the others are not unique."""
    return r.U[..., :k] ** 2 + (r.Vh[..., :k, :] ** 2).sum(-1).unsqueeze(-2)


def _norm_records() -> list[OpInfo]:
    recs = []
    for p, dom in ((2, "real"), (1, "nonzero"), (0, "nonzero"), (3, "real"), (1.5, "nonzero"),
                   (0.5, "nonzero"), (-1, "nonzero"), (-2.5, "nonzero")):  # fmt: skip
        recs.append(
            OpInfo(
                f"linalg_vector_norm_{p}",
                lambda m, x, p=p: m.linalg.vector_norm(x, p),
                VECS + (((),),),
                domain=(dom,),
                tol=LOOSE_TOL,
            )
        )
        recs.append(
            OpInfo(
                f"linalg_vector_norm_{p}_dim",
                lambda m, x, p=p: m.linalg.vector_norm(x, p, dim=-1, keepdim=True),
                VECS[1:] + ((((2, 0),),) if p >= 0 else ()),
                domain=(dom,),
                tol=LOOSE_TOL,
            )
        )
    for p, name in ((INF, "inf"), (-INF, "neginf")):
        recs.append(
            OpInfo(
                f"linalg_vector_norm_{name}",
                lambda m, x, p=p: m.linalg.vector_norm(x, p),
                VECS,
                distinct=True,
            )
        )
        recs.append(
            OpInfo(
                f"linalg_vector_norm_{name}_dims",
                lambda m, x, p=p: m.linalg.vector_norm(x, p, dim=(0, 2)),
                (((2, 3, 2),),),
                distinct=True,
            )
        )
    for ord, dom in (("fro", "real"), ("nuc", "real"), (2, "real"), (-2, "real"), (1, "nonzero"),
                     (-1, "nonzero"), (INF, "nonzero"), (-INF, "nonzero")):  # fmt: skip
        recs.append(
            OpInfo(
                f"linalg_matrix_norm_{ord}",
                lambda m, x, o=ord: m.linalg.matrix_norm(x, o),
                SQUARE[:2] + RECT[:1],
                domain=(dom,),
                distinct=dom == "nonzero",
                tol=LOOSE_TOL,
            )
        )
        recs.append(
            OpInfo(
                f"linalg_matrix_norm_{ord}_dim_keepdim",
                lambda m, x, o=ord: m.linalg.matrix_norm(x, o, dim=(2, 0), keepdim=True),
                (((3, 2, 4),),),
                domain=(dom,),
                distinct=dom == "nonzero",
                tol=LOOSE_TOL,
            )
        )
    return recs


OPS: list[OpInfo] = [
    # --- contractions ----------------------------------------------------------------------------
    OpInfo(
        "linalg_bmm",
        lambda m, x, y: m.bmm(x, y),
        (((2, 2, 3), (2, 3, 4)), ((1, 3, 1), (1, 1, 2)), ((0, 2, 3), (0, 3, 2))),
        tol=LOOSE_TOL,
    ),
    OpInfo("linalg_bmm_method", lambda m, x, y: x.bmm(y), (((2, 2, 3), (2, 3, 2)),), tol=LOOSE_TOL),
    OpInfo("linalg_outer", lambda m, x, y: m.outer(x, y), (((3,), (4,)), ((0,), (2,)))),
    OpInfo("linalg_ger", lambda m, x, y: x.ger(y), (((3,), (2,)),)),
    OpInfo(
        "linalg_einsum_matmul",
        lambda m, x, y: m.einsum("ij,jk->ik", x, y),
        (((2, 3), (3, 4)), ((2, 0), (0, 3))),
        tol=LOOSE_TOL,
    ),
    OpInfo("linalg_einsum_trace", lambda m, x: m.einsum("ii", x), (((3, 3),),)),
    OpInfo("linalg_einsum_diagonal", lambda m, x: m.einsum("ii->i", x), (((3, 3),),)),
    OpInfo("linalg_einsum_transpose", lambda m, x: m.einsum("ij->ji", x), (((2, 3),),)),
    OpInfo("linalg_einsum_sum", lambda m, x: m.einsum("ijk->j", x), (((2, 3, 2),),)),
    OpInfo(
        "linalg_einsum_batch",
        lambda m, x, y: m.einsum("bij,bjk->bik", x, y),
        (((2, 2, 3), (2, 3, 4)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_einsum_ellipsis",
        lambda m, x, y: m.einsum("...ij,...jk", x, y),
        (((2, 1, 2, 3), (4, 3, 2)), ((2, 3), (3, 2))),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_einsum_ellipsis_sum",
        lambda m, x, y: m.einsum("...i,...i->", x, y),
        (((2, 3), (1, 3)),),
        tol=LOOSE_TOL,
    ),
    OpInfo("linalg_einsum_outer", lambda m, x, y: m.einsum("i,j->ij", x, y), (((3,), (2,)),)),
    OpInfo(
        "linalg_einsum_hadamard", lambda m, x, y: m.einsum("ij,ij->ij", x, y), (((2, 3), (2, 3)),)
    ),
    OpInfo(
        "linalg_einsum_three",
        lambda m, x, y, z: m.einsum("ij,jk,kl->il", x, y, z),
        (((2, 3), (3, 4), (4, 2)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_einsum_own_labels",
        lambda m, x, y: m.einsum("ij,k->k", x, y),
        (((2, 3), (4,)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_einsum_repeated",
        lambda m, x, y: m.einsum("iij,jk->ik", x, y),
        (((3, 3, 2), (2, 4)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_einsum_implicit",
        lambda m, x, y: m.einsum("ba,ab", x, y),
        (((2, 3), (3, 2)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_einsum_broadcast_label",
        lambda m, x, y: m.einsum("ij,jk->ik", x, y),
        (((2, 1), (3, 4)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_einsum_list",
        lambda m, x, y: m.einsum("i,i", [x, y]),
        (((3,), (3,)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_tensordot_2",
        lambda m, x, y: m.tensordot(x, y),
        (((2, 3, 4), (3, 4, 2)),),
        tol=LOOSE_TOL,
    ),
    OpInfo("linalg_tensordot_0", lambda m, x, y: m.tensordot(x, y, dims=0), (((2,), (3,)),)),
    OpInfo(
        "linalg_tensordot_lists",
        lambda m, x, y: m.tensordot(x, y, dims=([1, 0], [0, 2])),
        (((3, 2, 4), (2, 5, 3)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_inner",
        lambda m, x, y: m.inner(x, y),
        (((2, 3), (4, 3)), ((3,), (3,)), ((), (2, 3))),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_kron", lambda m, x, y: m.kron(x, y), (((2, 3), (2, 2)), ((2,), (3, 2)), ((), (2,)))
    ),
    OpInfo(
        "linalg_addmm",
        lambda m, c, x, y: m.addmm(c, x, y),
        (((2, 4), (2, 3), (3, 4)), ((4,), (2, 3), (3, 4))),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_addmm_scaled",
        lambda m, c, x, y: m.addmm(c, x, y, beta=0.5, alpha=-2),
        (((2, 4), (2, 3), (3, 4)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_addmm_beta0",
        lambda m, c, x, y: c.addmm(x, y, beta=0),
        (((2, 4), (2, 3), (3, 4)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_baddbmm",
        lambda m, c, x, y: m.baddbmm(c, x, y, alpha=0.5),
        (((2, 2, 4), (2, 2, 3), (2, 3, 4)), ((2, 4), (2, 2, 3), (2, 3, 4))),
        tol=LOOSE_TOL,
    ),
    # --- norms -----------------------------------------------------------------------------------
    *_norm_records(),
    OpInfo("linalg_norm_default", lambda m, x: m.linalg.norm(x), VECS + SQUARE[1:2], tol=LOOSE_TOL),
    OpInfo("linalg_norm_matrix_ord", lambda m, x: m.linalg.norm(x, 2), SQUARE[:1], tol=LOOSE_TOL),
    OpInfo(
        "linalg_norm_nuc",
        lambda m, x: m.linalg.norm(x, "nuc", dim=(-1, -2)),
        SQUARE[1:2],
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_norm_vector_dim",
        lambda m, x: m.linalg.norm(x, 3, dim=1),
        SQUARE[1:2],
        tol=LOOSE_TOL,
    ),
    OpInfo("linalg_torch_norm", lambda m, x: m.norm(x), VECS + SQUARE[1:2], tol=LOOSE_TOL),
    OpInfo(
        "linalg_torch_norm_p",
        lambda m, x: x.norm(p=3, dim=1, keepdim=True),
        SQUARE[1:2],
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_torch_norm_fro_dims",
        lambda m, x: m.norm(x, "fro", dim=(0, 2)),
        SQUARE[1:2],
        tol=LOOSE_TOL,
    ),
    OpInfo("linalg_torch_norm_nuc", lambda m, x: m.norm(x, "nuc"), SQUARE[:1], tol=LOOSE_TOL),
    OpInfo("linalg_torch_norm_inf", lambda m, x: m.norm(x, INF), VECS, distinct=True),
    # --- inverse, determinants, solves -----------------------------------------------------------
    OpInfo(
        "linalg_inv", lambda m, x: m.linalg.inv(regular(m, x)), SQUARE + (((0, 0),),), tol=LOOSE_TOL
    ),
    OpInfo("linalg_inverse", lambda m, x: m.inverse(regular(m, x)), SQUARE[:1], tol=LOOSE_TOL),
    OpInfo(
        "linalg_inverse_method", lambda m, x: regular(m, x).inverse(), SQUARE[1:2], tol=LOOSE_TOL
    ),
    OpInfo("linalg_det", lambda m, x: m.linalg.det(x), SQUARE + (((1, 1),),), tol=LOOSE_TOL),
    OpInfo("linalg_det_method", lambda m, x: x.det(), SQUARE[1:2], tol=LOOSE_TOL),
    OpInfo(
        "linalg_slogdet",
        lambda m, x: m.linalg.slogdet(regular(m, x)).logabsdet,
        SQUARE,
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_slogdet_negative", lambda m, x: m.slogdet(-spd(m, x))[1], SQUARE[:1], tol=LOOSE_TOL
    ),
    OpInfo("linalg_slogdet_sign", lambda m, x: m.linalg.slogdet(regular(m, x))[0], SQUARE[:1]),
    OpInfo("linalg_logdet", lambda m, x: m.logdet(spd(m, x)), SQUARE, tol=LOOSE_TOL),
    OpInfo("linalg_logdet_method", lambda m, x: spd(m, x).logdet(), SQUARE[:1], tol=LOOSE_TOL),
    OpInfo(
        "linalg_solve",
        lambda m, a, b: m.linalg.solve(regular(m, a), b),
        (
            ((3, 3), (3, 2)),
            ((3, 3), (3,)),
            ((2, 3, 3), (2, 3)),
            ((2, 3, 3), (3, 2)),
            ((3, 3), (2, 3, 1)),
            ((2, 3, 3), (3,)),
            ((1, 3, 3), (2, 3, 2)),
        ),
        tol=LOOSE_TOL,
    ),  # fmt: skip
    OpInfo(
        "linalg_solve_right",
        lambda m, a, b: m.linalg.solve(regular(m, a), b, left=False),
        (((3, 3), (2, 3)), ((2, 3, 3), (4, 3))),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_solve_only_b",
        lambda m, a, b: m.linalg.solve(regular(m, a), b),
        (((3, 3), (3, 2)),),
        diff=(False, True),
        tol=LOOSE_TOL,
    ),
    OpInfo("linalg_cholesky", lambda m, x: m.linalg.cholesky(spd(m, x)), SQUARE, tol=LOOSE_TOL),
    OpInfo(
        "linalg_cholesky_upper",
        lambda m, x: m.linalg.cholesky(spd(m, x), upper=True),
        SQUARE[:2],
        tol=LOOSE_TOL,
    ),
    # --- decompositions --------------------------------------------------------------------------
    OpInfo("linalg_qr_Q", lambda m, x: m.linalg.qr(x).Q, SQUARE[:2] + RECT, tol=LOOSE_TOL),
    OpInfo("linalg_qr_R", lambda m, x: m.linalg.qr(x).R, SQUARE[:2] + RECT, tol=LOOSE_TOL),
    OpInfo(
        "linalg_qr_QR_sum",
        lambda m, x: (lambda q: q.Q.sum(-2) + q.R.sum(-2))(m.linalg.qr(x)),
        SQUARE[:1] + RECT[:1],
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_qr_complete_wide",
        lambda m, x: m.linalg.qr(x, "complete").Q,
        (((3, 4),), ((3, 3),)),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_eigh_values",
        lambda m, x: m.linalg.eigh(sym(m, x)).eigenvalues,
        SQUARE,
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_eigh_vectors",
        lambda m, x: m.linalg.eigh(sym(m, x)).eigenvectors ** 2,
        SQUARE,
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_eigh_both",
        lambda m, x: (lambda r: r[1] ** 2 * r[0].unsqueeze(-2))(m.linalg.eigh(sym(m, x), UPLO="U")),
        SQUARE[:2],
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_eigh_reads_lower",
        lambda m, x: m.linalg.eigh(x).eigenvalues,
        SQUARE[:1],
        tol=LOOSE_TOL,
        gradcheck=False,
    ),
    OpInfo(
        "linalg_eigvalsh",
        lambda m, x: m.linalg.eigvalsh(sym(m, x), UPLO="U"),
        SQUARE,
        tol=LOOSE_TOL,
    ),
    OpInfo("linalg_svd_values", lambda m, x: m.linalg.svd(x).S, SQUARE[:2] + RECT, tol=LOOSE_TOL),
    OpInfo(
        "linalg_svd_U",
        lambda m, x: m.linalg.svd(x, full_matrices=False).U ** 2,
        SQUARE[:2] + RECT,
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_svd_Vh",
        lambda m, x: m.linalg.svd(x, full_matrices=False).Vh ** 2,
        SQUARE[:2] + RECT,
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_svd_reconstruct",
        lambda m, x: (lambda r: (r.U * r.S.unsqueeze(-2)) @ r.Vh)(m.linalg.svd(x, False)),
        SQUARE[:1] + RECT[:2],
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_svd_full",
        lambda m, x: _svd_full(m.linalg.svd(x), min(x.shape[-2:])),
        (((4, 3),), ((2, 3, 4),)),
        tol=LOOSE_TOL,
    ),
    OpInfo("linalg_svdvals", lambda m, x: m.linalg.svdvals(x), SQUARE[:2] + RECT, tol=LOOSE_TOL),
    OpInfo("linalg_pinv", lambda m, x: m.linalg.pinv(x), SQUARE + RECT, tol=LOOSE_TOL),
    OpInfo(
        "linalg_pinv_hermitian",
        lambda m, x: m.linalg.pinv(sym(m, x), hermitian=True),
        SQUARE[:2],
        tol=LOOSE_TOL,
    ),
    # torch's legacy forms: torch.svd (V, not Vh), torch.qr, torch.cholesky, torch.pinverse
    OpInfo(
        "linalg_torch_svd",
        lambda m, x: (lambda r: (r.U * r.S.unsqueeze(-2)) @ r.V.mT)(m.svd(x)),
        SQUARE[:1] + RECT[:2],
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "linalg_torch_svd_V", lambda m, x: m.svd(x).V ** 2, SQUARE[:1] + RECT[:2], tol=LOOSE_TOL
    ),
    OpInfo("linalg_torch_svd_no_uv", lambda m, x: x.svd(compute_uv=False).S, RECT[:2]),
    OpInfo("linalg_torch_qr", lambda m, x: m.qr(x).R, SQUARE[:2] + RECT[:1], tol=LOOSE_TOL),
    OpInfo("linalg_torch_qr_complete", lambda m, x: x.qr(some=False).Q, SQUARE[:1], tol=LOOSE_TOL),
    OpInfo("linalg_torch_cholesky", lambda m, x: m.cholesky(spd(m, x)), SQUARE, tol=LOOSE_TOL),
    OpInfo(
        "linalg_torch_cholesky_upper",
        lambda m, x: spd(m, x).cholesky(upper=True),
        SQUARE[:1],
        tol=LOOSE_TOL,
    ),
    OpInfo("linalg_torch_pinverse", lambda m, x: x.pinverse(), RECT[:2], tol=LOOSE_TOL),
    OpInfo(
        "linalg_matrix_rank", lambda m, x: m.linalg.matrix_rank(x), SQUARE + RECT, gradcheck=False
    ),
]
