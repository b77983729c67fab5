"""The backward engine: graph shapes, accumulation, retain_graph, error messages, autograd.grad,
hooks, retain_grad, detach, graph structure, deep graphs, memory release and higher order.

Tests taking the ``lib`` fixture run once against chainrule and once against torch (the torch
run proves the expectation is torch's behaviour); tests taking ``torch`` compare numbers from
both; tests with neither check chainrule-specific guarantees (recursion, memory, cycles).
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

import chainrule


def vals(t) -> np.ndarray:
    return np.asarray(t.detach().numpy(), dtype=np.float64)


def close(t, expected, rtol=1e-5, atol=1e-6) -> None:
    np.testing.assert_allclose(vals(t), np.asarray(expected, dtype=np.float64), rtol, atol)


# --- graph shapes -----------------------------------------------------------------------------


def test_diamond_with_shared_leaf_sums_both_paths(lib):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = lib.tensor([4.0, 5.0, 6.0], requires_grad=True)
    c = lib.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    y = (a * b + a * c).sum()
    y.backward()
    close(a.grad, [3.0, 5.5, 8.0])
    close(b.grad, [1.0, 2.0, 3.0])
    close(c.grad, [1.0, 2.0, 3.0])


def test_diamond_through_a_shared_intermediate(lib):
    x = lib.tensor([0.5, -1.0], requires_grad=True)
    h = x.exp()  # used by both branches: its gradient must be the sum before ExpBackward runs
    y = (h * 2 + h * h).sum()
    y.backward()
    e = np.exp([0.5, -1.0])
    close(x.grad, (2 + 2 * e) * e)


def test_x_times_x(lib):
    x = lib.tensor([3.0, -2.0], requires_grad=True)
    (x * x).sum().backward()
    close(x.grad, [6.0, -4.0])


@pytest.mark.parametrize(
    "expr, grad",
    [
        ("x + x", [2.0, 2.0]),
        ("x - x", [0.0, 0.0]),
        ("x / x", [0.0, 0.0]),
        ("x ** x", [1.0, 4 * (np.log(2) + 1)]),
        ("L.maximum(x, x)", [1.0, 1.0]),
    ],
)
def test_same_input_twice_in_one_op(lib, expr, grad):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    eval(expr, {"L": lib, "x": x}).sum().backward()
    close(x.grad, grad)


def test_same_matrix_twice_in_matmul(lib):
    a = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (a @ a).sum().backward()
    # d/dA sum(A A) = 1 A^T + A^T 1
    ones = np.ones((2, 2))
    an = np.array([[1.0, 2.0], [3.0, 4.0]])
    close(a.grad, ones @ an.T + an.T @ ones)


def test_shared_leaves_in_a_deeper_graph_match_torch(torch):
    def run(L):
        x = L.tensor([0.3, -0.7, 1.1], dtype=L.float64, requires_grad=True)
        w = L.tensor([1.5, 0.2, -0.4], dtype=L.float64, requires_grad=True)
        u = (x * w).tanh()
        v = u * x + w.exp() * u
        z = (v * v).sum() + (u / (1 + x * x)).sum()
        z.backward()
        return vals(x.grad), vals(w.grad)

    for ours, theirs in zip(run(chainrule), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_leaf_not_requiring_grad_gets_no_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    c = lib.tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    close(x.grad, [3.0, 4.0])


# --- accumulation and zeroing ------------------------------------------------------------------


def test_grad_accumulates_across_two_backward_calls(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    close(x.grad, [5.0, 7.0])
    assert x.grad is first  # accumulated in place into the same tensor, as torch does


def test_zero_grad_in_place_then_backward_gives_fresh_gradient(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.grad.zero_()
    close(x.grad, [0.0, 0.0])
    (x * x).sum().backward()
    close(x.grad, [2.0, 4.0])


def test_setting_grad_to_none_starts_over_and_leaves_old_grad_alone(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    old = x.grad
    x.grad = None
    (x * 5).sum().backward()
    close(x.grad, [5.0, 5.0])
    close(old, [2.0, 4.0])
    assert x.grad is not old


def test_explicit_gradient_tensor_is_not_aliased_by_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    g = lib.tensor([1.0, 1.0])
    (x + 1).backward(g)
    (x + 1).backward(g)
    close(x.grad, [2.0, 2.0])
    close(g, [1.0, 1.0])


def test_gradient_seen_by_leaf_hook_is_not_mutated_by_later_accumulation(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g))
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    close(seen[0], [2.0, 2.0])
    close(seen[1], [3.0, 3.0])
    close(x.grad, [5.0, 5.0])


def test_retain_graph_allows_a_second_backward(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    e = np.exp([1.0, 2.0])
    close(x.grad, 2 * (e + e * np.array([1.0, 2.0])))


def test_second_backward_through_a_released_graph_raises(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_released_graph_raises_also_through_autograd_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    lib.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        lib.autograd.grad(y, x)


# --- errors ------------------------------------------------------------------------------------


def test_implicit_gradient_for_non_scalar_raises(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()


def test_wrong_shape_gradient_names_both_shapes(lib):
    x = lib.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        (x * 2).backward(lib.ones(3, 2))
    msg = str(info.value)
    assert "[3, 2]" in msg and "[2, 3]" in msg


def test_backward_on_tensor_not_requiring_grad_raises(lib):
    with pytest.raises(RuntimeError, match="does not require grad"):
        lib.tensor([1.0, 2.0]).sum().backward()


def test_backward_of_a_result_computed_under_no_grad_raises(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError):
        y.backward()


# --- autograd.grad -----------------------------------------------------------------------------


def test_autograd_grad_returns_tuple_and_leaves_dot_grad_untouched(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, -1.0], requires_grad=True)
    gx, gw = lib.autograd.grad((x * w).sum(), (x, w))
    close(gx, [3.0, -1.0])
    close(gw, [1.0, 2.0])
    assert x.grad is None and w.grad is None
    assert not gx.requires_grad


def test_autograd_grad_single_input_gives_one_tuple(lib):
    x = lib.tensor(2.0, requires_grad=True)
    res = lib.autograd.grad(x**3, x)
    assert isinstance(res, tuple) and len(res) == 1
    close(res[0], 12.0)


def test_autograd_grad_with_grad_outputs(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (g,) = lib.autograd.grad(x * x, x, grad_outputs=lib.tensor([1.0, 0.5, -1.0]))
    close(g, [2.0, 2.0, -6.0])


def test_autograd_grad_unused_input_raises_unless_allowed(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    u = lib.tensor([5.0], requires_grad=True)
    y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="allow_unused"):
        lib.autograd.grad(y, [x, u], retain_graph=True)
    gx, gu = lib.autograd.grad(y, [x, u], allow_unused=True, retain_graph=True)
    close(gx, [2.0, 2.0])
    assert gu is None
    gx, gu = lib.autograd.grad(y, [x, u], materialize_grads=True)
    close(gu, [0.0])
    assert tuple(gu.shape) == (1,)


def test_autograd_grad_input_not_requiring_grad_raises(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    c = lib.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError):
        lib.autograd.grad((x * c).sum(), c)


def test_autograd_grad_with_respect_to_non_leaf(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = (y * y).sum()
    (gy,) = lib.autograd.grad(z, y)
    close(gy, [6.0, 12.0])
    assert x.grad is None


def test_autograd_grad_create_graph_gives_differentiable_result(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (g,) = lib.autograd.grad((x**3).sum(), x, create_graph=True)
    close(g, [3.0, 12.0])
    assert g.requires_grad and g.grad_fn is not None
    (gg,) = lib.autograd.grad(g.sum(), x)
    close(gg, [6.0, 12.0])


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")
def test_backward_with_create_graph_makes_grad_differentiable(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    (x**3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    x.grad = None
    g.sum().backward()
    close(x.grad, [6.0, 12.0])


def test_autograd_backward_with_several_tensors(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y1 = x * 2
    y2 = (x * x).sum()
    lib.autograd.backward([y1, y2], [lib.tensor([1.0, -1.0]), None])
    close(x.grad, [2.0 + 2.0, -2.0 + 4.0])


def test_backward_inputs_fills_only_those(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    close(a.grad, [3.0, 4.0])
    assert b.grad is None


def test_backward_inputs_can_be_a_non_leaf(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    h = a * 2
    (h * h).sum().backward(inputs=[h])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch fills it as if retained: no non-leaf warning
        close(h.grad, [4.0, 8.0])
    assert a.grad is None


# --- hooks and retain_grad ---------------------------------------------------------------------


def test_leaf_hook_sees_gradient_and_can_replace_it(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def hook(g):
        seen.append(vals(g))
        return g * 10

    x.register_hook(hook)
    (x * 3).sum().backward()
    np.testing.assert_allclose(seen[0], [3.0, 3.0])
    close(x.grad, [30.0, 30.0])


def test_non_leaf_hook_replacement_flows_to_the_leaves(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    seen = []
    y.register_hook(lambda g: seen.append(vals(g)))
    y.register_hook(lambda g: g * 2)  # hooks run in registration order
    (y * lib.tensor([1.0, 3.0])).sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 3.0])
    close(x.grad, [4.0, 24.0])


def test_removed_hook_no_longer_runs(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    calls = []
    handle = x.register_hook(lambda g: calls.append(1) or g * 0)
    handle.remove()
    (x * 3).sum().backward()
    assert calls == []
    close(x.grad, [3.0, 3.0])


def test_register_hook_on_tensor_not_requiring_grad_raises(lib):
    with pytest.raises(RuntimeError):
        lib.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad_fills_non_leaf_grad_without_warning(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    assert y.retains_grad
    (y * y).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        close(y.grad, [6.0, 12.0])
    close(x.grad, [18.0, 36.0])


def test_reading_grad_of_non_leaf_warns(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.sum().backward()
    with pytest.warns(UserWarning, match="leaf"):
        assert y.grad is None


def test_reading_an_assigned_grad_of_a_non_leaf_does_not_warn(lib):
    y = lib.tensor([1.0, 2.0], requires_grad=True) * 3
    y.grad = lib.ones(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch warns only while the non-leaf's grad is unset
        close(y.grad, [1.0, 1.0])


def test_reading_grad_of_a_leaf_does_not_warn(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None
        (x * 2).sum().backward()
        close(x.grad, [2.0, 2.0])


# --- detach, requires_grad_, is_leaf -----------------------------------------------------------


def test_detach_shares_data_and_leaves_the_graph(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    d.add_(1)
    close(y, [3.0, 5.0])


def test_in_place_change_on_detached_tensor_is_seen_by_saved_tensor(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()  # MulBackward0 saves x
    v0 = x._version
    x.detach().zero_()
    assert x._version == v0 + 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_detach_in_place_cuts_the_tensor_from_its_graph(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.grad_fn is None and not y.requires_grad and y.is_leaf
    close(y, [2.0, 4.0])


def test_requires_grad_underscore_on_leaf(lib):
    x = lib.tensor([1.0, 2.0])
    assert x.requires_grad_() is x
    assert x.requires_grad and x.is_leaf
    (x * 2).sum().backward()
    close(x.grad, [2.0, 2.0])
    x.requires_grad_(False)
    assert not x.requires_grad


def test_requires_grad_false_on_non_leaf_raises(lib):
    y = lib.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError):
        y.requires_grad_(False)


def test_is_leaf_rules(lib):
    x = lib.tensor([1.0], requires_grad=True)
    c = lib.tensor([1.0])
    assert x.is_leaf and c.is_leaf
    assert (c * 2).is_leaf  # nothing recorded: a leaf that does not require grad
    assert not (x * 2).is_leaf
    with lib.no_grad():
        assert (x * 2).is_leaf


def test_next_functions_structure_matches_torch(torch):
    def structure(fn):
        if fn is None:
            return None
        return (type(fn).__name__, tuple((structure(f), nr) for f, nr in fn.next_functions))

    def build(L):
        x = L.tensor([2.0], requires_grad=True)
        return x, x**2 + 3 * x + 1

    (cx, cy), (_, ty) = build(chainrule), build(torch)
    assert structure(cy.grad_fn) == structure(ty.grad_fn)
    # the AccumulateGrad at the bottom holds the leaf itself
    pow_node = cy.grad_fn.next_functions[0][0].next_functions[0][0]
    assert pow_node.next_functions[0][0].variable is cx


# --- deep graphs -------------------------------------------------------------------------------

CHAIN = 100_000


@pytest.mark.parametrize("op", ["mul", "add"])
def test_100k_op_chain_backward_at_default_recursion_limit(op):
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(min(limit, 1000))  # CPython's default: the walk must not recurse
    try:
        x = chainrule.tensor([1.0], dtype=chainrule.float64, requires_grad=True)
        y = x
        start = time.perf_counter()
        if op == "mul":
            for _ in range(CHAIN):
                y = y * 1.0001
        else:
            for _ in range(CHAIN):
                y = y + 0.0
        y.sum().backward()
        del y  # freeing a 100k-deep graph must not recurse either
        elapsed = time.perf_counter() - start
    finally:
        sys.setrecursionlimit(limit)
    expected = 1.0001**CHAIN if op == "mul" else 1.0
    np.testing.assert_allclose(vals(x.grad), [expected], rtol=1e-9)
    assert elapsed < 20, f"100k-op chain took {elapsed:.1f} s"


# --- memory: saved values freed, no reference cycles -------------------------------------------


def test_saved_tensors_are_released_after_backward():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    w = chainrule.tensor([3.0, 4.0], requires_grad=True)
    e = x.exp()
    e_ref, arr_ref = weakref.ref(e), weakref.ref(e.data)
    z = (e * w).sum()  # MulBackward0 saves e; ExpBackward0 saves its output array
    del e
    assert e_ref() is not None and arr_ref() is not None  # held by the graph
    z.backward()
    assert e_ref() is None and arr_ref() is None


def test_saved_tensors_survive_backward_with_retain_graph():
    x = chainrule.tensor([1.0, 2.0], requires_grad=True)
    w = chainrule.tensor([3.0, 4.0], requires_grad=True)
    e = x.exp()
    e_ref = weakref.ref(e)
    z = (e * w).sum()
    del e
    z.backward(retain_graph=True)
    assert e_ref() is not None
    z.backward()
    assert e_ref() is None
    close(w.grad, 2 * np.exp([1.0, 2.0]))


def _gc_disabled(fn):
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        return fn()
    finally:
        if was:
            gc.enable()


@pytest.mark.parametrize(
    "build",
    [
        lambda x: (x * 2).exp().sum(),
        lambda x: (x * x.sin()).mean(),
        lambda x: x.tanh().sigmoid()[0],
        lambda x: chainrule.autograd.grad((x**3).sum(), x, create_graph=True)[0],
    ],
    ids=["chain", "diamond", "index", "create-graph"],
)
def test_graph_dies_with_its_output_when_gc_is_disabled(build):
    def check():
        x = chainrule.tensor([0.5, 1.5], requires_grad=True)
        y = build(x)
        node = weakref.ref(y.grad_fn)
        out = weakref.ref(y)
        del y
        assert out() is None and node() is None

    _gc_disabled(check)


def test_graph_with_in_place_op_and_retain_grad_has_no_cycles():
    def check():
        x = chainrule.tensor([0.5, 1.5], requires_grad=True)
        y = x * 1
        y.mul_(x)
        y.retain_grad()
        node = weakref.ref(y.grad_fn)
        out = weakref.ref(y)
        y.sum().backward()
        del y
        assert out() is None and node() is None

    _gc_disabled(check)


def test_mlp_training_loop_keeps_memory_flat_without_gc():
    rng = np.random.default_rng(0)
    w1 = chainrule.tensor(rng.standard_normal((8, 16)) * 0.3, requires_grad=True)
    b1 = chainrule.zeros(16, dtype=chainrule.float64, requires_grad=True)
    w2 = chainrule.tensor(rng.standard_normal((16, 1)) * 0.3, requires_grad=True)
    xb = chainrule.tensor(rng.standard_normal((4, 8)))
    yb = chainrule.tensor(rng.standard_normal((4, 1)))
    params = [w1, b1, w2]

    def step():
        loss = ((((xb @ w1) + b1).tanh() @ w2 - yb) ** 2).mean()
        loss.backward()
        with chainrule.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None
        return loss.item()

    def run():
        for _ in range(50):  # warm up caches before measuring
            step()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            first = step()
            for _ in range(1000):
                last = step()
            grown = tracemalloc.get_traced_memory()[0] - base
        finally:
            tracemalloc.stop()
        return first, last, grown, gc.collect()

    first, last, grown, unreachable = _gc_disabled(run)
    assert last < first  # it did train
    assert grown < 200_000, f"memory grew by {grown} bytes over 1000 steps"
    assert unreachable < 100, f"{unreachable} objects were only reclaimable by the cycle collector"


# --- higher order ------------------------------------------------------------------------------


def _matmul_tanh(L, x):
    a = L.tensor([[0.5, -1.0, 0.3], [0.2, 0.4, -0.7]], dtype=L.float64)
    return (a @ x).tanh() * (x[:2] ** 2)


HIGHER = {
    "cube": lambda L, x: x**3,
    "tanh": lambda L, x: x.tanh(),
    "sigmoid": lambda L, x: x.sigmoid(),
    "exp-sin": lambda L, x: x.exp() * x.sin(),
    "matmul": _matmul_tanh,
    "matmul-quadratic": lambda L, x: (x @ (x.unsqueeze(1) * x.unsqueeze(0)) @ x) * x,
}


@pytest.mark.parametrize("name", list(HIGHER))
def test_second_and_third_derivatives_match_torch(torch, name):
    def derivatives(L):
        x = L.tensor([0.3, -0.8, 1.2], dtype=L.float64, requires_grad=True)
        out = HIGHER[name](L, x).sum()
        res = []
        for _ in range(3):
            (out,) = L.autograd.grad(out, x, create_graph=True)
            res.append(vals(out))
            out = out.sum()
        return res

    for order, (ours, theirs) in enumerate(zip(derivatives(chainrule), derivatives(torch)), 1):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12, err_msg=f"order {order}")


def test_third_derivative_of_cube_is_six(lib):
    x = lib.tensor([0.5, -2.0], requires_grad=True)
    (g1,) = lib.autograd.grad((x**3).sum(), x, create_graph=True)
    (g2,) = lib.autograd.grad(g1.sum(), x, create_graph=True)
    (g3,) = lib.autograd.grad(g2.sum(), x)
    close(g1, [0.75, 12.0])
    close(g2, [3.0, -12.0])
    close(g3, [6.0, 6.0])


def test_mixed_second_derivative_via_backward(torch):
    def run(L):
        x = L.tensor([0.4, 1.3], dtype=L.float64, requires_grad=True)
        w = L.tensor([-0.6, 0.9], dtype=L.float64, requires_grad=True)
        (gx,) = L.autograd.grad((x * w).sin().sum() * (w**2).sum(), x, create_graph=True)
        (gx * gx).sum().backward()
        return vals(x.grad), vals(w.grad)

    for ours, theirs in zip(run(chainrule), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)
