"""torch.nn.functional: normalisation (batch, layer, group, instance) and dropout."""

from __future__ import annotations

__all__: list[str] = []
