"""Gather and scatter: gather scatter scatter_add index_select index_add masked_fill
masked_select take_along_dim nonzero.
"""

from __future__ import annotations

from typing import Any

__all__: list[str] = []  # torch-level names, exported by chainrule/__init__.py

# Tensor methods, installed by ops/_methods.py
METHODS: dict[str, Any] = {}
