"""One SGD training step of a ReLU MLP with softmax cross-entropy, float32.

    (b) 784-512-512-10, batch 128: large matmuls; the autodiff overhead should vanish.
    (c) 64-64-64-10, batch 32: small matmuls; per-op overhead shows.

Step = forward, loss, backward, `p -= lr * p.grad` under no_grad, `p.grad = None` (torch's
`zero_grad()` default). chainrule and torch run the same torch-API code (`train_step`) with
`nn.functional.cross_entropy`, as a user writes it; the targets are judged on that. Both are
also timed with the cross-entropy built from primitives (max, exp, sum, log, indexing, mean),
which shows the per-node cost. The baseline is hand-written NumPy (fused softmax-CE gradient,
ReLU mask, matmuls, in-place SGD).

    python benchmarks/bench_mlp.py [--quick] [--json PATH] [--threads N] [--case b|c]
                                   [--profile [N]]

Targets: chainrule <= 1.10x the NumPy step in (b), <= 3x in (c).
"""

from __future__ import annotations

import sys
from typing import Any

import common
import numpy as np

import chainrule

LR = 0.01
CASES = {
    "b": {"sizes": (784, 512, 512, 10), "batch": 128, "target": 1.10, "unit": "ms"},
    "c": {"sizes": (64, 64, 64, 10), "batch": 32, "target": 3.0, "unit": "µs"},
}
SCALES = {"ms": 1e3, "µs": 1e6}


# --- the torch-API code, shared by chainrule and torch -----------------------------------------


def composite_cross_entropy(lib: Any, logits: Any, y: Any) -> Any:
    """Mean softmax cross-entropy from primitives: a numerically stable log-softmax."""
    m = logits.detach().max(dim=1, keepdim=True).values
    z = logits - m
    lse = z.exp().sum(dim=1, keepdim=True).log()
    logp = z - lse
    return -logp[lib.arange(logits.shape[0]), y].mean()


def cross_entropy(lib: Any, logits: Any, y: Any) -> Any:
    return lib.nn.functional.cross_entropy(logits, y)


def forward_backward(lib: Any, params: list, x: Any, y: Any, loss_fn: Any = cross_entropy) -> Any:
    h = x
    n_layers = len(params) // 2
    for i in range(n_layers):
        h = h @ params[2 * i] + params[2 * i + 1]
        if i < n_layers - 1:
            h = h.relu()
    loss = loss_fn(lib, h, y)
    loss.backward()
    return loss


def train_step(lib: Any, params: list, x: Any, y: Any, loss_fn: Any = cross_entropy) -> Any:
    loss = forward_backward(lib, params, x, y, loss_fn)
    with lib.no_grad():
        for p in params:
            p -= LR * p.grad
    for p in params:
        p.grad = None
    return loss


# --- the hand-written NumPy baseline -----------------------------------------------------------


def numpy_forward_backward(params: list, x: np.ndarray, y: np.ndarray) -> tuple[Any, list]:
    n = x.shape[0]
    n_layers = len(params) // 2
    acts = [x]  # the input of each layer; after ReLU, so `> 0` is also the ReLU mask
    h = x
    for i in range(n_layers):
        h = h @ params[2 * i]
        h += params[2 * i + 1]
        if i < n_layers - 1:
            np.maximum(h, 0, out=h)
            acts.append(h)
    z = h - h.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = np.log(s).mean() - z[rows, y].mean()
    d = e / s  # softmax
    d[rows, y] -= 1
    d *= 1.0 / n  # d loss / d logits = (softmax - onehot) / N
    grads: list = [None] * len(params)
    for i in reversed(range(n_layers)):
        a = acts[i]
        grads[2 * i] = a.T @ d
        grads[2 * i + 1] = d.sum(axis=0)
        if i:
            d = d @ params[2 * i].T
            d *= a > 0
    return loss, grads


def numpy_train_step(params: list, x: np.ndarray, y: np.ndarray) -> Any:
    loss, grads = numpy_forward_backward(params, x, y)
    for p, g in zip(params, grads):
        p -= LR * g
    return loss


# --- setup -------------------------------------------------------------------------------------


def init(sizes: tuple, batch: int, seed: int = 0) -> tuple[list, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1 / np.sqrt(fan_in)  # torch.nn.Linear's init
        params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch).astype(np.int64)
    return params, x, y


def lib_params(lib: Any, arrays: list) -> list:
    return [lib.tensor(a.copy(), requires_grad=True) for a in arrays]


def check(lib: Any, arrays: list, x: np.ndarray, y: np.ndarray, loss_fn: Any) -> str | None:
    """None if lib's loss and gradients equal the NumPy baseline's, else what differs."""
    ref_loss, ref_grads = numpy_forward_backward([a.copy() for a in arrays], x, y)
    params = lib_params(lib, arrays)
    loss = forward_backward(lib, params, lib.tensor(x), lib.tensor(y), loss_fn)
    if not np.allclose(loss.item(), ref_loss, rtol=1e-5, atol=1e-6):
        return f"loss {loss.item()} != numpy {ref_loss}"
    for k, (p, g) in enumerate(zip(params, ref_grads)):
        got = p.grad.numpy()
        if got.shape != g.shape or got.dtype != g.dtype:
            return f"grad {k}: {got.shape} {got.dtype} != numpy {g.shape} {g.dtype}"
        if not np.allclose(got, g, rtol=1e-4, atol=1e-6):
            return f"grad {k}: max abs difference {np.abs(got - g).max():.3g}"
    return None


def run_case(key: str, torch: Any, settings: dict, args: Any) -> tuple[dict, bool]:
    case = CASES[key]
    sizes, batch = case["sizes"], case["batch"]
    arrays, x, y = init(sizes, batch)
    name = "-".join(map(str, sizes))
    print(f"\n({key}) MLP {name}, batch {batch}, float32: one SGD step")

    problems = {}
    libs = [(chainrule, "chainrule")] + ([(torch, "torch")] if torch is not None else [])
    for (lib, name), (loss_fn, kind) in [
        (lb, lf) for lb in libs for lf in [(cross_entropy, ""), (composite_cross_entropy, "*")]
    ]:
        label = name + kind
        msg = check(lib, arrays, x, y, loss_fn)
        if msg is not None:
            problems[label] = msg
    if problems:
        for label, msg in problems.items():
            print(f"check: FAILED for {label}: {msg}")
        return {"case": key, "check": problems}, False
    print("check: ok")

    np_params = [a.copy() for a in arrays]
    c_params, cx, cy = lib_params(chainrule, arrays), chainrule.tensor(x), chainrule.tensor(y)
    c2_params = lib_params(chainrule, arrays)
    fns = {
        "numpy": lambda: numpy_train_step(np_params, x, y),
        "chainrule": lambda: train_step(chainrule, c_params, cx, cy),
        "chainrule_prims": lambda: train_step(
            chainrule, c2_params, cx, cy, composite_cross_entropy
        ),
    }
    labels = {"chainrule_prims": "chainrule (CE from primitives)"}
    if torch is not None:
        t_params, tx, ty = lib_params(torch, arrays), torch.tensor(x), torch.tensor(y)
        t2_params = lib_params(torch, arrays)
        fns["torch"] = lambda: train_step(torch, t_params, tx, ty)
        fns["torch_prims"] = lambda: train_step(
            torch, t2_params, tx, ty, composite_cross_entropy
        )
        labels["torch_prims"] = "torch (CE from primitives)"

    timings = common.compare(fns, **settings)
    unit = case["unit"]
    scale = SCALES[unit]
    print(common.table(timings, unit=f"{unit}/step", scale=scale, labels=labels))
    c = timings["chainrule"]
    ratio = c.min / timings["numpy"].min
    over_torch = None
    if torch is not None:
        over_torch = c.min / timings["torch"].min
        prims = timings["chainrule_prims"].min / timings["torch_prims"].min
        print(f"chainrule / torch (same code): {over_torch:.2f}x; with CE from primitives "
              f"{prims:.2f}x")
    print(
        f"target: chainrule <= {case['target']:g}x numpy: "
        f"{common.verdict(ratio, case['target'])} ({ratio:.3f}x)"
    )

    if args.profile:
        common.profile(lambda: train_step(chainrule, c_params, cx, cy), 2.0, args.profile)

    base = timings["numpy"]
    json_unit = f"{unit}_per_step".replace("µ", "u")
    result = {
        "case": key,
        "sizes": list(sizes),
        "batch": batch,
        "dtype": "float32",
        "unit": json_unit,
        "check": "ok",
        "results": {k: common.timing_json(t, scale, json_unit, base) for k, t in timings.items()},
        "chainrule_over_torch": over_torch,
        "target": {
            "chainrule_over_numpy_max": case["target"],
            "value": ratio,
            "met": ratio <= case["target"],
        },
    }
    return result, True


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--case", choices=["b", "c", "all"], default="all", help="which MLP to run")
    args = p.parse_args(argv)
    settings = common.timing_settings(args)
    torch, torch_note = common.import_torch(args)
    threads = common.set_threads(args.threads, torch)
    env = common.environment(threads, torch)
    common.print_header("bench_mlp: one SGD training step of a ReLU MLP", env, settings)
    if torch is None:
        print(f"torch: {torch_note}")

    results = []
    ok = True
    for key in ["b", "c"] if args.case == "all" else [args.case]:
        res, good = run_case(key, torch, settings, args)
        results.append(res)
        ok = ok and good

    if args.json:
        common.write_json(
            args.json,
            {
                "benchmark": "mlp",
                "env": env,
                "settings": settings,
                "lr": LR,
                "torch_note": torch_note,
                "cases": results,
            },
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
