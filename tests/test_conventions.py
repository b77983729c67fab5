"""The conventions registry (chainrule.autograd.conventions) against torch, its docs page, and
safe_where: the NaN-free alternative to where."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import chainrule
from chainrule.autograd.conventions import markdown

REGISTRY = chainrule.autograd.conventions()


def run(m, conv):
    """The gradients of conv.example(...).sum() at conv.inputs, in module m (float64)."""
    xs = [m.tensor(v, dtype=m.float64, requires_grad=True) for v in conv.inputs]
    out = conv.example(m, *xs)
    grads = m.autograd.grad(out.sum(), xs, allow_unused=True)
    zero = [np.zeros(len(v)) for v in conv.inputs]
    return [z if g is None else g.detach().numpy() for g, z in zip(grads, zero)]


@pytest.mark.parametrize("conv", REGISTRY, ids=[f"{c.op}@{c.point}" for c in REGISTRY])
def test_registry_states_chainrules_gradient(conv):
    for got, stated in zip(run(chainrule, conv), conv.grads):
        np.testing.assert_allclose(got, stated, rtol=1e-12, err_msg=str(conv))


@pytest.mark.parametrize("conv", REGISTRY, ids=[f"{c.op}@{c.point}" for c in REGISTRY])
def test_registry_is_torchs_convention(torch, conv):
    for got, stated in zip(run(torch, conv), conv.grads):
        np.testing.assert_allclose(got, stated, rtol=1e-12, err_msg=str(conv))


def test_registry_covers_the_documented_kinks():
    ops = " ".join(c.op for c in REGISTRY)
    for name in ["relu", "abs", "max(", "min(", "amax", "maximum", "minimum", "clamp",
                 "hardtanh", "relu6", "sqrt", "norm", "sort", "topk", "median"]:
        assert name in ops, name


def test_conventions_filters_by_op_name():
    assert [c.op for c in chainrule.autograd.conventions("relu6")] == ["relu6"]
    assert str(chainrule.autograd.conventions("abs")[0]) == "abs at x = 0: gradient sign(0) = 0"
    assert chainrule.autograd.conventions("no such op") == []


def test_docs_page_is_generated_from_the_registry():
    page = Path(__file__).parent.parent / "docs" / "conventions.md"
    assert page.read_text() == markdown(), (
        "regenerate: chainrule conventions --markdown > docs/conventions.md"
    )


# --- safe_where ---------------------------------------------------------------------------------


def test_where_leaks_nan_from_the_branch_not_taken_as_torch(lib):
    # the motivating example: where's gradient is 0 * d sqrt(x)/dx = 0 * NaN at x = -1
    x = lib.tensor([-1.0, 4.0], requires_grad=True)
    lib.where(x > 0, lib.sqrt(x), 0.0).sum().backward()
    assert np.isnan(x.grad[0].item())
    assert x.grad[1].item() == 0.25


def test_safe_where_gives_finite_gradients_and_where_s_values(torch):
    x = chainrule.tensor([-1.0, 4.0, 0.0, 9.0], requires_grad=True)
    out = chainrule.safe_where(x > 0, chainrule.sqrt, chainrule.zeros_like, x)
    out.sum().backward()
    xt = torch.tensor([-1.0, 4.0, 0.0, 9.0], requires_grad=True)
    expected = torch.where(xt > 0, torch.sqrt(xt.clamp(min=1e-30)), 0.0)
    expected.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy())
    assert np.isfinite(x.grad.numpy()).all()


def test_safe_where_broadcasts_several_inputs_and_scalar_branches():
    x = chainrule.tensor([[1.0, -2.0]], requires_grad=True)
    w = chainrule.tensor([[3.0], [4.0]], requires_grad=True)
    out = chainrule.safe_where(x > 0, lambda a, b: a * b, lambda a, b: 0.5, x, w)
    assert out.shape == (2, 2)
    np.testing.assert_array_equal(out.detach().numpy(), [[3.0, 0.5], [4.0, 0.5]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[7.0, 0.0]])
    np.testing.assert_array_equal(w.grad.numpy(), [[1.0], [1.0]])


def test_safe_where_on_a_0d_tensor_and_with_no_element_selected():
    x = chainrule.tensor(4.0, requires_grad=True)
    out = chainrule.safe_where(x > 0, chainrule.sqrt, lambda a: 0.0, x)
    out.backward()
    assert out.shape == () and out.item() == 2.0 and x.grad.item() == 0.25
    y = chainrule.tensor([-1.0, -2.0], requires_grad=True)
    chainrule.safe_where(y > 0, chainrule.log, chainrule.exp, y).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), np.exp([-1.0, -2.0]))


def test_safe_where_is_twice_differentiable():
    x = chainrule.tensor([2.0, -3.0], requires_grad=True)
    out = chainrule.safe_where(x > 0, lambda a: a**3, lambda a: a**2, x).sum()
    (g,) = chainrule.autograd.grad(out, x, create_graph=True)
    (gg,) = chainrule.autograd.grad(g.sum(), x)
    np.testing.assert_array_equal(g.detach().numpy(), [12.0, -6.0])
    np.testing.assert_array_equal(gg.numpy(), [12.0, 2.0])
    assert chainrule.autograd.gradcheck(
        lambda a: chainrule.safe_where(a > 0, chainrule.sqrt, chainrule.sin, a),
        (chainrule.tensor([0.7, -0.4, 1.3], dtype=chainrule.float64, requires_grad=True),),
    )


def test_safe_where_rejects_bad_conditions_and_shapes():
    x = chainrule.ones(3)
    with pytest.raises(TypeError, match="bool"):
        chainrule.safe_where(x, chainrule.sqrt, chainrule.exp, x)
    with pytest.raises(RuntimeError, match=r"\[3\].*\[2\]"):
        chainrule.safe_where(x > 0, chainrule.sqrt, chainrule.exp, chainrule.ones(2))
