"""A spiking network of leaky integrate-and-fire neurons, trained with a surrogate gradient.

Each 8x8 digit is rate-coded: pixel intensity p becomes a spike train with P(spike) = p at
every one of `steps` time steps. Two layers of LIF neurons are unrolled over time:

    v = beta * v + W x_t              (leak, then integrate the input current)
    spike = heaviside(v - threshold)  (fire when the membrane crosses the threshold)
    v = v - threshold * spike         (reset by subtraction)

and the class is the output neuron that fires most often. The spike is a step function: its
derivative is 0 everywhere except at the threshold, where it is undefined, so the exact
gradient of the loss with respect to every weight is zero. `chainrule.nondiff.heaviside` keeps
the exact step in the forward pass and uses the derivative of a fast sigmoid,
1 / (1 + slope |v - threshold|)^2, in the backward pass (SuperSpike; Zenke & Ganguli 2018).

The script trains the network twice: with the fast-sigmoid surrogate, and with the step's
true derivative (zero), with which the loss does not move.

    python examples/spiking_neuron.py
"""

import numpy as np
from sklearn.datasets import load_digits

import chainrule as torch
from chainrule import nn
from chainrule.nn import functional as F
from chainrule.nondiff import heaviside


def load_split(test_fraction: float = 0.2, seed: int = 0):
    """Digits as (N, 64) spike probabilities in [0, 1] with int64 labels: (x, y, x_test, y_test)."""
    images, labels = load_digits(return_X_y=True)
    images = (images / 16.0).astype(np.float32)
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = int(len(images) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return tuple(
        torch.from_numpy(a) for a in (images[train], labels[train], images[test], labels[test])
    )


def zero_derivative(x, slope):
    """The step's true derivative: 0 wherever it exists."""
    return torch.zeros_like(x)


class LIF(nn.Module):
    """A layer of leaky integrate-and-fire neurons fed by a linear map of the input spikes."""

    def __init__(self, n_in: int, n_out: int, beta: float = 0.9, threshold: float = 1.0,
                 surrogate="fast_sigmoid"):  # fmt: skip
        super().__init__()
        self.fc = nn.Linear(n_in, n_out)
        self.beta, self.threshold, self.surrogate = beta, threshold, surrogate

    def forward(self, x_t, v):
        """One time step: (input spikes, membrane) -> (output spikes, new membrane)."""
        v = self.beta * v + self.fc(x_t)
        spike = heaviside(v - self.threshold, surrogate=self.surrogate)
        return spike, v - self.threshold * spike


class SpikingNet(nn.Module):
    """64 inputs -> `hidden` LIF neurons -> 10 LIF neurons; returns output spike counts."""

    def __init__(self, hidden: int = 128, steps: int = 12, surrogate="fast_sigmoid"):
        super().__init__()
        self.hidden = LIF(64, hidden, surrogate=surrogate)
        self.out = LIF(hidden, 10, surrogate=surrogate)
        self.steps = steps

    def forward(self, p):
        v1 = torch.zeros(p.shape[0], self.hidden.fc.out_features)
        v2 = torch.zeros(p.shape[0], 10)
        counts = 0
        for _ in range(self.steps):
            x_t = (torch.rand(p.shape) < p).float()  # rate coding: P(spike) = p
            s1, v1 = self.hidden(x_t, v1)
            s2, v2 = self.out(s1, v2)
            counts = counts + s2
        return counts


def accuracy(model, x, y) -> float:
    with torch.no_grad():
        return (model(x).argmax(dim=1) == y).float().mean().item()


def train(surrogate, epochs: int, time_steps: int = 12, batch_size=64, lr=2e-3, seed: int = 0):
    """Train a spiking net with `surrogate`; return (test accuracy, mean loss of each epoch)."""
    torch.manual_seed(seed)
    x, y, x_test, y_test = load_split(seed=seed)
    model = SpikingNet(steps=time_steps, surrogate=surrogate)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        order = torch.randperm(len(x))
        total = 0.0
        for i in range(0, len(x), batch_size):
            idx = order[i : i + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])  # spike counts as logits
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        losses.append(total / len(x))
    return accuracy(model, x_test, y_test), losses


def main(epochs: int = 8, time_steps: int = 12, seed: int = 0):
    """Train with the fast-sigmoid surrogate and with the exact (zero) derivative; return
    {"surrogate": (acc, losses), "exact": (acc, losses)}."""
    results = {}
    for name, surrogate in [("surrogate", "fast_sigmoid"), ("exact", zero_derivative)]:
        acc, losses = train(surrogate, epochs, time_steps, seed=seed)
        results[name] = (acc, losses)
        label = "fast_sigmoid surrogate" if name == "surrogate" else "exact step derivative"
        curve = " ".join(f"{v:.3f}" for v in losses)
        print(f"{label:22s} epoch losses {curve}  test accuracy {acc:.1%}")
    return results


if __name__ == "__main__":
    main()
