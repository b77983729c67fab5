"""Op database records for reductions, scans and order statistics (statistics.py, scan.py,
sorting.py). Order statistics and amax/amin take `distinct=True` samples, so that finite
differences never straddle a tie; ties themselves are tested in test_reduce.py."""

from __future__ import annotations

from typing import Any

from opinfo import LOOSE_TOL, UNARY, OpInfo

Samples = tuple


def _plus(pair: Any) -> Any:
    """Both outputs of var_mean / std_mean in one tensor (each gets its own gradient)."""
    return pair[0] * 1.5 + pair[1]


MAT: Samples = (((2, 3),), ((1, 3, 2),), ((2, 0),))  # dim 1 exists; one empty
VEC_MAT: Samples = (((3,),), ((2, 3),), ((3, 1),), ((0, 2),))  # dim 0 exists
ZERO_D: Samples = (((),),)
NONEMPTY: Samples = (((),), ((3,),), ((2, 3),), ((1, 3, 1),))
THREE: Samples = (((2, 3, 2),), ((1, 2, 3),))

OPS: list[OpInfo] = [
    # --- prod ------------------------------------------------------------------------------------
    OpInfo("prod", lambda m, x: x.prod(), UNARY),
    OpInfo("prod_fn", lambda m, x: m.prod(x), UNARY[:3]),
    OpInfo("prod_dim", lambda m, x: x.prod(1), MAT),
    OpInfo("prod_negdim_keepdim", lambda m, x: m.prod(x, -1, keepdim=True), VEC_MAT + ZERO_D),
    OpInfo("prod_0d_dim", lambda m, x: x.prod(0), ZERO_D),
    OpInfo("prod_dtype", lambda m, x: m.prod(x, dtype=m.float64), UNARY[:3]),
    OpInfo("prod_dim_dtype", lambda m, x: x.prod(0, dtype=m.float64), VEC_MAT[:2]),
    # --- var, std, var_mean, std_mean ------------------------------------------------------------
    OpInfo("var", lambda m, x: x.var(), UNARY[1:]),
    OpInfo("var_fn", lambda m, x: m.var(x), UNARY[1:3]),
    OpInfo("var_biased", lambda m, x: x.var(unbiased=False), NONEMPTY),
    OpInfo("var_biased_positional", lambda m, x: m.var(x, False), NONEMPTY[1:3]),
    OpInfo("var_dim", lambda m, x: x.var(1), MAT),
    OpInfo("var_dim_positional", lambda m, x: m.var(x, 0, False, True), VEC_MAT[:3]),
    OpInfo("var_dims_keepdim", lambda m, x: x.var((0, -1), keepdim=True), THREE),
    OpInfo("var_dim_list_all", lambda m, x: x.var([0, 1]), (((2, 3),),)),
    OpInfo("var_correction0", lambda m, x: x.var(dim=-1, correction=0), MAT + ZERO_D),
    OpInfo("var_correction2", lambda m, x: m.var(x, 1, correction=2), (((2, 4),), ((1, 3, 2),))),
    OpInfo("var_correction_half", lambda m, x: x.var(correction=0.5), UNARY[1:3]),
    OpInfo("std", lambda m, x: x.std(), UNARY[1:4]),
    OpInfo("std_fn", lambda m, x: m.std(x, dim=0), VEC_MAT[:3]),
    OpInfo("std_biased", lambda m, x: x.std(unbiased=False), NONEMPTY[1:]),
    OpInfo("std_dims_keepdim", lambda m, x: m.std(x, (0, 2), keepdim=True), THREE),
    OpInfo("std_correction0", lambda m, x: x.std(1, correction=0), MAT),
    OpInfo("var_mean", lambda m, x: _plus(m.var_mean(x)), UNARY[1:4]),
    OpInfo("var_mean_dim", lambda m, x: _plus(m.var_mean(x, 1, keepdim=True)), MAT),
    OpInfo("var_mean_only_var", lambda m, x: m.var_mean(x, 0)[0], VEC_MAT[:3]),
    OpInfo("var_mean_only_mean", lambda m, x: m.var_mean(x, 0, False)[1], VEC_MAT[:3]),
    OpInfo("std_mean", lambda m, x: _plus(m.std_mean(x)), UNARY[1:4]),
    OpInfo("std_mean_dim", lambda m, x: _plus(m.std_mean(x, dim=1, correction=0)), MAT),
    OpInfo("std_mean_only_std", lambda m, x: m.std_mean(x, -1)[0], MAT[:2]),
    OpInfo("std_mean_only_mean", lambda m, x: m.std_mean(x, -1)[1], MAT[:2]),
    # --- logsumexp -------------------------------------------------------------------------------
    OpInfo("logsumexp", lambda m, x: x.logsumexp(1), MAT),
    OpInfo("logsumexp_fn", lambda m, x: m.logsumexp(x, dim=0), VEC_MAT),
    OpInfo("logsumexp_dims", lambda m, x: m.logsumexp(x, (0, 2)), THREE),
    OpInfo("logsumexp_keepdim", lambda m, x: x.logsumexp(-1, keepdim=True), VEC_MAT + ZERO_D),
    OpInfo("logsumexp_0d", lambda m, x: x.logsumexp(0), ZERO_D),
    # --- amax, amin ------------------------------------------------------------------------------
    OpInfo("amax", lambda m, x: x.amax(), NONEMPTY, distinct=True),
    OpInfo("amax_dim", lambda m, x: x.amax(1), MAT[:2] + (((0, 3),),), distinct=True),
    OpInfo("amax_dims_keepdim", lambda m, x: m.amax(x, (0, 2), True), THREE, distinct=True),
    OpInfo("amax_empty_dims", lambda m, x: m.amax(x, ()), NONEMPTY[1:3], distinct=True),
    OpInfo("amin", lambda m, x: m.amin(x), NONEMPTY, distinct=True),
    OpInfo("amin_dim", lambda m, x: x.amin(dim=-1, keepdim=True), VEC_MAT, distinct=True),
    OpInfo("amin_dims", lambda m, x: x.amin((1, 0)), THREE, distinct=True),
    # --- sort, msort, topk, kthvalue, median -----------------------------------------------------
    OpInfo("sort", lambda m, x: x.sort().values, UNARY, distinct=True),
    OpInfo("sort_fn_dim", lambda m, x: m.sort(x, 0)[0], VEC_MAT, distinct=True),
    OpInfo("sort_descending", lambda m, x: x.sort(1, True).values, MAT, distinct=True),
    OpInfo(
        "sort_stable",
        lambda m, x: m.sort(x, stable=True, dim=-1, descending=True).values,
        UNARY,
        distinct=True,
    ),
    OpInfo("sort_long_rows", lambda m, x: x.sort().values, (((2, 40),),), distinct=True),
    OpInfo("msort", lambda m, x: m.msort(x), VEC_MAT + ZERO_D, distinct=True),
    OpInfo(
        "topk", lambda m, x: x.topk(2).values, (((3,),), ((2, 3),), ((1, 4, 2),)), distinct=True
    ),
    OpInfo(
        "topk_smallest_dim",
        lambda m, x: m.topk(x, 1, dim=0, largest=False).values,
        VEC_MAT[:3],
        distinct=True,
    ),
    OpInfo(
        "topk_unsorted",
        lambda m, x: x.topk(3, sorted=False).values,
        (((5,),), ((2, 7),), ((2, 30),)),
        distinct=True,
    ),
    OpInfo("topk_partial_sort", lambda m, x: x.topk(1).values, (((2, 70),),), distinct=True),
    OpInfo("topk_k0", lambda m, x: x.topk(0).values, (((2, 3),), ((2, 0),)), distinct=True),
    OpInfo("topk_0d", lambda m, x: x.topk(1).values, ZERO_D, distinct=True),
    OpInfo("kthvalue", lambda m, x: x.kthvalue(2).values, (((3,),), ((2, 3),)), distinct=True),
    OpInfo(
        "kthvalue_dim_keepdim",
        lambda m, x: m.kthvalue(x, 1, 0, True).values,
        VEC_MAT[:3] + ZERO_D,
        distinct=True,
    ),
    OpInfo("kthvalue_long_rows", lambda m, x: x.kthvalue(17).values, (((3, 40),),), distinct=True),
    OpInfo("median", lambda m, x: x.median(), NONEMPTY + (((4,),),), distinct=True),
    OpInfo("median_fn", lambda m, x: m.median(x), UNARY[:3], distinct=True),
    OpInfo("median_dim", lambda m, x: x.median(1).values, MAT[:2], distinct=True),
    OpInfo(
        "median_dim_keepdim",
        lambda m, x: m.median(x, dim=0, keepdim=True).values,
        VEC_MAT[:3] + ZERO_D + (((4, 2),),),
        distinct=True,
    ),
    # --- cumsum, cumprod, cummax, cummin ---------------------------------------------------------
    OpInfo("cumsum", lambda m, x: x.cumsum(0), VEC_MAT + ZERO_D),
    OpInfo("cumsum_fn", lambda m, x: m.cumsum(x, dim=-1), UNARY),
    OpInfo("cumsum_dtype", lambda m, x: m.cumsum(x, 1, dtype=m.float64), MAT[:2]),
    OpInfo("cumprod", lambda m, x: x.cumprod(1), MAT, tol=LOOSE_TOL),
    OpInfo("cumprod_fn", lambda m, x: m.cumprod(x, dim=0), VEC_MAT + ZERO_D, tol=LOOSE_TOL),
    OpInfo("cumprod_long", lambda m, x: x.cumprod(-1), (((2, 9),),), domain=("nonzero",)),
    OpInfo("cummax", lambda m, x: x.cummax(1).values, MAT, distinct=True),
    OpInfo("cummax_0d", lambda m, x: m.cummax(x, 0)[0], ZERO_D + (((0,),),), distinct=True),
    OpInfo("cummin", lambda m, x: m.cummin(x, dim=0).values, VEC_MAT, distinct=True),
]
