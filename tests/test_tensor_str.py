"""chainrule's tensor text rendering must match PyTorch's ``repr(tensor)`` exactly.

Every expectation is produced by torch itself, with ``torch.`` renamed to ``chainrule.``.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")


def _load_module() -> ModuleType:
    """Import chainrule._tensor_str, or load the file alone if the package will not import."""
    try:
        from chainrule import _tensor_str

        return _tensor_str
    except Exception:  # noqa: BLE001 - a half-written package may fail in any way
        path = Path(__file__).resolve().parents[1] / "src" / "chainrule" / "_tensor_str.py"
        spec = importlib.util.spec_from_file_location("_chainrule_tensor_str", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module


ts = _load_module()

HYPOTHESIS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=400,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)


@pytest.fixture(autouse=True)
def _default_printoptions():
    torch.set_printoptions(profile="default")
    ts.set_printoptions(profile="default")
    yield
    torch.set_printoptions(profile="default")
    ts.set_printoptions(profile="default")


def _named_grad_fn(name: str) -> type:
    """An autograd Function whose nodes print as ``grad_fn=<{name}Backward>``."""

    def forward(ctx, x):
        return x.clone()

    def backward(ctx, grad):
        return grad

    attrs = {"forward": staticmethod(forward), "backward": staticmethod(backward)}
    return type(name, (torch.autograd.Function,), attrs)


def _torch_tensor(arr: np.ndarray, grad: str | None) -> tuple[object, list[str]]:
    """The torch tensor for ``arr`` and the suffixes chainrule's caller would pass."""
    t = torch.from_numpy(np.array(arr, order="C", copy=True))
    if grad is None:
        return t, []
    if grad == "requires_grad":
        return t.requires_grad_(), ["requires_grad=True"]
    if grad == "mul":
        t = t.requires_grad_() * 1
    else:
        t = _named_grad_fn(grad).apply(t.requires_grad_())
    return t, [f"grad_fn=<{type(t.grad_fn).__name__}>"]


def check(arr: np.ndarray, grad: str | None = None) -> str:
    """Assert chainrule renders ``arr`` as torch does; return the rendering."""
    t, suffixes = _torch_tensor(arr, grad)
    expected = repr(t).replace("torch.", "chainrule.")
    assert str(t) == repr(t)
    actual = ts.format_tensor(arr, suffixes)
    assert actual == expected, f"\n--- torch ---\n{expected}\n--- chainrule ---\n{actual}"
    return actual


def f32(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32)


def f64(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


nan, inf = math.nan, math.inf

CASES: dict[str, Callable[[], np.ndarray]] = {
    "two_thirds": lambda: np.full(3, 2 / 3, dtype=np.float32),
    "int_valued_float": lambda: f32(7.0),
    "int_valued_floats": lambda: f32(1, 2, -30),
    "scalar_float": lambda: np.array(3.0, dtype=np.float32),
    "scalar_float64": lambda: np.array(3.25, dtype=np.float64),
    "scalar_int": lambda: np.array(-5, dtype=np.int64),
    "scalar_int32": lambda: np.array(5, dtype=np.int32),
    "scalar_bool": lambda: np.array(True),
    "scalar_nan": lambda: np.array(nan, dtype=np.float32),
    "scalar_neg_inf": lambda: np.array(-inf, dtype=np.float32),
    "scalar_neg_zero": lambda: np.array(-0.0, dtype=np.float32),
    "scalar_tiny": lambda: np.array(1e-7, dtype=np.float32),
    "scalar_huge": lambda: np.array(1e12, dtype=np.float64),
    "sci_small_min": lambda: f32(1e-5, 1.0),
    "sci_ratio": lambda: f32(1.0, 1001.0),
    "sci_big": lambda: f32(1e9),
    "edge_ratio_1000": lambda: f32(1.0, 1000.0),
    "edge_max_1e8": lambda: f64(1e8, 2e7),
    "edge_min_1e-4": lambda: f64(1e-4, 0.05),
    "sci_int_mode": lambda: f64(1, 10, 100000),
    "sci_mixed_signs": lambda: f64(-1.5e-8, 3e12, 0.0, -0.0),
    "nonfinite_mixed": lambda: f32(nan, inf, -inf, 1.5),
    "nonfinite_ints": lambda: f32(nan, inf, -inf, 2.0),
    "nonfinite_only": lambda: f32(nan, inf, -inf),
    "nonfinite_sci": lambda: f64(nan, 1e-9, -inf),
    "zeros": lambda: f32(0, 0, 0),
    "neg_zero": lambda: f32(0.0, -0.0),
    "neg_zero_fraction": lambda: f32(-0.0, 1.5),
    "neg_zero_int_mode": lambda: f32(-0.0, 1.0),
    "rounding": lambda: f64(0.99995, 0.00005, 1.23456789),
    "float32_digits": lambda: f32(0.1, 0.2, 0.3),
    "padding": lambda: f32(-123.5, 1.25, 10),
    "matrix": lambda: np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32),
    "matrix_fraction": lambda: np.array([[1.5, -2.0], [3.0, 4.25]]),
    "cube": lambda: np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 7,
    "hypercube": lambda: np.arange(16, dtype=np.int64).reshape(2, 2, 2, 2) - 8,
    "singleton_dims": lambda: np.ones((1, 1, 1), dtype=np.float32),
    "singleton_mid": lambda: np.arange(6, dtype=np.float64).reshape(3, 1, 2),
    "column": lambda: np.arange(5, dtype=np.float32).reshape(5, 1) / 3,
    "transposed": lambda: np.arange(6, dtype=np.float32).reshape(2, 3).T,
    "wrap_floats": lambda: np.arange(30, dtype=np.float32) / 3,
    "wrap_ints": lambda: np.arange(100, dtype=np.int64),
    "wrap_rows": lambda: np.arange(60, dtype=np.float64).reshape(2, 30) * 1.5,
    "summary_1d": lambda: np.arange(1001, dtype=np.float32),
    "summary_1d_ints": lambda: np.arange(5000, dtype=np.int32),
    "summary_2d": lambda: np.arange(2000, dtype=np.float32).reshape(40, 50) / 9,
    "summary_4d": lambda: np.arange(10000, dtype=np.float64).reshape(10, 10, 10, 10),
    "summary_tall": lambda: np.arange(1200, dtype=np.float32).reshape(1200, 1),
    "summary_short_axis": lambda: np.arange(1010, dtype=np.float32).reshape(2, 505),
    "summary_hidden_outlier": lambda: np.concatenate([f32(1, 2, 3), np.full(1000, 1e-9), f32(4)]),
    "at_threshold": lambda: np.arange(1000, dtype=np.float32),
    "ints_negative": lambda: np.array([-100, 5, 0], dtype=np.int64),
    "int64_extremes": lambda: np.array([2**62, -(2**63)], dtype=np.int64),
    "int32": lambda: np.array([1, -2, 3], dtype=np.int32),
    "int16": lambda: np.array([[1, -2], [300, 4]], dtype=np.int16),
    "int8": lambda: np.array([-128, 127], dtype=np.int8),
    "uint8": lambda: np.array([0, 255, 7], dtype=np.uint8),
    "float16": lambda: np.array([0.5, 1.0 / 3, 65504], dtype=np.float16),
    "float64": lambda: f64(1.5, 2.25),
    "bools": lambda: np.array([True, False]),
    "bool_matrix": lambda: np.array([[True, False, True], [False, False, True]]),
    "bool_all_true": lambda: np.array([True, True]),
    "empty": lambda: np.zeros(0, dtype=np.float32),
    "empty_float64": lambda: np.zeros(0, dtype=np.float64),
    "empty_int64": lambda: np.zeros(0, dtype=np.int64),
    "empty_int32": lambda: np.zeros(0, dtype=np.int32),
    "empty_bool": lambda: np.zeros(0, dtype=bool),
    "empty_2d": lambda: np.zeros((0, 3), dtype=np.float32),
    "empty_3d_int": lambda: np.zeros((2, 0, 3), dtype=np.int64),
    "empty_trailing": lambda: np.zeros((4, 0), dtype=np.uint8),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name: str) -> None:
    check(CASES[name]())


GRAD_CASES = [
    "two_thirds",
    "scalar_float",
    "matrix",
    "cube",
    "sci_small_min",
    "float64",
    "float16",
    "summary_2d",
    "wrap_floats",
    "empty",
    "empty_2d",
    "empty_float64",
]


@pytest.mark.parametrize("grad", ["requires_grad", "mul", "Short", "A" * 60])
@pytest.mark.parametrize("name", GRAD_CASES)
def test_grad_suffixes(name: str, grad: str) -> None:
    check(CASES[name](), grad)


def test_examples_from_the_spec() -> None:
    assert check(np.full(3, 2 / 3, dtype=np.float32)) == "tensor([0.6667, 0.6667, 0.6667])"
    assert check(f32(7)) == "tensor([7.])"
    assert check(np.array(3.0, dtype=np.float32)) == "tensor(3.)"
    assert check(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)) == (
        "tensor([[1., 2.],\n        [3., 4.]])"
    )
    assert check(np.array([True, False])) == "tensor([ True, False])"
    assert check(np.zeros((0, 3), np.float32)) == "tensor([], size=(0, 3))"
    assert check(np.zeros(0, np.int32)) == "tensor([], dtype=chainrule.int32)"
    assert check(f64(1, 2), "requires_grad") == (
        "tensor([1., 2.], dtype=chainrule.float64, requires_grad=True)"
    )


def test_suffix_wraps_after_long_last_line() -> None:
    arr = np.arange(36, dtype=np.float64).reshape(3, 12) + 0.5
    out = check(arr, "requires_grad")
    assert out.endswith("]], dtype=chainrule.float64,\n       requires_grad=True)")


def test_rejects_complex() -> None:
    with pytest.raises(TypeError):
        ts.format_tensor(np.zeros(2, dtype=np.complex64))


# --------------------------------------------------------------------------- print options

OPTION_CASES = [
    ({"precision": 2}, f32(1.12345, 2.5)),
    ({"precision": 0}, f32(1.5, 2.25)),
    ({"precision": 8}, f64(1 / 3, 1e-6)),
    ({"sci_mode": False}, f64(1e-8, 1e12)),
    ({"sci_mode": True}, f32(1.0, 2.5)),
    ({"sci_mode": True}, f32(0.0, -0.0)),
    ({"sci_mode": True}, np.arange(4, dtype=np.int64)),
    ({"threshold": 5}, np.arange(10, dtype=np.int64)),
    ({"threshold": 5}, np.arange(24, dtype=np.float32).reshape(4, 6) / 5),
    ({"threshold": 5, "edgeitems": 1}, np.arange(60, dtype=np.float32).reshape(3, 4, 5)),
    ({"threshold": 5, "edgeitems": 0}, np.arange(10, dtype=np.float32)),
    ({"threshold": 5, "edgeitems": 0}, np.arange(24, dtype=np.float64).reshape(4, 6)),
    ({"edgeitems": 0}, np.arange(4, dtype=np.float32)),
    ({"edgeitems": 0}, np.zeros((0, 2), dtype=np.float32)),
    ({"linewidth": 40}, np.arange(30, dtype=np.float32) / 7),
    ({"linewidth": 5}, f32(1.5, 2.5, 3.5)),
    ({"profile": "short"}, np.arange(2000, dtype=np.float32) / 3),
    ({"profile": "full"}, np.arange(1500, dtype=np.int64)),
    ({"profile": "short", "precision": 6}, f32(1 / 3)),
    ({"profile": "bogus"}, f32(1 / 3)),
]


@pytest.mark.parametrize(("options", "arr"), OPTION_CASES, ids=lambda v: str(v)[:40])
def test_printoptions_match_torch(options: dict, arr: np.ndarray) -> None:
    torch.set_printoptions(**options)
    ts.set_printoptions(**options)
    assert ts.get_printoptions() == torch._tensor_str.get_printoptions()
    check(arr)
    if arr.dtype.kind == "f":
        check(arr.astype(np.float64), "requires_grad")


def test_get_printoptions_roundtrip() -> None:
    assert ts.get_printoptions() == {
        "precision": 4,
        "threshold": 1000,
        "edgeitems": 3,
        "linewidth": 80,
        "sci_mode": None,
    }
    ts.set_printoptions(precision=2, sci_mode=False)
    saved = ts.get_printoptions()
    ts.set_printoptions(profile="full")
    assert ts.get_printoptions()["threshold"] == math.inf
    ts.set_printoptions(**saved)
    assert ts.get_printoptions() == saved


def test_set_printoptions_resets_sci_mode_like_torch() -> None:
    for mod in (ts, torch):
        mod.set_printoptions(sci_mode=True)
        mod.set_printoptions(precision=3)
    assert ts.get_printoptions() == torch._tensor_str.get_printoptions()
    assert ts.get_printoptions()["sci_mode"] is None


# --------------------------------------------------------------------------- hypothesis

DTYPES = [
    np.float32,
    np.float64,
    np.float16,
    np.int64,
    np.int32,
    np.int16,
    np.int8,
    np.uint8,
    np.bool_,
]
SPECIALS = np.array([0.0, -0.0, nan, inf, -inf])


@st.composite
def shapes(draw: st.DrawFn) -> tuple[int, ...]:
    kind = draw(st.sampled_from(["nd", "nd", "nd", "long", "wide"]))
    if kind == "long":
        return (draw(st.integers(0, 1500)),)
    if kind == "wide":
        return (draw(st.integers(0, 5)), draw(st.integers(100, 400)))
    ndim = draw(st.integers(0, 4))
    return tuple(draw(st.lists(st.integers(0, 7), min_size=ndim, max_size=ndim)))


@st.composite
def arrays(draw: st.DrawFn) -> np.ndarray:
    shape = draw(shapes())
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = math.prod(shape)
    if dtype.kind == "b":
        return (rng.random(n) < draw(st.floats(0, 1))).reshape(shape)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        bound = draw(st.sampled_from([1, 9, 1000, int(info.max)]))
        lo = max(int(info.min), -bound) if draw(st.booleans()) else 0
        return rng.integers(lo, min(bound, int(info.max)), n, dtype=dtype, endpoint=True).reshape(
            shape
        )
    lo_exp = draw(st.integers(-8, 12))
    hi_exp = draw(st.integers(lo_exp, min(lo_exp + draw(st.sampled_from([0, 1, 3, 20])), 12)))
    values = 10.0 ** rng.uniform(lo_exp, hi_exp, n)
    if draw(st.booleans()):
        values = np.round(values)
    values *= np.where(rng.random(n) < draw(st.sampled_from([0.0, 0.5])), -1.0, 1.0)
    special = rng.random(n) < draw(st.sampled_from([0.0, 0.0, 0.05, 0.5]))
    values[special] = rng.choice(SPECIALS, int(special.sum()))
    with np.errstate(over="ignore"):
        return values.astype(dtype).reshape(shape)


@HYPOTHESIS
@given(arr=arrays(), grad=st.sampled_from([None, None, "requires_grad", "mul"]))
def test_random_arrays_match_torch(arr: np.ndarray, grad: str | None) -> None:
    check(arr, grad if arr.dtype.kind == "f" else None)


printoption_kwargs = st.fixed_dictionaries(
    {},
    optional={
        "precision": st.integers(0, 10),
        "threshold": st.sampled_from([0, 1, 5, 20, 100, 1000, math.inf]),
        "edgeitems": st.integers(0, 4),
        "linewidth": st.integers(1, 150),
        "profile": st.sampled_from(["default", "short", "full"]),
        "sci_mode": st.sampled_from([None, True, False]),
    },
)


@HYPOTHESIS
@given(arr=arrays(), options=printoption_kwargs, grad=st.sampled_from([None, "requires_grad"]))
def test_random_printoptions_match_torch(arr: np.ndarray, options: dict, grad: str | None) -> None:
    try:
        torch.set_printoptions(**options)
        ts.set_printoptions(**options)
        assert ts.get_printoptions() == torch._tensor_str.get_printoptions()
        check(arr, grad if arr.dtype.kind == "f" else None)
    finally:
        torch.set_printoptions(profile="default")
        ts.set_printoptions(profile="default")
