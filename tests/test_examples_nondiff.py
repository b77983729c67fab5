"""Smoke tests for the non-differentiable-toolkit examples, and for docs/nondiff.md: every
python snippet there runs, prints what the page says it prints, and (where it uses only torch
API) prints the same on real PyTorch."""

from __future__ import annotations

import contextlib
import io
import re
import types
from pathlib import Path

import numpy as np
import pytest

import chainrule.nondiff

torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DOC = ROOT / "docs" / "nondiff.md"


@pytest.fixture(autouse=True, scope="module")
def _torch_single_thread():
    """torch's worker threads spin against the other processes on a small machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def _load(name: str) -> types.ModuleType:
    """Import examples/<name>.py as a fresh module."""
    path = EXAMPLES / f"{name}.py"
    source = path.read_text()
    assert "import chainrule as torch\n" in source
    module = types.ModuleType(f"example_{name}")
    module.__file__ = str(path)
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def test_binarized_mlp_learns_only_with_the_straight_through_estimator():
    pytest.importorskip("sklearn")
    results = _load("binarized_mlp").main(epochs=2)
    acc, losses, moved = results["ste"]
    assert acc > 0.8 and losses[-1] < losses[0] and moved > 0.01
    assert results["exact"][2] == 0.0  # sign's gradient is 0: the latent weights never move


def test_spiking_neuron_learns_only_with_a_surrogate_gradient():
    pytest.importorskip("sklearn")
    results = _load("spiking_neuron").main(epochs=2, time_steps=6)
    acc, losses = results["surrogate"]
    assert losses[-1] < 0.7 * losses[0] and acc > 0.5
    acc, losses = results["exact"]
    assert abs(losses[-1] - losses[0]) < 0.05 * losses[0] and acc < 0.3


def test_discrete_latent_variance_ordering_and_plot(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "latent.png"
    losses, table = _load("discrete_latent").main(steps=60, checkpoint=30, samples=100, out=out)
    for name, curve in losses.items():
        assert len(curve) == 60 and curve[-1] < curve[0], name
    plain, baseline, gumbel = (
        [v for _, v in table[m]] for m in ("reinforce", "reinforce+baseline", "gumbel-softmax")
    )
    assert len(plain) == 2
    for p, b, g in zip(plain, baseline, gumbel):
        assert p > 2 * b > 2 * g, (plain, baseline, gumbel)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from matplotlib.image import imread

    height, width = imread(out).shape[:2]
    assert height > 100 and width > 100


def test_soft_sort_ranking_raises_spearman():
    before, after, losses = _load("soft_sort_ranking").main(steps=80)
    assert after > 0.9 and after > before + 0.3
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])


def _snippets() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)


def _run(source: str) -> str:
    """exec a snippet in a fresh namespace; return what it printed."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(source, str(DOC), "exec"), {"__name__": "__doc_snippet__"})
    return buffer.getvalue()


def _documented_output(source: str) -> list[str]:
    """The column-0 `# ...` lines right after a print: what the page says is printed."""
    expected, after_print = [], False
    for line in source.splitlines():
        if after_print and line.startswith("# "):
            expected.append(line[2:].rstrip())
            continue
        after_print = "print(" in line
    return expected


def test_doc_has_snippets():
    assert len(_snippets()) >= 8


@pytest.mark.parametrize("index", range(len(_snippets())))
def test_doc_snippet_runs_and_prints_what_the_page_says(index):
    source = _snippets()[index]
    printed = [line.rstrip() for line in _run(source).splitlines()]
    for line in _documented_output(source):
        assert line in printed, f"snippet {index}: {line!r} not in {printed}"


@pytest.mark.parametrize(
    "index", [i for i, s in enumerate(_snippets()) if "chainrule." not in s.replace("as torch", "")]
)
def test_doc_snippet_prints_the_same_on_torch(index):
    """Snippets using only torch's API print the same on torch."""
    source = _snippets()[index]
    assert "import chainrule as torch\n" in source
    on_torch = _run(source.replace("import chainrule as torch\n", "import torch\n"))
    assert _run(source) == on_torch


def test_doc_reference_names_every_public_function():
    text = DOC.read_text()
    missing = [name for name in chainrule.nondiff.__all__ if f"`{name}" not in text]
    assert not missing, f"docs/nondiff.md does not mention {missing}"


def test_doc_surrogate_table_matches_the_defaults():
    rows = re.findall(r"^\| `(\w+)` \| [^|]*(?:\\\|[^|]*)*\| (\d+) \|$", DOC.read_text(), re.M)
    documented = {name: float(slope) for name, slope in rows}
    actual = {name: slope for name, (_, slope) in chainrule.nondiff.SURROGATES.items()}
    assert documented == actual
