"""Straight-through estimators: a hard forward, a chosen derivative in backward.

Every estimator here is one node (`SurrogateGrad`): forward is the hard function exactly
(no `x + (h - x).detach()` rounding), backward multiplies the incoming gradient by a
derivative computed from the saved input with chainrule ops, so `create_graph=True` works.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import chainrule
from chainrule.autograd.function import Function
from chainrule.tensor import Tensor

Derivative = Callable[[Tensor], Tensor]


class SurrogateGrad(Function):
    """out = forward_fn(x);  dout/dx = derivative(x)  (identity when derivative is None)"""

    @staticmethod
    def forward(ctx: Any, x: Tensor, forward_fn: Callable, derivative: Derivative | None) -> Any:
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)
        ctx.derivative = derivative
        return forward_fn(x)

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor) -> tuple:
        (x,) = ctx.saved_tensors
        if ctx.derivative is None:
            return grad_out, None, None
        return grad_out * ctx.derivative(x), None, None

    @staticmethod
    def jvp(ctx: Any, x_t: Tensor, *_: Any) -> Tensor:
        (x,) = ctx.saved_tensors
        return x_t if ctx.derivative is None else x_t * ctx.derivative(x)


def _clipped(x: Tensor) -> Tensor:
    """1 where |x| <= 1, else 0 (the clipped identity, |x| = 1 included)."""
    return (x.abs() <= 1).to(x.dtype)


_BACKWARDS: dict[str, Derivative | None] = {"identity": None, "clipped": _clipped}


def straight_through(
    forward_fn: Callable[[Tensor], Tensor], backward: str | Derivative = "identity"
) -> Callable[[Tensor], Tensor]:
    """A function computing forward_fn(x) whose gradient is `backward`'s derivative at x.

    backward: 'identity' (dy/dx = 1), 'clipped' (dy/dx = 1 where |x| <= 1, else 0), or a
    callable taking x and returning dy/dx elementwise (written in chainrule ops for
    create_graph to differentiate it).
    """
    if callable(backward):
        derivative = backward
    elif backward in _BACKWARDS:
        derivative = _BACKWARDS[backward]
    else:
        raise ValueError(
            f"straight_through: backward must be 'identity', 'clipped' or a callable, "
            f"got {backward!r}"
        )

    def estimator(x: Tensor) -> Tensor:
        return SurrogateGrad.apply(x, forward_fn, derivative)

    estimator.__name__ = f"{getattr(forward_fn, '__name__', 'fn')}_ste"
    return estimator


def step(x: Tensor, values: Any = 0.0) -> Tensor:
    """Heaviside step in x's dtype: 1 for x > 0, 0 for x < 0, `values` at x == 0 (as
    torch.heaviside; NaN stays NaN)."""
    hard = (x > 0).to(x.dtype)
    if isinstance(values, Tensor):
        values = values.detach().to(x.dtype)
    out = chainrule.where(x == 0, values, hard)
    return chainrule.where(x != x, x, out)


def round_ste(input: Tensor) -> Tensor:
    """torch.round (half to even) forward; identity gradient."""
    return SurrogateGrad.apply(input, chainrule.round, None)


def floor_ste(input: Tensor) -> Tensor:
    """torch.floor forward; identity gradient."""
    return SurrogateGrad.apply(input, chainrule.floor, None)


def sign_ste(input: Tensor) -> Tensor:
    """torch.sign forward (sign(0) = 0); identity gradient."""
    return SurrogateGrad.apply(input, chainrule.sign, None)


def heaviside_ste(input: Tensor, values: Any = 0.0) -> Tensor:
    """Step forward (1 for x > 0, `values` at 0, 0 below); identity gradient."""
    return SurrogateGrad.apply(input, lambda x: step(x, values), None)


def _binary(x: Tensor) -> Tensor:
    return chainrule.where(x >= 0, 1.0, -1.0).to(x.dtype)


def binarize(input: Tensor) -> Tensor:
    """BinaryConnect binarisation: +1 for x >= 0 (so +1 at 0), -1 below; gradient 1 where
    |x| <= 1, else 0 (Courbariaux et al. 2016)."""
    return SurrogateGrad.apply(input, _binary, _clipped)


def quantize_ste(input: Tensor, bits: int = 8, range: tuple[float, float] = (0.0, 1.0)) -> Tensor:
    """Uniform fake quantisation to 2**bits levels spanning `range` = (lo, hi), with a
    straight-through gradient, as torch.fake_quantize_per_tensor_affine.

    q = lo + step * clamp(round((x - lo) / step), 0, 2**bits - 1),  step = (hi - lo) / (2**bits - 1)
    dq/dx = 1 where round((x - lo) / step) lies in [0, 2**bits - 1] (x within half a step of
    the range), else 0.
    """
    if int(bits) != bits or bits < 1:
        raise ValueError(f"quantize_ste: bits must be a positive integer, got {bits!r}")
    lo, hi = (float(r) for r in range)
    if not hi > lo:
        raise ValueError(f"quantize_ste: range must satisfy lo < hi, got {range!r}")
    top = 2 ** int(bits) - 1
    scale = (hi - lo) / top

    def index(x: Tensor) -> Tensor:
        return chainrule.round((x - lo) / scale)

    def forward(x: Tensor) -> Tensor:
        return index(x).clamp(0, top) * scale + lo

    def derivative(x: Tensor) -> Tensor:
        k = index(x.detach())
        return ((k >= 0) & (k <= top)).to(x.dtype)

    return SurrogateGrad.apply(input, forward, derivative)
