"""OpInfo records for nn.functional's activations, softmax family, linear layers, embedding and
distances (read by the generic tests in test_ops.py; run them with `-k nnf_`).

Piecewise ops list their kinks, in terms of the record's input x, so that finite differences
are valid; the conventions at the kinks themselves are tested in test_activation.py. Inputs are
scaled (`x * 4`) where the kinks of an op lie outside the samples' usual range.
"""

from __future__ import annotations

from typing import Any

from opinfo import LOOSE_TOL, UNARY, OpInfo, _t


def F(m: Any) -> Any:
    return m.nn.functional


U3 = UNARY[:3]  # (), (3,), (2, 3)
ROWS = (((3, 4),), ((5,),), ((2, 3, 2),))  # for ops along a dim
INF = float("inf")

OPS: list[OpInfo] = [
    # --- piecewise linear ------------------------------------------------------------------------
    OpInfo("nnf_relu", lambda m, x: F(m).relu(x), UNARY, kinks=(0.0,)),
    OpInfo("nnf_relu6", lambda m, x: F(m).relu6(x * 4), UNARY, kinks=(0.0, 1.5)),
    OpInfo("nnf_hardtanh", lambda m, x: F(m).hardtanh(x), UNARY, kinks=(-1.0, 1.0)),
    OpInfo(
        "nnf_hardtanh_bounds",
        lambda m, x: F(m).hardtanh(x, min_val=-0.5, max_val=0.25),
        U3,
        kinks=(-0.5, 0.25),
    ),
    OpInfo("nnf_leaky_relu", lambda m, x: F(m).leaky_relu(x), UNARY, kinks=(0.0,)),
    OpInfo("nnf_leaky_relu_slope", lambda m, x: F(m).leaky_relu(x, 0.2), U3, kinks=(0.0,)),
    OpInfo("nnf_leaky_relu_negative", lambda m, x: F(m).leaky_relu(x, -0.3), U3, kinks=(0.0,)),
    OpInfo("nnf_threshold", lambda m, x: F(m).threshold(x, 0.5, -2.0), UNARY, kinks=(0.5,)),
    OpInfo("nnf_threshold_above", lambda m, x: F(m).threshold(x, -0.2, 3.0), U3, kinks=(-0.2,)),
    # torch has no second derivative for hardsigmoid: gradgrad would fail on its side
    OpInfo(
        "nnf_hardsigmoid",
        lambda m, x: F(m).hardsigmoid(x * 4),
        UNARY,
        kinks=(-0.75, 0.75),
        gradgrad=False,
    ),
    OpInfo("nnf_hardswish", lambda m, x: F(m).hardswish(x * 4), UNARY, kinks=(-0.75, 0.75)),
    # --- exponential units -----------------------------------------------------------------------
    OpInfo("nnf_elu", lambda m, x: F(m).elu(x), UNARY, kinks=(0.0,)),
    OpInfo("nnf_elu_alpha", lambda m, x: F(m).elu(x, 0.5), U3, kinks=(0.0,)),
    OpInfo("nnf_elu_alpha_negative", lambda m, x: F(m).elu(x, alpha=-0.5), U3, kinks=(0.0,)),
    OpInfo("nnf_selu", lambda m, x: F(m).selu(x), UNARY, kinks=(0.0,)),
    OpInfo("nnf_celu", lambda m, x: F(m).celu(x), UNARY, kinks=(0.0,)),
    OpInfo("nnf_celu_alpha", lambda m, x: F(m).celu(x, 2.0), U3, kinks=(0.0,)),
    OpInfo("nnf_celu_alpha_small", lambda m, x: F(m).celu(x, alpha=0.3), U3, kinks=(0.0,)),
    # --- smooth ----------------------------------------------------------------------------------
    OpInfo("nnf_gelu", lambda m, x: F(m).gelu(x), UNARY),
    OpInfo("nnf_gelu_wide", lambda m, x: F(m).gelu(x * 4), U3),
    OpInfo("nnf_gelu_tanh", lambda m, x: F(m).gelu(x, approximate="tanh"), UNARY),
    # float32: 1 + tanh(u) cancels in the left tail; torch and chainrule round differently there
    OpInfo(
        "nnf_gelu_tanh_wide",
        lambda m, x: F(m).gelu(x * 4, approximate="tanh"),
        U3,
        tol=LOOSE_TOL,
    ),
    OpInfo("nnf_silu", lambda m, x: F(m).silu(x), UNARY),
    OpInfo("nnf_silu_wide", lambda m, x: F(m).silu(x * 10), U3),
    OpInfo("nnf_mish", lambda m, x: F(m).mish(x), UNARY),
    OpInfo("nnf_mish_wide", lambda m, x: F(m).mish(x * 10), U3),
    OpInfo("nnf_softplus", lambda m, x: F(m).softplus(x), UNARY),
    OpInfo(
        "nnf_softplus_beta_threshold",
        lambda m, x: F(m).softplus(x, beta=2.0, threshold=1.0),
        U3,
        kinks=(0.5,),  # beta x = threshold: the derivative jumps from sigmoid(1) to 1
    ),
    OpInfo("nnf_softplus_linear_part", lambda m, x: F(m).softplus(x * 30), U3, kinks=(2 / 3,)),
    OpInfo("nnf_logsigmoid", lambda m, x: F(m).logsigmoid(x), UNARY),
    OpInfo("nnf_logsigmoid_wide", lambda m, x: F(m).logsigmoid(x * 30), U3),
    # softsign's second derivative jumps at 0
    OpInfo("nnf_softsign", lambda m, x: F(m).softsign(x), UNARY, kinks=(0.0,)),
    OpInfo("nnf_tanhshrink", lambda m, x: F(m).tanhshrink(x), UNARY),
    OpInfo("nnf_sigmoid", lambda m, x: F(m).sigmoid(x), U3),
    OpInfo("nnf_tanh", lambda m, x: F(m).tanh(x), U3),
    OpInfo("nnf_glu", lambda m, x: F(m).glu(x), (((2, 4),), ((6,),), ((3, 2, 2),))),
    OpInfo("nnf_glu_dim0", lambda m, x: F(m).glu(x, 0), (((4, 3),), ((2, 0),))),
    # --- softmax family --------------------------------------------------------------------------
    OpInfo("nnf_softmax", lambda m, x: F(m).softmax(x, -1), ROWS + (((),), ((2, 0),))),
    OpInfo("nnf_softmax_dim0", lambda m, x: F(m).softmax(x, dim=0), (((3, 4),), ((0, 3),))),
    OpInfo("nnf_softmax_wide", lambda m, x: F(m).softmax(x * 30, 1), (((3, 4),),)),
    OpInfo("nnf_softmax_dtype", lambda m, x: F(m).softmax(x, 1, dtype=m.float64), (((2, 3),),)),
    OpInfo("nnf_log_softmax", lambda m, x: F(m).log_softmax(x, -1), ROWS + (((),), ((2, 0),))),
    OpInfo("nnf_log_softmax_mid", lambda m, x: F(m).log_softmax(x, dim=1), (((2, 3, 2),),)),
    OpInfo(
        "nnf_log_softmax_dtype",
        lambda m, x: F(m).log_softmax(x, 0, dtype=m.float64),
        (((3, 2),),),
    ),
    OpInfo("nnf_softmin", lambda m, x: F(m).softmin(x, -1), ROWS),
    OpInfo("nnf_softmin_dim0", lambda m, x: F(m).softmin(x, 0, dtype=m.float64), (((3, 2),),)),
    # --- linear layers ---------------------------------------------------------------------------
    OpInfo(
        "nnf_linear",
        lambda m, x, w, b: F(m).linear(x, w, b),
        (((3, 4), (5, 4), (5,)), ((2, 3, 4), (5, 4), (5,)), ((4,), (2, 4), (2,))),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "nnf_linear_no_bias",
        lambda m, x, w: F(m).linear(x, w),
        (((3, 4), (5, 4)), ((2, 1, 3), (2, 3)), ((3,), (2, 3)), ((0, 3), (2, 3))),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "nnf_linear_bias_broadcast",
        lambda m, x, w, b: F(m).linear(x, w, b),
        (((3, 4), (5, 4), (3, 5)), ((3, 4), (5, 4), ())),
        tol=LOOSE_TOL,
    ),
    OpInfo("nnf_linear_weight_1d", lambda m, x, w: F(m).linear(x, w), (((3, 4), (4,)),)),
    OpInfo(
        "nnf_linear_only_x",
        lambda m, x, w, b: F(m).linear(x, w, b),
        (((3, 4), (5, 4), (5,)),),
        diff=(True, False, False),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "nnf_linear_only_weight",
        lambda m, x, w, b: F(m).linear(x, w, b),
        (((3, 4), (5, 4), (5,)),),
        diff=(False, True, True),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "nnf_bilinear",
        lambda m, x1, x2, w, b: F(m).bilinear(x1, x2, w, b),
        (((3, 4), (3, 2), (5, 4, 2), (5,)), ((2, 3, 2), (2, 3, 3), (2, 2, 3), (2,))),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "nnf_bilinear_no_bias",
        lambda m, x1, x2, w: F(m).bilinear(x1, x2, w),
        (((3, 4), (3, 2), (5, 4, 2)), ((4,), (2,), (3, 4, 2))),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "nnf_bilinear_only_weight",
        lambda m, x1, x2, w: F(m).bilinear(x1, x2, w),
        (((3, 4), (3, 2), (5, 4, 2)),),
        diff=(False, False, True),
        tol=LOOSE_TOL,
    ),
    # --- embedding -------------------------------------------------------------------------------
    OpInfo(
        "nnf_embedding", lambda m, w: F(m).embedding(_t(m, [[1, 2, 1], [0, 3, 1]]), w), (((4, 3),),)
    ),
    # padding_idx and scale_grad_by_freq change the gradient on purpose: it is not the
    # derivative, so finite differences do not apply (torch's values are the reference)
    OpInfo(
        "nnf_embedding_padding",
        lambda m, w: F(m).embedding(_t(m, [[1, 2, 1], [0, 3, 1]]), w, padding_idx=1),
        (((4, 3),),),
        gradcheck=False,
    ),
    OpInfo(
        "nnf_embedding_padding_negative",
        lambda m, w: F(m).embedding(_t(m, [3, 0, 3]), w, padding_idx=-1),
        (((4, 2),),),
        gradcheck=False,
    ),
    OpInfo(
        "nnf_embedding_scale_grad",
        lambda m, w: F(m).embedding(_t(m, [1, 2, 1, 1]), w, padding_idx=2, scale_grad_by_freq=True),
        (((3, 2),),),
        gradcheck=False,
    ),
    OpInfo(
        "nnf_embedding_int32",
        lambda m, w: F(m).embedding(_t(m, [[2], [0]], dtype=m.int32), w),
        (((3, 2),),),
    ),
    # --- normalize and distances -----------------------------------------------------------------
    OpInfo("nnf_normalize", lambda m, x: F(m).normalize(x), (((3, 4),), ((2, 3, 2),))),
    OpInfo("nnf_normalize_dim0", lambda m, x: F(m).normalize(x, dim=0), (((3,),), ((),))),
    OpInfo(
        "nnf_normalize_p1", lambda m, x: F(m).normalize(x, p=1, dim=-1), (((3, 4),),), kinks=(0.0,)
    ),
    OpInfo("nnf_normalize_p3", lambda m, x: F(m).normalize(x, 3.0, -1), (((3, 4),),)),
    OpInfo(
        "nnf_normalize_p1_5", lambda m, x: F(m).normalize(x, 1.5, -1), (((3, 4),),), kinks=(0.0,)
    ),
    OpInfo(
        "nnf_normalize_p0_5", lambda m, x: F(m).normalize(x, 0.5, 0), (((3, 4),),), kinks=(0.0,)
    ),
    OpInfo(
        "nnf_normalize_pinf",
        lambda m, x: F(m).normalize(x, INF, 1),
        (((3, 4),),),
        kinks=(0.0,),
        distinct=True,
    ),
    OpInfo(
        "nnf_cosine_similarity",
        lambda m, x, y: F(m).cosine_similarity(x, y),
        (((3, 4), (3, 4)), ((2, 3, 2), (2, 3, 2))),
    ),
    OpInfo(
        "nnf_cosine_similarity_broadcast",
        lambda m, x, y: F(m).cosine_similarity(x, y, dim=0, eps=1e-6),
        (((3, 1), (3, 4)), ((1, 4), (3, 4)), ((3,), (3,))),
    ),
    OpInfo(
        "nnf_cosine_similarity_last",
        lambda m, x, y: F(m).cosine_similarity(x, y, -1),
        (((4,), (2, 4)), ((2, 3), (2, 3))),
    ),
    OpInfo(
        "nnf_pairwise_distance",
        lambda m, x, y: F(m).pairwise_distance(x, y),
        (((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (4,)), ((), ())),
    ),
    OpInfo(
        "nnf_pairwise_distance_p1_keepdim",
        lambda m, x, y: F(m).pairwise_distance(x, y, p=1.0, keepdim=True),
        (((3, 4), (3, 4)),),
        distinct=True,
    ),
    OpInfo(
        "nnf_pairwise_distance_p3",
        lambda m, x, y: F(m).pairwise_distance(x, y, 3.0, eps=1e-3),
        (((2, 3), (2, 3)),),
    ),
]
