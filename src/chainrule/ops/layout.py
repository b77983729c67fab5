"""Rearranging: flip roll repeat tile narrow movedim unflatten broadcast_to pad tril triu diag
diagonal.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []  # torch-level names, exported by chainrule/__init__.py

# Tensor methods, installed by ops/_methods.py
METHODS: dict[str, Any] = {}
