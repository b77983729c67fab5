"""One training epoch on scikit-learn's digits, as `chainrule train` runs it, float32.

    (e) the default MLP: flatten, 64-128-10, ReLU, Adam (lr 1e-3), batch 32
    (f) the CNN: conv 1->16 3x3 pad 1, ReLU, max_pool 2, conv 16->32, ReLU, max_pool 2,
        flatten, 128->128, ReLU, 128->10; Adam, batch 32

Epoch = `chainrule.train.train_epoch` over a DataLoader (TensorDataset, batch 32) of the 1437
training images: per batch `zero_grad`, forward, CrossEntropyLoss, backward, `step`, and the
running loss/accuracy (`loss.item()`, `argmax`). chainrule and torch run that same code on the
same model (`build_model`, identical weights) and the same batches (one fixed sample order);
they are also timed over the batches pre-collated into tensors, which takes the DataLoader's
per-sample indexing out. The baseline (MLP only) is hand-written NumPy: fused softmax
cross-entropy gradient, ReLU mask, matmuls, in-place Adam with torch's arithmetic, batches by
fancy indexing.

    python benchmarks/bench_train.py [--quick] [--json PATH] [--threads N] [--case e|f]
                                     [--profile [N]]

Target: (e) chainrule <= 1.2x torch's epoch (same code). (f) is reported only.
"""

from __future__ import annotations

import sys
from typing import Any

import common
import numpy as np

import chainrule
from chainrule._train_data import load_data
from chainrule._train_models import build_model, build_optimizer
from chainrule.train import train_epoch

BATCH = 32
HIDDEN = (128,)
TARGET = 1.2
CASES = {"e": "mlp", "f": "cnn"}

# --- the epoch, as the command runs it ----------------------------------------------------------


class Contender:
    """A model, its optimiser and loss, and a source of batches, for one library."""

    def __init__(
        self, lib: Any, model: str, data: Any, state: dict, order: np.ndarray, loader: bool
    ) -> None:
        self.lib = lib
        self.model = build_model(model, "relu", data.sample_shape, 10, HIDDEN, lib=lib)
        self.model.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in state.items()})
        self.optimizer = build_optimizer("adam", self.model.parameters(), lib=lib)
        self.loss_fn = lib.nn.CrossEntropyLoss()
        x, y = lib.from_numpy(data.x_train), lib.from_numpy(data.y_train)
        if loader:  # a fixed sample order, so every library sees the same batches
            dataset = lib.utils.data.TensorDataset(x, y)
            self.batches: Any = lib.utils.data.DataLoader(
                dataset, batch_size=BATCH, sampler=order.tolist()
            )
        else:
            idx = lib.from_numpy(order)
            self.batches = [
                (x[idx[i : i + BATCH]], y[idx[i : i + BATCH]]) for i in range(0, len(order), BATCH)
            ]

    def epoch(self) -> dict:
        return train_epoch(self.model, self.batches, self.optimizer, self.loss_fn)

    def state(self) -> dict[str, np.ndarray]:
        return {k: v.detach().numpy() for k, v in self.model.state_dict().items()}


# --- the hand-written NumPy baseline (MLP) ------------------------------------------------------


class NumpyMLP:
    """64-128-10 ReLU MLP with softmax cross-entropy and Adam (torch's formula), by hand."""

    def __init__(
        self,
        state: dict,
        x: np.ndarray,
        y: np.ndarray,
        order: np.ndarray,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.names = ["1.weight", "1.bias", "3.weight", "3.bias"]  # Sequential indices
        self.params = [state[k].copy() for k in self.names]
        self.m = [np.zeros_like(p) for p in self.params]
        self.v = [np.zeros_like(p) for p in self.params]
        self.t = 0
        self.lr, self.betas, self.eps = lr, betas, eps
        self.x, self.y = x.reshape(len(x), -1), y
        self.batches = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]

    def step(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        w1, b1, w2, b2 = self.params
        n = len(x)
        h = x @ w1.T
        h += b1
        np.maximum(h, 0, out=h)
        logits = h @ w2.T
        logits += b2
        z = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.log(s).mean() - z[rows, y].mean())
        correct = int((logits.argmax(1) == y).sum())
        d = e / s
        d[rows, y] -= 1
        d *= 1.0 / n  # d loss / d logits
        g_w2, g_b2 = d.T @ h, d.sum(axis=0)
        d = d @ w2
        d *= h > 0
        g_w1, g_b1 = d.T @ x, d.sum(axis=0)
        self.adam([g_w1, g_b1, g_w2, g_b2])
        return loss, correct

    def adam(self, grads: list) -> None:
        self.t += 1
        b1, b2 = self.betas
        step_size = self.lr / (1 - b1**self.t)
        sqrt_bc2 = np.sqrt(1 - b2**self.t)
        for p, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            denom = np.sqrt(v)
            denom /= sqrt_bc2
            denom += self.eps
            p -= step_size * (m / denom)

    def epoch(self) -> dict:
        total, correct = 0.0, 0
        for idx in self.batches:
            loss, c = self.step(self.x[idx], self.y[idx])
            total += loss * len(idx)
            correct += c
        return {"loss": total / len(self.x), "accuracy": correct / len(self.x)}

    def state(self) -> dict[str, np.ndarray]:
        return dict(zip(self.names, self.params))


# --- check and time -----------------------------------------------------------------------------


def check(contenders: dict[str, Any]) -> str | None:
    """Two epochs from identical weights: the same losses, accuracies and final weights."""
    stats = {name: [c.epoch(), c.epoch()] for name, c in contenders.items()}
    states = {name: c.state() for name, c in contenders.items()}
    ref = "chainrule"
    for name in contenders:
        for a, b in zip(stats[name], stats[ref]):
            if abs(a["loss"] - b["loss"]) > 1e-4 * abs(b["loss"]) + 1e-5:
                return f"{name}: epoch loss {a['loss']:.6g}, chainrule's {b['loss']:.6g}"
            if a["accuracy"] != b["accuracy"]:
                return f"{name}: epoch accuracy {a['accuracy']}, chainrule's {b['accuracy']}"
        for k, v in states[name].items():
            if not np.allclose(v, states[ref][k], rtol=1e-3, atol=1e-4):
                diff = np.abs(v - states[ref][k]).max()
                return f"{name}: {k} after two epochs differs by up to {diff:.3g}"
    return None


def print_table(timings: dict, labels: dict[str, str], baseline: str) -> None:
    w = max(len(v) for v in labels.values())
    print(f"{'impl':<{w}}  {'min ms/epoch':>13}  {'median ms/epoch':>15}  {'x ' + baseline:>8}")
    base = timings[baseline].min
    for k, t in timings.items():
        print(
            f"{labels[k]:<{w}}  {t.min * 1e3:>13.2f}  {t.median * 1e3:>15.2f}  {t.min / base:>8.2f}"
        )


def run_case(key: str, torch: Any, settings: dict, args: Any) -> tuple[dict, bool]:
    model = CASES[key]
    data = load_data(None, 0.2, 0, images=model == "cnn")
    chainrule.manual_seed(0)
    init = build_model(model, "relu", data.sample_shape, 10, HIDDEN)
    state = {k: v.numpy().copy() for k, v in init.state_dict().items()}
    order = np.random.default_rng(0).permutation(len(data.x_train))
    n_batches = -(-len(order) // BATCH)
    print(
        f"\n({key}) {model} on digits: one epoch, {len(order)} samples, {n_batches} batches "
        f"of {BATCH}, Adam, float32"
    )

    def contenders() -> dict[str, Any]:
        out: dict[str, Any] = {}
        if model == "mlp":
            out["numpy"] = NumpyMLP(state, data.x_train, data.y_train, order)
        for lib, name in [(chainrule, "chainrule")] + ([(torch, "torch")] if torch else []):
            out[name] = Contender(lib, model, data, state, order, loader=True)
            out[name + "_pre"] = Contender(lib, model, data, state, order, loader=False)
        return out

    msg = check(contenders())
    if msg is not None:
        print(f"check: FAILED: {msg}")
        return {"case": key, "check": msg}, False
    print("check: ok")

    fns = {name: c.epoch for name, c in contenders().items()}
    timings = common.compare(fns, **settings)
    labels = {k: k.replace("_pre", " (pre-batched)") for k in fns}
    print_table(timings, labels, "torch" if torch is not None else "chainrule")
    result: dict[str, Any] = {
        "case": key,
        "model": model,
        "batch": BATCH,
        "check": "ok",
        "results": {
            k: {
                "min_s": t.min,
                "median_s": t.median,
                "calls_per_repeat": t.number,
                "repeats_s": t.times,
            }
            for k, t in timings.items()
        },
    }
    if torch is not None:
        ratio = timings["chainrule"].min / timings["torch"].min
        pre = timings["chainrule_pre"].min / timings["torch_pre"].min
        print(
            f"chainrule / torch (same code): {ratio:.2f}x with the DataLoader, {pre:.2f}x "
            "pre-batched"
        )
        result["chainrule_over_torch"] = ratio
        result["chainrule_over_torch_prebatched"] = pre
        if model == "mlp":
            print(
                f"target: chainrule <= {TARGET:g}x torch: {common.verdict(ratio, TARGET)} "
                f"({ratio:.3f}x)"
            )
            result["target"] = {
                "chainrule_over_torch_max": TARGET,
                "value": ratio,
                "met": ratio <= TARGET,
            }
    if args.profile:
        common.profile(fns["chainrule"], 2.0, args.profile)
    return result, True


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--case", choices=["e", "f", "all"], default="all", help="which network")
    args = p.parse_args(argv)
    settings = common.timing_settings(args)
    torch, torch_note = common.import_torch(args)
    threads = common.set_threads(args.threads, torch)
    env = common.environment(threads, torch)
    common.print_header("bench_train: one training epoch on digits", env, settings)
    if torch is None:
        print(f"torch: {torch_note}")
    results, ok = [], True
    for key in ["e", "f"] if args.case == "all" else [args.case]:
        res, good = run_case(key, torch, settings, args)
        results.append(res)
        ok = ok and good
    if args.json:
        common.write_json(
            args.json,
            {
                "benchmark": "train",
                "env": env,
                "settings": settings,
                "torch_note": torch_note,
                "cases": results,
            },
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
