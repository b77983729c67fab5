"""Black-box functions on NumPy arrays as differentiable ops with finite-difference gradients.

`numerical_function(f)` wraps `f(*arrays) -> array or float` so that it takes Tensors and
records a `NumericalBackward` node. Its backward estimates the vector-Jacobian product g^T J
one input element at a time, in float64 whatever the inputs' dtype:

* central (default): (f(x + eps e_j) - f(x - eps e_j)) / (2 eps); 2 calls to f per element of
  every input that needs a gradient; truncation error ~ eps**2 |f'''| / 6, rounding error
  ~ 1e-16 |f| / eps, so the default eps = 1e-6 gives about 1e-10 relative accuracy for a smooth
  f (the best eps is near 1e-16 ** (1/3), about 5e-6, scaled by |x|).
* forward: (f(x + eps e_j) - f(x)) / eps; 1 call per element plus one; error ~ eps |f''| / 2.

The gradient is an approximation, so the node says so in its name and the wrapper warns
(`ApproximateGradientWarning`, once per wrapped function) the first time it records one.
Its backward is not itself differentiable: differentiating a gradient that went through it
(double backward) raises, whether or not the incoming gradient requires grad.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from chainrule.autograd.function import Function, _wrap
from chainrule.autograd.grad_mode import is_grad_enabled, no_grad
from chainrule.tensor import Tensor

__all__ = ["ApproximateGradientWarning", "NumericalFunction", "numerical_function"]

METHODS = ("central", "forward")
_TENSOR = object()  # where a Tensor argument sits among the saved non-Tensor ones


class ApproximateGradientWarning(UserWarning):
    """A gradient in the graph is a numerical estimate, not an exact derivative."""


def _evaluate(f: Callable, arrays: list, kwargs: dict, name: str) -> np.ndarray:
    """f's value as a fresh array (f may return one of its inputs, which backward mutates)."""
    out = np.asarray(f(*arrays, **kwargs))
    if out.dtype.kind not in "biuf":
        raise TypeError(
            f"numerical_function: {name} must return a real array or number, got "
            f"{type(out).__name__} of dtype {out.dtype}"
        )
    return out


class _Numerical(Function):
    """out = f(*inputs);  d out / d input_j by finite differences of f (see the module doc)"""

    node_name = "NumericalBackward"

    @staticmethod
    def forward(ctx: Any, spec: NumericalFunction, *args: Any) -> Tensor:
        arrays = [a.data if isinstance(a, Tensor) else a for a in args]
        out = _evaluate(spec.f, arrays, spec._kwargs, spec.__name__)
        floats = [a.dtype for a in arrays if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
        dtype = np.result_type(*floats) if floats else np.dtype(np.float64)
        ctx.spec = spec
        ctx.others = [_TENSOR if isinstance(a, Tensor) else a for a in args]
        ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
        ctx.out_shape = out.shape
        return _wrap(out.astype(dtype, copy=False), None)

    @staticmethod
    def backward(ctx: Any, g: Tensor) -> tuple:
        tensors = ctx.saved_tensors
        with no_grad():
            grads = _vjp(ctx, g, tensors)
        tracked = [t for t in (g, *tensors) if isinstance(t, Tensor) and t.requires_grad]
        if not (is_grad_enabled() and tracked):
            return grads
        # create_graph: the gradients depend on g and on the inputs through f, which has no
        # derivative here; any attempt to differentiate them raises
        return tuple(None if d is None else _NoDerivative.apply(d, *tracked) for d in grads)


class _NoDerivative(Function):
    """out = g; differentiating out raises (a numerical gradient has no derivative)."""

    node_name = "DelayedError"
    _raw = True

    @staticmethod
    def forward(ctx: Any, g: np.ndarray, *_: Any) -> np.ndarray:
        return g.copy()

    @staticmethod
    def backward(ctx: Any, *_: Any) -> tuple:
        raise RuntimeError(
            "numerical_function gives first derivatives only: trying to differentiate a "
            "gradient computed by NumericalBackward (finite differences) a second time"
        )


def _vjp(ctx: Any, g: Tensor, tensors: tuple) -> tuple:
    """g^T J by finite differences, for every input that needs a gradient (arrays in float64)."""
    spec = ctx.spec
    it = iter(tensors)
    args = [next(it) if a is _TENSOR else a for a in ctx.others]
    needs = ctx.needs_input_grad[1:]
    # every float input in float64, copied: the differences perturb them in place
    x64 = [
        np.array(a.data, dtype=np.float64)
        if isinstance(a, Tensor) and a.data.dtype.kind == "f"
        else (a.data if isinstance(a, Tensor) else a)
        for a in args
    ]
    gv = np.asarray(g.data, dtype=np.float64)
    base = None
    if spec.method == "forward" and any(needs):
        base = spec._value64(x64, ctx.out_shape)
    grads: list[Any] = []
    for i, need in enumerate(needs):
        if not need:
            grads.append(None)
            continue
        flat = x64[i].reshape(-1)  # a view: writing into it perturbs x64[i]
        vjp = np.empty(flat.size)
        for j in range(flat.size):
            xj = flat[j]
            flat[j] = xj + spec.eps
            hi = spec._value64(x64, ctx.out_shape)
            if base is None:
                flat[j] = xj - spec.eps
                lo = spec._value64(x64, ctx.out_shape)
                step = 2 * spec.eps
            else:
                lo, step = base, spec.eps
            flat[j] = xj
            vjp[j] = np.sum(gv * (hi - lo)) / step
        grads.append(_wrap(vjp.reshape(x64[i].shape).astype(args[i].data.dtype), None))
    return (None, *grads)


class NumericalFunction:
    """A black-box NumPy function made a chainrule op whose gradient is a finite-difference
    estimate; build it with `numerical_function`."""

    def __init__(
        self, f: Callable, eps: float, method: str, warn: bool, kwargs: dict | None = None
    ) -> None:
        self.f, self.eps, self.method, self.warn = f, eps, method, warn
        self.__name__ = getattr(f, "__name__", type(f).__name__)
        self._kwargs = kwargs or {}
        self._warned = False
        functools.update_wrapper(self, f, updated=())

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        """f on the arrays of the Tensor arguments (other arguments pass as given)."""
        spec = (
            self if not kwargs else NumericalFunction(self.f, self.eps, self.method, False, kwargs)
        )
        if (
            self.warn
            and not self._warned
            and is_grad_enabled()
            and any(isinstance(a, Tensor) and a.requires_grad for a in args)
        ):
            self._warned = True
            warnings.warn(
                ApproximateGradientWarning(
                    f"{self.__name__}: gradients through numerical_function are "
                    f"finite-difference estimates ({self.method} differences, eps={self.eps}), "
                    "not exact derivatives; each backward calls the function "
                    f"{'2 *' if self.method == 'central' else '1 +'} numel(inputs) times"
                ),
                stacklevel=2,
            )
        return _Numerical.apply(spec, *args)

    def _value64(self, arrays: list, shape: tuple) -> np.ndarray:
        out = _evaluate(self.f, arrays, self._kwargs, self.__name__).astype(np.float64)
        if out.shape != shape:
            raise RuntimeError(
                f"numerical_function: {self.__name__} returned shape {list(out.shape)} for a "
                f"perturbed input, but {list(shape)} in forward; its output shape must not "
                "depend on the input values"
            )
        return out

    def __repr__(self) -> str:
        return (
            f"numerical_function({self.__name__}, eps={self.eps}, method={self.method!r}, "
            f"warn={self.warn})"
        )


def numerical_function(
    f: Callable | None = None, eps: float = 1e-6, method: str = "central", *, warn: bool = True
) -> Any:
    """Wrap `f(*arrays) -> array or float` as a differentiable op with finite-difference
    gradients (usable as a decorator, with or without arguments)."""
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating, np.integer)):
        raise TypeError(f"numerical_function: eps must be a number, got {type(eps).__name__}")
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"numerical_function: eps must be a positive finite number, got {eps}")
    if method not in METHODS:
        raise ValueError(
            f"numerical_function: method must be one of {list(METHODS)}, got {method!r}"
        )
    if f is None:
        return functools.partial(numerical_function, eps=eps, method=method, warn=warn)
    if not callable(f):
        raise TypeError(f"numerical_function: expected a callable, got {type(f).__name__}")
    return NumericalFunction(f, float(eps), method, bool(warn))
