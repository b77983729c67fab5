"""A discrete latent variable model trained three ways: Gumbel-softmax, REINFORCE, and REINFORCE
with a baseline; with the variance of each gradient estimator measured as it trains.

Data are points near K hidden centres. An encoder maps a point x to logits over K codes; a
code z ~ Categorical(logits) is drawn, and the decoder reconstructs x as the z-th row of a
learned codebook C. The objective is E_z[f(z)], with f(z) = -log N(x; C_z, I)
= ||x - C_z||^2 / 2 + (D/2) log(2 pi). Sampling z is not differentiable, so the encoder's
gradient needs an estimator:

  REINFORCE       -(reward - b) * d log p(z) / d logits with reward = -f(z) and b = 0:
                  unbiased, but its variance grows with the size of f, constant included;
  + baseline      the same with b a moving average of past rewards: still unbiased, and the
                  part of f common to all samples no longer adds variance;
  Gumbel-softmax  z = one-hot(argmax(logits + g)) forward, the gradient of
                  softmax((logits + g) / tau) backward (straight-through): differentiates f
                  itself, so far less variance, but biased for tau > 0.

Each model trains with its own estimator. At every `checkpoint` the script then draws
`samples` independent single-sample gradient estimates w.r.t. the logits on a fixed batch, for
every estimator at the parameters of every run (so each estimator is measured at the same
points), and reports their variance, averaged over the logits and the runs. It prints a table
and saves a plot of the loss curves and variances. Which local optimum each run ends in (the
final losses) varies with the seed; the ordering of the variances does not.

    python examples/discrete_latent.py
"""

import math

import numpy as np

import chainrule as torch
from chainrule import nn
from chainrule.distributions import Categorical
from chainrule.nn import functional as F
from chainrule.nondiff import MovingAverageBaseline, gumbel_softmax, reinforce_loss

K, D = 8, 16
NLL_OFFSET = 0.5 * D * math.log(2 * math.pi)  # the Gaussian's normaliser: a constant in f
METHODS = ("reinforce", "reinforce+baseline", "gumbel-softmax")


def make_data(n: int = 512, seed: int = 0):
    """n points in R^D, each a random one of K centres plus noise."""
    rng = np.random.default_rng([seed, 2])
    centres = 2.0 * rng.standard_normal((K, D))
    x = centres[rng.integers(0, K, n)] + 0.3 * rng.standard_normal((n, D))
    return torch.from_numpy(x.astype(np.float32))


def recon_error(z, codebook, x):
    """f(z) = -log N(x; z @ C, I) for one-hot (or relaxed) codes z: shape (..., B)."""
    return 0.5 * ((x - z @ codebook) ** 2).sum(-1) + NLL_OFFSET


def exact_loss(logits, codebook, x):
    """E_z[f(z)] = sum_k softmax(logits)_k f(k), per point: the objective, computed exactly."""
    every = 0.5 * ((x[:, None, :] - codebook[None]) ** 2).sum(-1) + NLL_OFFSET  # (B, K): f(k)
    return (logits.softmax(-1) * every).sum(-1)


def surrogate(method, logits, codebook, x, baseline, tau):
    """(per-sample surrogate loss, f(z)): the loss's gradient w.r.t. logits is `method`'s
    estimate of d E[f] / d logits; the codebook gets its ordinary gradient in every method."""
    if method == "gumbel-softmax":
        z = gumbel_softmax(logits, tau=tau, hard=True)
        f = recon_error(z, codebook, x)
        return f, f
    dist = Categorical(logits=logits)
    z = dist.sample()
    f = recon_error(F.one_hot(z, K).to(x.dtype), codebook, x)
    b = None if method == "reinforce" else baseline
    return f + reinforce_loss(dist.log_prob(z), -f.detach(), b, reduction="none"), f


def gradient_variance(method, logits, codebook, x, baseline, tau, samples) -> float:
    """Variance of `samples` single-sample estimates of d E[f] / d logits, averaged over the
    logits' entries."""
    logits = logits.detach().expand(samples, *logits.shape).clone().requires_grad_()
    surrogate(method, logits, codebook.detach(), x, baseline, tau)[0].sum().backward()
    return float(logits.grad.numpy().var(0).mean())  # row s is estimate s: each sample
    # reaches only its own copy of the logits


def train(method, steps, checkpoint, tau=1.0, lr=1e-2, batch_size=64, seed=0):
    """Train one model; return (E[f] over the data after each step, snapshots at the
    checkpoints: (step, encoder state, codebook, moving-average reward))."""
    torch.manual_seed(seed)
    x_all = make_data(seed=seed)
    encoder = nn.Linear(D, K)
    codebook = nn.Parameter(torch.randn(K, D))
    optimizer = torch.optim.Adam([*encoder.parameters(), codebook], lr=lr)
    baseline = MovingAverageBaseline(0.9)  # tracked in every run; used by reinforce+baseline
    losses, snapshots = [], []
    for step in range(1, steps + 1):
        x = x_all[torch.randint(0, len(x_all), (batch_size,))]
        loss, f = surrogate(method, encoder(x), codebook, x, baseline, tau)
        if method != "reinforce+baseline":  # (reinforce_loss updates it there)
            baseline.update(-f)
        optimizer.zero_grad()
        loss.mean().backward()
        optimizer.step()
        with torch.no_grad():
            losses.append(exact_loss(encoder(x_all), codebook, x_all).mean().item())
        if step % checkpoint == 0:
            state = {k: v.clone() for k, v in encoder.state_dict().items()}
            snapshots.append((step, state, codebook.detach().clone(), baseline()))
    return losses, snapshots


def measure(runs, samples, tau=1.0, seed=0):
    """{method: [(step, variance)]}: each estimator's gradient variance at every checkpoint,
    averaged over the parameters all the runs reached there (the same points for every
    estimator, so the columns compare estimators, not parameters)."""
    probe = make_data(seed=seed)[:32]
    encoder = nn.Linear(D, K)
    table = {m: [] for m in METHODS}
    for i, (step, *_) in enumerate(next(iter(runs.values()))[1]):
        for method in METHODS:
            total = 0.0
            for _, snapshots in runs.values():
                _, state, codebook, baseline = snapshots[i]
                encoder.load_state_dict(state)
                logits = encoder(probe)
                total += gradient_variance(method, logits, codebook, probe, baseline, tau, samples)
            table[method].append((step, total / len(runs)))
    return table


def plot(runs, table, out):
    """Loss curves and gradient variances side by side, saved to `out` (PNG)."""
    from matplotlib.figure import Figure  # lazily: matplotlib is optional

    fig = Figure(figsize=(10, 4))
    ax_loss, ax_var = fig.subplots(1, 2)
    for method in METHODS:
        ax_loss.plot(range(1, len(runs[method][0]) + 1), runs[method][0], label=method)
        steps, variances = zip(*table[method])
        ax_var.plot(steps, variances, marker="o", label=method)
    ax_loss.set(xlabel="step", ylabel="E[f(z)] over the data", yscale="log", title="Loss")
    ax_var.set(xlabel="step", ylabel="variance of d/d logits", yscale="log",
               title="Gradient estimator variance")  # fmt: skip
    ax_loss.legend()
    ax_var.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=80)


def main(steps: int = 600, checkpoint: int = 100, samples: int = 200, out="discrete_latent.png"):
    """Train with each estimator, measure their variances, print the table and save the plot
    to `out`; return (losses {method: [E[f] per step]}, variances {method: [(step, var)]})."""
    runs = {m: train(m, steps, checkpoint) for m in METHODS}
    table = measure(runs, samples)
    print("gradient variance w.r.t. the logits (mean over the three runs' parameters)")
    print(f"{'step':>5s}" + "".join(f"{m:>20s}" for m in METHODS))
    for i, (step, _) in enumerate(table[METHODS[0]]):
        print(f"{step:5d}" + "".join(f"{table[m][i][1]:20.3e}" for m in METHODS))
    final = "".join(f"{runs[m][0][-1]:20.3f}" for m in METHODS)
    print(f"final E[f(z)] over the data, each model trained with its estimator:\n{'':5s}{final}")
    plot(runs, table, out)
    print(f"plot saved to {out}")
    return {m: runs[m][0] for m in METHODS}, table


if __name__ == "__main__":
    main()
