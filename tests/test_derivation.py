"""chainrule.diagnostics.derivation: every node type of the table, read off a real graph.

Each case builds a graph that records the named node, derives d(y)/d(x) from it, and checks
the number against autograd (and against torch when installed); for a one-element x, the
printed formula with numbers substituted must evaluate to the same number.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as torch
from chainrule.diagnostics import derive, graph_paths
from chainrule.diagnostics._rules import RULES

MATH = {"sin": math.sin, "cos": math.cos, "exp": math.exp, "log": math.log, "tanh": math.tanh,
        "sqrt": math.sqrt, "abs": abs, "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
        "sign": lambda v: float((v > 0) - (v < 0)), "relu": lambda v: max(v, 0.0)}

# node type -> an expression of x (a module `t`, torch or chainrule) that records it
CASES = {
    "AddBackward0": lambda t, x: x * x + x,
    "SubBackward0": lambda t, x: x * x - 2,
    "RsubBackward1": lambda t, x: 1 - x * x,
    "MulBackward0": lambda t, x: x * t.sin(x),
    "DivBackward0": lambda t, x: t.exp(x) / (x + 3),
    "PowBackward0": lambda t, x: (x + 1) ** 3,
    "NegBackward0": lambda t, x: -(x * x),
    "ExpBackward0": lambda t, x: t.exp(2 * x),
    "LogBackward0": lambda t, x: t.log(x * x + 1),
    "SinBackward0": lambda t, x: t.sin(x * x),
    "CosBackward0": lambda t, x: t.cos(3 * x),
    "TanhBackward0": lambda t, x: t.tanh(x * 2),
    "SigmoidBackward0": lambda t, x: t.sigmoid(x * x),
    "ReluBackward0": lambda t, x: t.relu(x - 0.2) * x,
    "ReciprocalBackward0": lambda t, x: 2 / (x + 1),
    "SqrtBackward0": lambda t, x: t.sqrt(x * x + 1),
    "AbsBackward0": lambda t, x: t.abs(x - 1) * x,
}
REDUCTIONS = {
    "MeanBackward0": lambda t, x: (x * x).mean(),
    "SumBackward0": lambda t, x: t.sin(x).sum(),
    "MeanBackward1": lambda t, x: (x * x).reshape(2, 2).mean(1).sum(),
    "SumBackward1": lambda t, x: t.exp(x).reshape(2, 2).sum(0).mean(),
}


def torch_grad(fn, data) -> np.ndarray | None:
    try:
        import torch as real
    except ImportError:
        return None
    x = real.tensor(data, dtype=real.float64, requires_grad=True)
    y = fn(real, x)
    (g,) = real.autograd.grad(y.sum() if y.dim() else y, x)
    return g.numpy()


@pytest.mark.parametrize("name", sorted(CASES))
def test_scalar_node_types_derive_the_autograd_gradient(name: str) -> None:
    fn = CASES[name]
    x = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    y = fn(torch, x)
    d = derive(y, x)
    assert name in [n.name for n in d.nodes]
    assert "d[" not in d.equation  # nothing fell back to the node's own backward
    (g,) = torch.autograd.grad(y, x)
    assert d.check(g), d
    # the printed formula, numbers substituted, evaluates to the number from the graph
    assert eval(d.steps[-1], MATH) == pytest.approx(float(d.value))
    expected = torch_grad(fn, 0.7)
    if expected is not None:
        assert float(d.value) == pytest.approx(float(expected), rel=1e-9)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reductions_derive_per_element(name: str) -> None:
    fn = REDUCTIONS[name]
    data = [0.5, -1.0, 2.0, 0.25]
    x = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    y = fn(torch, x)
    d = derive(y, x)
    assert name in [n.name for n in d.nodes]
    assert d.lhs == "dy/dx_i"
    (g,) = torch.autograd.grad(y, x)
    assert d.check(g), d
    expected = torch_grad(fn, data)
    if expected is not None:
        np.testing.assert_allclose(d.value, expected, rtol=1e-9)


def test_the_table_covers_every_case() -> None:
    assert set(CASES) | set(REDUCTIONS) <= set(RULES)


def test_constants_nothing_saved_are_solved_from_known_values() -> None:
    """Add and Sub keep no operand, so the 1.5 is solved from the sum's value: the output's,
    one a consumer saved, or one recovered from an output its consumer saved."""
    x = torch.tensor([2.0], requires_grad=True)
    assert derive(5 - x * 4, x).definitions == ["y = 5 - 4*x"]
    assert derive(x * 4 + 1.5, x).definitions == ["y = 4*x + 1.5"]
    assert derive((x - 1.5) * x, x).definitions == ["y = (x - 1.5) * x"]
    assert derive(torch.exp(x + 1.5), x).definitions == ["y = exp(x + 1.5)"]


def test_a_constant_the_graph_cannot_recover_is_named() -> None:
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = derive((2 * x + 1).mean(), x)  # mean() keeps neither 2*x + 1 nor the 1
    assert d.definitions[-1] == "y = mean(2*x + c)"
    assert d.definitions[0].startswith("c: a constant the graph does not keep")
    # naming the intermediate gives its value, and with it the constant
    y = 2 * x + 1
    z = y.mean()
    assert derive(z, x, names={"y": y, "z": z}).definitions == ["y = 2*x + 1", "z = mean(y)"]


def test_broadcast_x_sums_over_the_elements_it_reached() -> None:
    x = torch.tensor(2.0, requires_grad=True)
    c = torch.tensor([1.0, 2.0, 3.0])
    y = (x * c).sum()
    d = derive(y, x, grad=torch.autograd.grad(y, x, retain_graph=True)[0])
    assert d.definitions == ["c0 = [1, 2, 3]", "y = sum(x*c0)"]
    assert d.equation == "dy/dx = sum(d(x*c0_i)/dx) = sum(c0_i) = 6"
    assert d.agrees


def test_other_leaves_are_constants_of_the_derivative() -> None:
    x = torch.tensor(0.5, requires_grad=True)
    w = torch.tensor(3.0, requires_grad=True)
    y = torch.tanh(w * x)
    d = derive(y, x, names={"w": w})
    assert d.equation == ("dy/dx = (1 - tanh(w*x)**2) * d(w*x)/dx = (1 - tanh(w*x)**2) * w"
                          " = (1 - tanh(3*0.5)**2) * 3 = 0.5421")
    assert d.check(torch.autograd.grad(y, x)[0])


def test_an_op_outside_the_table_is_named_and_differentiated_by_its_backward() -> None:
    x = torch.tensor([0.5, 1.5], requires_grad=True)
    y = (x.clamp(0.0, 1.0) * x).sum()
    d = derive(y, x)
    assert "ClampBackward1(x)" in d.definitions[-1]
    assert "d[ClampBackward1]/d(arg0)" in d.equation
    assert d.check(torch.autograd.grad(y, x)[0])


def test_paths_list_each_route_to_a_leaf() -> None:
    x = torch.tensor([2.0], requires_grad=True)
    y = torch.sin(x) * x
    assert graph_paths(y, {"x": x}) == ["MulBackward0 <- SinBackward0 <- x", "MulBackward0 <- x"]
    deep = x
    for _ in range(50):
        deep = deep * 1.5
    (path,) = graph_paths(deep, {"x": x}, width=6)
    assert path == ("MulBackward0 <- MulBackward0 <- MulBackward0 <- ... (46 more) <- "
                    "MulBackward0 <- x")


def test_a_large_graph_still_gives_the_number() -> None:
    x = torch.tensor([0.1, 0.2], requires_grad=True)
    y = x
    for _ in range(300):
        y = torch.sin(y) + 0.01
    d = derive(y.sum(), x)
    assert d.definitions[0].endswith("too large to write out)")
    assert d.check(torch.autograd.grad(y.sum(), x)[0])


def test_derive_explains_what_it_needs() -> None:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="one-element output"):
        derive(x * 2, x)
    with pytest.raises(RuntimeError, match="leaf that requires grad"):
        derive((x * 2).sum(), x * 2)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        derive(y, x)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    assert derive(y, x, grad=x.grad).agrees is False  # x.grad accumulated twice: 2 * 2x
