"""A BinaryConnect MLP on scikit-learn's 8x8 digits: every weight is +1 or -1 in the forward pass.

The network keeps real-valued latent weights W; each forward pass uses sign(W) instead. The
derivative of sign is 0 almost everywhere, so plain autograd would hand the latent weights a
zero gradient and they would never move. `chainrule.nondiff.binarize` is a straight-through
estimator: sign forward, gradient 1 where |W| <= 1 and 0 beyond (clipped), so the optimiser
updates W as if the sign were the identity near zero (Courbariaux, Bengio & David 2015).

The script trains the same network twice: with the straight-through `binarize`, and with the
exact `torch.sign`, whose weight gradient is exactly zero, so only the biases learn.

    python examples/binarized_mlp.py
"""

import numpy as np
from sklearn.datasets import load_digits

import chainrule as torch
from chainrule import nn
from chainrule.nn import functional as F
from chainrule.nondiff import binarize


def load_split(test_fraction: float = 0.2, seed: int = 0):
    """Digits as standardised (N, 64) float tensors with int64 labels: (x, y, x_test, y_test)."""
    images, labels = load_digits(return_X_y=True)
    images = images.astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = int(len(images) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    mean, std = images[train].mean(0), images[train].std(0) + 1.0
    images = (images - mean) / std
    return (
        torch.from_numpy(images[train]),
        torch.from_numpy(labels[train]),
        torch.from_numpy(images[test]),
        torch.from_numpy(labels[test]),
    )


class BinaryLinear(nn.Module):
    """y = x @ binary(W).T / sqrt(in_features) + b, with W real-valued and kept in [-1, 1]."""

    def __init__(self, in_features: int, out_features: int, binary=binarize):
        super().__init__()
        self.weight = nn.Parameter(nn.init.uniform_(torch.empty(out_features, in_features), -1, 1))
        self.bias = nn.Parameter(torch.zeros(out_features))
        self.binary = binary
        self.scale = in_features**-0.5  # keeps the +-1 sums at unit scale

    def forward(self, x):
        return F.linear(x, self.binary(self.weight) * self.scale, self.bias)


def make_model(binary=binarize, hidden: int = 256):
    return nn.Sequential(
        BinaryLinear(64, hidden, binary),
        nn.BatchNorm1d(hidden),
        nn.ReLU(),
        BinaryLinear(hidden, 10, binary),
    )


def accuracy(model, x, y) -> float:
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def train(binary, epochs: int, batch_size: int = 64, lr: float = 1e-2, seed: int = 0):
    """Train a binary MLP; return (test accuracy, epoch losses, mean |change| of latent W)."""
    torch.manual_seed(seed)
    x, y, x_test, y_test = load_split(seed=seed)
    model = make_model(binary)
    weights = [m.weight for m in model if isinstance(m, BinaryLinear)]
    start = [w.detach().clone() for w in weights]
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x))
        total = 0.0
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():  # BinaryConnect clips the latent weights to [-1, 1]
                for w in weights:
                    w.clamp_(-1, 1)
            total += loss.item() * len(idx)
        losses.append(total / len(x))
    moved = float(np.mean([(w.detach() - s).abs().mean().item() for w, s in zip(weights, start)]))
    return accuracy(model, x_test, y_test), losses, moved


def main(epochs: int = 15, seed: int = 0):
    """Train with the straight-through estimator and with the exact sign; return both results
    as {"ste": (acc, losses, moved), "exact": (acc, losses, moved)}."""
    results = {}
    for name, binary in [("ste", binarize), ("exact", torch.sign)]:
        acc, losses, moved = train(binary, epochs, seed=seed)
        results[name] = (acc, losses, moved)
        label = "binarize (straight-through)" if name == "ste" else "torch.sign (exact gradient)"
        print(
            f"{label:28s} loss {losses[0]:.3f} -> {losses[-1]:.3f}  "
            f"mean |W change| {moved:.4f}  test accuracy {acc:.1%}"
        )
    return results


if __name__ == "__main__":
    main()
