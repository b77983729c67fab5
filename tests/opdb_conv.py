"""Op database records: convolution and pooling (ops/conv.py, ops/pool.py, nn.functional).

Shapes stay tiny, so gradcheck and gradgradcheck in float64 stay fast. Max pooling records are
`distinct` (no ties in any window, so finite differences are valid); tie conventions are tested
against torch in test_conv.py.
"""

from __future__ import annotations

from opinfo import LOOSE_TOL, OpInfo


def _f(m):  # noqa: ANN001, ANN202 - the module's nn.functional
    return m.nn.functional


OPS: list[OpInfo] = [
    # --- conv2d ----------------------------------------------------------------------------------
    OpInfo(
        "conv2d",
        lambda m, x, w, b: _f(m).conv2d(x, w, b),
        (((2, 3, 5, 5), (4, 3, 3, 3), (4,)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_torch",
        lambda m, x, w: m.conv2d(x, w),
        (((1, 2, 4, 5), (3, 2, 2, 3)),),
        tol=LOOSE_TOL,
    ),  # fmt: skip
    OpInfo(
        "conv2d_stride_padding",
        lambda m, x, w, b: _f(m).conv2d(x, w, b, stride=2, padding=1),
        (((1, 2, 5, 6), (3, 2, 3, 3), (3,)), ((2, 1, 4, 4), (2, 1, 2, 2), (2,))),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_tuples",
        lambda m, x, w: _f(m).conv2d(x, w, stride=(1, 2), padding=(2, 0), dilation=(1, 2)),
        (((1, 2, 4, 7), (2, 2, 3, 2)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_dilation",
        lambda m, x, w: _f(m).conv2d(x, w, padding=1, dilation=2),
        (((1, 2, 6, 5), (2, 2, 2, 3)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_groups",
        lambda m, x, w, b: _f(m).conv2d(x, w, b, groups=2),
        (((2, 4, 4, 4), (6, 2, 2, 2), (6,)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_depthwise",
        lambda m, x, w: _f(m).conv2d(x, w, stride=2, padding=1, groups=3),
        (((1, 3, 5, 4), (6, 1, 3, 3)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_same_odd",
        lambda m, x, w: _f(m).conv2d(x, w, padding="same", dilation=2),
        (((1, 2, 5, 5), (2, 2, 3, 3)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_same_even",  # torch's asymmetric 'same': the extra zero goes after
        lambda m, x, w, b: _f(m).conv2d(x, w, b, padding="same"),
        (((1, 2, 4, 5), (3, 2, 2, 4), (3,)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_valid",
        lambda m, x, w: _f(m).conv2d(x, w, padding="valid"),
        (((1, 1, 4, 4), (2, 1, 3, 2)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_unbatched",
        lambda m, x, w, b: _f(m).conv2d(x, w, b, padding=1),
        (((2, 4, 3), (3, 2, 3, 3), (3,)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_1x1",
        lambda m, x, w: _f(m).conv2d(x, w),
        (((2, 3, 3, 2), (2, 3, 1, 1)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_empty_batch",
        lambda m, x, w, b: _f(m).conv2d(x, w, b),
        (((0, 2, 4, 4), (3, 2, 3, 3), (3,)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_only_weight",
        lambda m, x, w, b: _f(m).conv2d(x, w, b, stride=2),
        (((2, 2, 5, 5), (3, 2, 3, 3), (3,)),),
        diff=(False, True, True),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv2d_only_input",
        lambda m, x, w: _f(m).conv2d(x, w, padding=1),
        (((1, 2, 4, 4), (3, 2, 3, 3)),),
        diff=(True, False),
        tol=LOOSE_TOL,
    ),
    # --- conv1d ----------------------------------------------------------------------------------
    OpInfo(
        "conv1d",
        lambda m, x, w, b: _f(m).conv1d(x, w, b),
        (((2, 3, 7), (4, 3, 3), (4,)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv1d_args",
        lambda m, x, w: m.conv1d(x, w, stride=2, padding=2, dilation=2, groups=2),
        (((2, 4, 9), (2, 2, 3)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv1d_same_even",
        lambda m, x, w: _f(m).conv1d(x, w, padding="same"),
        (((1, 2, 6), (3, 2, 4)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv1d_unbatched",
        lambda m, x, w, b: _f(m).conv1d(x, w, b, stride=2),
        (((3, 8), (2, 3, 3), (2,)),),
        tol=LOOSE_TOL,
    ),
    # --- conv_transpose --------------------------------------------------------------------------
    OpInfo(
        "conv_transpose2d",
        lambda m, x, w, b: _f(m).conv_transpose2d(x, w, b),
        (((2, 3, 3, 3), (3, 2, 3, 3), (2,)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv_transpose2d_stride",
        lambda m, x, w: m.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1),
        (((1, 2, 3, 3), (2, 3, 3, 3)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv_transpose2d_groups_dilation",
        lambda m, x, w, b: _f(m).conv_transpose2d(
            x, w, b, stride=(2, 1), padding=(0, 1), output_padding=(1, 0), groups=2, dilation=2
        ),
        (((1, 4, 3, 3), (4, 1, 2, 3), (2,)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv_transpose2d_unbatched",
        lambda m, x, w: _f(m).conv_transpose2d(x, w, stride=2),
        (((2, 2, 3), (2, 2, 2, 2)),),
        tol=LOOSE_TOL,
    ),
    OpInfo(
        "conv_transpose1d",
        lambda m, x, w, b: m.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2),
        (((2, 2, 4), (2, 3, 3), (3,)),),
        tol=LOOSE_TOL,
    ),
    # --- max pooling (no ties: distinct) ---------------------------------------------------------
    OpInfo(
        "max_pool2d",
        lambda m, x: _f(m).max_pool2d(x, 2),
        (((2, 2, 4, 4),), ((1, 1, 5, 3),)),
        distinct=True,
    ),  # fmt: skip
    OpInfo(
        "max_pool2d_torch", lambda m, x: m.max_pool2d(x, 2, 1), (((1, 2, 3, 4),),), distinct=True
    ),
    OpInfo(
        "max_pool2d_stride_padding",
        lambda m, x: _f(m).max_pool2d(x, 3, stride=2, padding=1),
        (((1, 2, 5, 6),),),
        distinct=True,
    ),
    OpInfo(
        "max_pool2d_dilation_ceil",
        lambda m, x: _f(m).max_pool2d(
            x, (2, 3), stride=(2, 1), padding=(1, 1), dilation=(2, 1), ceil_mode=True
        ),
        (((1, 1, 6, 5),),),
        distinct=True,
    ),
    OpInfo(
        "max_pool2d_return_indices",
        lambda m, x: _f(m).max_pool2d(x, 2, stride=1, return_indices=True)[0],
        (((1, 2, 3, 3),),),
        distinct=True,
    ),
    OpInfo(
        "max_pool2d_unbatched",
        lambda m, x: _f(m).max_pool2d(x, (2, 1)),
        (((2, 4, 3),),),
        distinct=True,
    ),  # fmt: skip
    OpInfo(
        "max_pool1d",
        lambda m, x: _f(m).max_pool1d(x, 3, stride=2, padding=1),
        (((2, 2, 7),), ((3, 6),)),
        distinct=True,
    ),
    OpInfo(
        "max_pool1d_torch",
        lambda m, x: m.max_pool1d(x, 2, 1, 0, 2, True),
        (((1, 2, 6),),),
        distinct=True,
    ),
    OpInfo(
        "max_pool1d_with_indices",
        lambda m, x: _f(m).max_pool1d(x, 2, ceil_mode=True, return_indices=True)[0],
        (((2, 2, 5),),),
        distinct=True,
    ),
    # --- average pooling -------------------------------------------------------------------------
    OpInfo("avg_pool2d", lambda m, x: _f(m).avg_pool2d(x, 2), (((2, 2, 4, 4),), ((3, 4, 5),))),
    OpInfo(
        "avg_pool2d_stride_padding",
        lambda m, x: _f(m).avg_pool2d(x, 3, stride=2, padding=1),
        (((1, 2, 5, 6),),),
    ),
    OpInfo(
        "avg_pool2d_ceil_exclude_pad",
        lambda m, x: _f(m).avg_pool2d(
            x, (3, 2), stride=2, padding=1, ceil_mode=True, count_include_pad=False
        ),
        (((1, 2, 6, 5),),),
    ),
    OpInfo(
        "avg_pool2d_ceil_include_pad",
        lambda m, x: _f(m).avg_pool2d(x, 3, stride=2, padding=1, ceil_mode=True),
        (((1, 1, 6, 6),),),
    ),
    OpInfo(
        "avg_pool2d_divisor_override",
        lambda m, x: _f(m).avg_pool2d(x, 2, stride=1, padding=1, divisor_override=3),
        (((1, 2, 3, 4),),),
    ),
    OpInfo(
        "avg_pool1d",
        lambda m, x: _f(m).avg_pool1d(x, 3, stride=2, padding=1, ceil_mode=True),
        (((2, 2, 6),), ((2, 7),)),
    ),
    OpInfo(
        "avg_pool1d_torch",
        lambda m, x: m.avg_pool1d(x, 2, 1, 1, False, False),
        (((1, 2, 5),),),
    ),
    # --- adaptive pooling ------------------------------------------------------------------------
    OpInfo(
        "adaptive_avg_pool2d",
        lambda m, x: _f(m).adaptive_avg_pool2d(x, (3, 4)),
        (((2, 2, 5, 7),), ((2, 4, 6),)),
    ),
    OpInfo(
        "adaptive_avg_pool2d_global",  # torch's shortcut: a mean (MeanBackward1)
        lambda m, x: _f(m).adaptive_avg_pool2d(x, 1),
        (((2, 3, 4, 4),),),
    ),
    OpInfo(
        "adaptive_avg_pool2d_none_upsample",
        lambda m, x: _f(m).adaptive_avg_pool2d(x, (None, 5)),
        (((1, 2, 3, 3),),),
    ),
    OpInfo(
        "adaptive_avg_pool1d",
        lambda m, x: m.adaptive_avg_pool1d(x, 3),
        (((2, 2, 7),), ((2, 4),)),
    ),
    OpInfo(
        "adaptive_max_pool2d",
        lambda m, x: _f(m).adaptive_max_pool2d(x, (3, 4)),
        (((1, 2, 5, 7),), ((2, 4, 6),)),
        distinct=True,
    ),
    OpInfo(
        "adaptive_max_pool2d_upsample",
        lambda m, x: _f(m).adaptive_max_pool2d(x, (4, 5), return_indices=True)[0],
        (((1, 1, 3, 4),),),
        distinct=True,
    ),
    OpInfo(
        "adaptive_max_pool1d",
        lambda m, x: m.adaptive_max_pool1d(x, 3)[0],
        (((2, 2, 7),),),
        distinct=True,
    ),
]
