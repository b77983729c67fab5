"""Gradients through non-differentiable operations: straight-through estimators, surrogate
gradients for the step, smooth relaxations, soft sorting and ranking, Gumbel-softmax."""

from chainrule.nondiff._gumbel import gumbel_softmax, relaxed_bernoulli
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
    "SURROGATES",
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
