"""GradientMonitor: what its hooks record per step, and the files its plots write."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.diagnostics.grad_report import grad_report
from chainrule.diagnostics.monitor import GradientMonitor

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")


def _model(lib, width=8):
    return lib.nn.Sequential(
        lib.nn.Linear(4, width),
        lib.nn.Sigmoid(),
        lib.nn.Linear(width, width),
        lib.nn.ReLU(),
        lib.nn.Linear(width, 1),
    )


def _batch(i):
    rng = np.random.default_rng(i)
    return rng.standard_normal((16, 4)).astype(np.float32), rng.standard_normal((16, 1))


def _train(model, monitor, steps, auto=False):
    opt = chainrule.optim.SGD(model.parameters(), lr=0.1)
    reports = []
    for i in range(steps):
        x, y = _batch(i)
        opt.zero_grad()
        out = model(chainrule.tensor(x))
        nn.functional.mse_loss(out, chainrule.tensor(y, dtype=chainrule.float32)).backward()
        reports.append(grad_report(model))
        if not auto:
            monitor.step()
        opt.step()
    return reports


def test_records_every_nth_step_with_the_reports_norms():
    chainrule.manual_seed(0)
    model = _model(chainrule)
    with GradientMonitor(model, every=2) as mon:
        reports = _train(model, mon, steps=5)
    assert mon.steps() == [0, 2, 4]
    assert mon.layer_names == ["0", "2", "4"]
    norms = mon.norms()
    for k, step in enumerate(mon.steps()):
        for layer in reports[step].layers:
            assert norms[layer["name"]][k] == pytest.approx(layer["norm"], rel=1e-12)
            entry = mon.history[k]["grads"][layer["name"]]
            assert entry["max_abs"] == pytest.approx(layer["max_abs"], rel=1e-12)


def test_auto_commits_on_the_next_forward_and_on_remove():
    chainrule.manual_seed(0)
    model = _model(chainrule)
    mon = GradientMonitor(model, auto=True)
    reports = _train(model, mon, steps=3, auto=True)
    assert mon.steps() == [0, 1]  # the third backward is still pending
    mon.remove()
    assert mon.steps() == [0, 1, 2]
    assert mon.norms()["4"][-1] == pytest.approx(reports[-1].layers[-1]["norm"], rel=1e-12)


def test_remove_detaches_every_hook():
    chainrule.manual_seed(0)
    model = _model(chainrule)
    with GradientMonitor(model) as mon:
        _train(model, mon, steps=1)
    assert all(not m._forward_hooks for m in model.modules())
    assert all(not p._post_acc_hooks for p in model.parameters())
    _train(model, mon, steps=1)  # after removal, the gradients are no longer seen
    assert mon.history[-1]["grads"]["0"] == {"has_grad": False, "norm": None}


def test_activation_statistics_match_torch_forward_hooks():
    chainrule.manual_seed(0)
    ours = _model(chainrule)
    theirs = _model(torch)
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy().copy()))
    seen = {}
    for name, m in theirs.named_modules():
        if name:
            m.register_forward_hook(lambda m, a, o, name=name: seen.__setitem__(name, o.detach()))
    x, _ = _batch(0)
    theirs(torch.from_numpy(x))
    with GradientMonitor(ours) as mon:
        ours(chainrule.tensor(x)).sum().backward()
        mon.step()
    acts = mon.history[0]["activations"]
    assert set(acts) == {"0", "1", "2", "3", "4"}
    for name, stats in acts.items():
        o = seen[name].double().numpy()
        assert stats["mean"] == pytest.approx(o.mean(), rel=1e-5, abs=1e-7)
        assert stats["std"] == pytest.approx(o.std(), rel=1e-5, abs=1e-7)
        assert stats["zero_frac"] == np.mean(o == 0)
    s1 = seen["1"].numpy()
    assert acts["1"]["saturated_frac"] == np.mean((s1 < 0.01) | (s1 > 0.99))
    assert acts["3"]["saturated_frac"] is None and acts["3"]["zero_frac"] > 0


def test_plots_write_png_and_svg(tmp_path):
    chainrule.manual_seed(0)
    model = _model(chainrule)
    model[0].requires_grad_(False)  # a layer with no gradient, to be marked
    with GradientMonitor(model) as mon:
        _train(model, mon, steps=3)
    assert mon.history[-1]["grads"]["0"]["has_grad"] is False
    for plot in (mon.plot_grad_flow, mon.plot_norms, mon.plot_histograms):
        png = plot(tmp_path / f"{plot.__name__}.png")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = plot(str(tmp_path / f"{plot.__name__}.svg"))
        assert ET.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    with pytest.raises(ValueError, match=r"\.jpg"):
        mon.plot_norms(tmp_path / "x.jpg")


def test_plot_before_any_step_says_what_to_do(tmp_path):
    mon = GradientMonitor(_model(chainrule))
    with pytest.raises(RuntimeError, match="step"):
        mon.plot_grad_flow(tmp_path / "a.png")
    with pytest.raises(ValueError, match="every"):
        GradientMonitor(_model(chainrule), every=0)
