"""Sampling: normal bernoulli multinomial, and the in-place fills uniform_ normal_ bernoulli_
exponential_ random_.

Samples come from NumPy's PCG64 streams (chainrule.manual_seed / Generator), not torch's, so
values differ from torch's for the same seed; distributions, shapes, dtypes and errors do not.
As in torch, a sample is differentiable with a zero gradient with respect to the parameters
(a score-function or reparameterised estimator is what gives a useful one: chainrule.nondiff,
chainrule.distributions).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule import _dtype
from chainrule.autograd.function import _wrap
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive, shape_arg
from chainrule.ops.creation import Generator, _gen
from chainrule.ops.inplace import copy_
from chainrule.tensor import Tensor

__all__ = ["normal", "bernoulli", "multinomial", "poisson"]


class _Sample(Primitive):
    """out = a sample drawn from the parameters;  dout/dparam = 0 (torch's convention)"""

    @staticmethod
    def forward(ctx, *params, draw):
        ctx.shapes = [(p.shape, p.dtype) for p in params]
        return draw(*params)

    @staticmethod
    def backward(ctx, g):
        zeros = tuple(d.const(g, np.zeros(s, dt)) for s, dt in ctx.shapes)
        return zeros if len(zeros) > 1 else zeros[0]


def _sampler(name: str) -> type:
    return type(f"{name}Sample", (_Sample,), {"node_name": name})


_NORMAL = {(True, False): _sampler("NormalBackward1"), (False, True): _sampler("NormalBackward2"),
           (True, True): _sampler("NormalBackward3")}  # fmt: skip
_Bernoulli = _sampler("BernoulliBackward0")
_Poisson = _sampler("PoissonBackward0")


def _float_of(*values: Any) -> np.dtype:
    for v in values:
        if isinstance(v, Tensor):
            if v.data.dtype.kind != "f":
                raise _dtype.kernel_error("normal_kernel_cpu", v.data.dtype)
            return v.data.dtype
    return _dtype.DEFAULT_FLOAT


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Generator | None = None,
           dtype: Any = None, requires_grad: bool = False, **_: Any) -> Tensor:
    """Samples of N(mean, std^2), broadcasting tensor mean/std; `size` for float mean and std."""
    rng = _gen(generator)
    tensors = (isinstance(mean, Tensor), isinstance(std, Tensor))
    if not any(tensors):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: a float mean "
                            "and std need a size")
        if std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
        dt = _dtype.to_np(dtype) if dtype is not None else _dtype.DEFAULT_FLOAT
        arr = (mean + std * rng.standard_normal(shape_arg((size,)))).astype(dt)
        t = _wrap(arr, None)
        if requires_grad:
            t.requires_grad = True
        return t
    dt = _float_of(mean, std)
    if not tensors[1] and std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if tensors[1] and (std.data < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")

    def draw(*params: np.ndarray) -> np.ndarray:
        it = iter(params)
        m = next(it) if tensors[0] else mean
        s = next(it) if tensors[1] else std
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        return (m + s * rng.standard_normal(shape)).astype(dt)

    params = [p for p in (mean, std) if isinstance(p, Tensor)]
    return _NORMAL[tensors].apply(*params, draw=draw)


def bernoulli(input: Tensor, p: float | None = None, *,  # noqa: A002 - torch's name
              generator: Generator | None = None, **_: Any) -> Tensor:
    """1 with probability `input` (or `p`), else 0, in input's dtype."""
    rng = _gen(generator)
    probs = input.data if p is None else np.full(input.data.shape, p)
    if probs.size and (np.isnan(probs).any() or probs.min() < 0 or probs.max() > 1):
        nan = " and NaN" if np.isnan(probs).any() else ""
        raise RuntimeError(
            "bernoulli: every probability must lie in [0, 1], got values in "
            f"[{np.nanmin(probs)}, {np.nanmax(probs)}]{nan}"
        )
    dt = input.data.dtype
    return _Bernoulli.apply(input, draw=lambda x: (rng.random(x.shape) < probs).astype(dt))


def poisson(input: Tensor, generator: Generator | None = None) -> Tensor:  # noqa: A002
    """Samples of Poisson(rate = input), in input's dtype."""
    rng = _gen(generator)
    if (input.data < 0).any():
        raise RuntimeError("poisson: every rate must be >= 0")
    return _Poisson.apply(input, draw=lambda x: rng.poisson(x).astype(x.dtype))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator: Generator | None = None, **_: Any) -> Tensor:
    """Indices drawn from the rows of `input` (unnormalised probabilities): int64, no grad."""
    w = input.data
    if w.ndim not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim, got a {w.ndim}-d tensor")
    if w.dtype.kind != "f":
        raise _dtype.kernel_error("multinomial", w.dtype)
    if not np.isfinite(w).all() or (w < 0).any():
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples (got {num_samples})")
    if not replacement and num_samples > w.shape[-1]:
        raise RuntimeError(
            f"cannot sample n_sample > prob_dist.size(-1) samples without replacement "
            f"({num_samples} > {w.shape[-1]})"
        )
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    sums = rows.sum(-1, keepdims=True)
    if (sums <= 0).any():
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    rng = _gen(generator)
    out = np.empty((len(rows), num_samples), np.int64)
    for i, row in enumerate(rows):
        if replacement:
            out[i] = rng.choice(len(row), num_samples, replace=True, p=row / sums[i])
        else:
            # Gumbel-top-k: sampling without replacement in proportion to the weights
            with np.errstate(divide="ignore"):
                keys = np.log(row) - np.log(-np.log(rng.random(len(row))))
            out[i] = np.argsort(-keys, kind="stable")[:num_samples]
    return _wrap(out.reshape(*w.shape[:-1], num_samples), None)


# --- in-place fills: the values are new, the history is a fill (zero gradient), as torch --------


def _check_float(t: Tensor, kernel: str) -> np.dtype:
    if t.data.dtype.kind != "f":
        raise _dtype.kernel_error(kernel, t.data.dtype)
    return t.data.dtype


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *,
             generator: Generator | None = None) -> Tensor:
    """Fill with samples of U[from_, to)."""
    dt = _check_float(self, "check_uniform_bounds")
    if from_ > to:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={from_:f} > to={to:f}"
        )
    u = _gen(generator).random(self.data.shape)
    return copy_(self, (from_ + (to - from_) * u).astype(dt))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Generator | None = None) -> Tensor:
    """Fill with samples of N(mean, std^2)."""
    dt = _check_float(self, "normal_kernel_cpu")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    z = _gen(generator).standard_normal(self.data.shape)
    return copy_(self, (mean + std * z).astype(dt))


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Generator | None = None) -> Tensor:
    """Fill with 1 with probability p (a number or a tensor of probabilities), else 0."""
    probs = p.data if isinstance(p, Tensor) else p
    if np.any(np.asarray(probs) < 0) or np.any(np.asarray(probs) > 1):
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    u = _gen(generator).random(self.data.shape)
    return copy_(self, (u < probs).astype(self.data.dtype))


def exponential_(self: Tensor, lambd: float = 1.0, *,
                 generator: Generator | None = None) -> Tensor:
    """Fill with samples of Exponential(rate = lambd)."""
    dt = _check_float(self, "exponential_cpu")
    if lambd <= 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    e = _gen(generator).exponential(1.0 / lambd, self.data.shape)
    return copy_(self, e.astype(dt))


def random_(self: Tensor, from_: int = 0, to: int | None = None, *,
            generator: Generator | None = None) -> Tensor:
    """Fill with integers uniform on [from_, to) (one argument: [0, from_))."""
    if to is None:
        from_, to = 0, from_
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} "
                           f">= to={to}")
    vals = _gen(generator).integers(from_, to, self.data.shape)
    return copy_(self, vals.astype(self.data.dtype))


METHODS = {
    "bernoulli": bernoulli, "multinomial": multinomial, "uniform_": uniform_,
    "normal_": normal_, "bernoulli_": bernoulli_, "exponential_": exponential_,
    "random_": random_,
}  # fmt: skip
