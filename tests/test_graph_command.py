"""`chainrule graph EXPR`: value and gradients as torch computes them, the drawing written, and
a clear refusal (exit 2) of anything outside the expression whitelist."""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import sys
import xml.etree.ElementTree as ET

import pytest

from chainrule.diagnostics import _graph_command as gc

torch = pytest.importorskip("torch")


def run(line: str) -> int:
    parser = argparse.ArgumentParser(prog="chainrule graph")
    gc.configure(parser)
    return gc.run(parser.parse_args(shlex.split(line)))


def test_seed_value_gradient_and_dot_file(tmp_path, capsys):
    path = tmp_path / "g.dot"
    assert run(f'"x**2 + 3*x + 1" --at x=2 -o {path}') == 0
    out = capsys.readouterr().out
    x = torch.tensor(2.0, requires_grad=True)
    y = x**2 + 3 * x + 1
    y.backward()
    assert f"x**2 + 3*x + 1 = tensor({y.item():.0f}.)" in out
    assert f"d/dx = tensor({x.grad.item():.0f}.)" in out
    dot = path.read_text()
    assert dot.startswith("digraph") and "PowBackward0" in dot and "|g|=4" in dot


def test_vectors_and_functions_match_torch(capsys):
    assert run('"sum(tanh(w*x)) + mean(exp(-x)) / 2" --at w=1,2,3 --at x=0.5') == 0
    out = capsys.readouterr().out
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x = torch.tensor(0.5, requires_grad=True)
    (torch.sum(torch.tanh(w * x)) + torch.mean(torch.exp(-x)) / 2).backward()
    assert f"d/dw = {w.grad!s}" in out
    assert f"d/dx = {x.grad!s}" in out


def test_non_scalar_result_differentiates_the_sum(capsys):
    assert run('"x**3" --at x=1,2') == 0
    out = capsys.readouterr().out
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x**3).sum().backward()
    assert f"d(sum)/dx = {x.grad!s}" in out


@pytest.mark.parametrize(
    "expr, message",
    [
        ("__import__('os').system('true')", "unknown function"),
        ("__import__('os')", "unknown function '__import__'"),
        ("x.data", "Attribute is not allowed"),
        ("x[0]", "Subscript is not allowed"),
        ("x + y", "unknown name 'y'"),
        ("x +", "cannot parse"),
        ("lambda: x", "Lambda is not allowed"),
        ("'a' * x", "only numbers"),
        ("2.0**10**10 + x", "OverflowError"),
        ("sin", "is a function"),
        ("3 + 4", "depends on no variable"),
    ],
)
def test_bad_expressions_exit_2_with_a_message(expr, message, capsys):
    assert run(f"{shlex.quote(expr)} --at x=1") == 2
    out = capsys.readouterr().out
    assert "chainrule graph: error:" in out and message in out


def test_bad_arguments_exit_2(tmp_path, capsys):
    assert run('"x*2" --at x=abc') == 2
    assert "expected a number" in capsys.readouterr().out
    assert run('"x*2" --at x') == 2
    assert "NAME=VALUE" in capsys.readouterr().out
    assert run(f'"x*2" --at x=1 -o {tmp_path / "g.jpeg"}') == 2
    assert "format" in capsys.readouterr().out


def test_without_graphviz_writes_dot_text(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now fails
    assert run(f'"x*x" --at x=3 -o {tmp_path / "g.svg"}') == 0
    out = capsys.readouterr().out
    assert "wrote DOT text" in out and "pip install" in out
    assert (tmp_path / "g.dot").read_text().startswith("digraph")
    assert not (tmp_path / "g.svg").exists()


def test_explain_flag_narrates(capsys):
    assert run('"x**2 + 3*x + 1" --at x=2 --explain') == 0
    out = capsys.readouterr().out
    assert "explain:" in out and re.search(r"sum: (4 \+ 3|3 \+ 4) = 7", out)


@pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz `dot` program is missing")
def test_renders_svg_and_png(tmp_path):
    pytest.importorskip("graphviz")
    assert run(f'"sigmoid(x) * log(x)" --at x=0.5,2 -o {tmp_path / "g.svg"} --saved') == 0
    assert ET.parse(tmp_path / "g.svg").getroot().tag.endswith("svg")
    assert run(f'"sigmoid(x) * log(x)" --at x=0.5,2 -o {tmp_path / "g.png"}') == 0
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
