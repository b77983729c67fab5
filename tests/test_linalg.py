"""Linear algebra beyond the generic op records (tests/opdb_linalg.py): einsum forms, norms at
zero, the repeated-eigenvalue failure mode, singular matrices, batching, dtypes and errors."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainrule

INF = math.inf


def to_np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def run(m: Any, fn: Any, arrays: list, dtype: str = "float64", create_graph: bool = False) -> tuple:
    """fn(m, *leaves), and the gradients of the leaves for an upstream gradient of ones."""
    xs = [m.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    out = fn(m, *xs)
    grads = m.autograd.grad(
        out, xs, grad_outputs=m.ones_like(out), allow_unused=True, create_graph=create_graph
    )
    return out, grads


def assert_close(a: Any, b: Any, rtol: float = 1e-9, atol: float = 1e-11) -> None:
    if a is None or b is None:
        assert a is None and b is None
        return
    assert tuple(a.shape) == tuple(b.shape)
    assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    np.testing.assert_allclose(to_np(a), to_np(b), rtol=rtol, atol=atol, equal_nan=True)


def compare(torch: Any, fn: Any, arrays: list, dtype: str = "float64", **kw: Any) -> None:
    """Outputs, grad_fn names and gradients of chainrule and torch agree (NaN where NaN)."""
    rtol, atol = (1e-9, 1e-11) if dtype == "float64" else (1e-4, 1e-5)
    ours, our_grads = run(chainrule, fn, arrays, dtype, **kw)
    theirs, their_grads = run(torch, fn, arrays, dtype, **kw)
    assert_close(ours, theirs, rtol, atol)
    assert ours.grad_fn.name() == theirs.grad_fn.name()
    for a, b in zip(our_grads, their_grads):
        assert_close(a, b, rtol, atol)


# --- einsum ------------------------------------------------------------------------------------

TEMPLATES = [
    "ij,jk->ik", "ij,jk", "ij,kj->ik", "i,i", "i,i->i", "i,j->ij", "ij->ji", "ii", "ii->i",
    "iij->j", "ijk->", "bij,bjk->bik", "...ij,...jk->...ik", "...i,...i", "i...->...",
    "ij,jk,kl->il", "ab,b,bc->ac", "ij,k->", "iij,jk->ik", "aB,Ba", "...,...->...",
]  # fmt: skip


@st.composite
def einsum_cases(draw: Any) -> tuple[str, list[tuple[int, ...]]]:
    """An equation template and operand shapes: a size per label, some labels and ellipsis dims
    of size 1 where they broadcast."""
    eq = draw(st.sampled_from(TEMPLATES))
    lhs = eq.split("->")[0].split(",")
    size = {c: draw(st.integers(0, 3)) for c in sorted({c for t in lhs for c in t if c != "."})}
    ell = draw(st.lists(st.integers(0, 3), max_size=2))  # the broadcast shape of the ellipsis

    def dims(part: str, term: str) -> list[int]:
        return [
            draw(st.sampled_from([size[c], 1])) if term.count(c) == 1 else size[c] for c in part
        ]

    shapes = []
    for t in lhs:
        head, dots, tail = t.partition("...")
        shape = dims(head, t)
        if dots:
            n = draw(st.integers(0, len(ell)))
            shape += [draw(st.sampled_from([1, s])) for s in ell[len(ell) - n :]] + dims(tail, t)
        shapes.append(tuple(shape))
    return eq, shapes


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    case=einsum_cases(), seed=st.integers(0, 2**31), dtype=st.sampled_from(["float32", "float64"])
)
def test_einsum_matches_torch(torch: Any, case: tuple, seed: int, dtype: str) -> None:
    eq, shapes = case
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    compare(torch, lambda m, *xs: m.einsum(eq, *xs), arrays, dtype)


@pytest.mark.parametrize(
    ("eq", "shapes"),
    [("ij,jk->ik", [(2, 3), (3, 2)]), ("ii->i", [(3, 3)]), ("iij,j->ij", [(2, 2, 3), (3,)]),
     ("...ij,...jk", [(2, 1, 2, 3), (3, 3, 2)]), ("ij,k->", [(2, 3), (2,)])],
)  # fmt: skip
def test_einsum_second_derivatives_match_torch(torch: Any, eq: str, shapes: list) -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in shapes]

    def twice(m: Any, *xs: Any) -> Any:
        out = m.einsum(eq, *xs)
        first = m.autograd.grad((out * out).sum(), xs, create_graph=True)
        return sum((f * f).sum() for f in first)

    compare(torch, twice, arrays)


EINSUM_ERRORS = [
    ("ij,jk->ik", [(2, 3), (4, 5)], "subscript j has size 4 for operand 1 which does not "
     "broadcast with previously seen size 3"),
    ("ij,jk->ik", [(2, 3)], "fewer operands were provided than specified in the equation"),
    ("i", [(2,), (2,)], "more operands were provided than specified in the equation"),
    ("ij", [(2, 3, 4)], "the number of subscripts in the equation (2) does not match the number "
     "of dimensions (3) for operand 0 and no ellipsis was given"),
    ("ij->k", [(2, 3)], "output subscript k does not appear in the equation for any input operand"),
    ("ij->ii", [(2, 3)], "output subscript i appears more than once in the output"),
    ("i1->i", [(2, 3)], "invalid subscript given at index 1 in the equation string, subscripts "
     "must be in [a-zA-Z]"),
    ("ii", [(2, 3)], "subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
    ("i..j", [(2, 2)], "found '.' for operand 0 that is not part of any ellipsis"),
]  # fmt: skip


@pytest.mark.parametrize(("eq", "shapes", "message"), EINSUM_ERRORS)
def test_einsum_errors(lib: Any, eq: str, shapes: list, message: str) -> None:
    ops = [lib.zeros(s) for s in shapes]
    with pytest.raises(RuntimeError, match="einsum\\(\\): " + re.escape(message)):
        lib.einsum(eq, *ops)


def test_einsum_dtype_mismatch(lib: Any) -> None:
    with pytest.raises(RuntimeError, match="expected scalar type Double but found Float"):
        lib.einsum("i,i", lib.zeros(2, dtype=lib.float64), lib.zeros(2))


def test_einsum_integer_operands(torch: Any) -> None:
    for m in (chainrule, torch):
        out = m.einsum("ij,j->i", m.tensor([[1, 2], [3, 4]]), m.tensor([1, -1]))
        assert out.tolist() == [-1, -1] and str(out.dtype).endswith("int64")


@pytest.mark.parametrize("fn", [lambda m, a, b: m.kron(a, b), lambda m, a, b: m.outer(a[0], b[0])])
def test_mixed_float_dtypes_promote(torch: Any, fn: Any) -> None:
    arrays = [np.ones((2, 3)), np.ones((2, 3))]
    for m in (chainrule, torch):
        a = m.tensor(arrays[0], dtype=m.float64, requires_grad=True)
        b = m.tensor(arrays[1], dtype=m.float32, requires_grad=True)
        out = fn(m, a, b)
        out.sum().backward()
        assert str(out.dtype).endswith("float64") and str(b.grad.dtype).endswith("float32")


# --- contraction errors --------------------------------------------------------------------------

CONTRACTION_ERRORS = [
    (lambda m: m.bmm(m.zeros(2, 3), m.zeros(3, 2)), "batch1 must be a 3D tensor"),
    (lambda m: m.bmm(m.zeros(2, 2, 3), m.zeros(3, 3, 2)),
     "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: [3, 3]."),
    (lambda m: m.bmm(m.zeros(2, 2, 3, dtype=m.float64), m.zeros(2, 3, 2)),
     "expected scalar type Double but found Float"),
    (lambda m: m.outer(m.zeros(2, 3), m.zeros(3)),
     "outer: Expected 1-D argument self, but got 2-D"),
    (lambda m: m.ger(m.zeros(2), m.zeros(3, 1)), "outer: Expected 1-D argument vec2, but got 2-D"),
    (lambda m: m.tensordot(m.zeros(2, 3), m.zeros(4, 5), dims=1),
     "contracted dimensions need to match, but first has size 3 in dim -1 and second has size 4 "
     "in dim 0"),
    (lambda m: m.tensordot(m.zeros(2, 3), m.zeros(3, 5), dims=-1),
     "tensordot expects dims >= 0, but got dims=-1"),
    (lambda m: m.tensordot(m.zeros(2, 3), m.zeros(3, 5), dims=([1], [0, 1])),
     "both dimension lists should have same length"),
    (lambda m: m.inner(m.zeros(2, 3), m.zeros(2)), "inner() the last dimension must match on "
     "both input tensors but got shapes [2, 3] and [2]"),
    (lambda m: m.addmm(m.zeros(2), m.zeros(3), m.zeros(3, 2)), "mat1 must be a matrix, got 1-D "
     "tensor"),
    (lambda m: m.addmm(m.zeros(2, 2), m.zeros(2, 3), m.zeros(4, 2)),
     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x2)"),
]  # fmt: skip


@pytest.mark.parametrize(("fn", "message"), CONTRACTION_ERRORS)
def test_contraction_errors(lib: Any, fn: Any, message: str) -> None:
    with pytest.raises(RuntimeError, match=re.escape(message)):
        fn(lib)


# --- norms at zero and at ties -------------------------------------------------------------------

ORDS = [2, 1, 0, INF, -INF, 3, 0.5, 1.5, -1, -2]


@pytest.mark.parametrize("ord", ORDS)
@pytest.mark.parametrize("values", [[0.0, 0.0, 0.0], [0.0, 1.0, -2.0], [2.0, -2.0, 1.0]])
def test_vector_norm_at_zero_and_ties(torch: Any, ord: float, values: list) -> None:
    # the 2-norm of zeros has gradient 0, not NaN; ties of |x| split the inf-norm's gradient
    fn = lambda m, x: m.linalg.vector_norm(x, ord)  # noqa: E731
    ours, (g_ours,) = run(chainrule, fn, [values])
    theirs, (g_theirs,) = run(torch, fn, [values])
    assert_close(ours, theirs)
    assert_close(g_ours, g_theirs)


@pytest.mark.parametrize("ord", ["fro", "nuc", 1, -1, 2, -2, INF, -INF])
@pytest.mark.parametrize("values", [np.zeros((2, 3)), np.eye(3), [[1.0, -1.0], [1.0, 1.0]]])
def test_matrix_norm_at_zero_and_ties(torch: Any, ord: Any, values: Any) -> None:
    compare(torch, lambda m, x: m.linalg.matrix_norm(x, ord), [values])


def test_vector_norm_zero_order_has_no_gradient(lib: Any) -> None:
    x = lib.tensor([0.0, 1.0, -2.0], requires_grad=True)
    lib.linalg.vector_norm(x, 0).backward()
    assert x.grad is None


def test_vector_norm_of_zeros_second_derivative(torch: Any) -> None:
    def twice(m: Any, x: Any) -> Any:
        (g,) = m.autograd.grad(m.linalg.vector_norm(x * x), x, create_graph=True)
        return g

    compare(torch, twice, [[0.0, 1.0, 2.0]])


NORM_ERRORS = [
    (lambda m: m.linalg.vector_norm(m.tensor([1, 2])), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda m: m.linalg.vector_norm(m.zeros(0), INF), RuntimeError,
     "linalg.vector_norm cannot compute the inf norm on an empty tensor because the operation "
     "does not have an identity"),
    (lambda m: m.linalg.vector_norm(m.zeros(3), "fro"), TypeError, "must be Number, not str"),
    (lambda m: m.linalg.matrix_norm(m.zeros(3, 3), 3), RuntimeError,
     "linalg.matrix_norm: Order 3 not supported."),
    (lambda m: m.linalg.matrix_norm(m.zeros(3)), RuntimeError,
     "linalg.matrix_norm: The input tensor A must have at least 2 dimensions."),
    (lambda m: m.linalg.matrix_norm(m.zeros(3, 3), dim=(0, -2)), RuntimeError,
     "linalg.matrix_norm: dims must be different. Got (0, 0)"),
    (lambda m: m.norm(m.zeros(2, 2, 2), "fro", dim=(0, 1, 2)), RuntimeError,
     "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
    (lambda m: m.linalg.norm(m.zeros(2, 2, 2), 2), RuntimeError,
     "linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got 3D."),
]  # fmt: skip


@pytest.mark.parametrize(("fn", "error", "message"), NORM_ERRORS)
def test_norm_errors(lib: Any, fn: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        fn(lib)


# --- repeated eigenvalues and singular values: torch's inf / NaN --------------------------------

REPEATED = [np.eye(3), np.diag([2.0, 2.0, 1.0]), np.zeros((2, 2))]


@pytest.mark.parametrize("A", REPEATED, ids=["eye", "pair", "zeros"])
@pytest.mark.parametrize(
    "loss",
    [lambda m, A: m.linalg.eigh(A).eigenvectors.sum(),
     lambda m, A: (m.linalg.eigh(A).eigenvectors ** 2).sum(),
     lambda m, A: m.linalg.eigh(A).eigenvalues.sum(),
     lambda m, A: m.linalg.eigvalsh(A).pow(2).sum(),
     lambda m, A: (lambda r: r.U @ r.Vh)(m.linalg.svd(A)).sum(),
     lambda m, A: m.linalg.svd(A).Vh.sum(),
     lambda m, A: m.linalg.svd(A).S.sum(),
     lambda m, A: m.linalg.svdvals(A).sum()],
    ids=["eigh_V", "eigh_V2", "eigh_L", "eigvalsh", "svd_UVh", "svd_Vh", "svd_S", "svdvals"],
)  # fmt: skip
def test_repeated_eigenvalues_as_torch(torch: Any, A: np.ndarray, loss: Any) -> None:
    # eigenvector gradients divide by lambda_i - lambda_j: inf/NaN, as torch; eigenvalues: finite
    compare(torch, loss, [A])


@pytest.mark.xfail(
    strict=True,
    reason="the engine hands multi-output nodes zeros for outputs "
    "with no gradient, so a zero-valued gradient of V reads as 'undefined': "
    "chainrule stays finite where torch multiplies 0 by inf",
)
def test_repeated_eigenvalues_zero_vector_gradient(torch: Any) -> None:
    compare(
        torch, lambda m, A: (lambda r: r[0].sum() + 0 * r[1].sum())(m.linalg.eigh(A)), [np.eye(3)]
    )


# --- singular matrices ---------------------------------------------------------------------------

SINGULAR = [[1.0, 2.0], [2.0, 4.0]]


def test_linalg_error_is_a_runtime_error() -> None:
    assert issubclass(chainrule.linalg.LinAlgError, RuntimeError)


SINGULAR_ERRORS = [
    (lambda m: m.linalg.inv(m.tensor(SINGULAR)),
     "linalg.inv: The diagonal element 2 is zero, the inversion could not be completed because the "
     "input matrix is singular."),
    (lambda m: m.inverse(m.tensor([[[1.0, 0.0], [0.0, 1.0]], SINGULAR])),
     "linalg.inv: (Batch element 1): The diagonal element 2 is zero"),
    (lambda m: m.linalg.solve(m.tensor(SINGULAR), m.ones(2)),
     "torch.linalg.solve: The solver failed because the input matrix is singular."),
    (lambda m: m.linalg.solve(m.tensor([[[1.0, 0.0], [0.0, 1.0]], SINGULAR]), m.ones(2, 2)),
     "torch.linalg.solve: (Batch element 1): The solver failed because the input matrix is "
     "singular."),
    (lambda m: m.linalg.cholesky(-m.eye(3)),
     "linalg.cholesky: The factorization could not be completed because the input is not "
     "positive-definite (the leading minor of order 1 is not positive-definite)."),
    (lambda m: m.linalg.cholesky(m.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]])),
     "linalg.cholesky: (Batch element 1): The factorization could not be completed because the "
     "input is not positive-definite (the leading minor of order 2 is not positive-definite)."),
]  # fmt: skip


@pytest.mark.parametrize(("fn", "message"), SINGULAR_ERRORS)
def test_singular_matrices_raise_linalg_error(lib: Any, fn: Any, message: str) -> None:
    with pytest.raises(lib.linalg.LinAlgError, match=re.escape(message)):
        fn(lib)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize(
    "A",
    [SINGULAR, np.zeros((2, 2)), [[1.0, 0.0], [0.0, 0.0]], np.arange(9.0).reshape(3, 3),
     np.stack([np.eye(2), np.array(SINGULAR)])],
    ids=["rank1", "zeros", "diag", "arange", "batch"],
)  # fmt: skip
def test_det_gradient_at_singular_matrices(torch: Any, A: Any, create_graph: bool) -> None:
    # torch: 0 where det is exactly 0 in first order; the SVD adjugate under create_graph
    compare(torch, lambda m, x: m.linalg.det(x), [A], create_graph=create_graph)


def test_det_second_derivative_at_singular_matrix(torch: Any) -> None:
    def twice(m: Any, x: Any) -> Any:
        (g,) = m.autograd.grad(m.linalg.det(x), x, create_graph=True)
        return (g * g).sum()

    compare(torch, twice, [[[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]])


def test_slogdet_at_singular_matrix(torch: Any) -> None:
    for m in (chainrule, torch):
        sign, logabs = m.linalg.slogdet(m.tensor(SINGULAR))
        assert sign.item() == 0 and logabs.item() == -INF
    # torch's gradient there comes from LU's zero pivot: not finite
    _, (g,) = run(chainrule, lambda m, x: m.linalg.slogdet(x).logabsdet, [SINGULAR])
    assert not np.isfinite(to_np(g)).all()


# --- errors: shapes, dtypes, arguments ------------------------------------------------------------

ARG_ERRORS = [
    (lambda m: m.linalg.inv(m.zeros(2, 3)),
     "linalg.inv: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.det(m.zeros(3)),
     "linalg.det: The input tensor A must have at least 2 dimensions."),
    (lambda m: m.linalg.slogdet(m.zeros(2, 3)),
     "linalg.slogdet: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.logdet(m.zeros(2, 3)),
     "logdet: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.cholesky(m.zeros(2, 3)),
     "linalg.cholesky: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.eigh(m.zeros(2, 3)),
     "linalg.eigh: A must be batches of square matrices, but they are 2 by 3 matrices"),
    (lambda m: m.linalg.eigh(m.zeros(3, 3), UPLO="X"),
     "Expected UPLO argument to be 'L' or 'U', but got X"),
    (lambda m: m.linalg.svd(m.zeros(3)),
     "linalg.svd: The input tensor A must have at least 2 dimensions."),
    (lambda m: m.linalg.qr(m.zeros(3, 3), mode="foo"),
     "qr received unrecognized mode 'foo' but expected one of 'reduced' (default), 'r', or "
     "'complete'"),
    (lambda m: m.linalg.solve(m.eye(3), m.zeros(2)),
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 2x1)"),
    (lambda m: m.linalg.solve(m.eye(3), m.zeros(2, 4)),
     "linalg.solve: Incompatible shapes of A and B for the equation AX = B (3x3 and 2x4)"),
    (lambda m: m.linalg.solve(m.eye(3), m.zeros(3), left=False),
     "linalg.solve: Incompatible shapes of A and B for the equation XA = B (3x3 and 3x1)"),
    (lambda m: m.linalg.solve(m.eye(3, dtype=m.float64), m.zeros(3)),
     "linalg.solve: Expected A and B to have the same dtype, but found A of type Double and B of "
     "type Float instead"),
    (lambda m: m.linalg.inv(m.tensor([[1, 2], [3, 4]])),
     "linalg.inv: Expected a floating point or complex tensor as input. Got Long"),
    (lambda m: m.linalg.det(m.tensor([[1, 2], [3, 4]])),
     "linalg.det: Expected a floating point or complex tensor as input. Got Long"),
    (lambda m: m.linalg.svd(m.tensor([[1, 2], [3, 4]])),
     "linalg.svd: Expected a floating point or complex tensor as input. Got Long"),
]  # fmt: skip


@pytest.mark.parametrize(("fn", "message"), ARG_ERRORS)
def test_argument_errors(lib: Any, fn: Any, message: str) -> None:
    with pytest.raises(RuntimeError, match=re.escape(message)):
        fn(lib)


def test_qr_mode_r_is_not_differentiable(lib: Any) -> None:
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    Q, R = lib.linalg.qr(x, mode="r")
    assert tuple(Q.shape) == (0,)
    with pytest.raises(RuntimeError, match="which is not computed when mode='r'"):
        R.sum().backward()


def test_qr_complete_tall_is_not_differentiable(lib: Any) -> None:
    x = lib.ones(3, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable when mode='complete' and nrows"):
        lib.linalg.qr(x * 1, mode="complete").Q.sum().backward()


# --- batched shapes and dtypes --------------------------------------------------------------------

BATCHED = [
    ("inv", lambda m, x: m.linalg.inv(x + 4 * m.eye(4, dtype=x.dtype))),
    ("det", lambda m, x: m.linalg.det(x)),
    ("slogdet", lambda m, x: m.linalg.slogdet(x + 4 * m.eye(4, dtype=x.dtype))[1]),
    ("solve", lambda m, x: m.linalg.solve(x + 4 * m.eye(4, dtype=x.dtype), x[..., :2])),
    ("cholesky", lambda m, x: m.linalg.cholesky(x @ x.mT + m.eye(4, dtype=x.dtype))),
    ("qr", lambda m, x: m.linalg.qr(x).R),
    ("eigh", lambda m, x: m.linalg.eigh(x + x.mT).eigenvalues),
    ("eigh_vectors", lambda m, x: m.linalg.eigh(x + x.mT).eigenvectors ** 2),
    ("svd", lambda m, x: m.linalg.svd(x).S),
    ("svd_vectors", lambda m, x: m.linalg.svd(x).U ** 2),
    ("matrix_norm", lambda m, x: m.linalg.matrix_norm(x, 2)),
    ("vector_norm", lambda m, x: m.linalg.vector_norm(x, 3, dim=(1, 3))),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "fn"), BATCHED, ids=[b[0] for b in BATCHED])
def test_batched_shapes_and_dtypes(torch: Any, name: str, fn: Any, dtype: str) -> None:
    x = np.random.default_rng(1).standard_normal((2, 3, 4, 4))
    compare(torch, fn, [x], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_decompositions_keep_dtype(dtype: str) -> None:
    x = chainrule.tensor(np.eye(3, dtype=dtype) * 2)
    outs = [
        *chainrule.linalg.svd(x),
        *chainrule.linalg.eigh(x),
        *chainrule.linalg.qr(x),
        *chainrule.linalg.slogdet(x),
        chainrule.linalg.inv(x),
        chainrule.linalg.det(x),
        chainrule.linalg.cholesky(x),
        chainrule.linalg.solve(x, x[0]),
        chainrule.linalg.vector_norm(x),
        chainrule.linalg.matrix_norm(x, "nuc"),
    ]
    assert {o.dtype.name for o in outs} == {dtype}


def test_result_fields(lib: Any) -> None:
    x = lib.eye(2)
    assert lib.linalg.eigh(x).eigenvalues.shape == (2,)
    assert lib.linalg.svd(x).Vh.shape == (2, 2)
    assert lib.linalg.qr(x).R.shape == (2, 2)
    assert lib.linalg.slogdet(x).logabsdet.item() == 0


def test_matrix_rank(torch: Any) -> None:
    x = np.stack([np.eye(3), np.ones((3, 3)), np.diag([1.0, 1e-20, 1.0])])
    for kw in ({}, {"atol": 0.5}, {"rtol": 0.1}, {"hermitian": True}):
        ours = chainrule.linalg.matrix_rank(chainrule.tensor(x), **kw)
        theirs = torch.linalg.matrix_rank(torch.tensor(x), **kw)
        assert ours.tolist() == theirs.tolist() and ours.dtype.name == "int64"


@pytest.mark.parametrize(
    "kw", [{}, {"atol": 0.5}, {"rtol": 0.1}, {"hermitian": True}, {"rcond": 0.2}]
)
def test_pinv_cutoffs(torch: Any, kw: dict) -> None:
    x = np.array([[2.0, 0.0, 0.0], [0.0, 0.3, 0.0], [0.0, 0.0, 1e-20]])
    compare(torch, lambda m, a: m.linalg.pinv(a, **kw), [x])


def test_pinv_rejects_integers(lib: Any) -> None:
    with pytest.raises(
        RuntimeError, match=re.escape("linalg.pinv(Long{[2, 2]}): expected a tensor")
    ):
        lib.linalg.pinv(lib.tensor([[1, 2], [3, 4]]))


def test_legacy_svd_without_vectors(torch: Any) -> None:
    x = np.random.default_rng(3).standard_normal((2, 4, 3))
    for m in (chainrule, torch):
        U, S, V = m.svd(m.tensor(x), compute_uv=False)
        assert tuple(U.shape) == (2, 4, 4) and tuple(V.shape) == (2, 3, 3)
        assert not U.requires_grad and float(U.abs().sum()) == 0.0


@pytest.mark.filterwarnings("ignore:torch.cholesky is deprecated")
def test_legacy_cholesky_error_names_it(lib: Any) -> None:
    with pytest.raises(lib.linalg.LinAlgError, match=re.escape("cholesky: The factorization")):
        lib.cholesky(-lib.eye(2))
