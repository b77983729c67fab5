"""torch.utils.checkpoint: both variants against plain autograd and against torch (the `lib`
fixture runs each test on chainrule and on torch), the random-number state, the warnings and
errors, and that chainrule's checkpointed forward really keeps no activations."""

from __future__ import annotations

import gc
import importlib
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest

import chainrule

VARIANTS = [False, True]  # use_reentrant


def cp(lib):
    return importlib.import_module(lib.__name__ + ".utils.checkpoint")


def arr(t):
    return t.detach().numpy()


def leaves(lib, *shapes, seed=0, requires_grad=True):
    rng = np.random.default_rng(seed)
    return [
        lib.tensor(rng.standard_normal(s), dtype=lib.float64, requires_grad=requires_grad)
        for s in shapes
    ]


def mlp_block(lib, w, b):
    def f(h):
        return lib.tanh(h @ w + b).sin()

    return f


def grads_of(loss, tensors):
    for t in tensors:
        t.grad = None
    loss.backward()
    return [arr(t.grad) for t in tensors]


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_gradients_equal_the_plain_ones(lib, reentrant):
    x, w, b = leaves(lib, (4, 3), (3, 3), (3,))
    f = mlp_block(lib, w, b)
    plain = grads_of((f(x) ** 2).sum(), [x, w, b])
    ck = grads_of((cp(lib).checkpoint(f, x, use_reentrant=reentrant) ** 2).sum(), [x, w, b])
    for a, c in zip(plain, ck):
        np.testing.assert_allclose(c, a, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_gradients_equal_torchs(torch, reentrant):
    out = []
    for lib in (chainrule, torch):
        x, w, b = leaves(lib, (5, 4), (4, 4), (4,))
        f = mlp_block(lib, w, b)
        y = cp(lib).checkpoint(f, x, use_reentrant=reentrant)
        out.append([arr(y)] + grads_of((y * y).sum(), [x, w, b]))
    for a, c in zip(*out):
        np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_grad_fn_and_recomputation(lib, reentrant):
    (x,) = leaves(lib, (3,))
    calls = []

    def f(x):
        calls.append(1)
        return x.exp().tanh()

    y = cp(lib).checkpoint(f, x, use_reentrant=reentrant)
    name = "CheckpointFunctionBackward" if reentrant else "TanhBackward0"
    assert type(y.grad_fn).__name__ == name
    assert len(calls) == 1
    y.sum().backward()
    assert len(calls) == 2


def test_forward_keeps_no_activations():
    """The tensor the last op saved is freed when the checkpoint returns (chainrule only:
    torch keeps C++ storage that no Python weakref sees)."""
    (x,) = leaves(chainrule, (64,))
    refs = []

    def f(x):
        h = x.exp()
        refs.append(weakref.ref(h))
        return h.sin()  # sin saves its input h

    y_plain = f(x)
    y_ck = cp(chainrule).checkpoint(f, x, use_reentrant=False)
    gc.collect()
    assert refs[0]() is not None and refs[1]() is None
    (g,) = chainrule.autograd.grad(y_ck.sum(), x)
    (g_plain,) = chainrule.autograd.grad(y_plain.sum(), x)
    np.testing.assert_allclose(arr(g), arr(g_plain), rtol=1e-14)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_checkpoint_sequential_holds_less_memory_after_forward(reentrant):
    rng = np.random.default_rng(0)
    ws = [
        chainrule.tensor(
            rng.standard_normal((128, 128)) * 0.1, dtype=chainrule.float32, requires_grad=True
        )
        for _ in range(16)
    ]
    fns = [lambda h, w=w: (h @ w).relu() for w in ws]
    # an input that requires grad: the reentrant variant gives no gradients to a segment none
    # of whose inputs do (torch's warning)
    x = chainrule.tensor(
        rng.standard_normal((256, 128)), dtype=chainrule.float32, requires_grad=True
    )
    held = []
    for segments in (None, 4):
        gc.collect()
        tracemalloc.start()
        h = x
        if segments is None:
            for fn in fns:
                h = fn(h)
        else:
            h = cp(chainrule).checkpoint_sequential(fns, segments, h, use_reentrant=reentrant)
        held.append(tracemalloc.get_traced_memory()[0])
        tracemalloc.stop()
        h.sum().backward()
        del h
    # plain: ~2 activations per layer; checkpointed: 3 boundaries + the last segment's 4 layers
    assert held[1] < 0.5 * held[0], held


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_dropout_mask_is_the_same_on_recomputation(lib, reentrant):
    (x,) = leaves(lib, (200,))

    def f(x):
        return lib.nn.functional.dropout(x, p=0.5, training=True) * x

    lib.manual_seed(3)
    y = f(x)
    y.sum().backward()
    plain = arr(x.grad)
    x.grad = None
    lib.manual_seed(3)
    y = cp(lib).checkpoint(f, x, use_reentrant=reentrant)
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), plain)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_rng_state_after_backward_is_as_without_checkpoint(lib, reentrant):
    (x,) = leaves(lib, (20,))

    def f(x):
        return lib.nn.functional.dropout(x, p=0.5) * 2

    draws = []
    for use in (False, True):
        lib.manual_seed(7)
        y = cp(lib).checkpoint(f, x, use_reentrant=reentrant) if use else f(x)
        a = lib.rand(3)
        y.sum().backward()
        draws.append(np.concatenate([arr(a), arr(lib.rand(3))]))
    np.testing.assert_array_equal(draws[0], draws[1])


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_without_preserve_rng_state_the_mask_changes(lib, reentrant):
    (x,) = leaves(lib, (200,))

    def f(x):
        return lib.nn.functional.dropout(x, p=0.5) * x

    lib.manual_seed(3)
    f(x).sum().backward()
    plain = arr(x.grad)
    x.grad = None
    lib.manual_seed(3)
    y = cp(lib).checkpoint(f, x, use_reentrant=reentrant, preserve_rng_state=False)
    y.sum().backward()
    assert not np.array_equal(arr(x.grad), plain)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_non_tensor_arguments_and_outputs_and_several_outputs(lib, reentrant):
    x, w = leaves(lib, (3,), (3,))

    def f(x, scale, w, tag):
        return x * scale, tag, (x * w).exp()

    a, tag, b = cp(lib).checkpoint(f, x, 2.0, w, "t", use_reentrant=reentrant)
    assert tag == "t"
    (a.sum() + b.sum()).backward()
    xv, wv = arr(x), arr(w)
    np.testing.assert_allclose(arr(x.grad), 2.0 + wv * np.exp(xv * wv), rtol=1e-12)
    np.testing.assert_allclose(arr(w.grad), xv * np.exp(xv * wv), rtol=1e-12)


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_only_one_of_several_outputs_used(lib, reentrant):
    (x,) = leaves(lib, (3,))
    a, b = cp(lib).checkpoint(lambda x: (x.sin(), x.cos()), x, use_reentrant=reentrant)
    b.sum().backward()
    np.testing.assert_allclose(arr(x.grad), -np.sin(arr(x)), rtol=1e-12)


def test_input_without_grad_and_closure_parameter_non_reentrant(lib):
    (x,) = leaves(lib, (4, 3), requires_grad=False)
    (w,) = leaves(lib, (3, 2), seed=1)
    y = cp(lib).checkpoint(lambda h: (h @ w).tanh(), x, use_reentrant=False)
    assert y.requires_grad
    y.sum().backward()
    expected = arr(x).T @ (1 - np.tanh(arr(x) @ arr(w)) ** 2)
    np.testing.assert_allclose(arr(w.grad), expected, rtol=1e-12)


def test_input_without_grad_reentrant_warns_and_gives_no_graph(lib):
    (x,) = leaves(lib, (4, 3), requires_grad=False)
    (w,) = leaves(lib, (3, 2), seed=1)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        y = cp(lib).checkpoint(lambda h: (h @ w).tanh(), x, use_reentrant=True)
    assert not y.requires_grad


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_closure_tensor_with_history(lib, reentrant):
    x, w0 = leaves(lib, (3,), (3,))
    w = w0 * 2  # a non-leaf captured by the function
    y = cp(lib).checkpoint(lambda x: (x * w).sin(), x, use_reentrant=reentrant)
    y.sum().backward()
    c = np.cos(arr(x) * arr(w))
    np.testing.assert_allclose(arr(w0.grad), 2 * arr(x) * c, rtol=1e-12)
    np.testing.assert_allclose(arr(x.grad), arr(w) * c, rtol=1e-12)


def test_custom_function_inside(lib):
    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * g

    (x,) = leaves(lib, (4,))
    y = cp(lib).checkpoint(lambda x: Cube.apply(x.sin()), x, use_reentrant=False)
    y.sum().backward()
    s, c = np.sin(arr(x)), np.cos(arr(x))
    np.testing.assert_allclose(arr(x.grad), 3 * s**2 * c, rtol=1e-12)


def test_autograd_grad_and_backward_inputs_non_reentrant(lib):
    x, w = leaves(lib, (3,), (3,))
    f = lambda x: (x * w).exp()  # noqa: E731
    (gx,) = lib.autograd.grad(cp(lib).checkpoint(f, x, use_reentrant=False).sum(), x)
    np.testing.assert_allclose(arr(gx), arr(w) * np.exp(arr(x) * arr(w)), rtol=1e-12)
    cp(lib).checkpoint(f, x, use_reentrant=False).sum().backward(inputs=[w])
    assert x.grad is None
    np.testing.assert_allclose(arr(w.grad), arr(x) * np.exp(arr(x) * arr(w)), rtol=1e-12)


def test_reentrant_is_incompatible_with_grad_and_backward_inputs(lib):
    (x,) = leaves(lib, (3,))
    msg = "When use_reentrant=True, torch.utils.checkpoint is incompatible with .grad()"
    with pytest.raises(RuntimeError, match=msg):
        lib.autograd.grad(cp(lib).checkpoint(lambda x: x.exp(), x, use_reentrant=True).sum(), x)
    with pytest.raises(RuntimeError, match=msg):
        cp(lib).checkpoint(lambda x: x.exp(), x, use_reentrant=True).sum().backward(inputs=[x])


def test_double_backward_non_reentrant(lib):
    (x,) = leaves(lib, (3,))
    f = lambda x: x.sin() * x  # noqa: E731
    (g,) = lib.autograd.grad(
        cp(lib).checkpoint(f, x, use_reentrant=False).sum(), x, create_graph=True
    )
    (gg,) = lib.autograd.grad(g.sum(), x)
    xv = arr(x)
    np.testing.assert_allclose(arr(g), np.cos(xv) * xv + np.sin(xv), rtol=1e-12)
    np.testing.assert_allclose(arr(gg), 2 * np.cos(xv) - xv * np.sin(xv), rtol=1e-12)


def test_double_backward_reentrant_gives_a_constant_gradient(lib):
    (x,) = leaves(lib, (3,))
    y = cp(lib).checkpoint(lambda x: x.sin() * x, x, use_reentrant=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: backward(create_graph=True) makes a cycle
        y.sum().backward(create_graph=True)
    assert not x.grad.requires_grad
    np.testing.assert_allclose(arr(x.grad), np.cos(arr(x)) * arr(x) + np.sin(arr(x)))


def test_retain_graph_recomputes_for_each_backward(lib):
    (x,) = leaves(lib, (3,))
    calls = []

    def f(x):
        calls.append(1)
        return x.exp()

    y = cp(lib).checkpoint(f, x, use_reentrant=False).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert len(calls) == 3
    np.testing.assert_allclose(arr(x.grad), 2 * np.exp(arr(x)), rtol=1e-12)


def test_under_no_grad_it_is_a_plain_call(lib):
    (x,) = leaves(lib, (3,))
    with lib.no_grad():
        y = cp(lib).checkpoint(lambda x: x.exp(), x, use_reentrant=False)
    assert y.grad_fn is None and not y.requires_grad


@pytest.mark.parametrize("reentrant", VARIANTS)
def test_checkpoint_sequential_gradients(lib, reentrant):
    ws = leaves(lib, *[(4, 4)] * 6, seed=2)
    (x,) = leaves(lib, (3, 4))
    fns = [lambda h, w=w: (h @ w).tanh() for w in ws]
    h = x
    for fn in fns:
        h = fn(h)
    plain = grads_of(h.sum(), [x, *ws])
    for segments in (1, 2, 3, 4):
        out = cp(lib).checkpoint_sequential(fns, segments, x, use_reentrant=reentrant)
        for a, c in zip(plain, grads_of(out.sum(), [x, *ws])):
            np.testing.assert_allclose(c, a, rtol=1e-12, atol=1e-14)


def test_use_reentrant_unspecified_warns_and_means_reentrant(lib):
    (x,) = leaves(lib, (3,))
    with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed"):
        y = cp(lib).checkpoint(lambda x: x.exp(), x)
    assert type(y.grad_fn).__name__ == "CheckpointFunctionBackward"
    with pytest.warns(UserWarning, match="checkpoint_sequential: the use_reentrant parameter"):
        cp(lib).checkpoint_sequential([lambda h: h.sin()] * 4, 2, x)


def test_keyword_arguments(lib):
    (x,) = leaves(lib, (3,))
    y = cp(lib).checkpoint(lambda x, scale: x * scale, x, use_reentrant=False, scale=3.0)
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), [3.0, 3.0, 3.0])
    with pytest.raises(ValueError, match="Unexpected keyword arguments: scale"):
        cp(lib).checkpoint(lambda x, scale: x * scale, x, use_reentrant=True, scale=3.0)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        cp(lib).checkpoint_sequential([lambda h: h], 1, x, use_reentrant=False, foo=1)


def test_option_errors(lib):
    (x,) = leaves(lib, (3,))
    with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
        cp(lib).checkpoint(lambda x: x, x, use_reentrant=True, debug=True)
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        cp(lib).checkpoint(lambda x: x, x, use_reentrant=False, determinism_check="x")


def _flaky(lib, second):
    calls = []

    def f(x):
        calls.append(1)
        return x.exp().exp() if len(calls) == 1 else second(x)

    return f


def test_recomputation_saving_fewer_tensors_raises(lib):
    (x,) = leaves(lib, (3,))
    y = cp(lib).checkpoint(_flaky(lib, lambda x: x.exp()), x, use_reentrant=False)
    with pytest.raises(cp(lib).CheckpointError, match="A different number of tensors was saved"):
        y.sum().backward()


def test_recomputation_with_other_shapes_raises(lib):
    (x,) = leaves(lib, (3,))
    y = cp(lib).checkpoint(_flaky(lib, lambda x: x[:2].exp().exp()), x, use_reentrant=False)
    with pytest.raises(cp(lib).CheckpointError, match="different metadata"):
        y.sum().backward()
    y = cp(lib).checkpoint(
        _flaky(lib, lambda x: x[:1].exp().exp()), x, use_reentrant=False, determinism_check="none"
    )
    y.sum().backward()  # no check: the (1,)-shaped recomputed values broadcast


def test_context_fn_wraps_forward_and_recomputation(lib):
    import contextlib

    log = []

    @contextlib.contextmanager
    def tag(name):
        log.append(name)
        yield

    (x,) = leaves(lib, (3,))
    y = cp(lib).checkpoint(
        lambda x: x.exp(), x, use_reentrant=False, context_fn=lambda: (tag("fwd"), tag("re"))
    )
    assert log == ["fwd"]
    y.sum().backward()
    assert log == ["fwd", "re"]


@pytest.mark.parametrize("early_stop", [True, False])
def test_recomputation_stops_after_the_last_saved_tensor(lib, early_stop):
    log = []

    def f(x):
        y = x.exp()
        log.append(1)  # after the only saved tensor: skipped by an early-stopped recomputation
        return y

    (x,) = leaves(lib, (3,))
    with cp(lib).set_checkpoint_early_stop(early_stop):
        y = cp(lib).checkpoint(f, x, use_reentrant=False)
    y.sum().backward()
    assert len(log) == (1 if early_stop else 2)


def test_debug_mode_still_raises_checkpoint_error(lib):
    (x,) = leaves(lib, (3,))
    y = cp(lib).checkpoint(_flaky(lib, lambda x: x.exp()), x, use_reentrant=False, debug=True)
    with pytest.raises(cp(lib).CheckpointError):
        y.sum().backward()


def test_numerical_function_inside_checkpoint():
    from chainrule.autograd.numerical import numerical_function

    (x,) = leaves(chainrule, (4,))
    with pytest.warns(UserWarning):
        nsin = numerical_function(np.sin)
        y = cp(chainrule).checkpoint(lambda x: nsin(x.exp()) * x, x, use_reentrant=False)
    y.sum().backward()
    xv = arr(x)
    expected = np.cos(np.exp(xv)) * np.exp(xv) * xv + np.sin(np.exp(xv))
    np.testing.assert_allclose(arr(x.grad), expected, rtol=1e-8)
