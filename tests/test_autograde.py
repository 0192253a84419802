"""`make release` / `make autograde`: planted submissions, made per lesson, grade exactly.

For each lesson the test releases the assignment (student copy and answer key), then plants
four students' submissions built from the released copy and the lesson's own solution cells:

- ``right``: every answer cell holds its worked solution (minus the solution's ``assert``) —
  full marks;
- ``wrong``: every answer is of the right kind but wrong (derived from the key) — zero;
- ``raises``: all right, but the first answer cell raises before it sets ``answer`` —
  graded (that exercise 0, the rest right), the error reported;
- ``deleted``: all right, but the last answer cell is deleted — graded, reported missing.

Nothing is hard-coded per lesson: the exercises, their answer cells and solutions are found
by the ``exN.check(answer)`` pattern and the ``solution`` tag.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# One fast lesson runs in the default selection; every lesson under -m slow.
FAST: set[str] = set()  # each lesson's planted grading runs its notebook six times: slow


def _tool():
    if "autograde" in sys.modules:
        return sys.modules["autograde"]
    spec = importlib.util.spec_from_file_location("autograde", ROOT / "tools" / "autograde.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["autograde"] = module
    spec.loader.exec_module(module)
    return module


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _solutions(source_cells) -> dict[str, str]:
    """Exercise name -> the worked solution's code, with its ``assert exN.check`` removed."""
    tool, found = _tool(), {}
    for cell in source_cells:
        if not tool.is_solution(cell):
            continue
        text = _source(cell)
        names = re.findall(r"^\s*assert\s+(ex\d+)\.check\(answer\)\s*$", text, re.M)
        assert len(names) == 1, f"a solution cell should assert one check: {text[:80]}"
        found[names[0]] = re.sub(r"^\s*assert\s+ex\d+\.check\(answer\)\s*$", "", text, flags=re.M)
    return found


def _wrong(expected, choices):
    """An answer of the same kind as ``expected`` that is not it."""
    if isinstance(expected, tuple):
        return tuple(_wrong(e, choices) for e in expected)
    if isinstance(expected, bool):
        return not expected
    if isinstance(expected, str):
        others = [c for c in (choices or ()) if c != expected.lower()]
        return others[0] if others else expected + " not"
    if isinstance(expected, int):
        return expected * 3 + 7
    return expected * 3 + 7.5


def _plant(lesson: Path, released: Path, key: dict, out: Path) -> int:
    """Write the four planted submissions of one lesson; the number of its exercises."""
    tool = _tool()
    solutions = _solutions(json.loads(lesson.read_text(encoding="utf-8"))["cells"])
    student = json.loads(released.read_text(encoding="utf-8"))
    where = tool.answer_cells(student["cells"])
    names = list(key["exercises"])
    assert list(where) == names and set(solutions) == set(names), lesson.name

    def submission(answers: dict[str, str]) -> dict:
        copy = json.loads(json.dumps(student))
        for name, index in where.items():
            copy["cells"][index]["source"] = f"{answers[name]}\n{name}.check(answer)\n"
            copy["cells"][index]["outputs"] = []
        return copy

    right = {name: solutions[name] for name in names}
    wrong = {}
    for name, entry in key["exercises"].items():
        value = _wrong(tool._decode(entry["expected"]), entry["choices"])
        wrong[name] = f"answer = {value!r}"
    raises = dict(right, **{names[0]: "answer = 1 / 0"})
    deleted = submission(right)
    del deleted["cells"][where[names[-1]]]
    planted = {"right": submission(right), "wrong": submission(wrong),
               "raises": submission(raises), "deleted": deleted}
    for student_name, notebook in planted.items():
        folder = out / student_name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / lesson.name).write_text(json.dumps(notebook), encoding="utf-8")
    return len(names)


def _grade_lesson(lesson: Path, tmp_path: Path):
    tool = _tool()
    tool.release([lesson], tmp_path / "release")
    keys = tool.load_keys(tmp_path / "release" / "key")
    n = _plant(lesson, tmp_path / "release" / "student" / lesson.name, keys[lesson.stem],
               tmp_path / "submitted")
    csv_path = tmp_path / "grades.csv"
    lines = []
    tool.grade_folder(tmp_path / "submitted", keys, csv_path, log=lines.append)
    with csv_path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # Grading a submission costs running it, and little more: compared with running the
    # lesson itself in the same session (the key), so a busy machine slows both alike.
    # (The absolute budget, 30 s, follows from each lesson's own 15 s budget.)
    run_s = keys[lesson.stem]["run_s"]
    for line in lines:
        seconds = float(re.search(r" in ([\d.]+) s", line).group(1))
        assert seconds <= 1.5 * run_s + 5, (line, run_s)
    return n, rows


def _check_totals(n: int, rows: list[dict]) -> None:
    assert n >= 3
    totals = {}
    for row in rows:
        totals[row["student"]] = totals.get(row["student"], 0) + int(row["points"])
        assert row["max_points"] == "1"
    expected = {"right": n, "wrong": 0, "raises": n - 1, "deleted": n - 1}
    order = list(dict.fromkeys(r["exercise"] for r in rows))  # the lesson's (key's) order
    first, last = order[0], order[-1]
    surprising = [r for r in rows if (r["student"] == "right" and r["status"] != "right")
                  or (r["student"] == "wrong" and r["status"] != "wrong")]
    assert totals == expected, surprising
    by = {(r["student"], r["exercise"]): r for r in rows}
    assert len(rows) == 4 * n  # every exercise of every submission has a row
    assert by[("raises", first)]["status"] == "no answer"
    assert "raised ZeroDivisionError" in by[("raises", first)]["note"]
    assert by[("deleted", last)]["status"] == "missing"
    assert "answer cell missing" in by[("deleted", last)]["note"]
    assert "1 released cell(s) deleted" in by[("deleted", last)]["note"]
    assert all(r["status"] == "wrong" for r in rows if r["student"] == "wrong")
    assert all(r["note"] == "" for r in rows if r["student"] == "right")


@pytest.mark.parametrize(
    "lesson",
    [pytest.param(p, marks=() if p.stem in FAST else pytest.mark.slow) for p in NOTEBOOKS],
    ids=lambda p: p.stem)
def test_planted_submissions_grade_exactly(lesson, tmp_path):
    n, rows = _grade_lesson(lesson, tmp_path)
    _check_totals(n, rows)


@pytest.mark.slow
def test_a_submission_cannot_change_its_own_key(tmp_path):
    """Redefining the exercise in the notebook changes the student's view, never the mark."""
    tool = _tool()
    key = {"lesson": "x", "cell_ids": ["a", "b"], "exercises": {"ex1": {
        "title": "two plus two", "expected": {"int": 4}, "rel_tol": None, "unit": "",
        "choices": None}}}
    cells = [
        {"cell_type": "code", "id": "a", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "from stackkit.exercises import Exercise\nex1 = Exercise('mine', 5)"},
        {"cell_type": "code", "id": "b", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "answer = 5\nex1.check(answer)"},
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    graded = tool.grade_notebook(notebook, key)
    assert [(m.status, m.points) for m in graded.marks] == [("wrong", 0)]
    cells[1]["source"] = "answer = 4\nex1.check(answer)"
    assert tool.grade_notebook(notebook, key).total == 1


def test_released_assignments_keep_the_hints():
    """A released copy is the student copy: every answer cell still shows its first hint."""
    tool = _tool()
    for path in NOTEBOOKS:
        copy = tool.student_copy(json.loads(path.read_text(encoding="utf-8")))
        where = tool.answer_cells(copy["cells"])
        assert len(where) >= 3, path.name
        assert list(where) == [f"ex{i}" for i in range(1, len(where) + 1)], (
            path.name, "exercises are numbered in reading order", list(where))
        for index in where.values():
            shown = "".join("".join(o.get("text", "")) + "".join(
                o.get("data", {}).get("text/plain", "")) for o in copy["cells"][index]["outputs"])
            assert "no answer yet. Hint:" in shown, (path.name, index)


def test_make_autograde_refuses_without_a_key(tmp_path):
    tool = _tool()
    (tmp_path / "s").mkdir()
    with pytest.raises(SystemExit):
        tool.main(["grade", str(tmp_path / "s"), "--key", str(tmp_path / "nokey")])
