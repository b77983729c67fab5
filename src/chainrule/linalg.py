"""torch.linalg: norms, inverses, determinants, solves and decompositions."""

from __future__ import annotations

from chainrule.ops._linalg_helpers import LinAlgError
from chainrule.ops.decomp import det, inv, slogdet, solve
from chainrule.ops.decomp import linalg_cholesky as cholesky
from chainrule.ops.norms import matrix_norm, norm, vector_norm
from chainrule.ops.spectral import eigh, eigvalsh, matrix_rank, pinv, qr, svd, svdvals

__all__ = [
    "LinAlgError",
    "cholesky",
    "det",
    "eigh",
    "eigvalsh",
    "inv",
    "matrix_norm",
    "matrix_rank",
    "norm",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "vector_norm",
]
