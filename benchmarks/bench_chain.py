"""Per-op overhead: a chain of 200 small elementwise ops on a (16,) float32 tensor, fwd + bwd.

At this size NumPy's own work is tiny, so the time is what the autodiff machinery costs per op
(recording the node, wrapping the output, running the backward formula). Reported as µs per op
(the whole step -- forward, `.sum().backward()`, clearing `.grad` -- divided by 200).

    python benchmarks/bench_chain.py [--quick] [--json PATH] [--threads N] [--profile [N]]

Target: chainrule <= 6 µs per op (torch eager: about 4.3 µs per op on a 2-core cloud VM).
"""

from __future__ import annotations

import sys
from typing import Any

import common
import numpy as np

import chainrule

REPS = 50  # the 4-op mix below, repeated
N_OPS = 4 * REPS
SHAPE = (16,)
MUL, ADD = 1.01, 0.1
TARGET_US_PER_OP = 6.0


def chain(lib: Any, x: Any) -> Any:
    """The workload, as user code for `lib` (chainrule or torch): 200 elementwise ops."""
    for _ in range(REPS):
        x = x * MUL
        x = x + ADD
        x = x.tanh()
        x = x.sin()
    return x


def autodiff_step(lib: Any, x: Any) -> Any:
    """Forward, backward into the leaf x, clear x.grad; returns the scalar output."""
    out = chain(lib, x).sum()
    out.backward()
    x.grad = None
    return out


def numpy_forward_backward(x: np.ndarray) -> tuple[Any, np.ndarray]:
    """Hand-written baseline: the forward keeps what backward needs, then a backward loop.

    mul by c: g * c; add c: g; tanh: g * (1 - t**2) with t the tanh output; sin: g * cos(u)
    with u its input -- here u is that same tanh output, so one array per repetition is kept.
    """
    saved = []
    for _ in range(REPS):
        x = x * MUL
        x = x + ADD
        x = np.tanh(x)
        saved.append(x)
        x = np.sin(x)
    out = x.sum()
    g = np.ones_like(x)  # d(sum)/dx
    for t in reversed(saved):
        g = g * np.cos(t)  # sin
        g = g * (1 - t * t)  # tanh
        g = g * MUL  # add passes g through; mul scales it
    return out, g


def main(argv: list[str] | None = None) -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    settings = common.timing_settings(args)
    torch, torch_note = common.import_torch(args)
    threads = common.set_threads(args.threads, torch)
    env = common.environment(threads, torch)
    common.print_header(
        f"bench_chain: {N_OPS} elementwise ops (x*{MUL}, x+{ADD}, tanh, sin) x {REPS} on "
        f"{SHAPE} float32, forward + backward",
        env,
        settings,
    )

    x0 = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)

    # correctness first: chainrule (and torch) against the hand-written NumPy gradient
    ref_out, ref_g = numpy_forward_backward(x0)
    xc = chainrule.tensor(x0, requires_grad=True)
    out_c = chain(chainrule, xc).sum()
    out_c.backward()
    ok = np.allclose(out_c.item(), ref_out, rtol=1e-5, atol=1e-6) and np.allclose(
        xc.grad.numpy(), ref_g, rtol=1e-5, atol=1e-6
    )
    if torch is not None:
        xt = torch.tensor(x0, requires_grad=True)
        out_t = chain(torch, xt).sum()
        out_t.backward()
        ok = ok and np.allclose(xt.grad.numpy(), ref_g, rtol=1e-5, atol=1e-6)
    if not ok:
        print(f"check: FAILED (numpy grad {ref_g[:4]}, chainrule grad {xc.grad.numpy()[:4]})")
        return 1
    print("check: ok")

    fns = {
        "numpy": lambda: numpy_forward_backward(x0),
        "chainrule": lambda: autodiff_step(chainrule, xc),
    }
    if torch is not None:
        fns["torch"] = lambda: autodiff_step(torch, xt)
    xc.grad = None
    if torch is not None:
        xt.grad = None

    timings = common.compare(fns, **settings)
    scale = 1e6 / N_OPS  # seconds per step -> µs per op
    print()
    print(common.table(timings, unit="µs/op", scale=scale))
    c = timings["chainrule"]
    if torch is not None:
        print(f"chainrule / torch: {c.min / timings['torch'].min:.2f}x")
    else:
        print(f"torch: {torch_note}")
    c_us = c.min * scale
    print(
        f"target: chainrule <= {TARGET_US_PER_OP:g} µs/op: "
        f"{common.verdict(c_us, TARGET_US_PER_OP)} ({c_us:.2f} µs/op)"
    )

    if args.json:
        base = timings["numpy"]
        payload = {
            "benchmark": "chain",
            "workload": {
                "ops": N_OPS,
                "shape": list(SHAPE),
                "dtype": "float32",
                "mix": ["mul", "add", "tanh", "sin"],
            },
            "unit": "us_per_op",
            "env": env,
            "settings": settings,
            "results": {
                k: common.timing_json(t, scale, "us_per_op", base) for k, t in timings.items()
            },
            "torch_note": torch_note,
            "chainrule_over_torch": (c.min / timings["torch"].min) if torch is not None else None,
            "target": {
                "chainrule_us_per_op_max": TARGET_US_PER_OP,
                "value": c_us,
                "met": c_us <= TARGET_US_PER_OP,
            },
        }
        common.write_json(args.json, payload)

    if args.profile:
        common.profile(lambda: autodiff_step(chainrule, xc), 2.0, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
