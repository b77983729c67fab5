"""One SGD training step of a LeNet-sized conv net on 28x28 inputs, batch 64, float32.

    conv 1->6 5x5, relu, max_pool 2, conv 6->16 5x5, relu, max_pool 2, flatten,
    linear 256->120, relu, linear 120->84, relu, linear 84->10, cross-entropy

Step = forward, loss, backward, `p -= lr * p.grad` under no_grad, `p.grad = None`. chainrule
and torch run the same torch-API code (`train_step`). The baseline is hand-written NumPy with
the same algorithms as chainrule's kernels (im2col by one strided copy and a batched matmul,
col2im with the batch innermost, max pooling by strided slices with torch's first-maximum
rule, fused softmax cross-entropy gradient), so the ratio measures what autodiff costs on top.

    python benchmarks/bench_conv.py [--quick] [--json PATH] [--threads N] [--profile [N]]

No target is set: the numbers are reported.
"""

from __future__ import annotations

import sys
from typing import Any

import common
import numpy as np
from numpy.lib.stride_tricks import as_strided

import chainrule

LR = 0.01
BATCH = 64
SIZE = 28
CLASSES = 10
# (name, shape): conv weights (out, in, kh, kw), linear weights (out, in) as torch stores them
PARAMS = [
    ("w1", (6, 1, 5, 5)), ("b1", (6,)), ("w2", (16, 6, 5, 5)), ("b2", (16,)),
    ("w3", (120, 256)), ("b3", (120,)), ("w4", (84, 120)), ("b4", (84,)),
    ("w5", (10, 84)), ("b5", (10,)),
]  # fmt: skip


# --- the torch-API code, shared by chainrule and torch -----------------------------------------


def linear(lib: Any, h: Any, w: Any, b: Any) -> Any:
    F = lib.nn.functional
    return F.linear(h, w, b) if hasattr(F, "linear") else h @ w.T + b


def forward_backward(lib: Any, params: list, x: Any, y: Any) -> Any:
    F = lib.nn.functional
    w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = params
    h = F.max_pool2d(F.conv2d(x, w1, b1).relu(), 2)
    h = F.max_pool2d(F.conv2d(h, w2, b2).relu(), 2)
    h = h.reshape(h.shape[0], -1)
    h = linear(lib, h, w3, b3).relu()
    h = linear(lib, h, w4, b4).relu()
    loss = F.cross_entropy(linear(lib, h, w5, b5), y)
    loss.backward()
    return loss


def train_step(lib: Any, params: list, x: Any, y: Any) -> Any:
    loss = forward_backward(lib, params, x, y)
    with lib.no_grad():
        for p in params:
            p -= LR * p.grad
    for p in params:
        p.grad = None
    return loss


# --- the hand-written NumPy baseline -----------------------------------------------------------


def im2col(x: np.ndarray, k: int) -> np.ndarray:
    """(N, C, H, W) -> (N, C*k*k, oh*ow), stride 1, no padding: one strided copy."""
    n, c, h, w = x.shape
    oh, ow = h - k + 1, w - k + 1
    s = x.strides
    view = as_strided(x, (n, c, k, k, oh, ow), (s[0], s[1], s[2], s[3], s[2], s[3]))
    return view.reshape(n, c * k * k, oh * ow)


def col2im(dcols: np.ndarray, shape: tuple, k: int) -> np.ndarray:
    """The adjoint of im2col, accumulated per kernel offset with the batch innermost."""
    n, c, h, w = shape
    oh, ow = h - k + 1, w - k + 1
    buf = np.zeros((c, h, w, n), dcols.dtype)
    cols = dcols.reshape(c, k, k, oh, ow, n)
    for i in range(k):
        for j in range(k):
            buf[:, i : i + oh, j : j + ow] += cols[:, i, j]
    return np.ascontiguousarray(buf.transpose(3, 0, 1, 2))


def pool_forward(a: np.ndarray) -> tuple[np.ndarray, list]:
    """2x2 max pooling, stride 2: the max of four strided slices."""
    s = [a[:, :, i::2, j::2] for i in (0, 1) for j in (0, 1)]
    return np.maximum(np.maximum(s[0], s[1]), np.maximum(s[2], s[3])), s


def pool_backward(g: np.ndarray, m: np.ndarray, s: list, shape: tuple) -> np.ndarray:
    """The gradient to the first maximum of each window (torch's choice among ties)."""
    dx = np.empty(shape, g.dtype)
    taken = np.zeros(m.shape, bool)
    for k, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        hit = (s[k] == m) & ~taken
        dx[:, :, i::2, j::2] = g * hit
        taken |= hit
    return dx


def numpy_forward_backward(params: list, x: np.ndarray, y: np.ndarray) -> tuple[Any, list]:
    w1, b1, w2, b2, w3, b3, w4, b4, w5, b5 = params
    n = x.shape[0]
    # conv1 + relu + pool
    cols1 = im2col(x, 5)
    z1 = w1.reshape(6, -1) @ cols1  # (N, 6, 576)
    z1 += b1[:, None]
    np.maximum(z1, 0, out=z1)
    a1 = z1.reshape(n, 6, 24, 24)
    p1, s1 = pool_forward(a1)
    # conv2 + relu + pool
    cols2 = im2col(p1, 5)
    z2 = w2.reshape(16, -1) @ cols2  # (N, 16, 64)
    z2 += b2[:, None]
    np.maximum(z2, 0, out=z2)
    a2 = z2.reshape(n, 16, 8, 8)
    p2, s2 = pool_forward(a2)
    # MLP
    f = p2.reshape(n, -1)
    h3 = f @ w3.T
    h3 += b3
    np.maximum(h3, 0, out=h3)
    h4 = h3 @ w4.T
    h4 += b4
    np.maximum(h4, 0, out=h4)
    logits = h4 @ w5.T
    logits += b5
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = np.log(s).mean() - z[rows, y].mean()
    d = e / s
    d[rows, y] -= 1
    d *= 1.0 / n
    # backward through the MLP
    g5, gb5 = d.T @ h4, d.sum(0)
    d = d @ w5
    d *= h4 > 0
    g4, gb4 = d.T @ h3, d.sum(0)
    d = d @ w4
    d *= h3 > 0
    g3, gb3 = d.T @ f, d.sum(0)
    d = (d @ w3).reshape(p2.shape)
    # pool2, relu, conv2
    d = pool_backward(d, p2, s2, a2.shape)
    d *= a2 > 0
    dz2 = d.reshape(n, 16, 64)
    g2 = (dz2 @ cols2.transpose(0, 2, 1)).sum(0).reshape(w2.shape)
    gb2 = dz2.sum((0, 2))
    dzt = np.ascontiguousarray(dz2.transpose(1, 2, 0)).reshape(16, -1)
    d = col2im(w2.reshape(16, -1).T @ dzt, p1.shape, 5)
    # pool1, relu, conv1 (no gradient for the input batch)
    d = pool_backward(d, p1, s1, a1.shape)
    d *= a1 > 0
    dz1 = d.reshape(n, 6, 576)
    g1 = (dz1 @ cols1.transpose(0, 2, 1)).sum(0).reshape(w1.shape)
    gb1 = dz1.sum((0, 2))
    return loss, [g1, gb1, g2, gb2, g3, gb3, g4, gb4, g5, gb5]


def numpy_train_step(params: list, x: np.ndarray, y: np.ndarray) -> Any:
    loss, grads = numpy_forward_backward(params, x, y)
    for p, g in zip(params, grads):
        p -= LR * g
    return loss


# --- setup -------------------------------------------------------------------------------------


def init(seed: int = 0) -> tuple[list, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = []
    for name, shape in PARAMS:
        fan_in = int(np.prod(shape[1:])) if name.startswith("w") else params[-1][0].size
        bound = 1 / np.sqrt(fan_in)  # torch's default init range for conv and linear
        params.append(rng.uniform(-bound, bound, shape).astype(np.float32))
    x = rng.standard_normal((BATCH, 1, SIZE, SIZE)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH).astype(np.int64)
    return params, x, y


def lib_params(lib: Any, arrays: list) -> list:
    return [lib.tensor(a.copy(), requires_grad=True) for a in arrays]


def check(lib: Any, arrays: list, x: np.ndarray, y: np.ndarray) -> str | None:
    """None if lib's loss and gradients equal the NumPy baseline's, else what differs."""
    ref_loss, ref_grads = numpy_forward_backward([a.copy() for a in arrays], x, y)
    params = lib_params(lib, arrays)
    loss = forward_backward(lib, params, lib.tensor(x), lib.tensor(y))
    if not np.allclose(loss.item(), ref_loss, rtol=1e-5, atol=1e-6):
        return f"loss {loss.item()} != numpy {ref_loss}"
    for (name, _), p, g in zip(PARAMS, params, ref_grads):
        got = p.grad.numpy()
        if got.shape != g.shape or got.dtype != g.dtype:
            return f"grad of {name}: {got.shape} {got.dtype} != numpy {g.shape} {g.dtype}"
        if not np.allclose(got, g, rtol=1e-3, atol=1e-6):
            return f"grad of {name}: max abs difference {np.abs(got - g).max():.3g}"
    return None


def main(argv: list[str] | None = None) -> int:
    args = common.parser(__doc__.splitlines()[0]).parse_args(argv)
    settings = common.timing_settings(args)
    torch, torch_note = common.import_torch(args)
    threads = common.set_threads(args.threads, torch)
    env = common.environment(threads, torch)
    common.print_header("bench_conv: one SGD training step of a LeNet-sized conv net", env,
                        settings)  # fmt: skip
    if torch is None:
        print(f"torch: {torch_note}")
    arrays, x, y = init()
    print(f"\nLeNet 1x28x28 -> 10, batch {BATCH}, float32: one SGD step")

    libs = [(chainrule, "chainrule")] + ([(torch, "torch")] if torch is not None else [])
    problems = {name: msg for lib, name in libs if (msg := check(lib, arrays, x, y))}
    if problems:
        for name, msg in problems.items():
            print(f"check: FAILED for {name}: {msg}")
        return 1
    print("check: ok")

    np_params = [a.copy() for a in arrays]
    c_params, cx, cy = lib_params(chainrule, arrays), chainrule.tensor(x), chainrule.tensor(y)
    fns = {
        "numpy": lambda: numpy_train_step(np_params, x, y),
        "chainrule": lambda: train_step(chainrule, c_params, cx, cy),
    }
    if torch is not None:
        t_params, tx, ty = lib_params(torch, arrays), torch.tensor(x), torch.tensor(y)
        fns["torch"] = lambda: train_step(torch, t_params, tx, ty)
    timings = common.compare(fns, **settings)
    print(common.table(timings, unit="ms/step", scale=1e3))
    over_torch = None
    if torch is not None:
        over_torch = timings["chainrule"].min / timings["torch"].min
        print(f"chainrule / torch (same code): {over_torch:.2f}x")

    if args.profile:
        common.profile(lambda: train_step(chainrule, c_params, cx, cy), 2.0, args.profile)

    if args.json:
        base = timings["numpy"]
        common.write_json(
            args.json,
            {
                "benchmark": "conv",
                "env": env,
                "settings": settings,
                "lr": LR,
                "batch": BATCH,
                "dtype": "float32",
                "unit": "ms_per_step",
                "torch_note": torch_note,
                "check": "ok",
                "results": {
                    k: common.timing_json(t, 1e3, "ms_per_step", base) for k, t in timings.items()
                },
                "chainrule_over_torch": over_torch,
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
