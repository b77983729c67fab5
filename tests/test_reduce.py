"""Family tests for ops/statistics.py, ops/sorting.py and ops/scan.py, beyond the generic OpInfo
tests: gradients at zeros (prod, cumprod), which of several equal elements an op picks (sort,
topk, kthvalue, median, cummax) and how ties share a gradient (amax, median()), stability
(logsumexp), degrees of freedom <= 0 (var, std), integer and bool inputs, random shapes and
dims, result types, grad_fn names, and errors.

Every expectation is torch's, live: tests taking `lib` run on both libraries, tests taking
`torch` compare numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import chainrule

try:
    import torch as torch_lib
except ImportError:  # the comparisons skip
    torch_lib = None

needs_torch = pytest.mark.skipif(torch_lib is None, reason="torch is not installed")
NAN, INF = float("nan"), float("inf")


def dtype_name(t: Any) -> str:
    return str(t.dtype).replace("torch.", "").replace("chainrule.", "")


def to_np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def assert_same(ours: Any, theirs: Any, rtol: float = 1e-6, atol: float = 0.0) -> None:
    """Same dtype, shape and values (NaN and infinities where torch has them)."""
    assert dtype_name(ours) == dtype_name(theirs), (dtype_name(ours), dtype_name(theirs))
    assert tuple(ours.shape) == tuple(theirs.shape)
    a, b = to_np(ours), to_np(theirs)
    if a.dtype.kind in "biu":
        np.testing.assert_array_equal(a, b)
    else:
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)


def outputs(result: Any) -> list:
    return list(result) if isinstance(result, tuple) else [result]


def run(m: Any, fn: Callable, values: Any, dtype: str, seed: int = 0) -> tuple[list, Any]:
    """fn's outputs and the input's .grad after backward with a random upstream gradient on
    every float output (the same numbers in both libraries)."""
    x = m.tensor(np.asarray(values, dtype=dtype), requires_grad=dtype.startswith("float"))
    outs = outputs(fn(m, x))
    rng = np.random.default_rng(seed)
    diff = [o for o in outs if o.requires_grad]
    if diff:
        seeds = [m.tensor(rng.standard_normal(tuple(o.shape)).astype(dtype)) for o in diff]
        m.autograd.backward(diff, seeds)
    return outs, x.grad


def compare(
    torch: Any,
    fn: Callable,
    values: Any,
    dtype: str = "float64",
    rtol: float = 1e-6,
    atol: float = 1e-12,
    seed: int = 0,
) -> None:
    """Outputs (values, indices, dtypes) and gradients of fn, chainrule against torch."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn alike where degrees of freedom are <= 0
        try:
            theirs, theirs_grad = run(torch, fn, values, dtype, seed)
        except Exception as e:  # then chainrule refuses it too, with the same exception type
            with pytest.raises(type(e)):
                run(chainrule, fn, values, dtype, seed)
            return
        ours, ours_grad = run(chainrule, fn, values, dtype, seed)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_same(a, b, rtol, atol)
        assert a.requires_grad == b.requires_grad
    assert (ours_grad is None) == (theirs_grad is None)
    if theirs_grad is not None:
        assert_same(ours_grad, theirs_grad, rtol, atol)


def second_order(m: Any, fn: Callable, values: Any) -> tuple[list, list]:
    """First derivatives (create_graph) along a fixed v, then the gradient of their sum."""
    x = m.tensor(np.asarray(values, dtype="float64"), requires_grad=True)
    out = fn(m, x)
    v = m.tensor(np.random.default_rng(3).standard_normal(tuple(out.shape)))
    (first,) = m.autograd.grad(out, x, grad_outputs=v, create_graph=True)
    (second,) = m.autograd.grad((first * first).sum(), x, allow_unused=True)
    return to_np(first), (np.zeros(tuple(x.shape)) if second is None else to_np(second))


def compare_second_order(torch: Any, fn: Callable, values: Any) -> None:
    ours, theirs = second_order(chainrule, fn, values), second_order(torch, fn, values)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-10, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-10, atol=1e-12, equal_nan=True)


# --- prod and cumprod at zeros ------------------------------------------------------------------

PROD_ZEROS = [
    pytest.param([2.0, 0.0, 3.0, -1.5], id="one_zero"),
    pytest.param([[2.0, 0.0], [0.0, 4.0], [1.5, 2.0]], id="two_zeros"),
    pytest.param([0.0, 0.0, 0.0], id="all_zeros"),
    pytest.param([[0.0, 0.0, 3.0], [2.0, 0.5, 4.0]], id="zeros_in_one_row"),
    pytest.param([[0.0, 5.0, 3.0], [2.0, 0.0, 0.0]], id="zeros_in_each_row"),
    pytest.param([[0.0, INF, 3.0], [NAN, 0.0, 2.0]], id="zero_with_inf_nan"),
    pytest.param([0.0, 0.0, INF], id="zeros_with_inf"),
    pytest.param([[2.0, INF, 0.5]], id="inf_no_zero"),
    pytest.param([0.0], id="single_zero"),
    pytest.param(0.0, id="0d_zero"),
]


@pytest.mark.parametrize("values", PROD_ZEROS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda m, x: x.prod(), id="prod"),
        pytest.param(lambda m, x: m.prod(x, -1), id="prod_dim"),
        pytest.param(lambda m, x: x.prod(0, keepdim=True), id="prod_dim0_keepdim"),
        pytest.param(lambda m, x: x.cumprod(-1), id="cumprod"),
        pytest.param(lambda m, x: m.cumprod(x, 0), id="cumprod_dim0"),
    ],
)
def test_prod_and_cumprod_gradients_at_zeros(torch, fn, values, dtype):
    compare(torch, fn, values, dtype, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", range(6))
def test_cumprod_gradient_with_random_zeros(torch, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, 9))
    x[rng.random(x.shape) < 0.25] = 0.0
    compare(torch, lambda m, t: m.cumprod(t, 0), x, seed=seed)
    compare(torch, lambda m, t: m.cumprod(t, 1), x, seed=seed)


@pytest.mark.parametrize(
    "values",
    [
        pytest.param([2.0, 0.0, 3.0, -1.5], id="one_zero"),
        pytest.param([0.0, 1.5, 0.0, 2.0], id="two_zeros"),
        pytest.param([[1.5, -2.0, 0.5], [0.0, 3.0, 2.0]], id="matrix"),
    ],
)
@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda m, x: x.prod().reshape(1), id="prod"),
        pytest.param(lambda m, x: x.prod(-1), id="prod_dim"),
        pytest.param(lambda m, x: x.cumprod(-1), id="cumprod"),
        pytest.param(lambda m, x: x.cumprod(0), id="cumprod_dim0"),
    ],
)
def test_prod_and_cumprod_second_derivatives_at_zeros(torch, fn, values):
    compare_second_order(torch, fn, values)


# --- ties --------------------------------------------------------------------------------------


def tie_heavy(seed: int, shape: tuple, levels: int = 3, nan: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, shape).astype(np.float64)
    x[rng.random(shape) < nan] = np.nan
    return x


@pytest.mark.parametrize(
    "values",
    [
        pytest.param([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], id="rows"),
        pytest.param([[3.0, 1.0], [3.0, 3.0]], id="across_rows"),
        pytest.param([[1.0, NAN, 3.0], [NAN, 2.0, NAN]], id="nan"),
        pytest.param([[1.0, INF, INF, -INF]], id="inf"),
        pytest.param(5.0, id="0d"),
    ],
)
@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda m, x: x.amax(), id="amax"),
        pytest.param(lambda m, x: x.amin(), id="amin"),
        pytest.param(lambda m, x: m.amax(x, -1), id="amax_dim"),
        pytest.param(lambda m, x: m.amin(x, 0, keepdim=True), id="amin_dim0"),
        pytest.param(lambda m, x: x.median(), id="median"),
    ],
)
def test_ties_share_the_gradient_evenly(torch, fn, values):
    compare(torch, fn, values)


SHAPES_WITH_TIES = [(5,), (16,), (17,), (40,), (3, 33), (4, 2, 70), (300,)]


@pytest.mark.parametrize("shape", SHAPES_WITH_TIES, ids=str)
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda m, x: x.sort(), id="sort"),
        pytest.param(lambda m, x: x.sort(descending=True), id="sort_descending"),
        pytest.param(lambda m, x: m.sort(x, dim=0, stable=True), id="sort_stable_dim0"),
        pytest.param(lambda m, x: x.sort(stable=True, descending=True), id="sort_stable_desc"),
        pytest.param(lambda m, x: x.argsort(), id="argsort"),
        pytest.param(
            lambda m, x: m.argsort(x, dim=0, descending=True, stable=True), id="argsort_stable_desc"
        ),
        pytest.param(lambda m, x: x.argsort(0, True), id="argsort_desc_positional"),
        pytest.param(lambda m, x: m.msort(x), id="msort"),
        pytest.param(lambda m, x: x.topk(1), id="topk_1"),
        pytest.param(lambda m, x: x.topk(3, largest=False), id="topk_smallest"),
        pytest.param(lambda m, x: x.topk(x.shape[-1] // 2 + 1), id="topk_half"),
        pytest.param(lambda m, x: x.topk(4, 0, sorted=False), id="topk_unsorted"),
        pytest.param(lambda m, x: x.topk(x.shape[-1], sorted=False), id="topk_all_unsorted"),
        pytest.param(lambda m, x: x.kthvalue(2), id="kthvalue_2"),
        pytest.param(lambda m, x: x.kthvalue(x.shape[-1] // 2 + 1, 0), id="kthvalue_mid"),
        pytest.param(lambda m, x: x.median(-1), id="median_dim"),
        pytest.param(lambda m, x: x.median(0, keepdim=True), id="median_dim0"),
        pytest.param(lambda m, x: x.cummax(-1), id="cummax"),
        pytest.param(lambda m, x: x.cummin(0), id="cummin"),
        pytest.param(lambda m, x: x.argmax(-1), id="argmax"),
        pytest.param(lambda m, x: x.argmin(), id="argmin"),
    ],
)
def test_tie_order_and_gradient_follow_torch(torch, fn, shape, seed):
    # the values repeat heavily (3 levels): every index choice among equals is checked, and the
    # gradient must reach exactly the returned indices
    compare(torch, fn, tie_heavy(seed, shape), seed=seed)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda m, x: x.sort(), id="sort"),
        pytest.param(lambda m, x: x.sort(descending=True), id="sort_descending"),
        pytest.param(lambda m, x: x.sort(stable=True), id="sort_stable"),
        pytest.param(lambda m, x: x.topk(5), id="topk"),
        pytest.param(lambda m, x: x.topk(5, largest=False, sorted=False), id="topk_smallest"),
        pytest.param(lambda m, x: x.kthvalue(7), id="kthvalue"),
        pytest.param(lambda m, x: x.median(1), id="median_dim"),
        pytest.param(lambda m, x: x.median(), id="median"),
        pytest.param(lambda m, x: x.cummax(1), id="cummax"),
        pytest.param(lambda m, x: x.cummin(1), id="cummin"),
        pytest.param(lambda m, x: x.argmax(1), id="argmax"),
        pytest.param(lambda m, x: x.argmin(1), id="argmin"),
        pytest.param(lambda m, x: x.amax(1), id="amax"),
    ],
)
def test_nan_order_follows_torch(torch, fn, seed):
    # NaN counts as the largest value; median and cummax return the (first / last) NaN
    compare(torch, fn, tie_heavy(seed, (4, 25), levels=4, nan=0.15), seed=seed)


@pytest.mark.parametrize(
    ("fn", "values"),
    [
        pytest.param(lambda m, x: x.median(0), [2.0, 2.0, 2.0], id="median_middle_of_equals"),
        pytest.param(
            lambda m, x: x.kthvalue(2),
            [1.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 1.0],
            id="kthvalue_quickselect",
        ),
        pytest.param(lambda m, x: x.topk(1), [1.0, 0.0, 0.0, 1.0], id="topk_nth_element"),
        pytest.param(lambda m, x: x.topk(1), [1.0, 0.0, 1.0] + [0.0] * 61, id="topk_partial_sort"),
        pytest.param(lambda m, x: x.sort(), [1.0, 0.0] * 9, id="sort_introsort"),
    ],
)
def test_tie_choice_is_not_simply_the_first(torch, fn, values):
    # the index torch picks among equal values is its algorithm's, which these replay
    compare(torch, fn, values)


def test_long_integer_sort_is_stable_like_torchs_radix_sort(torch):
    x = np.random.default_rng(0).integers(0, 4, 33000)
    for m in (chainrule, torch):
        assert np.array_equal(to_np(m.tensor(x).sort().indices), np.argsort(x, kind="stable"))
    short = np.random.default_rng(0).integers(0, 4, 500)  # std::sort: not stable
    compare(torch, lambda m, t: t.sort(), short, dtype="int64")


def test_sort_leaves_an_expanded_dim_in_order(torch):
    # torch skips sorting along a stride-0 dim: its indices are 0..n-1, not introsort's
    for dim in (1, 0):
        ours = chainrule.tensor([[1.0], [2.0]]).expand(2, 20).sort(dim)
        theirs = torch.tensor([[1.0], [2.0]]).expand(2, 20).sort(dim)
        assert_same(ours.indices, theirs.indices)
        assert_same(ours.values, theirs.values)
    compare(torch, lambda m, x: x.expand(2, 20).sort(descending=True), [[1.0], [2.0]])


def test_signed_zeros_tie(torch):
    compare(torch, lambda m, x: x.sort(), [0.0, -0.0, 0.0, -0.0] * 5)
    compare(torch, lambda m, x: x.cummax(0), [0.0, -0.0, 0.0, -0.0])


# --- logsumexp ---------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "values",
    [
        pytest.param([[1e4, 1e4 + 1.0, -1e4]], id="large"),
        pytest.param([[-1e4, -1e4 - 2.0, -1e4]], id="very_negative"),
        pytest.param([[-INF, -INF], [1.0, -INF]], id="minus_inf"),
        pytest.param([[INF, 1.0], [INF, INF]], id="plus_inf"),
        pytest.param([[NAN, 1.0]], id="nan"),
        pytest.param([[1e30, 1e30]], id="huge"),
    ],
)
def test_logsumexp_is_stable_at_extremes(torch, values, dtype):
    compare(torch, lambda m, x: m.logsumexp(x, 1), values, dtype, rtol=1e-6)
    compare(torch, lambda m, x: x.logsumexp((0, 1), keepdim=True), values, dtype, rtol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsumexp_at_1e4_is_finite(lib, dtype):
    x = lib.tensor([1e4, 1e4], dtype=getattr(lib, dtype), requires_grad=True)
    out = lib.logsumexp(x, 0)
    out.backward()
    assert abs(out.item() - (1e4 + np.log(2))) < 1e-2
    # in float32 the output rounds to 1e4 + 0.69336, so exp(x - out) is 0.49989, not 0.5
    rtol = 1e-3 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(to_np(x.grad), [0.5, 0.5], rtol=rtol)


# --- var and std: degrees of freedom <= 0, zero spread ------------------------------------------

VAR_EDGES = [
    pytest.param(lambda m, x: x.var(), [1.5], id="one_element"),
    pytest.param(lambda m, x: x.var(), 2.0, id="0d"),
    pytest.param(lambda m, x: x.var(correction=0), 2.0, id="0d_correction0"),
    pytest.param(lambda m, x: x.var(0), 2.0, id="0d_dim"),
    pytest.param(lambda m, x: x.var(correction=2), [1.0, 2.0], id="correction_n"),
    pytest.param(lambda m, x: x.var(correction=2), [1.0, 1.0], id="correction_n_equal"),
    pytest.param(lambda m, x: x.var(correction=5), [1.0, 2.0, 4.0], id="correction_above_n"),
    pytest.param(lambda m, x: x.var(1, correction=2), [[1.0, 2.0]], id="dim_correction_n"),
    pytest.param(lambda m, x: x.var(1, correction=3), [[1.0, 2.0]], id="dim_correction_above"),
    pytest.param(lambda m, x: x.var(1), [[1.0], [2.0]], id="dim_one_element"),
    pytest.param(lambda m, x: x.var([]), [[1.0, 2.0], [4.0, 0.5]], id="empty_dim_list"),
    pytest.param(lambda m, x: x.var(), [], id="empty"),
    pytest.param(lambda m, x: x.var(1), np.zeros((2, 0)), id="empty_dim"),
    pytest.param(lambda m, x: x.var(correction=0.5), [1.0, 2.0, 4.0], id="float_correction"),
    pytest.param(lambda m, x: x.std(), [1.0, 1.0, 1.0], id="std_zero_spread"),
    pytest.param(lambda m, x: x.std(1), [[1.0, 1.0], [1.0, 2.0]], id="std_zero_spread_dim"),
    pytest.param(lambda m, x: x.std(), [1.5], id="std_one_element"),
    pytest.param(lambda m, x: x.std(1), [[1.5]], id="std_one_element_dim"),
    pytest.param(lambda m, x: x.std(correction=2), [1.0, 2.0], id="std_correction_n"),
    pytest.param(lambda m, x: x.std(), [], id="std_empty"),
    pytest.param(lambda m, x: m.var_mean(x), [1.5], id="var_mean_one_element"),
    pytest.param(lambda m, x: m.var_mean(x)[1], [1.5], id="var_mean_only_mean"),
    pytest.param(lambda m, x: m.std_mean(x, 0), [2.0, 2.0], id="std_mean_zero_spread"),
    pytest.param(lambda m, x: m.std_mean(x, correction=3)[1], [1.0, 2.0], id="std_mean_mean"),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("fn", "values"), VAR_EDGES)
def test_var_std_edge_cases(torch, fn, values, dtype):
    compare(torch, fn, values, dtype)


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda m, x: x.var(), id="var"),
        pytest.param(lambda m, x: x.std(1), id="std_dim"),
        pytest.param(lambda m, x: m.var_mean(x, correction=4), id="var_mean"),
        pytest.param(lambda m, x: m.std_mean(x, unbiased=True), id="std_mean"),
    ],
)
def test_var_warns_when_degrees_of_freedom_are_not_positive(lib, fn):
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        fn(lib, lib.ones(1, 1))
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        lib.zeros(0, 2).var(1)  # no elements per output: torch counts the factor as 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lib.ones(3).var(), lib.ones(2, 3).std(1), lib.ones(2).var(correction=0.5)


@pytest.mark.parametrize(
    "fn",
    [
        pytest.param(lambda m, x: x.var(1), id="var"),
        pytest.param(lambda m, x: x.std(), id="std"),
        pytest.param(lambda m, x: m.std_mean(x, 0)[0], id="std_mean"),
        pytest.param(lambda m, x: m.var_mean(x, 1, correction=0)[0], id="var_mean"),
        pytest.param(lambda m, x: m.logsumexp(x, 1), id="logsumexp"),
    ],
)
def test_second_derivatives_of_spread(torch, fn):
    compare_second_order(torch, fn, [[1.0, -2.0, 0.5], [3.0, 0.25, 1.5]])


# --- integer and bool inputs -------------------------------------------------------------------

INT_CASES = [
    pytest.param(lambda m: m.tensor([[1, 2], [3, 4]], dtype=m.int32).sum(), id="sum_int32"),
    pytest.param(lambda m: m.tensor([[1, 2], [3, 4]], dtype=m.int32).prod(), id="prod_int32"),
    pytest.param(lambda m: m.tensor([[1, 2], [3, 4]], dtype=m.int8).prod(1), id="prod_dim_int8"),
    pytest.param(lambda m: m.tensor([True, False]).prod(), id="prod_bool"),
    pytest.param(lambda m: m.tensor([2, 3], dtype=m.uint8).prod(), id="prod_uint8"),
    pytest.param(lambda m: m.tensor([2, 3]).prod(dtype=m.float64), id="prod_int_to_float64"),
    pytest.param(lambda m: m.tensor(3, dtype=m.int16).prod(0), id="prod_0d_int16"),
    pytest.param(lambda m: m.tensor([1, 2, 3], dtype=m.int32).cumsum(0), id="cumsum_int32"),
    pytest.param(lambda m: m.tensor([True, True]).cumsum(0), id="cumsum_bool"),
    pytest.param(lambda m: m.tensor([True, True]).cumsum(0, dtype=m.float32), id="cumsum_dtype"),
    pytest.param(lambda m: m.tensor([2, 3], dtype=m.int8).cumprod(0), id="cumprod_int8"),
    pytest.param(lambda m: m.tensor([1, 3, 2]).cummax(0), id="cummax_int"),
    pytest.param(lambda m: m.tensor([False, True, False]).cummin(0), id="cummin_bool"),
    pytest.param(lambda m: m.tensor([[1, 5], [3, 4]], dtype=m.int32).amax(0), id="amax_int32"),
    pytest.param(lambda m: m.tensor([True, False]).amin(), id="amin_bool"),
    pytest.param(lambda m: m.logsumexp(m.tensor([[1, 2]]), 1), id="logsumexp_int"),
    pytest.param(lambda m: m.logsumexp(m.tensor([True, False]), 0), id="logsumexp_bool"),
    pytest.param(lambda m: m.tensor([3, 1, 2, 2]).median(), id="median_int"),
    pytest.param(lambda m: m.tensor([[3, 1, 2, 2]]).median(1), id="median_dim_int"),
    pytest.param(lambda m: m.tensor([3, 1, 2], dtype=m.int16).sort(), id="sort_int16"),
    pytest.param(lambda m: m.tensor([True, False, True]).sort(), id="sort_bool"),
    pytest.param(lambda m: m.tensor([3, 1, 2]).topk(2), id="topk_int"),
    pytest.param(lambda m: m.tensor([3, 1, 2]).kthvalue(2), id="kthvalue_int"),
    pytest.param(lambda m: m.tensor([[3, 1, 3]]).argmax(1), id="argmax_int"),
    pytest.param(lambda m: m.tensor([[1, 0], [2, 3]]).all(1), id="all_int"),
    pytest.param(lambda m: m.tensor([[1, 0], [2, 3]], dtype=m.uint8).all(), id="all_uint8"),
    pytest.param(lambda m: m.tensor([[1, 0], [0, 0]], dtype=m.uint8).any(0), id="any_uint8"),
    pytest.param(lambda m: m.tensor([[1.5, NAN], [0.0, 0.0]]).any(1, keepdim=True), id="any_nan"),
    pytest.param(lambda m: m.tensor([[1.5, 0.0]]).all(()), id="all_empty_dims"),
    pytest.param(lambda m: m.tensor([[1.5, 0.0]]).all([0, 1]), id="all_dim_list"),
    pytest.param(lambda m: m.zeros(0).all(), id="all_empty"),
    pytest.param(lambda m: m.zeros(0).any(), id="any_empty"),
    pytest.param(lambda m: m.tensor(2.0).all(0), id="all_0d"),
    pytest.param(lambda m: m.tensor([[1, 0], [2, 3]]).count_nonzero(), id="count_nonzero"),
    pytest.param(lambda m: m.count_nonzero(m.tensor([[1.0, 0.0]]), (0, 1)), id="cnz_dims"),
    pytest.param(lambda m: m.count_nonzero(m.tensor([[1.0, 0.0]]), ()), id="cnz_empty_dims"),
    pytest.param(lambda m: m.tensor([[True, False]]).count_nonzero(dim=0), id="cnz_bool"),
]


@pytest.mark.parametrize("expr", INT_CASES)
def test_integer_and_bool_inputs(torch, expr):
    ours, theirs = outputs(expr(chainrule)), outputs(expr(torch))
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert_same(a, b)
        assert not b.requires_grad and not a.requires_grad


# --- hypothesis: random shapes and dims -------------------------------------------------------

REDUCTIONS = {
    "prod": lambda m, x, dim, kd: x.prod(dim, keepdim=kd),
    "var": lambda m, x, dim, kd: x.var(dim, keepdim=kd),
    "std": lambda m, x, dim, kd: x.std(dim, correction=0, keepdim=kd),
    "var_mean": lambda m, x, dim, kd: m.var_mean(x, dim, keepdim=kd),
    "logsumexp": lambda m, x, dim, kd: m.logsumexp(x, dim, kd),
    "amax": lambda m, x, dim, kd: x.amax(dim, kd),
    "amin": lambda m, x, dim, kd: x.amin(dim, kd),
    "cumsum": lambda m, x, dim, kd: x.cumsum(dim),
    "cumprod": lambda m, x, dim, kd: x.cumprod(dim),
    "cummax": lambda m, x, dim, kd: x.cummax(dim),
    "sort": lambda m, x, dim, kd: x.sort(dim, descending=kd),
    "argsort": lambda m, x, dim, kd: x.argsort(dim, stable=kd),
    "topk": lambda m, x, dim, kd: x.topk(min(2, x.shape[dim] if x.dim() else 1), dim, kd),
    "kthvalue": lambda m, x, dim, kd: x.kthvalue(1, dim, kd),
    "median": lambda m, x, dim, kd: x.median(dim, kd),
    "argmax": lambda m, x, dim, kd: x.argmax(dim, kd),
    "all": lambda m, x, dim, kd: x.all(dim, kd),
    "count_nonzero": lambda m, x, dim, kd: m.count_nonzero(x, dim),
}
ONE_DIM = {"prod", "cumsum", "cumprod", "cummax", "sort", "argsort", "topk", "kthvalue",
           "median", "argmax"}  # fmt: skip


@st.composite
def reduction_cases(draw: Any) -> tuple[str, Any, bool, tuple, bool]:
    name = draw(st.sampled_from(sorted(REDUCTIONS)))
    shape = draw(array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
    n = max(len(shape), 1)
    one = st.integers(-n, n - 1)
    if name in ONE_DIM:
        dim = draw(one)
    else:
        dims = st.lists(one, min_size=1, max_size=n, unique_by=lambda d: d % n).map(tuple)
        dim = draw(one | dims)
    return name, dim, draw(st.booleans()), shape, draw(st.booleans())


@needs_torch
@given(case=reduction_cases(), seed=st.integers(0, 2**31 - 1))
def test_random_shapes_and_dims_match_torch(case, seed):
    name, dim, keepdim, shape, ties = case
    rng = np.random.default_rng(seed)
    x = rng.integers(-2, 3, shape).astype(np.float64) if ties else rng.standard_normal(shape)
    fn = REDUCTIONS[name]
    compare(torch_lib, lambda m, t: fn(m, t, dim, keepdim), x, seed=seed, rtol=1e-9, atol=1e-12)


# --- result types and grad_fn names ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "name"),
    [
        (lambda m, x: x.sort(), "sort"),
        (lambda m, x: x.topk(1), "topk"),
        (lambda m, x: x.kthvalue(1), "kthvalue"),
        (lambda m, x: x.median(0), "median"),
        (lambda m, x: x.cummax(0), "cummax"),
        (lambda m, x: m.cummin(x, 0), "cummin"),
    ],
)
def test_values_indices_results(lib, fn, name):
    res = fn(lib, lib.tensor([3.0, 1.0, 2.0]))
    assert type(res).__name__ == name
    values, indices = res
    assert res.values is values and res.indices is indices and res[1] is indices
    assert dtype_name(indices) == "int64"


def test_var_mean_returns_a_plain_tuple(lib):
    for fn in (lib.var_mean, lib.std_mean):
        res = fn(lib.tensor([3.0, 1.0, 2.0]))
        assert type(res) is tuple and len(res) == 2


GRAD_FNS = [
    lambda m, x: x.prod(),
    lambda m, x: x.prod(0),
    lambda m, x: x.var(),
    lambda m, x: x.var(0),
    lambda m, x: x.std(),
    lambda m, x: m.var_mean(x)[0],
    lambda m, x: m.std_mean(x, 0)[1],
    lambda m, x: x.logsumexp(0),
    lambda m, x: x.amax(),
    lambda m, x: x.amin(0),
    lambda m, x: x.sort().values,
    lambda m, x: x.sort(stable=True).values,
    lambda m, x: m.msort(x),
    lambda m, x: x.topk(2).values,
    lambda m, x: x.kthvalue(1).values,
    lambda m, x: x.median(),
    lambda m, x: x.median(0).values,
    lambda m, x: x.cumsum(0),
    lambda m, x: x.cumprod(0),
    lambda m, x: x.cummax(0).values,
    lambda m, x: x.cummin(0).values,
]


@pytest.mark.parametrize("fn", GRAD_FNS)
def test_grad_fn_names_match_torch(torch, fn):
    names = []
    for m in (chainrule, torch):
        out = fn(m, m.tensor([3.0, 1.0, 2.0], requires_grad=True))
        names.append(out.grad_fn.name())
    assert names[0] == names[1]


@pytest.mark.parametrize(
    "fn",
    [
        lambda m, x: x.argsort(),
        lambda m, x: x.argmax(),
        lambda m, x: x.argmin(0),
        lambda m, x: x.sort().indices,
        lambda m, x: x.all(),
        lambda m, x: x.any(0),
        lambda m, x: x.count_nonzero(),
        lambda m, x: x.topk(1).indices,
    ],
)
def test_index_and_logical_results_never_require_grad(lib, fn):
    out = fn(lib, lib.tensor([3.0, 1.0, 2.0], requires_grad=True))
    assert not out.requires_grad and out.grad_fn is None


# --- errors --------------------------------------------------------------------------------------

ERRORS = [
    pytest.param(lambda m, x: x.prod(2), IndexError, id="prod_dim_range"),
    pytest.param(lambda m, x: x.prod((0, 1)), TypeError, id="prod_tuple_dim"),
    pytest.param(lambda m, x: x.var(2), IndexError, id="var_dim_range"),
    pytest.param(lambda m, x: x.var((0, 0)), RuntimeError, id="var_dim_repeated"),
    pytest.param(lambda m, x: x.var(1, unbiased=True, correction=1), TypeError, id="var_both"),
    pytest.param(lambda m, x: x.long().var(), RuntimeError, id="var_int"),
    pytest.param(lambda m, x: x.bool().std(), RuntimeError, id="std_bool"),
    pytest.param(lambda m, x: m.var_mean(x.long()), RuntimeError, id="var_mean_int"),
    pytest.param(lambda m, x: m.logsumexp(x), TypeError, id="logsumexp_no_dim"),
    pytest.param(lambda m, x: x.logsumexp(-3), IndexError, id="logsumexp_dim_range"),
    pytest.param(lambda m, x: x.logsumexp([]), RuntimeError, id="logsumexp_empty_dims"),
    pytest.param(lambda m, x: x.amax(2), IndexError, id="amax_dim_range"),
    pytest.param(lambda m, x: x.amax((0, -2)), RuntimeError, id="amax_dim_repeated"),
    pytest.param(lambda m, x: m.zeros(0).amax(), RuntimeError, id="amax_empty"),
    pytest.param(lambda m, x: m.zeros(2, 0).amin(1), IndexError, id="amin_empty_dim"),
    pytest.param(lambda m, x: x.all(5), IndexError, id="all_dim_range"),
    pytest.param(lambda m, x: x.count_nonzero(2), IndexError, id="count_nonzero_dim_range"),
    pytest.param(lambda m, x: x.argmax(2), IndexError, id="argmax_dim_range"),
    pytest.param(lambda m, x: x.argmax((0, 1)), TypeError, id="argmax_tuple"),
    pytest.param(lambda m, x: m.zeros(0).argmax(), IndexError, id="argmax_empty"),
    pytest.param(lambda m, x: m.zeros(2, 0).argmin(1), IndexError, id="argmin_empty_dim"),
    pytest.param(lambda m, x: x.bool().argmax(), RuntimeError, id="argmax_bool"),
    pytest.param(lambda m, x: x.sort(2), IndexError, id="sort_dim_range"),
    pytest.param(lambda m, x: x.sort(0, True, True), TypeError, id="sort_stable_positional"),
    pytest.param(lambda m, x: x.sort(0, stable=True), TypeError, id="sort_dim_positional_stable"),
    pytest.param(lambda m, x: m.argsort(x, 0, True, True), TypeError, id="argsort_positional"),
    pytest.param(lambda m, x: x.argsort(-3), IndexError, id="argsort_dim_range"),
    pytest.param(lambda m, x: x.topk(4), RuntimeError, id="topk_k_above"),
    pytest.param(lambda m, x: x.topk(-1), RuntimeError, id="topk_k_negative"),
    pytest.param(lambda m, x: x.topk(1, 2), IndexError, id="topk_dim_range"),
    pytest.param(lambda m, x: m.tensor(1.0).topk(2), RuntimeError, id="topk_0d_k2"),
    pytest.param(lambda m, x: m.zeros(2, 0).topk(1), RuntimeError, id="topk_empty_k1"),
    pytest.param(lambda m, x: x.bool().topk(1), RuntimeError, id="topk_bool"),
    pytest.param(lambda m, x: x.kthvalue(0), RuntimeError, id="kthvalue_k0"),
    pytest.param(lambda m, x: x.kthvalue(4), RuntimeError, id="kthvalue_k_above"),
    pytest.param(lambda m, x: x.kthvalue(1, 2), IndexError, id="kthvalue_dim_range"),
    pytest.param(lambda m, x: m.zeros(2, 0).kthvalue(1), IndexError, id="kthvalue_empty_dim"),
    pytest.param(lambda m, x: x.bool().kthvalue(1), NotImplementedError, id="kthvalue_bool"),
    pytest.param(lambda m, x: x.median(keepdim=True), TypeError, id="median_keepdim_no_dim"),
    pytest.param(lambda m, x: x.median(2), IndexError, id="median_dim_range"),
    pytest.param(lambda m, x: m.zeros(2, 0).median(1), IndexError, id="median_empty_dim"),
    pytest.param(lambda m, x: x.bool().median(), NotImplementedError, id="median_bool"),
    pytest.param(lambda m, x: x.cumsum(), TypeError, id="cumsum_no_dim"),
    pytest.param(lambda m, x: x.cumsum(2), IndexError, id="cumsum_dim_range"),
    pytest.param(lambda m, x: x.cumprod(-3), IndexError, id="cumprod_dim_range"),
    pytest.param(lambda m, x: x.cummax(2), IndexError, id="cummax_dim_range"),
    pytest.param(lambda m, x: m.tensor(1.0).cumsum(1), IndexError, id="cumsum_0d_dim_range"),
]


@pytest.mark.parametrize(("fn", "error"), ERRORS)
def test_errors_match_torch(lib, fn, error):
    x = lib.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    with pytest.raises(error):
        fn(lib, x)


def test_error_messages_name_the_problem():
    x = chainrule.tensor([[3.0, 1.0, 2.0]])
    with pytest.raises(RuntimeError, match="k out of range"):
        x.topk(4)
    with pytest.raises(RuntimeError, match="out of range for dimension 1"):
        x.kthvalue(5)
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 2"):
        x.sort(2)
    with pytest.raises(RuntimeError, match="floating point"):
        x.long().var()
    with pytest.raises(IndexError, match="reduction dim 1 to have non-zero size"):
        chainrule.zeros(2, 0).amax(1)
