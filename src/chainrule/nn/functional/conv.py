"""torch.nn.functional: conv1d conv2d conv_transpose2d, pooling, interpolate."""

from __future__ import annotations

__all__: list[str] = []
