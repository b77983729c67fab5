"""More elementwise primitives: log1p expm1 ... erf lgamma digamma, xlogy logaddexp hypot, fmod
remainder lerp, isnan isinf isfinite nan_to_num.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []  # torch-level names, exported by chainrule/__init__.py

# Tensor methods, installed by ops/_methods.py
METHODS: dict[str, Any] = {}
