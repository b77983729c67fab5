"""Fit y = sin(x) with a cubic, the nn model of poly_nn.py, and an optimiser doing the update.

`torch.optim.RMSprop` replaces the hand-written parameter loop: zero_grad, backward, step.

    python examples/poly_optim.py
"""

import math

import chainrule as torch


def main(steps: int = 2000, lr: float = 1e-3, log_every: int = 500):
    """Run `steps` of RMSprop; return the coefficients (a, b, c, d) and the losses."""
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float)
    target = torch.sin(x)
    xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))

    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.RMSprop(model.parameters(), lr=lr)

    losses = []
    for step in range(steps):
        loss = loss_fn(model(xx), target)
        losses.append(loss.item())
        if step % log_every == log_every - 1:
            print(f"step {step + 1:5d}  loss {loss.item():10.3f}")

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    linear = model[0]
    w = linear.weight[0]
    result = (linear.bias.item(), w[0].item(), w[1].item(), w[2].item())
    print("fit: y = {:.4f} + {:.4f} x + {:.4f} x^2 + {:.4f} x^3".format(*result))
    return result, losses


if __name__ == "__main__":
    main()
