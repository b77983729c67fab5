"""Grad-mode switches: no_grad, enable_grad, set_grad_enabled, inference_mode -- as context
managers, decorators and plain calls, nested, and thread-local.

Every test takes the ``lib`` fixture and runs once against chainrule and once against torch,
so each expectation is torch's own behaviour.
"""

from __future__ import annotations

import threading

import pytest


@pytest.fixture(autouse=True)
def _grad_mode_restored(lib):
    """A failing test may leave grad mode off; restore it so that later tests start clean."""
    yield
    lib.set_grad_enabled(True)


def records(lib) -> bool:
    """Whether an op on a tensor requiring grad is recorded right now."""
    x = lib.tensor([1.0], requires_grad=True)
    y = x * 2
    return y.requires_grad and y.grad_fn is not None


def test_grad_is_enabled_by_default(lib):
    assert lib.is_grad_enabled() is True
    assert records(lib)


def test_no_grad_context_stops_recording_and_restores(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with lib.no_grad():
        assert lib.is_grad_enabled() is False
        y = x * 2
        assert not y.requires_grad and y.grad_fn is None and y.is_leaf
        assert not records(lib)
    assert lib.is_grad_enabled() is True
    assert records(lib)
    assert x.requires_grad  # the leaf itself is untouched


def test_no_grad_restores_after_an_exception(lib):
    with pytest.raises(ZeroDivisionError):
        with lib.no_grad():
            raise ZeroDivisionError
    assert lib.is_grad_enabled()


def test_factory_with_requires_grad_inside_no_grad_still_requires_grad(lib):
    with lib.no_grad():
        x = lib.tensor([1.0], requires_grad=True)
        z = lib.zeros(2, requires_grad=True)
    assert x.requires_grad and z.requires_grad


def test_enable_grad_inside_no_grad(lib):
    with lib.no_grad():
        with lib.enable_grad():
            assert lib.is_grad_enabled()
            assert records(lib)
        assert not lib.is_grad_enabled()
        assert not records(lib)
    assert lib.is_grad_enabled()


def test_nesting_restores_each_level(lib):
    seen = []
    with lib.no_grad():
        seen.append(lib.is_grad_enabled())
        with lib.enable_grad():
            seen.append(lib.is_grad_enabled())
            with lib.no_grad():
                seen.append(lib.is_grad_enabled())
                with lib.set_grad_enabled(True):
                    seen.append(lib.is_grad_enabled())
                seen.append(lib.is_grad_enabled())
            seen.append(lib.is_grad_enabled())
        seen.append(lib.is_grad_enabled())
    seen.append(lib.is_grad_enabled())
    assert seen == [False, True, False, True, False, True, False, True]


@pytest.mark.parametrize("mode", [False, True])
def test_set_grad_enabled_as_context_manager(lib, mode):
    with lib.no_grad():  # start from the opposite state when mode is True
        outer = lib.is_grad_enabled()
        with lib.set_grad_enabled(mode):
            assert lib.is_grad_enabled() is mode
            assert records(lib) is mode
        assert lib.is_grad_enabled() is outer
    with lib.set_grad_enabled(mode):
        assert lib.is_grad_enabled() is mode
    assert lib.is_grad_enabled()


def test_set_grad_enabled_as_plain_call(lib):
    try:
        lib.set_grad_enabled(False)
        assert lib.is_grad_enabled() is False
        assert not records(lib)
        lib.set_grad_enabled(True)
        assert lib.is_grad_enabled() is True
        assert records(lib)
    finally:
        lib.set_grad_enabled(True)


def test_set_grad_enabled_as_decorator(lib):
    @lib.set_grad_enabled(False)
    def f(x):
        return lib.is_grad_enabled(), x * 2

    assert lib.is_grad_enabled()  # decorating does not switch anything
    for _ in range(2):  # the decorated function can be called again
        enabled, y = f(lib.tensor([1.0], requires_grad=True))
        assert enabled is False and not y.requires_grad
        assert lib.is_grad_enabled()


def test_set_grad_enabled_true_decorator_inside_no_grad(lib):
    @lib.set_grad_enabled(True)
    def f():
        return records(lib)

    with lib.no_grad():
        assert f() is True
        assert not lib.is_grad_enabled()


def test_no_grad_decorator(lib):
    @lib.no_grad()
    def f(x):
        """docstring"""
        return x * 2

    y = f(lib.tensor([1.0], requires_grad=True))
    assert not y.requires_grad
    assert lib.is_grad_enabled()
    assert f.__name__ == "f" and f.__doc__ == "docstring"


def test_no_grad_decorator_without_parentheses(lib):
    @lib.no_grad
    def f():
        return lib.is_grad_enabled()

    assert f() is False
    assert lib.is_grad_enabled()


def test_enable_grad_decorator_inside_no_grad(lib):
    @lib.enable_grad()
    def f():
        return records(lib)

    with lib.no_grad():
        assert f() is True
        assert not lib.is_grad_enabled()


def test_no_grad_decorator_restores_after_exception(lib):
    @lib.no_grad()
    def f():
        raise KeyError("boom")

    with pytest.raises(KeyError):
        f()
    assert lib.is_grad_enabled()


def test_no_grad_decorated_generator_runs_each_step_without_grad(lib):
    @lib.no_grad()
    def gen():
        yield lib.is_grad_enabled()
        yield lib.is_grad_enabled()

    it = gen()
    first = next(it)
    between = lib.is_grad_enabled()
    second = next(it)
    assert (first, between, second) == (False, True, False)


def test_inference_mode_disables_recording(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    assert not lib.is_inference_mode_enabled()
    with lib.inference_mode():
        assert lib.is_inference_mode_enabled()
        assert not lib.is_grad_enabled()
        y = x * 2
        assert not y.requires_grad and y.grad_fn is None
    assert not lib.is_inference_mode_enabled()
    assert lib.is_grad_enabled()
    assert records(lib)


def test_inference_mode_false_is_not_inference(lib):
    with lib.inference_mode(False):
        assert not lib.is_inference_mode_enabled()
        assert lib.is_grad_enabled()
        assert records(lib)


def test_inference_mode_false_inside_no_grad_enables_grad(lib):
    with lib.no_grad():
        with lib.inference_mode(False):
            assert lib.is_grad_enabled()
        assert not lib.is_grad_enabled()


def test_inference_mode_false_nested_in_inference_mode(lib):
    with lib.inference_mode():
        with lib.inference_mode(False):
            assert not lib.is_inference_mode_enabled()
            assert lib.is_grad_enabled()
        assert lib.is_inference_mode_enabled()
        assert not lib.is_grad_enabled()


def test_inference_mode_decorator(lib):
    @lib.inference_mode()
    def f(x):
        return lib.is_inference_mode_enabled(), x * 2

    inf, y = f(lib.tensor([1.0], requires_grad=True))
    assert inf and not y.requires_grad
    assert not lib.is_inference_mode_enabled() and lib.is_grad_enabled()


def test_inference_mode_decorator_without_parentheses(lib):
    @lib.inference_mode
    def f():
        return lib.is_inference_mode_enabled(), lib.is_grad_enabled()

    assert f() == (True, False)
    assert lib.is_grad_enabled()


def test_grad_mode_switches_are_available_from_autograd(lib):
    with lib.autograd.no_grad():
        assert not lib.is_grad_enabled()
        with lib.autograd.enable_grad():
            assert lib.is_grad_enabled()
        with lib.autograd.set_grad_enabled(True):
            assert lib.is_grad_enabled()
    with lib.autograd.inference_mode():
        assert lib.is_inference_mode_enabled()


def test_backward_still_works_inside_no_grad(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with lib.no_grad():
        y.backward()
        assert not lib.is_grad_enabled()
    assert x.grad.tolist() == [2.0, 4.0]


# --- thread-locality ---------------------------------------------------------------------------


def _run_thread(target):
    errors = []

    def wrapped():
        try:
            target()
        except BaseException as e:  # noqa: BLE001 - re-raised in the main thread
            errors.append(e)

    th = threading.Thread(target=wrapped)
    th.start()
    return th, errors


def test_no_grad_in_a_thread_does_not_affect_main_thread_and_vice_versa(lib):
    barrier = threading.Barrier(2, timeout=10)
    seen = {}

    def worker():
        with lib.no_grad():
            barrier.wait()  # 1: worker is inside no_grad
            barrier.wait()  # 2: main has looked
            seen["worker_inside"] = (lib.is_grad_enabled(), records(lib))
        barrier.wait()  # 3: worker left no_grad
        barrier.wait()  # 4: main is inside no_grad
        seen["worker_while_main_off"] = (lib.is_grad_enabled(), records(lib))
        barrier.wait()  # 5

    th, errors = _run_thread(worker)
    try:
        barrier.wait()  # 1
        main_while_worker_off = (lib.is_grad_enabled(), records(lib))
        barrier.wait()  # 2
        barrier.wait()  # 3
        with lib.no_grad():
            barrier.wait()  # 4
            barrier.wait()  # 5
            main_inside = (lib.is_grad_enabled(), records(lib))
    finally:
        th.join(10)
    assert not errors, errors
    assert main_while_worker_off == (True, True)
    assert seen["worker_inside"] == (False, False)
    assert seen["worker_while_main_off"] == (True, True)
    assert main_inside == (False, False)


def test_new_thread_starts_with_grad_enabled(lib):
    seen = []
    with lib.no_grad():
        th, errors = _run_thread(lambda: seen.append(lib.is_grad_enabled()))
        th.join(10)
    assert not errors and seen == [True]


def test_plain_set_grad_enabled_in_thread_is_thread_local(lib):
    barrier = threading.Barrier(2, timeout=10)
    seen = []

    def worker():
        lib.set_grad_enabled(False)
        barrier.wait()  # 1: worker switched off
        barrier.wait()  # 2: main has looked
        seen.append(lib.is_grad_enabled())

    th, errors = _run_thread(worker)
    barrier.wait()
    main = lib.is_grad_enabled()
    barrier.wait()
    th.join(10)
    assert not errors, errors
    assert main is True and seen == [False]


def test_inference_mode_is_thread_local(lib):
    barrier = threading.Barrier(2, timeout=10)
    seen = []

    def worker():
        with lib.inference_mode():
            barrier.wait()
            barrier.wait()

    th, errors = _run_thread(worker)
    barrier.wait()
    seen.append((lib.is_inference_mode_enabled(), lib.is_grad_enabled()))
    barrier.wait()
    th.join(10)
    assert not errors, errors
    assert seen == [(False, True)]


def test_backward_in_main_thread_leaves_a_no_grad_thread_alone(lib):
    barrier = threading.Barrier(2, timeout=10)
    seen = []

    def worker():
        with lib.no_grad():
            barrier.wait()  # 1: worker is inside no_grad
            barrier.wait()  # 2: main has run a (create_graph) backward
            seen.append(lib.is_grad_enabled())

    th, errors = _run_thread(worker)
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x * 3).sum()
    barrier.wait()
    y.backward(create_graph=True)
    barrier.wait()
    th.join(10)
    assert not errors, errors
    assert seen == [False]
    assert lib.is_grad_enabled()
    assert x.grad.tolist() == [6.0, 12.0]
