"""nn.functional losses beside torch: stability at extreme logits, the weight / ignore_index /
label_smoothing combinations, class-probability targets, the gradients at kinks and clamps, the
deprecated size_average/reduce flags, grad_fn names, integer / bool / mixed dtypes and the
errors; and the public clamp_min, clamp_max and logit the losses compose (their values, dtypes,
errors and conventions at the bounds).

Forward values and gradients on ordinary inputs, gradcheck and gradgradcheck come from the
records in opdb_loss.py.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule


def F(m: Any) -> Any:
    return m.nn.functional


def to_np(t: Any) -> np.ndarray:
    t = t.detach()
    if getattr(t, "_is_zerotensor", lambda: False)():  # torch's symbolic zeros (abs'')
        return np.zeros(tuple(t.shape), str(t.dtype).replace("torch.", ""))
    return np.asarray(t.numpy())


def _c(m: Any, x: Any, f: Callable[[np.ndarray], Any]) -> Any:
    """A constant of x's dtype computed from x's values (a target made from the input)."""
    return m.tensor(np.asarray(f(to_np(x))), dtype=x.dtype)


def _softmax(v: np.ndarray) -> np.ndarray:
    return np.exp(v) / np.exp(v).sum(1, keepdims=True)


def _long(m: Any, v: Any) -> Any:
    return m.tensor(v, dtype=m.int64)


def run(
    m: Any,
    fn: Callable,
    arrays: list,
    dtype: str = "float64",
    nd: int | None = None,
    create_graph: bool = False,
) -> tuple:
    """fn(m, *leaves), the leaves' gradients of its sum (None where unused) and, with
    create_graph, the gradient of the sum of those gradients (second derivatives)."""
    xs = [
        m.tensor(np.asarray(a, dtype=dtype), requires_grad=nd is None or i < nd)
        for i, a in enumerate(arrays)
    ]
    out = fn(m, *xs)
    wrt = [x for x in xs if x.requires_grad]
    grads = m.autograd.grad(out.sum(), wrt, allow_unused=True, create_graph=create_graph)
    second = None
    if create_graph:
        with np.errstate(invalid="ignore"):  # inf + -inf in a sum: NaN in torch too, quietly
            terms = [g.sum() for g in grads if g is not None and g.requires_grad]
        if terms:
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            second = [
                None if s is None else to_np(s)
                for s in m.autograd.grad(total, wrt, allow_unused=True)
            ]
    return to_np(out), [None if g is None else to_np(g) for g in grads], second


def same(ours: Any, theirs: Any, rtol: float = 1e-12, atol: float = 0.0, what: str = "") -> None:
    if theirs is None or ours is None:
        assert ours is None and theirs is None or _zero(ours) and _zero(theirs), what
        return
    assert np.shape(ours) == np.shape(theirs), what
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=what)


def _zero(a: Any) -> bool:
    return a is None or not np.any(a)


def check(
    torch: Any,
    fn: Callable,
    arrays: list,
    dtype: str = "float64",
    nd: int | None = None,
    rtol: float = 1e-12,
    atol: float = 0.0,
    create_graph: bool = False,
) -> tuple:
    """Output, gradients (and second derivatives) of fn on chainrule equal torch's."""
    ours = run(chainrule, fn, arrays, dtype, nd, create_graph)
    theirs = run(torch, fn, arrays, dtype, nd, create_graph)
    same(ours[0], theirs[0], rtol, atol, "output")
    for k, (a, b) in enumerate(zip(ours[1], theirs[1])):
        same(a, b, rtol, atol, f"gradient {k}")
    if create_graph:
        for k, (a, b) in enumerate(zip(ours[2] or [], theirs[2] or [])):
            same(a, b, rtol, atol, f"second derivative {k}")
    return ours


# --- stability at huge logits --------------------------------------------------------------------

BIG = [[1e4, 0.0, -1e4], [0.0, 1e4, 1e4], [-1e4, -1e4, 1e4]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"reduction": "sum"},
        {"reduction": "none"},
        {"weight": [0.5, 1.0, 2.0]},
        {"label_smoothing": 0.1},
        {"ignore_index": 2, "label_smoothing": 0.3},
        {"weight": [0.5, 1.0, 2.0], "ignore_index": 0, "label_smoothing": 0.2},
    ],
    ids=repr,
)
def test_cross_entropy_is_stable_at_huge_logits(torch, dtype, kwargs):
    def fn(m, x):
        kw = dict(kwargs)
        if "weight" in kw:
            kw["weight"] = m.tensor(kw["weight"], dtype=x.dtype)
        return F(m).cross_entropy(x, m.tensor([1, 2, 0]), **kw)

    out, grads, _ = check(torch, fn, [BIG], dtype, rtol=1e-6, atol=1e-6)
    assert np.isfinite(out).all() and np.isfinite(grads[0]).all()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_with_probabilities_is_stable_at_huge_logits(torch, dtype):
    probs = [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0], [0.0, 0.5, 0.5]]
    out, grads, _ = check(
        torch,
        lambda m, x, p: F(m).cross_entropy(x, p, label_smoothing=0.1),
        [BIG, probs],
        dtype,
        rtol=1e-6,
        atol=1e-6,
    )
    assert np.isfinite(out).all() and all(np.isfinite(g).all() for g in grads)


def test_cross_entropy_huge_logits_values(lib):
    # the value and gradient follow from log_softmax computed stably (no torch needed)
    x = lib.tensor([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]], requires_grad=True)
    loss = F(lib).cross_entropy(x, lib.tensor([1, 2]))
    loss.backward()
    np.testing.assert_allclose(loss.item(), (1e4 + np.log(2)) / 2, rtol=1e-6)
    np.testing.assert_allclose(to_np(x.grad), [[0.5, -0.5, 0.0], [0.0, 0.25, -0.25]], atol=1e-6)


def test_log_softmax_does_not_overflow(lib):
    out = F(lib).log_softmax(lib.tensor([1000.0, 0.0]), 0)
    np.testing.assert_allclose(out.numpy(), [0.0, -1000.0], atol=1e-4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weights", [False, True])
def test_bce_with_logits_is_stable_at_huge_logits(torch, dtype, reduction, weights):
    x = [[1e4, -1e4, 1e4, -1e4, 0.0], [-1e4, 1e4, 1e4, 3.0, -1e4]]
    y = [[1.0, 0.0, 0.0, 1.0, 0.5], [0.5, 0.5, 1.0, 0.0, 0.0]]

    def fn(m, x, y):
        kw = {}
        if weights:
            kw = {
                "weight": m.tensor([1.0, 2.0, 0.5, 1.5, 1.0], dtype=x.dtype),
                "pos_weight": m.tensor([3.0, 0.5, 2.0, 1.0, 4.0], dtype=x.dtype),
            }
        return F(m).binary_cross_entropy_with_logits(x, y, reduction=reduction, **kw)

    out, grads, _ = check(torch, fn, [x, y], dtype, rtol=1e-6)
    assert np.isfinite(out).all() and all(np.isfinite(g).all() for g in grads)


def test_soft_margin_loss_overflows_as_torch(torch):
    # torch does not guard exp(-y x): an inf loss and a NaN gradient past the overflow
    check(
        torch,
        lambda m, x: F(m).soft_margin_loss(x, m.tensor([1.0, 1.0, -1.0]), reduction="none"),
        [[-1000.0, 1000.0, 50.0]],
    )


# --- weight, ignore_index, label_smoothing --------------------------------------------------------

LOGITS = np.random.default_rng(7).standard_normal((4, 3, 2))
TARGETS = [[0, 2], [1, 1], [2, 0], [1, 2]]


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weight", [None, [0.25, 1.0, 3.0]])
@pytest.mark.parametrize("ignore_index", [-100, 1, 2, 7])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.15, 1.0])
@pytest.mark.parametrize("spatial", [False, True])
def test_cross_entropy_arguments_combine_as_torch(
    torch, reduction, weight, ignore_index, label_smoothing, spatial
):
    x = LOGITS if spatial else LOGITS[..., 0]
    t = TARGETS if spatial else [row[0] for row in TARGETS]

    def fn(m, x):
        w = None if weight is None else m.tensor(weight, dtype=x.dtype)
        return F(m).cross_entropy(
            x,
            m.tensor(t),
            weight=w,
            ignore_index=ignore_index,
            reduction=reduction,
            label_smoothing=label_smoothing,
        )

    check(torch, fn, [x], rtol=1e-10, atol=1e-14, create_graph=True)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("weight", [None, [0.25, 1.0, 3.0]])
@pytest.mark.parametrize("ignore_index", [-100, 0, 2])
@pytest.mark.parametrize("unbatched", [False, True])
def test_nll_loss_arguments_combine_as_torch(torch, reduction, weight, ignore_index, unbatched):
    x = LOGITS[0, :, 0] if unbatched else LOGITS[..., 0]
    t = 2 if unbatched else [row[0] for row in TARGETS]

    def fn(m, x):
        w = None if weight is None else m.tensor(weight, dtype=x.dtype)
        return F(m).nll_loss(
            x, m.tensor(t), weight=w, ignore_index=ignore_index, reduction=reduction
        )

    check(torch, fn, [x], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_all_targets_ignored(torch, reduction):
    # the mean is 0 / 0 = NaN, the gradient 0 (as torch)
    for ls in (0.0, 0.2):
        check(
            torch,
            lambda m, x, ls=ls: F(m).cross_entropy(
                x, m.tensor([1, 1]), ignore_index=1, reduction=reduction, label_smoothing=ls
            ),
            [[[0.5, 1.0, -1.0], [2.0, 0.0, 0.0]]],
        )


def test_ignored_target_with_minus_inf_log_probability_counts_zero(torch):
    logp = [[-np.inf, 0.0], [-1.0, -0.5]]
    for reduction in ("none", "sum"):
        check(
            torch,
            lambda m, x, r=reduction: F(m).nll_loss(x, m.tensor([-100, 1]), reduction=r),
            [logp],
        )


def test_byte_targets_are_class_indices(torch):
    check(
        torch,
        lambda m, x: F(m).cross_entropy(x, m.tensor([2, 0], dtype=m.uint8)),
        [LOGITS[:2, :, 0]],
    )


@pytest.mark.parametrize("shape", [(0, 3), (0, 3, 2)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_empty_batch(torch, shape, reduction):
    tshape = (0, *shape[2:])
    for probs in (False, True):

        def fn(m, x, probs=probs):
            t = m.zeros(shape) if probs else m.zeros(tshape, dtype=m.int64)
            return F(m).cross_entropy(x, t, reduction=reduction)

        check(torch, fn, [np.zeros(shape)])


@given(
    n=st.integers(1, 3),
    c=st.integers(1, 4),
    extra=st.lists(st.integers(1, 3), max_size=2),
    reduction=st.sampled_from(["none", "mean", "sum"]),
    weighted=st.booleans(),
    ignore=st.sampled_from([-100, 0, 1]),
    smoothing=st.sampled_from([0.0, 0.1, 0.5]),
    seed=st.integers(0, 2**31),
)
def test_cross_entropy_random_shapes_match_torch(
    n, c, extra, reduction, weighted, ignore, smoothing, seed
):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, *extra))
    t = rng.integers(0, c, (n, *extra)).tolist()
    w = rng.uniform(0.5, 2.0, c).tolist()

    def fn(m, x):
        weight = m.tensor(w, dtype=x.dtype) if weighted else None
        return F(m).cross_entropy(
            x,
            m.tensor(t, dtype=m.int64),
            weight=weight,
            ignore_index=ignore,
            reduction=reduction,
            label_smoothing=smoothing,
        )

    check(torch, fn, [x], rtol=1e-10, atol=1e-14)


# --- class-probability targets --------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 2)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("smoothing", [0.0, 0.4])
@pytest.mark.parametrize("weighted", [False, True])
def test_probability_targets_as_torch(torch, shape, reduction, smoothing, weighted):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape)
    p = rng.dirichlet(np.ones(3), shape[:1] + shape[2:] if len(shape) > 1 else None)
    if len(shape) > 1:
        p = np.moveaxis(p, -1, 1)

    def fn(m, x, p):
        w = m.tensor([0.5, 1.0, 2.0], dtype=x.dtype) if weighted else None
        return F(m).cross_entropy(x, p, weight=w, reduction=reduction, label_smoothing=smoothing)

    check(torch, fn, [x, p], rtol=1e-12, atol=1e-15, create_graph=True)


# --- gradients at kinks, clamps and ties, exactly as torch ---------------------------------------

KINKS = [
    pytest.param(
        lambda m, x, y: F(m).l1_loss(x, y, reduction="none"),
        [[1.0, -2.0, 0.0, 3.0], [1.0, -2.0, 0.0, 1.0]],
        id="l1_equal",
    ),
    pytest.param(lambda m, x, y: F(m).l1_loss(x, y), [[1.0, 0.5], [1.0, 0.5]], id="l1_equal_mean"),
    pytest.param(
        lambda m, x, y: F(m).smooth_l1_loss(x, y, reduction="none", beta=0.5),
        [[0.5, -0.5, 0.0, 1.5], [0.0, 0.0, 0.0, 1.0]],
        id="smooth_l1_at_beta",
    ),
    pytest.param(
        lambda m, x, y: F(m).smooth_l1_loss(x, y, beta=0.0),
        [[0.5, 1.0], [0.5, 0.0]],
        id="smooth_l1_beta0_equal",
    ),
    pytest.param(
        lambda m, x, y: F(m).huber_loss(x, y, reduction="sum", delta=0.5),
        [[0.5, -0.5, 0.0, 1.5], [0.0, 0.0, 0.0, 1.0]],
        id="huber_at_delta",
    ),
    pytest.param(
        lambda m, x: F(m).hinge_embedding_loss(
            x, m.tensor([-1.0, -1.0, 1.0]), margin=1.0, reduction="none"
        ),
        [[1.0, 0.5, 1.0]],
        id="hinge_at_margin",
    ),
    pytest.param(
        lambda m, x1, x2: F(m).margin_ranking_loss(
            x1, x2, m.tensor([1.0, -1.0]), margin=0.5, reduction="none"
        ),
        [[1.0, 0.0], [0.5, 0.5]],
        id="margin_ranking_at_margin",
    ),
    pytest.param(
        lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n, margin=1.0, eps=0.0),
        [[[0.0, 0.0]], [[1.0, 0.0]], [[2.0, 0.0]]],
        id="triplet_at_margin",
    ),
    pytest.param(
        lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n, margin=1.0, eps=0.0),
        [[[1.0, 2.0]], [[1.0, 2.0]], [[0.0, 2.0]]],
        id="triplet_zero_distance",
    ),
    pytest.param(
        lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n, margin=1.0, p=1, eps=0.0),
        [[[1.0, 2.0]], [[1.0, 0.0]], [[3.0, 2.0]]],
        id="triplet_p1_zero_component",
    ),
    pytest.param(
        lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n, p=3, eps=0.0),
        [[[1.0, 2.0]], [[1.0, 2.0]], [[0.5, 2.0]]],
        id="triplet_p3_zero_distance",
    ),
    pytest.param(
        lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n, p=math.inf, eps=0.0),
        [[[1.0, 2.0]], [[2.0, 3.0]], [[0.0, 2.0]]],
        id="triplet_pinf_tie",
    ),
    pytest.param(
        lambda m, a, p, n: F(m).triplet_margin_loss(a, p, n, margin=1.0, swap=True, eps=0.0),
        [[[0.0, 0.0]], [[2.0, 0.0]], [[1.0, 0.0]]],
        id="triplet_swap_tie",
    ),
    pytest.param(
        lambda m, x1, x2: F(m).cosine_embedding_loss(x1, x2, m.tensor([-1.0]), margin=0.0),
        [[[1.0, 0.0]], [[0.0, 2.0]]],
        id="cosine_at_margin",
    ),
    pytest.param(
        lambda m, x, y: F(m).binary_cross_entropy(x, y, reduction="none"),
        [[0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1e-300], [0.0, 1.0, 1.0, 0.0, 0.5, 0.5, 1.0]],
        id="bce_clamped_logs",
    ),
    pytest.param(
        lambda m, x: F(m).binary_cross_entropy(
            x,
            m.tensor([1.0, 0.0, 0.5], dtype=x.dtype),
            weight=m.tensor([2.0, 3.0, 1.0], dtype=x.dtype),
        ),
        [[0.0, 1.0, 1.0]],
        id="bce_clamped_weighted",
    ),
    pytest.param(
        lambda m, x, y: F(m).kl_div(x, y, reduction="sum"),
        [[-1.0, -2.0, -0.5], [0.0, 0.5, 1.0]],
        id="kl_div_target_0",
    ),
    pytest.param(
        lambda m, x, y: F(m).poisson_nll_loss(x, y, log_input=False, full=True, reduction="none"),
        [[0.5, 1.0, 2.0, 1.0], [0.0, 1.0, 3.0, 1.5]],
        id="poisson_full_at_1",
    ),
    # the public clamp_min, clamp_max and logit the losses compose
    pytest.param(lambda m, x: m.clamp_min(x, 0.5), [[0.5, 0.2, 1.0]], id="clamp_min_at_bound"),
    pytest.param(lambda m, x: x.clamp_max(0.5), [[0.5, 0.2, 1.0]], id="clamp_max_at_bound"),
    pytest.param(
        lambda m, x, lo: m.clamp_min(x, lo) * x,
        [[1.0, 0.0, 2.0], [1.0, 1.0, 1.0]],
        id="clamp_min_tensor_tie",
    ),
    pytest.param(
        lambda m, x, hi: x.clamp_max(hi) * hi,
        [[1.0, 0.0, 2.0], [1.0, 1.0, 1.0]],
        id="clamp_max_tensor_tie",
    ),
    pytest.param(lambda m, x: m.logit(x), [[0.0, 0.25]], id="logit_at_0"),
    pytest.param(lambda m, x: m.logit(x), [[0.75, 1.0]], id="logit_at_1"),
    pytest.param(lambda m, x: m.logit(x), [[-0.5, 1.5, 0.3]], id="logit_outside"),
    pytest.param(lambda m, x: x.logit(0.25), [[0.25, 0.75, 0.1, 0.9]], id="logit_eps_bounds"),
    pytest.param(lambda m, x: m.logit(x, 0.0), [[0.0, 0.5, -0.5]], id="logit_eps_0"),
    pytest.param(lambda m, x: m.logit(x, -0.2), [[0.5, -0.5, 1.5]], id="logit_eps_negative"),
    pytest.param(lambda m, x: m.logit(x, 0.7), [[0.1, 0.5, 0.8]], id="logit_eps_above_half"),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("fn", "arrays"), KINKS)
def test_kink_conventions_are_torchs(torch, fn, arrays, dtype):
    if dtype == "float32" and any(np.any(np.abs(a) == 1e-300) for a in map(np.asarray, arrays)):
        pytest.skip("1e-300 is 0 in float32")
    rtol = 1e-12 if dtype == "float64" else 1e-6  # float32: the composites' rounding
    check(torch, fn, arrays, dtype, rtol=rtol, create_graph=True)


def test_kinks_emit_no_numpy_warnings():
    for param in KINKS:
        fn, arrays = param.values
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            run(chainrule, fn, arrays)


# --- the deprecated size_average / reduce flags ---------------------------------------------------

LEGACY = {
    "mse_loss": lambda m, x, **kw: F(m).mse_loss(x, _c(m, x, lambda v: v * 0.5), **kw),
    "l1_loss": lambda m, x, **kw: F(m).l1_loss(x, _c(m, x, lambda v: v * 0.5), **kw),
    "smooth_l1_loss": lambda m, x, **kw: F(m).smooth_l1_loss(x, _c(m, x, lambda v: v * 0.5), **kw),
    "soft_margin_loss": lambda m, x, **kw: F(m).soft_margin_loss(x, _c(m, x, np.sign), **kw),
    "cross_entropy": lambda m, x, **kw: F(m).cross_entropy(x, m.tensor([0, 2]), **kw),
    "nll_loss": lambda m, x, **kw: F(m).nll_loss(x, m.tensor([1, 2]), **kw),
    "binary_cross_entropy": lambda m, x, **kw: F(m).binary_cross_entropy(
        x.sigmoid(), _c(m, x, lambda v: v * 0 + 0.25), **kw
    ),
    "binary_cross_entropy_with_logits": lambda m, x, **kw: F(m).binary_cross_entropy_with_logits(
        x, _c(m, x, lambda v: v * 0 + 0.25), **kw
    ),
    "kl_div": lambda m, x, **kw: F(m).kl_div(x, _c(m, x, np.exp), **kw),
    "poisson_nll_loss": lambda m, x, **kw: F(m).poisson_nll_loss(x, _c(m, x, np.abs), **kw),
    "margin_ranking_loss": lambda m, x, **kw: F(m).margin_ranking_loss(
        x, _c(m, x, lambda v: -v), _c(m, x, np.sign), **kw
    ),
    "hinge_embedding_loss": lambda m, x, **kw: F(m).hinge_embedding_loss(
        x, _c(m, x, np.sign), **kw
    ),
    "cosine_embedding_loss": lambda m, x, **kw: F(m).cosine_embedding_loss(
        x, _c(m, x, lambda v: 1 - v), m.tensor([1.0, -1.0]), **kw
    ),
    "triplet_margin_loss": lambda m, x, **kw: F(m).triplet_margin_loss(
        x, _c(m, x, lambda v: v * 0.5), _c(m, x, lambda v: -v), **kw
    ),
}
FLAGS = [
    (None, False),
    (False, None),
    (True, None),
    (None, True),
    (False, True),
    (True, False),
    (False, False),
    (True, True),
]


@pytest.mark.parametrize("name", list(LEGACY))
@pytest.mark.parametrize(("size_average", "reduce"), FLAGS)
def test_size_average_and_reduce_map_to_reduction(torch, name, size_average, reduce):
    x = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]])
    results = {}
    for m in (chainrule, torch):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            xt = m.tensor(x, requires_grad=True)
            # the flags win over reduction=, as in torch
            out = LEGACY[name](m, xt, size_average=size_average, reduce=reduce, reduction="sum")
        results[m.__name__] = (
            out,
            [str(w.message) for w in caught if "deprecated" in str(w.message)],
        )
    (ours, ours_warn), (theirs, theirs_warn) = results["chainrule"], results["torch"]
    assert ours_warn == theirs_warn and len(ours_warn) == 1
    same(to_np(ours), to_np(theirs), rtol=1e-12, what="output")
    want = (
        "mean"
        if size_average is not False and reduce is not False
        else ("sum" if reduce is not False else "none")
    )
    assert f"reduction='{want}'" in ours_warn[0]


def test_elementwise_mean_is_mean_with_a_warning(lib):
    x = lib.tensor([1.0, 2.0])
    with pytest.warns(UserWarning, match="elementwise_mean"):
        out = F(lib).mse_loss(x, x * 0, reduction="elementwise_mean")
    assert out.item() == 2.5


def test_kl_div_mean_warns_and_batchmean_divides_by_the_batch(torch):
    for m in (chainrule, torch):
        with pytest.warns(UserWarning, match="batchmean"):
            F(m).kl_div(m.zeros(2, 3), m.ones(2, 3))
    for reduction in ("batchmean", "sum"):
        for shape in [(2, 3), ()]:
            check(
                torch,
                lambda m, x, y, r=reduction: F(m).kl_div(x, y, reduction=r),
                [-np.ones(shape), np.full(shape, 0.5)],
            )


@pytest.mark.parametrize(
    "call",
    [
        lambda m: F(m).mse_loss(m.zeros(3, 1), m.zeros(3)),
        lambda m: F(m).l1_loss(m.zeros(3), m.zeros(2, 3)),
        lambda m: F(m).smooth_l1_loss(m.zeros(3, 1), m.zeros(3)),
        lambda m: F(m).huber_loss(m.zeros(3, 1), m.zeros(3)),
    ],
)
def test_broadcasting_target_warns_as_torch(torch, call):
    messages = []
    for m in (chainrule, torch):
        with pytest.warns(UserWarning, match="different to the input size") as caught:
            call(m)
        messages.append(str(caught[0].message).replace("chainrule.Size", "torch.Size"))
    assert messages[0] == messages[1]


# --- grad_fn names -------------------------------------------------------------------------------

NAMED = {
    "mse": lambda m, x, r: F(m).mse_loss(x, _c(m, x, lambda v: 2 * v), reduction=r),
    "l1": lambda m, x, r: F(m).l1_loss(x, _c(m, x, lambda v: 2 * v), reduction=r),
    "smooth_l1": lambda m, x, r: F(m).smooth_l1_loss(x, _c(m, x, lambda v: 2 * v), reduction=r),
    "smooth_l1_beta0": lambda m, x, r: F(m).smooth_l1_loss(
        x, _c(m, x, lambda v: 2 * v), reduction=r, beta=0.0
    ),
    "huber": lambda m, x, r: F(m).huber_loss(x, _c(m, x, lambda v: 2 * v), reduction=r),
    "soft_margin": lambda m, x, r: F(m).soft_margin_loss(x, _c(m, x, np.sign), reduction=r),
    "ce": lambda m, x, r: F(m).cross_entropy(x, m.tensor([0, 2]), reduction=r),
    "ce_weight": lambda m, x, r: F(m).cross_entropy(
        x, m.tensor([0, 2]), reduction=r, weight=m.tensor([1.0, 2.0, 3.0], dtype=x.dtype)
    ),
    "ce_smoothing": lambda m, x, r: F(m).cross_entropy(
        x, m.tensor([0, 2]), reduction=r, label_smoothing=0.1
    ),
    "ce_probs": lambda m, x, r: F(m).cross_entropy(x, _c(m, x, _softmax), reduction=r),
    "ce_spatial_3d": lambda m, x, r: F(m).cross_entropy(
        x.reshape(2, 3, 1), m.tensor([[0], [2]]), reduction=r
    ),
    "ce_spatial_4d": lambda m, x, r: F(m).cross_entropy(
        x.reshape(2, 3, 1, 1), m.tensor([[[0]], [[2]]]), reduction=r
    ),
    "ce_unbatched": lambda m, x, r: F(m).cross_entropy(x[0], m.tensor(1), reduction=r),
    "nll": lambda m, x, r: F(m).nll_loss(x, m.tensor([0, 2]), reduction=r),
    "bce": lambda m, x, r: F(m).binary_cross_entropy(
        x.sigmoid(), _c(m, x, lambda v: v * 0 + 0.5), reduction=r
    ),
    "bce_logits": lambda m, x, r: F(m).binary_cross_entropy_with_logits(
        x, _c(m, x, lambda v: v * 0 + 0.5), reduction=r
    ),
    "kl_div": lambda m, x, r: F(m).kl_div(x, _c(m, x, np.exp), reduction=r),
    "kl_div_log_target": lambda m, x, r: F(m).kl_div(
        x, _c(m, x, lambda v: v), reduction=r, log_target=True
    ),
    "poisson": lambda m, x, r: F(m).poisson_nll_loss(x, _c(m, x, np.abs), reduction=r),
    "poisson_full": lambda m, x, r: F(m).poisson_nll_loss(
        x.exp(), _c(m, x, lambda v: np.abs(v) * 3), log_input=False, full=True, reduction=r
    ),
    "gaussian": lambda m, x, r: F(m).gaussian_nll_loss(
        x, _c(m, x, lambda v: 2 * v), _c(m, x, np.abs), reduction=r
    ),
    "margin_ranking": lambda m, x, r: F(m).margin_ranking_loss(
        x, _c(m, x, lambda v: 2 * v), _c(m, x, np.sign), reduction=r
    ),
    "hinge": lambda m, x, r: F(m).hinge_embedding_loss(x, _c(m, x, np.sign), reduction=r),
    "cosine": lambda m, x, r: F(m).cosine_embedding_loss(
        x, _c(m, x, lambda v: 2 * v + 1), m.tensor([1.0, -1.0]), reduction=r
    ),
    "triplet": lambda m, x, r: F(m).triplet_margin_loss(
        x, _c(m, x, lambda v: 2 * v), _c(m, x, lambda v: -v), reduction=r
    ),
}


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("name", list(NAMED))
def test_grad_fn_names_are_torchs(torch, name, reduction):
    x = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.4]])
    names = []
    for m in (chainrule, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            names.append(NAMED[name](m, m.tensor(x, requires_grad=True), reduction).grad_fn.name())
    assert names[0] == names[1]


def test_weight_and_pos_weight_take_no_gradient_as_in_torch(lib):
    x = lib.tensor([[0.2, 0.7], [0.4, 0.1]], requires_grad=True)
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F(lib).cross_entropy(x, lib.tensor([0, 1]), weight=w)
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument 'weight'"):
        F(lib).binary_cross_entropy(x, x.detach(), weight=w)
    with pytest.raises(RuntimeError, match="argument 'pos_weight'"):
        F(lib).binary_cross_entropy_with_logits(x, x.detach(), pos_weight=w)
    with pytest.raises(RuntimeError, match="argument 'target'"):
        F(lib).soft_margin_loss(x, w.expand(2, 2))


def test_weight_of_probability_targets_is_differentiable(torch):
    check(
        torch,
        lambda m, x, p, w: F(m).cross_entropy(x, p, weight=w),
        [[[0.5, -1.0, 2.0]], [[0.2, 0.3, 0.5]], [1.0, 2.0, 0.5]],
    )


# --- integer, bool and mixed dtypes ---------------------------------------------------------------

_X = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 1.0]])
_Y = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
_S = np.array([[1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]])
# each loss on tensors of two dtypes, a (the input's) and b (the other arguments')
DTYPED = {
    "mse": lambda m, a, b: F(m).mse_loss(a(_X), b(_Y)),
    "mse_none": lambda m, a, b: F(m).mse_loss(a(_X), b(_Y), reduction="none"),
    "mse_weight": lambda m, a, b: F(m).mse_loss(a(_X), b(_Y), weight=b(_Y)),
    "l1_sum": lambda m, a, b: F(m).l1_loss(a(_X), b(_Y), reduction="sum"),
    "smooth_l1": lambda m, a, b: F(m).smooth_l1_loss(a(_X), b(_Y), beta=0.5),
    "smooth_l1_beta0": lambda m, a, b: F(m).smooth_l1_loss(a(_X), b(_Y), beta=0.0, reduction="sum"),
    "huber": lambda m, a, b: F(m).huber_loss(a(_X), b(_Y)),
    "huber_weight": lambda m, a, b: F(m).huber_loss(a(_X), b(_Y), weight=b(_Y)),
    "soft_margin": lambda m, a, b: F(m).soft_margin_loss(a(_X), b(_S), reduction="none"),
    "margin_ranking": lambda m, a, b: F(m).margin_ranking_loss(a(_X), a(_Y), b(_S)),
    "margin_ranking_sum": lambda m, a, b: F(m).margin_ranking_loss(
        a(_X), b(_Y), b(_S), margin=0.5, reduction="sum"
    ),
    "hinge": lambda m, a, b: F(m).hinge_embedding_loss(a(_X), b(_S), reduction="sum"),
    "hinge_margin": lambda m, a, b: F(m).hinge_embedding_loss(
        a(_X), b(_S), margin=1.5, reduction="none"
    ),
    "hinge_negative_margin": lambda m, a, b: F(m).hinge_embedding_loss(
        a(_X), b(_S), margin=-1.5, reduction="none"
    ),
    "cosine": lambda m, a, b: F(m).cosine_embedding_loss(a(_X), b(_Y + 1), b(_S[:, 0])),
    "triplet": lambda m, a, b: F(m).triplet_margin_loss(a(_X), b(_Y), a(_S)),
    "nll": lambda m, a, b: F(m).nll_loss(a(_X), m.tensor([0, 2])),
    "nll_weight": lambda m, a, b: F(m).nll_loss(a(_X), m.tensor([0, 2]), weight=b(_X[0])),
    "nll_target": lambda m, a, b: F(m).nll_loss(a(_X), b(np.array([0.0, 2.0]))),
    "nll_spatial": lambda m, a, b: F(m).nll_loss(a(_X[None, :, :, None]), m.zeros(1, 3, 1)),
    "cross_entropy": lambda m, a, b: F(m).cross_entropy(a(_X), m.tensor([0, 2])),
    "cross_entropy_probs": lambda m, a, b: F(m).cross_entropy(a(_X), b(_Y)),
    "bce": lambda m, a, b: F(m).binary_cross_entropy(a(_Y * 0.5), b(_Y)),
    "bce_weight": lambda m, a, b: F(m).binary_cross_entropy(a(_Y * 0.5), a(_Y), weight=b(_X)),
    "bce_logits": lambda m, a, b: F(m).binary_cross_entropy_with_logits(a(_X), b(_Y)),
    "bce_logits_weight": lambda m, a, b: F(m).binary_cross_entropy_with_logits(
        a(_X), a(_Y), weight=b(_X)
    ),
    "bce_logits_pos_weight": lambda m, a, b: F(m).binary_cross_entropy_with_logits(
        a(_X), a(_Y), pos_weight=b(_X[0])
    ),
    "kl_div": lambda m, a, b: F(m).kl_div(a(_X), b(_Y), reduction="sum"),
    "poisson": lambda m, a, b: F(m).poisson_nll_loss(a(_X), b(_Y)),
    "poisson_full": lambda m, a, b: F(m).poisson_nll_loss(
        a(_X + 1), b(_X * 2), log_input=False, full=True, reduction="none"
    ),
    "gaussian": lambda m, a, b: F(m).gaussian_nll_loss(a(_X), b(_Y), a(_Y + 1)),
    "gaussian_var": lambda m, a, b: F(m).gaussian_nll_loss(a(_X), a(_Y), b(_Y + 1)),
    "gaussian_float_var": lambda m, a, b: F(m).gaussian_nll_loss(a(_X), b(_Y), 0.5),
    "gaussian_int_var": lambda m, a, b: F(m).gaussian_nll_loss(a(_X), b(_Y), 2),
}
DTYPE_PAIRS = [
    ("int64", "int64"),
    ("int32", "int64"),
    ("int64", "float32"),
    ("float32", "int64"),
    ("float32", "float64"),
    ("float64", "float32"),
    ("float32", "bool"),
    ("bool", "bool"),
]


def _outcome(m: Any, call: Callable) -> Any:
    """call(m), or the exception it raises."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return call(m)
    except Exception as e:  # noqa: BLE001 - the type is what is compared
        return e


def same_outcome(ours: Any, theirs: Any, grad_fn: bool = False) -> None:
    """torch's exception type, or its result's dtype, shape and values (and grad_fn name)."""
    if isinstance(theirs, Exception):
        assert type(ours) is type(theirs), (ours, theirs)
        return
    assert not isinstance(ours, Exception), ours
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert tuple(ours.shape) == tuple(theirs.shape)
    if grad_fn:
        assert (ours.grad_fn and ours.grad_fn.name()) == (theirs.grad_fn and theirs.grad_fn.name())
    np.testing.assert_allclose(to_np(ours).astype(float), to_np(theirs).astype(float), rtol=1e-6)


@pytest.mark.parametrize(("a", "b"), DTYPE_PAIRS, ids=[f"{a}-{b}" for a, b in DTYPE_PAIRS])
@pytest.mark.parametrize("name", list(DTYPED))
def test_dtypes_are_torchs(torch, name, a, b):
    """Integer, bool and mixed dtypes: torch's exception type, or its result dtype and values."""

    def call(m: Any) -> Any:
        return DTYPED[name](m, lambda v: m.tensor(v.astype(a)), lambda v: m.tensor(v.astype(b)))

    same_outcome(_outcome(chainrule, call), _outcome(torch, call))


# --- clamp_min, clamp_max and logit (public ops the losses compose) ------------------------------

_V = [-1.0, 0.0, 0.5, 2.0, math.nan]
CLAMP_LOGIT = {
    "clamp_min": lambda m: m.clamp_min(m.tensor(_V, requires_grad=True), 0.5),
    "clamp_max_method": lambda m: m.tensor(_V, requires_grad=True).clamp_max(max=0),
    "clamp_min_int_float": lambda m: m.clamp_min(m.tensor([1, 2, 3]), 1.5),
    "clamp_min_int_int": lambda m: m.clamp_min(m.tensor([1, 2, 3]), 2),
    "clamp_min_int32_overflow": lambda m: m.clamp_min(m.tensor([1], dtype=m.int32), 2**40),
    "clamp_min_uint8_negative": lambda m: m.clamp_min(m.tensor([1, 2], dtype=m.uint8), -1),
    "clamp_min_bool_int": lambda m: m.clamp_min(m.tensor([True, False]), 1),
    "clamp_min_bool_bool": lambda m: m.clamp_min(m.tensor([True, False]), True),
    "clamp_min_numpy_float": lambda m: m.clamp_min(m.tensor([1, 2]), np.float32(1.5)),
    "clamp_min_none": lambda m: m.clamp_min(m.tensor([1.0]), None),
    "clamp_max_str": lambda m: m.clamp_max(m.tensor([1.0]), "a"),
    "clamp_min_tensor": lambda m: m.clamp_min(
        m.tensor(_V, requires_grad=True), m.tensor([0.0, 0.0, 1.0, 1.0, 0.0], requires_grad=True)
    ),
    "clamp_max_tensor": lambda m: m.clamp_max(m.tensor(_V), m.tensor([1.0], requires_grad=True)),
    "clamp_min_nan_bound": lambda m: m.clamp_min(m.tensor([1.0, 2.0]), m.tensor([math.nan, 0.0])),
    "clamp_min_0d_float64": lambda m: m.clamp_min(m.tensor([1.0]), m.tensor(1.5, dtype=m.float64)),
    "clamp_min_1d_float64": lambda m: m.clamp_min(
        m.tensor([1.0]), m.tensor([1.5], dtype=m.float64)
    ),
    "clamp_min_int_float_tensor": lambda m: m.clamp_min(m.tensor([1, 2]), m.tensor(1.5)),
    "clamp_max_bool_tensors": lambda m: m.clamp_max(m.tensor([True]), m.tensor([False, True])),
    "clamp_max_broadcast_error": lambda m: m.clamp_max(m.ones(2), m.ones(3)),
    "clamp_0d_float64_bound": lambda m: m.clamp(m.tensor([1.0, 2.0]), m.tensor(1.5).double()),
    "clamp_numpy_float_bound": lambda m: m.clamp(m.tensor([1, 2]), min=np.float32(1.5)),
    "logit": lambda m: m.logit(m.tensor([-0.5, 0.0, 0.25, 1.0, math.nan], requires_grad=True)),
    "logit_eps": lambda m: m.tensor([-0.5, 0.0, 0.25, 1.0, math.nan]).logit(eps=0.1),
    "logit_int": lambda m: m.logit(m.tensor([0, 1, 2])),
    "logit_bool": lambda m: m.logit(m.tensor([True, False])),
    "logit_float64_eps": lambda m: m.tensor([0.2, 0.7], dtype=m.float64).logit(0.25),
}


@pytest.mark.parametrize("name", list(CLAMP_LOGIT))
def test_clamp_min_clamp_max_logit_are_torchs(torch, name):
    """Values, dtypes, grad_fn names and exception types of the public ops, beside torch."""
    call = CLAMP_LOGIT[name]
    same_outcome(_outcome(chainrule, call), _outcome(torch, call), grad_fn=True)


# --- errors ---------------------------------------------------------------------------------------


ERRORS = {
    "ce_batch_mismatch": lambda m: F(m).cross_entropy(m.zeros(3, 4), _long(m, [0, 1])),
    "ce_target_2d": lambda m: F(m).cross_entropy(m.zeros(3, 4), _long(m, [[0], [1], [1]])),
    "ce_float_target": lambda m: F(m).cross_entropy(m.zeros(3, 4), m.tensor([0.0, 1.0, 2.0])),
    "nll_float_target": lambda m: F(m).nll_loss(m.zeros(3, 4), m.tensor([0.0, 1.0, 2.0])),
    "ce_int32_target": lambda m: F(m).cross_entropy(
        m.zeros(3, 4), m.tensor([0, 1, 2], dtype=m.int32)
    ),
    "ce_target_too_big": lambda m: F(m).cross_entropy(m.zeros(3, 4), _long(m, [0, 5, 2])),
    "ce_target_negative": lambda m: F(m).cross_entropy(m.zeros(3, 4), _long(m, [0, -1, 2])),
    "ce_target_out_of_range_3d": lambda m: F(m).cross_entropy(
        m.zeros(2, 4, 1), _long(m, [[0], [4]])
    ),
    # the first target out of range is named (torch's 'none' on a 2-d input splits the batch
    # among threads and may name another)
    "ce_target_out_of_range_ignored_first": lambda m: F(m).cross_entropy(
        m.zeros(3, 4), _long(m, [9, 6, 7]), ignore_index=9
    ),
    "ce_target_shape_3d": lambda m: F(m).cross_entropy(m.zeros(3, 2, 2), _long(m, [[0, 1, 1]] * 3)),
    "ce_target_dims_4d": lambda m: F(m).cross_entropy(m.zeros(3, 2, 2, 1), _long(m, [[0, 1]] * 3)),
    "ce_target_shape_4d": lambda m: F(m).nll_loss(
        m.zeros(2, 3, 2, 2), m.zeros(2, 3, 2, dtype=m.int64)
    ),
    "ce_target_shape_5d": lambda m: F(m).nll_loss(
        m.zeros(2, 3, 2, 2, 2), m.zeros(2, 2, 2, dtype=m.int64)
    ),
    "ce_unbatched_target_size": lambda m: F(m).cross_entropy(m.zeros(4), _long(m, [1, 2])),
    "nll_0d_input": lambda m: F(m).nll_loss(m.tensor(1.0), _long(m, 0)),
    "ce_0d_target_for_batch": lambda m: F(m).cross_entropy(m.zeros(2, 4), _long(m, 1)),
    "ce_weight_size": lambda m: F(m).cross_entropy(
        m.zeros(3, 4), _long(m, [0, 1, 2]), weight=m.ones(3)
    ),
    "ce_weight_size_spatial": lambda m: F(m).cross_entropy(
        m.zeros(2, 3, 2), m.zeros(2, 2, dtype=m.int64), weight=m.ones(2)
    ),
    "ce_weight_dtype": lambda m: F(m).cross_entropy(
        m.zeros(3, 4), _long(m, [0, 1, 2]), weight=m.ones(4, dtype=m.float64)
    ),
    "ce_smoothing_above_1": lambda m: F(m).cross_entropy(
        m.zeros(3, 4), _long(m, [0, 1, 2]), label_smoothing=1.5
    ),
    "ce_probs_smoothing_above_1": lambda m: F(m).cross_entropy(
        m.zeros(3, 4), m.ones(3, 4), label_smoothing=1.5
    ),
    "ce_probs_integer": lambda m: F(m).cross_entropy(m.zeros(3, 4), m.ones(3, 4, dtype=m.int64)),
    "ce_probs_ignore_index": lambda m: F(m).cross_entropy(
        m.zeros(3, 4), m.ones(3, 4), ignore_index=1
    ),
    "ce_probs_weight_size": lambda m: F(m).cross_entropy(
        m.zeros(3, 4), m.ones(3, 4), weight=m.ones(3)
    ),
    "ce_reduction": lambda m: F(m).cross_entropy(m.zeros(2, 3), _long(m, [0, 1]), reduction="avg"),
    "nll_reduction": lambda m: F(m).nll_loss(m.zeros(2, 3), _long(m, [0, 1]), reduction="avg"),
    "bce_input_above_1": lambda m: F(m).binary_cross_entropy(
        m.tensor([0.5, 1.5]), m.tensor([0.0, 1.0])
    ),
    "bce_input_negative": lambda m: F(m).binary_cross_entropy(
        m.tensor([0.5, -0.5]), m.tensor([0.0, 1.0])
    ),
    "bce_input_nan": lambda m: F(m).binary_cross_entropy(
        m.tensor([0.5, math.nan]), m.tensor([0.0, 1.0])
    ),
    "bce_target_above_1": lambda m: F(m).binary_cross_entropy(
        m.tensor([0.5, 0.5]), m.tensor([0.0, 2.0])
    ),
    "bce_shape": lambda m: F(m).binary_cross_entropy(m.tensor([0.5, 0.5]), m.zeros(3)),
    "bce_reduction": lambda m: F(m).binary_cross_entropy(
        m.tensor([0.5]), m.zeros(1), reduction="batchmean"
    ),
    "bce_logits_shape": lambda m: F(m).binary_cross_entropy_with_logits(m.zeros(2), m.zeros(3)),
    "bce_logits_weight_shape": lambda m: F(m).binary_cross_entropy_with_logits(
        m.zeros(2, 3), m.zeros(2, 3), weight=m.ones(2, 3, 2)
    ),
    "mse_shapes": lambda m: F(m).mse_loss(m.zeros(3, 2), m.zeros(3)),
    "l1_shapes": lambda m: F(m).l1_loss(m.zeros(3, 2), m.zeros(3)),
    "smooth_l1_shapes": lambda m: F(m).smooth_l1_loss(m.zeros(3, 2), m.zeros(3)),
    "huber_shapes": lambda m: F(m).huber_loss(m.zeros(3, 2), m.zeros(3)),
    "mse_reduction": lambda m: F(m).mse_loss(m.zeros(3), m.zeros(3), reduction="avg"),
    "l1_reduction": lambda m: F(m).l1_loss(m.zeros(3), m.zeros(3), reduction="avg"),
    "huber_reduction": lambda m: F(m).huber_loss(m.zeros(3), m.zeros(3), reduction="avg"),
    "mse_weight_reduction": lambda m: F(m).mse_loss(
        m.zeros(3), m.zeros(3), weight=m.ones(3), reduction="avg"
    ),
    "mse_weight_size": lambda m: F(m).mse_loss(m.zeros(3), m.zeros(3), weight=m.ones(2)),
    "l1_weight_size": lambda m: F(m).l1_loss(m.zeros(3), m.zeros(3), weight=m.ones(1)),
    "huber_weight_size": lambda m: F(m).huber_loss(m.zeros(3), m.zeros(3), weight=m.ones(3, 1)),
    "huber_delta_0": lambda m: F(m).huber_loss(m.zeros(3), m.zeros(3), delta=0.0),
    "smooth_l1_beta_negative": lambda m: F(m).smooth_l1_loss(m.zeros(3), m.zeros(3), beta=-1.0),
    "soft_margin_reduction": lambda m: F(m).soft_margin_loss(
        m.zeros(3), m.ones(3), reduction="bad"
    ),
    "kl_div_reduction": lambda m: F(m).kl_div(m.zeros(3), m.zeros(3), reduction="foo"),
    "kl_div_integer": lambda m: F(m).kl_div(m.zeros(3, dtype=m.int64), m.zeros(3), reduction="sum"),
    "poisson_reduction": lambda m: F(m).poisson_nll_loss(m.zeros(3), m.zeros(3), reduction="bad"),
    "gaussian_reduction": lambda m: F(m).gaussian_nll_loss(
        m.zeros(3), m.zeros(3), m.ones(3), reduction="bad"
    ),
    "gaussian_negative_var": lambda m: F(m).gaussian_nll_loss(
        m.zeros(3), m.zeros(3), m.tensor([1.0, -1.0, 1.0])
    ),
    "gaussian_negative_float_var": lambda m: F(m).gaussian_nll_loss(m.zeros(3), m.zeros(3), -1.0),
    "gaussian_var_size": lambda m: F(m).gaussian_nll_loss(
        m.zeros(3, 2), m.zeros(3, 2), m.ones(2, 3)
    ),
    "margin_ranking_dims": lambda m: F(m).margin_ranking_loss(m.zeros(3), m.zeros(3), m.ones(1, 3)),
    "margin_ranking_reduction": lambda m: F(m).margin_ranking_loss(
        m.zeros(3), m.zeros(3), m.ones(3), reduction="x"
    ),
    "hinge_reduction": lambda m: F(m).hinge_embedding_loss(m.zeros(3), m.ones(3), reduction="x"),
    "cosine_target_dims": lambda m: F(m).cosine_embedding_loss(
        m.ones(2, 3), m.ones(2, 3), m.ones(2, 1)
    ),
    "cosine_input_dims": lambda m: F(m).cosine_embedding_loss(
        m.ones(2, 3, 1), m.ones(2, 3, 1), m.ones(2)
    ),
    "cosine_unbatched_dims": lambda m: F(m).cosine_embedding_loss(
        m.ones(2, 3), m.ones(2, 3), m.tensor(1.0)
    ),
    "cosine_shapes": lambda m: F(m).cosine_embedding_loss(m.ones(2, 3), m.ones(2, 4), m.ones(2)),
    "triplet_margin": lambda m: F(m).triplet_margin_loss(
        m.ones(3, 2), m.ones(3, 2), m.ones(3, 2), margin=0.0
    ),
    "triplet_dims": lambda m: F(m).triplet_margin_loss(m.ones(3, 2), m.ones(3), m.ones(3, 2)),
}


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_are_torchs(torch, name):
    caught = []
    for m in (chainrule, torch):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                ERRORS[name](m)
        caught.append(info.value)
    ours, theirs = caught
    assert type(ours) is type(theirs), (ours, theirs)
    # the same message; chainrule may add detail (the shapes of a failed broadcast)
    assert str(ours).replace("chainrule.Size", "torch.Size").startswith(str(theirs)), (
        str(ours),
        str(theirs),
    )


def test_ignored_targets_may_lie_outside_the_classes(torch):
    check(
        torch,
        lambda m, x: F(m).cross_entropy(x, _long(m, [7, 0, 7]), ignore_index=7, reduction="none"),
        [LOGITS[:3, :, 0]],
    )
