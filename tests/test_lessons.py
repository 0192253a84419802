"""The lesson registry (stackkit.lessons) is the one list: notebooks, modules, figures and
tools all agree with it, so adding a lesson is one row there (docs/architecture.md)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from stackkit import lessons, plots, stack, widgets

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "stackkit"


def test_numbers_and_slugs_are_unique_and_in_order():
    numbers = [item.number for item in lessons.LESSONS]
    assert numbers == sorted(set(numbers))
    assert len({item.slug for item in lessons.LESSONS}) == len(lessons.LESSONS)
    assert lessons.lesson(1) is lessons.lesson("chips") is lessons.lesson("01_chips.ipynb")
    with pytest.raises(KeyError, match="unknown lesson"):
        lessons.lesson(42)


def test_every_notebook_is_a_registered_lesson():
    registered = {item.notebook for item in lessons.LESSONS}
    on_disk = {path.name for path in (ROOT / "notebooks").glob("*.ipynb")}
    assert on_disk <= registered, on_disk - registered


@pytest.mark.parametrize("kind", ["plots", "widgets"])
def test_every_front_end_module_is_registered(kind):
    registered = {name for item in lessons.LESSONS for name in getattr(item, kind)}
    on_disk = {p.stem for p in (PACKAGE / kind).glob("*.py") if not p.stem.startswith("_")}
    assert on_disk <= registered, on_disk - registered
    assert set(lessons.modules(kind)) == on_disk


@pytest.mark.parametrize("item", [i for i in lessons.LESSONS if i.widgets],
                         ids=lambda i: i.slug)
def test_registered_tools_are_the_widgets_modules_explorers(item):
    """Each lesson's tools are exactly the explore_* its widgets modules export."""
    found = []
    for name in item.widgets:
        module = importlib.import_module(f"stackkit.widgets.{name}")
        found += [n for n in module.__all__ if n.startswith("explore_")]
    assert sorted(found) == sorted(item.tools)
    for tool in item.tools:
        assert callable(getattr(widgets, tool)) and lessons.lesson_of_tool(tool) is item


def test_plots_and_widgets_export_every_registered_module():
    for name in lessons.modules("plots"):
        module = importlib.import_module(f"stackkit.plots.{name}")
        assert all(getattr(plots, n) is getattr(module, n) for n in module.__all__)
    assert set(lessons.tools()) <= set(dir(widgets))


def test_stack_layers_point_at_the_registered_lessons():
    for layer in stack.LAYERS:
        assert lessons.lesson(layer.notebook).layer == layer.number


def test_layer_modules_named_by_lessons_are_real():
    for name in lessons.modules("modules"):
        assert (PACKAGE / f"{name}.py").exists() or (PACKAGE / name / "__init__.py").exists(), name
        assert importlib.import_module(f"stackkit.{name}").__name__ == f"stackkit.{name}"


def test_readme_lists_every_lesson():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| (\d\d) \| \[?`(\d\d_\w+\.ipynb)`", readme, re.M)
    assert [name for _, name in listed] == [item.notebook for item in lessons.LESSONS]
