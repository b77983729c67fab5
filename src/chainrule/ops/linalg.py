"""Matrix products: matmul (1-D, 2-D and batched with broadcasting)."""

from __future__ import annotations

import numpy as np

from chainrule._dtype import kernel_error
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive
from chainrule.ops.arithmetic import prep
from chainrule.tensor import Tensor


def _product_kernel(a: int, b: int) -> str:
    """The CPU kernel torch's matmul reaches for operands of a and b dimensions."""
    if b >= 3:
        return "bmm"
    if b == 1:
        return "dot" if a == 1 else "addmv_impl_cpu"
    return "addmm_impl_cpu_"


def check_bool_product(x: np.ndarray, y: np.ndarray, kernel: str | None = None) -> None:
    """torch has no bool matrix products: its kernel error, except where an empty product
    returns before the kernel (an empty result or contracted dim; dot always refuses)."""
    if x.dtype.kind != "b" and y.dtype.kind != "b":
        return
    kernel = kernel or _product_kernel(x.ndim, y.ndim)
    if kernel == "dot" or (x.size and y.size):
        raise kernel_error(kernel, np.dtype(np.bool_))


class MatMul(Primitive):
    """out = x @ y;  dout/dx = g @ y^T, dout/dy = x^T @ g (1-D operands promoted, as numpy)"""

    node_name = "BmmBackward0"

    @staticmethod
    def forward(ctx, x, y):
        if x.ndim == 0 or y.ndim == 0:
            raise RuntimeError(
                f"both arguments to matmul need to be at least 1D, but they are {x.ndim}D and "
                f"{y.ndim}D"
            )
        x, y = prep(x, y)
        try:
            out = np.matmul(x, y)
        except ValueError:
            xs = "x".join(map(str, x.shape))
            ys = "x".join(map(str, y.shape))
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({xs} and {ys})"
            ) from None
        check_bool_product(x, y)  # after the shapes' check, as torch
        e = ctx._edges  # an operand whose partner needs no gradient: keep just its shape
        ctx.save_for_backward(
            x if e[1] is not None else x.shape, y if e[0] is not None else y.shape
        )
        return out

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors  # an operand whose partner needs no gradient: just its shape
        ex, ey = ctx._edges
        xs = x if type(x) is tuple else x.shape
        ys = y if type(y) is tuple else y.shape
        if len(xs) == 2 and len(ys) == 2:  # the common case, with no reshaping
            return (g @ y.T if ex is not None else None), (x.T @ g if ey is not None else None)
        if len(xs) == 1 and len(ys) == 1:
            return (g * y if ex is not None else None), (g * x if ey is not None else None)
        # promote 1-D operands to matrices, and g with them, then reduce back
        gshape = list(g.shape)
        if len(xs) == 1:
            gshape.insert(len(gshape) - (0 if len(ys) == 1 else 1), 1)
        if len(ys) == 1:
            gshape.append(1)
        g1 = d.reshape(g, tuple(gshape))
        gx = gy = None
        if ex is not None:
            y1 = d.reshape(y, (ys[0], 1)) if len(ys) == 1 else y
            gx = g1 @ d.swap_last(y1)
            if len(xs) == 1:
                gx = d.reshape(gx, gx.shape[:-2] + gx.shape[-1:])
        if ey is not None:
            x1 = d.reshape(x, (1, xs[0])) if len(xs) == 1 else x
            gy = d.swap_last(x1) @ g1
            if len(ys) == 1:
                gy = d.reshape(gy, gy.shape[:-1])
        return gx, gy

    jvp_rule = staticmethod(lambda t, out, x, y: t[0] @ y + x @ t[1])


class Mm(MatMul):
    node_name = "MmBackward0"


class Mv(MatMul):
    node_name = "MvBackward0"


class Dot(MatMul):
    node_name = "DotBackward0"


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with numpy/torch broadcasting rules for 1-D and batched operands."""
    try:
        a, b = input.data.ndim, other.data.ndim
    except AttributeError:
        a, b = np.ndim(input), np.ndim(other)
    if a == 2 and b == 2:
        return Mm.apply(input, other)
    if a == 1 and b == 1:
        return Dot.apply(input, other)
    if a == 2 and b == 1:
        return Mv.apply(input, other)
    return MatMul.apply(input, other)
