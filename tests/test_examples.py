"""Smoke tests for examples/: each script's `main` runs briefly and must actually learn.

The polynomial fits are also differential: the same script is loaded a second time with its
`import chainrule as torch` line turned into `import torch`, both copies start from the same
random numbers (see `_SameStart`), and the fitted coefficients must agree.
"""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np
import pytest

import chainrule

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, scope="module")
def _torch_single_thread():
    """torch's worker threads spin against the other processes on a small machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
POLY = [
    "poly_numpy_style",
    "poly_autograd",
    "poly_custom_function",
    "poly_nn",
    "poly_optim",
    "poly_module",
]


def _load(name: str, backend: str = "chainrule") -> types.ModuleType:
    """Import examples/<name>.py as a fresh module; with backend="torch", on real torch."""
    source = (EXAMPLES / f"{name}.py").read_text()
    assert "import chainrule as torch\n" in source
    if backend == "torch":
        source = source.replace("import chainrule as torch\n", "import torch\n")
        source = source.replace("from chainrule", "from torch")
    module = types.ModuleType(f"example_{name}_{backend}")
    module.__file__ = str(EXAMPLES / f"{name}.py")
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


class _SameStart:
    """Stands in for the library inside an example so that `randn` and `nn.Linear` draw their
    initial values from a NumPy seed: chainrule and torch then start from the same numbers."""

    def __init__(self, lib: types.ModuleType, seed: int) -> None:
        self._lib = lib
        self._rng = np.random.default_rng(seed)
        self.nn = types.SimpleNamespace(**vars(lib.nn))
        self.nn.Linear = self._linear

    def __getattr__(self, name: str):
        return getattr(self._lib, name)

    def randn(self, *size, dtype=None, requires_grad: bool = False):
        if len(size) == 1 and isinstance(size[0], tuple):
            size = size[0]
        values = np.asarray(self._rng.standard_normal(size), dtype=np.float32)
        return self._lib.tensor(values, dtype=dtype, requires_grad=requires_grad)

    def _linear(self, in_features: int, out_features: int, bias: bool = True):
        layer = self._lib.nn.Linear(in_features, out_features, bias=bias)
        bound = 1.0 / np.sqrt(in_features)
        with self._lib.no_grad():
            for p in layer.parameters():
                values = self._rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)
                p.copy_(self._lib.from_numpy(values))
        return layer


def _run_same_start(name: str, backend: str, steps: int):
    module = _load(name, backend)
    lib = chainrule if backend == "chainrule" else torch
    module.torch = _SameStart(lib, seed=7)
    return module.main(steps=steps, log_every=10**9)


@pytest.mark.parametrize("name", POLY)
def test_polynomial_fit_matches_torch(name):
    coeffs, losses = _run_same_start(name, "chainrule", steps=400)
    t_coeffs, t_losses = _run_same_start(name, "torch", steps=400)
    assert losses[-1] < 0.5 * losses[0], f"{name} did not learn: {losses[0]} -> {losses[-1]}"
    np.testing.assert_allclose(losses, t_losses, rtol=1e-3)
    np.testing.assert_allclose(coeffs, t_coeffs, rtol=1e-3, atol=1e-4)


def test_polynomial_examples_run_as_scripts(capsys):
    """The unpatched script runs on chainrule and prints the fitted polynomial."""
    _load("poly_autograd").main(steps=20, log_every=10)
    out = capsys.readouterr().out
    assert "step    20" in out and "fit: y = " in out


def test_cnn_digits_learns():
    pytest.importorskip("sklearn")
    acc, epoch_losses = _load("cnn_digits").main(epochs=3)
    assert epoch_losses[-1] < 0.5 * epoch_losses[0]
    assert acc > 0.9


def test_examples_import_chainrule_as_torch():
    for path in EXAMPLES.glob("*.py"):
        assert "import chainrule as torch\n" in path.read_text(), path.name


def test_char_lstm_loss_falls_and_samples_from_the_alphabet():
    module = _load("char_lstm")
    losses, text = module.main(steps=40, seq_len=16, batch_size=16, sample_length=50)
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5]), (losses[:5], losses[-5:])
    alphabet = set(module.TEXT.read_text())
    assert text.startswith("The keeper ") and len(text) == len("The keeper ") + 50
    assert set(text) <= alphabet
