"""Gradient health after backward(): per-parameter and per-layer statistics, and plain-language
flags for vanishing, exploding, non-finite and dead gradients.

A *layer* is a module that owns parameters directly (Linear, Conv2d, LayerNorm, ...), taken in
registration order, which for Sequential-style models is forward order. Layer-to-layer ratios
compare each layer's gradient norm with the next layer's (input side / output side).

Flags and their thresholds (all documented on `grad_report`):

- ``nonfinite``: any NaN or Inf in a gradient.
- ``vanishing``: over >= 3 layers with a gradient, the norm shrinks from the last layer to the
  first by more than ``vanish`` per layer on average (geometric mean of the layer-to-layer
  ratios, i.e. ``(last / first) ** (1 / (n - 1))``).
- ``vanished``: a layer whose gradient norm is zero or below ``1e-7`` times the largest one.
- ``exploding``: the norm grows toward the input by more than ``explode`` per layer on average,
  or any layer's norm exceeds ``max_norm``.
- ``dead_units``: more than half the output rows of a layer's weight gradient are exactly zero
  (units that received no gradient, e.g. ReLUs that were inactive on the whole batch).
- ``update_ratio``: with ``lr``, a layer whose update-to-weight ratio ``lr * ||g|| / ||w||``
  exceeds 0.1 (one step rewrites a tenth of the weights; ~1e-3 is the usual healthy range).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from chainrule.nn.modules import activation as _activation
from chainrule.nn.modules.module import Module

VANISHED_RELATIVE = 1e-7
DEAD_FRACTION = 0.5
UPDATE_RATIO_HIGH = 0.1
_SATURATING = {"Sigmoid", "Tanh", "Hardtanh", "Hardsigmoid", "Softsign", "LogSigmoid"}


def grad_stats(arrays: Iterable[np.ndarray]) -> dict[str, float]:
    """L2 norm, mean/max |g|, fraction of exact zeros and NaN/Inf counts over all the arrays."""
    flat = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    g = np.concatenate(flat) if flat else np.zeros(0)
    finite = g[np.isfinite(g)]
    absg = np.abs(finite)
    return {
        "norm": float(np.sqrt(np.sum(absg * absg))),
        "mean_abs": float(absg.mean()) if absg.size else 0.0,
        "max_abs": float(absg.max()) if absg.size else 0.0,
        "zero_frac": float(np.mean(g == 0)) if g.size else 0.0,
        "nan": int(np.isnan(g).sum()),
        "inf": int(np.isinf(g).sum()),
        "numel": int(g.size),
    }


def parameter_layers(model: Module) -> list[tuple[str, Module]]:
    """(name, module) for each module owning parameters directly, in registration order."""
    return [
        (name, m)
        for name, m in model.named_modules()
        if any(p is not None for p in m._parameters.values())
    ]


def activation_types(model: Module) -> list[str]:
    """Class names of the activation modules in `model`, each once, in order of appearance."""
    seen: list[str] = []
    for _, m in model.named_modules():
        cls = type(m)
        if cls.__module__ == _activation.__name__ and cls.__name__ not in seen:
            seen.append(cls.__name__)
    return seen


@dataclass
class Flag:
    """One finding: what kind, how serious, which layers, what it means and what to try."""

    kind: str
    severity: str  # "error" | "warning"
    layers: list[str]
    message: str
    suggestion: str = ""

    def __str__(self) -> str:
        text = f"[{self.severity}] {self.kind}: {self.message}"
        return text + (f"\n    suggestion: {self.suggestion}" if self.suggestion else "")


@dataclass
class GradReport:
    """Gradient statistics per parameter (`records`) and per layer (`layers`), plus `flags`."""

    records: list[dict[str, Any]]
    layers: list[dict[str, Any]]
    flags: list[Flag] = field(default_factory=list)
    lr: float | None = None
    activations: list[str] = field(default_factory=list)

    def flagged(self, kind: str) -> list[Flag]:
        """The flags of one kind."""
        return [f for f in self.flags if f.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists, dicts, numbers, strings), ready for json.dumps."""
        return {
            "lr": self.lr,
            "activations": list(self.activations),
            "records": [dict(r) for r in self.records],
            "layers": [dict(r) for r in self.layers],
            "flags": [asdict(f) for f in self.flags],
        }

    def __str__(self) -> str:
        cols = ["name", "shape", "norm", "mean|g|", "max|g|", "zeros", "nan/inf", "ratio"]
        if self.lr is not None:
            cols.append("update")
        rows = [cols]
        for r in self.records:
            if not r["has_grad"]:
                rows.append([r["name"], _shape(r["shape"]), "no grad"] + [""] * (len(cols) - 3))
                continue
            row = [
                r["name"],
                _shape(r["shape"]),
                _num(r["norm"]),
                _num(r["mean_abs"]),
                _num(r["max_abs"]),
                f"{r['zero_frac']:.0%}",
                f"{r['nan']}/{r['inf']}",
                "",
            ]
            if self.lr is not None:
                row.append(_num(r["update_ratio"]))
            rows.append(row)
        rows.append(["-- layers (forward order)"] + [""] * (len(cols) - 1))
        for r in self.layers:
            row = [
                f"{r['name'] or '(root)'} ({r['type']})",
                "",
                _num(r["norm"]),
                _num(r["mean_abs"]),
                _num(r["max_abs"]),
                f"{r['zero_frac']:.0%}",
                f"{r['nan']}/{r['inf']}",
                _num(r["ratio_to_next"]),
            ]
            if self.lr is not None:
                row.append(_num(r["update_ratio"]))
            rows.append(row)
        widths = [max(len(row[i]) for row in rows) for i in range(len(cols))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        lines.append("ratio = this layer's gradient norm / the next layer's (input side / output)")
        if self.flags:
            lines += ["", *[str(f) for f in self.flags]]
        else:
            lines += ["", "no problems flagged"]
        return "\n".join(lines)


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3g}"


def _shape(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape)) or "scalar"


def _lr_of(optimizer: Any) -> dict[int, float]:
    return {id(p): g["lr"] for g in optimizer.param_groups for p in g["params"]}


def grad_report(
    model: Module,
    lr: float | None = None,
    vanish: float = 3.0,
    explode: float = 3.0,
    max_norm: float = 1e3,
    optimizer: Any = None,
) -> GradReport:
    """Gradient statistics and health flags for `model`'s parameters, read after backward().

    lr (or an `optimizer`'s per-group lr) adds the update-to-weight ratio lr*||g||/||w||.
    vanish / explode: the average per-layer shrink / growth factor of the gradient norm toward
    the input above which the vanishing / exploding flag fires (over >= 3 layers).
    max_norm: a layer gradient norm above this is flagged as exploding.
    """
    lrs = _lr_of(optimizer) if optimizer is not None else {}
    records = []
    for lname, module in parameter_layers(model):
        for pname, p in module._parameters.items():
            if p is None:
                continue
            name = f"{lname}.{pname}" if lname else pname
            rec: dict[str, Any] = {
                "name": name,
                "layer": lname,
                "shape": tuple(p.shape),
                "has_grad": p.grad is not None,
            }
            p_lr = lrs.get(id(p), lr)
            if p.grad is not None:
                g = p.grad.detach().numpy()
                rec.update(grad_stats([g]))
                w_norm = float(np.linalg.norm(p.detach().numpy().astype(np.float64).ravel()))
                rec["weight_norm"] = w_norm
                rec["update_ratio"] = (
                    p_lr * rec["norm"] / w_norm if p_lr is not None and w_norm > 0 else None
                )
                rec["dead_rows"] = (
                    int(np.all(g.reshape(g.shape[0], -1) == 0, axis=1).sum()) if g.ndim >= 2 else 0
                )
            records.append(rec)
    layers = _layer_rows(model, records)
    report = GradReport(records, layers, lr=lr, activations=activation_types(model))
    report.flags = _flags(report, vanish, explode, max_norm)
    return report


def _layer_rows(model: Module, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for lname, module in parameter_layers(model):
        recs = [r for r in records if r["layer"] == lname]
        with_grad = [r for r in recs if r["has_grad"]]
        row: dict[str, Any] = {
            "name": lname,
            "type": type(module).__name__,
            "params": [r["name"] for r in recs],
            "has_grad": bool(with_grad),
        }
        params = dict(module._parameters)
        arrays = [params[r["name"].rsplit(".", 1)[-1]].grad.detach().numpy() for r in with_grad]
        row.update(grad_stats(arrays))
        upd = [r for r in with_grad if r["update_ratio"] is not None]
        if upd:  # ratio of the whole layer: sqrt(sum (lr g)^2) / sqrt(sum w^2)
            num = math.sqrt(sum((r["update_ratio"] * r["weight_norm"]) ** 2 for r in upd))
            den = math.sqrt(sum(r["weight_norm"] ** 2 for r in upd))
            row["update_ratio"] = num / den if den > 0 else None
        else:
            row["update_ratio"] = None
        weight = [r for r in with_grad if len(r["shape"]) >= 2]
        row["dead_rows"] = sum(r["dead_rows"] for r in weight)
        row["rows"] = sum(r["shape"][0] for r in weight)
        rows.append(row)
    for i, row in enumerate(rows):
        nxt = rows[i + 1] if i + 1 < len(rows) else None
        row["ratio_to_next"] = (
            row["norm"] / nxt["norm"]
            if nxt is not None and row["has_grad"] and nxt["has_grad"] and nxt["norm"] > 0
            else None
        )
    return rows


def _span(names: list[str]) -> str:
    if len(names) == 1:
        return f"layer {names[0]}"
    return f"layers {names[0]} .. {names[-1]} ({len(names)} layers)"


def _acts(report: GradReport) -> str:
    return ", ".join(report.activations) if report.activations else "no activation modules"


def _flags(report: GradReport, vanish: float, explode: float, max_norm: float) -> list[Flag]:
    flags: list[Flag] = []
    bad = [r["name"] for r in report.records if r["has_grad"] and (r["nan"] or r["inf"])]
    if bad:
        n_nan = sum(r["nan"] for r in report.records if r["has_grad"])
        n_inf = sum(r["inf"] for r in report.records if r["has_grad"])
        flags.append(
            Flag(
                "nonfinite",
                "error",
                bad,
                f"{n_nan} NaN and {n_inf} Inf gradient entries in {', '.join(bad)}",
                "look for log/sqrt/division at 0, overflow in exp, or a too-large learning rate; "
                "chainrule.autograd.detect_anomaly() names the op that produced the first NaN",
            )
        )
    live = [r for r in report.layers if r["has_grad"] and r["nan"] == 0 and r["inf"] == 0]
    names = [r["name"] or "(root)" for r in live]
    acts = _acts(report)
    saturating = [a for a in report.activations if a in _SATURATING]
    top = max((r["norm"] for r in live), default=0.0)
    if len(live) >= 3 and live[0]["norm"] > 0 and live[-1]["norm"] > 0:
        factor = (live[-1]["norm"] / live[0]["norm"]) ** (1 / (len(live) - 1))
        if factor > vanish:
            why = (
                f"; {', '.join(saturating)} derivatives are small (sigmoid's is at most 0.25), "
                "and the chain rule multiplies one per layer"
                if saturating
                else ""
            )
            flags.append(
                Flag(
                    "vanishing",
                    "warning",
                    names,
                    f"gradients shrink {factor:.3g}x per layer toward the input through "
                    f"{_span(names)} with {acts}: the first layer's norm {live[0]['norm']:.3g} is "
                    f"{live[-1]['norm'] / live[0]['norm']:.3g}x below the last's "
                    f"{live[-1]['norm']:.3g}{why}",
                    "consider ReLU/GELU activations, residual connections, normalisation "
                    "(BatchNorm/LayerNorm) or an activation-matched init (kaiming_/xavier_)",
                )
            )
        elif 1 / factor > explode:
            flags.append(
                Flag(
                    "exploding",
                    "warning",
                    names,
                    f"gradients grow {1 / factor:.3g}x per layer toward the input through "
                    f"{_span(names)} with {acts}",
                    "scale the initial weights down (nn.init.kaiming_/xavier_), add normalisation, "
                    "or clip with nn.utils.clip_grad_norm_",
                )
            )
    gone = [
        r["name"] or "(root)" for r in live if r["norm"] == 0 or r["norm"] < VANISHED_RELATIVE * top
    ]
    if gone and top > 0:
        flags.append(
            Flag(
                "vanished",
                "warning",
                gone,
                f"layer(s) {', '.join(gone)} get effectively no gradient (norm below "
                f"{VANISHED_RELATIVE:g} x the largest layer norm {top:.3g}); they will not learn",
                "see the vanishing advice; also check for detach(), no_grad() or a zero-gradient "
                "op (round, argmax, a comparison) between these layers and the loss",
            )
        )
    big = [r["name"] or "(root)" for r in live if r["norm"] > max_norm]
    if big and not any(f.kind == "exploding" for f in flags):
        flags.append(
            Flag(
                "exploding",
                "warning",
                big,
                f"gradient norms above {max_norm:g} in {', '.join(big)} (largest {top:.3g})",
                "scale the initial weights down, lower the learning rate, add normalisation, "
                "or clip with nn.utils.clip_grad_norm_",
            )
        )
    dead = [r for r in live if r["rows"] and r["dead_rows"] > DEAD_FRACTION * r["rows"]]
    if dead:
        flags.append(
            Flag(
                "dead_units",
                "warning",
                [r["name"] for r in dead],
                "; ".join(
                    f"{r['name']}: {r['dead_rows']}/{r['rows']} units got exactly zero gradient"
                    for r in dead
                )
                + f" (activations: {acts})",
                "inactive ReLUs pass no gradient: try LeakyReLU/GELU, a lower learning rate, "
                "or a different init/bias",
            )
        )
    high = [
        r for r in live if r["update_ratio"] is not None and r["update_ratio"] > UPDATE_RATIO_HIGH
    ]
    if high:
        flags.append(
            Flag(
                "update_ratio",
                "warning",
                [r["name"] for r in high],
                "; ".join(f"{r['name']}: lr*||g||/||w|| = {r['update_ratio']:.3g}" for r in high)
                + f" (above {UPDATE_RATIO_HIGH:g}; around 1e-3 is typical)",
                "lower the learning rate or clip gradients",
            )
        )
    return flags
