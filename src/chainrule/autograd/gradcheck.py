"""Finite-difference checks of analytic gradients: gradcheck and gradgradcheck (float64)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from chainrule.tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytic and numerical Jacobians disagree."""


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _is_tensor(x: Any) -> bool:
    from chainrule.tensor import Tensor  # late: this module loads with chainrule.autograd

    return isinstance(x, Tensor)


def _tensor(arr: Any, requires_grad: bool = False) -> Tensor:
    from chainrule.tensor import Tensor

    return Tensor(arr, requires_grad=requires_grad)


def _outputs(fn: Callable, inputs: tuple) -> list[Tensor]:
    return [o for o in _as_tuple(fn(*inputs)) if _is_tensor(o)]


def _numerical(fn: Callable, inputs: tuple, i: int, outs: list, eps: float) -> list[np.ndarray]:
    """d(out_k)/d(inputs[i]) by central differences: one (out.size, in.size) matrix per output."""
    x = inputs[i].data
    jac = [np.zeros((o.data.size, x.size)) for o in outs]
    flat = x.reshape(-1)  # a view: perturb in place
    for j in range(x.size):
        orig = flat[j].item()
        # fn runs with grad mode as the caller has it: gradgradcheck's fn differentiates inside
        flat[j] = orig + eps
        plus = [o.data.astype(np.float64).ravel() for o in _outputs(fn, inputs)]
        flat[j] = orig - eps
        minus = [o.data.astype(np.float64).ravel() for o in _outputs(fn, inputs)]
        flat[j] = orig
        for k in range(len(outs)):
            jac[k][:, j] = (plus[k] - minus[k]) / (2 * eps)
    return jac


def _analytical(outs: list, inputs: tuple, diff: list[int]) -> list[list[np.ndarray]]:
    """jac[k][n]: d(out_k)/d(inputs[diff[n]]) row by row through autograd.grad."""
    from chainrule.autograd.engine import grad

    jac = [[np.zeros((o.data.size, inputs[i].data.size)) for i in diff] for o in outs]
    for k, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for r in range(o.data.size):
            seed = np.zeros(o.data.size, o.data.dtype)
            seed[r] = 1
            gs = grad(o, [inputs[i] for i in diff], _tensor(seed.reshape(o.data.shape)),
                      retain_graph=True, allow_unused=True)
            for n, g in enumerate(gs):
                if g is not None:
                    jac[k][n][r, :] = g.data.ravel()
    return jac


def gradcheck(
    func: Callable[..., Any],
    inputs: Any,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    **_: Any,
) -> bool:
    """Compare autograd's Jacobian of `func` at `inputs` with central finite differences.

    Inputs that require grad should be float64. On a mismatch, raises GradcheckError naming
    the input index, the output index, the worst element, and both values (or returns False
    when `raise_exception=False`).
    """
    inputs = _as_tuple(inputs)
    diff = [i for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]
    for i in diff:
        if inputs[i].data.dtype != np.float64:
            import warnings

            warnings.warn(
                f"Input {i} of gradcheck is {inputs[i].dtype!r}, not float64: finite "
                "differences will be imprecise.",
                UserWarning,
                stacklevel=2,
            )
    outs = _outputs(func, inputs)
    analytic = _analytical(outs, inputs, diff)
    for n, i in enumerate(diff):
        numeric = _numerical(func, inputs, i, outs, eps)
        for k in range(len(outs)):
            a, num = analytic[k][n], numeric[k]
            bad = ~np.isclose(a, num, rtol=rtol, atol=atol, equal_nan=True)
            if bad.any():
                err = np.where(bad, np.abs(a - num), -1.0)
                r, c = np.unravel_index(np.nanargmax(err), err.shape)
                msg = (
                    f"Jacobian mismatch for output {k} with respect to input {i}: worst at "
                    f"output element {r}, input element {c}: analytical {float(a[r, c]):.6g} "
                    f"vs numerical {float(num[r, c]):.6g} ({int(bad.sum())} of {bad.size} "
                    "entries differ; "
                    f"atol={atol}, rtol={rtol})"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def gradgradcheck(
    func: Callable[..., Any],
    inputs: Any,
    grad_outputs: Sequence[Tensor] | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
    **_: Any,
) -> bool:
    """gradcheck of the first derivative: checks second-order gradients (create_graph)."""
    from chainrule.autograd.engine import grad

    inputs = _as_tuple(inputs)
    diff = [i for i, t in enumerate(inputs) if _is_tensor(t) and t.requires_grad]
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(seed)
        grad_outputs = [_tensor(rng.standard_normal(o.data.shape), requires_grad=True)
                        for o in outs]
    grad_outputs = list(_as_tuple(grad_outputs))
    n_in = len(inputs)

    def first_derivative(*args: Any) -> tuple:
        ins, gos = args[:n_in], args[n_in:]
        o = [t for t in _outputs(func, ins) if t.requires_grad]
        gs = grad(o, [ins[i] for i in diff], list(gos[: len(o)]), create_graph=True,
                  allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
