"""The `chainrule` command: `chainrule demo` walks the seed tutorial, each gradient printed beside
its chain-rule derivation; the derivation is read off the recorded graph, not the engine."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import chainrule
import chainrule as torch
from chainrule.cli import main
from chainrule.diagnostics import Derivation, derive

ZERO_GRAD_HELP = (
    "`.grad` is None until the first backward(); zero it after backward(), or set `x.grad = None`."
)


@pytest.fixture(scope="module")
def demo_output() -> str:
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["demo"]) == 0  # nonzero when a derivation disagrees with the engine
    return buf.getvalue()


def test_demo_prints_the_seed_gradient_as_torch_does(demo_output: str) -> None:
    assert "  Gradient of x: tensor([7.])\n" in demo_output
    assert "  tensor([0.6667, 0.6667, 0.6667])\n" in demo_output


def test_demo_derives_7_for_the_first_example(demo_output: str) -> None:
    line = next(ln for ln in demo_output.splitlines() if ln.strip().startswith("dy/dx ="))
    assert line.strip() == "dy/dx = d(x**2)/dx + d(3*x)/dx = 2*x + 3 = 2*2 + 3 = 7"
    assert line.endswith("= 7")


def test_demo_reads_the_graph_it_prints(demo_output: str) -> None:
    assert "AddBackward0 <- AddBackward0 <- PowBackward0 <- x" in demo_output
    assert "AddBackward0 <- AddBackward0 <- MulBackward0 <- x" in demo_output
    assert re.search(r"PowBackward0 +x\*\*2 +d/dx = 2\*x = 4", demo_output)


def test_demo_derives_the_mean_per_element(demo_output: str) -> None:
    assert "dz/dx_i = (1/3) * dy_i/dx_i = (1/3) * 2 = 0.6667" in demo_output


def test_demo_checks_each_derivation_against_the_engine(demo_output: str) -> None:
    assert "read off the graph: 7; the engine's x.grad: 7 -> agree" in demo_output
    assert "read off the graph: 0.6667; the engine's x.grad: 0.6667 -> agree" in demo_output
    assert "DISAGREE" not in demo_output


def test_demo_shows_the_zero_grad_pitfall_and_the_working_order(demo_output: str) -> None:
    lines = demo_output.splitlines()
    error = lines.index("  AttributeError: 'NoneType' object has no attribute 'zero_'")
    assert lines[error + 1].strip() == ZERO_GRAD_HELP
    assert lines.index("  >>> z.backward()") > error
    assert lines[-1] == "  tensor([0., 0., 0.])"  # zero_() works once backward() made .grad


def test_demo_matches_what_torch_prints(demo_output: str) -> None:
    real = pytest.importorskip("torch")
    x = real.tensor([2.0], requires_grad=True)
    (x**2 + 3 * x + 1).backward()
    assert f"  Gradient of x: {x.grad}\n" in demo_output
    x = real.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(AttributeError) as err:
        x.grad.zero_()
    assert f"  AttributeError: {err.value}\n" in demo_output
    (2 * x + 1).mean().backward()
    assert f"  {x.grad}\n" in demo_output


def test_demo_by_name_is_the_default(demo_output: str, capsys: pytest.CaptureFixture) -> None:
    assert main(["demo", "gradients"]) == 0
    assert capsys.readouterr().out == demo_output


def test_module_entry_point_runs_the_demo() -> None:
    env = dict(os.environ)
    src = str(Path(chainrule.__file__).resolve().parents[1])  # the chainrule under test
    env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    res = subprocess.run([sys.executable, "-m", "chainrule", "demo"], capture_output=True,
                         text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert "Gradient of x: tensor([7.])" in res.stdout
    assert "dz/dx_i = (1/3) * dy_i/dx_i = (1/3) * 2 = 0.6667" in res.stdout


def test_version_and_help(capsys: pytest.CaptureFixture) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"chainrule {chainrule.__version__}"
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: chainrule") and "demo" in out


def test_no_command_or_an_unknown_demo_is_a_usage_error(capsys: pytest.CaptureFixture) -> None:
    assert main([]) == 2
    assert "usage: chainrule" in capsys.readouterr().out
    assert main(["demo", "no-such-demo"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_every_command_is_wired(capsys: pytest.CaptureFixture) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ("demo", "conventions", "graph", "train"):
        assert name in out


def test_demo_activations_through_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "activations"]) == 0  # nonzero unless sigmoid vanishes and ReLU not
    out = capsys.readouterr().out
    assert "vanishing" in out and (tmp_path / "activations.png").read_bytes()[:4] == b"\x89PNG"


def test_graph_command_through_the_command(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out_file = tmp_path / "g.dot"
    assert main(["graph", "x**2 + 3*x + 1", "--at", "x=2", "-o", str(out_file)]) == 0
    assert "d/dx = tensor(7.)" in capsys.readouterr().out
    assert "PowBackward0" in out_file.read_text()
    assert main(["graph", "__import__('os')", "--at", "x=2"]) == 2


def test_backward_explain_prints_how_7_arises(capsys: pytest.CaptureFixture) -> None:
    x = torch.tensor([2.0], requires_grad=True)
    (x**2 + 3 * x + 1).backward(explain=True)
    assert "sum: 3 + 4 = 7" in capsys.readouterr().out
    assert x.grad.tolist() == [7.0]


# --- the derivation comes from the graph ------------------------------------------------------

MATH = {"sin": math.sin, "cos": math.cos, "exp": math.exp, "log": math.log, "tanh": math.tanh,
        "sqrt": math.sqrt, "abs": abs, "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
        "sign": lambda v: float((v > 0) - (v < 0))}


def printed_number(d: Derivation) -> float:
    """The number the derivation prints last: `... = 0.9182`."""
    return float(d.equation.rsplit("= ", 1)[1])


def test_derivation_of_sin_x_times_x_matches_autograd() -> None:
    x = torch.tensor(0.5, requires_grad=True)
    y = torch.sin(x) * x
    d = derive(y, x)
    assert d.equation == ("dy/dx = d(sin(x))/dx * x + sin(x) = cos(x) * x + sin(x)"
                          " = cos(0.5) * 0.5 + sin(0.5) = 0.9182")
    (g,) = torch.autograd.grad(y, x)
    assert printed_number(d) == pytest.approx(g.item(), abs=5e-5)
    assert d.check(g)
    # the formula with numbers substituted is the same number, as Python evaluates it
    assert eval(d.steps[-1], MATH) == pytest.approx(float(d.value), rel=1e-6)


def test_derivation_of_a_cubic_over_two_matches_autograd() -> None:
    x = torch.tensor([2.5], requires_grad=True)
    y = (x - 1) ** 3 / 2
    d = derive(y, x)
    assert d.definitions == ["y = (x - 1)**3 / 2"]
    assert d.equation == ("dy/dx = d((x - 1)**3)/dx / 2 = 3 * (x - 1)**2 / 2"
                          " = 3 * (2.5 - 1)**2 / 2 = 3.375")
    y.backward(retain_graph=True)
    assert printed_number(d) == pytest.approx(x.grad.item())
    assert d.check(x.grad)


def test_derivation_does_not_ask_the_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The number is the table's reverse pass over saved values: with the engine disabled,
    derive() still gives it, and it still matches what the engine said before."""
    x = torch.tensor([0.3, -1.2, 2.0], requires_grad=True)
    y = (torch.exp(x) * x - 1 / x).mean()
    (expected,) = torch.autograd.grad(y, x, retain_graph=True)
    from chainrule.autograd import engine

    def no_engine(*args: object, **kwargs: object) -> None:
        raise AssertionError("derive() must not run the engine")

    monkeypatch.setattr(engine, "backward", no_engine)
    monkeypatch.setattr(engine, "grad", no_engine)
    d = derive(y, x)
    assert d.check(expected)
    assert d.lhs == "dy/dx_i"
