"""OpInfo records: normalisation, dropout (the deterministic cases) and interpolation.

Running statistics are fresh tensors built inside each lambda, so every call (chainrule, torch,
each gradcheck evaluation) starts from the same state. Random dropout masks cannot match
torch's; test_norm.py checks their statistics instead.
"""

from __future__ import annotations

from typing import Any

from opinfo import LOOSE_TOL, OpInfo


def _F(m: Any) -> Any:
    return m.nn.functional


def _stats(m: Any, x: Any) -> tuple[Any, Any]:
    """Running mean and (positive) running variance, one per channel of x."""
    c = x.shape[1]
    return m.linspace(-1.0, 1.0, c, dtype=x.dtype), m.linspace(0.5, 2.0, c, dtype=x.dtype)


def _bn_train(m: Any, x: Any, w: Any, b: Any) -> Any:
    c = x.shape[1]
    rm, rv = m.zeros(c, dtype=x.dtype), m.ones(c, dtype=x.dtype)
    return _F(m).batch_norm(x, rm, rv, w, b, training=True)


def _bn_eval(m: Any, x: Any, w: Any, b: Any) -> Any:
    return _F(m).batch_norm(x, *_stats(m, x), w, b, training=False, eps=1e-3)


def _in_running(m: Any, x: Any) -> Any:
    c = x.shape[1]
    rm, rv = m.zeros(c, dtype=x.dtype), m.ones(c, dtype=x.dtype)
    return _F(m).instance_norm(x, rm, rv, momentum=0.3)


NORM3 = (((4, 3), (3,), (3,)), ((2, 3, 4), (3,), (3,)), ((2, 3, 2, 2), (3,), (3,)))
LN3 = (((2, 3), (3,), (3,)), ((2, 3, 4), (3, 4), (3, 4)), ((5,), (5,), (5,)))
GN3 = (((2, 4, 3), (4,), (4,)), ((2, 6, 2, 2), (6,), (6,)), ((3, 4), (4,), (4,)))
IMG = (((1, 2, 3, 4),), ((2, 1, 2, 3),))
SEQ = (((1, 2, 4),), ((2, 1, 3),))

OPS: list[OpInfo] = [
    # --- batch norm ------------------------------------------------------------------------------
    OpInfo("batch_norm_train", _bn_train, NORM3, tol=LOOSE_TOL),
    OpInfo(
        "batch_norm_train_no_stats",
        lambda m, x, w, b: _F(m).batch_norm(x, None, None, w, b, True, 0.1, 1e-3),
        NORM3,
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "batch_norm_train_no_affine",
        lambda m, x: _F(m).batch_norm(x, None, None, training=True),
        tuple(s[:1] for s in NORM3),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "batch_norm_train_weight_only",
        lambda m, x, w: _F(m).batch_norm(x, None, None, w, training=True),
        tuple(s[:2] for s in NORM3),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "batch_norm_train_only_params",
        _bn_train,
        NORM3[1:],
        diff=(False, True, True),
        tol=LOOSE_TOL,
    ),
    OpInfo("batch_norm_eval", _bn_eval, NORM3, tol=LOOSE_TOL),
    OpInfo(
        "batch_norm_eval_no_affine",
        lambda m, x: _F(m).batch_norm(x, *_stats(m, x)),
        tuple(s[:1] for s in NORM3),
        tol=LOOSE_TOL,
    ),
    # --- layer norm ------------------------------------------------------------------------------
    OpInfo(
        "layer_norm",
        lambda m, x, w, b: _F(m).layer_norm(x, w.shape, w, b),
        LN3,
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "layer_norm_no_affine",
        lambda m, x: _F(m).layer_norm(x, x.shape[-1:]),
        (((2, 3),), ((2, 3, 4),), ((4,),)),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "layer_norm_list_shape_eps",
        lambda m, x, w: _F(m).layer_norm(x, [x.shape[-1]], w, eps=0.1),
        (((3, 4), (4,)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "layer_norm_bias_only",
        lambda m, x, b: _F(m).layer_norm(x, b.shape, bias=b),
        (((2, 3, 4), (3, 4)),),
        gradgrad=False,  # torch's double backward fails without a weight; test_norm.py checks ours
        tol=LOOSE_TOL,
    ),
    # --- group norm ------------------------------------------------------------------------------
    OpInfo(
        "group_norm",
        lambda m, x, w, b: _F(m).group_norm(x, 2, w, b),
        GN3,
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "group_norm_no_affine",
        lambda m, x: _F(m).group_norm(x, x.shape[1], eps=1e-3),
        (((2, 4, 3),), ((2, 3, 2, 2),)),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "group_norm_one_group",
        lambda m, x, w: _F(m).group_norm(x, 1, w),
        (((2, 4, 3), (4,)),),
        tol=LOOSE_TOL,
    ),
    # --- instance norm, rms norm -----------------------------------------------------------------
    OpInfo(
        "instance_norm",
        lambda m, x, w, b: _F(m).instance_norm(x, weight=w, bias=b),
        (((2, 3, 4), (3,), (3,)), ((2, 2, 2, 3), (2,), (2,))),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "instance_norm_no_affine",
        lambda m, x: _F(m).instance_norm(x),
        (((2, 3, 4),), ((1, 2, 2, 2),)),
        tol=LOOSE_TOL,
    ),
    OpInfo("instance_norm_running", _in_running, (((2, 3, 4),),), tol=LOOSE_TOL),
    OpInfo(
        "instance_norm_eval",
        lambda m, x: _F(m).instance_norm(x, *_stats(m, x), use_input_stats=False),
        (((2, 3, 4),), ((2, 2, 2, 2),)),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "rms_norm",
        lambda m, x, w: _F(m).rms_norm(x, w.shape, w),
        (((2, 3), (3,)), ((2, 3, 4), (3, 4))),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "rms_norm_no_weight_eps",
        lambda m, x: _F(m).rms_norm(x, x.shape[-1:], eps=1e-2),
        (((2, 3),), ((4,),)),
        tol=LOOSE_TOL,
    ),
    # --- dropout: the deterministic cases --------------------------------------------------------
    OpInfo("dropout_p0", lambda m, x: _F(m).dropout(x * 1.5, p=0.0), ((((2, 3),), ((4,),)))),
    OpInfo(
        "dropout_eval", lambda m, x: _F(m).dropout(x * 1.5, 0.7, training=False), ((((2, 3),),))
    ),
    OpInfo("dropout2d_p0", lambda m, x: _F(m).dropout2d(x * 2, 0.0), ((((2, 3, 2, 2),),))),
    OpInfo(
        "dropout1d_unbatched_eval",
        lambda m, x: _F(m).dropout1d(x, 0.5, training=False),
        ((((3, 4),),)),
    ),
    OpInfo("alpha_dropout_eval", lambda m, x: _F(m).alpha_dropout(x * 1.5, 0.3), ((((2, 3),),))),
    # --- interpolate -----------------------------------------------------------------------------
    OpInfo("interpolate_nearest_2d", lambda m, x: _F(m).interpolate(x, scale_factor=2), IMG),
    OpInfo(
        "interpolate_nearest_2d_size",
        lambda m, x: _F(m).interpolate(x, size=(5, 3)),
        IMG,
    ),
    OpInfo(
        "interpolate_nearest_2d_down",
        lambda m, x: _F(m).interpolate(x, scale_factor=(0.5, 0.7)),
        (((1, 2, 4, 5),),),
    ),
    OpInfo("interpolate_nearest_1d", lambda m, x: _F(m).interpolate(x, scale_factor=3), SEQ),
    OpInfo("interpolate_nearest_1d_size", lambda m, x: _F(m).interpolate(x, size=7), SEQ),
    OpInfo(
        "interpolate_nearest_exact_2d",
        lambda m, x: _F(m).interpolate(x, size=(5, 7), mode="nearest-exact"),
        IMG,
    ),
    OpInfo(
        "interpolate_nearest_exact_1d",
        lambda m, x: _F(m).interpolate(x, scale_factor=1.7, mode="nearest-exact"),
        SEQ,
    ),
    OpInfo(
        "interpolate_linear",
        lambda m, x: _F(m).interpolate(x, scale_factor=2.5, mode="linear"),
        SEQ,
    ),
    OpInfo(
        "interpolate_linear_align",
        lambda m, x: _F(m).interpolate(x, size=6, mode="linear", align_corners=True),
        SEQ,
    ),
    OpInfo(
        "interpolate_linear_down",
        lambda m, x: _F(m).interpolate(x, size=2, mode="linear"),
        (((1, 2, 5),),),
    ),
    OpInfo(
        "interpolate_bilinear",
        lambda m, x: _F(m).interpolate(x, scale_factor=2, mode="bilinear"),
        IMG,
    ),
    OpInfo(
        "interpolate_bilinear_size",
        lambda m, x: _F(m).interpolate(x, size=(4, 7), mode="bilinear", align_corners=False),
        IMG,
    ),
    OpInfo(
        "interpolate_bilinear_align",
        lambda m, x: _F(m).interpolate(x, size=(5, 2), mode="bilinear", align_corners=True),
        IMG,
    ),
    OpInfo(
        "interpolate_bilinear_scale_pair",
        lambda m, x: _F(m).interpolate(x, scale_factor=(1.5, 0.6), mode="bilinear"),
        (((1, 2, 3, 5),),),
    ),
]
