"""OpInfo records for the losses of nn.functional (loss.py, _loss_regression.py,
_loss_probabilistic.py): every loss, argument form and reduction.

Targets, weights and masks are constants built inside the lambdas from the input's shape, so the
same record serves every sample. Piecewise losses get a record with a constant target and
`kinks=` at their break points (|x - y| = beta, the margin, 0 for l1), so finite differences
are valid there; the conventions *at* those points are tested in test_loss.py.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from opinfo import LOOSE_TOL, OpInfo, _t

REDUCTIONS = ("none", "mean", "sum")


def _F(m: Any) -> Any:
    return m.nn.functional


def _quiet(fn: Callable[..., Any]) -> Callable[..., Any]:
    """fn without the warnings torch gives for these calls on purpose (a target that broadcasts,
    kl_div's 'mean'); test_loss.py checks those warnings."""

    def run(*args: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args)

    return run


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(x.shape)


def _full(m: Any, x: Any, value: float) -> Any:
    """A constant target of x's shape and dtype."""
    return _t(m, np.full(_shape(x), value), dtype=x.dtype)


def _signs(m: Any, x: Any, values: tuple = (1.0, -1.0)) -> Any:
    """A constant target of x's shape cycling through `values` (+-1 labels by default)."""
    n = math.prod(_shape(x))
    return _t(m, np.resize(np.array(values), n).reshape(_shape(x)), dtype=x.dtype)


def _classes(m: Any, x: Any) -> Any:
    """Class indices for logits x of shape (C,), (N, C) or (N, C, d1, ...), every class used."""
    shape = _shape(x)
    if len(shape) == 1:
        return _t(m, 2 % shape[0])
    tshape = (shape[0], *shape[2:])
    indices = (np.arange(math.prod(tshape)) * 2 + 1) % max(shape[1], 1)
    return _t(m, indices.reshape(tshape).tolist(), dtype=m.int64)


def _class_weight(m: Any, x: Any) -> Any:
    c = _shape(x)[0 if x.dim() == 1 else 1]
    return _t(m, np.linspace(0.5, 2.0, c), dtype=x.dtype)


def _elementwise_weight(m: Any, x: Any) -> Any:
    n = math.prod(_shape(x))
    return _t(m, np.linspace(0.25, 1.75, n).reshape(_shape(x)), dtype=x.dtype)


PAIRS = (((3,), (3,)), ((2, 3), (2, 3)))
PAIRS_EMPTY = (*PAIRS, ((2, 0), (2, 0)))
BROADCAST = (((2, 3), (3,)), ((2, 1), (1, 3)))
ONE = (((3,),), ((2, 3),))
LOGITS = (((3, 4),), ((2, 3),))
SPATIAL = (((2, 3, 2),), ((2, 3, 2, 2),), ((1, 3, 1, 2, 2),))
TRIPLES = (((2, 3), (2, 3), (2, 3)), ((3,), (3,), (3,)))

OPS: list[OpInfo] = []

# --- regression: mse, l1, smooth_l1, huber ----------------------------------------------------
for r in REDUCTIONS:
    OPS += [
        OpInfo(
            f"mse_loss_{r}",
            lambda m, x, y, r=r: _F(m).mse_loss(x, y, reduction=r),
            PAIRS_EMPTY if r != "mean" else PAIRS,
        ),
        OpInfo(
            f"mse_loss_weight_{r}",
            lambda m, x, y, r=r: _F(m).mse_loss(
                x, y, reduction=r, weight=_elementwise_weight(m, x)
            ),
            PAIRS,
        ),
        OpInfo(
            f"l1_loss_{r}",
            lambda m, x, y, r=r: _F(m).l1_loss(x, y, reduction=r),
            PAIRS_EMPTY if r != "mean" else PAIRS,
        ),
        OpInfo(
            f"l1_loss_kinks_{r}",
            lambda m, x, r=r: _F(m).l1_loss(x, _full(m, x, 0.5), reduction=r),
            ONE,
            kinks=(0.5,),
        ),
        OpInfo(
            f"l1_loss_weight_{r}",
            lambda m, x, y, r=r: _F(m).l1_loss(x, y, reduction=r, weight=_elementwise_weight(m, x)),
            PAIRS,
        ),
        OpInfo(
            f"smooth_l1_loss_{r}",
            lambda m, x, y, r=r: _F(m).smooth_l1_loss(x, y, reduction=r, beta=0.5),
            PAIRS,
        ),
        OpInfo(
            f"smooth_l1_loss_kinks_{r}",
            lambda m, x, r=r: _F(m).smooth_l1_loss(x, _full(m, x, 0.0), reduction=r, beta=0.5),
            ONE,
            kinks=(-0.5, 0.5),
        ),
        OpInfo(
            f"huber_loss_{r}",
            lambda m, x, y, r=r: _F(m).huber_loss(x, y, reduction=r, delta=0.7),
            PAIRS,
        ),
        OpInfo(
            f"huber_loss_kinks_{r}",
            lambda m, x, r=r: _F(m).huber_loss(x, _full(m, x, 0.2), reduction=r, delta=0.7),
            ONE,
            kinks=(-0.5, 0.9),
        ),
        OpInfo(
            f"huber_loss_weight_{r}",
            lambda m, x, y, r=r: _F(m).huber_loss(
                x, y, reduction=r, weight=_elementwise_weight(m, x)
            ),
            PAIRS,
        ),
    ]
OPS += [
    OpInfo("mse_loss_broadcast", _quiet(lambda m, x, y: _F(m).mse_loss(x, y)), BROADCAST),
    OpInfo(
        "mse_loss_only_target",
        lambda m, x, y: _F(m).mse_loss(x, y, reduction="sum"),
        PAIRS,
        diff=(False, True),
    ),
    OpInfo("l1_loss_broadcast", _quiet(lambda m, x, y: _F(m).l1_loss(x, y)), BROADCAST),
    OpInfo("smooth_l1_loss_default", lambda m, x, y: _F(m).smooth_l1_loss(x, y), PAIRS),
    OpInfo(
        "smooth_l1_loss_beta0",
        lambda m, x: _F(m).smooth_l1_loss(x, _full(m, x, 0.0), beta=0.0),
        ONE,
        kinks=(0.0,),
    ),
    OpInfo(
        "smooth_l1_loss_broadcast",
        _quiet(lambda m, x, y: _F(m).smooth_l1_loss(x, y, reduction="sum", beta=2.0)),
        BROADCAST,
    ),
    OpInfo("huber_loss_default", lambda m, x, y: _F(m).huber_loss(x, y), PAIRS),
]

# --- margin losses -----------------------------------------------------------------------------
for r in REDUCTIONS:
    OPS += [
        OpInfo(
            f"soft_margin_loss_{r}",
            lambda m, x, r=r: _F(m).soft_margin_loss(x, _signs(m, x), reduction=r),
            ONE,
        ),
        OpInfo(
            f"margin_ranking_loss_{r}",
            lambda m, x, y, r=r: _F(m).margin_ranking_loss(
                x, y, _signs(m, x), margin=0.2, reduction=r
            ),
            PAIRS,
        ),
        OpInfo(
            f"margin_ranking_loss_kinks_{r}",
            lambda m, x, r=r: _F(m).margin_ranking_loss(
                x, _full(m, x, 0.0), _signs(m, x), margin=0.3, reduction=r
            ),
            ONE,
            kinks=(-0.3, 0.3),
        ),
        OpInfo(
            f"hinge_embedding_loss_{r}",
            lambda m, x, r=r: _F(m).hinge_embedding_loss(x, _signs(m, x), reduction=r),
            ONE,
            kinks=(1.0,),
        ),
        OpInfo(
            f"cosine_embedding_loss_{r}",
            lambda m, x, y, r=r: _F(m).cosine_embedding_loss(
                x, y, _signs(m, x.sum(-1)), margin=-0.2, reduction=r
            ),
            (((3, 4), (3, 4)), ((2, 2), (2, 2))),
        ),
        OpInfo(
            f"triplet_margin_loss_{r}",
            lambda m, a, p, n, r=r: _F(m).triplet_margin_loss(a, p, n, margin=2.0, reduction=r),
            TRIPLES,
        ),
    ]
OPS += [
    OpInfo(
        "hinge_embedding_loss_margin",
        lambda m, x: _F(m).hinge_embedding_loss(x, _signs(m, x, (1.0, -1.0, 0.5)), margin=0.5),
        ONE,
        kinks=(0.5,),
    ),
    OpInfo(
        "margin_ranking_loss_default",
        lambda m, x, y: _F(m).margin_ranking_loss(x, y, _signs(m, x)),
        PAIRS,
    ),
    OpInfo(
        "cosine_embedding_loss_unbatched",
        lambda m, x, y: _F(m).cosine_embedding_loss(x, y, _t(m, -1.0, dtype=x.dtype)),
        (((4,), (4,)),),
    ),
    OpInfo(
        "cosine_embedding_loss_positive",
        lambda m, x, y: _F(m).cosine_embedding_loss(x, y, _full(m, x.sum(-1), 1.0)),
        (((3, 4), (3, 4)),),
    ),
    OpInfo(
        "triplet_margin_loss_p1_swap",
        lambda m, a, p, n: _F(m).triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True),
        TRIPLES,
    ),
    OpInfo(
        "triplet_margin_loss_p3",
        lambda m, a, p, n: _F(m).triplet_margin_loss(a, p, n, margin=2.0, p=3, eps=1e-3),
        TRIPLES,
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "triplet_margin_loss_p1.5",
        lambda m, a, p, n: _F(m).triplet_margin_loss(a, p, n, margin=2.0, p=1.5),
        TRIPLES,
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "triplet_margin_loss_pinf",
        lambda m, a, p, n: _F(m).triplet_margin_loss(a, p, n, margin=2.0, p=math.inf),
        TRIPLES,
    ),
    OpInfo(
        "triplet_margin_loss_swap_default",
        lambda m, a, p, n: _F(m).triplet_margin_loss(a, p, n, swap=True),
        TRIPLES,
    ),
]

# --- cross_entropy and nll_loss with class indices ---------------------------------------------
for r in REDUCTIONS:
    OPS += [
        OpInfo(
            f"cross_entropy_index_{r}",
            lambda m, x, r=r: _F(m).cross_entropy(x, _classes(m, x), reduction=r),
            ((*LOGITS, ((0, 3),)) if r != "mean" else LOGITS),
        ),
        OpInfo(
            f"cross_entropy_weight_{r}",
            lambda m, x, r=r: _F(m).cross_entropy(
                x, _classes(m, x), reduction=r, weight=_class_weight(m, x)
            ),
            LOGITS,
        ),
        OpInfo(
            f"cross_entropy_ignore_index_{r}",
            lambda m, x, r=r: _F(m).cross_entropy(x, _classes(m, x), reduction=r, ignore_index=1),
            LOGITS,
        ),
        OpInfo(
            f"cross_entropy_weight_ignore_index_{r}",
            lambda m, x, r=r: _F(m).cross_entropy(
                x, _classes(m, x), reduction=r, weight=_class_weight(m, x), ignore_index=3
            ),
            LOGITS,
        ),
        OpInfo(
            f"cross_entropy_label_smoothing_{r}",
            lambda m, x, r=r: _F(m).cross_entropy(
                x, _classes(m, x), reduction=r, label_smoothing=0.2
            ),
            LOGITS,
        ),
        OpInfo(
            f"cross_entropy_label_smoothing_weight_ignore_{r}",
            lambda m, x, r=r: _F(m).cross_entropy(
                x,
                _classes(m, x),
                reduction=r,
                weight=_class_weight(m, x),
                ignore_index=1,
                label_smoothing=0.3,
            ),
            LOGITS,
        ),
        OpInfo(
            f"cross_entropy_spatial_{r}",
            lambda m, x, r=r: _F(m).cross_entropy(x, _classes(m, x), reduction=r),
            SPATIAL,
        ),
        OpInfo(
            f"cross_entropy_spatial_weight_ignore_smoothing_{r}",
            lambda m, x, r=r: _F(m).cross_entropy(
                x,
                _classes(m, x),
                reduction=r,
                weight=_class_weight(m, x),
                ignore_index=0,
                label_smoothing=0.1,
            ),
            SPATIAL,
        ),
        OpInfo(
            f"cross_entropy_unbatched_{r}",
            lambda m, x, r=r: _F(m).cross_entropy(
                x, _classes(m, x), reduction=r, weight=_class_weight(m, x), label_smoothing=0.1
            ),
            (((4,),),),
        ),
        OpInfo(
            f"nll_loss_index_{r}",
            lambda m, x, r=r: _F(m).nll_loss(x, _classes(m, x), reduction=r),
            LOGITS,
        ),
        OpInfo(
            f"nll_loss_weight_ignore_index_{r}",
            lambda m, x, r=r: _F(m).nll_loss(
                x, _classes(m, x), reduction=r, weight=_class_weight(m, x), ignore_index=1
            ),
            (*LOGITS, *SPATIAL),
        ),
        OpInfo(
            f"nll_loss_unbatched_{r}",
            lambda m, x, r=r: _F(m).nll_loss(x, _classes(m, x), reduction=r),
            (((4,),),),
        ),
        # --- class probabilities (the target is differentiable too) ---------------------------
        OpInfo(
            f"cross_entropy_probs_{r}",
            lambda m, x, y, r=r: _F(m).cross_entropy(x, y, reduction=r),
            (((3, 4), (3, 4)), ((4,), (4,)), ((2, 3, 2), (2, 3, 2))),
            domain=("real", "probability"),
        ),
        OpInfo(
            f"cross_entropy_probs_weight_smoothing_{r}",
            lambda m, x, y, r=r: _F(m).cross_entropy(
                x, y, reduction=r, label_smoothing=0.25, weight=_class_weight(m, x)
            ),
            (((3, 4), (3, 4)), ((4,), (4,)), ((2, 3, 2), (2, 3, 2))),
            domain=("real", "probability"),
        ),
    ]

# --- binary cross-entropies --------------------------------------------------------------------
for r in REDUCTIONS:
    OPS += [
        OpInfo(
            f"binary_cross_entropy_{r}",
            lambda m, x, y, r=r: _F(m).binary_cross_entropy(x, y, reduction=r),
            PAIRS,
            domain=("probability",),
        ),
        OpInfo(
            f"binary_cross_entropy_weight_{r}",
            lambda m, x, y, r=r: _F(m).binary_cross_entropy(
                x, y, reduction=r, weight=_t(m, [0.5, 1.0, 2.0], dtype=x.dtype)
            ),
            PAIRS,
            domain=("probability",),
        ),
        OpInfo(
            f"binary_cross_entropy_with_logits_{r}",
            lambda m, x, y, r=r: _F(m).binary_cross_entropy_with_logits(x, y, reduction=r),
            PAIRS,
            domain=("real", "probability"),
        ),
        OpInfo(
            f"binary_cross_entropy_with_logits_weights_{r}",
            lambda m, x, y, r=r: _F(m).binary_cross_entropy_with_logits(
                x,
                y,
                reduction=r,
                weight=_elementwise_weight(m, x),
                pos_weight=_t(m, [3.0, 0.5, 1.5], dtype=x.dtype),
            ),
            PAIRS,
            domain=("real", "probability"),
        ),
    ]
OPS += [
    OpInfo(
        "binary_cross_entropy_only_input",
        lambda m, x: _F(m).binary_cross_entropy(x, _signs(m, x, (1.0, 0.0, 0.3))),
        ONE,
        domain=("probability",),
    ),
    OpInfo(
        "binary_cross_entropy_with_logits_pos_weight",
        lambda m, x, y: _F(m).binary_cross_entropy_with_logits(
            x, y, pos_weight=_t(m, [3.0, 0.5, 1.5], dtype=x.dtype)
        ),
        PAIRS,
        domain=("real", "probability"),
    ),
]

# --- kl_div, poisson_nll_loss, gaussian_nll_loss -----------------------------------------------
for r in (*REDUCTIONS, "batchmean"):
    OPS += [
        OpInfo(
            f"kl_div_{r}",
            _quiet(lambda m, x, y, r=r: _F(m).kl_div(x, y, reduction=r)),
            PAIRS,
            domain=("real", "probability"),
        ),
        OpInfo(
            f"kl_div_log_target_{r}",
            _quiet(lambda m, x, y, r=r: _F(m).kl_div(x, y, reduction=r, log_target=True)),
            PAIRS,
        ),
    ]
OPS += [
    OpInfo(
        "kl_div_only_input",
        lambda m, x: _F(m).kl_div(x, _signs(m, x, (0.0, 0.25, 0.75)), reduction="batchmean"),
        ONE,
    ),
]
for r in REDUCTIONS:
    OPS += [
        OpInfo(
            f"poisson_nll_loss_{r}",
            lambda m, x, y, r=r: _F(m).poisson_nll_loss(x, y, reduction=r),
            PAIRS,
            domain=("real", "positive"),
        ),
        OpInfo(
            f"poisson_nll_loss_full_{r}",
            lambda m, x, y, r=r: _F(m).poisson_nll_loss(
                x, y, log_input=False, full=True, reduction=r
            ),
            PAIRS,
            domain=("positive",),
            kinks=(1.0,),
        ),
        OpInfo(
            f"gaussian_nll_loss_{r}",
            lambda m, x, y, v, r=r: _F(m).gaussian_nll_loss(x, y, v, reduction=r),
            (((2, 3), (2, 3), (2, 3)), ((2, 3), (2, 3), (2,)), ((2, 3), (2, 3), (2, 1))),
            domain=("real", "real", "positive"),
        ),
    ]
OPS += [
    OpInfo(
        "poisson_nll_loss_full_constant_target",
        lambda m, x: _F(m).poisson_nll_loss(x, _signs(m, x, (0.0, 1.0, 3.0)), full=True, eps=1e-3),
        ONE,
    ),
    # var below eps is clamped, yet its gradient passes as if it were not (torch's choice):
    # against torch only, finite differences would see the clamp
    OpInfo(
        "gaussian_nll_loss_full_eps",
        lambda m, x, y, v: _F(m).gaussian_nll_loss(x, y, v, full=True, eps=0.75),
        (((2, 3), (2, 3), (2, 3)),),
        domain=("real", "real", "positive"),
        gradcheck=False,
    ),
    OpInfo(
        "gaussian_nll_loss_float_var",
        lambda m, x, y: _F(m).gaussian_nll_loss(x, y, 0.5, reduction="sum"),
        PAIRS,
    ),
]
