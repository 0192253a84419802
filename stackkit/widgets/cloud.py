"""Tools for the cloud lesson."""

from __future__ import annotations

__all__: list[str] = []
