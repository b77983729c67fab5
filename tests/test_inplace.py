"""In-place operations: values and gradients through them, the leaf rule, the version counter
and the errors it raises, and torch's dtype rules for writing results in place.

Tests taking the ``lib`` fixture run once against chainrule and once against torch (the torch
run proves the expectation is torch's); tests taking ``torch`` compare the two directly.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule


def vals(t) -> np.ndarray:
    return np.asarray(t.detach().numpy(), dtype=np.float64)


X = [[0.5, -1.2, 2.0], [1.5, 0.3, -0.7]]
W = [[1.1, 0.4, -2.0], [-0.3, 0.9, 1.7]]
C = [[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]]  # weights the loss so each element's gradient differs

# op(L, y, w, w0): y = x * 1 (a non-leaf), w a (2, 3) and w0 a 0-d tensor, both requiring grad
INPLACE = {
    "add_": lambda L, y, w, w0: y.add_(w),
    "add_-alpha": lambda L, y, w, w0: y.add_(w, alpha=2.0),
    "add_-scalar": lambda L, y, w, w0: y.add_(1.5),
    "add_-0d": lambda L, y, w, w0: y.add_(w0),
    "sub_": lambda L, y, w, w0: y.sub_(w),
    "sub_-alpha": lambda L, y, w, w0: y.sub_(w, alpha=0.5),
    "mul_": lambda L, y, w, w0: y.mul_(w),
    "mul_-scalar": lambda L, y, w, w0: y.mul_(3.0),
    "mul_-row": lambda L, y, w, w0: y.mul_(w[0]),
    "div_": lambda L, y, w, w0: y.div_(w),
    "div_-scalar": lambda L, y, w, w0: y.div_(4.0),
    "zero_": lambda L, y, w, w0: y.zero_(),
    "fill_": lambda L, y, w, w0: y.fill_(2.5),
    "fill_-0d-tensor": lambda L, y, w, w0: y.fill_(w0),
    "clamp_": lambda L, y, w, w0: y.clamp_(-0.5, 0.8),
    "clamp_-min": lambda L, y, w, w0: y.clamp_(min=0.0),
    "clamp_-max": lambda L, y, w, w0: y.clamp_(max=1.0),
    "copy_": lambda L, y, w, w0: y.copy_(w),
    "copy_-broadcast": lambda L, y, w, w0: y.copy_(w[1]),
    "chain": lambda L, y, w, w0: y.mul_(w).add_(1.0).div_(2.0).sub_(w0),
    "iadd": lambda L, y, w, w0: y.__iadd__(w),
    "isub": lambda L, y, w, w0: y.__isub__(w0),
    "imul": lambda L, y, w, w0: y.__imul__(w),
    "itruediv": lambda L, y, w, w0: y.__itruediv__(w),
    "setitem-int": lambda L, y, w, w0: y.__setitem__(0, 5.0),
    "setitem-int-grad-row": lambda L, y, w, w0: y.__setitem__(1, w[0] * 2),
    "setitem-neg-int": lambda L, y, w, w0: y.__setitem__(-1, w0),
    "setitem-two-ints": lambda L, y, w, w0: y.__setitem__((0, 2), w0),
    "setitem-slice": lambda L, y, w, w0: y.__setitem__((slice(None), slice(1, None)), w[:, :2]),
    "setitem-step-slice": lambda L, y, w, w0: y.__setitem__(
        (slice(None), slice(None, None, 2)), w[:, 1:]
    ),
    "setitem-column": lambda L, y, w, w0: y.__setitem__((slice(None), 1), w0),
    "setitem-ellipsis": lambda L, y, w, w0: y.__setitem__(Ellipsis, w),
    "setitem-mask-scalar": lambda L, y, w, w0: y.__setitem__(y > 0, 0.0),
    "setitem-mask-0d-grad": lambda L, y, w, w0: y.__setitem__(y < 0, w0),
    "setitem-mask-values": lambda L, y, w, w0: y.__setitem__(w > 0, w[w > 0] * 3),
    "setitem-index-tensor": lambda L, y, w, w0: y.__setitem__(L.tensor([1, 0]), w),
    "setitem-index-list": lambda L, y, w, w0: y.__setitem__([1], w[:1]),
    "setitem-index-pairs": lambda L, y, w, w0: y.__setitem__(
        (L.tensor([0, 1]), L.tensor([2, 0])), w[0, :2]
    ),
    "setitem-then-mul_": lambda L, y, w, w0: (y.__setitem__(0, w[1]), y.mul_(w))[1],
}


def run_inplace(L, name):
    x = L.tensor(X, dtype=L.float64, requires_grad=True)
    w = L.tensor(W, dtype=L.float64, requires_grad=True)
    w0 = L.tensor(0.7, dtype=L.float64, requires_grad=True)
    y = x * 1
    out = INPLACE[name](L, y, w, w0)
    assert out is None or out is y  # in-place methods return the tensor itself
    assert y.requires_grad and not y.is_leaf
    c = L.tensor(C, dtype=L.float64)
    loss = (y * c).sum() + (y**2).sum()  # y**2: gradients depend on y's new values
    loss.backward()
    grads = [None if t.grad is None else vals(t.grad) for t in (x, w, w0)]
    return vals(y), grads


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_values_and_gradients_match_torch(torch, name):
    ours_y, ours_g = run_inplace(chainrule, name)
    theirs_y, theirs_g = run_inplace(torch, name)
    np.testing.assert_allclose(ours_y, theirs_y, rtol=1e-12, err_msg="values")
    for label, a, b in zip(("x", "w", "w0"), ours_g, theirs_g):
        assert (a is None) == (b is None), f"{label}.grad: ours {a}, torch's {b}"
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14, err_msg=f"{label}.grad")


def test_mul_inplace_gradient_by_hand(lib):
    # y = x*1; y.mul_(w); loss = sum(y) -> dloss/dx = w, dloss/dw = x
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, -4.0], requires_grad=True)
    y = x * 1
    y.mul_(w)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, -4.0]
    assert w.grad.tolist() == [1.0, 2.0]
    assert type(y.grad_fn).__name__ == "MulBackward0"


def test_inplace_on_tensor_not_requiring_grad_with_value_that_does(lib):
    c = lib.tensor([1.0, 2.0])
    w = lib.tensor([3.0, 4.0], requires_grad=True)
    c.mul_(w)
    assert c.requires_grad and not c.is_leaf
    c.sum().backward()
    assert w.grad.tolist() == [1.0, 2.0]


def test_setitem_of_grad_value_into_plain_tensor(lib):
    buf = lib.zeros(3)
    w = lib.tensor([2.0, 5.0], requires_grad=True)
    buf[1:] = w
    assert buf.requires_grad
    (buf * lib.tensor([1.0, 10.0, 100.0])).sum().backward()
    assert w.grad.tolist() == [10.0, 100.0]


def test_inplace_on_a_view_of_a_non_leaf(torch):
    def run(L):
        x = L.tensor(X, dtype=L.float64, requires_grad=True)
        y = x * 1
        y[0].mul_(2)
        y[:, 1].add_(1)
        (y * y).sum().backward()
        return vals(y), vals(x.grad)

    for ours, theirs in zip(run(chainrule), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# --- leaves ------------------------------------------------------------------------------------

LEAF_OPS = {
    "add_": lambda L, x: x.add_(1.0),
    "sub_": lambda L, x: x.sub_(1.0),
    "mul_": lambda L, x: x.mul_(2.0),
    "div_": lambda L, x: x.div_(2.0),
    "zero_": lambda L, x: x.zero_(),
    "fill_": lambda L, x: x.fill_(3.0),
    "clamp_": lambda L, x: x.clamp_(0.0, 1.0),
    "copy_": lambda L, x: x.copy_(L.ones(2)),
    "setitem": lambda L, x: x.__setitem__(0, 9.0),
    "iadd": lambda L, x: x.__iadd__(1.0),
}


@pytest.mark.parametrize("name", list(LEAF_OPS))
def test_inplace_on_leaf_requiring_grad_raises(lib, name):
    x = lib.tensor([0.25, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        LEAF_OPS[name](lib, x)
    assert x.tolist() == [0.25, 2.0]
    assert x.is_leaf and x.grad_fn is None


@pytest.mark.parametrize("name", list(LEAF_OPS))
def test_inplace_on_leaf_works_inside_no_grad(torch, name):
    res = []
    for L in (chainrule, torch):
        x = L.tensor([0.25, 2.0], requires_grad=True)
        with L.no_grad():
            LEAF_OPS[name](L, x)
        assert x.is_leaf and x.requires_grad and x.grad_fn is None
        assert x._version == 1
        res.append(x.tolist())
    assert res[0] == res[1]


def test_inplace_on_a_view_of_a_leaf_requiring_grad_raises(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        x[0].add_(1.0)
    assert x.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("form", ["isub", "sub_", "add_-alpha"])
def test_sgd_update_under_no_grad(lib, form):
    p = lib.tensor([1.0, -2.0], requires_grad=True)
    lr = 0.1
    for _ in range(3):
        loss = (p * p).sum()
        loss.backward()
        with lib.no_grad():
            if form == "isub":
                p -= lr * p.grad
            elif form == "sub_":
                p.sub_(lr * p.grad)
            else:
                p.add_(p.grad, alpha=-lr)
        p.grad.zero_()
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    np.testing.assert_allclose(vals(p), np.array([1.0, -2.0]) * 0.8**3, rtol=1e-6)


# --- the version counter -----------------------------------------------------------------------

VERSION_STEPS = [
    "t.add_(1)",
    "t.mul_(2)",
    "t.sub_(1)",
    "t.div_(2)",
    "t.__setitem__(0, 5.0)",
    "t.__setitem__(slice(1, 3), L.tensor([1.0, 2.0]))",
    "t.__setitem__(t > 2, 0.0)",
    "t.__setitem__(L.tensor([0, 2]), 7.0)",
    "t.zero_()",
    "t.fill_(1.0)",
    "t.copy_(L.ones(4))",
    "t.clamp_(0, 1)",
    "t.__iadd__(1)",
    "t[1:].add_(1)",
    "t.detach().mul_(2)",
    "t.add(1)",
    "t[0]",
    "t.clone().add_(1)",
    "t.exp_()",
    "t.neg_()",
    "t.__setitem__(Ellipsis, 2.0)",
]


def test_version_counter_follows_torch(torch):
    def versions(L):
        t = L.tensor([1.0, 2.0, 3.0, 4.0])
        seen = [t._version]
        for step in VERSION_STEPS:
            eval(step, {"L": L, "t": t})
            seen.append(t._version)
        return seen

    assert versions(chainrule) == versions(torch)


def test_version_counter_is_shared_with_views_and_detached(lib):
    t = lib.tensor([1.0, 2.0, 3.0])
    v = t[1:]
    d = t.detach()
    v.add_(1)
    assert t._version == v._version == d._version == 1
    d.mul_(2)
    assert t._version == v._version == 2
    assert t.tolist() == [2.0, 6.0, 8.0]


def test_inplace_on_non_leaf_bumps_only_its_version(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    assert y._version == 0
    y.mul_(2)
    y.add_(1)
    assert y._version == 2 and x._version == 0


# --- modified-after-save errors ----------------------------------------------------------------


def test_modifying_a_saved_output_raises_naming_op_and_versions(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a = x.exp()  # ExpBackward0 saves its output
    a.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
        a.sum().backward()
    msg = str(info.value)
    assert "Exp" in msg and "version 1" in msg and "version 0" in msg


def test_modifying_a_saved_input_raises_naming_op_and_versions(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = x * 1
    c = b * b  # MulBackward0 saves b
    b.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
        c.sum().backward()
    msg = str(info.value)
    assert "Mul" in msg and "version 1" in msg and "version 0" in msg


def test_mul_inplace_by_itself_raises_at_backward(lib):
    # y.mul_(y) saves y's old value as the "other" operand, then overwrites it (torch agrees)
    y = lib.tensor([1.0, 2.0], requires_grad=True) * 1
    y.mul_(y)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_version_error_reports_the_current_version(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    b = x * 1
    c = b.sin()
    b.add_(1)
    b.add_(1)
    with pytest.raises(RuntimeError, match="version 2; expected version 0"):
        c.sum().backward()


def test_modifying_a_saved_leaf_under_no_grad_raises(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x.sin()
    with lib.no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match="version 1; expected version 0"):
        y.sum().backward()


def test_modifying_after_backward_is_fine(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    a = x.exp()
    a.sum().backward()
    a.detach().zero_()
    np.testing.assert_allclose(vals(x.grad), np.exp([1.0, 2.0]), rtol=1e-6)


@pytest.mark.parametrize(
    "build, grad",
    [
        ("b + 1", [1.0, 1.0]),
        ("b * 2", [2.0, 2.0]),
        ("b * L.tensor([3.0, 4.0])", [3.0, 4.0]),
        ("b.sum() + 0 * b", [2.0, 2.0]),
        ("b.exp()", None),
    ],
    ids=["add-scalar", "mul-scalar", "mul-constant-tensor", "sum", "exp"],
)
def test_modifying_a_tensor_the_derivative_does_not_need_is_fine(lib, build, grad):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    b = x * 1
    out = eval(build, {"L": lib, "b": b})
    b.add_(1)
    out.sum().backward()
    expected = np.exp([1.0, 2.0]) if grad is None else grad  # exp saved its result, not b
    np.testing.assert_allclose(vals(x.grad), expected, rtol=1e-6)


# --- dtype rules -------------------------------------------------------------------------------

DTYPE_REFUSED = [
    "L.tensor([1, 2]).add_(1.5)",
    "L.tensor([1, 2]).mul_(1.5)",
    "L.tensor([1, 2]).__iadd__(1.5)",
    "L.tensor([1, 2]).div_(2)",
    "L.tensor([1, 2]).mul_(L.tensor([1.5, 2.0]))",
    "L.tensor([True]).add_(1)",
    "L.tensor([1, 2]).clamp_(0.5, 1.5)",
    "L.zeros(3).add_(L.ones(2, 3))",
]


@pytest.mark.parametrize("expr", DTYPE_REFUSED)
def test_inplace_result_that_cannot_be_cast_raises(lib, expr):
    with pytest.raises(RuntimeError):
        eval(expr, {"L": lib})


DTYPE_ALLOWED = [
    ("L.tensor([1, 2]).add_(1)", [2, 3], "int64"),
    ("L.tensor([1, 2], dtype=L.int32).add_(L.tensor([1, 2]))", [2, 4], "int32"),
    ("L.zeros(2).add_(L.ones(2, dtype=L.float64))", [1.0, 1.0], "float32"),
    ("L.zeros(2).add_(L.tensor([1, 2]))", [1.0, 2.0], "float32"),
    ("L.tensor([1, 2]).fill_(1.5)", [1, 1], "int64"),
    ("L.tensor([1, 2]).copy_(L.tensor([1.5, 2.5]))", [1, 2], "int64"),
    ("L.tensor([1.0, 2.0]).add_(1, alpha=2)", [3.0, 4.0], "float32"),
]


@pytest.mark.parametrize("expr, expected, dtype", DTYPE_ALLOWED)
def test_inplace_result_is_cast_to_the_tensors_dtype(lib, expr, expected, dtype):
    t = eval(expr, {"L": lib})
    assert t.tolist() == expected
    assert repr(t.dtype).endswith("." + dtype)


def test_setitem_float_into_int_tensor_truncates(lib):
    t = lib.tensor([1, 2])
    t[0] = 1.5
    assert t.tolist() == [1, 2]


def test_views_are_rederived_after_an_inplace_change_through_another_view(torch):
    """A view taken before an in-place change to an overlapping view (or its base) follows the
    base's new history, as torch regenerates it; gradients would be silently wrong otherwise."""

    def run(L):
        x = L.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=L.float64, requires_grad=True)
        w = L.tensor(3.0, dtype=L.float64, requires_grad=True)
        y = x * 1
        row, col = y[0], y[:, 0]
        row.mul_(2)  # changes y[0, 0], which col also sees
        z = L.zeros(3, dtype=L.float64)
        tail = z[1:]
        z[1] = w  # z, which needed no grad, now depends on w; tail is an older view of it
        (col.sum() + (tail * tail).sum() + y.sum()).backward()
        return vals(x.grad), vals(w.grad), vals(col)

    for ours, theirs in zip(run(chainrule), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
