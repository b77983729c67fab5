"""Normalisation, dropout and interpolation: what the generic OpInfo tests cannot cover.

Running statistics after one and two training calls, dropout's random masks (by their
statistics, since NumPy's stream is not torch's), channel masks, interpolate against torch over
random sizes and scale factors, torch's nearest-backward quirk, and the error cases.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule
from chainrule.autograd.gradcheck import gradcheck, gradgradcheck

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")


def F(m: Any) -> Any:
    return m.nn.functional


def np_of(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


# --- running statistics -------------------------------------------------------------------------


@needs_torch
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6), (2, 3, 4, 5)])
@pytest.mark.parametrize("momentum", [0.1, 0.5])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_running_stats_after_one_and_two_calls(shape, momentum, dtype) -> None:
    rng = np.random.default_rng(0)
    batches = [rng.standard_normal(shape).astype(dtype) * 2 + 1 for _ in range(2)]
    stats = {}
    for m in (chainrule, torch):
        rm = m.zeros(3, dtype=getattr(m, dtype))
        rv = m.ones(3, dtype=getattr(m, dtype))
        seen = []
        for b in batches:
            x = m.tensor(b, requires_grad=True)
            F(m).batch_norm(x, rm, rv, training=True, momentum=momentum).sum().backward()
            seen.append((np_of(rm).copy(), np_of(rv).copy()))
        assert not rm.requires_grad and rm.grad_fn is None
        stats[m.__name__] = seen
    rtol = 1e-5 if dtype == "float32" else 1e-12
    for (a_m, a_v), (b_m, b_v) in zip(stats["chainrule"], stats["torch"]):
        np.testing.assert_allclose(a_m, b_m, rtol=rtol, atol=rtol)
        np.testing.assert_allclose(a_v, b_v, rtol=rtol, atol=rtol)  # unbiased: n / (n - 1)


@needs_torch
def test_batch_norm_updates_in_place_and_eval_leaves_stats_alone() -> None:
    x = np.random.default_rng(1).standard_normal((6, 2, 3))
    for m in (chainrule, torch):
        rm, rv = m.zeros(2, dtype=m.float64), m.ones(2, dtype=m.float64)
        view = rm[:]  # shares memory: the update is in place
        F(m).batch_norm(m.tensor(x), rm, rv, training=True)
        assert np.array_equal(np_of(view), np_of(rm))
        before = (np_of(rm).copy(), np_of(rv).copy())
        F(m).batch_norm(m.tensor(x), rm, rv, training=False)
        assert np.array_equal(np_of(rm), before[0]) and np.array_equal(np_of(rv), before[1])


@needs_torch
def test_instance_norm_running_stats_match_torch() -> None:
    rng = np.random.default_rng(2)
    batches = [rng.standard_normal((3, 2, 5)) for _ in range(2)]
    got = {}
    for m in (chainrule, torch):
        rm, rv = m.zeros(2, dtype=m.float64), m.ones(2, dtype=m.float64)
        outs = []
        for b in batches:
            outs.append(np_of(F(m).instance_norm(m.tensor(b), rm, rv, momentum=0.3)))
        got[m.__name__] = (outs, np_of(rm), np_of(rv))
    for a, b in zip(got["chainrule"][0], got["torch"][0]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got["chainrule"][1], got["torch"][1], rtol=1e-12)
    np.testing.assert_allclose(got["chainrule"][2], got["torch"][2], rtol=1e-12)


def test_layer_norm_bias_only_second_derivatives() -> None:
    # torch's own double backward of layer_norm(weight=None, bias=b) raises, so the OpInfo
    # record cannot compare; finite differences check ours
    rng = np.random.default_rng(3)
    x = chainrule.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    b = chainrule.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    fn = lambda x, b: F(chainrule).layer_norm(x, (3, 4), bias=b)  # noqa: E731
    assert gradcheck(fn, (x, b))
    assert gradgradcheck(fn, (x, b))


# --- grad_fn names -----------------------------------------------------------------------------

GRAD_FNS = [
    pytest.param(lambda m, x: F(m).batch_norm(x, None, None, training=True), (4, 3, 2), id="bn"),
    pytest.param(lambda m, x: F(m).layer_norm(x, (2,)), (4, 3, 2), id="ln"),
    pytest.param(lambda m, x: F(m).group_norm(x, 3), (4, 3, 2), id="gn"),
    pytest.param(lambda m, x: F(m).instance_norm(x), (4, 3, 2), id="in"),
    pytest.param(lambda m, x: F(m).rms_norm(x, (2,)), (4, 3, 2), id="rms"),
    pytest.param(lambda m, x: F(m).dropout(x, 0.5), (4, 3, 2), id="dropout"),
    pytest.param(lambda m, x: F(m).dropout(x, 1.0), (4, 3, 2), id="dropout_p1"),
    pytest.param(lambda m, x: F(m).alpha_dropout(x, 0.5, True), (4, 3, 2), id="alpha"),
    pytest.param(lambda m, x: F(m).dropout1d(x, 0.5), (3, 2), id="dropout1d_unbatched"),
    pytest.param(lambda m, x: F(m).dropout2d(x, 0.5), (2, 3, 2, 2), id="dropout2d"),
    pytest.param(lambda m, x: F(m).interpolate(x, scale_factor=2), (1, 2, 3), id="near1d"),
    pytest.param(lambda m, x: F(m).interpolate(x, scale_factor=2), (1, 2, 3, 3), id="near2d"),
    pytest.param(
        lambda m, x: F(m).interpolate(x, size=4, mode="nearest-exact"), (1, 2, 3), id="exact1d"
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x, size=4, mode="nearest-exact"), (1, 2, 3, 3), id="exact2d"
    ),
    pytest.param(lambda m, x: F(m).interpolate(x, size=4, mode="linear"), (1, 2, 3), id="linear"),
    pytest.param(
        lambda m, x: F(m).interpolate(x, size=4, mode="bilinear"), (1, 2, 3, 3), id="bilinear"
    ),
]


@needs_torch
@pytest.mark.parametrize(("fn", "shape"), GRAD_FNS)
def test_grad_fn_names_match_torch(fn, shape) -> None:
    a = np.random.default_rng(4).standard_normal(shape)
    names = {}
    for m in (chainrule, torch):
        x = m.tensor(a, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = fn(m, x)
        v = m.ones(tuple(y.shape), dtype=m.float64, requires_grad=True)
        (g,) = m.autograd.grad(y, x, v, create_graph=True)
        second = None if g.grad_fn is None else type(g.grad_fn).__name__
        names[m.__name__] = (type(y.grad_fn).__name__, second if "Upsample" in str(second) else "")
    assert names["chainrule"] == names["torch"]


# --- dropout ------------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dropout_statistics_scale_and_gradient(p: float, dtype: str) -> None:
    chainrule.manual_seed(0)
    n = 200_000
    x = chainrule.tensor(
        np.random.default_rng(5).uniform(0.5, 2.0, n).astype(dtype), requires_grad=True
    )
    y = F(chainrule).dropout(x, p)
    assert y.dtype == x.dtype
    kept = y.data != 0
    sigma = np.sqrt(p * (1 - p) / n)
    assert abs(kept.mean() - (1 - p)) < 5 * sigma
    scale = np.asarray(1 / (1 - p), dtype)
    np.testing.assert_allclose(y.data[kept], x.data[kept] * scale, rtol=1e-6)
    y.backward(chainrule.ones_like(y))
    np.testing.assert_allclose(x.grad.data, kept * scale, rtol=1e-6)


def test_dropout_masks_follow_the_global_generator() -> None:
    x = chainrule.ones(1000)
    chainrule.manual_seed(7)
    a = F(chainrule).dropout(x, 0.5).data
    b = F(chainrule).dropout(x, 0.5).data
    chainrule.manual_seed(7)
    assert np.array_equal(F(chainrule).dropout(x, 0.5).data, a)
    assert not np.array_equal(a, b)


def test_dropout_edge_probabilities(lib) -> None:
    x = lib.tensor([[1.0, -2.0, 3.0], [0.5, 4.0, -1.0]], requires_grad=True)
    assert F(lib).dropout(x, 0.0) is x
    assert F(lib).dropout(x, 0.7, training=False) is x
    img = lib.ones(1, 2, 2, 2)
    assert F(lib).dropout2d(img, 0.7, training=False) is img
    assert F(lib).alpha_dropout(x, 0.7) is x  # training defaults to False
    y = F(lib).dropout(x, 1.0)
    assert np.array_equal(np_of(y), np.zeros((2, 3)))
    y.sum().backward()
    assert np.array_equal(np_of(x.grad), np.zeros((2, 3)))


@pytest.mark.parametrize("p", [-0.1, 1.5])
@pytest.mark.parametrize(
    "name", ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout"]
)
def test_dropout_probability_out_of_range(lib, name: str, p: float) -> None:
    with pytest.raises(ValueError, match=f"between 0 and 1, but got {p}"):
        getattr(F(lib), name)(lib.ones(2, 3, 4), p)


def test_dropout_inplace_returns_the_input(lib) -> None:
    lib.manual_seed(0)
    x = lib.ones(50, 40)
    y = F(lib).dropout(x, 0.5, inplace=True)
    assert y is x
    assert set(np.unique(np_of(x))) <= {0.0, 2.0}


@pytest.mark.parametrize(
    ("fn", "shape", "lead"),
    [
        ("dropout2d", (40, 30, 3, 4), 2),
        ("dropout2d", (40, 30, 5), 2),  # 3-D: read as (N, C, L), with torch's warning
        ("dropout1d", (40, 30, 5), 2),
        ("dropout1d", (300, 5), 1),  # unbatched: one draw per channel
        ("dropout3d", (10, 30, 2, 2, 2), 2),
    ],
)
def test_channel_dropout_zeroes_whole_channels(fn: str, shape: tuple, lead: int) -> None:
    chainrule.manual_seed(1)
    x = chainrule.tensor(np.random.default_rng(6).uniform(0.5, 2.0, shape), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = getattr(F(chainrule), fn)(x, 0.4)
    assert tuple(y.shape) == shape
    flat = y.data.reshape(int(np.prod(shape[:lead])), -1)
    dropped = (flat == 0).all(axis=1)
    kept = (flat != 0).all(axis=1)
    assert np.all(dropped | kept)  # every channel whole: dropped or kept
    n = dropped.size
    assert abs(dropped.mean() - 0.4) < 5 * np.sqrt(0.24 / n)
    y.backward(chainrule.ones_like(y))
    expect = np.repeat(kept / 0.6, flat.shape[1]).reshape(shape)
    np.testing.assert_allclose(x.grad.data, expect, rtol=1e-12)


def test_alpha_dropout_keeps_mean_and_variance() -> None:
    chainrule.manual_seed(2)
    x = chainrule.tensor(np.random.default_rng(7).standard_normal(400_000), requires_grad=True)
    y = F(chainrule).alpha_dropout(x, 0.3, training=True)
    assert abs(y.data.mean()) < 0.01 and abs(y.data.std() - 1) < 0.01
    alpha = 1.7580993408473766  # dropped values become -alpha' = -scale * alpha, then affine
    a = 1 / np.sqrt((alpha**2 * 0.3 + 1) * 0.7)
    kept = np.isclose(y.data, a * x.data + alpha * a * 0.3, rtol=0, atol=1e-12)
    assert np.allclose(y.data[~kept], -alpha * a + alpha * a * 0.3)
    y.backward(chainrule.ones_like(y))
    np.testing.assert_allclose(x.grad.data, np.where(kept, a, 0.0))


def test_dropout2d_warns_as_torch(lib) -> None:
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        F(lib).dropout2d(lib.ones(2, 3, 4), 0.5)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        F(lib).dropout2d(lib.ones(2, 3), 0.5)


def test_channel_dropout_errors(lib) -> None:
    with pytest.raises(RuntimeError, match="Expected 2D or 3D input, but received a 4D input"):
        F(lib).dropout1d(lib.ones(2, 3, 4, 5), 0.5)
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="at least 2 dimensions"):
        F(lib).dropout2d(lib.ones(3), 0.5)


# --- interpolate against torch ------------------------------------------------------------------


@st.composite
def interp_cases(draw: Any) -> tuple:
    """(input shape, kwargs): 1 or 2 spatial dims, a size or a scale factor, each mode."""
    ndim = draw(st.sampled_from([1, 2]))
    modes = ["nearest", "nearest-exact", "linear" if ndim == 1 else "bilinear"]
    mode = draw(st.sampled_from(modes))
    spatial = tuple(draw(st.integers(1, 7)) for _ in range(ndim))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + spatial
    kw: dict = {"mode": mode}
    if mode not in ("nearest", "nearest-exact"):
        kw["align_corners"] = draw(st.sampled_from([None, False, True]))
    if draw(st.booleans()):
        sizes = [draw(st.integers(1, 11)) for _ in range(ndim)]
        kw["size"] = sizes if ndim > 1 or draw(st.booleans()) else sizes[0]
    else:
        scale = st.floats(0.25, 3.5).filter(lambda s: all(int(n * s) > 0 for n in spatial))
        scales = [draw(scale) for _ in range(ndim)]
        kw["scale_factor"] = scales if ndim > 1 else scales[0]
        if draw(st.booleans()):
            kw["recompute_scale_factor"] = True
    return shape, kw


@needs_torch
@given(case=interp_cases(), dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 99))
def test_interpolate_matches_torch(case: tuple, dtype: str, seed: int) -> None:
    shape, kw = case
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape).astype(dtype)
    res = {}
    for m in (chainrule, torch):
        x = m.tensor(a, requires_grad=True)
        y = F(m).interpolate(x, **kw)
        g = np.random.default_rng(seed + 1).standard_normal(tuple(y.shape)).astype(dtype)
        y.backward(m.tensor(g))
        res[m.__name__] = (np_of(y), np_of(x.grad), type(y.grad_fn).__name__)
    ours, theirs = res["chainrule"], res["torch"]
    tol = 1e-6 if dtype == "float32" else 1e-14
    assert ours[0].shape == theirs[0].shape and ours[0].dtype == theirs[0].dtype
    assert ours[2] == theirs[2]
    np.testing.assert_allclose(ours[0], theirs[0], rtol=tol, atol=tol)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=tol, atol=tol)


@needs_torch
@pytest.mark.parametrize(("n", "scale"), [(6, 1.1), (5, 2.1), (4, 1.2)])
def test_nearest_1d_gradient_is_torchs_not_the_forwards(n: int, scale: float) -> None:
    # ATen's 1-D nearest forward applies the scale factor; its backward copies when the sizes
    # match and halves when the output is twice the input (6 * 1.1 -> 6, 5 * 2.1 -> 10). The
    # gradient therefore differs from the forward's derivative, and chainrule follows torch
    a = np.arange(n, dtype=np.float64).reshape(1, 1, n)
    res = {}
    for m in (chainrule, torch):
        x = m.tensor(a, requires_grad=True)
        y = F(m).interpolate(x, scale_factor=scale)
        y.backward(m.tensor(np.arange(y.shape[-1], dtype=np.float64).reshape(y.shape) + 1))
        res[m.__name__] = (np_of(y), np_of(x.grad))
    np.testing.assert_array_equal(res["chainrule"][0], res["torch"][0])
    np.testing.assert_array_equal(res["chainrule"][1], res["torch"][1])


@needs_torch
def test_interpolate_nearest_keeps_integer_dtype() -> None:
    a = np.arange(24, dtype=np.uint8).reshape(1, 2, 3, 4)
    ours = F(chainrule).interpolate(chainrule.tensor(a), size=(5, 3))
    theirs = F(torch).interpolate(torch.tensor(a), size=(5, 3))
    assert ours.dtype == chainrule.uint8
    np.testing.assert_array_equal(ours.data, np_of(theirs))


def test_interpolate_empty_batch(lib) -> None:
    x = lib.zeros(0, 2, 3, 3, requires_grad=True)
    y = F(lib).interpolate(x, scale_factor=2, mode="bilinear")
    assert tuple(y.shape) == (0, 2, 6, 6)


@needs_torch
@pytest.mark.parametrize("alias", ["upsample", "upsample_nearest", "upsample_bilinear"])
def test_upsample_aliases_warn_and_match_interpolate(alias: str) -> None:
    a = np.random.default_rng(8).standard_normal((1, 2, 3, 3))
    outs = []
    for m in (chainrule, torch):
        with pytest.warns(UserWarning, match=f"nn.functional.{alias}` is deprecated"):
            outs.append(np_of(getattr(F(m), alias)(m.tensor(a), scale_factor=2)))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12)


# --- errors, as torch's -------------------------------------------------------------------------

ERRORS = [
    pytest.param(
        lambda m, x: F(m).batch_norm(x, m.zeros(2), m.ones(3), training=True),
        RuntimeError,
        "running_mean should contain 3 elements not 2",
        id="bn_running_mean_len",
    ),
    pytest.param(
        lambda m, x: F(m).batch_norm(x, m.zeros(3), m.ones(4)),
        RuntimeError,
        "running_var should contain 3 elements not 4",
        id="bn_running_var_len",
    ),
    pytest.param(
        lambda m, x: F(m).batch_norm(x, m.zeros(3), m.ones(3), m.ones(2)),
        RuntimeError,
        "weight should contain 3 elements not 2",
        id="bn_weight_len",
    ),
    pytest.param(
        lambda m, x: F(m).batch_norm(x, None, None),
        RuntimeError,
        "running_mean must be defined in evaluation mode",
        id="bn_eval_no_stats",
    ),
    pytest.param(
        lambda m, x: F(m).batch_norm(x, m.zeros(3), None, training=True),
        ValueError,
        "both be None or neither",
        id="bn_half_stats",
    ),
    pytest.param(
        lambda m, x: F(m).batch_norm(x[:1, :, :1], None, None, training=True),
        ValueError,
        r"more than 1 value per channel when training, got input size",
        id="bn_one",
    ),
    pytest.param(
        lambda m, x: F(m).batch_norm(x, None, None, training=True, eps=0.0),
        ValueError,
        "eps must be positive during training",
        id="bn_eps",
    ),
    pytest.param(
        lambda m, x: F(m).batch_norm(x, m.zeros(3, requires_grad=True), m.ones(3)),
        RuntimeError,
        "not differentiable with respect to argument 'running_mean'",
        id="bn_stats_require_grad",
    ),
    pytest.param(
        lambda m, x: F(m).layer_norm(x, (3, 5)),
        RuntimeError,
        r"Given normalized_shape=\[3, 5\], expected input with shape \[\*, 3, 5\], "
        r"but got input of size\[2, 3, 4\]",
        id="ln_shape",
    ),
    pytest.param(
        lambda m, x: F(m).layer_norm(x, (4,), m.ones(3)),
        RuntimeError,
        r"weight of shape \[3\] and normalized_shape = \[4\]",
        id="ln_weight",
    ),
    pytest.param(
        lambda m, x: F(m).layer_norm(x, (4,), None, m.ones(4, 1)),
        RuntimeError,
        r"bias of shape \[4, 1\] and normalized_shape = \[4\]",
        id="ln_bias",
    ),
    pytest.param(
        lambda m, x: F(m).layer_norm(x, ()),
        RuntimeError,
        "normalized_shape to be at least 1-dimensional",
        id="ln_empty",
    ),
    pytest.param(
        lambda m, x: F(m).layer_norm(x, 4),
        TypeError,
        "must be tuple of ints, not int",
        id="ln_int_shape",
    ),
    pytest.param(
        lambda m, x: F(m).rms_norm(x, (5,)),
        RuntimeError,
        r"Given normalized_shape=\[5\], expected input with shape \[\*5\]",
        id="rms_shape",
    ),
    pytest.param(
        lambda m, x: F(m).group_norm(x, 2),
        RuntimeError,
        r"divisible by num_groups, but got input of shape \[2, 3, 4\] and "
        "num_groups=2",
        id="gn_groups",
    ),
    pytest.param(
        lambda m, x: F(m).group_norm(x, 3, m.ones(2)),
        RuntimeError,
        r"weight of shape \[2\] and input of shape \[2, 3, 4\]",
        id="gn_weight",
    ),
    pytest.param(
        lambda m, x: F(m).group_norm(x[0, 0], 1),
        RuntimeError,
        "Expected at least 2 dimensions for input tensor but received 1",
        id="gn_1d",
    ),
    pytest.param(
        lambda m, x: F(m).instance_norm(x[:, :, :1]),
        ValueError,
        "more than 1 spatial element when training",
        id="in_one",
    ),
    pytest.param(
        lambda m, x: F(m).instance_norm(x, use_input_stats=False),
        RuntimeError,
        "running_mean and running_var to be defined",
        id="in_eval_no_stats",
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x, size=3, scale_factor=2),
        ValueError,
        "only one of size or scale_factor should be defined",
        id="interp_both",
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x),
        ValueError,
        "either size or scale_factor should be defined",
        id="interp_neither",
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x, size=3, mode="cubic"),
        NotImplementedError,
        r"\(got 3D\) for the modes: .* \(got cubic\)",
        id="interp_mode",
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x, size=3, align_corners=True),
        ValueError,
        "align_corners option can only be set",
        id="interp_align_nearest",
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x, size=(3, 3)),
        ValueError,
        r"spatial dimensions of \[4\] and output size of \(3, 3\)",
        id="interp_len",
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x, scale_factor=(2.0, 2.0)),
        ValueError,
        r"spatial dimensions of \[4\] and scale_factor of shape",
        id="interp_slen",
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x, size=[2.5]),
        TypeError,
        "expected size to be one of int",
        id="interp_float_size",
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x, size=3, mode="bilinear"),
        NotImplementedError,
        "Got 3D input, but bilinear mode needs 4D input",
        id="interp_bil3d",
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x[None], size=3, mode="linear"),
        NotImplementedError,
        "Got 4D input, but linear mode needs 3D input",
        id="interp_lin4d",
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x[0], size=3),
        NotImplementedError,
        r"Only 3D, 4D and 5D input Tensors supported \(got 2D\)",
        id="interp_2d_input",
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x, scale_factor=0.1),
        RuntimeError,
        r"sizes should be greater than 0, but got input \(W: 4\) and output \(W: 0\)",
        id="interp_zero_size",
    ),
    pytest.param(
        lambda m, x: F(m).interpolate(x[None], size=(2, 0)),
        RuntimeError,
        r"input \(H: 3, W: 4\) output \(H: 2, W: 0\)",
        id="interp_zero_2d",
    ),
]


@pytest.mark.parametrize(("fn", "exc", "match"), ERRORS)
def test_errors_as_torch(lib, fn, exc, match) -> None:
    x = lib.ones(2, 3, 4)
    with pytest.raises(exc, match=match):
        fn(lib, x)
