"""Learning to rank through soft ranks: fit a linear scoring function so that the ranks of its
scores match the true ranks.

Each query is a list of items with feature vectors; the true ranks come from a hidden linear
score plus noise. The hard rank of a score vector is piecewise constant, so its gradient is
zero almost everywhere. `chainrule.nondiff.soft_rank` (Blondel et al. 2020) projects the
scores onto the permutahedron instead: it equals the hard ranks when the scores are further
apart than the regularization strength, and is differentiable everywhere. The loss is the
squared difference between soft ranks and true ranks (a relaxed 1 - Spearman correlation).

    python examples/soft_sort_ranking.py
"""

import numpy as np

import chainrule as torch
from chainrule.nondiff import soft_rank


def make_queries(n_queries: int, n_items: int = 20, n_features: int = 8, seed: int = 0):
    """Features (Q, n, d) and the true ranks (Q, n; 1 = lowest) of a noisy hidden linear score."""
    rng = np.random.default_rng([seed, 1])  # a stream apart from torch.manual_seed(seed)'s
    w_true = rng.standard_normal(n_features)
    x = rng.standard_normal((n_queries, n_items, n_features))
    score = x @ w_true + 0.3 * rng.standard_normal((n_queries, n_items))
    ranks = score.argsort(-1).argsort(-1) + 1.0
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(ranks.astype(np.float32))


def hard_ranks(scores):
    """Ranks 1..n of each row (ties broken by position)."""
    return scores.argsort(dim=-1).argsort(dim=-1).float() + 1


def spearman(scores, ranks) -> float:
    """Mean over queries of the Spearman correlation between the scores' ranks and `ranks`."""
    a = hard_ranks(scores)
    a = a - a.mean(-1, keepdim=True)
    b = ranks - ranks.mean(-1, keepdim=True)
    rho = (a * b).sum(-1) / ((a * a).sum(-1) * (b * b).sum(-1)).sqrt()
    return rho.mean().item()


def main(steps: int = 300, strength: float = 1.0, lr: float = 0.05, seed: int = 0):
    """Train for `steps`; return (test Spearman before, test Spearman after, losses)."""
    torch.manual_seed(seed)
    x, ranks = make_queries(400, seed=seed)
    x_train, r_train, x_test, r_test = x[:300], ranks[:300], x[300:], ranks[300:]
    w = torch.randn(x.shape[-1], requires_grad=True)
    optimizer = torch.optim.Adam([w], lr=lr)

    with torch.no_grad():
        before = spearman(x_test @ w, r_test)
    print(f"test Spearman before training {before:+.3f}")
    losses = []
    for step in range(steps):
        idx = torch.randint(0, len(x_train), (32,))
        soft = soft_rank(x_train[idx] @ w, regularization_strength=strength)
        loss = ((soft - r_train[idx]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step:4d}  soft-rank loss {loss.item():8.3f}")
    with torch.no_grad():
        after = spearman(x_test @ w, r_test)
    print(f"test Spearman after training  {after:+.3f}")
    return before, after, losses


if __name__ == "__main__":
    main()
