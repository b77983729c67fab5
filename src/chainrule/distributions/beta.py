"""Beta(concentration1, concentration0), as torch.distributions.Beta (which torch builds on a
two-category Dirichlet; its values and validation errors are reproduced here)."""

from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np
import scipy.special as sc

from chainrule.distributions import constraints
from chainrule.distributions.distribution import (
    Distribution,
    ExponentialFamily,
    broadcast_all,
    rng,
)
from chainrule.ops import _dual as d
from chainrule.ops._util import Primitive
from chainrule.ops.arithmetic import where
from chainrule.ops.creation import tensor
from chainrule.ops.erf_gamma import digamma, lgamma
from chainrule.ops.joining import stack
from chainrule.ops.special_binary import xlogy
from chainrule.tensor import Size, Tensor

__all__ = ["Beta"]


def _d_betainc(x: np.ndarray, a: np.ndarray, b: np.ndarray, wrt_a: bool) -> np.ndarray:
    """dI_x(a, b)/da (or /db) by a fourth-order central difference in the parameter."""
    p = a if wrt_a else b
    h = 1e-3 * p  # relative step: truncation ~(h/p)**4, rounding ~1e-13

    def f(q: np.ndarray) -> np.ndarray:
        return sc.betainc(q, b, x) if wrt_a else sc.betainc(a, q, x)

    return (-f(p + 2 * h) + 8 * f(p + h) - 8 * f(p - h) + f(p - 2 * h)) / (12 * h)


def beta_sample_grad(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple:
    """(dx/da, dx/db) of a Beta(a, b) sample x at fixed CDF: -(dF/dparam) / pdf(x)."""
    x, a, b = (np.asarray(v, dtype=np.float64) for v in (x, a, b))
    log_pdf = sc.xlogy(a - 1, x) + sc.xlog1py(b - 1, -x) - sc.betaln(a, b)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        pdf = np.exp(log_pdf)
        return -_d_betainc(x, a, b, True) / pdf, -_d_betainc(x, a, b, False) / pdf


class BetaSample(Primitive):
    """out ~ Beta(a, b);  dout/da, dout/db by implicit reparameterisation (CDF held fixed)."""

    node_name = "BetaSampleBackward"

    @staticmethod
    def forward(ctx, a, b):
        x = rng().beta(a.astype(np.float64), b.astype(np.float64))
        fi = np.finfo(a.dtype)
        x = np.clip(x, fi.tiny, 1 - fi.eps).astype(a.dtype)
        ctx.save_for_backward(x, a, b)
        return x

    @staticmethod
    def backward(ctx, g):
        # once differentiable, as torch's _Dirichlet: the sample's gradient is a constant here
        x, a, b = (v.data if isinstance(v, Tensor) else v for v in ctx.saved_tensors)
        ga, gb = beta_sample_grad(x, a, b)
        return g * d.const(g, ga.astype(x.dtype)), g * d.const(g, gb.astype(x.dtype))


class _Dirichlet(Distribution):
    """The two-category Dirichlet torch's Beta wraps: its validation errors and formulas."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        self.concentration = concentration
        shape = concentration.shape
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def __repr__(self) -> str:
        return "Dirichlet" + super().__repr__()[len("_Dirichlet") :]


class Beta(ExponentialFamily):
    """The beta distribution on [0, 1] with concentrations (alpha, beta)."""

    arg_constraints = {
        "concentration1": constraints.positive,
        "concentration0": constraints.positive,
    }
    support = constraints.unit_interval
    has_rsample = True

    def __init__(
        self,
        concentration1: Tensor | float,
        concentration0: Tensor | float,
        validate_args: bool | None = None,
    ) -> None:
        if isinstance(concentration1, Number) and isinstance(concentration0, Number):
            both = tensor([float(concentration1), float(concentration0)])
        else:
            c1, c0 = broadcast_all(concentration1, concentration0)
            both = stack([c1, c0], -1)
        self._dirichlet = _Dirichlet(both, validate_args=validate_args)
        super().__init__(self._dirichlet._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Beta:
        new = self._get_checked_instance(Beta, _instance)
        batch_shape = Size(batch_shape)
        conc = self._dirichlet.concentration.expand(tuple(batch_shape) + (2,))
        new._dirichlet = _Dirichlet(conc, validate_args=False)
        return self._finish_expand(new, Beta, batch_shape)

    @property
    def concentration1(self) -> Tensor:
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self) -> Tensor:
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        conc = self._dirichlet.concentration
        cm1 = (conc - 1).clamp(min=0.0)
        with np.errstate(invalid="ignore"):  # 0/0 where both are below 1, replaced below
            mode = cm1 / cm1.sum(-1, keepdim=True)
        # both below 1: the mode is the vertex argmax picks (index 0 on NaN, as torch)
        both_small = tensor((conc.data < 1).all(-1))
        vertex = tensor((np.argmax(mode.data, -1) == 0).astype(conc.data.dtype))
        return where(both_small, vertex, mode[..., 0])

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A Beta sample, differentiable in both concentrations (implicit reparameterisation)."""
        shape = self._extended_shape(sample_shape)
        return BetaSample.apply(
            self.concentration1.expand(shape), self.concentration0.expand(shape)
        )

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        conc = self._dirichlet.concentration
        heads_tails = stack([value, 1.0 - value], -1)
        return xlogy(conc - 1.0, heads_tails).sum(-1) + lgamma(conc.sum(-1)) - lgamma(conc).sum(-1)

    def entropy(self) -> Tensor:
        conc = self._dirichlet.concentration
        a0 = conc.sum(-1)
        return (
            lgamma(conc).sum(-1)
            - lgamma(a0)
            - (2 - a0) * digamma(a0)
            - ((conc - 1.0) * digamma(conc)).sum(-1)
        )
