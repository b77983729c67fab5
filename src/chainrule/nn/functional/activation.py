"""torch.nn.functional: activations and the softmax family.

The elementwise activations are primitives (in _activation_ops.py), one node each with
torch's name. log_softmax and softmax are primitives of their own, for numerical stability
(they never exponentiate a positive number) and for speed; softmin, softsign and tanhshrink
compose other ops, as torch does.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from chainrule._dtype import SCALAR_TYPE, checked_scalar, kernel_error
from chainrule.nn.functional import _activation_ops as A
from chainrule.ops import _dual as d
from chainrule.ops import inplace as _inplace
from chainrule.ops._util import Primitive, norm_dim
from chainrule.ops.functional import relu as _relu
from chainrule.ops.functional import sigmoid, tanh
from chainrule.tensor import Tensor

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "selu_",
    "celu", "celu_", "gelu", "silu", "mish", "softplus", "softsign", "hardtanh", "hardtanh_",
    "hardsigmoid", "hardswish", "logsigmoid", "tanhshrink", "sigmoid", "tanh", "threshold",
    "threshold_", "glu", "softmax", "softmin", "log_softmax",
]  # fmt: skip

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_TORCH_TYPES = SCALAR_TYPE  # torch's ScalarType names


def _floating(input: Tensor, kernel: str) -> None:
    """torch's kernels for these activations exist for floating dtypes only."""
    dt = input.data.dtype
    if dt.kind != "f":
        raise NotImplementedError(
            f"\"{kernel}\" not implemented for '{_TORCH_TYPES.get(dt.name, dt.name)}'"
        )


def _run(
    input: Tensor,
    cls: Any,
    inplace: bool,
    name: str,
    inplace_cls: Any = None,
    needs_old: bool = False,
    **kw: Any,
) -> Tensor:
    """cls on input, or (inplace=True) written into input's memory as torch's `name_`."""
    if inplace:
        return _inplace.apply_inplace(input, inplace_cls or cls, (), name + "_", needs_old, **kw)
    return cls.apply(input, **kw)


# --- relu family, piecewise linear --------------------------------------------------------------


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(input, 0); relu'(0) = 0 (as torch)."""
    return _inplace.relu_(input) if inplace else _relu(input)


def relu_(input: Tensor) -> Tensor:
    """relu, in place."""
    return _inplace.relu_(input)


def hardtanh(
    input: Tensor, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False
) -> Tensor:
    """input clamped to [min_val, max_val]; the gradient is 0 at both bounds (as torch)."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if input.data.dtype.kind == "b":
        raise RuntimeError("Bool inputs not supported for hardtanh")
    if input.data.dtype.kind == "u" and (int(min_val) < 0 or int(max_val) < 0):  # truncated
        raise RuntimeError("cannot do hardtanh on an unsigned type with negative limits")
    return _run(input, A.Hardtanh, inplace, "hardtanh", lo=min_val, hi=max_val)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """hardtanh, in place."""
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """hardtanh(input, 0, 6); the gradient is 0 at 0 and at 6 (as torch)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """input where input > 0, else negative_slope * input; the gradient at 0 is negative_slope."""
    _floating(input, "leaky_relu_cpu")
    return _run(
        input, A.LeakyRelu, inplace, "leaky_relu", A.LeakyReluInplace, slope=float(negative_slope)
    )


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """leaky_relu, in place."""
    return leaky_relu(input, negative_slope, inplace=True)


def _threshold_args(input: Tensor, threshold: Any, value: Any) -> tuple[Any, Any]:
    """threshold and value in input's dtype, as torch's kernel converts them (truncated; an
    error where they overflow it)."""
    dt = input.data.dtype
    if dt.kind == "b":
        raise kernel_error("threshold_cpu", dt)
    return checked_scalar(threshold, dt), checked_scalar(value, dt)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """input where input > threshold, else value."""
    threshold, value = _threshold_args(input, threshold, value)
    return _run(
        input,
        A.Threshold,
        inplace,
        "threshold",
        A.ThresholdInplace,
        threshold=threshold,
        value=value,
    )


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """threshold, in place."""
    threshold, value = _threshold_args(input, threshold, value)
    return _run(
        input, A.Threshold, True, "threshold", A.ThresholdInplace, threshold=threshold, value=value
    )


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(input + 3) / 6; the gradient is 0 at -3 and at 3 (as torch)."""
    _floating(input, "hardsigmoid_cpu")
    return _run(input, A.Hardsigmoid, inplace, "hardsigmoid")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * relu6(input + 3) / 6; the gradient is 0 at -3 and 1 at 3 (as torch)."""
    _floating(input, "hardswish_cpu")
    return _run(input, A.Hardswish, inplace, "hardswish", needs_old=True)


# --- exponential units --------------------------------------------------------------------------


def _elu(
    input: Tensor,
    alpha: float,
    scale: float,
    input_scale: float,
    inplace: bool,
    name: str,
    cls: Any,
    inplace_cls: Any,
) -> Tensor:
    _floating(input, "elu_cpu")
    return _run(
        input,
        cls,
        inplace,
        name,
        inplace_cls,
        needs_old=True,
        alpha=float(alpha),
        scale=scale,
        input_scale=input_scale,
    )


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """input where input > 0, else alpha * (exp(input) - 1); elu'(0) = alpha (as torch)."""
    return _elu(input, alpha, 1.0, 1.0, inplace, "elu", A.Elu, A.EluInplace)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """elu, in place."""
    return elu(input, alpha, inplace=True)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * elu(input, alpha) with the self-normalising constants; selu'(0) = scale * alpha."""
    return _elu(input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace, "selu", A.Elu, A.EluInplace)


def selu_(input: Tensor) -> Tensor:
    """selu, in place."""
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """max(0, input) + min(0, alpha * (exp(input / alpha) - 1)); celu'(0) = 1 (as torch)."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _elu(input, alpha, 1.0, 1.0 / alpha, inplace, "celu", A.Celu, A.CeluInplace)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """celu, in place."""
    return celu(input, alpha, inplace=True)


# --- smooth activations -------------------------------------------------------------------------


def gelu(input: Tensor, *, approximate: str = "none") -> Tensor:
    """input * Phi(input) (Phi: the standard normal CDF), or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _floating(input, "GeluKernelImpl")
    return A.Gelu.apply(input, approximate=approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """input * sigmoid(input)."""
    _floating(input, "silu_cpu")
    return _run(input, A.Silu, inplace, "silu", needs_old=True)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """input * tanh(softplus(input))."""
    _floating(input, "mish_cpu")
    return _run(input, A.Mish, inplace, "mish", needs_old=True)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * input)) / beta, and input itself where beta * input > threshold."""
    _floating(input, "softplus_cpu")
    return A.Softplus.apply(input, beta=float(beta), threshold=float(threshold))


def logsigmoid(input: Tensor) -> Tensor:
    """log(sigmoid(input)), stable for large |input|."""
    _floating(input, "log_sigmoid_cpu")
    return A.LogSigmoid.apply(input)


def softsign(input: Tensor) -> Tensor:
    """input / (1 + |input|)."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """input - tanh(input)."""
    return input - tanh(input)


def _halves(ndim: int, axis: int, n: int) -> tuple[tuple, tuple]:
    first = [slice(None)] * ndim
    second = list(first)
    first[axis], second[axis] = slice(0, n), slice(n, 2 * n)
    return tuple(first), tuple(second)


class Glu(Primitive):
    """out = a sigmoid(b), (a, b) the halves of x along dim;  da = g sigmoid(b),
    db = g a sigmoid(b) (1 - sigmoid(b))"""

    node_name = "GluBackward0"

    @staticmethod
    def forward(ctx, x, axis):
        n = x.shape[axis] // 2
        ia, ib = _halves(x.ndim, axis, n)
        ctx.save_for_backward(x)
        ctx.axis, ctx.halves = axis, (ia, ib)
        return x[ia] * A.sigmoid(x[ib])

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        ia, ib = ctx.halves
        a, s = x[ia], A.sigmoid(x[ib])
        ga, gb = g * s, g * a * s * (1 - s)
        if not d._t(g):
            return np.concatenate([ga, gb], axis=ctx.axis)
        shape = tuple(x.shape)
        return d.index_add_into(shape, ia, ga, False) + d.index_add_into(shape, ib, gb, False)

    @staticmethod
    def jvp_rule(t, out, x, axis):  # torch's glu_jvp: da s + out (db - s db), s = sigmoid(b)
        ia, ib = _halves(x.ndim, axis, x.shape[axis] // 2)
        s, db = A.sigmoid(x[ib]), t[0][ib]
        return t[0][ia] * s + out * (db - s * db)


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """a * sigmoid(b), where a and b are the two halves of input along dim."""
    ndim = input.data.ndim
    if ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    axis = norm_dim(dim, ndim)
    n = input.data.shape[axis]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {axis} is size {n}")
    _floating(input, "glu_cpu")
    return Glu.apply(input, axis=axis)


# --- the softmax family -------------------------------------------------------------------------


def _sum_keep(g: Any, axis: int | None) -> Any:
    return g.sum(dim=axis, keepdim=True) if d._t(g) else g.sum(axis=axis, keepdims=True)


class LogSoftmax(Primitive):
    """out = x - log(sum(exp(x), dim));  dx = g - exp(out) * sum(g, dim) (saved output)"""

    node_name = "LogSoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, axis):
        if x.size == 0:
            out = x.copy()
        else:
            z = x - x.max(axis=axis, keepdims=True)  # shift: exp never overflows
            out = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - d.exp(out) * _sum_keep(g, ctx.axis)

    jvp_rule = staticmethod(lambda t, out, x, axis: t[0] - _sum_keep(np.exp(out) * t[0], axis))


class Softmax(Primitive):
    """out = exp(x) / sum(exp(x), dim);  dx = out * (g - sum(g * out, dim)) (saved output)"""

    node_name = "SoftmaxBackward0"

    @staticmethod
    def forward(ctx, x, axis):
        if x.size == 0:
            out = x.copy()
        else:
            out = np.exp(x - x.max(axis=axis, keepdims=True))  # shift: exp never overflows
            out /= out.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return out * (g - _sum_keep(g * out, ctx.axis))

    jvp_rule = staticmethod(lambda t, out, x, axis: out * (t[0] - _sum_keep(out * t[0], axis)))


def _softmax_axis(
    input: Tensor, dim: int | None, dtype: Any, name: str, stacklevel: int
) -> tuple[Tensor, int | None]:
    """The input cast to dtype, and dim as a NumPy axis (None for a 0-d input)."""
    if dtype is not None:
        input = input.to(dtype)
    ndim = input.data.ndim
    if dim is None:
        warnings.warn(
            f"Implicit dimension choice for {name} has been deprecated. Change the call to "
            "include dim=X as an argument.",
            UserWarning,
            stacklevel=stacklevel,
        )
        dim = 0 if ndim in (0, 1, 3) else 1
    axis = norm_dim(dim, ndim)
    if input.data.size:  # torch returns an empty input as it is, whatever its dtype
        kernel = "log_softmax" if name == "log_softmax" else "softmax"
        _floating(input, kernel + ("_lastdim" if axis >= ndim - 1 else "") + "_kernel_impl")
    return input, (axis if ndim else None)


def log_softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """log(softmax(input)) along dim, computed stably."""
    x, axis = _softmax_axis(input, dim, dtype, "log_softmax", _stacklevel)
    return LogSoftmax.apply(x, axis=axis)


def softmax(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """exp(input) / sum(exp(input)) along dim, computed stably."""
    x, axis = _softmax_axis(input, dim, dtype, "softmax", _stacklevel)
    return Softmax.apply(x, axis=axis)


def softmin(
    input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None
) -> Tensor:
    """softmax(-input) along dim."""
    x, axis = _softmax_axis(-input, dim, dtype, "softmin", _stacklevel)
    return Softmax.apply(x, axis=axis)


METHODS: dict[str, Any] = {
    "softmax": lambda self, dim, dtype=None: softmax(self, dim, dtype=dtype),
    "log_softmax": lambda self, dim, dtype=None: log_softmax(self, dim, dtype=dtype),
}
