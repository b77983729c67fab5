"""Adamax (Adam with an infinity-norm second moment), as torch's CPU path."""

from __future__ import annotations

from typing import Any

import numpy as np

from chainrule.optim.adam import _lerp_
from chainrule.optim.optimizer import Optimizer, _scalar_tensor, _zeros_like, check_adam_arguments
from chainrule.tensor import Tensor

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """torch.optim.Adamax: u = max(beta2*u, |g| + eps); p -= lr/(1 - beta1^t) * m/u."""

    def __init__(
        self,
        params: Any,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        capturable: bool = False,
    ) -> None:
        check_adam_arguments(lr, eps, betas, weight_decay)
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "capturable": capturable,
        }
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: np.ndarray, group: dict[str, Any]) -> None:
        state = self.state[p]
        if len(state) == 0:
            state["step"] = _scalar_tensor(0.0)
            state["exp_avg"] = _zeros_like(p)
            state["exp_inf"] = _zeros_like(p)
        param, (beta1, beta2) = p.data, group["betas"]
        if group["maximize"]:
            grad = -grad
        state["step"].data += 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        exp_avg, exp_inf = state["exp_avg"].data, state["exp_inf"].data
        _lerp_(exp_avg, grad, 1 - beta1)
        exp_inf *= beta2
        norm = np.abs(grad)
        norm += group["eps"]
        np.maximum(exp_inf, norm, out=exp_inf)
        clr = group["lr"] / (1 - beta1 ** float(state["step"].data))
        param += -clr * exp_avg / exp_inf
