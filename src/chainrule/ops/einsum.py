"""einsum: Einstein summation, the one contraction primitive.

Its gradient with respect to an operand is the einsum of the upstream gradient with the other
operands (labels only that operand has broadcast it; repeated labels put it on their
diagonal), so a backward recorded under create_graph is again einsums.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

import numpy as np

from chainrule._dtype import kernel_error
from chainrule.autograd import forward_ad as fw
from chainrule.autograd.function import NULL_CTX
from chainrule.ops import _dual as d
from chainrule.ops._linalg_helpers import scalar_name
from chainrule.ops._util import Primitive
from chainrule.tensor import Tensor

LETTERS = string.ascii_uppercase + string.ascii_lowercase  # torch's label order: A-Z, a-z


def same_dtype(arrays: list[np.ndarray]) -> None:
    """torch's message for operands of different dtypes."""
    for a in arrays[1:]:
        if a.dtype != arrays[0].dtype:
            raise RuntimeError(
                f"expected scalar type {scalar_name(arrays[0].dtype)} but found "
                f"{scalar_name(a.dtype)}"
            )


@dataclass(frozen=True)
class _Spec:
    """A parsed einsum: explicit letters only (ellipses spelled out), size-1 dims that
    broadcast against a larger size squeezed away (`shapes` are the squeezed shapes)."""

    labels: tuple[str, ...]  # per operand, after squeezing (repeats kept: diagonals)
    out: str
    shapes: tuple[tuple[int, ...], ...]  # squeezed operand shapes
    orig: tuple[tuple[int, ...], ...]  # operand shapes as given
    size: dict  # label -> size

    @property
    def equation(self) -> str:
        return ",".join(self.labels) + "->" + self.out


def _terms(equation: str) -> tuple[list[list[str]], list[str] | None]:
    """Each side's subscripts as lists of letters and '...', validated as torch does."""
    sides: list[list[list[str]]] = [[[]]]
    i, n = 0, len(equation)
    while i < n:
        c = equation[i]
        if c == " ":
            pass
        elif c == ",":
            if len(sides) > 1:
                raise RuntimeError("einsum(): ',' found in the output of the equation")
            sides[-1].append([])
        elif equation.startswith("->", i):
            if len(sides) > 1:
                raise RuntimeError("einsum(): found more than one '->' in the equation")
            sides.append([[]])
            i += 1
        elif equation.startswith("...", i):
            if "..." in sides[-1][-1]:
                raise RuntimeError(
                    f"einsum(): found '...' for operand {len(sides[-1]) - 1} for which an "
                    "ellipsis was already found"
                )
            sides[-1][-1].append("...")
            i += 2
        elif c == ".":
            raise RuntimeError(
                f"einsum(): found '.' for operand {len(sides[-1]) - 1} that is not part of any "
                "ellipsis"
            )
        elif c in LETTERS:
            sides[-1][-1].append(c)
        else:
            raise RuntimeError(
                f"einsum(): invalid subscript given at index {i} in the equation string, "
                "subscripts must be in [a-zA-Z]"
            )
        i += 1
    return sides[0], (sides[1][0] if len(sides) > 1 else None)


def _parse(equation: str, shapes: list[tuple[int, ...]]) -> _Spec:
    lhs, rhs = _terms(equation)
    if len(lhs) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    if len(lhs) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    used = {c for t in lhs + [rhs or []] for c in t}
    ell_dims = []
    for k, (t, s) in enumerate(zip(lhs, shapes)):
        nl = len(t) - ("..." in t)
        if "..." in t:
            if nl > len(s):
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({nl}) is more than the "
                    f"number of dimensions ({len(s)}) for operand {k}"
                )
            ell_dims.append(len(s) - nl)
        else:
            if nl != len(s):
                raise RuntimeError(
                    f"einsum(): the number of subscripts in the equation ({nl}) does not match "
                    f"the number of dimensions ({len(s)}) for operand {k} and no ellipsis was "
                    "given"
                )
            ell_dims.append(0)
    n_ell = max(ell_dims, default=0)
    ell = [c for c in LETTERS if c not in used][:n_ell]
    if len(ell) < n_ell:
        raise RuntimeError("einsum(): too many dimensions for the 52 subscript letters")
    labels = []
    for t, e in zip(lhs, ell_dims):
        lab: list[str] = []
        for c in t:
            lab.extend(ell[n_ell - e :] if c == "..." else [c])
        labels.append(lab)
    # sizes: a label repeated within an operand must match; across operands size 1 broadcasts
    size: dict[str, int] = {}
    for k, (lab, s) in enumerate(zip(labels, shapes)):
        mine: dict[str, int] = {}
        for c, n in zip(lab, s):
            if c in mine and mine[c] != n:
                raise RuntimeError(
                    f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't "
                    f"match, {n} != {mine[c]}"
                )
            mine[c] = n
        for c, n in mine.items():
            seen = size.get(c)
            if seen is None or seen == 1:
                size[c] = n
            elif n != 1 and n != seen:
                if c in ell:
                    raise RuntimeError(
                        f"einsum(): dimension {ell.index(c) - n_ell + ell_dims[k]} covered by "
                        f"ellipsis in operand {k}has size {n} which does not broadcast with "
                        f"previously seen ellipsis with size {seen} for the respective dimension"
                    )
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {k} which does not "
                    f"broadcast with previously seen size {seen}"
                )
    if rhs is None:  # implicit output: the ellipsis, then the labels seen once, sorted
        counts: dict[str, int] = {}
        for t in lhs:
            for c in t:
                counts[c] = counts.get(c, 0) + 1
        out = ell + sorted(c for c, m in counts.items() if m == 1 and c != "...")
    else:
        out = []
        for c in rhs:
            if c == "...":
                out.extend(ell)
                continue
            if c not in size:
                raise RuntimeError(
                    f"einsum(): output subscript {c} does not appear in the equation for any "
                    "input operand"
                )
            if c in out:
                raise RuntimeError(
                    f"einsum(): output subscript {c} appears more than once in the output"
                )
            out.append(c)
    squeezed = []
    new_shapes = []
    for lab, s in zip(labels, shapes):
        keep = [not (n == 1 and size[c] != 1) for c, n in zip(lab, s)]
        squeezed.append("".join(c for c, k in zip(lab, keep) if k))
        new_shapes.append(tuple(n for n, k in zip(s, keep) if k))
    return _Spec(tuple(squeezed), "".join(out), tuple(new_shapes), tuple(map(tuple, shapes)), size)


def _summed_dtype(dt: np.dtype) -> np.dtype:
    """torch's sum: integers and bool accumulate in int64."""
    return np.dtype(np.int64) if dt.kind in "biu" else dt


def _torch_dtype(spec: _Spec, dt: np.dtype) -> np.dtype:
    """The result dtype of torch's einsum, which contracts left to right, summing a label that
    only one operand has (left) with `sum` -- int64 for integers -- and contracting the others
    with bmm, which wants equal dtypes and has no bool kernel (products without a contracted
    label are `mul`, which promotes). Raises torch's errors for the bmm it would call."""
    if dt.kind == "f" or dt == np.int64:
        return dt
    summed = set("".join(spec.labels)) - set(spec.out)
    if len(spec.labels) == 1:
        return _summed_dtype(dt) if summed else dt
    ops = [(dt, {c for c, n in zip(lab, shp) if n != 1}) for lab, shp in
           zip(spec.labels, spec.shapes)]  # fmt: skip
    count = {c: sum(c in lab for _, lab in ops) for c in summed}
    (da, la), rest = ops[0], ops[1:]
    for db, lb in rest:
        contracted = []
        for c in sorted(summed):
            if c in la and c in lb:
                count[c] -= 1
                if count[c] == 1:
                    contracted.append(c)
                    count[c] = 0
            elif count[c] == 1 and (c in la or c in lb):
                count[c] = 0
                if c in la:
                    da, la = _summed_dtype(da), la - {c}
                else:
                    db, lb = _summed_dtype(db), lb - {c}
        if not contracted:
            da = np.promote_types(da, db)
        elif da != db:
            raise RuntimeError(
                f"expected scalar type {scalar_name(da)} but found {scalar_name(db)}"
            )
        elif da.kind == "b" and all(spec.size[c] for c in la | lb):  # bmm: empty passes
            raise kernel_error("bmm", da)
        la = (la | lb) - set(contracted)
    return da


def _einsum_array(equation: str, *arrays: np.ndarray) -> np.ndarray:
    out = np.einsum(equation, *arrays, optimize=len(arrays) > 1)
    return np.asarray(out)


class Einsum(Primitive):
    """out = einsum(eq, *ops);  dout/dop_k = einsum(g, other ops -> labels of op_k): labels only
    op_k has broadcast the gradient, repeated labels put it on their diagonal"""

    node_name = "ViewBackward0"  # torch's einsum is composite: its last op names the node

    @staticmethod
    def forward(ctx, *ops, spec, dtype=None):
        arrays = [a.reshape(s) for a, s in zip(ops, spec.shapes)]
        if dtype is not None and dtype != arrays[0].dtype:  # torch's sums of integers, in int64
            arrays = [a.astype(dtype) for a in arrays]
        out = _einsum_array(spec.equation, *arrays)
        if any(np.may_share_memory(out, a) for a in ops):  # a one-operand view: own its memory
            out = out.copy()
        ctx.spec = spec
        ctx.save_for_backward(*ops)
        return out

    @staticmethod
    def jvp_rule(t, out, *ops, spec, dtype=None):  # sum over k of einsum with op_k -> dop_k
        total = fw.ZERO
        for k, tk in enumerate(t):
            if tk is not fw.ZERO:
                args = ops[:k] + (tk,) + ops[k + 1 :]
                total = total + Einsum.forward(NULL_CTX, *args, spec=spec, dtype=dtype)
        return total

    @staticmethod
    def backward(ctx, g):
        spec = ctx.spec
        ops = [d.reshape(o, s) for o, s in zip(ctx.saved_tensors, spec.shapes)]
        return tuple(
            None if e is None else _operand_grad(spec, k, g, ops) for k, e in enumerate(ctx._edges)
        )


class _EinsumMul(Einsum):
    node_name = "MulBackward0"


class _EinsumSum(Einsum):
    node_name = "SumBackward1"


class _EinsumPermute(Einsum):
    node_name = "PermuteBackward0"


def _operand_grad(spec: _Spec, k: int, g: Any, ops: list) -> Any:
    lab = spec.labels[k]
    uniq = "".join(dict.fromkeys(lab))
    others = [j for j in range(len(ops)) if j != k]
    avail = set(spec.out).union(*(spec.labels[j] for j in others))
    kept = "".join(c for c in uniq if c in avail)
    eq = ",".join([spec.out] + [spec.labels[j] for j in others]) + "->" + kept
    gk = _einsum_dual(eq, g, *(ops[j] for j in others))
    if kept != uniq:  # labels summed within op_k alone: their gradient is broadcast
        gk = d.reshape(gk, tuple(spec.size[c] if c in avail else 1 for c in uniq))
        gk = d.expand(gk, tuple(spec.size[c] for c in uniq))
    if uniq != lab:
        if isinstance(gk, Tensor):
            gk = _DiagScatter.apply(gk, eq=f"{lab}->{uniq}", shape=spec.shapes[k])
        else:
            gk = _DiagScatter.forward(NULL_CTX, gk, f"{lab}->{uniq}", spec.shapes[k])
    return d.reshape(gk, spec.orig[k])


def _einsum_dual(eq: str, *xs: Any) -> Any:
    if any(isinstance(x, Tensor) for x in xs):
        t = next(x for x in xs if isinstance(x, Tensor))
        return einsum(eq, *(x if isinstance(x, Tensor) else d.const(t, x) for x in xs))
    return _einsum_array(eq, *xs)


class _DiagScatter(Primitive):
    """out = zeros with u on the diagonals that repeated labels read;  dout/du = those diagonals"""

    node_name = "DiagonalScatterBackward0"
    jvp_rule = fw.linear

    @staticmethod
    def forward(ctx, u, eq, shape):
        out = np.zeros(shape, u.dtype)
        np.einsum(eq, out)[...] = u  # a writable view onto the diagonals
        ctx.eq = eq
        return out

    @staticmethod
    def backward(ctx, gg):
        return _einsum_dual(ctx.eq, gg)


def einsum(equation: str, *operands: Any) -> Tensor:
    """Einstein summation: `einsum("ij,jk->ik", a, b)`; also the operands as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(o if isinstance(o, Tensor) else np.asarray(o) for o in operands)
    arrays = [o.data if isinstance(o, Tensor) else o for o in operands]
    spec = _parse(equation, [a.shape for a in arrays])
    same_dtype(arrays)
    dt = _torch_dtype(spec, arrays[0].dtype) if arrays else None
    summed = set("".join(spec.labels)) - set(spec.out)
    if len(operands) == 1:  # torch: a permute, then a sum if any label is summed
        cls = _EinsumSum if summed else _EinsumPermute
    else:  # torch: products, reshaped through bmm when some label is contracted
        cls = Einsum if summed else _EinsumMul
    return cls.apply(*operands, spec=spec, dtype=dt)
