"""nn.functional's log_softmax / cross_entropy: stability and argument errors, beside torch.

Forward and gradients of these ops against torch, gradcheck and gradgradcheck come from their
records in opdb.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule


def test_cross_entropy_is_stable_at_huge_logits(lib):
    x = lib.tensor([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]], requires_grad=True)
    loss = lib.nn.functional.cross_entropy(x, lib.tensor([1, 2]))
    loss.backward()
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), (1e4 + np.log(2)) / 2, rtol=1e-6)
    np.testing.assert_allclose(
        x.grad.detach().numpy(), [[0.5, -0.5, 0.0], [0.0, 0.25, -0.25]], atol=1e-6
    )


def test_log_softmax_does_not_overflow(lib):
    out = lib.nn.functional.log_softmax(lib.tensor([1000.0, 0.0]), 0)
    np.testing.assert_allclose(out.numpy(), [0.0, -1000.0], atol=1e-4)


@pytest.mark.parametrize("target", [[0, 3], [-1, 0]])
def test_out_of_range_target_raises_index_error(lib, target):
    with pytest.raises(IndexError, match="out of bounds"):
        lib.nn.functional.cross_entropy(lib.zeros(2, 3), lib.tensor(target))


def test_invalid_reduction_raises_value_error(lib):
    with pytest.raises(ValueError, match="reduction"):
        lib.nn.functional.cross_entropy(lib.zeros(2, 3), lib.tensor([0, 1]), reduction="avg")


def test_arguments_not_yet_supported_say_so():
    with pytest.raises(NotImplementedError, match="label_smoothing"):
        chainrule.nn.functional.cross_entropy(
            chainrule.zeros(2, 3), chainrule.tensor([0, 1]), label_smoothing=0.1
        )
