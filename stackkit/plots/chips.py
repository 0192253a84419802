"""Figures for the chips lesson."""

from __future__ import annotations

__all__: list[str] = []
