"""The op database: one `OpInfo` record per op, read by the generic tests in test_ops.py.

Each record's `fn(m, *tensors)` is written against the torch API, so the same lambda runs with
`m = chainrule` and with `m = torch`. Adding an op means adding a record here; the generic tests
(forward/backward against torch in float32 and float64, gradcheck, gradgradcheck, second
derivatives against torch) pick it up.

Sample inputs are NumPy float64 arrays made by `make_inputs` from a record's domain: values are
steered away from the record's kinks, and for ops with ties (max, min, maximum, clamp with tensor
bounds) every element of every input is distinct, so finite differences are valid there. The
kink and tie *conventions* themselves are tested explicitly in test_ops.py.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

Shape = tuple[int, ...]

# rtol, atol per dtype for comparisons against torch
DEFAULT_TOL: dict[str, tuple[float, float]] = {
    "float32": (2e-5, 1e-6),
    "float64": (1e-10, 1e-12),
}
LOOSE_TOL: dict[str, tuple[float, float]] = {  # BLAS, pow: different summation / formulas
    "float32": (1e-4, 1e-5),
    "float64": (1e-9, 1e-11),
}

KINK_MARGIN = 1e-2  # no sample element lies closer than this to a kink, or to another (ties)


@dataclass(frozen=True)
class OpInfo:
    """One op: how to call it, on what inputs, and how to check it."""

    name: str
    fn: Callable[..., Any]  # fn(module, *tensors) -> tensor; module is chainrule or torch
    samples: tuple[tuple[Shape, ...], ...]  # per sample, one shape per tensor argument
    domain: tuple[str, ...] = ("real",)  # per argument (the last one repeats): see DOMAINS
    kinks: tuple[float, ...] = ()  # points where the op is not differentiable
    distinct: bool = False  # all elements of all inputs pairwise apart (no ties)
    diff: tuple[bool, ...] | None = None  # which arguments require grad (None: all)
    gradcheck: bool = True  # finite differences in float64 are meaningful
    gradgrad: bool = True  # twice differentiable away from kinks: gradgradcheck too
    tol: dict[str, tuple[float, float]] | None = None

    @property
    def nargs(self) -> int:
        return len(self.samples[0])

    def domain_of(self, i: int) -> str:
        return self.domain[min(i, len(self.domain) - 1)]

    def differentiable(self, i: int) -> bool:
        return True if self.diff is None else self.diff[i]

    def tolerance(self, dtype: str) -> tuple[float, float]:
        return (self.tol or DEFAULT_TOL)[dtype]


# --- sample values ------------------------------------------------------------------------------


def _real(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.standard_normal(shape)


def _positive(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.uniform(0.5, 2.0, shape)


def _nonzero(rng: np.random.Generator, shape: Shape) -> np.ndarray:
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.5, 2.0, shape)


DOMAINS: dict[str, Callable[[np.random.Generator, Shape], np.ndarray]] = {
    "real": _real,
    "positive": _positive,  # log, sqrt, the base of x ** y
    "nonzero": _nonzero,  # divisors
}


def _push_from_kinks(x: np.ndarray, kinks: tuple[float, ...]) -> np.ndarray:
    """Move every element closer than KINK_MARGIN to a kink out to exactly that distance."""
    for k in kinks:
        near = np.abs(x - k) < KINK_MARGIN
        x = np.where(near, k + np.where(x >= k, KINK_MARGIN, -KINK_MARGIN), x)
    return x


def _distinct(rng: np.random.Generator, shapes: tuple[Shape, ...]) -> list[np.ndarray]:
    """Values for all inputs on a shuffled half-integer grid of step 0.1, jittered by < 0.02.

    Any two elements (within or across inputs) are >= 0.06 apart and every element is >= 0.03
    from any multiple of 0.1 -- in particular from 0 and from the clamp bounds +-0.5.
    """
    sizes = [int(np.prod(s)) for s in shapes]
    total = sum(sizes)
    grid = (rng.permutation(total) - total // 2 + 0.5) * 0.1
    vals = grid + rng.uniform(-0.02, 0.02, total)
    out, start = [], 0
    for s, n in zip(shapes, sizes):
        out.append(vals[start : start + n].reshape(s))
        start += n
    return out


def seed_of(name: str, index: int) -> int:
    return zlib.crc32(name.encode()) + index


def make_inputs(op: OpInfo, shapes: tuple[Shape, ...], seed: int) -> list[np.ndarray]:
    """float64 arrays for one sample of `op`, in its domain and away from its kinks and ties."""
    rng = np.random.default_rng(seed)
    if op.distinct:
        arrays = _distinct(rng, shapes)
        for i, a in enumerate(arrays):
            if op.domain_of(i) == "positive":  # shift the grid, keeping it distinct
                arrays[i] = a - a.min(initial=0.0) + 0.5
    else:
        arrays = [DOMAINS[op.domain_of(i)](rng, s) for i, s in enumerate(shapes)]
    return [np.asarray(_push_from_kinks(a, op.kinks), dtype=np.float64) for a in arrays]


# --- shared sample sets --------------------------------------------------------------------------

UNARY: tuple[tuple[Shape, ...], ...] = (((),), ((3,),), ((2, 3),), ((1, 3, 1),), ((0,),), ((2, 0),))
BINARY: tuple[tuple[Shape, ...], ...] = (
    ((3,), (3,)),
    ((), ()),
    ((2, 3), (3,)),  # broadcasting a row
    ((2, 1), (1, 3)),  # both sides broadcast
    ((), (2, 3)),  # 0-d with n-d
    ((2, 3), ()),
    ((1, 3, 1), (2, 1, 2)),
    ((0,), (0,)),  # empty
    ((2, 0), (2, 1)),  # empty, broadcast
    ((0,), ()),
)
TERNARY: tuple[tuple[Shape, ...], ...] = (
    ((3,), (3,), (3,)),
    ((2, 3), (3,), ()),
    ((2, 1), (1, 3), (2, 3)),
    ((0,), (), (0,)),
)
MATMUL: tuple[tuple[Shape, ...], ...] = (
    ((3,), (3,)),  # 1-D @ 1-D: dot
    ((2, 3), (3, 4)),  # 2-D @ 2-D: mm
    ((2, 3), (3,)),  # 2-D @ 1-D: mv
    ((3,), (3, 2)),  # 1-D @ 2-D
    ((2, 2, 3), (2, 3, 2)),  # batched
    ((2, 1, 2, 3), (3, 3, 2)),  # batched with broadcasting batch dims
    ((3,), (2, 3, 2)),  # 1-D @ batched
    ((2, 2, 3), (3,)),  # batched @ 1-D
    ((2, 3), (2, 3, 2)),  # 2-D @ batched
    ((0, 3), (3, 2)),  # empty rows
    ((2, 0), (0, 3)),  # empty contraction: zeros
)


def _t(m: Any, data: Any, **kw: Any) -> Any:
    """A constant tensor (index, mask) in module m."""
    return m.tensor(data, **kw)


OPS: list[OpInfo] = [
    # --- arithmetic, tensor with tensor ----------------------------------------------------------
    OpInfo("add", lambda m, x, y: x + y, BINARY),
    OpInfo("add_alpha", lambda m, x, y: m.add(x, y, alpha=2), BINARY[:4]),
    OpInfo("sub", lambda m, x, y: x - y, BINARY),
    OpInfo("sub_alpha", lambda m, x, y: m.sub(x, y, alpha=0.5), BINARY[:4]),
    OpInfo("mul", lambda m, x, y: x * y, BINARY),
    OpInfo("mul_self", lambda m, x: x * x, UNARY),
    OpInfo("div", lambda m, x, y: x / y, BINARY, domain=("real", "nonzero")),
    OpInfo("div_fn", lambda m, x, y: m.div(x, y), BINARY[:4], domain=("real", "nonzero")),
    OpInfo(
        "div_only_y",
        lambda m, x, y: x / y,
        BINARY[:4],
        domain=("real", "nonzero"),
        diff=(False, True),
    ),
    OpInfo("neg", lambda m, x: -x, UNARY),
    OpInfo("neg_fn", lambda m, x: m.neg(x), UNARY[:3]),
    # --- arithmetic with Python scalars on either side -------------------------------------------
    OpInfo("add_scalar", lambda m, x: x + 1.5, UNARY),
    OpInfo("radd_scalar", lambda m, x: 2 + x, UNARY),
    OpInfo("sub_scalar", lambda m, x: x - 2, UNARY),
    OpInfo("rsub_scalar", lambda m, x: 1 - x, UNARY),
    OpInfo("mul_scalar", lambda m, x: x * 3, UNARY),
    OpInfo("rmul_scalar", lambda m, x: -0.5 * x, UNARY),
    OpInfo("div_scalar", lambda m, x: x / 4, UNARY),
    OpInfo("rdiv_scalar", lambda m, x: 2 / x, UNARY, domain=("nonzero",)),
    OpInfo("rdiv_scalar_float", lambda m, x: -1.5 / x, UNARY[:3], domain=("nonzero",)),
    # --- powers ----------------------------------------------------------------------------------
    OpInfo("pow_int", lambda m, x: x**2, UNARY),
    OpInfo("pow_int3", lambda m, x: x**3, UNARY[:3]),
    OpInfo("pow_float", lambda m, x: x**2.5, UNARY, domain=("positive",), tol=LOOSE_TOL),
    OpInfo("pow_half", lambda m, x: x**0.5, UNARY[:3], domain=("positive",), tol=LOOSE_TOL),
    OpInfo("pow_neg", lambda m, x: x**-1.5, UNARY[:3], domain=("positive",), tol=LOOSE_TOL),
    OpInfo("pow_zero", lambda m, x: x**0, UNARY),
    OpInfo("pow_one", lambda m, x: x**1, UNARY[:3]),
    OpInfo("pow_fn", lambda m, x: m.pow(x, 3), UNARY[:3]),
    OpInfo("rpow_scalar", lambda m, x: 2**x, UNARY, tol=LOOSE_TOL),
    OpInfo("rpow_float", lambda m, x: 0.5**x, UNARY[:3], tol=LOOSE_TOL),
    OpInfo("rpow_fn", lambda m, x: m.pow(2.0, x), UNARY[:3], tol=LOOSE_TOL),
    OpInfo("pow_tensor", lambda m, x, y: x**y, BINARY, domain=("positive", "real"), tol=LOOSE_TOL),
    OpInfo(
        "pow_tensor_fn",
        lambda m, x, y: m.pow(x, y),
        BINARY[:4],
        domain=("positive", "real"),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "pow_tensor_only_x",
        lambda m, x, y: x**y,
        BINARY[:4],
        domain=("positive", "real"),
        diff=(True, False),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "pow_tensor_only_y",
        lambda m, x, y: x**y,
        BINARY[:4],
        domain=("positive", "real"),
        diff=(False, True),
        tol=LOOSE_TOL,
    ),
    # --- matmul ----------------------------------------------------------------------------------
    OpInfo("matmul", lambda m, x, y: x @ y, MATMUL, tol=LOOSE_TOL),
    OpInfo("matmul_fn", lambda m, x, y: m.matmul(x, y), MATMUL[:4], tol=LOOSE_TOL),
    OpInfo("matmul_only_x", lambda m, x, y: x @ y, MATMUL[:8], diff=(True, False), tol=LOOSE_TOL),
    OpInfo("matmul_only_y", lambda m, x, y: x @ y, MATMUL[:8], diff=(False, True), tol=LOOSE_TOL),
    OpInfo("mm", lambda m, x, y: m.mm(x, y), (((2, 3), (3, 2)),), tol=LOOSE_TOL),
    OpInfo("mv", lambda m, x, y: m.mv(x, y), (((2, 3), (3,)),), tol=LOOSE_TOL),
    OpInfo("dot", lambda m, x, y: m.dot(x, y), (((3,), (3,)),), tol=LOOSE_TOL),
    # --- unary elementwise -----------------------------------------------------------------------
    OpInfo("exp", lambda m, x: m.exp(x), UNARY),
    OpInfo("exp_method", lambda m, x: x.exp(), UNARY[:3]),
    OpInfo("log", lambda m, x: m.log(x), UNARY, domain=("positive",)),
    OpInfo("sqrt", lambda m, x: m.sqrt(x), UNARY, domain=("positive",)),
    OpInfo("abs", lambda m, x: m.abs(x), UNARY, kinks=(0.0,)),
    OpInfo("abs_builtin", lambda m, x: abs(x), UNARY[:3], kinks=(0.0,)),
    OpInfo("sin", lambda m, x: m.sin(x), UNARY),
    OpInfo("cos", lambda m, x: x.cos(), UNARY),
    OpInfo("tanh", lambda m, x: m.tanh(x), UNARY),
    OpInfo("sigmoid", lambda m, x: m.sigmoid(x), UNARY),
    OpInfo("sigmoid_large", lambda m, x: (x * 30).sigmoid(), UNARY[:3]),
    OpInfo("relu", lambda m, x: m.relu(x), UNARY, kinks=(0.0,)),
    OpInfo("relu_method", lambda m, x: x.relu(), UNARY[:3], kinks=(0.0,)),
    OpInfo("clamp_min", lambda m, x: x.clamp(min=-0.5), UNARY, kinks=(-0.5,)),
    OpInfo("clamp_max", lambda m, x: x.clamp(max=0.5), UNARY, kinks=(0.5,)),
    OpInfo("clamp_both", lambda m, x: m.clamp(x, -0.5, 0.5), UNARY, kinks=(-0.5, 0.5)),
    OpInfo("clip", lambda m, x: m.clip(x, min=-0.5, max=0.5), UNARY[:3], kinks=(-0.5, 0.5)),
    OpInfo(
        "clamp_tensor_bounds",
        lambda m, x, lo, hi: m.clamp(x, min=lo, max=hi),
        TERNARY,
        distinct=True,
    ),
    OpInfo("maximum", lambda m, x, y: m.maximum(x, y), BINARY, distinct=True),
    OpInfo("minimum", lambda m, x, y: m.minimum(x, y), BINARY, distinct=True),
    OpInfo("maximum_method", lambda m, x, y: x.maximum(y), BINARY[:4], distinct=True),
    OpInfo("max_binary", lambda m, x, y: m.max(x, y), BINARY[:4], distinct=True),
    OpInfo("min_binary", lambda m, x, y: m.min(x, y), BINARY[:4], distinct=True),
    # --- reductions ------------------------------------------------------------------------------
    OpInfo("sum", lambda m, x: x.sum(), UNARY),
    OpInfo("sum_fn", lambda m, x: m.sum(x), UNARY[:3]),
    OpInfo("sum_dim", lambda m, x: x.sum(1), (((2, 3),), ((1, 3, 2),), ((2, 0),))),
    OpInfo("sum_dim_kw", lambda m, x: m.sum(x, dim=0), (((3,),), ((2, 3),), ((0, 2),))),
    OpInfo("sum_negdim", lambda m, x: x.sum(dim=-1), (((),), ((3,),), ((2, 3),), ((2, 0),))),
    OpInfo("sum_dims", lambda m, x: x.sum(dim=(0, 2)), (((2, 3, 2),), ((2, 1, 0),))),
    OpInfo("sum_dims_neg", lambda m, x: x.sum((-1, 0)), (((2, 3),), ((2, 3, 2),))),
    OpInfo("sum_keepdim", lambda m, x: x.sum(1, keepdim=True), (((2, 3),), ((2, 3, 2),))),
    OpInfo(
        "sum_dims_keepdim",
        lambda m, x: x.sum(dim=(0, -1), keepdim=True),
        (((2, 3),), ((2, 3, 2),), ((0, 2),)),
    ),
    OpInfo("mean", lambda m, x: x.mean(), UNARY),
    OpInfo("mean_fn", lambda m, x: m.mean(x), UNARY[:3]),
    OpInfo("mean_dim", lambda m, x: x.mean(0), (((3,),), ((2, 3),), ((1, 3, 2),))),
    OpInfo("mean_negdim", lambda m, x: x.mean(dim=-1), (((),), ((2, 3),), ((2, 0),))),
    OpInfo("mean_dims", lambda m, x: m.mean(x, dim=(0, 2)), (((2, 3, 2),),)),
    OpInfo("mean_keepdim", lambda m, x: x.mean((-1,), keepdim=True), (((2, 3),), ((2, 3, 2),))),
    OpInfo("max", lambda m, x: x.max(), (((),), ((3,),), ((2, 3),), ((1, 3, 1),)), distinct=True),
    OpInfo("min", lambda m, x: m.min(x), (((),), ((3,),), ((2, 3),), ((1, 3, 1),)), distinct=True),
    OpInfo(
        "max_dim",
        lambda m, x: x.max(dim=1).values,
        (((2, 3),), ((3, 2, 2),), ((2, 1),)),
        distinct=True,
    ),
    OpInfo(
        "max_dim_tuple",
        lambda m, x: m.max(x, 0)[0],
        (((3,),), ((2, 3),), ((2, 0),)),
        distinct=True,
    ),
    OpInfo(
        "max_negdim",
        lambda m, x: x.max(-1).values,
        (((),), ((3,),), ((2, 3),)),
        distinct=True,
    ),
    OpInfo(
        "max_dim_keepdim",
        lambda m, x: x.max(dim=-2, keepdim=True).values,
        (((2, 3),), ((3, 2, 2),)),
        distinct=True,
    ),
    OpInfo(
        "min_dim",
        lambda m, x: x.min(dim=0).values,
        (((3,),), ((2, 3),), ((3, 2, 2),)),
        distinct=True,
    ),
    OpInfo(
        "min_dim_keepdim",
        lambda m, x: m.min(x, dim=1, keepdim=True).values,
        (((2, 3),), ((3, 2, 2),)),
        distinct=True,
    ),
    # --- shape -----------------------------------------------------------------------------------
    OpInfo("reshape_flat", lambda m, x: x.reshape(-1), UNARY),
    OpInfo("reshape_rev", lambda m, x: x.reshape(tuple(reversed(x.shape))), UNARY),
    OpInfo("reshape_fn", lambda m, x: m.reshape(x, (1, -1, 1)), UNARY[:4]),
    OpInfo("view", lambda m, x: x.view(-1, 2), (((2, 2),), ((3, 2),), ((1, 2, 2),), ((0, 2),))),
    OpInfo("view_0d", lambda m, x: x.view(1), (((),), ((1, 1),))),
    OpInfo("flatten", lambda m, x: x.flatten(), (((),), ((3,),), ((2, 3),), ((2, 1, 3),))),
    OpInfo("flatten_start", lambda m, x: m.flatten(x, 1), (((2, 3, 2),), ((2, 3),))),
    OpInfo("flatten_range", lambda m, x: x.flatten(0, 1), (((2, 3, 2),), ((2, 0, 2),))),
    OpInfo("transpose", lambda m, x: x.transpose(0, 1), (((2, 3),), ((2, 3, 2),))),
    OpInfo("transpose_neg", lambda m, x: m.transpose(x, -1, 0), (((2, 3),), ((2, 1, 3),))),
    OpInfo("t", lambda m, x: x.t(), (((3,),), ((2, 3),))),
    OpInfo("T", lambda m, x: x.T, (((2, 3),), ((1, 3),), ((0, 2),))),
    OpInfo("mT", lambda m, x: x.mT, (((2, 3),), ((2, 2, 3),))),
    OpInfo("permute", lambda m, x: x.permute(2, 0, 1), (((2, 3, 2),), ((1, 3, 0),))),
    OpInfo("permute_tuple", lambda m, x: m.permute(x, (1, 0)), (((2, 3),),)),
    OpInfo("permute_neg", lambda m, x: x.permute(-1, 0, 1), (((2, 3, 2),),)),
    OpInfo("squeeze", lambda m, x: x.squeeze(), (((1, 3, 1),), ((1,),), ((2, 3),), ((1, 1),))),
    OpInfo("squeeze_dim", lambda m, x: x.squeeze(0), (((1, 3),), ((2, 3),), ((),))),
    OpInfo("squeeze_negdim", lambda m, x: m.squeeze(x, -1), (((3, 1),), ((1,),))),
    OpInfo("squeeze_dims", lambda m, x: x.squeeze((0, 2)), (((1, 3, 1),), ((1, 3, 2),))),
    OpInfo("unsqueeze", lambda m, x: x.unsqueeze(0), (((),), ((3,),), ((2, 3),))),
    OpInfo("unsqueeze_neg", lambda m, x: m.unsqueeze(x, -1), (((),), ((2, 3),), ((0,),))),
    OpInfo("unsqueeze_mid", lambda m, x: x.unsqueeze(1), (((2, 3),),)),
    OpInfo("expand", lambda m, x: x.expand(2, 3), (((3,),), ((1, 3),), ((2, 1),), ((),))),
    OpInfo("expand_keep", lambda m, x: x.expand(2, -1, 3), (((1, 3),), ((2, 1),))),
    OpInfo("expand_lead", lambda m, x: x.expand(2, *x.shape), (((),), ((3,),), ((2, 0),))),
    OpInfo("expand_as", lambda m, x, y: x.expand_as(y), (((3,), (2, 3)),), diff=(True, False)),
    # --- indexing --------------------------------------------------------------------------------
    OpInfo("index_int", lambda m, x: x[1], (((3,),), ((3, 2),))),
    OpInfo("index_negint", lambda m, x: x[-1], (((3,),), ((3, 2),))),
    OpInfo("index_ints", lambda m, x: x[1, 0], (((2, 3),), ((2, 3, 2),))),
    OpInfo("index_0d_tensor", lambda m, x: x[_t(m, 1)], (((3,),), ((3, 2),))),
    OpInfo("index_slice", lambda m, x: x[1:], (((3,),), ((3, 2),))),
    OpInfo("index_slice_step", lambda m, x: x[::2], (((5,),), ((4, 2),))),
    OpInfo("index_slices_steps", lambda m, x: x[1:, ::2], (((3, 4),), ((3, 5, 2),))),
    OpInfo("index_slice_empty", lambda m, x: x[2:2], (((3,),), ((4, 2),))),
    OpInfo("index_none", lambda m, x: x[None], (((),), ((3,),), ((2, 3),))),
    OpInfo("index_none_mid", lambda m, x: x[:, None], (((3,),), ((2, 3),))),
    OpInfo("index_ellipsis", lambda m, x: x[..., 0], (((3,),), ((2, 3),), ((2, 2, 3),))),
    OpInfo("index_ellipsis_none", lambda m, x: x[None, ..., None], (((),), ((2, 3),))),
    OpInfo("index_ellipsis_slice", lambda m, x: x[..., 1:], (((3,),), ((2, 3),))),
    OpInfo("index_mix_basic", lambda m, x: x[None, 1, ::2], (((2, 3),), ((2, 4, 2),))),
    OpInfo("index_mask", lambda m, x: x[_t(m, [True, False, True])], (((3,),), ((3, 2),))),
    OpInfo(
        "index_mask_2d",
        lambda m, x: x[_t(m, [[True, False, True], [False, False, True]])],
        (((2, 3),), ((2, 3, 2),)),
    ),
    OpInfo("index_mask_none", lambda m, x: x[_t(m, [False, False, False])], (((3,),), ((3, 2),))),
    OpInfo("index_mask_dim1", lambda m, x: x[:, _t(m, [True, False, True])], (((2, 3),),)),
    OpInfo("index_mask_slice", lambda m, x: x[_t(m, [True, False, True]), 1:], (((3, 3),),)),
    OpInfo("index_array", lambda m, x: x[_t(m, [2, 0])], (((3,),), ((3, 2),))),
    OpInfo("index_array_repeat", lambda m, x: x[_t(m, [0, 2, 0, 0])], (((3,),), ((3, 2),))),
    OpInfo("index_list_repeat", lambda m, x: x[[1, 1, 0]], (((3,),), ((2, 3),))),
    OpInfo("index_array_neg", lambda m, x: x[_t(m, [-1, 0, -1])], (((3,),),)),
    OpInfo("index_array_2d", lambda m, x: x[_t(m, [[0, 1], [1, 1]])], (((2,),), ((3, 2),))),
    OpInfo("index_array_empty", lambda m, x: x[_t(m, [], dtype=m.int64)], (((3,),), ((3, 2),))),
    OpInfo(
        "index_arrays_paired",
        lambda m, x: x[_t(m, [0, 1, 1, 1]), _t(m, [2, 0, 2, 2])],
        (((2, 3),), ((2, 3, 2),)),
    ),
    OpInfo(
        "index_arrays_broadcast",
        lambda m, x: x[_t(m, [[0], [1]]), _t(m, [1, 1, 2])],
        (((2, 3),),),
    ),
    OpInfo("index_slice_array", lambda m, x: x[1:, _t(m, [0, 0, 2])], (((3, 3),), ((3, 3, 2),))),
    OpInfo("index_ellipsis_array", lambda m, x: x[..., _t(m, [1, 1])], (((3,),), ((2, 3),))),
    OpInfo("index_array_slice_int", lambda m, x: x[_t(m, [0, 0]), :, 1], (((2, 3, 2),),)),
    # torch applies the int first (a select), NumPy would move the array dim to the front
    OpInfo("index_int_slice_array", lambda m, x: x[1, :, _t(m, [0, 0])], (((2, 3, 2),),)),
    OpInfo("index_none_array", lambda m, x: x[None, _t(m, [1, 0, 1])], (((3,),), ((2, 2),))),
    # --- clone, where, casts ---------------------------------------------------------------------
    OpInfo("clone", lambda m, x: x.clone(), UNARY),
    OpInfo("clone_fn", lambda m, x: m.clone(x), UNARY[:3]),
    OpInfo("where", lambda m, x, y: m.where(x > 0, x, y), BINARY, kinks=(0.0,)),
    OpInfo(
        "where_const_cond",
        lambda m, x, y: m.where(_t(m, [True, False, True]), x, y),
        (((3,), (3,)), ((2, 3), ()), ((), (2, 3))),
    ),
    OpInfo("where_scalar", lambda m, x: m.where(x > 0, x, 0.0), UNARY, kinks=(0.0,)),
    OpInfo("where_method", lambda m, x, y: x.where(y < 0, y), BINARY[:4], kinks=(0.0,)),
    OpInfo("to_float64", lambda m, x: x.to(m.float64), UNARY),
    OpInfo("to_dtype_kw", lambda m, x: x.to(dtype=m.float64) * 2, UNARY[:3]),
    OpInfo("double", lambda m, x: x.double(), UNARY[:3]),
    # float64 -> float32 rounds each value: finite differences in float64 would be noise
    OpInfo("to_float32", lambda m, x: x.to(m.float32), UNARY[:3], gradcheck=False),
    OpInfo("float", lambda m, x: x.float(), UNARY[:3], gradcheck=False),
    # --- nn.functional: log_softmax and nll_loss are primitives, cross_entropy composes them ----
    OpInfo("log_softmax", lambda m, x: m.nn.functional.log_softmax(x, -1), (((3, 4),), ((5,),))),
    OpInfo("log_softmax_dim0", lambda m, x: m.nn.functional.log_softmax(x, 0), (((3, 4),),)),
    OpInfo("softmax", lambda m, x: m.nn.functional.softmax(x, 1), (((2, 5),), ((1, 3),))),
    OpInfo(
        "cross_entropy",
        lambda m, x: m.nn.functional.cross_entropy(x, m.tensor([2, 0, 3])),
        (((3, 4),),),
    ),
    OpInfo(
        "cross_entropy_sum",
        lambda m, x: m.nn.functional.cross_entropy(x, m.tensor([1, 1]), reduction="sum"),
        (((2, 3),),),
    ),
    OpInfo(
        "nll_loss_none",
        lambda m, x: m.nn.functional.nll_loss(x, m.tensor([0, 2, 2]), reduction="none"),
        (((3, 3),),),
    ),
    # --- small composites: several primitives and a shared input ---------------------------------
    OpInfo(
        "composite_mlp",
        lambda m, x, w: m.tanh(x @ w).sigmoid().sum(-1) * x[:, 0],
        (((2, 3), (3, 2)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "composite_diamond",
        lambda m, x: (x.exp() + x.sin()) * (x - x.mean()),
        UNARY[:3],
    ),
]

OPS_BY_NAME: dict[str, OpInfo] = {op.name: op for op in OPS}
assert len(OPS_BY_NAME) == len(OPS), "duplicate OpInfo names"


def shape_id(shapes: tuple[Shape, ...]) -> str:
    """`(2, 3), ()` as `2x3,0d` for test ids."""
    return ",".join("x".join(map(str, s)) if s else "0d" for s in shapes)


def samples(ops: list[OpInfo] | None = None) -> list[tuple[OpInfo, int, tuple[Shape, ...]]]:
    """(op, sample index, shapes) for every sample of every op."""
    return [(op, i, s) for op in (ops or OPS) for i, s in enumerate(op.samples)]
