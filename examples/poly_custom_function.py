"""Fit y = sin(x) as a + b * P3(c + d x), with P3 a hand-written autograd.Function.

P3(t) = (5 t^3 - 3 t) / 2 is the Legendre polynomial of degree three. Its forward and backward
are written by hand in `LegendreP3`; autograd chains them with everything around it.

    python examples/poly_custom_function.py
"""

import math

import chainrule as torch


class LegendreP3(torch.autograd.Function):
    """P3(t) = (5 t^3 - 3 t) / 2;  dP3/dt = (15 t^2 - 3) / 2."""

    @staticmethod
    def forward(ctx, t):
        ctx.save_for_backward(t)
        return 0.5 * (5 * t**3 - 3 * t)

    @staticmethod
    def backward(ctx, grad_out):
        (t,) = ctx.saved_tensors
        return grad_out * 1.5 * (5 * t**2 - 1)


def main(steps: int = 2000, lr: float = 5e-6, log_every: int = 500):
    """Run `steps` of gradient descent; return the coefficients (a, b, c, d) and the losses."""
    x = torch.linspace(-math.pi, math.pi, 2000, dtype=torch.float)
    target = torch.sin(x)

    # Start near a sensible answer: far from it this parametrisation diverges at this lr.
    a = torch.full((), 0.0, requires_grad=True)
    b = torch.full((), -1.0, requires_grad=True)
    c = torch.full((), 0.0, requires_grad=True)
    d = torch.full((), 0.3, requires_grad=True)

    losses = []
    for step in range(steps):
        y_hat = a + b * LegendreP3.apply(c + d * x)
        loss = (y_hat - target).pow(2).sum()
        losses.append(loss.item())
        if step % log_every == log_every - 1:
            print(f"step {step + 1:5d}  loss {loss.item():10.3f}")

        loss.backward()
        with torch.no_grad():
            for p in (a, b, c, d):
                p -= lr * p.grad
                p.grad = None

    result = tuple(p.item() for p in (a, b, c, d))
    print("fit: y = {:.4f} + {:.4f} * P3({:.4f} + {:.4f} x)".format(*result))
    return result, losses


if __name__ == "__main__":
    main()
