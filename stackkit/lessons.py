"""The lessons, in one table: each one's notebook, layer modules, figures and tools.

``plots/__init__``, ``widgets/__init__``, ``dashboards/tools.ipynb``, ``stack.LAYERS``
and the notebook and README tests all read this table, so adding a lesson is one row
here (docs/architecture.md, "How to add a lesson"). Every module named here exists
(tests/test_lessons.py checks it).

This module imports only the kit's argument checks (``_declare``), so anything may read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _declare as d

__all__ = ["LESSONS", "Lesson", "lesson", "lesson_of_tool", "modules", "tools"]


@dataclass(frozen=True)
class Lesson:
    """One lesson: ``notebooks/NN_slug.ipynb`` and the kit's modules it introduces."""

    number: int  # 0 … 7, the notebook's prefix
    slug: str  # the notebook's name after the number
    title: str  # the layer or theme, as the README's lesson table says it
    layer: int | None  # the stack layer it teaches (1 = silicon … 6 = serving), None if all
    modules: tuple[str, ...]  # layer modules (stackkit.<name>) it introduces
    plots: tuple[str, ...]  # figure modules (stackkit.plots.<name>)
    widgets: tuple[str, ...]  # front-end modules (stackkit.widgets.<name>)
    tools: tuple[str, ...]  # its ``explore_*`` functions, in the order the dashboard shows them

    @property
    def notebook(self) -> str:
        return f"{self.number:02d}_{self.slug}.ipynb"


LESSONS: tuple[Lesson, ...] = (
    Lesson(0, "overview", "the whole stack", None, ("catalog", "units", "stack"),
           ("overview",), ("overview",), ("explore_catalog",)),
    Lesson(1, "chips", "silicon", 1, ("chips", "bench", "transformer", "fabrication"),
           ("chips",), ("chips",), ("explore_roofline", "explore_chip_costs",
                                    "explore_die_cost")),
    Lesson(2, "clusters", "servers and clusters", 2, ("clusters", "reliability"),
           ("clusters",), ("clusters",), ("explore_allreduce", "explore_cluster")),
    Lesson(3, "cloud", "cloud compute", 3, ("cloud", "trends"),
           ("cloud",), ("cloud",), ("explore_gpu_pricing", "explore_spot_job",
                                    "explore_api_bill")),
    Lesson(4, "data", "data infrastructure", 4, ("data", "pipeline", "vectors"),
           ("data",), ("data",), ("explore_storage", "explore_vector_index",
                                  "explore_rag_cost")),
    Lesson(5, "training", "training frameworks", 5, ("training",),
           ("training",), ("training",), ("explore_training_run", "explore_memory",
                                          "explore_parallelism")),
    Lesson(6, "serving", "serving and APIs", 6, ("serving",),
           ("serving",), ("serving",), ("explore_kv_cache", "explore_latency",
                                        "explore_serving_sim", "explore_serving_cost")),
    Lesson(7, "full_stack", "all six", None, ("stack",),
           ("stack",), ("stack",), ("explore_stack",)),
)


def _key(name: str, value: object) -> int | str:
    """A lesson's number, slug or notebook name (an unknown one is a KeyError)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{name} must be a lesson's number, slug or notebook name; "
                         f"got {value!r}")
    return value


@d.declared(key=d.custom(_key, kind="lesson", examples=(1, "chips", "07_full_stack.ipynb"),
                         bad=(None, 1.5, True, ["chips"], 42, "no such lesson")))
def lesson(key: int | str) -> Lesson:
    """A lesson by number (``1``), slug (``"chips"``) or notebook (``"01_chips.ipynb"``)."""
    for item in LESSONS:
        if key in (item.number, item.slug, item.notebook):
            return item
    known = ", ".join(item.notebook for item in LESSONS)
    raise KeyError(f"unknown lesson {key!r}; lessons are {known}")


@d.declared(kind=d.choice(("modules", "plots", "widgets")))
def modules(kind: str) -> tuple[str, ...]:
    """Module names of ``kind`` ("modules", "plots" or "widgets"), in lesson order."""
    return tuple(dict.fromkeys(name for item in LESSONS for name in getattr(item, kind)))


@d.declared()
def tools() -> tuple[str, ...]:
    """Every lesson's ``explore_*`` tools, lesson by lesson."""
    return tuple(name for item in LESSONS for name in item.tools)


@d.declared(name=d.name(examples=("explore_stack", "explore_roofline")))
def lesson_of_tool(name: str) -> Lesson:
    """The lesson whose widgets module holds the tool ``name``."""
    for item in LESSONS:
        if name in item.tools:
            return item
    raise KeyError(f"unknown tool {name!r}; tools are {', '.join(tools())}")
