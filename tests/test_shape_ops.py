"""Joining, rearranging and gather/scatter ops beyond the generic records (tests/opdb_shape.py):
view semantics, repeated-index gradients, pad modes, cat's promotion and empty rule, random
shapes, grad_fn names, integer inputs, and errors -- each compared with torch.

Tests taking ``lib`` run on chainrule and on torch (the torch run proves the expectation is
torch's); tests taking ``torch`` compare the two directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import chainrule

try:
    import torch as _torch
except ImportError:  # the comparisons skip
    _torch = None

needs_torch = pytest.mark.skipif(_torch is None, reason="torch is not installed")


def vals(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def F_pad(m: Any) -> Any:
    return m.nn.functional.pad


def both(torch: Any, fn: Any, *arrays: np.ndarray, grad: bool = True) -> tuple:
    """fn(m, *leaves) on both libraries with the same float64 inputs and upstream gradient:
    (out, [input grads]) for chainrule and for torch."""
    res = []
    for m in (chainrule, torch):
        xs = [m.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
        out = fn(m, *xs)
        grads = []
        if grad and out.requires_grad:
            g = np.random.default_rng(7).standard_normal(tuple(out.shape))
            out.backward(m.tensor(g.astype(vals(out).dtype)))
            grads = [None if x.grad is None else vals(x.grad) for x in xs]
        res.append((vals(out), grads))
    return res[0], res[1]


def assert_same(ours: tuple, theirs: tuple, values: bool = True) -> None:
    if values:
        assert ours[0].dtype == theirs[0].dtype
        np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, err_msg="values")
    assert len(ours[1]) == len(theirs[1])
    for i, (a, b) in enumerate(zip(ours[1], theirs[1])):
        assert (a is None) == (b is None), f"grad {i}"
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, err_msg=f"grad {i}")


RNG = np.random.default_rng(0)
M34 = RNG.standard_normal((3, 4))
M33 = RNG.standard_normal((3, 3))


# --- views: in-place changes through them reach the base, with torch's gradients --------------

VIEWS = {
    "narrow": lambda y: y.narrow(1, 1, 2),
    "narrow_neg": lambda y: y.narrow(-1, -3, 2),
    "diagonal": lambda y: y.diagonal(),
    "diagonal_off": lambda y: y.diagonal(1),
    "diagonal_neg_off": lambda y: y.diagonal(-1, 1, 0),
    "movedim": lambda y: y.movedim(0, 1),
    "unflatten": lambda y: y.unflatten(1, (2, 2)),
    "tensor_split": lambda y: y.tensor_split(2, dim=1)[1],
    "narrow_of_diagonal": lambda y: y.diagonal().narrow(0, 1, 2),
    "diagonal_of_unflatten": lambda y: y.unflatten(1, (2, 2))[0].diagonal(),
}


@pytest.mark.parametrize("name", list(VIEWS))
def test_inplace_through_view_reaches_base(lib, name):
    x = lib.tensor(M34.copy())
    v = VIEWS[name](x)
    before = v.clone()
    v.mul_(-3.0)
    assert np.allclose(vals(v), -3 * vals(before))
    assert x._version == v._version == 1
    # the base changed exactly where the view looks
    ref = lib.tensor(M34.copy())
    VIEWS[name](ref).copy_(v)
    assert np.array_equal(vals(x), vals(ref))


@pytest.mark.parametrize("name", list(VIEWS))
def test_inplace_through_view_gradients_match_torch(torch, name):
    def run(m, x, w):
        y = x * 1
        v = VIEWS[name](y)
        v.mul_(w.sum())
        v.add_(w.sum() ** 2)
        return (y * y).sum() + y.sin().sum()

    ours, theirs = both(torch, run, M34, np.array([0.7, -0.2]))
    assert_same(ours, theirs)


@pytest.mark.parametrize("name", list(VIEWS))
def test_view_sees_later_inplace_change_of_base(torch, name):
    def run(m, x):
        y = x * 1
        v = VIEWS[name](y)
        y.mul_(x)  # the view's history is re-derived from the base's
        return (v * v).sum()

    ours, theirs = both(torch, run, M34)
    assert_same(ours, theirs)


def test_view_grad_fn_names(torch):
    names = {
        "narrow": "SliceBackward0",
        "diagonal": "DiagonalBackward0",
        "movedim": "PermuteBackward0",
        "unflatten": "ViewBackward0",
        "tensor_split": "SliceBackward0",
    }
    for m in (chainrule, torch):
        x = m.tensor(M34, requires_grad=True)
        for name, expected in names.items():
            assert type(VIEWS[name](x).grad_fn).__name__ == expected, (m.__name__, name)
        assert type(x.broadcast_to((2, 3, 4)).grad_fn).__name__ == "ExpandBackward0"


def test_diagonal_view_under_create_graph(torch):
    # the view's region is found again on Tensors when the second derivative is recorded
    res = []
    for m in (chainrule, torch):
        x = m.tensor(M33, requires_grad=True)
        y = x * x
        y.diagonal().mul_(x[0])
        (g,) = m.autograd.grad((y**3).sum(), x, create_graph=True)
        (gg,) = m.autograd.grad((g * g).sum(), x)
        res.append((vals(g), vals(gg)))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10)


PIECES = {
    "split": lambda y: y.split(2, 1),
    "split_sizes": lambda y: y.split([1, 3], 1),
    "chunk": lambda y: y.chunk(2),
    "unbind": lambda y: y.unbind(1),
}


@pytest.mark.parametrize("name", list(PIECES))
def test_pieces_are_views_of_the_input(lib, name):
    x = lib.tensor(M34.copy())
    pieces = PIECES[name](x)
    pieces[1].fill_(5.0)  # nothing recorded: allowed, and seen by the base
    ref = lib.tensor(M34.copy())
    PIECES[name](ref)[1].fill_(5.0)
    assert np.array_equal(vals(x), vals(ref))
    assert not np.array_equal(vals(x), M34)
    x.add_(1.0)
    assert np.array_equal(vals(pieces[0]), vals(PIECES[name](x)[0]))


@pytest.mark.parametrize("name", list(PIECES))
def test_pieces_of_one_node_refuse_recorded_inplace(lib, name):
    x = lib.tensor(M34, requires_grad=True)
    pieces = PIECES[name](x * 1)
    with pytest.raises(RuntimeError, match="multiple views"):
        pieces[0].mul_(2.0)


@pytest.mark.parametrize("name", list(PIECES))
def test_pieces_refuse_use_after_base_changed_in_place(lib, name):
    x = lib.tensor(M34, requires_grad=True)
    y = x * 1
    pieces = PIECES[name](y)
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="multiple views"):
        (pieces[0] * 1).sum().backward()


def test_broadcast_to_is_a_read_only_view(lib):
    x = lib.tensor([1.0, 2.0, 3.0])
    b = x.broadcast_to((2, 3))
    x.add_(1.0)
    assert b.tolist() == [[2.0, 3.0, 4.0]] * 2
    with pytest.raises(RuntimeError):
        b.add_(1.0)


# --- repeated indices ------------------------------------------------------------------------

I2 = [[0, 0, 3, 0], [2, 2, 2, 1]]
REPEATS = {
    "gather": lambda m, x: x.gather(1, m.tensor(I2)),
    "take_along_dim": lambda m, x: m.take_along_dim(x[:2], m.tensor(I2), 1),
    "index_select": lambda m, x: x.index_select(0, m.tensor([2, 0, 2, 2])),
    "take": lambda m, x: x.take(m.tensor([[11, 0], [11, -1]])),
    "getitem_then_index_add": lambda m, x: x.index_add(0, m.tensor([1, 1]), x[:2] * 2),
    "scatter_add": lambda m, x: x.scatter_add(1, m.tensor(I2), x[:2] * 3),
    "index_add_alpha": lambda m, x: m.zeros(2, 4, dtype=m.float64).index_add(
        0, m.tensor([0, 0, 0]), x, alpha=0.5
    ),
}


@pytest.mark.parametrize("name", list(REPEATS))
def test_repeated_indices_accumulate_like_torch(torch, name):
    ours, theirs = both(torch, REPEATS[name], M34)
    assert_same(ours, theirs)


# scatter and index_copy with repeated positions: which write wins is torch's implementation
# detail, but the gradient convention is fixed: every source entry aimed at a position gets that
# position's gradient, and the base gets none there
OVERWRITES = {
    "scatter": lambda m, x, s: x.scatter(1, m.tensor([[1, 1, 3], [0, 0, 0]]), s[:2]),
    "scatter_": lambda m, x, s: (x * 1).scatter_(1, m.tensor([[1, 1, 3], [0, 0, 0]]), s[:2]),
    "index_copy": lambda m, x, s: x.index_copy(1, m.tensor([2, 2, 0]), s),
    "scatter_value": lambda m, x, s: x.scatter(1, m.tensor([[1, 1], [2, 2]]), 4.0) * s.sum(),
}


@pytest.mark.parametrize("name", list(OVERWRITES))
def test_overwritten_positions_gradient_convention(torch, name):
    s = RNG.standard_normal((3, 3))
    ours, theirs = both(torch, OVERWRITES[name], M34, s)
    assert_same(ours, theirs, values=False)


def test_scatter_with_src_larger_than_index_fails_at_backward_as_torch(lib):
    x = lib.zeros(2, 3, requires_grad=True)
    s = lib.ones(2, 3, requires_grad=True)
    y = x.scatter_add(1, lib.tensor([[0], [1]]), s)
    assert y.tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    with pytest.raises(RuntimeError, match="invalid gradient at index 1"):
        y.sum().backward()


def test_index_fill_tensor_value_with_negative_index_fails_at_backward_as_torch(lib):
    x = lib.zeros(3, 2, requires_grad=True)
    v = lib.tensor(2.0, requires_grad=True)
    y = x.index_fill(0, lib.tensor([-1]), v)
    assert y.tolist() == [[0.0, 0.0], [0.0, 0.0], [2.0, 2.0]]
    with pytest.raises(IndexError, match="index out of range in self"):
        y.sum().backward()


def test_scatter_reduce_has_no_derivative(lib):
    import warnings

    x = lib.tensor([[1.0, 2.0]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch deprecates reduce= with a src tensor
        y = x.scatter(1, lib.tensor([[1, 1]]), x * 2, reduce="add")
        z = x.scatter(1, lib.tensor([[0]]), 3.0, reduce="multiply")
    assert y.tolist() == [[1.0, 8.0]] and z.tolist() == [[3.0, 2.0]]
    assert type(y.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        y.sum().backward()


# --- pad -------------------------------------------------------------------------------------


@st.composite
def pad_cases(draw: Any) -> tuple:
    mode = draw(st.sampled_from(["constant", "reflect", "replicate", "circular"]))
    k = draw(st.integers(1, 3))
    if mode == "constant":
        shape = draw(array_shapes(min_dims=k, max_dims=k + 1, min_side=1, max_side=4))
    else:
        batch = draw(st.sampled_from([(), (1,), (2,)]))
        shape = batch + draw(array_shapes(min_dims=k + 1, max_dims=k + 1, min_side=1, max_side=4))
        k = min(k, len(shape) - 1)
    pads = []
    for i in range(k):
        s = shape[-1 - i]
        if mode == "reflect":
            lo, hi = (draw(st.integers(-(s - 1) // 2, s - 1)) for _ in range(2))
        elif mode == "circular":
            lo, hi = (draw(st.integers(-(s // 2), s)) for _ in range(2))
        else:
            lo, hi = (draw(st.integers(-(s - 1) // 2, 4)) for _ in range(2))
        pads += [lo, hi]
    return mode, tuple(shape), tuple(pads)


@needs_torch
@given(case=pad_cases(), seed=st.integers(0, 2**16))
def test_pad_modes_match_torch(case, seed):
    mode, shape, pads = case
    sizes = [s + lo + hi for s, lo, hi in zip(shape[::-1], pads[::2], pads[1::2])]
    assume(all(o >= (0 if mode in ("constant", "circular") else 1) for o in sizes))
    x = np.random.default_rng(seed).standard_normal(shape)
    fn = lambda m, t: F_pad(m)(t, pads, mode=mode)  # noqa: E731
    ours, theirs = both(_torch, fn, x)
    assert_same(ours, theirs)


def test_pad_grad_fn_names(torch):
    cases = [
        ((2, 3), (1, 1), "constant"),
        ((1, 2, 3), (1, 1), "reflect"),
        ((1, 2, 3), (1, 1, 1, 1), "reflect"),
        ((1, 1, 2, 3, 3), (1, 1, 1, 1, 1, 1), "reflect"),
        ((1, 2, 3), (1, 1), "replicate"),
        ((1, 2, 3), (1, 1, 1, 1), "replicate"),
        ((1, 2, 2, 3), (1, 1, 1, 1, 1, 1), "replicate"),
        ((1, 2, 3), (1, 1), "circular"),
    ]
    for shape, pads, mode in cases:
        names = []
        for m in (chainrule, torch):
            x = m.zeros(shape, requires_grad=True)
            names.append(type(F_pad(m)(x, pads, mode=mode).grad_fn).__name__)
        assert names[0] == names[1], (shape, pads, mode)


def test_pad_integer_tensors(torch):
    x = np.arange(6).reshape(1, 2, 3)
    for mode in ("reflect", "replicate", "circular"):
        ours = F_pad(chainrule)(chainrule.tensor(x), (2, 1), mode=mode)
        theirs = F_pad(torch)(torch.tensor(x), (2, 1), mode=mode)
        assert ours.tolist() == theirs.tolist()
    ours = F_pad(chainrule)(chainrule.tensor(x), (1, 1), value=1.7)
    theirs = F_pad(torch)(torch.tensor(x), (1, 1), value=1.7)
    assert ours.tolist() == theirs.tolist() and ours.dtype.name == "int64"


# --- cat: type promotion and the empty-tensor rule ---------------------------------------------

CATS = {
    "int+float": lambda m: m.cat([m.tensor([1, 2]), m.tensor([1.5])]),
    "bool+int32": lambda m: m.cat([m.tensor([True]), m.tensor([1], dtype=m.int32)]),
    "int32+int64": lambda m: m.cat([m.tensor([1], dtype=m.int32), m.tensor([2])]),
    "uint8+int8": lambda m: m.cat([m.tensor([1], dtype=m.uint8), m.tensor([-1], dtype=m.int8)]),
    "float16+float32": lambda m: m.cat([m.tensor([1.0], dtype=m.float16), m.tensor([2.0])]),
    "int64+float16": lambda m: m.cat([m.tensor([1]), m.tensor([2.0], dtype=m.float16)]),
    "empty_float64_promotes": lambda m: m.cat([m.ones(2, 2), m.zeros(0, dtype=m.float64)]),
    "empty_skipped_dim1": lambda m: m.cat([m.ones(2, 2), m.zeros(0)], 1),
    "empty_first": lambda m: m.cat([m.zeros(0), m.ones(2, 3), m.zeros(1, 3)]),
    "all_empty": lambda m: m.cat([m.zeros(0), m.zeros(0)]),
    "empty_2d_kept": lambda m: m.cat([m.ones(2, 3), m.zeros(0, 3)]),
    "stack_int_float": lambda m: m.stack([m.tensor([1, 2]), m.tensor([1.5, 2.0])]),
    "stack_0d": lambda m: m.stack([m.tensor(1.0), m.tensor(2.0, dtype=m.float64)]),
    "hstack_0d_1d": lambda m: m.hstack([m.tensor(1.0), m.tensor([2.0, 3.0])]),
    "vstack_1d": lambda m: m.vstack([m.tensor([1, 2]), m.tensor([3, 4])]),
    "dstack_2d": lambda m: m.dstack([m.ones(2, 2), m.zeros(2, 2)]),
}


@pytest.mark.parametrize("name", list(CATS))
def test_cat_promotion_and_empty_rule(torch, name):
    ours, theirs = CATS[name](chainrule), CATS[name](torch)
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_array_equal(vals(ours), theirs.numpy())


def test_cat_gradient_of_skipped_empty_tensor(lib):
    x = lib.ones(2, 2, requires_grad=True)
    e = lib.zeros(0, requires_grad=True)
    (lib.cat([x, e]) * 3).sum().backward()
    assert x.grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert tuple(e.grad.shape) == (0,)


def test_cat_mixed_dtype_gradients_keep_each_inputs_dtype(torch):
    fn = lambda m, x, y: m.cat([x.float(), y]) * 2  # noqa: E731
    ours, theirs = both(torch, fn, np.array([1.0, 2.0]), np.array([3.0]))
    assert_same(ours, theirs)
    for m in (chainrule, torch):
        x = m.tensor([1.0], requires_grad=True)
        y = m.tensor([2.0], dtype=m.float64, requires_grad=True)
        m.cat([x, y]).sum().backward()
        assert str(x.grad.dtype).endswith("float32") and str(y.grad.dtype).endswith("float64")


# --- random shapes ---------------------------------------------------------------------------


@needs_torch
@given(
    shape=array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=3),
    extra=st.lists(st.integers(0, 3), min_size=1, max_size=3),
    dim=st.integers(-4, 3),
    seed=st.integers(0, 2**16),
)
def test_cat_random_shapes(shape, extra, dim, seed):
    assume(-len(shape) <= dim < len(shape))
    rng = np.random.default_rng(seed)
    arrays = []
    for n in [shape[dim]] + extra:
        s = list(shape)
        s[dim] = n
        arrays.append(rng.standard_normal(s))
    ours, theirs = both(_torch, lambda m, *xs: m.cat(xs, dim), *arrays)
    assert_same(ours, theirs)


@needs_torch
@given(
    shape=array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
    n=st.integers(1, 3),
    dim=st.integers(-4, 3),
    seed=st.integers(0, 2**16),
)
def test_stack_random_shapes(shape, n, dim, seed):
    assume(-len(shape) - 1 <= dim <= len(shape))
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for _ in range(n)]
    ours, theirs = both(_torch, lambda m, *xs: m.stack(xs, dim=dim), *arrays)
    assert_same(ours, theirs)


@needs_torch
@given(
    shape=array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=4),
    data=st.data(),
    seed=st.integers(0, 2**16),
)
def test_flip_and_roll_random_shapes(shape, data, seed):
    n = len(shape)
    dims = data.draw(st.lists(st.integers(-n, n - 1), max_size=n, unique_by=lambda d: d % n))
    shifts = data.draw(st.lists(st.integers(-7, 7), min_size=len(dims), max_size=len(dims)))
    x = np.random.default_rng(seed).standard_normal(shape)
    ours, theirs = both(_torch, lambda m, t: t.flip(dims), x)
    assert_same(ours, theirs)
    if dims:
        ours, theirs = both(_torch, lambda m, t: t.roll(shifts, dims), x)
    else:
        ours, theirs = both(_torch, lambda m, t: m.roll(t, shifts[0] if shifts else 3), x)
    assert_same(ours, theirs)


@needs_torch
@given(
    shape=array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    data=st.data(),
    seed=st.integers(0, 2**16),
)
def test_gather_and_scatter_add_random_shapes(shape, data, seed):
    n = len(shape)
    dim = data.draw(st.integers(-n, n - 1))
    ishape = [data.draw(st.integers(0, s)) for s in shape]
    ishape[dim] = data.draw(st.integers(0, 5))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, shape[dim], ishape)
    x, src = rng.standard_normal(shape), rng.standard_normal(ishape)
    ours, theirs = both(_torch, lambda m, t: t.gather(dim, m.tensor(idx)), x)
    assert_same(ours, theirs)
    fn = lambda m, t, s: t.scatter_add(dim, m.tensor(idx), s)  # noqa: E731
    ours, theirs = both(_torch, fn, x, src)
    assert_same(ours, theirs)


# --- grad_fn names, integer inputs, nonzero ------------------------------------------------------

NAMES = {
    "cat": lambda m, x: m.cat([x, x]),
    "stack": lambda m, x: m.stack([x, x]),
    "hstack": lambda m, x: m.hstack([x, x]),
    "split": lambda m, x: x.split(2)[0],
    "split_sizes": lambda m, x: x.split([1, 2])[0],
    "chunk": lambda m, x: x.chunk(2)[1],
    "unbind": lambda m, x: x.unbind()[0],
    "tensor_split": lambda m, x: x.tensor_split(2)[0],
    "flip": lambda m, x: x.flip(0),
    "roll": lambda m, x: x.roll(1),
    "repeat": lambda m, x: x.repeat(2, 1),
    "tile": lambda m, x: x.tile(2),
    "tril": lambda m, x: x.tril(),
    "triu": lambda m, x: x.triu(),
    "diag_vec": lambda m, x: m.diag(x[0]),
    "diag_mat": lambda m, x: m.diag(x),
    "diag_embed": lambda m, x: m.diag_embed(x),
    "gather": lambda m, x: x.gather(0, m.tensor([[0]])),
    "scatter": lambda m, x: x.scatter(0, m.tensor([[0]]), x),
    "scatter_value": lambda m, x: x.scatter(0, m.tensor([[0]]), 1.0),
    "scatter_add": lambda m, x: x.scatter_add(0, m.tensor([[0]]), x),
    "index_select": lambda m, x: x.index_select(0, m.tensor([0])),
    "index_add": lambda m, x: x.index_add(0, m.tensor([0]), x[:1]),
    "index_copy": lambda m, x: x.index_copy(0, m.tensor([0]), x[:1]),
    "index_fill": lambda m, x: x.index_fill(0, m.tensor([0]), 1.0),
    "index_fill_tensor": lambda m, x: x.index_fill(0, m.tensor([0]), m.tensor(1.0)),
    "masked_fill": lambda m, x: x.masked_fill(x > 0, 1.0),
    "masked_fill_tensor": lambda m, x: x.masked_fill(x > 0, m.tensor(1.0)),
    "masked_select": lambda m, x: x.masked_select(x > 0),
    "take": lambda m, x: x.take(m.tensor([0])),
    "take_along_dim": lambda m, x: m.take_along_dim(x, m.tensor([[0]]), 1),
    "masked_fill_": lambda m, x: (x * 1).masked_fill_(x > 0, 1.0),
    "index_add_": lambda m, x: (x * 1).index_add_(0, m.tensor([0]), x[:1]),
}


@pytest.mark.parametrize("name", list(NAMES))
def test_grad_fn_names_match_torch(torch, name):
    got = []
    for m in (chainrule, torch):
        x = m.tensor(M33, requires_grad=True)
        got.append(type(NAMES[name](m, x).grad_fn).__name__)
    assert got[0] == got[1]


INTEGER = {
    "cat": lambda m, x: m.cat([x, x]),
    "flip": lambda m, x: x.flip(1),
    "roll": lambda m, x: x.roll(-1, 0),
    "repeat": lambda m, x: x.repeat(1, 2),
    "tril": lambda m, x: x.tril(),
    "diag": lambda m, x: m.diag(x),
    "diagonal": lambda m, x: x.diagonal(1),
    "gather": lambda m, x: x.gather(1, m.tensor([[0, 0], [1, 2], [2, 2]])),
    "scatter_value": lambda m, x: x.scatter(1, m.tensor([[0], [1], [2]]), 9),
    "index_select": lambda m, x: x.index_select(1, m.tensor([2, 0])),
    "masked_fill_float": lambda m, x: x.masked_fill(x > 4, 1.7),
    "masked_select": lambda m, x: x.masked_select(x > 4),
    "take": lambda m, x: x.take(m.tensor([8, -9])),
    "bool_cat": lambda m, x: m.cat([x > 3, x < 1]),
    "bool_flip": lambda m, x: (x > 3).flip(0),
}


@pytest.mark.parametrize("name", list(INTEGER))
def test_integer_and_bool_inputs(torch, name):
    x = np.arange(9).reshape(3, 3)
    ours, theirs = (
        INTEGER[name](chainrule, chainrule.tensor(x)),
        INTEGER[name](torch, torch.tensor(x)),
    )
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize(
    "data", [0.0, 2.0, [0.0, 1.0, -2.0], [[0, 1], [3, 0]], [[[True, False]]], [], [[]]]
)
def test_nonzero_and_argwhere(torch, data):
    for fn in (
        lambda m, t: m.nonzero(t),
        lambda m, t: m.argwhere(t),
        lambda m, t: t.nonzero(as_tuple=True),
    ):
        ours, theirs = fn(chainrule, chainrule.tensor(data)), fn(torch, torch.tensor(data))
        if isinstance(theirs, tuple):
            assert len(ours) == len(theirs)
            pairs = list(zip(ours, theirs))
        else:
            pairs = [(ours, theirs)]
        for a, b in pairs:
            assert tuple(a.shape) == tuple(b.shape) and a.dtype.name == "int64"
            assert a.tolist() == b.tolist()


# --- errors ------------------------------------------------------------------------------------

X = lambda m: m.zeros(3, 4)  # noqa: E731
L = lambda m, d: m.tensor(d)  # noqa: E731
I32 = lambda m, d: m.tensor(d, dtype=m.int32)  # noqa: E731

ERRORS = {
    # joining
    "cat_sizes": lambda m: m.cat([X(m), m.zeros(3, 5)]),
    "cat_ndim": lambda m: m.cat([X(m), m.zeros(3)]),
    "cat_0d": lambda m: m.cat([X(m), m.tensor(1.0)]),
    "cat_empty_list": lambda m: m.cat([]),
    "cat_dim": lambda m: m.cat([X(m), X(m)], 2),
    "cat_not_list": lambda m: m.cat(X(m)),
    "cat_2d_empty_mismatch": lambda m: m.cat([X(m), m.zeros(0, 5)]),
    "stack_sizes": lambda m: m.stack([X(m), m.zeros(3, 5)]),
    "stack_empty": lambda m: m.stack([]),
    "stack_dim": lambda m: m.stack([X(m)], 3),
    "split_0": lambda m: X(m).split(0),
    "split_neg": lambda m: X(m).split(-1),
    "split_sizes_sum": lambda m: X(m).split([1, 1]),
    "split_sizes_neg": lambda m: X(m).split([4, -1]),
    "split_0d": lambda m: m.tensor(1.0).split(1),
    "split_dim": lambda m: X(m).split(1, 2),
    "chunk_0": lambda m: X(m).chunk(0),
    "chunk_0d": lambda m: m.tensor(1.0).chunk(2),
    "unbind_0d": lambda m: m.tensor(1.0).unbind(),
    "unbind_dim": lambda m: X(m).unbind(-3),
    "tensor_split_0": lambda m: X(m).tensor_split(0),
    # layout
    "flip_dup": lambda m: X(m).flip(0, -2),
    "flip_dim": lambda m: X(m).flip(2),
    "roll_align": lambda m: X(m).roll((1, 2), 0),
    "roll_flat_align": lambda m: X(m).roll((1, 2)),
    "roll_0d_dim": lambda m: m.tensor(1.0).roll(1, 0),
    "repeat_few": lambda m: X(m).repeat(2),
    "repeat_negative": lambda m: X(m).repeat(2, -1),
    "tile_negative": lambda m: X(m).tile(-1),
    "narrow_past_end": lambda m: X(m).narrow(1, 3, 2),
    "narrow_neg_length": lambda m: X(m).narrow(1, 0, -1),
    "narrow_start": lambda m: X(m).narrow(1, 5, 0),
    "narrow_neg_start": lambda m: X(m).narrow(1, -5, 2),
    "narrow_0d": lambda m: m.tensor(1.0).narrow(0, 0, 1),
    "movedim_repeat_src": lambda m: X(m).movedim((0, 0), (0, 1)),
    "movedim_repeat_dst": lambda m: X(m).movedim((0, 1), (1, 1)),
    "movedim_lengths": lambda m: X(m).movedim((0, 1), (0,)),
    "movedim_dim": lambda m: X(m).movedim(2, 0),
    "unflatten_sizes": lambda m: X(m).unflatten(1, (3, 2)),
    "unflatten_infer": lambda m: X(m).unflatten(1, (3, -1)),
    "unflatten_empty": lambda m: X(m).unflatten(1, ()),
    "broadcast_to": lambda m: X(m).broadcast_to((3, 5)),
    "tril_1d": lambda m: m.zeros(3).tril(),
    "triu_0d": lambda m: m.tensor(1.0).triu(),
    "diag_3d": lambda m: m.zeros(2, 2, 2).diag(),
    "diag_0d": lambda m: m.tensor(1.0).diag(),
    "diagonal_same": lambda m: X(m).diagonal(0, 1, 1),
    "diagonal_1d": lambda m: m.zeros(3).diagonal(),
    "diag_embed_same": lambda m: m.diag_embed(m.zeros(3), 0, 0, 0),
    "diag_embed_0d": lambda m: m.diag_embed(m.tensor(1.0)),
    "fliplr_1d": lambda m: m.zeros(3).fliplr(),
    "flipud_0d": lambda m: m.tensor(1.0).flipud(),
    # pad
    "pad_odd": lambda m: F_pad(m)(X(m), (1,)),
    "pad_long": lambda m: F_pad(m)(X(m), (1, 1, 1, 1, 1, 1)),
    "pad_0d": lambda m: F_pad(m)(m.tensor(1.0), (1, 1)),
    "pad_float": lambda m: F_pad(m)(X(m), (1.5, 2)),
    "pad_mode": lambda m: F_pad(m)(X(m), (1, 1), mode="foo"),
    "pad_value_reflect": lambda m: F_pad(m)(X(m)[None], (1, 1), mode="reflect", value=1.0),
    "pad_crop_too_much": lambda m: F_pad(m)(X(m), (-3, -2)),
    "pad_crop_start": lambda m: F_pad(m)(X(m), (-5, 0)),
    "pad_reflect_big": lambda m: F_pad(m)(X(m)[None], (4, 4), mode="reflect"),
    "pad_reflect_big_h": lambda m: F_pad(m)(X(m)[None], (0, 0, 3, 3), mode="reflect"),
    "pad_reflect_1d": lambda m: F_pad(m)(m.zeros(4), (1, 1), mode="reflect"),
    "pad_reflect_4d_len2": lambda m: F_pad(m)(m.zeros(2, 2, 2, 4), (1, 1), mode="reflect"),
    "pad_reflect_empty": lambda m: F_pad(m)(m.zeros(1, 0), (1, 1), mode="reflect"),
    "pad_reflect_small": lambda m: F_pad(m)(X(m)[None], (-2, -2), mode="reflect"),
    "pad_replicate_small": lambda m: F_pad(m)(X(m)[None], (-3, -1), mode="replicate"),
    "pad_replicate_empty": lambda m: F_pad(m)(m.zeros(1, 2, 0), (1, 1), mode="replicate"),
    "pad_circular_wrap": lambda m: F_pad(m)(X(m)[None], (5, 1), mode="circular"),
    "pad_circular_1d": lambda m: F_pad(m)(m.zeros(4), (1, 1), mode="circular"),
    "pad_circular_2d_len4": lambda m: F_pad(m)(X(m), (1, 1, 1, 1), mode="circular"),
    # gather and scatter
    "gather_float_index": lambda m: X(m).gather(1, L(m, [[0.0]])),
    "gather_oob": lambda m: X(m).gather(1, L(m, [[4]])),
    "gather_negative": lambda m: X(m).gather(1, L(m, [[-1]])),
    "gather_ndim": lambda m: X(m).gather(1, L(m, [0])),
    "gather_size": lambda m: X(m).gather(1, L(m, [[0]] * 4)),
    "gather_dim": lambda m: X(m).gather(2, L(m, [[0]])),
    "gather_list_index": lambda m: X(m).gather(1, [[0]]),
    "scatter_dtype": lambda m: X(m).scatter(1, L(m, [[0]]), m.zeros(1, 1, dtype=m.float64)),
    "scatter_oob": lambda m: X(m).scatter(1, L(m, [[5]]), 1.0),
    "scatter_float_index": lambda m: X(m).scatter(1, L(m, [[0.0]]), 1.0),
    "scatter_ndim": lambda m: X(m).scatter(1, L(m, [0]), 1.0),
    "scatter_src_small": lambda m: X(m).scatter(1, L(m, [[0, 1]]), m.zeros(1, 1)),
    "scatter_index_big": lambda m: X(m).scatter(1, L(m, [[0]] * 4), m.zeros(5, 1)),
    "scatter_reduce_name": lambda m: X(m).scatter(1, L(m, [[0]]), 1.0, reduce="foo"),
    "scatter_add_dtype": lambda m: X(m).scatter_add(1, L(m, [[0]]), m.zeros(1, 1, dtype=m.float64)),
    "scatter_add_oob": lambda m: X(m).scatter_add(1, L(m, [[9]]), X(m)),
    "scatter_add_scalar": lambda m: X(m).scatter_add(1, L(m, [[0]]), 1.0),
    "scatter__oob": lambda m: X(m).scatter_(0, L(m, [[3]]), 1.0),
    "take_along_dim_int32": lambda m: m.take_along_dim(X(m), I32(m, [[0]]), 1),
    "take_along_dim_ndim": lambda m: m.take_along_dim(X(m), L(m, [0]), 0),
    "take_int32": lambda m: X(m).take(I32(m, [0])),
    "take_float": lambda m: X(m).take(L(m, [0.0])),
    "take_oob": lambda m: X(m).take(L(m, [12])),
    "take_negative_oob": lambda m: X(m).take(L(m, [-13])),
    # index_*
    "index_select_float": lambda m: X(m).index_select(0, L(m, [0.0])),
    "index_select_oob": lambda m: X(m).index_select(0, L(m, [3])),
    "index_select_negative": lambda m: X(m).index_select(0, L(m, [-1])),
    "index_select_2d": lambda m: X(m).index_select(0, L(m, [[0]])),
    "index_select_scalar": lambda m: m.tensor(1.0).index_select(0, L(m, [0, 0])),
    "index_add_oob": lambda m: X(m).index_add(0, L(m, [5]), X(m)[:1]),
    "index_add_negative": lambda m: X(m).index_add(0, L(m, [-1]), X(m)[:1]),
    "index_add_count": lambda m: X(m).index_add(0, L(m, [0]), X(m)[:2]),
    "index_add_shape": lambda m: X(m).index_add(0, L(m, [0]), m.zeros(1, 3)),
    "index_add_dtype": lambda m: X(m).index_add(0, L(m, [0]), m.zeros(1, 4, dtype=m.float64)),
    "index_add_2d": lambda m: X(m).index_add(0, L(m, [[0]]), m.zeros(1, 4)),
    "index_add_float": lambda m: X(m).index_add(0, L(m, [0.0]), m.zeros(1, 4)),
    "index_copy_int32": lambda m: X(m).index_copy(0, I32(m, [0]), X(m)[:1]),
    "index_copy_oob": lambda m: X(m).index_copy(0, L(m, [5]), X(m)[:1]),
    "index_copy_negative": lambda m: X(m).index_copy(0, L(m, [-1]), X(m)[:1]),
    "index_copy_slice": lambda m: X(m).index_copy(0, L(m, [0]), m.zeros(1, 3)),
    "index_copy_count": lambda m: X(m).index_copy(0, L(m, [0]), m.zeros(2, 4)),
    "index_copy_2d": lambda m: X(m).index_copy(0, L(m, [[0]]), m.zeros(1, 4)),
    "index_copy_dtype": lambda m: X(m).index_copy(0, L(m, [0]), m.zeros(1, 4, dtype=m.float64)),
    "index_fill_int32": lambda m: X(m).index_fill(0, I32(m, [0]), 1.0),
    "index_fill_oob": lambda m: X(m).index_fill(0, L(m, [5]), 1.0),
    "index_fill_2d": lambda m: X(m).index_fill(0, L(m, [[0]]), 1.0),
    "index_fill_vector_value": lambda m: X(m).index_fill(0, L(m, [0]), m.tensor([1.0])),
    # masked_*
    "masked_fill_long_mask": lambda m: X(m).masked_fill(L(m, [1, 0, 0, 1]), 1.0),
    "masked_fill_uint8_mask": lambda m: X(m).masked_fill(
        m.tensor([1, 0, 0, 1], dtype=m.uint8), 1.0
    ),
    "masked_fill_vector_value": lambda m: X(m).masked_fill(X(m) > 0, m.tensor([1.0, 2.0])),
    "masked_fill_shape": lambda m: X(m).masked_fill(m.ones(3, dtype=m.bool), 1.0),
    "masked_fill__grows": lambda m: X(m).masked_fill_(m.ones(2, 3, 4, dtype=m.bool), 1.0),
    "masked_select_long": lambda m: X(m).masked_select(L(m, [1, 0, 0, 1])),
    "masked_select_shape": lambda m: X(m).masked_select(m.ones(3, dtype=m.bool)),
}

# where chainrule's message differs from torch's (only the type is compared there)
LOOSE = {
    "gather_list_index",  # torch names the argument's position, which differs per call form
    "scatter_add_scalar",
}


def _error(fn: Any, m: Any) -> BaseException:
    with pytest.raises(Exception) as info:
        fn(m)
    return info.value


@pytest.mark.parametrize("name", list(ERRORS))
def test_errors_match_torch(torch, name):
    ours, theirs = _error(ERRORS[name], chainrule), _error(ERRORS[name], torch)
    assert type(ours) is type(theirs), f"{type(ours).__name__}: {ours}"
    if name not in LOOSE:
        # chainrule may add context after torch's words (the shapes of a broadcast clash)
        assert str(ours).split("\n")[0].startswith(str(theirs).split("\n")[0])


def test_errors_leave_the_tensor_unchanged(lib):
    x = lib.tensor(M34.copy())
    for bad in (
        lambda: x.scatter_(1, lib.tensor([[5]]), 1.0),
        lambda: x.index_add_(0, lib.tensor([3]), x[:1]),
        lambda: x.masked_fill_(lib.ones(2, 3, 4, dtype=lib.bool), 1.0),
        lambda: x.index_fill_(0, lib.tensor([3]), 0.0),
    ):
        with pytest.raises((RuntimeError, IndexError)):
            bad()
    assert np.array_equal(vals(x), M34) and x._version == 0
