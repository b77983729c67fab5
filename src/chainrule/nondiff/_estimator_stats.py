"""Diagnostics for stochastic gradient estimators: draw many single-sample gradient estimates
on a small problem whose exact gradient can be enumerated, and report each estimator's mean,
bias (with a standard error and a 95% interval), and variance; compare several in one table.

An *estimator* is a callable `estimator(params) -> Tensor` returning surrogate objectives whose
gradient estimates d E[f] / d params (the gradient of the expectation itself, not of a loss).
By default (`vectorized=True`) each parameter arrives replicated along a new leading dimension
of size m, one independent copy per sample, and the estimator returns m surrogates of shape
(m,) in which row i uses only copy i: one backward then yields all m single-sample estimates.
With `vectorized=False` it receives the parameters as given and returns one scalar per call.

`toy_problem('bernoulli'|'categorical')` gives ready-made problems with built-in estimators
(exact enumeration, REINFORCE with and without a baseline, Gumbel-softmax soft and
straight-through at several temperatures); `ToyProblem.compare` prints their table.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TextIO

import numpy as np

import chainrule
from chainrule.tensor import Tensor

Estimator = Callable[[list[Tensor]], Tensor]


@dataclass
class EstimatorStats:
    """Summary of n single-sample gradient estimates; arrays are flattened and concatenated
    over the parameters in order. bias/std_error/ci/z are None when no exact gradient was given.
    """

    name: str
    n_samples: int
    mean: np.ndarray
    variance: np.ndarray  # per-coordinate sample variance (ddof=1) of one estimate
    total_variance: float  # sum of the per-coordinate variances (trace of the covariance)
    std_error: np.ndarray  # standard error of the mean estimate: sqrt(variance / n)
    exact: np.ndarray | None = None
    bias: np.ndarray | None = None  # mean - exact
    ci_low: np.ndarray | None = None  # 95% confidence interval for the bias
    ci_high: np.ndarray | None = None
    z: np.ndarray | None = None  # bias / std_error per coordinate

    @property
    def bias_norm(self) -> float:
        """Euclidean norm of the bias (nan without an exact gradient)."""
        return math.nan if self.bias is None else float(np.linalg.norm(self.bias))

    @property
    def max_abs_z(self) -> float:
        """Largest |bias| / standard error over coordinates (nan without an exact gradient)."""
        return math.nan if self.z is None else float(np.max(np.abs(self.z), initial=0.0))

    def is_biased(self, z_threshold: float = 4.0) -> bool:
        """Whether some coordinate's bias lies more than z_threshold standard errors from 0."""
        if self.z is None:
            raise ValueError(f"{self.name}: bias needs the exact gradient (`exact=`)")
        return self.max_abs_z > z_threshold

    def as_record(self) -> dict[str, Any]:
        """A plain dict (lists instead of arrays) with the derived figures added."""
        record = {
            k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in asdict(self).items()
        }
        record.update(bias_norm=self.bias_norm, max_abs_z=self.max_abs_z)
        if self.z is not None:
            record["biased"] = self.is_biased()
        return record


def _as_arrays(params: Any) -> list[np.ndarray]:
    if isinstance(params, (Tensor, np.ndarray)):
        params = [params]
    return [np.asarray(p.detach().numpy() if isinstance(p, Tensor) else p) for p in params]


def _flat(grads: Sequence[Any]) -> np.ndarray:
    return np.concatenate([np.asarray(g, dtype=np.float64).reshape(-1) for g in grads])


def _exact_flat(exact: Any, params: list[np.ndarray]) -> np.ndarray:
    value = exact([chainrule.tensor(p) for p in params]) if callable(exact) else exact
    if isinstance(value, (Tensor, np.ndarray, int, float)):
        value = [value]
    arrays = [v.detach().numpy() if isinstance(v, Tensor) else v for v in value]
    flat = _flat(arrays)
    size = sum(p.size for p in params)
    if flat.size != size:
        raise ValueError(f"exact gradient has {flat.size} entries, the parameters have {size}")
    return flat


def _vectorized_grads(estimator: Estimator, params: list[np.ndarray], m: int) -> np.ndarray:
    """(m, P): row i is the single-sample estimate from copy i of the parameters."""
    leaves = [
        chainrule.tensor(np.broadcast_to(p, (m,) + p.shape).copy(), requires_grad=True)
        for p in params
    ]
    out = estimator(leaves)
    if tuple(out.shape) != (m,):
        raise ValueError(
            f"a vectorized estimator must return shape ({m},) (one surrogate per parameter "
            f"copy), got {tuple(out.shape)}"
        )
    grads = chainrule.autograd.grad(out.sum(), leaves, allow_unused=True)
    cols = [
        np.zeros((m, p.size)) if g is None else g.detach().numpy().reshape(m, -1)
        for g, p in zip(grads, params, strict=True)
    ]
    return np.concatenate(cols, axis=1).astype(np.float64)


def _looped_grads(estimator: Estimator, params: list[np.ndarray], n: int) -> np.ndarray:
    rows = []
    for _ in range(n):
        leaves = [chainrule.tensor(p.copy(), requires_grad=True) for p in params]
        grads = chainrule.autograd.grad(estimator(leaves), leaves, allow_unused=True)
        grads = [np.zeros(p.shape) if g is None else g.numpy() for g, p in zip(grads, params)]
        rows.append(_flat(grads))
    return np.stack(rows)


def sample_gradients(
    estimator: Estimator,
    params: Any,
    n_samples: int,
    *,
    seed: int | None = None,
    vectorized: bool = True,
    batch_size: int = 4096,
) -> np.ndarray:
    """(n_samples, P) single-sample gradient estimates, flattened over the parameters."""
    arrays = _as_arrays(params)
    if seed is not None:
        chainrule.manual_seed(seed)
    if not vectorized:
        return _looped_grads(estimator, arrays, n_samples)
    chunks, left = [], n_samples
    while left > 0:
        m = min(left, batch_size)
        chunks.append(_vectorized_grads(estimator, arrays, m))
        left -= m
    return np.concatenate(chunks)


def estimator_stats(
    estimator: Estimator,
    params: Any,
    n_samples: int,
    exact: Any = None,
    *,
    seed: int | None = None,
    name: str = "estimator",
    vectorized: bool = True,
    batch_size: int = 4096,
) -> EstimatorStats:
    """Mean, variance and (given `exact`) bias with standard error and 95% interval of
    `n_samples` single-sample estimates of d E[f] / d params.

    params: a Tensor/array or a sequence of them (values only; copies are differentiated).
    exact: the exact gradient(s) as arrays/Tensors, or a callable taking the parameters as a
    list of Tensors and returning them. `seed` seeds chainrule's generator first, so runs are
    reproducible; `batch_size` bounds the copies per vectorized call."""
    if n_samples < 2:
        raise ValueError(f"estimator_stats: n_samples must be at least 2, got {n_samples}")
    arrays = _as_arrays(params)
    grads = sample_gradients(
        estimator, arrays, n_samples, seed=seed, vectorized=vectorized, batch_size=batch_size
    )
    mean = grads.mean(0)
    var = grads.var(0, ddof=1)
    se = np.sqrt(var / n_samples)
    stats = EstimatorStats(name, n_samples, mean, var, float(var.sum()), se)
    if exact is not None:
        target = _exact_flat(exact, arrays)
        bias = mean - target
        # a zero-variance estimator (exact enumeration) has only rounding error for bias
        tol = 1e-12 * max(1.0, float(np.abs(target).max(initial=0.0)))
        safe_se = np.where(se > 0, se, np.inf)
        z = np.where(np.abs(bias) <= tol, 0.0, bias / safe_se)
        z = np.where((se == 0) & (np.abs(bias) > tol), np.inf, z)
        stats.exact, stats.bias, stats.z = target, bias, z
        stats.ci_low, stats.ci_high = bias - 1.96 * se, bias + 1.96 * se
    return stats


def format_table(stats: Sequence[EstimatorStats]) -> str:
    """A plain-text table: one row per estimator."""
    header = f"{'estimator':<24} {'|bias|':>10} {'max|z|':>8} {'total var':>11} {'biased':>7}"
    lines = [header, "-" * len(header)]
    for s in stats:
        biased = "" if s.z is None else ("yes" if s.is_biased() else "no")
        lines.append(
            f"{s.name:<24} {s.bias_norm:>10.4g} {s.max_abs_z:>8.2f} {s.total_variance:>11.4g} "
            f"{biased:>7}"
        )
    return "\n".join(lines)


def compare_estimators(
    estimators: Mapping[str, Estimator],
    params: Any,
    n_samples: int,
    exact: Any = None,
    *,
    seed: int | None = 0,
    file: TextIO | None = sys.stdout,
    vectorized: bool = True,
) -> list[dict[str, Any]]:
    """Run `estimator_stats` for each named estimator (each from the same seed), print a table
    to `file` (None: print nothing), and return one record (`EstimatorStats.as_record`) each."""
    results = [
        estimator_stats(est, params, n_samples, exact, seed=seed, name=name, vectorized=vectorized)
        for name, est in estimators.items()
    ]
    if file is not None:
        print(format_table(results), file=file)
    return [r.as_record() for r in results]


@dataclass
class ToyProblem:
    """A small discrete problem, maximise E_{z ~ p_theta}[f(z)], whose exact gradient is
    enumerated: `params` (logits), `expected(params)` (the exact E[f], differentiable, batched
    over leading dims), `exact_grad(params)`, `sample_dist(theta)` (the distribution of z),
    `reward(z)` (f on hard samples, also on relaxed ones) and `estimators(taus)`."""

    kind: str
    params: list[np.ndarray]
    expected: Callable[[Tensor], Tensor]
    sample_dist: Callable[[Tensor], Any]
    reward: Callable[[Tensor], Tensor]
    relax: Callable[..., Tensor]

    def exact_grad(self, params: Sequence[Tensor]) -> np.ndarray:
        """d E[f] / d theta by autograd through the enumerated expectation."""
        theta = chainrule.tensor(np.asarray(_as_arrays(params)[0]), requires_grad=True)
        (g,) = chainrule.autograd.grad(self.expected(theta), [theta])
        return g.numpy()

    def estimators(self, taus: Sequence[float] = (2.0, 1.0, 0.5)) -> dict[str, Estimator]:
        """exact enumeration, REINFORCE without and with a constant baseline (b = E[f] at
        params), and Gumbel-softmax soft and straight-through at each tau."""
        from chainrule.nondiff._score import reinforce_loss

        b = float(self.expected(chainrule.tensor(self.params[0])).item())

        def exact(ps: list[Tensor]) -> Tensor:
            return self.expected(ps[0])

        def reinforce(baseline: float | None) -> Estimator:
            def estimate(ps: list[Tensor]) -> Tensor:
                dist = self.sample_dist(ps[0])
                z = dist.sample()
                lp = dist.log_prob(z)
                lp = lp.sum(-1) if lp.dim() > 1 else lp
                return -reinforce_loss(lp, self.reward(z), baseline, reduction="none")

            return estimate

        def relaxed(tau: float, hard: bool) -> Estimator:
            return lambda ps: self.reward(self.relax(ps[0], tau, hard))

        out = {"exact": exact, "reinforce": reinforce(None), "reinforce+baseline": reinforce(b)}
        for tau in taus:
            out[f"gumbel_soft(tau={tau:g})"] = relaxed(tau, False)
        for tau in taus:
            out[f"gumbel_st(tau={tau:g})"] = relaxed(tau, True)
        return out

    def compare(
        self,
        n_samples: int = 20000,
        *,
        taus: Sequence[float] = (2.0, 1.0, 0.5),
        seed: int | None = 0,
        file: TextIO | None = sys.stdout,
    ) -> list[dict[str, Any]]:
        """compare_estimators over this problem's built-in estimators."""
        return compare_estimators(
            self.estimators(taus), self.params, n_samples, self.exact_grad, seed=seed, file=file
        )


def toy_problem(
    kind: str = "bernoulli", logits: Sequence[float] | None = None, target: float = 0.45
) -> ToyProblem:
    """A ready-made ToyProblem, in float64.

    'bernoulli':   z in {0,1}^D independent, p(z_d = 1) = sigmoid(logits_d),
                   f(z) = sum_d (z_d - target)**2  (default logits (0, 0.8, -1.2));
                   the exact gradient is sigmoid'(logits) * (1 - 2 target).
    'categorical': z in {0..K-1}, p = softmax(logits), f(z) = (c_z - target)**2 with
                   c_k = k / (K - 1)  (default logits (0, 0.5, -0.5, 1)); relaxed samples y
                   (one-hot-like) use f(y) = (y . c - target)**2.
    """
    from chainrule.distributions import Bernoulli, Categorical
    from chainrule.nondiff._gumbel import gumbel_softmax, relaxed_bernoulli

    if kind == "bernoulli":
        theta = np.array([0.0, 0.8, -1.2] if logits is None else logits, dtype=np.float64)

        def expected(th: Tensor) -> Tensor:
            p = chainrule.sigmoid(th)
            return (p * (1 - target) ** 2 + (1 - p) * target**2).sum(-1)

        def reward(z: Tensor) -> Tensor:
            return ((z - target) ** 2).sum(-1)

        def relax(th: Tensor, tau: float, hard: bool) -> Tensor:
            return relaxed_bernoulli(th, tau, hard)

        return ToyProblem(kind, [theta], expected, lambda th: Bernoulli(logits=th), reward, relax)
    if kind == "categorical":
        theta = np.array([0.0, 0.5, -0.5, 1.0] if logits is None else logits, dtype=np.float64)
        k = theta.shape[-1]
        c = chainrule.tensor(np.arange(k, dtype=np.float64) / (k - 1))
        f = (c - target) ** 2

        def expected(th: Tensor) -> Tensor:
            return (chainrule.softmax(th, -1) * f).sum(-1)

        def reward(z: Tensor) -> Tensor:
            value = c[z] if z.dtype == chainrule.int64 else (z * c).sum(-1)
            return (value - target) ** 2

        def relax(th: Tensor, tau: float, hard: bool) -> Tensor:
            return gumbel_softmax(th, tau, hard)

        return ToyProblem(kind, [theta], expected, lambda th: Categorical(logits=th), reward, relax)
    raise ValueError(f"toy_problem: kind must be 'bernoulli' or 'categorical', got {kind!r}")
