"""Fit y = sin(x) with a cubic built from the nn package: a Linear layer on (x, x^2, x^3).

The features are the powers of x; `nn.Linear(3, 1)` holds d, c, b in its weight and a in its
bias; `nn.Flatten(0, 1)` turns its (N, 1) output into shape (N,). The parameters are updated by
hand, looping over `model.parameters()`.

    python examples/poly_nn.py
"""

import math

import chainrule as torch


def features(x):
    """Columns x, x^2, x^3 for each sample: shape (N, 3)."""
    return x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))


def coefficients(linear):
    """(a, b, c, d) of a + b x + c x^2 + d x^3 read off a Linear(3, 1) layer."""
    w = linear.weight[0]
    return (linear.bias.item(), w[0].item(), w[1].item(), w[2].item())


def main(steps: int = 2000, lr: float = 1e-6, log_every: int = 500):
    """Run `steps` of gradient descent; return the coefficients (a, b, c, d) and the losses."""
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float)
    target = torch.sin(x)
    xx = features(x)

    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    loss_fn = torch.nn.MSELoss(reduction="sum")

    losses = []
    for step in range(steps):
        loss = loss_fn(model(xx), target)
        losses.append(loss.item())
        if step % log_every == log_every - 1:
            print(f"step {step + 1:5d}  loss {loss.item():10.3f}")

        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad

    result = coefficients(model[0])
    print("fit: y = {:.4f} + {:.4f} x + {:.4f} x^2 + {:.4f} x^3".format(*result))
    return result, losses


if __name__ == "__main__":
    main()
