"""torch.autograd.forward_ad: dual tensors and forward-mode derivatives."""

from __future__ import annotations

from typing import Any


def apply_dual(cls: type, args: tuple, kwargs: dict) -> Any:
    """Function.apply when some input carries a tangent at the active dual level."""
    raise NotImplementedError("forward-mode AD is not implemented yet")
