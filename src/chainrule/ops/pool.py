"""Pooling: max/avg pooling (1-D and 2-D), adaptive average and max pooling.

The arguments and torch's checks, in torch's order; the work is in _pool_kernels.py. 1-D
pooling is 2-D pooling of a height-1 input, as in torch (so its grad_fn is SqueezeBackward1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.autograd.grad_mode import state as _grad_state
from chainrule.ops._pool_kernels import (
    AdaptiveAvgPool2D,
    AdaptiveMaxPool2D,
    AvgPool2D,
    MaxPool2D,
    Pool,
    _averaging,
    _divisors,
)
from chainrule.ops.conv import SCALAR_TYPES
from chainrule.tensor import Tensor

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool1d_with_indices", "avg_pool1d", "adaptive_avg_pool1d",
    "adaptive_max_pool1d",
]  # fmt: skip

# Tensor methods, installed by ops/_methods.py (torch has no pooling Tensor methods)
METHODS: dict[str, Any] = {}


# --- arguments and torch's checks ---------------------------------------------------------------


def _seq(v: Any) -> list:
    return [v] if isinstance(v, (int, np.integer)) else list(v)


def _two(name: str, what: str, v: Any, empty_ok: bool = False) -> tuple[int, ...]:
    vals = _seq(v)
    if len(vals) not in ((0, 1, 2) if empty_ok else (1, 2)):
        msg = {
            "kernel_size": "kernel_size must either be a single int, or a tuple of two ints",
            "stride": "stride must either be omitted, a single int, or a tuple of two ints",
            "padding": "padding must either be a single int, or a tuple of two ints",
            "dilation": "dilation must be either a single int, or a tuple of two ints",
        }[what]
        raise RuntimeError(f"{name}: {msg}")
    return tuple(int(i) for i in vals * (2 // max(len(vals), 1)))


def _out_size(n: int, k: int, p: int, s: int, dv: int, ceil: bool) -> int:
    """torch's pooling_output_shape, with its checks."""
    if s == 0:
        raise RuntimeError("stride should not be zero")
    if p < 0:
        raise RuntimeError(f"pad must be non-negative, but got pad: {p}")
    if p > int(((k - 1) * dv + 1) / 2):  # C++ division, truncating toward zero
        raise RuntimeError(
            f"pad should be at most half of effective kernel size, but got pad={p}, "
            f"kernel_size={k} and dilation={dv}"
        )
    o = (n + 2 * p - dv * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= n + p:  # the last window must start inside the input
        o -= 1
    return o


def _pool_geometry(x: np.ndarray, k: tuple, s: tuple, p: tuple, dv: tuple, ceil: bool) -> Pool:
    """The output size and torch's pool2d_shape_check."""
    size = x.shape[-2:]
    out = tuple(_out_size(size[i], k[i], p[i], s[i], dv[i], ceil) for i in range(2))
    if min(k) <= 0:
        raise RuntimeError(
            f"kernel size should be greater than zero, but got kH: {k[0]} kW: {k[1]}"
        )
    if min(s) <= 0:
        raise RuntimeError(f"stride should be greater than zero, but got dH: {s[0]} dW: {s[1]}")
    if min(dv) <= 0:
        raise RuntimeError(
            f"dilation should be greater than zero, but got dilationH: {dv[0]} dilationW: {dv[1]}"
        )
    sh = x.shape
    valid = x.ndim >= 3 and sh[1] != 0 and sh[2] != 0
    if not ((x.ndim == 3 and sh[0] != 0 and valid) or (x.ndim == 4 and valid and sh[3] != 0)):
        raise RuntimeError(
            "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but "
            f"got:{list(sh)}"
        )
    if k[1] // 2 < p[1] or k[0] // 2 < p[0]:
        raise RuntimeError(
            f"pad should be smaller than or equal to half of kernel size, but got padW = {p[1]}, "
            f"padH = {p[0]}, kW = {k[1]}, kH = {k[0]}"
        )
    if min(out) < 1:
        c = sh[-3]
        raise RuntimeError(
            f"Given input size: ({c}x{size[0]}x{size[1]}). Calculated output size: "
            f"({c}x{out[0]}x{out[1]}). Output size is too small"
        )
    return Pool(tuple(size), k, out, s, dv, p)


def _not_for(name: str, x: np.ndarray, kinds: str) -> None:
    if x.dtype.kind in kinds:
        raise NotImplementedError(
            f"\"{name}\" not implemented for '{SCALAR_TYPES.get(x.dtype.name, x.dtype.name)}'"
        )


def _needs_grad(x: Tensor) -> bool:
    return _grad_state.enabled and x.requires_grad


def max_pool2d_with_indices(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = True,
) -> Any:
    """(values, indices) of 2-D max pooling; indices are flat positions in each input plane."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def _max_pool2d(
    x: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    indices: bool,
) -> Any:
    name = "max_pool2d"
    k = _two(name, "kernel_size", kernel_size)
    s = _two(name, "stride", [] if stride is None else stride, empty_ok=True) or k
    p, dv = _two(name, "padding", padding), _two(name, "dilation", dilation)
    if x.data.ndim not in (3, 4):
        raise RuntimeError("non-empty 3D or 4D (batch mode) tensor expected for input")
    _not_for(name, x.data, "b")
    pool = _pool_geometry(x.data, k, s, p, dv, ceil_mode)
    return MaxPool2D.apply(x, pool=pool, indices=indices)


def _dim_range(name: str, x: np.ndarray) -> None:
    if x.ndim not in (2, 3):
        raise RuntimeError(
            f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor for argument #1 "
            f"'self' (while checking arguments for {name})"
        )


def _one(name: str, what: str, v: Any) -> int:
    vals = _seq(v)
    if len(vals) != 1:
        raise RuntimeError(f"{name}() argument '{what}' should contain one int (got {len(vals)})")
    return int(vals[0])


def _squeezed(res: Any) -> Any:
    if isinstance(res, tuple):
        return tuple(r.squeeze(-2) for r in res)
    return res.squeeze(-2)


# --- max pooling --------------------------------------------------------------------------------


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> Tensor:
    """2-D max pooling of (N, C, H, W) or (C, H, W) input."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, False)


def max_pool1d_with_indices(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = True,
) -> tuple[Tensor, Tensor]:
    """(values, indices) of 1-D max pooling of (N, C, L) or (C, L) input."""
    name = "max_pool1d"
    stride = kernel_size if stride is None or _seq(stride) == [] else stride
    _dim_range(name, input.data)
    k, s = _one(name, "kernel_size", kernel_size), _one(name, "stride", stride)
    p, dv = _one(name, "padding", padding), _one(name, "dilation", dilation)
    res = _max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, dv), ceil_mode, True)
    return _squeezed(res)


def max_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> Tensor:
    """1-D max pooling of (N, C, L) or (C, L) input."""
    x, name = input.data, "max_pool1d()"
    if not ((x.ndim == 2 and 0 not in x.shape) or (x.ndim == 3 and 0 not in x.shape[1:])):
        raise RuntimeError(
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size "
            f"for input, but got:{list(x.shape)}"
        )
    k, s, p, dv = (
        _seq(kernel_size),
        _seq([] if stride is None else stride),
        _seq(padding),
        _seq(dilation),
    )
    for what, v, extra in (("kernel_size", k, "an int, list of ints or tuple of ints"),
                           ("stride", s, "None, an int, list of ints, or tuple of ints"),
                           ("padding", p, "an int, list of ints, or tuple of ints"),
                           ("dilation", dv, "an int, list of ints or tuple of ints")):  # fmt: skip
        if len(v) != 1 and not (what == "stride" and not v):
            raise RuntimeError(f"{name} {what} must be {extra} of size 1 but got size {len(v)}")
    (k,), (p,), (dv,) = k, p, dv
    (s,) = s or (k,)
    for ok, msg in ((k > 0, f"kernel_size must be greater than zero, but got {k}"),
                    (s > 0, f"stride must be greater than zero, but got {s}"),
                    (p >= 0, f"padding must be non-negative, but got {p}"),
                    (p <= k // 2, "padding should be at most half of kernel size, but got "
                                  f"padding={p} and kernel_size={k}"),
                    (dv > 0, f"dilation must be greater than zero, but got {dv}")):  # fmt: skip
        if not ok:
            raise RuntimeError(f"{name} {msg}")
    ow = (x.shape[-1] + 2 * p - dv * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (ow - 1) * s >= x.shape[-1] + p:
        ow -= 1
    if ow <= 0:
        raise RuntimeError(f"{name} Invalid computed output size: {ow}")
    if not _needs_grad(input):  # torch's max_pool1d_impl, which has float loops only
        _not_for("max_pool1d_impl", x, "biu")
    res = _max_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), (1, dv), ceil_mode, False)
    return _squeezed(res)


# --- average pooling ----------------------------------------------------------------------------


def _avg_pool2d(
    x: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Any,
) -> Tensor:
    name = "avg_pool2d"
    k = _two(name, "kernel_size", kernel_size)
    s = _two(name, "stride", [] if stride is None else stride, empty_ok=True) or k
    p = _two(name, "padding", padding)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    a = x.data
    if a.ndim < 3:
        lo, hi = (-a.ndim, a.ndim - 1) if a.ndim else (-1, 0)
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but "
                         "got -3)")  # fmt: skip
    if a.dtype.kind in "iub" and a.dtype != np.int64:
        _not_for(name, a, "iub")
    pool = _pool_geometry(a, k, s, p, (1, 1), ceil_mode)
    div = _divisors(pool, count_include_pad, divisor_override)
    return AvgPool2D.apply(x, pool=pool, div=div)


def avg_pool1d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """1-D average pooling of (N, C, L) or (C, L) input."""
    name = "avg_pool1d"
    stride = kernel_size if stride is None or _seq(stride) == [] else stride
    _dim_range(name, input.data)
    k, s = _one(name, "kernel_size", kernel_size), _one(name, "stride", stride)
    p = _one(name, "padding", padding)
    out = _avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad,
                      None)  # fmt: skip
    return out.squeeze(-2)


# --- adaptive pooling ---------------------------------------------------------------------------


def _with_default(out_size: Any, defaults: tuple) -> Any:
    """torch.nn.functional's _list_with_default: None entries take the input's size."""
    if isinstance(out_size, (int, np.integer)):
        return out_size
    out_size = list(out_size)
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else dv for v, dv in zip(out_size, defaults[-len(out_size) :])]


def _adaptive_avg_pool2d(x: Tensor, output_size: Any) -> Tensor:
    name = "adaptive_avg_pool2d"
    out = _seq(_with_default(output_size, x.data.shape))
    out = out * 2 if len(out) == 1 else out
    if len(out) != 2:
        raise RuntimeError(f"{name}: output_size must be 2")
    if min(out) < 0:
        raise RuntimeError(f"{name}: elements of output_size must be greater than or equal to 0 "
                           f"but received {{{out[0]}, {out[1]}}}")  # fmt: skip
    if out == [1, 1]:  # torch's shortcut, grad_fn MeanBackward1
        return x.mean((-1, -2), keepdim=True)
    a = x.data
    if a.ndim not in (3, 4):
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got {list(a.shape)}")
    for i in (-2, -1):
        if a.shape[i] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(a.shape)} with dimension {i + a.ndim} being empty"
            )
    _not_for(name, a, "iub")
    mats = (_averaging(a.shape[-2], out[0], a.dtype), _averaging(a.shape[-1], out[1], a.dtype))
    return AdaptiveAvgPool2D.apply(x, mats=mats)


def _adaptive_max_pool2d(x: Tensor, output_size: Any, indices: bool) -> Any:
    name = "adaptive_max_pool2d"
    out = _seq(_with_default(output_size, x.data.shape))
    out = out * 2 if len(out) == 1 else out
    a = x.data
    if a.ndim not in (3, 4):
        raise RuntimeError(f"{name}(): Expected 3D or 4D tensor, but got: {list(a.shape)}")
    for i in range(1, a.ndim):
        if a.shape[i] == 0:
            raise RuntimeError(
                f"{name}(): Expected input to have non-zero size for non-batch dimensions, but "
                f"input has sizes {list(a.shape)} with dimension {i} being empty"
            )
    if len(out) != 2:
        raise RuntimeError(f"{name}(): internal error: output_size.size() must be 2")
    if min(out) < 0:
        bad = min(out)
        raise RuntimeError(f"Trying to create tensor with negative dimension {bad}: "
                           f"{list(a.shape[:-2]) + list(out)}")  # fmt: skip
    _not_for(name, a, "iub")
    return AdaptiveMaxPool2D.apply(x, out=tuple(int(o) for o in out), indices=indices)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """1-D adaptive average pooling to `output_size` outputs."""
    name = "adaptive_avg_pool1d"
    _dim_range(name, input.data)
    o = _one(name, "output_size", output_size)
    return _adaptive_avg_pool2d(input.unsqueeze(-2), (1, o)).squeeze(-2)


def adaptive_max_pool1d(input: Tensor, output_size: Any) -> tuple[Tensor, Tensor]:
    """(values, indices) of 1-D adaptive max pooling to `output_size` outputs."""
    name = "adaptive_max_pool1d"
    _dim_range(name, input.data)
    o = _one(name, "output_size", output_size)
    return _squeezed(_adaptive_max_pool2d(input.unsqueeze(-2), (1, o), True))
