"""Fit y = sin(x) with a cubic written as a custom nn.Module.

`Cubic` registers its four coefficients as Parameters, so `model.parameters()`, the optimiser
and `state_dict()` all see them without further wiring.

    python examples/poly_module.py
"""

import math

import chainrule as torch


class Cubic(torch.nn.Module):
    """y = a + b x + c x^2 + d x^3 with learnable a, b, c, d."""

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x**2 + self.d * x**3

    def string(self):
        """The fitted polynomial, written out."""
        a, b, c, d = (p.item() for p in (self.a, self.b, self.c, self.d))
        return f"y = {a:.4f} + {b:.4f} x + {c:.4f} x^2 + {d:.4f} x^3"


def main(steps: int = 2000, lr: float = 1e-6, log_every: int = 500):
    """Run `steps` of SGD; return the coefficients (a, b, c, d) and the losses."""
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float)
    target = torch.sin(x)

    model = Cubic()
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)

    losses = []
    for step in range(steps):
        loss = loss_fn(model(x), target)
        losses.append(loss.item())
        if step % log_every == log_every - 1:
            print(f"step {step + 1:5d}  loss {loss.item():10.3f}")

        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    print("fit:", model.string())
    result = tuple(p.item() for p in (model.a, model.b, model.c, model.d))
    return result, losses


if __name__ == "__main__":
    main()
