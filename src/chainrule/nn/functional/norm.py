"""torch.nn.functional: Normalisation (batch_norm layer_norm group_norm instance_norm),
dropout, embedding, one_hot.
"""

from __future__ import annotations

__all__: list[str] = []
