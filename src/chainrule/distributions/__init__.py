"""Probability distributions with torch.distributions' API: parameters, sampling from
chainrule's generator, log-densities and closed-form KL divergences, differentiable through
chainrule's autograd."""

from chainrule.distributions import constraints
from chainrule.distributions.bernoulli import Bernoulli
from chainrule.distributions.beta import Beta
from chainrule.distributions.categorical import Categorical, OneHotCategorical
from chainrule.distributions.distribution import Distribution, ExponentialFamily
from chainrule.distributions.kl import kl_divergence, register_kl
from chainrule.distributions.normal import Normal
from chainrule.distributions.relaxed import (
    ExpRelaxedCategorical,
    LogitRelaxedBernoulli,
    RelaxedBernoulli,
    RelaxedOneHotCategorical,
)
from chainrule.distributions.uniform import Uniform

__all__ = [
    "Bernoulli",
    "Beta",
    "Categorical",
    "Distribution",
    "ExpRelaxedCategorical",
    "ExponentialFamily",
    "LogitRelaxedBernoulli",
    "Normal",
    "OneHotCategorical",
    "RelaxedBernoulli",
    "RelaxedOneHotCategorical",
    "Uniform",
    "constraints",
    "kl_divergence",
    "register_kl",
]
