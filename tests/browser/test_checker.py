"""The browser check itself: it passes a working notebook and reports broken ones.

Each case is a small notebook written into a temporary folder under the session's
JupyterLab root, so it is served the same way as the lessons.
"""

from __future__ import annotations

import json
from pathlib import Path

import jupyter_browser as jb
import pytest

pytestmark = pytest.mark.browser

KERNEL = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

IMPORTS = """%matplotlib inline
import ipywidgets as ipw
from IPython.display import display
from stackkit import widgets
from stackkit.widgets import Explorer"""

# A working tool: the overview's catalog explorer.
GOOD = [IMPORTS, "# NBVAL_IGNORE_OUTPUT\nwidgets.explore_catalog()"]

# A callback that raises: the slider's observer fails, so the result never changes;
# and a widget view whose model does not exist (what a stale saved output shows).
BROKEN_CALLBACK = [
    IMPORTS,
    """box = Explorer({"n": ipw.IntSlider(value=3, min=0, max=10, description="n")},
               compute=lambda n: n, render=lambda n: f"<b>n = {n}</b>")
box.controls["n"].unobserve_all("value")

def callback(change):
    raise RuntimeError("this callback raises on purpose")

box.controls["n"].observe(callback, names="value")
box""",
    """display({"application/vnd.jupyter.widget-view+json":
         {"model_id": "0123456789abcdef", "version_major": 2, "version_minor": 0}}, raw=True)""",
]

# A computation that fails inside the kit once a control moves, and a cell that raises.
BROKEN_CELL = [
    IMPORTS,
    """def compute(n):
    if n != 3:
        raise RuntimeError(f"the model breaks at n = {n}")
    return n

Explorer({"n": ipw.IntSlider(value=3, min=0, max=10, description="n")},
         compute=compute, render=lambda n: f"<b>n = {n}</b>")""",
    "import warnings\nwarnings.warn('a warning a student should not see')",
    "1 / 0",
]


def _write(folder: Path, name: str, cells: list[str]) -> str:
    notebook = {"nbformat": 4, "nbformat_minor": 5,
                "metadata": {"kernelspec": KERNEL, "language_info": {"name": "python"}},
                "cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {},
                           "execution_count": None, "outputs": [], "source": source}
                          for i, source in enumerate(cells)]}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(notebook), encoding="utf-8")
    return f"{folder.name}/{name}"


@pytest.fixture(scope="module")
def cases(lab_root: Path) -> Path:
    return lab_root / "checker-cases"


def test_checker_passes_a_working_explorer(lab: jb.Server, page, cases: Path,
                                            screenshots: Path) -> None:
    path = _write(cases, "good.ipynb", GOOD)
    report = jb.check_notebook(page, lab, path, screenshots / "checker_good.png")
    assert not report.problems, str(report)
    assert report.control and report.before != report.after


def test_checker_reports_a_raising_callback_and_a_missing_widget_model(
        lab: jb.Server, page, cases: Path, screenshots: Path) -> None:
    path = _write(cases, "broken_callback.ipynb", BROKEN_CALLBACK)
    report = jb.check_notebook(page, lab, path, screenshots / "checker_broken_callback.png")
    text = str(report)
    assert "did not change its result" in text, text
    assert "log console holds 1 message" in text, text
    assert "a widget shows 'Error displaying widget'" in text, text


def test_checker_reports_a_kit_error_a_warning_and_a_raising_cell(
        lab: jb.Server, page, cases: Path, screenshots: Path) -> None:
    path = _write(cases, "broken_cell.ipynb", BROKEN_CELL)
    report = jb.check_notebook(page, lab, path, screenshots / "checker_broken_cell.png")
    text = str(report)
    assert "Something went wrong inside stackkit" in text, text
    assert "the model breaks at n = 4" in text, text
    assert "UserWarning: a warning a student should not see" in text, text
    assert "ZeroDivisionError" in text, text


def test_checker_answers_the_kernel_dialog_and_reports_a_kernel_not_installed(
        lab: jb.Server, page, cases: Path) -> None:
    """A notebook naming a kernel the server lacks: Lab asks which kernel to start.

    The check answers the dialog whenever it shows up (here with Lab's preselected
    "No Kernel"), notes it, and reports the notebook's kernelspec and the missing kernel.
    """
    path = _write(cases, "unknown_kernel.ipynb", GOOD)
    notebook = cases / "unknown_kernel.ipynb"
    content = json.loads(notebook.read_text(encoding="utf-8"))
    content["metadata"]["kernelspec"] = {"display_name": "Nowhere", "language": "nolanguage",
                                         "name": "no-such-kernel"}
    content["metadata"]["language_info"] = {"name": "nolanguage"}
    notebook.write_text(json.dumps(content), encoding="utf-8")
    report = jb.check_notebook(page, lab, path)
    text = str(report)
    assert "the notebook's kernel 'no-such-kernel' is not installed" in text, text
    assert "JupyterLab started no kernel" in text, text
    assert any(asked.startswith(jb.KERNEL_DIALOG) for asked in report.dialogs), report.dialogs
