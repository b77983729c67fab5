"""chainrule.diagnostics.explain: a backward that narrates itself leaves the .grad of a plain
backward (and of torch's), and shows how paths' gradients are summed."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest

import chainrule
from chainrule.diagnostics._expr import fmt
from chainrule.diagnostics.explain import explain

torch = pytest.importorskip("torch")


def seed(lib):
    x = lib.tensor([2.0], requires_grad=True)
    return x, x**2 + 3 * x + 1


def test_seed_shows_how_seven_arises(capsys):
    x, y = seed(chainrule)
    text = explain(y)
    assert capsys.readouterr().out == text  # printed to stdout by default
    assert "PowBackward0: x**2" in text and "d/dx = 2*x = 4" in text
    assert "MulBackward0: 3*x" in text and "d/dx = 3" in text
    assert re.search(r"x: 2 paths reach it.*\n.*\n.*\n\s+sum: (4 \+ 3|3 \+ 4) = 7", text)
    assert "x.grad = 7" in text
    tx, ty = seed(torch)
    ty.backward()
    assert x.grad.tolist() == tx.grad.tolist()


def test_nodes_in_reverse_topological_order():
    x = chainrule.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    z = (h * h + h).mean()
    text = explain(z, file=io.StringIO())
    order = re.findall(r"^\[(\d+)\] (\w+)", text, re.M)
    assert [n for _, n in order] == [
        "MeanBackward0",
        "AddBackward0",
        "MulBackward0",
        "MulBackward0",
    ]
    # h = x*2 gets gradient from the add and twice from h*h: three paths summed
    assert "[4] MulBackward0: 2*x" in text and "3 paths meet here and are summed" in text
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    th = tx * 2
    (th * th + th).mean().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


def test_same_grad_as_plain_backward_for_an_mlp():
    def build(lib):
        rng = np.random.default_rng(1)
        net = lib.nn.Sequential(lib.nn.Linear(6, 8), lib.nn.ReLU(), lib.nn.Linear(8, 3))
        with lib.no_grad():
            for p in net.parameters():
                p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
        x = lib.tensor(rng.standard_normal((4, 6)).astype(np.float32))
        return net, (net(x) ** 2).mean()

    net, loss = build(chainrule)
    text = explain(loss, names=net, file=io.StringIO())
    plain, ploss = build(chainrule)
    ploss.backward()
    tnet, tloss = build(torch)
    tloss.backward()
    for (name, p), q, (_, t) in zip(
        net.named_parameters(), plain.parameters(), tnet.named_parameters()
    ):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)
        # 0.weight has 48 elements: shown by shape and norm, the norm torch's
        if p.numel() > 8:
            assert (
                f"{name}.grad = <shape {list(p.shape)}, norm {fmt(t.grad.norm().item())}>" in text
            )
    assert "AddmmBackward0" in text and "ReluBackward0" in text


def test_gradient_argument_and_create_graph():
    def build(lib):
        x = lib.tensor([1.0, -2.0], requires_grad=True)
        return x, x**3

    x, y = build(chainrule)
    explain(y, chainrule.tensor([1.0, 0.5]), create_graph=True, file=io.StringIO())
    tx, ty = build(torch)
    ty.backward(torch.tensor([1.0, 0.5]), create_graph=True)
    assert x.grad.tolist() == tx.grad.tolist()
    x.grad.sum().backward()
    tx.grad.sum().backward()
    assert x.grad.tolist() == tx.grad.tolist()


def test_released_graph_raises_like_backward():
    x, y = seed(chainrule)
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        explain(y, file=io.StringIO())


def test_retain_graph_allows_a_second_explain():
    x, y = seed(chainrule)
    explain(y, retain_graph=True, file=io.StringIO())
    text = explain(y, file=io.StringIO())
    assert "x.grad = 7 (before) + 7 = 14" in text  # accumulated, as two plain backwards would
