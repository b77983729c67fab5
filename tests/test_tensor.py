"""The Tensor itself: construction, dtype inference, refusals, metadata, conversions, repr,
grad_fn names and factories -- each as torch behaves.

Tests taking the ``lib`` fixture run once against chainrule and once against torch: the torch
run proves the expectation is torch's, the chainrule run checks we match it. Tests taking
``torch`` compare the two libraries' results directly. Both skip their torch half when torch is
absent; tests that need neither fixture are pure chainrule.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule


def dtype_name(d) -> str:
    """'float32' from chainrule.float32 or torch.float32."""
    return repr(d).rsplit(".", 1)[1]


def values(t) -> np.ndarray:
    return np.asarray(t.detach().numpy())


# --- construction and dtype inference ---------------------------------------------------------

INFERENCE = [
    pytest.param(3.0, "float32", (), id="python-float"),
    pytest.param(3, "int64", (), id="python-int"),
    pytest.param(True, "bool", (), id="python-bool"),
    pytest.param([1.0, 2.0], "float32", (2,), id="float-list"),
    pytest.param([1, 2, 3], "int64", (3,), id="int-list"),
    pytest.param([True, False], "bool", (2,), id="bool-list"),
    pytest.param([1, 2.5], "float32", (2,), id="mixed-int-float"),
    pytest.param([[1, 2], [3, 4.0]], "float32", (2, 2), id="nested-mixed"),
    pytest.param([True, 1], "int64", (2,), id="bool-int"),
    pytest.param([True, 1.5], "float32", (2,), id="bool-float"),
    pytest.param((1, 2), "int64", (2,), id="tuple"),
    pytest.param([], "float32", (0,), id="empty-list"),
    pytest.param([[[1.0]], [[2.0]]], "float32", (2, 1, 1), id="deep-nesting"),
    pytest.param(np.array([1.0, 2.0]), "float64", (2,), id="np-float64-array-stays"),
    pytest.param(np.array([1.0], dtype=np.float32), "float32", (1,), id="np-float32-array"),
    pytest.param(np.array([1, 2], dtype=np.int32), "int32", (2,), id="np-int32-array"),
    pytest.param(np.array([1, 2], dtype=np.uint8), "uint8", (2,), id="np-uint8-array"),
    pytest.param(np.array([True]), "bool", (1,), id="np-bool-array"),
    pytest.param(np.array(3.0), "float64", (), id="np-0d-float64"),
    pytest.param(np.float64(1.5), "float64", (), id="np-float64-scalar"),
    pytest.param(np.float32(1.5), "float32", (), id="np-float32-scalar"),
    pytest.param(np.bool_(True), "bool", (), id="np-bool-scalar"),
    pytest.param([np.float64(1.0)], "float64", (1,), id="list-of-np-float64"),
    pytest.param([np.int32(1)], "int32", (1,), id="list-of-np-int32"),
]


@pytest.mark.parametrize("data, dtype, shape", INFERENCE)
def test_tensor_infers_dtype_and_shape_as_torch(lib, data, dtype, shape):
    t = lib.tensor(data)
    assert dtype_name(t.dtype) == dtype
    assert tuple(t.shape) == shape


def test_tensor_values_round_trip_nested_lists(lib):
    data = [[1.5, -2.0, 3.25], [0.0, 4.0, -0.5]]
    assert lib.tensor(data).tolist() == data


def test_tensor_explicit_dtype_converts(lib):
    t = lib.tensor([1, 2], dtype=lib.float64)
    assert dtype_name(t.dtype) == "float64"
    assert t.tolist() == [1.0, 2.0]


def test_tensor_copies_numpy_data_but_from_numpy_shares(lib):
    a = np.array([1.0, 2.0])
    copied = lib.tensor(a)
    shared = lib.from_numpy(a)
    a[0] = 9.0
    assert copied.tolist() == [1.0, 2.0]
    assert shared.tolist() == [9.0, 2.0]


def test_tensor_is_a_leaf_that_does_not_require_grad_by_default(lib):
    t = lib.tensor([1.0])
    assert t.requires_grad is False
    assert t.is_leaf
    assert t.grad_fn is None
    assert t.grad is None


# --- refusals -----------------------------------------------------------------------------------

REFUSALS = [
    pytest.param([[1, 2], [3]], ValueError, id="ragged-short-row"),
    pytest.param([[1], [2, 3]], ValueError, id="ragged-long-row"),
    pytest.param([1, [2]], TypeError, id="scalar-then-list"),
    pytest.param("abc", TypeError, id="string"),
    pytest.param(["abc"], ValueError, id="list-of-strings"),
    pytest.param(None, RuntimeError, id="none"),
    pytest.param([1, None], RuntimeError, id="none-in-list"),
    pytest.param(np.array([1, "a"], dtype=object), TypeError, id="object-array"),
    pytest.param(np.array(["a", "b"]), TypeError, id="unicode-array"),
]


@pytest.mark.parametrize("data, exc", REFUSALS)
def test_tensor_refuses_data_with_torchs_exception_type(lib, data, exc):
    with pytest.raises(exc):
        lib.tensor(data)


def test_tensor_of_none_is_also_a_type_error_in_chainrule():
    with pytest.raises(TypeError):
        chainrule.tensor(None)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda L: L.tensor([1, 2], requires_grad=True), id="tensor-int"),
        pytest.param(lambda L: L.tensor(True, requires_grad=True), id="tensor-bool"),
        pytest.param(lambda L: L.zeros(2, dtype=L.int64, requires_grad=True), id="zeros-int"),
        pytest.param(lambda L: L.tensor([1, 2]).requires_grad_(), id="requires_grad_-int"),
        pytest.param(lambda L: L.arange(3).requires_grad_(), id="arange-int"),
    ],
)
def test_requires_grad_on_integer_or_bool_raises_runtime_error(lib, make):
    with pytest.raises(RuntimeError):
        make(lib)


def test_requires_grad_setter_on_int_tensor_raises(lib):
    t = lib.tensor([1, 2])
    with pytest.raises(RuntimeError):
        t.requires_grad = True
    assert t.requires_grad is False


# --- metadata and conversions ------------------------------------------------------------------

METADATA_CASES = [
    pytest.param(2.5, id="0d"),
    pytest.param([1.0, 2.0, 3.0], id="1d"),
    pytest.param([[1, 2, 3], [4, 5, 6]], id="2d-int"),
    pytest.param([[[True], [False]]], id="3d-bool"),
    pytest.param(np.zeros((0, 3)), id="empty-rows"),
]


@pytest.mark.parametrize("data", METADATA_CASES)
def test_metadata_matches_torch(torch, data):
    ours, theirs = chainrule.tensor(data), torch.tensor(data)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert tuple(ours.size()) == tuple(theirs.size())
    assert ours.ndim == theirs.ndim
    assert ours.dim() == theirs.dim()
    assert ours.numel() == theirs.numel()
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    assert ours.tolist() == theirs.tolist()
    for d in range(-ours.ndim, ours.ndim):
        assert ours.size(d) == theirs.size(d)
    n = ours.numpy()
    assert isinstance(n, np.ndarray)
    assert n.dtype == theirs.numpy().dtype
    np.testing.assert_array_equal(n, theirs.numpy())


def test_shape_is_a_tuple_equal_to_plain_tuples(lib):
    t = lib.zeros(2, 3)
    assert isinstance(t.shape, tuple)
    assert t.shape == (2, 3)
    assert t.size() == (2, 3)
    assert t.shape[-1] == 3
    assert t.shape.numel() == 6


@pytest.mark.parametrize("dim", [2, -3])
def test_size_of_a_missing_dim_raises_index_error(lib, dim):
    with pytest.raises(IndexError):
        lib.zeros(2, 3).size(dim)


@pytest.mark.parametrize(
    "data, value, kind",
    [(2.5, 2.5, float), (7, 7, int), (True, True, bool), ([[4.0]], 4.0, float)],
)
def test_item_returns_a_python_number_of_the_right_type(lib, data, value, kind):
    v = lib.tensor(data).item()
    assert type(v) is kind
    assert v == value


def test_item_of_several_elements_raises_runtime_error(lib):
    with pytest.raises(RuntimeError, match="2 elements"):
        lib.tensor([1.0, 2.0]).item()


def test_tolist_of_0d_is_a_python_scalar(lib):
    assert lib.tensor(3.0).tolist() == 3.0
    assert isinstance(lib.tensor(3.0).tolist(), float)


def test_len_and_iter_walk_the_first_dimension(torch):
    data = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    ours, theirs = chainrule.tensor(data), torch.tensor(data)
    assert len(ours) == len(theirs) == 3
    rows = list(ours)
    assert len(rows) == 3
    for r, tr in zip(rows, theirs):
        assert isinstance(r, chainrule.Tensor)
        assert tuple(r.shape) == tuple(tr.shape)
        assert r.tolist() == tr.tolist()


def test_iterating_rows_of_a_grad_tensor_keeps_the_graph(lib):
    x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    total = sum(row.sum() * (i + 1) for i, row in enumerate(x))
    total.backward()
    assert x.grad.tolist() == [[1.0, 1.0], [2.0, 2.0]]


@pytest.mark.parametrize("fn", [len, iter], ids=["len", "iter"])
def test_len_and_iter_of_0d_raise_type_error(lib, fn):
    with pytest.raises(TypeError):
        fn(lib.tensor(1.0))


def test_numpy_shares_memory_with_the_tensor(lib):
    t = lib.tensor([1.0, 2.0])
    t.numpy()[0] = 5.0
    assert t.tolist() == [5.0, 2.0]


def test_numpy_on_tensor_requiring_grad_raises_and_detach_fixes_it(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    with pytest.raises(RuntimeError):
        (x * 2).numpy()
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])


# --- repr and grad_fn names --------------------------------------------------------------------


def test_repr_of_the_seed_values():
    x = chainrule.tensor([2.0], requires_grad=True)
    assert repr(x) == "tensor([2.], requires_grad=True)"
    assert repr(chainrule.tensor([7.0])) == "tensor([7.])"
    s = chainrule.tensor(1.5, requires_grad=True)
    assert repr(s * 2) == "tensor(3., grad_fn=<MulBackward0>)"
    assert str(s * 2) == "tensor(3., grad_fn=<MulBackward0>)"


@pytest.mark.parametrize(
    "make",
    [
        lambda L: L.tensor([7.0]),
        lambda L: L.tensor([2.0], requires_grad=True),
        lambda L: L.tensor(1.5, requires_grad=True) * 2,
        lambda L: L.tensor([[1.0, 2.5], [3.0, 4.0]], requires_grad=True).sum(0),
        lambda L: L.tensor([1, 2, 3]),
        lambda L: L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True).exp(),
        lambda L: L.tensor([2.0 / 3] * 3),
        lambda L: L.tensor([True, False]),
        lambda L: L.zeros(0, 2),
    ],
    ids=["float", "leaf", "mul", "sum", "int", "float64-exp", "thirds", "bool", "empty"],
)
def test_repr_matches_torch(torch, make):
    # the house spells dtypes `chainrule.float64` where torch prints `torch.float64`
    assert repr(make(chainrule)) == repr(make(torch)).replace("torch.", "chainrule.")


GRAD_FN_EXPRESSIONS = [
    "x + 1",
    "1 + x",
    "x + w",
    "x - 1",
    "x - w",
    "1 - x",
    "x * 2",
    "2 * x",
    "x * w",
    "x / 2",
    "x / w",
    "2 / x",
    "x ** 2",
    "x.pow(3)",
    "x ** w",
    "2 ** x",
    "-x",
    "x.sum()",
    "x.sum(0)",
    "x.mean()",
    "x.mean(0)",
    "x.max()",
    "x.min()",
    "x.exp()",
    "x.log()",
    "x.tanh()",
    "x.sigmoid()",
    "x.relu()",
    "x.abs()",
    "x.sqrt()",
    "x.sin()",
    "x.cos()",
    "x.clamp(0, 1)",
    "x.clamp(min=0)",
    "x.reshape(2, 1)",
    "x.view(2, 1)",
    "x.unsqueeze(0)",
    "x.unsqueeze(0).squeeze(0)",
    "x.unsqueeze(0).squeeze()",
    "x.unsqueeze(1).t()",
    "x.unsqueeze(1).transpose(0, 1)",
    "x.unsqueeze(1).permute(1, 0)",
    "x.expand(3, 2)",
    "x[0]",
    "x[0:1]",
    "x[L.tensor([0])]",
    "x[x > 1]",
    "x @ x",
    "x.dot(w)",
    "x.unsqueeze(0) @ x.unsqueeze(1)",
    "L.ones(2, 2) @ x",
    "x.clone()",
    "x.double()",
    "L.where(x > 1, x, w)",
    "L.maximum(x, w)",
]


@pytest.mark.parametrize("expr", GRAD_FN_EXPRESSIONS)
def test_grad_fn_names_match_torch(torch, expr):
    names = []
    for L in (chainrule, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([0.5, 3.0], requires_grad=True)
        y = eval(expr, {"L": L, "x": x, "w": w})
        names.append(type(y.grad_fn).__name__)
    assert names[0] == names[1]


def test_grad_fn_name_method_and_is_leaf(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    assert y.grad_fn.name() == "SumBackward0"
    assert not y.is_leaf
    assert x.is_leaf


# --- factories ---------------------------------------------------------------------------------

FACTORIES = [
    "L.zeros(2, 3)",
    "L.zeros((2, 3))",
    "L.zeros([2, 3])",
    "L.zeros(())",
    "L.ones(4)",
    "L.ones(2, 1, dtype=L.float64)",
    "L.zeros(3, dtype=L.int64)",
    "L.empty(2, 5)",
    "L.empty(0)",
    "L.full((2,), 1)",
    "L.full((2,), 1.5)",
    "L.full((2, 2), True)",
    "L.full((3,), 2, dtype=L.float64)",
    "L.arange(5)",
    "L.arange(0, 1, 0.25)",
    "L.arange(1, 4)",
    "L.arange(0.0, 3)",
    "L.arange(5, dtype=L.float64)",
    "L.arange(1, 2.5, 0.5)",
    "L.arange(10, 0, -3)",
    "L.arange(0, 1, 0.1)",
    "L.linspace(0, 1, 5)",
    "L.linspace(-1, 1, 1)",
    "L.linspace(0, 10, 7, dtype=L.float64)",
    "L.eye(3)",
    "L.eye(2, 3)",
    "L.eye(2, dtype=L.int64)",
    "L.zeros_like(L.tensor([1, 2]))",
    "L.ones_like(L.zeros(2, 3, dtype=L.float64))",
    "L.full_like(L.tensor([1, 2]), 7)",
    "L.full_like(L.tensor([1, 2]), 7.5)",
    "L.full_like(L.zeros(2), 7)",
    "L.zeros_like(L.tensor([True]))",
]


@pytest.mark.parametrize("expr", FACTORIES)
def test_factories_match_torch(torch, expr):
    ours = eval(expr, {"L": chainrule})
    theirs = eval(expr, {"L": torch})
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert dtype_name(ours.dtype) == dtype_name(theirs.dtype)
    assert not ours.requires_grad
    if not expr.startswith("L.empty"):
        np.testing.assert_allclose(values(ours), values(theirs), rtol=1e-6, atol=1e-7)


def test_full_with_int_fill_is_int64(lib):
    assert dtype_name(lib.full((2,), 1).dtype) == "int64"


def test_arange_quarter_steps(lib):
    assert lib.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]


def test_factory_requires_grad_makes_a_leaf(lib):
    for t in (
        lib.zeros(2, requires_grad=True),
        lib.ones(2, 2, requires_grad=True),
        lib.rand(3, requires_grad=True),
        lib.randn(3, requires_grad=True),
        lib.full((2,), 1.0, requires_grad=True),
    ):
        assert t.requires_grad and t.is_leaf


def test_negative_dimension_raises_runtime_error(lib):
    with pytest.raises(RuntimeError):
        lib.zeros(-1)


@pytest.mark.parametrize("fn", ["rand", "randn"])
def test_rand_and_randn_shapes_and_dtypes(lib, fn):
    t = getattr(lib, fn)(4, 5)
    assert tuple(t.shape) == (4, 5)
    assert dtype_name(t.dtype) == "float32"
    t64 = getattr(lib, fn)((3,), dtype=lib.float64)
    assert tuple(t64.shape) == (3,)
    assert dtype_name(t64.dtype) == "float64"


def test_rand_is_in_the_unit_interval_and_not_constant(lib):
    v = values(lib.rand(1000))
    assert v.min() >= 0.0 and v.max() < 1.0
    assert v.std() > 0.2


def test_randn_is_roughly_standard_normal(lib):
    v = values(lib.randn(20000))
    assert abs(v.mean()) < 0.05
    assert abs(v.std() - 1.0) < 0.05


def test_randint_range_shape_and_dtype(lib):
    a = lib.randint(0, 10, (200,))
    assert dtype_name(a.dtype) == "int64"
    assert tuple(a.shape) == (200,)
    v = values(a)
    assert v.min() >= 0 and v.max() < 10
    assert len(set(v.tolist())) > 5
    b = lib.randint(5, (2, 2))
    assert tuple(b.shape) == (2, 2)
    assert 0 <= values(b).min() and values(b).max() < 5


def test_manual_seed_makes_random_factories_reproducible(lib):
    lib.manual_seed(1234)
    a = (lib.rand(5), lib.randn(5), lib.randint(0, 100, (5,)))
    lib.manual_seed(1234)
    b = (lib.rand(5), lib.randn(5), lib.randint(0, 100, (5,)))
    for u, v in zip(a, b):
        assert u.tolist() == v.tolist()
    lib.manual_seed(4321)
    assert lib.rand(5).tolist() != a[0].tolist()


def test_a_slice_of_a_size_is_a_size(lib):
    shape = lib.zeros(2, 3, 4).shape
    assert type(shape[1:]) is type(shape) and tuple(shape[1:]) == (3, 4)
    assert shape[0] == 2 and isinstance(shape[-1], int)
