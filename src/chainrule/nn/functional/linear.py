"""torch.nn.functional: linear, bilinear, embedding, one_hot, normalize and distances."""

from __future__ import annotations

__all__: list[str] = []
