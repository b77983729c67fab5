"""Shared by the linear-algebra ops: torch's argument checks and errors, and matrix functions
that run on arrays and Tensors alike (for backward formulas, as ops/_dual.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sl

from chainrule._dtype import SCALAR_TYPE
from chainrule.ops import _dual as d
from chainrule.tensor import Tensor


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a matrix is singular, or not positive-definite."""


LinAlgError.__module__ = "chainrule.linalg"

# torch's scalar type names, as its messages spell them
_SCALAR_NAMES = SCALAR_TYPE  # torch's ScalarType names


def scalar_name(dt: np.dtype) -> str:
    """`Double` for float64, `Long` for int64, ... as in torch's messages."""
    return _SCALAR_NAMES.get(np.dtype(dt).name, np.dtype(dt).name)


def array(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def check_float(name: str, x: np.ndarray, low_precision: bool = False) -> None:
    """torch's checkFloatingOrComplex: integer inputs, and half where LAPACK is needed, refused."""
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"{name}: Expected a floating point or complex tensor as input. Got "
            f"{scalar_name(x.dtype)}"
        )
    if not low_precision and x.dtype.itemsize < 4:
        raise RuntimeError(
            f"{name}: Low precision dtypes not supported. Got {scalar_name(x.dtype)}"
        )


def check_matrix(name: str, x: np.ndarray, square: bool = True, what: str = "A") -> None:
    """At least 2-D (and square), with torch's messages naming the shape."""
    if x.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {what} must have at least 2 dimensions.")
    if square and x.shape[-1] != x.shape[-2]:
        raise RuntimeError(
            f"{name}: {what} must be batches of square matrices, but they are "
            f"{x.shape[-2]} by {x.shape[-1]} matrices"
        )


def batch_prefix(x: np.ndarray, index: int) -> str:
    """torch's `(Batch element i): ` for a batch of matrices, nothing for a single one."""
    return f"(Batch element {index}): " if x.ndim > 2 else ""


def first_zero_pivot(a: np.ndarray) -> tuple[int, int]:
    """(batch index, 1-based diagonal position) of the first exactly-zero pivot of a's LU
    factorizations (LAPACK getrf, as torch), or (-1, 0) if none."""
    flat = a.reshape((-1,) + a.shape[-2:])
    for b, m in enumerate(flat):
        with np.errstate(all="ignore"), _quiet():
            lu, _ = sl.lu_factor(m, check_finite=False)
        zero = np.flatnonzero(np.diagonal(lu) == 0)
        if zero.size:
            return b, int(zero[0]) + 1
    return -1, 0


class _quiet:
    """Silence SciPy's LinAlgWarning for a singular factorization we are only inspecting."""

    def __enter__(self) -> None:
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc: object) -> None:
        self._w.__exit__(*exc)


# --- matrix functions for backward formulas: arrays in first order, Tensors under create_graph --


def is_tensor(*xs: Any) -> bool:
    return any(isinstance(x, Tensor) for x in xs)


def defined(g: Any) -> bool:
    """Whether an output's gradient is torch's 'defined': the engine hands a multi-output node
    zeros for outputs that got no gradient, where torch passes an undefined tensor."""
    return g is not None and not (isinstance(g, np.ndarray) and not g.any())


def sgn(x: Any) -> Any:
    """sign(x) as a constant, 0 at NaN (as torch's sgn; NumPy's sign gives NaN there)."""
    a = d.data(x)
    return d.const(x, np.sign(np.where(np.isnan(a), 0, a)))


def mT(x: Any) -> Any:
    return d.swap_last(x)


def unsqueeze(x: Any, axis: int) -> Any:
    """x with a new dimension of size 1 at `axis` (negative counts from the end)."""
    shape = list(x.shape)
    shape.insert(axis if axis >= 0 else len(shape) + 1 + axis, 1)
    return d.reshape(x, tuple(shape))


def tril(x: Any, k: int = 0) -> Any:
    return d.masked(x, np.tril(np.ones(x.shape[-2:], bool), k))


def triu(x: Any, k: int = 0) -> Any:
    return d.masked(x, np.triu(np.ones(x.shape[-2:], bool), k))


def eye_like(x: Any, n: int) -> Any:
    return d.const(x, np.eye(n, dtype=d.data(x).dtype))


def diag_embed(v: Any) -> Any:
    """Square matrices with v on their diagonals."""
    n = v.shape[-1]
    return unsqueeze(v, -1) * eye_like(v, n)


def diagonal(x: Any) -> Any:
    """The diagonals of a batch of square matrices."""
    if isinstance(x, Tensor):
        from chainrule.ops.einsum import einsum

        return einsum("...ii->...i", x)
    return np.diagonal(x, axis1=-2, axis2=-1).copy()


def solve(a: Any, b: Any) -> Any:
    """a^-1 b for batches of matrices (b a matrix), differentiable for Tensors."""
    if is_tensor(a, b):
        from chainrule.ops.decomp import Solve

        a, b = (
            x if isinstance(x, Tensor) else d.const(a if isinstance(a, Tensor) else b, x)
            for x in (a, b)
        )
        return Solve.apply(a, b, vector=False, left=True)
    return np.linalg.solve(a, b)


def solve_tri(a: Any, b: Any, lower: bool) -> Any:
    """a^-1 b for triangular a (a general solve for Tensors: the same values)."""
    if is_tensor(a, b):
        return solve(a, b)
    return sl.solve_triangular(a, b, lower=lower, check_finite=False)


def right_solve_tri(x: Any, a: Any, lower: bool) -> Any:
    """x a^-1 for triangular a: (a^-T x^T)^T."""
    return mT(solve_tri(mT(a), mT(x), not lower))
