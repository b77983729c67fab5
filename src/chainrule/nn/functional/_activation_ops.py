"""The activation primitives of nn.functional: one node per activation, as torch records them.

Each docstring's first line is the math; kink conventions (torch's, exactly) are noted beside
the derivative. Where torch's second derivative differs from differentiating the first
derivative's formula (at a kink, at softplus's threshold), the first derivative is a primitive
of its own (`EluBackwardBackward0`, ...), as in torch. Every formula only exponentiates
non-positive numbers, so no activation overflows for large |x|.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

from chainrule.autograd.function import NULL_CTX
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive
from chainrule.ops.elementwise import Sigmoid
from chainrule.tensor import Tensor

_SQRT_2PI = float(np.sqrt(2 * np.pi))
_K = float(np.sqrt(2 / np.pi))  # gelu's tanh approximation: tanh(K (x + C x^3))
_C = 0.044715
_SIXTH_F32 = float(np.float32(1 / 6))


def dual(cls: Any, *args: Any, **kw: Any) -> Any:
    """cls recorded on Tensors (create_graph), or its bare forward on arrays."""
    if any(isinstance(a, Tensor) for a in args):
        return cls.apply(*args, **kw)
    return cls.forward(NULL_CTX, *args, **kw)


def sigmoid(x: Any) -> Any:
    return dual(Sigmoid, x)


def tanh(x: Any) -> Any:
    return x.tanh() if d._t(x) else np.tanh(x)


def _wants_grad(ctx: Any) -> bool:
    return ctx._edges[0] is not None


# --- piecewise linear: the backward is a constant mask or slope ---------------------------------


class Hardtanh(Primitive):
    """out = min(max(x, lo), hi);  dout/dx = 1 where lo < x < hi, so 0 at both bounds (as
    torch; unlike clamp, whose bounds pass the gradient)"""

    node_name = "HardtanhBackward0"

    @staticmethod
    def forward(ctx, x, lo, hi):
        if _wants_grad(ctx):
            ctx.mask = (x > lo) & (x < hi)
        out = np.minimum(np.maximum(x, lo), hi)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return d.masked(g, ctx.mask)

    jvp_rule = staticmethod(lambda t, out, x, lo, hi: np.where((x > lo) & (x < hi), t[0], 0.0))


class Hardsigmoid(Primitive):
    """out = min(max(x + 3, 0), 6) / 6;  dout/dx = 1/6 where -3 < x < 3, so 0 at +-3 (as torch,
    whose 1/6 is rounded to float32 also for float64)"""

    node_name = "HardsigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        if _wants_grad(ctx):
            ctx.mask = (x > -3) & (x < 3)
        return np.minimum(np.maximum(x + 3, 0), 6) / 6

    @staticmethod
    def backward(ctx, g):
        return d.masked(g, ctx.mask) * _SIXTH_F32

    jvp_rule = staticmethod(lambda t, out, x: np.where((x > -3) & (x < 3), t[0] * _SIXTH_F32, 0.0))


class Threshold(Primitive):
    """out = x where x > threshold, else value;  dout/dx = 1 where x > threshold (0 at it)"""

    node_name = "ThresholdBackward0"

    @staticmethod
    def forward(ctx, x, threshold, value):
        keep = x > threshold
        if _wants_grad(ctx):
            ctx.mask = keep
        return np.where(keep, x, value).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return d.masked(g, ctx.mask)

    jvp_rule = staticmethod(lambda t, out, x, threshold, value: np.where(x > threshold, t[0], 0.0))


class ThresholdInplace(Threshold):
    node_name = "ThresholdBackward1"


class LeakyRelu(Primitive):
    """out = x where x > 0 else slope * x;  dout/dx = 1 where x > 0 else slope, so slope at 0"""

    node_name = "LeakyReluBackward0"

    @staticmethod
    def forward(ctx, x, slope):
        pos = x > 0
        if _wants_grad(ctx):
            ctx.coef = np.where(pos, 1, slope).astype(x.dtype)
            ctx.slope = slope
        return np.where(pos, x, x * slope)

    @staticmethod
    def backward(ctx, g):
        return g * d.const(g, ctx.coef)

    jvp_rule = staticmethod(lambda t, out, x, slope: np.where(x > 0, t[0], t[0] * slope))


class LeakyReluInplace(LeakyRelu):
    node_name = "LeakyReluBackward1"

    @staticmethod
    def backward(ctx, g):
        _inplace_slope_check("leakyReLu", ctx.slope < 0)
        return g * d.const(g, ctx.coef)


def _inplace_slope_check(name: str, negative: bool) -> None:
    # torch's in-place forms differentiate through the result, which needs a slope >= 0
    if negative:
        raise RuntimeError(
            f"In-place {name} backward calculation is triggered with a negative slope which is "
            "not supported. This is caused by calling in-place forward function with a negative "
            "slope, please call out-of-place version instead."
        )


class Hardswish(Primitive):
    """out = x * min(max(x + 3, 0), 6) / 6;  dout/dx = 0 where x <= -3, x / 3 + 1/2 where
    -3 < x < 3, 1 where x >= 3: 0 at -3, 1 at 3 (as torch)"""

    node_name = "HardswishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.minimum(np.maximum(x + 3, 0), 6) / 6

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xd = d.data(x)
        mid = (xd > -3) & (xd < 3)
        # the second derivative is 1/3 strictly inside (-3, 3), 0 at the bounds, as torch's
        return g * d.where(mid, x / 3 + 0.5, d.const(x, (xd >= 3).astype(xd.dtype)))

    @staticmethod
    def jvp_rule(t, out, x):  # torch's hardswish_backward on the tangent
        return np.where(x <= -3, 0.0, np.where(x < 3, t[0] * (x / 3 + 0.5), t[0]))


# --- elu, celu, selu: one primitive with torch's (alpha, scale, input_scale) -------------------


class Elu(Primitive):
    """out = scale x where x > 0, else scale alpha (exp(s x) - 1) (s = input_scale);
    dout/dx = scale where x > 0, else scale alpha s exp(s x): the exponential side at 0 (as
    torch), so elu'(0) = alpha, selu'(0) = scale alpha, celu'(0) = 1"""

    node_name = "EluBackward0"

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        ctx.save_for_backward(x)
        ctx.params = (alpha, scale, input_scale)
        neg = np.expm1(np.minimum(x, 0) * input_scale) * (alpha * scale)
        return np.where(x > 0, x * scale, neg)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return dual(EluGrad, g, x, *ctx.params)

    @staticmethod
    def jvp_rule(t, out, x, alpha, scale, input_scale):
        return EluGrad.forward(NULL_CTX, t[0], x, alpha, scale, input_scale)


class Celu(Elu):
    """celu = elu(x, alpha, 1, 1 / alpha); torch's backward takes input_scale as 1 /
    float32(alpha), so its gradient differs from the exact one by ~1e-8 relative: so does ours"""

    node_name = "CeluBackward0"

    @staticmethod
    def forward(ctx, x, alpha, scale, input_scale):
        out = Elu.forward(ctx, x, alpha, scale, input_scale)
        ctx.params = (alpha, scale, 1.0 / float(np.float32(alpha)))
        return out

    @staticmethod
    def jvp_rule(t, out, x, alpha, scale, input_scale):
        return EluGrad.forward(NULL_CTX, t[0], x, alpha, scale, 1.0 / float(np.float32(alpha)))


class EluInplace(Elu):
    node_name = "EluBackward1"

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        _inplace_slope_check("elu", ctx.params[0] < 0)
        return dual(EluGrad, g, x, *ctx.params)


class CeluInplace(EluInplace):
    node_name = "CeluBackward1"
    forward = staticmethod(Celu.forward)


class EluGrad(Primitive):
    """out = g * elu'(x);  dout/dg = elu'(x), dout/dx = g * elu''(x) with elu''(x) = scale alpha
    s^2 exp(s x) where x < 0, else 0: 0 at x = 0 (as torch)"""

    node_name = "EluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, alpha, scale, input_scale):
        ctx.save_for_backward(g, x)
        ctx.params = (alpha, scale, input_scale)
        k = alpha * scale * input_scale
        return g * np.where(x > 0, scale, np.exp(np.minimum(x, 0) * input_scale) * k)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        alpha, scale, s = ctx.params
        e = ctx._edges
        gg_g = dual(EluGrad, gg, x, alpha, scale, s) if e[0] is not None else None
        gg_x = None
        if e[1] is not None:
            neg = d.data(x) < 0
            gg_x = d.masked(gg * g * d.exp(d.where(neg, x, 0.0) * s), neg) * (alpha * scale * s * s)
        return gg_g, gg_x


# --- softplus and friends ----------------------------------------------------------------------


class Softplus(Primitive):
    """out = log(1 + exp(beta x)) / beta, or x where beta x > threshold;  dout/dx =
    sigmoid(beta x), or 1 where beta x > threshold (the smooth side at the threshold, as torch)"""

    node_name = "SoftplusBackward0"

    @staticmethod
    def forward(ctx, x, beta, threshold):
        ctx.save_for_backward(x)
        ctx.params = (beta, threshold)
        xb = x * beta
        with np.errstate(divide="ignore", invalid="ignore"):  # beta = 0: inf, as torch
            return np.where(xb > threshold, x, np.logaddexp(0, xb) / beta)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return dual(SoftplusGrad, g, x, *ctx.params)

    @staticmethod
    def jvp_rule(t, out, x, beta, threshold):
        return SoftplusGrad.forward(NULL_CTX, t[0], x, beta, threshold)


class SoftplusGrad(Primitive):
    """out = g * softplus'(x);  dout/dg = softplus'(x), dout/dx = g beta s (1 - s) where beta x <
    threshold, else 0 (s = sigmoid(beta x)): 0 at the threshold itself (as torch)"""

    node_name = "SoftplusBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, beta, threshold):
        ctx.save_for_backward(g, x)
        ctx.params = (beta, threshold)
        xb = x * beta
        return g * np.where(xb > threshold, 1, sigmoid(xb))

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        beta, threshold = ctx.params
        e = ctx._edges
        gg_g = dual(SoftplusGrad, gg, x, beta, threshold) if e[0] is not None else None
        gg_x = None
        if e[1] is not None:
            s = sigmoid(x * beta)
            gg_x = d.masked(gg * g * s * (1 - s), d.data(x) * beta < threshold) * beta
        return gg_g, gg_x


class LogSigmoid(Primitive):
    """out = log(sigmoid(x)) = min(x, 0) - log(1 + exp(-|x|));  dout/dx = sigmoid(-x)"""

    node_name = "LogSigmoidBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * sigmoid(-x)

    jvp_rule = staticmethod(lambda t, out, x: t[0] * sigmoid(-x))


class Silu(Primitive):
    """out = x sigmoid(x);  dout/dx = s (1 + x (1 - s)), s = sigmoid(x)"""

    node_name = "SiluBackward0"

    @staticmethod
    def forward(ctx, x):
        s = sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx, g):
        x, s = ctx.saved_tensors
        if d._t(x):  # the saved s is a constant: recompute it on the graph
            s = sigmoid(x)
        return g * s * (1 + x * (1 - s))

    @staticmethod
    def jvp_rule(t, out, x):
        s = sigmoid(x)
        return t[0] * s * (1 + x * (1 - s))


def _softplus(x: Any) -> Any:
    if d._t(x):
        return Softplus.apply(x, beta=1.0, threshold=20.0)  # as torch's mish double backward
    return np.logaddexp(0, x)


class Mish(Primitive):
    """out = x tanh(softplus(x));  dout/dx = t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x))"""

    node_name = "MishBackward0"

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * np.tanh(np.logaddexp(0, x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        t = tanh(_softplus(x))
        return g * (t + x * sigmoid(x) * (1 - t * t))

    @staticmethod
    def jvp_rule(t, out, x):
        ts = np.tanh(np.logaddexp(0, x))
        return t[0] * (ts + x * sigmoid(x) * (1 - ts * ts))


# --- gelu --------------------------------------------------------------------------------------


class Gelu(Primitive):
    """out = x Phi(x) (Phi: the normal CDF), or with approximate='tanh' x (1 + tanh(K (x + C
    x^3))) / 2;  dout/dx = Phi(x) + x phi(x), or its tanh counterpart"""

    node_name = "GeluBackward0"

    @staticmethod
    def forward(ctx, x, approximate):
        ctx.save_for_backward(x)
        ctx.approximate = approximate
        if approximate == "tanh":
            return 0.5 * x * (1 + np.tanh(_K * (x + _C * x * x * x)))
        return x * special.ndtr(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return dual(GeluGrad, g, x, ctx.approximate)

    @staticmethod
    def jvp_rule(t, out, x, approximate):
        return GeluGrad.forward(NULL_CTX, t[0], x, approximate)


def _gelu_derivatives(x: Any, approximate: str, second: bool) -> Any:
    """gelu'(x) (second=False) or gelu''(x), on arrays or Tensors."""
    if approximate == "tanh":
        x2 = x * x
        inner_d = _K * (1 + 3 * _C * x2)
        t = tanh(_K * (x + _C * x2 * x))
        sech2 = 1 - t * t
        if not second:
            return 0.5 * (1 + t) + 0.5 * x * sech2 * inner_d
        return sech2 * (inner_d + 3 * _K * _C * x2 - x * t * inner_d * inner_d)
    pdf = d.exp(x * x * -0.5) / _SQRT_2PI
    if not second:  # only GeluGrad's forward asks for it: arrays
        return special.ndtr(x) + x * pdf
    return pdf * (2 - x * x)


class GeluGrad(Primitive):
    """out = g * gelu'(x);  dout/dg = gelu'(x), dout/dx = g * gelu''(x), with gelu'' =
    phi(x) (2 - x^2) (exact) or the derivative of the tanh form"""

    node_name = "GeluBackwardBackward0"

    @staticmethod
    def forward(ctx, g, x, approximate):
        ctx.save_for_backward(g, x)
        ctx.approximate = approximate
        return g * _gelu_derivatives(x, approximate, False)

    @staticmethod
    def backward(ctx, gg):
        g, x = ctx.saved_tensors
        e, approx = ctx._edges, ctx.approximate
        gg_g = dual(GeluGrad, gg, x, approx) if e[0] is not None else None
        gg_x = gg * g * _gelu_derivatives(x, approx, True) if e[1] is not None else None
        return gg_g, gg_x
