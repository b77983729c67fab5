"""torch.linalg: norms, inverses, determinants, solves and decompositions."""

from __future__ import annotations

__all__: list[str] = []
