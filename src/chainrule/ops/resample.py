"""Resampling: interpolate (nearest, bilinear)."""

from __future__ import annotations

from typing import Any

__all__: list[str] = []  # torch-level names, exported by chainrule/__init__.py

# Tensor methods, installed by ops/_methods.py
METHODS: dict[str, Any] = {}
