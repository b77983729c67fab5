"""Anomaly detection and creation sites: the op that produced a NaN (or inf) gradient is
named with the user's line that created it; autograd errors name that line even without
anomaly mode."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainrule

THIS = __file__.rsplit("/", 1)[-1]


def sqrt_at_minus_one(lib):
    x = lib.tensor([-1.0, 4.0], requires_grad=True)
    y = lib.where(x > 0, lib.sqrt(x), 0.0)  # the line anomaly mode must point at
    return x, y


def test_anomaly_mode_names_the_node_that_returned_nan(lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly():
            x, y = sqrt_at_minus_one(lib)
            with pytest.raises(RuntimeError, match=r"Function 'SqrtBackward0' returned nan values"):
                y.sum().backward()


def test_anomaly_error_shows_the_forward_line():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        mode = chainrule.autograd.detect_anomaly()
    with mode:
        x, y = sqrt_at_minus_one(chainrule)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
    message = str(info.value)
    assert "Traceback of forward call that caused the error" in message
    assert THIS in message and "the line anomaly mode must point at" in message


def test_anomaly_mode_also_catches_inf_unlike_torch(torch):
    # sqrt'(0) = inf: torch's anomaly mode lets it pass, chainrule's reports it
    for lib, raises in ((torch, False), (chainrule, True)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                x = lib.tensor([0.0, 4.0], requires_grad=True)
                y = lib.sqrt(x).sum()
                if raises:
                    with pytest.raises(RuntimeError, match="returned inf values"):
                        y.backward()
                else:
                    y.backward()
                    assert np.isinf(x.grad.numpy()[0])


def test_check_nan_false_and_outside_the_block_nothing_is_checked(lib):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly(check_nan=False):
            x, y = sqrt_at_minus_one(lib)
            y.sum().backward()
    assert np.isnan(x.grad.numpy()[0])
    assert not lib.is_anomaly_enabled()
    x, y = sqrt_at_minus_one(lib)
    y.sum().backward()  # no anomaly mode: the NaN gradient passes silently, as torch
    assert np.isnan(x.grad.numpy()[0])


def test_set_detect_anomaly_switches_and_restores(lib):
    assert not lib.is_anomaly_enabled()
    with lib.autograd.set_detect_anomaly(True, check_nan=False):
        assert lib.is_anomaly_enabled()
        assert not lib.is_anomaly_check_nan_enabled()
    assert not lib.is_anomaly_enabled()
    assert lib.is_anomaly_check_nan_enabled()


def test_error_inside_a_backward_warns_with_the_forward_trace(lib):
    class Broken(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("broken backward")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with lib.autograd.detect_anomaly():
            y = Broken.apply(lib.ones(2, requires_grad=True)).sum()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        with lib.autograd.set_detect_anomaly(True):
            with pytest.raises(ValueError, match="broken backward"):
                y.backward()
    assert any("Error detected in BrokenBackward" in str(m.message) for m in w)


def test_released_graph_error_names_the_creating_line():
    x = chainrule.tensor([1.0], requires_grad=True)
    y = x * 2  # line A
    y.backward()
    with pytest.raises(RuntimeError, match=rf"MulBackward0 \(created at .*{THIS}:\d+"):
        y.backward()


def test_version_error_names_the_creating_line_and_function():
    def build():
        a = chainrule.tensor([1.0], requires_grad=True)
        return a.exp()

    b = build()
    b.add_(1)
    with pytest.raises(RuntimeError, match=rf"ExpBackward0 \(created at .*{THIS}:\d+, in build\)"):
        b.backward()


def test_creation_line_is_the_users_even_through_nn_functional():
    logits = chainrule.zeros(2, 3, requires_grad=True)
    loss = chainrule.nn.functional.cross_entropy(logits, chainrule.tensor([0, 1]))
    line = loss.grad_fn._where
    code, _ = line
    assert code.co_filename.endswith(THIS)
    assert code.co_name == "test_creation_line_is_the_users_even_through_nn_functional"


def test_wrong_gradient_shape_error_names_the_line():
    class BadShape(chainrule.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return chainrule.ones(3)

    y = BadShape.apply(chainrule.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError, match=rf"invalid gradient at index 0.*created at .*{THIS}"):
        y.sum().backward()
