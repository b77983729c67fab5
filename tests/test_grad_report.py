"""grad_report: its statistics against the same model's gradients in torch, and its flags."""

from __future__ import annotations

import json

import numpy as np
import pytest

import chainrule
from chainrule import nn
from chainrule.diagnostics.grad_report import grad_report

torch = pytest.importorskip("torch")


def _mlp(lib, acts, width=5, out=2):
    layers = [lib.nn.Linear(4, width)]
    for act in acts:
        layers += [getattr(lib.nn, act)(), lib.nn.Linear(width, width)]
    layers.append(lib.nn.Linear(width, out))
    return lib.nn.Sequential(*layers)


def _copy_weights(src, dst):
    with torch.no_grad():
        for (_, p), (_, q) in zip(src.named_parameters(), dst.named_parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy().copy()))


def _twin(acts, x, tweak=None):
    """The same MLP and batch in chainrule and torch, after backward of sum(out**2)."""
    chainrule.manual_seed(0)
    ours = _mlp(chainrule, acts)
    if tweak:
        tweak(ours)
    theirs = _mlp(torch, acts).double()
    ours.double()
    _copy_weights(ours, theirs)
    (ours(chainrule.tensor(x)) ** 2).sum().backward()
    (theirs(torch.tensor(x)) ** 2).sum().backward()
    return ours, theirs


def test_statistics_equal_numpy_on_torch_gradients():
    x = np.random.default_rng(0).standard_normal((8, 4))
    ours, theirs = _twin(["Tanh", "ReLU"], x)
    report = grad_report(ours, lr=0.05)
    tgrads = {n: p.grad.numpy() for n, p in theirs.named_parameters()}
    tweights = {n: p.detach().numpy() for n, p in theirs.named_parameters()}
    assert [r["name"] for r in report.records] == list(tgrads)
    for rec in report.records:
        g = tgrads[rec["name"]]
        assert rec["norm"] == pytest.approx(np.linalg.norm(g), rel=1e-10)
        assert rec["mean_abs"] == pytest.approx(np.abs(g).mean(), rel=1e-10)
        assert rec["max_abs"] == pytest.approx(np.abs(g).max(), rel=1e-10)
        assert rec["zero_frac"] == np.mean(g == 0)
        ratio = 0.05 * np.linalg.norm(g) / np.linalg.norm(tweights[rec["name"]])
        assert rec["update_ratio"] == pytest.approx(ratio, rel=1e-10)
    layer_names = ["0", "2", "4", "5"]
    assert [r["name"] for r in report.layers] == layer_names
    norms = [
        np.sqrt(sum(np.sum(tgrads[f"{n}.{k}"] ** 2) for k in ("weight", "bias")))
        for n in layer_names
    ]
    assert [r["norm"] for r in report.layers] == pytest.approx(norms, rel=1e-10)
    ratios = [r["ratio_to_next"] for r in report.layers]
    assert ratios[:-1] == pytest.approx([a / b for a, b in zip(norms, norms[1:])], rel=1e-10)
    assert ratios[-1] is None


def test_update_ratio_reads_the_optimizer_learning_rate_per_group():
    x = np.random.default_rng(1).standard_normal((8, 4))
    ours, _ = _twin(["Tanh"], x)
    params = list(ours.parameters())
    opt = chainrule.optim.SGD([{"params": params[:2], "lr": 0.5}, {"params": params[2:]}], lr=0.01)
    report = grad_report(ours, optimizer=opt)
    for rec, p in zip(report.records, params):
        lr = 0.5 if any(p is q for q in params[:2]) else 0.01
        g, w = p.grad.numpy(), p.detach().numpy()
        assert rec["update_ratio"] == pytest.approx(lr * np.linalg.norm(g) / np.linalg.norm(w))


def test_dead_relu_units_show_as_zero_rows_like_torch():
    def kill(model):  # units 0..2 of the second layer can never fire
        with chainrule.no_grad():
            model[2].bias[:3] = -100.0

    x = np.random.default_rng(2).standard_normal((8, 4))
    ours, theirs = _twin(["ReLU", "ReLU"], x, tweak=kill)
    report = grad_report(ours)
    layer4 = next(r for r in report.layers if r["name"] == "4")
    tg = theirs[4].weight.grad.numpy()
    assert layer4["dead_rows"] == 0  # the zero *columns* (inputs) of layer 4 are not rows
    layer2 = next(r for r in report.layers if r["name"] == "2")
    assert layer2["dead_rows"] == int(np.all(theirs[2].weight.grad.numpy() == 0, axis=1).sum())
    assert layer2["dead_rows"] >= 3
    rec = next(r for r in report.records if r["name"] == "4.weight")
    assert rec["zero_frac"] == np.mean(tg == 0) > 0


def test_nan_and_inf_are_counted_and_flagged():
    x = np.random.default_rng(3).standard_normal((6, 4))
    x[0, 1] = np.nan
    ours, theirs = _twin(["Tanh"], x)
    report = grad_report(ours)
    for rec, (_, p) in zip(report.records, theirs.named_parameters()):
        assert rec["nan"] == int(np.isnan(p.grad.numpy()).sum())
        assert rec["inf"] == int(np.isinf(p.grad.numpy()).sum())
    assert sum(r["nan"] for r in report.records) > 0
    (flag,) = report.flagged("nonfinite")
    assert flag.severity == "error" and "NaN" in flag.message
    assert "0.weight" in flag.layers


def _deep(act, depth=8, width=32, seed=0):
    chainrule.manual_seed(seed)
    layers = []
    for _ in range(depth - 1):
        layers += [nn.Linear(width, width), getattr(nn, act)()]
    model = nn.Sequential(*layers, nn.Linear(width, 1))
    x, y = chainrule.randn(64, width), chainrule.randn(64, 1)
    return model, x, y


def test_vanishing_fires_for_deep_sigmoid_not_relu_at_the_same_init():
    reports = {}
    for act in ("Sigmoid", "ReLU"):
        model, x, y = _deep(act)
        nn.functional.mse_loss(model(x), y).backward()
        reports[act] = grad_report(model)
    (flag,) = reports["Sigmoid"].flagged("vanishing")
    assert "Sigmoid" in flag.message and "ReLU/GELU" in flag.suggestion
    assert flag.layers[0] == "0" and len(flag.layers) == 8
    assert reports["ReLU"].flagged("vanishing") == []
    assert reports["ReLU"].flagged("exploding") == []
    # the threshold is what decides: with a looser one the sigmoid flag goes away
    model, x, y = _deep("Sigmoid")
    nn.functional.mse_loss(model(x), y).backward()
    assert grad_report(model, vanish=100.0).flagged("vanishing") == []


def test_exploding_fires_for_large_weights():
    model, x, y = _deep("ReLU", depth=6)
    for m in model:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=1.0)
    nn.functional.mse_loss(model(x), y).backward()
    report = grad_report(model)
    flags = report.flagged("exploding")
    assert len(flags) == 1 and "clip" in flags[0].suggestion
    assert max(r["norm"] for r in report.layers) > 1e3


def test_exploding_fires_when_gradients_grow_toward_the_input():
    model, x, y = _deep("Sigmoid")
    nn.functional.mse_loss(model(x), y).backward()
    # an exaggerated reversal of the sigmoid's profile: the input side now has the large norms
    layers = [m for m in model if isinstance(m, nn.Linear)]
    for i, m in enumerate(layers):
        for p in (m.weight, m.bias):
            p.grad = chainrule.full(tuple(p.shape), 10.0 ** (len(layers) - i) * 1e-6)
    norms = [np.sqrt(sum(np.sum(p.grad.numpy() ** 2) for p in m.parameters())) for m in layers]
    growth = (norms[0] / norms[-1]) ** (1 / (len(norms) - 1))
    flags = grad_report(model).flagged("exploding")
    assert len(flags) == 1 and f"grow {growth:.3g}x per layer" in flags[0].message


def test_parameters_without_grad_are_listed_and_json_ready():
    x = np.random.default_rng(4).standard_normal((8, 4))
    chainrule.manual_seed(0)
    model = _mlp(chainrule, ["Tanh"])
    model[0].requires_grad_(False)
    (model(chainrule.tensor(x, dtype=chainrule.float32)) ** 2).sum().backward()
    report = grad_report(model, lr=0.1)
    frozen = [r for r in report.records if not r["has_grad"]]
    assert [r["name"] for r in frozen] == ["0.weight", "0.bias"]
    assert not report.layers[0]["has_grad"]
    text = str(report)
    assert "0.weight" in text and "no grad" in text
    assert "no problems flagged" in text or report.flags
    data = json.loads(json.dumps(report.to_dict()))
    assert [r["name"] for r in data["records"]] == [r["name"] for r in report.records]
    assert data["lr"] == 0.1 and data["activations"] == ["Tanh"]
