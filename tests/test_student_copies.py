"""`make student` copies run as a student first meets them: every check answers with a hint.

The student copy drops the cells tagged ``solution``; every exercise's own cell still holds
``answer = None``, so running the copy top to bottom must raise no error (nothing later may
depend on a solution cell) and every check must print its first hint.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _tool():
    path = ROOT / "tools" / "make_student.py"
    spec = importlib.util.spec_from_file_location("make_student", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _text(output) -> str:
    text = output.get("text") or output.get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else text


def test_student_copy_drops_only_the_solution_cells(tmp_path):
    tool = _tool()
    written = tool.write_student_copies(NOTEBOOKS, tmp_path)
    assert [p.name for p in written] == [p.name for p in NOTEBOOKS]
    for original, copy in zip(NOTEBOOKS, written, strict=True):
        full = json.loads(original.read_text(encoding="utf-8"))["cells"]
        kept = json.loads(copy.read_text(encoding="utf-8"))["cells"]
        solutions = [c for c in full if tool.is_solution(c)]
        assert solutions, f"{original.name} has no solution cells"
        assert len(kept) == len(full) - len(solutions)
        assert not any(tool.is_solution(c) for c in kept)
        assert not any(re.search(r"^\s*assert\s+ex\d+\.check", _source(c), re.M) for c in kept)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_student_copy_runs_and_every_check_gives_a_hint(path, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    copy = _tool().write_student_copies([path], tmp_path)[0]
    notebook = nbformat.read(copy, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    checks = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        assert not any(o.get("output_type") == "error" for o in cell.outputs), _source(cell)[:80]
        if re.search(r"^ex\d+\.check\(answer\)\s*$", _source(cell), re.M):
            checks += 1
            shown = "\n".join(_text(o) for o in cell.outputs)
            assert "no answer yet. Hint:" in shown, _source(cell)
    assert checks >= 3, f"{path.name}: only {checks} exercises"
