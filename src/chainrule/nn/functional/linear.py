"""torch.nn.functional: linear, bilinear, embedding, one_hot, and (from _distance.py)
normalize, cosine_similarity and pairwise_distance.

linear on a matrix is one node (`AddmmBackward0`, or `MmBackward0` without bias), whose backward
is the two matmuls a hand-written layer would do; other inputs are flattened to a matrix and
viewed back, as torch does.
"""

from __future__ import annotations

import numpy as np

from chainrule._dtype import SCALAR_TYPE, kernel_error
from chainrule.autograd import forward_ad as fw
from chainrule.autograd.function import _wrap
from chainrule.autograd.grad_mode import no_grad
from chainrule.nn.functional._activation_ops import dual
from chainrule.nn.functional._distance import cosine_similarity, normalize, pairwise_distance
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive
from chainrule.ops.inplace import mark_modified
from chainrule.ops.linalg import check_bool_product, matmul
from chainrule.ops.shape import Reshape
from chainrule.tensor import Tensor

__all__ = [
    "linear", "bilinear", "embedding", "one_hot", "normalize", "cosine_similarity",
    "pairwise_distance",
]  # fmt: skip

_C_TYPES = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool"}  # fmt: skip
_SCALAR_TYPES = SCALAR_TYPE  # torch's ScalarType names


def _expand_error(shape: tuple, target: tuple) -> RuntimeError:
    """torch's message for a tensor of `shape` that cannot expand to `target`."""
    n = len(target)
    if len(shape) > n:
        return RuntimeError(
            f"expand: the number of sizes provided ({n}) must be greater or equal to the number "
            f"of dimensions in the tensor ({len(shape)})"
        )
    padded = (1,) * (n - len(shape)) + tuple(shape)
    i = next(i for i in reversed(range(n)) if padded[i] not in (1, target[i]))
    return RuntimeError(
        f"The expanded size of the tensor ({target[i]}) must match the existing size "
        f"({padded[i]}) at non-singleton dimension {i}.  Target sizes: {list(target)}.  Tensor "
        f"sizes: {list(shape)}"
    )


class Addmm(Primitive):
    """out = x @ w^T + b (x: N x in, w: out x in);  dx = g @ w, dw = g^T @ x, db = g (summed
    over the rows by the engine)"""

    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, w, b=None):
        if x.shape[1] != w.shape[1]:
            raise RuntimeError(
                f"mat1 and mat2 shapes cannot be multiplied ({x.shape[0]}x{x.shape[1]} and "
                f"{w.shape[1]}x{w.shape[0]})"
            )
        if x.dtype != w.dtype:
            raise RuntimeError(
                f"expected m1 and m2 to have the same dtype, but got: {_C_TYPES[x.dtype.name]} "
                f"!= {_C_TYPES[w.dtype.name]}"
            )
        out = x @ w.T
        if b is not None:
            if b.dtype != out.dtype:
                raise RuntimeError(
                    f"self and mat2 must have the same dtype, but got "
                    f"{_SCALAR_TYPES[b.dtype.name]} and {_SCALAR_TYPES[out.dtype.name]}"
                )
            try:
                out += b
            except ValueError:
                raise _expand_error(b.shape, out.shape) from None
        check_bool_product(x, w.T, "addmm_impl_cpu_")  # after the shapes' checks, as torch
        e = ctx._edges  # each operand is needed only for the other one's gradient
        ctx.save_for_backward(x if e[1] is not None else None, w if e[0] is not None else None)
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        e = ctx._edges
        gx = g @ w if e[0] is not None else None
        gw = d.swap_last(g) @ x if e[1] is not None else None
        if len(e) == 2:
            return gx, gw
        return gx, gw, (g if e[2] is not None else None)

    @staticmethod
    def jvp_rule(t, out, x, w, b=None):
        r = t[0] @ w.T + (fw.ZERO if t[1] is fw.ZERO else x @ t[1].T)
        return r + t[2] if len(t) > 2 and t[2] is not None else r


class Mm(Addmm):
    node_name = "MmBackward0"


class _UnsafeView(Reshape):
    node_name = "UnsafeViewBackward0"


class _Squeeze(Reshape):
    node_name = "SqueezeBackward4"


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """input @ weight^T + bias, over the last dim of input."""
    xn, wn = input.data.ndim, weight.data.ndim
    if xn == 0 or wn == 0:
        raise RuntimeError(
            f"both arguments to linear need to be at least 1D, but they are {xn}D and {wn}D"
        )
    if wn > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {wn}D")
    if wn == 1:
        out = matmul(input, weight)
        return out if bias is None else out + bias
    if xn == 2:
        return Mm.apply(input, weight) if bias is None else Addmm.apply(input, weight, bias)
    lead = input.data.shape[:-1]
    x2 = Reshape.apply(input, shape=(-1, input.data.shape[-1]), view=False)
    out = Mm.apply(x2, weight) if bias is None else Addmm.apply(x2, weight, bias)
    view = Reshape if bias is not None else (_Squeeze if xn == 1 else _UnsafeView)
    return view.apply(out, shape=lead + (weight.data.shape[0],), view=False)


class Trilinear(Primitive):
    """out[n, o] = sum_ij x1[n, i] w[o, i, j] x2[n, j];  with t[n, i, j] = sum_o g[n, o]
    w[o, i, j]: dx1 = t @ x2, dx2 = x1 @ t, dw[o, i, j] = sum_n g[n, o] x1[n, i] x2[n, j]"""

    node_name = "TrilinearBackward0"

    @staticmethod
    def forward(ctx, x1, x2, w):
        if x1.dtype.kind == "b" and x1.size and x2.size and w.size:
            raise kernel_error("bmm", x1.dtype)
        ctx.save_for_backward(x1, x2, w)
        return np.einsum("ni,oij,nj->no", x1, w, x2, optimize=True)

    @staticmethod
    def backward(ctx, g):
        x1, x2, w = ctx.saved_tensors
        (o, i, j), n = tuple(w.shape), g.shape[0]
        e = ctx._edges
        g1 = g2 = gw = None
        if e[0] is not None or e[1] is not None:
            t = d.reshape(g @ d.reshape(w, (o, i * j)), (n, i, j))
            if e[0] is not None:
                g1 = d.reshape(t @ d.reshape(x2, (n, j, 1)), (n, i))
            if e[1] is not None:
                g2 = d.reshape(d.reshape(x1, (n, 1, i)) @ t, (n, j))
        if e[2] is not None:
            outer = d.reshape(x1, (n, i, 1)) * d.reshape(x2, (n, 1, j))
            gw = d.reshape(d.swap_last(g) @ d.reshape(outer, (n, i * j)), (o, i, j))
        return g1, g2, gw

    @staticmethod
    def jvp_rule(t, out, x1, x2, w):
        r = fw.ZERO
        for k, args in enumerate(((t[0], w, x2), (x1, t[2], x2), (x1, w, t[1]))):
            if args[k] is not fw.ZERO:
                r = r + np.einsum("ni,oij,nj->no", *args, optimize=True)
        return r


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """out[..., o] = input1[..., i] weight[o, i, j] input2[..., j] + bias[o]."""
    s1, s2, sw = input1.data.shape, input2.data.shape, weight.data.shape
    if len(s1) != len(s2):
        raise RuntimeError(
            f"bilinear(): input dimensions do not match: got {len(s1)} and {len(s2)}"
        )
    for k in range(len(s1) - 1):
        if s1[k] != s2[k]:
            raise RuntimeError(
                f"bilinear(): input batch dimensions do not match at dim {k}: got {s1[k]} and "
                f"{s2[k]}"
            )
    if len(sw) != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got shape {list(sw)}")
    for name, got, want in (("input1", s1[-1], sw[1]), ("input2", s2[-1], sw[2])):
        if got != want:
            raise RuntimeError(
                f"bilinear(): {name} size does not match weight size: got {got} but expected {want}"
            )
    if bias is not None and (bias.data.ndim != 1 or bias.data.shape[0] != sw[0]):
        got = bias.data.shape[0] if bias.data.ndim else bias.data.ndim
        raise RuntimeError(
            f"bilinear(): bias size does not match weight size: got {got} but expected {sw[0]}"
        )
    lead = s1[:-1]
    if len(s1) != 2:
        input1 = Reshape.apply(input1, shape=(-1, s1[-1]), view=False)
        input2 = Reshape.apply(input2, shape=(-1, s2[-1]), view=False)
    out = Trilinear.apply(input1, input2, weight)
    out = Reshape.apply(out, shape=lead + (sw[0],), view=False)
    return out if bias is None else out + bias


# --- embedding and one_hot --------------------------------------------------------------------


class Embedding(Primitive):
    """out = weight[indices];  dweight = the rows of g added at indices (see
    EmbeddingDenseBackward)"""

    node_name = "EmbeddingBackward0"

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, scale_grad_by_freq):
        n = weight.shape[0]
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            raise IndexError("index out of range in self")
        ctx.args = (indices, weight.shape, padding_idx, scale_grad_by_freq)
        return weight[indices]

    @staticmethod
    def backward(ctx, g):
        idx, shape, padding_idx, scale = ctx.args
        return dual(
            EmbeddingDenseBackward,
            g,
            indices=idx,
            shape=shape,
            padding_idx=padding_idx,
            scale=scale,
        )

    jvp_rule = staticmethod(
        lambda t, out, weight, indices, *a, **k: t[0] if t[0] is fw.ZERO else t[0][indices]
    )


class EmbeddingDenseBackward(Primitive):
    """out = zeros(shape) with the rows of g added at indices (repeats accumulate), none at
    padding_idx, each divided by its index's count if scale;  dout/dg = gg[indices], 0 at
    padding_idx -- and not divided by the counts (as torch's double backward)"""

    node_name = "EmbeddingDenseBackwardBackward0"

    @staticmethod
    def forward(ctx, g, indices, shape, padding_idx, scale):
        ctx.indices, ctx.padding_idx = indices, padding_idx
        if padding_idx is not None:
            g = g * (indices != padding_idx)[..., None]
        if scale:
            counts = np.bincount(indices.ravel(), minlength=shape[0])[indices]
            g = g / counts[..., None].astype(g.dtype)
        out = np.zeros(shape, g.dtype)
        np.add.at(out, indices, g)
        return out

    @staticmethod
    def backward(ctx, gg):
        idx = ctx.indices
        rows = gg[idx]
        if ctx.padding_idx is not None:
            rows = d.masked(rows, (idx != ctx.padding_idx)[..., None])
        return rows


def _renorm_rows(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """torch's embedding_renorm_: rows at idx with norm > max_norm scaled to max_norm, in place
    and unrecorded (the weight's version counter moves, as torch's does)."""
    rows = np.unique(idx)
    if not rows.size:
        return
    w = weight.data
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    over = norms > max_norm
    if over.any():
        w[rows[over]] *= (max_norm / (norms[over] + 1e-7))[:, None].astype(w.dtype)
        mark_modified(weight)


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of weight at the indices in input (shape input.shape + (embedding_dim,))."""
    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu" or idx.dtype.itemsize < 4:
        kind = _SCALAR_TYPES.get(idx.dtype.name, idx.dtype.name)
        raise RuntimeError(
            "Expected tensor for argument #1 'indices' to have one of the following scalar "
            f"types: Long, Int; but got torch.{kind}Tensor instead (while checking arguments "
            "for embedding)"
        )
    if weight.data.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    n = weight.data.shape[0]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= n
    if sparse and weight.requires_grad:
        raise NotImplementedError(
            "embedding(sparse=True): chainrule has no sparse gradients; use sparse=False"
        )
    if max_norm is not None:
        with no_grad():
            _renorm_rows(weight, idx, max_norm, norm_type)
    return Embedding.apply(
        weight, indices=idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq
    )


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor of shape tensor.shape + (num_classes,), 1 at each index, else 0."""
    a = tensor.data if isinstance(tensor, Tensor) else None
    if a is None or a.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if a.size == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        return _wrap(np.zeros(a.shape + (num_classes,), np.int64), None)
    if a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = int(a.max()) + 1
    elif num_classes <= a.max():
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _wrap((a[..., None] == np.arange(num_classes)).astype(np.int64), None)
