"""Activation checkpointing: memory and time of a deep MLP step, plain vs checkpoint_sequential.

Workload: 32 layers `h = relu(h @ W + b)` of 1024 units, batch 256, float32, loss `(h*h).mean()`,
`loss.backward()` into every W and b (the input batch needs no gradient, except with
`--reentrant`, which would otherwise give the first segment none). chainrule runs it
plainly and through `chainrule.utils.checkpoint.checkpoint_sequential` with a few segment
counts (non-reentrant by default; `--reentrant` for the other variant).

Memory is measured with `tracemalloc`, which sees NumPy's array buffers (NumPy reports them to
it), above the model state: the weights and their `.grad` buffers exist before the measured
step, which zeroes and accumulates into them in place (`zero_grad(set_to_none=False)`), so the
numbers are activations and temporaries only -- the part checkpointing changes. "held after
forward" is what the graph keeps between forward and backward (the saved activations), "peak"
the highest traced total during the whole step (forward, loss, backward). Time is the step's wall
time, interleaved repeats as in the other scripts. torch, when importable, is timed the same
way (its CPU allocator bypasses Python's, so tracemalloc cannot see its tensors: its memory
is not reported).

    python benchmarks/bench_checkpoint.py [--quick] [--layers N] [--width N] [--batch N]
                                          [--segments 2,4,8] [--reentrant] [--json PATH]
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
from typing import Any

import common
import numpy as np

import chainrule
import chainrule.utils.checkpoint


def make_params(lib: Any, layers: int, width: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    params = []
    for _ in range(layers):
        w = rng.standard_normal((width, width)).astype(np.float32) * np.float32(width**-0.5)
        b = np.zeros(width, np.float32)
        params += [lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)]
    return params


def layer_fns(params: list) -> list:
    return [
        lambda h, w=params[i], b=params[i + 1]: (h @ w + b).relu() for i in range(0, len(params), 2)
    ]


def step(
    lib: Any,
    fns: list,
    params: list,
    x: Any,
    segments: int | None,
    reentrant: bool,
    probe: list | None = None,
) -> Any:
    """Zero the gradients in place, then one forward + backward; `probe` gets the traced memory
    between the two."""
    for p in params:
        if p.grad is not None:
            p.grad.zero_()
    if segments is None:
        h = x
        for fn in fns:
            h = fn(h)
    else:
        cp = lib.utils.checkpoint
        h = cp.checkpoint_sequential(fns, segments, x, use_reentrant=reentrant)
    loss = (h * h).mean()
    del h
    if probe is not None:
        probe.append(tracemalloc.get_traced_memory()[0])
    loss.backward()
    return loss


def grads_of(params: list) -> list:
    return [p.grad.numpy().copy() for p in params]


def measure_memory(
    fns: list, params: list, x: Any, segments: int | None, reentrant: bool
) -> dict[str, float]:
    step(chainrule, fns, params, x, segments, reentrant)  # warm-up; allocates the .grad buffers
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    probe: list = []
    step(chainrule, fns, params, x, segments, reentrant, probe)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"held_MiB": (probe[0] - base) / 2**20, "peak_MiB": (peak - base) / 2**20}


def main() -> int:
    p = common.parser(__doc__.splitlines()[0])
    p.add_argument("--layers", type=int, default=32)
    p.add_argument("--width", type=int, default=1024)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--segments", default="2,4,8", help="comma-separated segment counts")
    p.add_argument("--reentrant", action="store_true", help="use_reentrant=True")
    args = p.parse_args()
    if args.quick and "--layers" not in sys.argv:
        args.layers, args.width, args.batch = 16, 256, 64
    settings = common.timing_settings(args)
    if not args.quick and args.repeat is None:
        settings.update(repeat=5, warmup=1)  # a step takes seconds
    torch, why = common.import_torch(args)
    if torch is not None:
        import torch.utils.checkpoint  # noqa: F401
    threads = common.set_threads(args.threads, torch)
    env = common.environment(threads, torch)
    common.print_header("activation checkpointing: deep MLP step", env, settings)
    segs = [int(s) for s in args.segments.split(",") if s]
    configs: list[int | None] = [None, *segs]
    print(
        f"MLP {args.layers} x {args.width}, batch {args.batch}, float32; "
        f"{'reentrant' if args.reentrant else 'non-reentrant'} checkpoint_sequential"
    )

    params = make_params(chainrule, args.layers, args.width)
    fns = layer_fns(params)
    rng = np.random.default_rng(1)
    xdata = rng.standard_normal((args.batch, args.width)).astype(np.float32)
    # the reentrant variant gives no gradient to a segment none of whose inputs requires grad
    # (torch's "None of the inputs have requires_grad=True" warning): the usual workaround
    x = chainrule.tensor(xdata, requires_grad=args.reentrant)
    name = {None: "plain"} | {s: f"{s} segments" for s in segs}

    # check: checkpointed gradients equal the plain ones
    step(chainrule, fns, params, x, None, args.reentrant)
    ref = grads_of(params)
    for s in segs:
        step(chainrule, fns, params, x, s, args.reentrant)
        for a, b in zip(ref, grads_of(params)):
            if not np.allclose(a, b, rtol=1e-5, atol=1e-7):
                print(f"check: FAILED ({name[s]} gradients differ from plain)")
                return 1
    print("check: ok (gradients of every segment count equal the plain ones)")

    mem = {c: measure_memory(fns, params, x, c, args.reentrant) for c in configs}
    act = args.batch * args.width * 4 / 2**20
    model = 2 * sum(p.numel() for p in params) * 4 / 2**20
    print(
        f"\nmemory above the model state (tracemalloc; one activation = {act:.2f} MiB; "
        f"weights + gradients, not counted: {model:.0f} MiB)"
    )
    print(f"{'impl':<12} {'held MiB':>10} {'x plain':>8} {'peak MiB':>10} {'x plain':>8}")
    for c in configs:
        m, m0 = mem[c], mem[None]
        print(
            f"{name[c]:<12} {m['held_MiB']:>10.1f} {m['held_MiB'] / m0['held_MiB']:>8.2f} "
            f"{m['peak_MiB']:>10.1f} {m['peak_MiB'] / m0['peak_MiB']:>8.2f}"
        )

    fns_timed = {
        name[c]: (lambda c=c: step(chainrule, fns, params, x, c, args.reentrant)) for c in configs
    }
    tparams = None
    if torch is not None:
        tparams = make_params(torch, args.layers, args.width)
        tfns = layer_fns(tparams)
        tx = torch.from_numpy(xdata).requires_grad_(args.reentrant)
        for c in configs:
            fns_timed[f"torch {name[c]}"] = lambda c=c: step(
                torch, tfns, tparams, tx, c, args.reentrant
            )
    timings = common.compare(fns_timed, **settings)
    print(f"\ntime per step (s){'' if torch is not None else '; torch ' + str(why)}")
    print(f"{'impl':<22} {'min':>8} {'median':>8} {'x plain':>8}")
    for key, t in timings.items():
        base = timings["torch plain" if key.startswith("torch") else "plain"].min
        print(f"{key:<22} {t.min:>8.3f} {t.median:>8.3f} {t.min / base:>8.2f}")

    if args.json:
        common.write_json(
            args.json,
            {
                "benchmark": "checkpoint",
                "env": env,
                "settings": settings,
                "config": {
                    "layers": args.layers,
                    "width": args.width,
                    "batch": args.batch,
                    "reentrant": args.reentrant,
                },
                "memory": {name[c]: mem[c] for c in configs},
                "time": {
                    k: {"min_s": t.min, "median_s": t.median, "repeats_s": t.times}
                    for k, t in timings.items()
                },
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
