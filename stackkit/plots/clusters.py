"""Figures for the clusters lesson."""

from __future__ import annotations

__all__: list[str] = []
