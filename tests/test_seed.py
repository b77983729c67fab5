"""The seed tutorial's two examples, run unchanged with chainrule bound as ``torch``.

Each example's source is executed with ``torch`` meaning chainrule (and, when torch is
installed, once more with the real torch) and must print exactly what torch prints.
"""

from __future__ import annotations

import contextlib
import io

import pytest

import chainrule

# Example 1, verbatim from the tutorial.
EXAMPLE_1 = """
import torch

# Step 1: Define input tensor and enable gradient tracking
x = torch.tensor([2.0], requires_grad=True)

# Step 2: Create a computational graph
y = x**2 + 3*x + 1

# Step 3: Compute gradients
y.backward()

# Step 4: Access the gradients
print("Gradient of x:", x.grad)
"""

# Example 2, verbatim: note it zeroes x.grad before any backward has created it.
EXAMPLE_2 = """
import torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = 2 * x + 1
z = y.mean()
x.grad.zero_()
z.backward()
print(x.grad)
"""

# Example 2 in the working order the tutorial's closing note asks for: backward first, then
# read the gradient, then zero it before the next backward.
EXAMPLE_2_FIXED = """
import torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = 2 * x + 1
z = y.mean()
z.backward()
print(x.grad)
x.grad.zero_()
print(x.grad)
z = (2 * x + 1).mean()
z.backward()
print(x.grad)
"""


def run_as_torch(source: str, module) -> tuple[str, dict]:
    """Execute `source` with `import torch` resolving to `module`; return stdout and globals."""
    real_import = __import__

    def fake_import(name, *args, **kwargs):
        if name == "torch":
            return module
        return real_import(name, *args, **kwargs)

    builtins = dict(__builtins__) if isinstance(__builtins__, dict) else dict(vars(__builtins__))
    builtins["__import__"] = fake_import
    env = {"__builtins__": builtins, "__name__": "__seed__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(source, "<seed>", "exec"), env)
    return out.getvalue(), env


def test_example_source_really_imports_the_given_module():
    _, env = run_as_torch(EXAMPLE_1, chainrule)
    assert env["torch"] is chainrule
    assert isinstance(env["x"], chainrule.Tensor)


def test_example_1_prints_the_gradient_seven(lib):
    out, env = run_as_torch(EXAMPLE_1, lib)
    assert out == "Gradient of x: tensor([7.])\n"
    assert env["x"].grad.tolist() == [7.0]


def test_example_1_intermediate_repr(lib):
    _, env = run_as_torch(EXAMPLE_1, lib)
    assert repr(env["x"]) == "tensor([2.], requires_grad=True)"
    assert repr(env["y"]) == "tensor([11.], grad_fn=<AddBackward0>)"


def test_example_2_as_written_raises_attribute_error_like_torch(lib):
    with pytest.raises(AttributeError) as info:
        run_as_torch(EXAMPLE_2, lib)
    assert str(info.value) == "'NoneType' object has no attribute 'zero_'"


def test_example_2_as_written_matches_torchs_error_exactly(lib):
    torch = pytest.importorskip("torch")
    messages = []
    for module in (chainrule, torch):
        with pytest.raises(AttributeError) as info:
            run_as_torch(EXAMPLE_2, module)
        messages.append((type(info.value), str(info.value)))
    assert messages[0] == messages[1]


def test_example_2_in_working_order_prints_two_thirds(lib):
    out, env = run_as_torch(EXAMPLE_2_FIXED, lib)
    assert out.splitlines() == [
        "tensor([0.6667, 0.6667, 0.6667])",
        "tensor([0., 0., 0.])",
        "tensor([0.6667, 0.6667, 0.6667])",
    ]


def test_example_2_prints_exactly_what_torch_prints():
    torch = pytest.importorskip("torch")
    assert run_as_torch(EXAMPLE_2_FIXED, chainrule)[0] == run_as_torch(EXAMPLE_2_FIXED, torch)[0]
    assert run_as_torch(EXAMPLE_1, chainrule)[0] == run_as_torch(EXAMPLE_1, torch)[0]
