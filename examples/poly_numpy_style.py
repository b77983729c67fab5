"""Fit y = sin(x) on [-pi, pi] with a cubic, computing every gradient by hand.

No autograd here: the forward pass, the loss and the four partial derivatives are all written
out, so the script shows what the later examples get for free.

    python examples/poly_numpy_style.py
"""

import math

import chainrule as torch


def main(steps: int = 2000, lr: float = 1e-6, log_every: int = 500):
    """Run `steps` of gradient descent; return the coefficients (a, b, c, d) and the losses."""
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float)
    target = torch.sin(x)

    # Four scalar coefficients, drawn at random: y_hat = a + b x + c x^2 + d x^3.
    a, b, c, d = (torch.randn((), dtype=torch.float) for _ in range(4))

    losses = []
    for step in range(steps):
        y_hat = a + b * x + c * x**2 + d * x**3
        residual = y_hat - target
        loss = residual.pow(2).sum().item()
        losses.append(loss)
        if step % log_every == log_every - 1:
            print(f"step {step + 1:5d}  loss {loss:10.3f}")

        # d(loss)/d(y_hat) = 2 * residual; the chain rule multiplies by each monomial.
        g = 2.0 * residual
        grads = (g.sum(), (g * x).sum(), (g * x**2).sum(), (g * x**3).sum())
        a, b, c, d = (p - lr * gp for p, gp in zip((a, b, c, d), grads))

    coeffs = tuple(p.item() for p in (a, b, c, d))
    print("fit: y = {:.4f} + {:.4f} x + {:.4f} x^2 + {:.4f} x^3".format(*coeffs))
    return coeffs, losses


if __name__ == "__main__":
    main()
