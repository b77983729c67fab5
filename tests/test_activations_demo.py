"""`chainrule demo activations`: sigmoid's vanishing gradient measured, and ReLU's absence."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule
from chainrule.diagnostics import _activations_demo as demo

torch = pytest.importorskip("torch")


def test_demo_runs_prints_and_plots(tmp_path, capsys):
    assert demo.run(out_dir=tmp_path, depth=6, width=16) == 0
    out = capsys.readouterr().out
    for name in demo.ACTIVATIONS:
        assert name in out
    assert "vanishing" in out and "at most 0.25" in out
    png = tmp_path / "activations.png"
    assert str(png.resolve()) in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sigmoid_first_to_last_ratio_is_far_below_relus():
    results = demo.measure(depth=8, width=32)
    norms = demo.layer_norms(results)
    ratio = {c: v[0] / v[-1] for c, v in norms.items()}
    assert ratio["Sigmoid"] < 1e-3 * ratio["ReLU"]
    assert results["Sigmoid"]["report"].flagged("vanishing")
    assert not results["ReLU"]["report"].flagged("vanishing")
    assert all(0 < s <= 0.25 for s in results["Sigmoid"]["slopes"])


@pytest.mark.parametrize("act", ["Sigmoid", "ReLU", "GELU"])
def test_layer_norms_equal_torch_from_the_same_weights(act):
    chainrule.manual_seed(3)
    ours = demo.build_mlp(act, depth=5, width=12)
    layers = []
    for _ in range(4):
        layers += [torch.nn.Linear(12, 12), getattr(torch.nn, act)()]
    theirs = torch.nn.Sequential(*layers, torch.nn.Linear(12, 1)).double()
    ours.double()
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy().copy()))
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((20, 12)), rng.standard_normal((20, 1))
    chainrule.nn.functional.mse_loss(ours(chainrule.tensor(x)), chainrule.tensor(y)).backward()
    torch.nn.functional.mse_loss(theirs(torch.tensor(x)), torch.tensor(y)).backward()
    from chainrule.diagnostics.grad_report import grad_report

    got = [r["norm"] for r in grad_report(ours).layers]
    want = [
        np.sqrt(sum(float((p.grad**2).sum()) for p in m.parameters()))
        for m in theirs
        if isinstance(m, torch.nn.Linear)
    ]
    assert got == pytest.approx(want, rel=1e-9)
