"""stackkit — the AI infrastructure stack, from chips to tokens, with real numbers.

Submodules load on first use so that ``import stackkit`` stays cheap::

    from stackkit import catalog, chips
    chips.ridge_point("H100 SXM")        # FLOP per byte

Layers: ``catalog`` and ``units`` (data and constants); ``transformer`` and
``reliability`` (models shared by the layers); ``chips`` and ``bench`` (layer 1),
``clusters`` (2), ``cloud`` (3), ``training`` and ``frameworks`` (5; the latter runs it in
JAX, an optional extra); ``plots`` and ``widgets`` draw and wire them up for the notebooks.
docs/architecture.md has the map.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_SUBMODULES = (
    "catalog",
    "units",
    "transformer",
    "reliability",
    "chips",
    "fabrication",
    "bench",
    "clusters",
    "cloud",
    "trends",
    "data",
    "pipeline",
    "vectors",
    "training",
    "frameworks",
    "serving",
    "stack",
    "exercises",
    "lessons",
    "plots",
    "widgets",
)

__all__ = ["__version__", *_SUBMODULES]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from . import (
        bench,
        catalog,
        chips,
        cloud,
        clusters,
        data,
        exercises,
        fabrication,
        frameworks,
        lessons,
        pipeline,
        plots,
        reliability,
        serving,
        stack,
        training,
        transformer,
        trends,
        units,
        vectors,
        widgets,
    )


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'stackkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
