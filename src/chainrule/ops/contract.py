"""Contractions: einsum (ops/einsum.py), tensordot, inner, kron, bmm, outer, addmm, baddbmm.

tensordot, inner and kron are einsums; bmm is matmul's primitive; outer is a product.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._dtype import checked_scalar, kernel_error, result_type
from chainrule.autograd import forward_ad as fw
from chainrule.ops import _dual as d
from chainrule.ops._linalg_helpers import scalar_name
from chainrule.ops._util import Primitive, broadcast_error, norm_dim
from chainrule.ops.einsum import LETTERS, Einsum, _parse, einsum, same_dtype
from chainrule.ops.linalg import MatMul, check_bool_product
from chainrule.ops.shape import Reshape, reshape
from chainrule.tensor import Tensor

__all__ = ["einsum", "tensordot", "inner", "bmm", "outer", "ger", "kron", "addmm", "baddbmm"]


# --- tensordot, inner, kron ----------------------------------------------------------------------


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Any = None) -> Tensor:
    """Contract the last `dims` dims of a with the first of b, or the listed dims pairwise."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    na, nb = a.data.ndim, b.data.ndim
    if isinstance(dims, (int, np.integer)):
        dims = int(dims)
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > na or dims > nb:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        da, db = dims
        if isinstance(da, (int, np.integer)) and isinstance(db, (int, np.integer)):
            raise TypeError(
                "tensordot(): argument 'dims_self' (position 3) must be tuple of ints, not int"
            )
        da = [da] if isinstance(da, (int, np.integer)) else list(da)
        db = [db] if isinstance(db, (int, np.integer)) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    if a.data.dtype != b.data.dtype:
        raise RuntimeError("both inputs should have same dtype")
    ax = [norm_dim(int(i), na) for i in da]
    bx = [norm_dim(int(i), nb) for i in db]
    for i, j, ri, rj in zip(ax, bx, da, db):
        sa, sb = a.data.shape[i], b.data.shape[j]
        if sa != sb and sa != 1 and sb != 1:
            raise RuntimeError(
                f"contracted dimensions need to match, but first has size {sa} in dim {ri} and "
                f"second has size {sb} in dim {rj}"
            )
    la = LETTERS[:na]
    free_b = iter(LETTERS[na:])
    lb = "".join(la[ax[bx.index(j)]] if j in bx else next(free_b) for j in range(nb))
    lo = "".join(c for i, c in enumerate(la) if i not in ax) + "".join(
        c for j, c in enumerate(lb) if j not in bx
    )
    spec = _parse(f"{la},{lb}->{lo}", [a.data.shape, b.data.shape])
    check_bool_product(a.data, b.data, "addmm_impl_cpu_")
    return Einsum.apply(a, b, spec=spec)  # torch: a view of an mm


def inner(input: Tensor, other: Tensor) -> Tensor:
    """Sum of products over the last dimension of both (a product if either is 0-d)."""
    if input.data.ndim == 0 or other.data.ndim == 0:
        return input * other
    if input.data.shape[-1] != other.data.shape[-1]:
        raise RuntimeError(
            "inner() the last dimension must match on both input tensors but got shapes "
            f"{list(input.data.shape)} and {list(other.data.shape)}"
        )
    if input.data.ndim == 1 and other.data.ndim == 1:
        check_bool_product(input.data, other.data, "dot")
    return tensordot(input, other, ([-1], [-1]))


class _UnsafeView(Reshape):
    node_name = "UnsafeViewBackward0"


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: blocks input[i] * other, the shorter shape padded with leading 1s."""
    rt = result_type(input.data, other.data)
    input, other = input.to(rt), other.to(rt)
    n = max(input.data.ndim, other.data.ndim)
    a = reshape(input, (1,) * (n - input.data.ndim) + input.data.shape)
    b = reshape(other, (1,) * (n - other.data.ndim) + other.data.shape)
    la, lb = LETTERS[:n], LETTERS[n : 2 * n]
    prod = einsum(f"{la},{lb}->" + "".join(x + y for x, y in zip(la, lb)), a, b)
    shape = tuple(x * y for x, y in zip(a.data.shape, b.data.shape))
    return _UnsafeView.apply(prod, shape=shape, view=False)


# --- matrix products ---------------------------------------------------------------------------


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of two 3-D tensors with equal batch sizes (no broadcasting)."""
    x, y = input.data, mat2.data
    for name, t in (("batch1", x), ("batch2", y)):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    if y.shape[:2] != (x.shape[0], x.shape[2]):
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: "
            f"[{x.shape[0]}, {x.shape[2]}] but got: [{y.shape[0]}, {y.shape[1]}]."
        )
    same_dtype([x, y])
    return MatMul.apply(input, mat2)


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """out[i, j] = input[i] * vec2[j] for 1-D input and vec2."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t.data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.data.ndim}-D")
    return reshape(input, (-1, 1)) * vec2


ger = outer


def _check_addmm(input: Tensor, m1: Any, m2: Any, batched: bool) -> tuple:
    x, y, c = m1.data, m2.data, input.data
    if batched:
        for name, t in (("batch1", x), ("batch2", y)):
            if t.ndim != 3:
                raise RuntimeError(f"{name} must be a 3D tensor")
        if y.shape[:2] != (x.shape[0], x.shape[2]):
            raise RuntimeError(
                f"Expected size for first two dimensions of batch2 tensor to be: "
                f"[{x.shape[0]}, {x.shape[2]}] but got: [{y.shape[0]}, {y.shape[1]}]."
            )
        same_dtype([x, y, c])
        out_shape = (x.shape[0], x.shape[1], y.shape[2])
    else:
        for name, t in (("mat1", x), ("mat2", y)):
            if t.ndim != 2:
                raise RuntimeError(f"{name} must be a matrix, got {t.ndim}-D tensor")
        if x.shape[1] != y.shape[0]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({x.shape[0]}x{x.shape[1]} and "
                f"{y.shape[0]}x{y.shape[1]})"
            )
        for t in (x, y):
            if t.dtype != c.dtype:
                raise RuntimeError(
                    f"self and mat2 must have the same dtype, but got {scalar_name(c.dtype)} "
                    f"and {scalar_name(t.dtype)}"
                )
        out_shape = (x.shape[0], y.shape[1])
    try:
        np.broadcast_shapes(c.shape, out_shape)
        if np.broadcast_shapes(c.shape, out_shape) != out_shape:
            raise ValueError
    except ValueError:
        raise broadcast_error(c, np.empty(out_shape)) from None
    return out_shape


class Addmm(Primitive):
    """out = beta * input + alpha * m1 @ m2;  dinput = beta g, dm1 = alpha g m2^T,
    dm2 = alpha m1^T g (beta = 0: input is ignored, NaN included, as torch)"""

    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, c, m1, m2, beta, alpha):
        prod = np.matmul(m1, m2)
        if alpha != 1:
            prod = prod * alpha
        out = prod if beta == 0 else (c if beta == 1 else beta * c) + prod
        ctx.beta, ctx.alpha = beta, alpha
        e = ctx._edges
        ctx.save_for_backward(m1 if e[2] is not None else None, m2 if e[1] is not None else None)
        return np.asarray(out, dtype=m1.dtype)

    @staticmethod
    def jvp_rule(t, out, c, m1, m2, beta, alpha):  # beta dc + alpha (dm1 m2 + m1 dm2)
        dc = fw.ZERO if beta == 0 else t[0] * beta
        return dc + (t[1] @ m2 + m1 @ t[2]) * alpha

    @staticmethod
    def backward(ctx, g):
        m1, m2 = ctx.saved_tensors
        ec, e1, e2 = ctx._edges
        a, b = ctx.alpha, ctx.beta
        gc = (g if b == 1 else g * b) if ec is not None else None
        g1 = g @ d.swap_last(m2) if e1 is not None else None
        g2 = d.swap_last(m1) @ g if e2 is not None else None
        if a != 1:
            g1 = None if g1 is None else g1 * a
            g2 = None if g2 is None else g2 * a
        return gc, g1, g2


class Baddbmm(Addmm):
    node_name = "BaddbmmBackward0"


def _scalars(kernel: str, dt: np.dtype, beta: Any, alpha: Any) -> tuple[Any, Any]:
    """beta and alpha as torch's kernel takes them: converted to an integer dtype (truncated;
    an error where they overflow it); no bool kernel."""
    if dt.kind == "b":
        raise kernel_error(kernel, dt)
    if dt.kind in "iu":
        return int(checked_scalar(beta, dt)), int(checked_scalar(alpha, dt))
    return beta, alpha


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1, alpha: Any = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), input broadcast to the product's shape."""
    _check_addmm(input, mat1, mat2, batched=False)
    beta, alpha = _scalars("addmm_impl_cpu_", mat1.data.dtype, beta, alpha)
    return Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha)


def baddbmm(
    input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1, alpha: Any = 1
) -> Tensor:
    """beta * input + alpha * bmm(batch1, batch2), input broadcast to the product's shape."""
    _check_addmm(input, batch1, batch2, batched=True)
    beta, alpha = _scalars("baddbmm", batch1.data.dtype, beta, alpha)
    return Baddbmm.apply(input, batch1, batch2, beta=beta, alpha=alpha)


# Tensor methods, installed by ops/_methods.py
METHODS: dict[str, Any] = {
    "bmm": bmm, "outer": outer, "ger": ger, "inner": inner, "kron": kron,
    "addmm": addmm, "baddbmm": baddbmm,
}  # fmt: skip
