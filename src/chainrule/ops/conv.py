"""Convolutions: conv1d conv2d conv_transpose1d conv_transpose2d by im2col and matmul.

One geometry (sizes, stride, dilation, padding, groups) defines three bilinear maps:

    conv:   y = A(x, w)    im2col of x, then one batched matmul per group
    input:  x = At(y, w)   A's adjoint in x: a matmul, then col2im (conv_transpose's forward)
    weight: w = Aw(x, y)   A's adjoint in w: a matmul against the im2col columns

The derivatives of each map are the other two, so every backward is again made of Convolution
nodes and `create_graph=True` differentiates to any order. The kernels are in
_conv_kernels.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule._dtype import SCALAR_TYPE, kernel_error
from chainrule.ops import _dual as d
from chainrule.ops._conv_kernels import Geom, as4, im2col, run
from chainrule.ops._util import Primitive
from chainrule.tensor import Tensor

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]

# Tensor methods, installed by ops/_methods.py (torch has no conv Tensor methods)
METHODS: dict[str, Any] = {}


# --- the primitive ------------------------------------------------------------------------------


class Convolution(Primitive):
    """conv: out = A(x, w) + b;  d/dx = At(g, w), d/dw = Aw(x, g), d/db = g summed over N, space

    input (conv_transpose): out = At(y, w) + b;  d/dy = A(g, w), d/dw = Aw(g, y)
    weight: out = Aw(x, y);  d/dx = At(y, g), d/dy = A(x, g)
    """

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, a, b, bias, geom, kind):
        cols = None
        if kind == "conv" and ctx._edges[1] is not None:  # the weight's gradient reuses im2col
            cols = ctx.cols = im2col(as4(a, geom), geom)
        out = run(kind, a, b, geom, cols)
        if bias is not None:
            out += bias.reshape((-1,) + (1,) * geom.nd)
        ctx.save_for_backward(a, b)
        ctx.geom, ctx.kind = geom, kind
        return out

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        geom, kind = ctx.geom, ctx.kind
        need_a, need_b, need_bias = ctx.needs_input_grad
        ga = gb = gbias = None
        if kind == "conv":  # a = x, b = w
            ga = _call("input", g, b, geom) if need_a else None
            gb = _call("weight", a, g, geom, getattr(ctx, "cols", None)) if need_b else None
        elif kind == "input":  # a = y, b = w
            ga = _call("conv", g, b, geom) if need_a else None
            gb = _call("weight", g, a, geom) if need_b else None
        else:  # a = x, b = y
            ga = _call("input", b, g, geom) if need_a else None
            gb = _call("conv", a, g, geom) if need_b else None
        if need_bias:
            o = g.shape[1]
            gbias = d.reshape(d.sum_to(g, (o,) + (1,) * geom.nd), (o,))
        return ga, gb, gbias


class ConvolutionBackward(Convolution):
    """The maps as called by Convolution's backward (torch's name for them under create_graph)."""

    node_name = "ConvolutionBackwardBackward0"


def _call(kind: str, a: Any, b: Any, geom: Geom, cols: Any = None) -> Any:
    """A map on arrays, or recorded as a node when a backward runs on Tensors."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        a = a if isinstance(a, Tensor) else d.const(b, a)
        b = b if isinstance(b, Tensor) else d.const(a, b)
        return ConvolutionBackward.apply(a, b, None, geom=geom, kind=kind)
    return run(kind, a, b, geom, cols)


# --- arguments and torch's checks ---------------------------------------------------------------

_TORCH_TYPES = {
    "float32": "torch.FloatTensor", "float64": "torch.DoubleTensor", "float16": "torch.HalfTensor",
    "int64": "torch.LongTensor", "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
    "int8": "torch.CharTensor", "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor",
}  # fmt: skip
_SCALAR_NAMES = {
    "float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
    "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
    "bool": "bool",
}  # fmt: skip
SCALAR_TYPES = SCALAR_TYPE  # torch's ScalarType names


def _ints(value: Any, n: int, name: str, fn: str) -> tuple[int, ...]:
    """An int or a sequence of ints as n ints (a single one repeated), with torch's errors."""
    if isinstance(value, (int, np.integer)):
        vals = [value]
    elif isinstance(value, (tuple, list)):
        vals = list(value)
    else:
        vals = [value]
    for v in vals:
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(
                f"{fn}(): argument '{name}' must be tuple of ints, but found element of type "
                f"{type(v).__name__}"
            )
    if len(vals) == 1:
        vals = vals * n
    if len(vals) != n:
        raise RuntimeError(
            f"expected {name} to be a single integer value or a list of {n} values to match the "
            f"convolution dimensions, but got {name}={vals}"
        )
    return tuple(int(v) for v in vals)


def _sizes(vals: Any) -> str:
    return " x ".join(str(v) for v in vals)


def _check_tensors(fn: str, x: Tensor, w: Tensor, bias: Any, nd: int) -> None:
    if bias is not None and bias.data.dtype != x.data.dtype:
        raise RuntimeError(
            f"Input type ({_SCALAR_NAMES.get(x.data.dtype.name, x.data.dtype.name)}) and bias "
            f"type ({_SCALAR_NAMES.get(bias.data.dtype.name, bias.data.dtype.name)}) should be "
            "the same"
        )
    if x.data.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {fn}, but got input "
            f"of size: {list(x.data.shape)}"
        )


def _check_common(x: np.ndarray, w: np.ndarray, groups: int, params: dict) -> None:
    """torch's checks shared by convolution and its transpose, in torch's order."""
    if any(p < 0 for p in params["padding"]):
        raise RuntimeError("negative padding is not supported")
    if any(p < 0 for p in params.get("output_padding", ())):
        raise RuntimeError("negative output_padding is not supported")
    if any(s <= 0 for s in params["stride"]):
        raise RuntimeError("non-positive stride is not supported")
    if any(v <= 0 for v in params["dilation"]):
        raise RuntimeError("non-positive dilation is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if w.ndim != x.ndim:
        raise RuntimeError(
            f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight "
            f"{list(w.shape)}, but got {x.ndim}-dimensional input of size {list(x.shape)} instead"
        )
    if w.shape[0] < groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be at least {groups} at dimension 0, but "
            f"got weight of size {list(w.shape)} instead"
        )
    if w.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
            f"but got weight of size [{list(w.shape)}] instead"
        )


def _check_kernel(x: np.ndarray, dil: tuple, transposed: bool) -> None:
    """torch's CPU kernels take int64 everywhere, the other integers only in the plain
    (undilated, not transposed) convolution, bool nowhere."""
    if x.dtype.kind in "biu" and x.dtype != np.int64 and x.size:  # empty: no kernel call
        if transposed:
            raise kernel_error("slow_conv_transpose2d_out_cpu", x.dtype)
        if any(dv != 1 for dv in dil):
            raise kernel_error("slow_conv_dilated<>", x.dtype)
        if x.dtype.kind == "b":
            raise kernel_error("slow_conv2d_cpu", x.dtype)


def _check_types(x: np.ndarray, w: np.ndarray) -> None:
    if x.dtype == w.dtype:
        return
    if x.dtype.kind in "iu":
        raise RuntimeError(
            f"expected scalar type {SCALAR_TYPES.get(x.dtype.name, x.dtype.name)} but found "
            f"{SCALAR_TYPES.get(w.dtype.name, w.dtype.name)}"
        )
    raise RuntimeError(
        f"Input type ({_TORCH_TYPES.get(x.dtype.name, x.dtype.name)}) and weight type "
        f"({_TORCH_TYPES.get(w.dtype.name, w.dtype.name)}) should be the same or input should "
        "be a MKLDNN tensor and weight is a dense tensor"
    )


def _batched(x: Tensor, nd: int) -> tuple[Tensor, bool]:
    if x.data.ndim == nd + 2:
        return x, True
    return x.unsqueeze(0), False


def _convnd(
    fn: str,
    nd: int,
    x: Tensor,
    w: Tensor,
    bias: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
) -> Tensor:
    _check_tensors(fn, x, w, bias, nd)
    x, batched = _batched(x, nd)
    k = w.data.ndim - 2
    same = False
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        stride = _ints(stride, k, "stride", fn)
        if padding == "same" and any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        same, padding = padding == "same", 0
    stride, pad = _ints(stride, k, "stride", fn), _ints(padding, k, "padding", fn)
    dil = _ints(dilation, k, "dilation", fn)
    xa, wa = x.data, w.data
    _check_common(xa, wa, groups, {"padding": pad, "stride": stride, "dilation": dil})
    if xa.shape[1] != wa.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {list(wa.shape)}, expected input"
            f"{list(xa.shape)} to have {wa.shape[1] * groups} channels, but got {xa.shape[1]} "
            "channels instead"
        )
    if bias is not None and bias.data.shape != (wa.shape[0],):
        raise RuntimeError(
            f"Given weight of size {list(wa.shape)}, expected bias to be 1-dimensional with "
            f"{wa.shape[0]} elements, but got bias of size {list(bias.data.shape)} instead"
        )
    size, ksize = xa.shape[2:], wa.shape[2:]
    span = [dv * (kv - 1) + 1 for dv, kv in zip(dil, ksize)]
    if same:  # torch's 'same': the odd zero of an even total goes after the input
        lo = tuple((s - 1) // 2 for s in span)
        out = tuple(size)
    else:
        padded = [s + 2 * p for s, p in zip(size, pad)]
        if any(p < s for p, s in zip(padded, span)):
            raise RuntimeError(
                f"Calculated padded input size per channel: ({_sizes(padded)}). Kernel size: "
                f"({_sizes(span)}). Kernel size can't be greater than actual input size"
            )
        lo = pad
        out = tuple((p - s) // st + 1 for p, s, st in zip(padded, span, stride))
    _check_types(xa, wa)
    _check_kernel(xa, dil, transposed=False)
    geom = _geom(nd, size, ksize, out, stride, dil, lo, groups)
    y = Convolution.apply(x, w, bias, geom=geom, kind="conv")
    return y if batched else y.squeeze(0)


def _conv_transpose(
    fn: str,
    nd: int,
    x: Tensor,
    w: Tensor,
    bias: Any,
    stride: Any,
    padding: Any,
    output_padding: Any,
    groups: int,
    dilation: Any,
) -> Tensor:
    if isinstance(padding, str):
        raise TypeError(f"{fn}(): argument 'padding' must be tuple of ints, not str")
    _check_tensors(fn, x, w, bias, nd)
    x, batched = _batched(x, nd)
    k = w.data.ndim - 2
    stride, pad = _ints(stride, k, "stride", fn), _ints(padding, k, "padding", fn)
    dil, opad = _ints(dilation, k, "dilation", fn), _ints(output_padding, k, "output_padding", fn)
    xa, wa = x.data, w.data
    params = {"padding": pad, "stride": stride, "dilation": dil, "output_padding": opad}
    _check_common(xa, wa, groups, params)
    if xa.shape[1] != wa.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(wa.shape)}, expected input"
            f"{list(xa.shape)} to have {wa.shape[0]} channels, but got {xa.shape[1]} channels "
            "instead"
        )
    cout = wa.shape[1] * groups
    if bias is not None and bias.data.shape != (cout,):
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(wa.shape)}, expected bias to be "
            f"1-dimensional with {cout} elements, but got bias of size {list(bias.data.shape)} "
            "instead"
        )
    _check_types(xa, wa)
    if any(o >= s and o >= dv for o, s, dv in zip(opad, stride, dil)):
        # torch reports a 1-D convolution as 2-D with a height of 1
        (oh, ow), (sh, sw), (dh, dw) = [(one,) * (2 - nd) + v for one, v in
                                        ((0, opad), (1, stride), (1, dil))]  # fmt: skip
        raise RuntimeError(
            "output padding must be smaller than either stride or dilation, but got "
            f"output_padding_height: {oh} output_padding_width: {ow} stride_height: {sh} "
            f"stride_width: {sw} dilation_height: {dh} dilation_width: {dw}"
        )
    size, ksize = xa.shape[2:], wa.shape[2:]
    out = tuple(
        (i - 1) * s - 2 * p + dv * (kv - 1) + o + 1
        for i, s, p, dv, kv, o in zip(size, stride, pad, dil, ksize, opad)
    )
    if any(o < 1 for o in out):
        raise RuntimeError(
            f"Given input size per channel: ({_sizes((1,) * (2 - nd) + size)}). Calculated output "
            f"size per channel: ({_sizes((1,) * (2 - nd) + out)}). Output size is too small"
        )
    _check_kernel(xa, dil, transposed=True)
    # A maps conv_transpose's output (size `out`) to its input (size `size`)
    geom = _geom(nd, out, ksize, size, stride, dil, pad, groups)
    y = Convolution.apply(x, w, bias, geom=geom, kind="input")
    return y if batched else y.squeeze(0)


def _geom(
    nd: int, size: Any, ksize: Any, out: Any, stride: Any, dil: Any, lo: Any, groups: int
) -> Geom:
    def two(v: Any, one: int) -> tuple[int, int]:
        v = tuple(int(i) for i in v)
        return (one,) + v if nd == 1 else v

    return Geom(two(size, 1), two(ksize, 1), two(out, 1), two(stride, 1), two(dil, 1),
                two(lo, 0), groups, nd)  # fmt: skip


# --- torch-level functions ----------------------------------------------------------------------


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation of (N, C, L) or (C, L) input with (O, C / groups, k) weight."""
    return _convnd("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation of (N, C, H, W) or (C, H, W) input with (O, C / groups, kh, kw)."""
    return _convnd("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The adjoint of conv1d in its input; weight (C_in, C_out / groups, k)."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)  # fmt: skip


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The adjoint of conv2d in its input; weight (C_in, C_out / groups, kh, kw)."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)  # fmt: skip
