"""GradientMonitor: per-layer gradient and activation statistics over training steps, via hooks,
and the plots that read them (matplotlib, optional: `pip install chainrule[viz]`).

Hooks record, `step()` commits: a post-accumulate-grad hook on every parameter keeps a copy of
its gradient after each backward, forward hooks keep output statistics of each layer and
activation module, and `step()` (called after backward) turns what was kept into one entry of
`history` -- every `every` steps; on the other steps the hooks do no work. With `auto=True` the
next forward of the model commits the previous step, and `remove()` commits the last one.

Plots use matplotlib's object API (`matplotlib.figure.Figure`), never pyplot: no window opens and
the process-wide backend is left as it is.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np

from chainrule.diagnostics.grad_report import grad_stats, parameter_layers
from chainrule.nn.modules import activation as _activation
from chainrule.nn.modules.module import Module
from chainrule.tensor import Tensor

# outputs this close to a bound have a derivative below ~0.01: the unit passes almost no gradient
_SATURATION = {
    "Sigmoid": lambda y: (y < 0.01) | (y > 0.99),
    "Tanh": lambda y: np.abs(y) > 0.99,
    "Hardtanh": lambda y: (y <= -1) | (y >= 1),
    "Hardsigmoid": lambda y: (y <= 0) | (y >= 1),
}
_FORMATS = {".png", ".svg", ".pdf"}


def activation_stats(kind: str, out: np.ndarray) -> dict[str, float | None]:
    """Mean, std, fraction of exact zeros and (for bounded activations) of saturated outputs."""
    y = np.asarray(out, dtype=np.float64)
    saturated = _SATURATION.get(kind)
    return {
        "mean": float(y.mean()) if y.size else 0.0,
        "std": float(y.std()) if y.size else 0.0,
        "zero_frac": float(np.mean(y == 0)) if y.size else 0.0,
        "saturated_frac": float(np.mean(saturated(y))) if saturated and y.size else None,
    }


class GradientMonitor:
    """Records per-layer gradient norms (and activation statistics) every `every` steps."""

    def __init__(
        self, model: Module, every: int = 1, activations: bool = True, auto: bool = False
    ) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"GradientMonitor: every must be a positive int, got {every!r}")
        self.model, self.every, self.auto = model, every, auto
        self.history: list[dict[str, Any]] = []
        self.order: list[str] = []  # layers in the order forward() first called them
        self._layers = parameter_layers(model)
        self._step = 0
        self._dirty = False  # a backward happened since the last commit
        self._grads: dict[str, dict[str, np.ndarray]] = {}
        self._acts: dict[str, dict[str, Any]] = {}
        self._last: dict[str, np.ndarray] = {}  # the last committed step's gradients
        self._handles: list[Any] = []
        layer_ids = {id(m) for _, m in self._layers}
        for lname, module in self._layers:
            for pname, p in module._parameters.items():
                if p is not None and p.requires_grad:
                    hook = functools.partial(self._on_grad, lname, pname)
                    self._handles.append(p.register_post_accumulate_grad_hook(hook))
        for name, module in model.named_modules():
            is_act = type(module).__module__ == _activation.__name__
            if id(module) in layer_ids or (activations and is_act):
                hook = functools.partial(self._on_forward, name, id(module) in layer_ids)
                self._handles.append(module.register_forward_hook(hook))
        self._activations = activations
        if auto:
            self._handles.append(model.register_forward_pre_hook(self._on_model_call))

    # --- hooks record -----------------------------------------------------------------------
    def _recording(self) -> bool:
        return self._step % self.every == 0

    def _on_grad(self, lname: str, pname: str, p: Tensor) -> None:
        self._dirty = True
        if self._recording() and p.grad is not None:
            # a copy: zero_grad(set_to_none=False) zeroes the array in place
            self._grads.setdefault(lname, {})[pname] = np.array(p.grad.detach().numpy())

    def _on_forward(self, name: str, is_layer: bool, module: Module, args: Any, out: Any) -> None:
        if is_layer and name not in self.order:
            self.order.append(name)
        if self._activations and self._recording() and isinstance(out, Tensor):
            stats = activation_stats(type(module).__name__, out.detach().numpy())
            self._acts[name] = {"type": type(module).__name__, **stats}

    def _on_model_call(self, module: Module, args: Any) -> None:
        if self._dirty:
            self.step()

    # --- step() commits ---------------------------------------------------------------------
    @property
    def layer_names(self) -> list[str]:
        """Layer names in forward order (layers forward never reached last, as registered)."""
        return self.order + [n for n, _ in self._layers if n not in self.order]

    def step(self) -> dict[str, Any] | None:
        """Commit the gradients of the last backward as one step; returns its history entry
        (None on steps that `every` skips)."""
        entry = None
        if self._recording():
            grads: dict[str, dict[str, Any]] = {}
            last: dict[str, np.ndarray] = {}
            for name in self.layer_names:
                arrays = self._grads.get(name)
                if arrays:
                    grads[name] = {"has_grad": True, **grad_stats(arrays.values())}
                    last[name] = np.concatenate([a.ravel() for a in arrays.values()])
                else:
                    grads[name] = {"has_grad": False, "norm": None}
            entry = {"step": self._step, "grads": grads, "activations": dict(self._acts)}
            self.history.append(entry)
            self._last = last
        self._grads, self._acts = {}, {}
        self._dirty = False
        self._step += 1
        return entry

    def norms(self) -> dict[str, np.ndarray]:
        """Per layer (forward order), its gradient norm at each recorded step (NaN: no grad)."""
        out = {}
        for name in self.layer_names:
            vals = [h["grads"].get(name, {}).get("norm") for h in self.history]
            out[name] = np.array([np.nan if v is None else v for v in vals], dtype=np.float64)
        return out

    def steps(self) -> list[int]:
        """The step indices that were recorded."""
        return [h["step"] for h in self.history]

    def remove(self) -> None:
        """Detach every hook (committing a pending step in auto mode)."""
        if self.auto and self._dirty:
            self.step()
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def __enter__(self) -> GradientMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    # --- plots --------------------------------------------------------------------------------
    def _entry(self, step: int) -> dict[str, Any]:
        if not self.history:
            raise RuntimeError("GradientMonitor: nothing recorded yet; call step() after backward")
        return self.history[step]

    def plot_grad_flow(self, path: str | Path, step: int = -1) -> Path:
        """Bar chart of mean and max |grad| per layer (forward order, log scale) at one step;
        layers with zero or no gradient are marked in red."""
        entry = self._entry(step)
        names = self.layer_names
        g = [entry["grads"].get(n, {"has_grad": False}) for n in names]
        mean = np.array([s["mean_abs"] if s["has_grad"] else 0.0 for s in g])
        peak = np.array([s["max_abs"] if s["has_grad"] else 0.0 for s in g])
        fig = new_figure(figsize=(max(6.0, 0.45 * len(names) + 2), 4.5))
        ax = fig.subplots()
        x = np.arange(len(names))
        positive = np.concatenate([peak[peak > 0], mean[mean > 0]])
        floor = positive.min() / 10 if positive.size else 1e-12
        ax.bar(x, np.where(peak > 0, peak, np.nan), color="tab:cyan", alpha=0.6, label="max |grad|")
        ax.bar(
            x, np.where(mean > 0, mean, np.nan), width=0.5, color="tab:blue", label="mean |grad|"
        )
        ax.set_yscale("log")
        ax.set_ylim(bottom=floor)
        zero = np.flatnonzero(peak == 0)
        if zero.size:
            ax.plot(
                x[zero],
                np.full(zero.size, floor * 1.5),
                "x",
                color="red",
                markersize=10,
                mew=2,
                label="zero / no gradient",
            )
        ax.set_xticks(x, [f"{n or '(root)'}" for n in names], rotation=45, ha="right")
        for i in zero:
            ax.get_xticklabels()[i].set_color("red")
        ax.set_xlabel("layer (input -> output)")
        ax.set_ylabel("|gradient| (log scale)")
        ax.set_title(f"gradient flow at step {entry['step']}")
        ax.grid(True, axis="y", which="major", alpha=0.3)
        ax.legend(loc="best", fontsize="small")
        return save_figure(fig, path)

    def plot_norms(self, path: str | Path) -> Path:
        """Gradient norm over the recorded steps, one line per layer, log y."""
        self._entry(-1)
        norms = self.norms()
        fig = new_figure(figsize=(7, 4.5))
        ax = fig.subplots()
        colors = _palette(len(norms))
        steps = self.steps()
        for color, (name, vals) in zip(colors, norms.items()):
            label = (name or "(root)") + ("" if np.any(vals > 0) else " (no gradient)")
            vals = np.where(vals > 0, vals, np.nan)
            ax.plot(
                steps,
                vals,
                marker="." if len(steps) < 30 else None,
                color=color,
                label=label,
            )
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("gradient L2 norm (log scale)")
        ax.set_title("per-layer gradient norm (dark: input side, light: output side)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize="x-small", ncol=max(1, len(norms) // 12), loc="best")
        return save_figure(fig, path)

    def plot_histograms(self, path: str | Path, bins: int = 40) -> Path:
        """Histogram of log10 |grad| per layer at the last recorded step (zeros counted apart)."""
        entry = self._entry(-1)
        names = self.layer_names
        cols = min(4, len(names))
        rows = -(-len(names) // cols)
        fig = new_figure(figsize=(3.2 * cols, 2.4 * rows))
        axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, squeeze=False)).ravel()
        logs = {n: np.log10(np.abs(g[g != 0])) for n, g in self._last.items()}
        finite = np.concatenate([v[np.isfinite(v)] for v in logs.values()] or [np.zeros(1)])
        lo, hi = (finite.min(), finite.max()) if finite.size else (-1.0, 1.0)
        edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)
        for ax, name in zip(axes, names):
            s = entry["grads"][name]
            if not s["has_grad"]:
                ax.text(0.5, 0.5, "no gradient", color="red", ha="center", transform=ax.transAxes)
            else:
                v = logs[name]
                ax.hist(v[np.isfinite(v)], bins=edges, color="tab:blue")
                ax.set_title(
                    f"{name or '(root)'}: norm {s['norm']:.2g}, zeros {s['zero_frac']:.0%}",
                    fontsize="small",
                )
            ax.tick_params(labelsize="x-small")
        for ax in axes[len(names) :]:
            ax.set_visible(False)
        fig.supxlabel("log10 |gradient|")
        fig.suptitle(f"gradient histograms at step {entry['step']}")
        return save_figure(fig, path)


def _palette(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(0.9 * i / max(1, n - 1)) for i in range(n)]


def new_figure(**kwargs: Any) -> Any:
    """A matplotlib Figure not attached to pyplot (no window, no global backend change)."""
    try:
        from matplotlib.figure import Figure
    except ImportError as e:  # optional dependency
        raise ImportError(
            "plotting needs matplotlib: pip install 'chainrule[viz]' (or matplotlib)"
        ) from e
    return Figure(**{"constrained_layout": True, **kwargs})


def save_figure(fig: Any, path: str | Path) -> Path:
    """Save `fig` as PNG, SVG or PDF, chosen by the suffix of `path`; returns the path."""
    path = Path(path)
    if path.suffix.lower() not in _FORMATS:
        raise ValueError(
            f"save_figure: expected a path ending in one of {sorted(_FORMATS)}, got {str(path)!r}"
        )
    fig.savefig(path, format=path.suffix.lower()[1:], dpi=120)
    return path
