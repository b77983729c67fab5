"""RMSprop, optionally centered and with momentum, as torch's single-tensor CPU path."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.optim.adam import _lerp_
from chainrule.optim.optimizer import Optimizer, _scalar_tensor, _zeros_like
from chainrule.tensor import Tensor

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """torch.optim.RMSprop: v = alpha*v + (1-alpha)*g^2; p -= lr*g/(sqrt(v - mean(g)^2) + eps)."""

    def __init__(
        self,
        params: Any,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _scalar_tensor(0.0)
            state["square_avg"] = _zeros_like(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = _zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = _zeros_like(p)
        param, alpha, wd = p.data, group["alpha"], group["weight_decay"]
        if group["maximize"]:
            grad = -grad
        state["step"].data += 1
        if wd != 0:
            grad = grad + wd * param
        square_avg = state["square_avg"].data
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"].data
            _lerp_(grad_avg, grad, 1 - alpha)
            avg = np.sqrt(square_avg + -1.0 * grad_avg * grad_avg)
        else:
            avg = np.sqrt(square_avg)
        avg += group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"].data
            buf *= group["momentum"]
            buf += grad / avg
            param += -group["lr"] * buf
        else:
            param += -group["lr"] * grad / avg
