"""Fit y = sin(x) with a cubic, letting autograd compute the gradients.

The coefficients are leaf tensors with requires_grad=True; `loss.backward()` fills their
`.grad`, and the update runs under `torch.no_grad()` so it is not itself recorded.

    python examples/poly_autograd.py
"""

import math

import chainrule as torch


def main(steps: int = 2000, lr: float = 1e-6, log_every: int = 500):
    """Run `steps` of gradient descent; return the coefficients (a, b, c, d) and the losses."""
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float)
    target = torch.sin(x)
    coeffs = [torch.randn((), dtype=torch.float, requires_grad=True) for _ in range(4)]
    a, b, c, d = coeffs

    losses = []
    for step in range(steps):
        y_hat = a + b * x + c * x**2 + d * x**3
        loss = (y_hat - target).pow(2).sum()
        losses.append(loss.item())
        if step % log_every == log_every - 1:
            print(f"step {step + 1:5d}  loss {loss.item():10.3f}")

        loss.backward()
        with torch.no_grad():
            for p in coeffs:
                p -= lr * p.grad
                p.grad = None

    result = tuple(p.item() for p in coeffs)
    print("fit: y = {:.4f} + {:.4f} x + {:.4f} x^2 + {:.4f} x^3".format(*result))
    return result, losses


if __name__ == "__main__":
    main()
