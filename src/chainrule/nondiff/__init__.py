"""Gradients through non-differentiable operations: straight-through estimators, surrogate
gradients for the step, smooth relaxations, soft sorting and ranking, Gumbel-softmax,
score-function (REINFORCE) estimators and diagnostics comparing gradient estimators."""

from chainrule.nondiff._estimator_stats import (
    EstimatorStats,
    ToyProblem,
    compare_estimators,
    estimator_stats,
    format_table,
    sample_gradients,
    toy_problem,
)
from chainrule.nondiff._gumbel import gumbel_softmax, relaxed_bernoulli
from chainrule.nondiff._score import (
    MovingAverageBaseline,
    baseline_loss,
    magic_box,
    reinforce_loss,
)
from chainrule.nondiff._soft import (
    soft_abs,
    soft_argmax,
    soft_clamp,
    soft_max,
    soft_min,
    soft_relu,
    soft_round,
    soft_sign,
)
from chainrule.nondiff._sort import soft_rank, soft_sort
from chainrule.nondiff._ste import (
    binarize,
    floor_ste,
    heaviside_ste,
    quantize_ste,
    round_ste,
    sign_ste,
    straight_through,
)
from chainrule.nondiff._surrogate import SURROGATES, heaviside, register_surrogate

__all__ = [
    "EstimatorStats",
    "MovingAverageBaseline",
    "SURROGATES",
    "ToyProblem",
    "baseline_loss",
    "compare_estimators",
    "estimator_stats",
    "format_table",
    "magic_box",
    "reinforce_loss",
    "sample_gradients",
    "toy_problem",
    "binarize",
    "floor_ste",
    "gumbel_softmax",
    "heaviside",
    "heaviside_ste",
    "quantize_ste",
    "register_surrogate",
    "relaxed_bernoulli",
    "round_ste",
    "sign_ste",
    "soft_abs",
    "soft_argmax",
    "soft_clamp",
    "soft_max",
    "soft_min",
    "soft_rank",
    "soft_relu",
    "soft_round",
    "soft_sign",
    "soft_sort",
    "straight_through",
]
