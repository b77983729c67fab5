"""Graph hooks: Node.register_hook / register_prehook, register_post_accumulate_grad_hook and
autograd.graph.saved_tensors_hooks, on chainrule and on torch (the `lib` fixture)."""

from __future__ import annotations

import numpy as np
import pytest


def arr(t):
    return t.detach().numpy()


def product(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    w = lib.tensor([3.0, 4.0], requires_grad=True)
    y = x * w
    return x, w, y, y.exp().sum()


def test_prehook_and_hook_see_the_gradients_in_order(lib):
    x, w, y, z = product(lib)
    log = []
    y.grad_fn.register_prehook(lambda go: log.append(("pre", [arr(g) for g in go])))
    y.grad_fn.register_hook(
        lambda gi, go: log.append(("post", [arr(g) for g in gi], [arr(g) for g in go]))
    )
    x.register_post_accumulate_grad_hook(lambda t: log.append(("acc", arr(t.grad))))
    z.backward()
    ey = np.exp([3.0, 8.0])
    assert [entry[0] for entry in log] == ["pre", "post", "acc"]
    np.testing.assert_allclose(log[0][1][0], ey, rtol=1e-6)
    np.testing.assert_allclose(log[1][1][0], ey * [3.0, 4.0], rtol=1e-6)
    np.testing.assert_allclose(log[1][1][1], ey * [1.0, 2.0], rtol=1e-6)
    np.testing.assert_allclose(log[2][1], arr(x.grad))


def test_hooks_can_replace_gradients(lib):
    x, w, y, z = product(lib)
    y.grad_fn.register_prehook(lambda go: (go[0] * 2,))
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 0, gi[1]))
    z.backward()
    np.testing.assert_array_equal(arr(x.grad), [0.0, 0.0])
    np.testing.assert_allclose(arr(w.grad), 2 * np.exp([3.0, 8.0]) * [1.0, 2.0], rtol=1e-6)


def test_removed_hooks_do_not_run(lib):
    x, w, y, z = product(lib)
    calls = []
    h = y.grad_fn.register_hook(lambda gi, go: calls.append(1))
    p = y.grad_fn.register_prehook(lambda go: calls.append(2))
    a = x.register_post_accumulate_grad_hook(lambda t: calls.append(3))
    for handle in (h, p, a):
        handle.remove()
    z.backward()
    assert calls == []


def test_hook_grad_inputs_are_reduced_to_the_input_shapes(lib):
    p = lib.ones(2, 2, requires_grad=True)
    q = lib.ones(2, requires_grad=True)
    r = p + q
    shapes = []
    r.grad_fn.register_hook(lambda gi, go: shapes.append([tuple(g.shape) for g in gi]))
    r.sum().backward()
    assert shapes == [[(2, 2), (2,)]]


def test_post_accumulate_hook_only_on_leaves_that_require_grad(lib):
    a = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (a * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        lib.ones(2).register_post_accumulate_grad_hook(lambda t: None)


def test_post_accumulate_hook_sees_the_accumulated_grad(lib):
    a = lib.ones(2, requires_grad=True)
    seen = []
    a.register_post_accumulate_grad_hook(lambda t: seen.append(arr(t.grad).copy()))
    (a * 2).sum().backward()
    (a * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [2.0, 2.0])
    np.testing.assert_array_equal(seen[1], [5.0, 5.0])


def test_saved_tensors_hooks_pack_at_forward_and_unpack_at_backward(lib):
    log = []

    def pack(t):
        log.append("pack")
        return t.detach().clone()

    def unpack(t):
        log.append("unpack")
        return t

    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = (x.exp() * x).sum()
    packs = log.count("pack")
    assert packs >= 2 and "unpack" not in log
    y.backward()
    assert log.count("unpack") == packs
    np.testing.assert_allclose(arr(x.grad), np.exp([1.0, 2.0]) * [2.0, 3.0], rtol=1e-6)


def test_saved_tensors_hooks_through_numpy_keep_double_backward(lib):
    x = lib.tensor([0.5, 1.5], dtype=lib.float64, requires_grad=True)
    hooks = lib.autograd.graph.saved_tensors_hooks(
        lambda t: t.detach().numpy().copy(), lambda a: lib.tensor(a)
    )
    with hooks:
        z = (x.sin() * x).sum()
    (g,) = lib.autograd.grad(z, x, create_graph=True)
    assert g.requires_grad
    (gg,) = lib.autograd.grad(g.sum(), x)
    v = np.array([0.5, 1.5])
    np.testing.assert_allclose(arr(gg), 2 * np.cos(v) - v * np.sin(v))


def test_save_on_cpu_is_transparent(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.autograd.graph.save_on_cpu():
        (x**3).sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [3.0, 12.0])


def test_saved_tensors_hooks_in_a_custom_function(lib):
    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            r = i.exp()
            ctx.save_for_backward(r)
            return r

        @staticmethod
        def backward(ctx, g):
            (r,) = ctx.saved_tensors
            return g * r

    log = []
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.autograd.graph.saved_tensors_hooks(
        lambda t: (log.append("p"), t)[1], lambda t: (log.append("u"), t)[1]
    ):
        y = Exp.apply(x)
    y.sum().backward()
    assert log == ["p", "u"]
    np.testing.assert_allclose(arr(x.grad), np.exp([1.0, 2.0]), rtol=1e-6)


def test_disable_saved_tensors_hooks(lib):
    with lib.autograd.graph.disable_saved_tensors_hooks("no hooks here"):
        with pytest.raises(RuntimeError, match="no hooks here"):
            with lib.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
