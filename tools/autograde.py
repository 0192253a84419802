"""Release the lessons as assignments and grade submitted notebooks, exercise by exercise.

    python tools/autograde.py release [--out release] [notebooks/*.ipynb]
    python tools/autograde.py grade SUBMISSIONS [--key release/key] [--csv grades.csv]

``release`` writes, for each lesson, the student assignment ``release/student/NN_x.ipynb``
(the solution cells removed, exactly what ``make student`` writes, so every check still
answers an empty answer with a hint) and the answer key ``release/key/NN_x.json`` (keep it
from the students). The key is read from the lesson itself: the source notebook is run once
and every :class:`stackkit.exercises.Exercise` it defines is written down (title, expected
answer, tolerance, choices), with the ids of the student copy's cells.

``grade`` reads ``SUBMISSIONS/<student>/NN_x.ipynb`` (one folder per student, the lesson's
file name) and runs each submission top to bottom in a fresh kernel with ``nbclient``, errors
allowed. Around every student answer cell (``exN.check(answer)``) it adds two cells of its
own: one before that empties ``answer`` (so an answer cell that raises counts as no answer,
never as the previous exercise's answer), one after that prints ``answer`` as JSON behind a
marker made fresh for the run. The answers are then checked *in the grader*, against an
``Exercise`` rebuilt from the key, so nothing a submission redefines (``ex1``, ``Exercise``)
can change a mark. One point per exercise. A cell that raises, an answer cell that is missing
and released cells that were deleted are reported in the CSV's ``note`` column; the
submission is still graded.

Why not nbgrader or otter-grader: both grade tests the instructor writes in their own cell
format (nbgrader: cells with ``nbgrader`` metadata and ``### BEGIN SOLUTION`` markers, a
course directory and a database; otter: ``# BEGIN QUESTION`` / ``# TEST`` cells). The lessons
already carry a key and a checker in every exercise (the ``Exercise`` objects and the
``solution`` cells, checked by nbval), so either tool would mean rewriting every exercise of
eight notebooks that other work is changing, or keeping a second copy of each answer. This
layer reads the existing pattern instead and leaves execution to nbclient, the library
nbconvert, nbval, papermill and nbgrader itself execute notebooks with.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_student import is_solution, student_copy  # noqa: E402

#: the student's cell of an exercise: ``answer = ...`` then ``exN.check(answer)`` on its own line
CHECK_LINE = re.compile(r"^\s*(ex\d+)\.check\(answer\)\s*$", re.MULTILINE)
CELL_TIMEOUT_S = 120
FIELDS = ["student", "lesson", "exercise", "title", "points", "max_points", "status", "note"]

# Runs in the kernel: a JSON form of a value that keeps what Exercise.check tells apart
# (whole numbers from other numbers, tuples, bools); anything else is kept as its repr.
_ENCODE = '''
def _sk_grade_encode(value):
    import math, numbers
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return {"int": int(value)}
    if isinstance(value, numbers.Real):
        value = float(value)
        return {"float": value if math.isfinite(value) else repr(value)}
    if isinstance(value, (tuple, list)):
        return {"tuple": [_sk_grade_encode(v) for v in value]}
    return {"unsupported": repr(value)[:200]}
'''


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _decode(value: object) -> object:
    """The inverse of the kernel's ``_sk_grade_encode``."""
    if not isinstance(value, dict):
        return value
    if "int" in value:
        return int(value["int"])
    if "float" in value:
        return value["float"] if isinstance(value["float"], float) else math.nan
    if "tuple" in value:
        return tuple(_decode(v) for v in value["tuple"])
    return _Unsupported(value.get("unsupported", "?"))


class _Unsupported:
    """An answer of a kind no exercise takes (a DataFrame, a dict): always wrong."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def answer_cells(cells: list[dict]) -> dict[str, int]:
    """Exercise name -> index of the student's answer cell (solution cells are not answers)."""
    found: dict[str, int] = {}
    for i, cell in enumerate(cells):
        if cell.get("cell_type") != "code" or is_solution(cell):
            continue
        for name in CHECK_LINE.findall(_source(cell)):
            found.setdefault(name, i)
    return found


def _execute(notebook: dict, timeout_s: int = CELL_TIMEOUT_S):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.reads(json.dumps(notebook), as_version=4)
    with tempfile.TemporaryDirectory(prefix="stackkit-grade-") as workdir:
        client = NotebookClient(nb, timeout=timeout_s, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": workdir}})
        client.execute()
    return nb


def _code_cell(source: str) -> dict:
    return {"cell_type": "code", "id": "sk-grade-" + secrets.token_hex(6), "metadata": {},
            "outputs": [], "execution_count": None, "source": source}


# --------------------------------------------------------------------------------- the key

def _key_dump_cell(marker: str) -> dict:
    return _code_cell(_ENCODE + f'''
import json as _sk_json
from stackkit.exercises import Exercise as _SkExercise
print({marker!r}, _sk_json.dumps({{
    _name: {{"title": _ex.title, "expected": _sk_grade_encode(_ex.expected),
             "rel_tol": _ex.rel_tol, "unit": _ex.unit,
             "choices": list(_ex.choices) if _ex.choices else None}}
    for _name, _ex in globals().items() if isinstance(_ex, _SkExercise)}}))
''')


def _marked_lines(nb, marker: str) -> list[str]:
    # A kernel may flush one print in several stream messages (on a busy machine, between the
    # marker and its record), so a cell's stdout is joined before it is cut into lines.
    lines = []
    for cell in nb.cells:
        text = "".join(
            "".join(o["text"]) if isinstance(o["text"], list) else o["text"]
            for o in cell.get("outputs", [])
            if o.get("output_type") == "stream" and o.get("name") == "stdout")
        lines += [ln[len(marker) + 1:] for ln in text.splitlines()
                  if ln.startswith(marker + " ")]
    return lines


def make_key(path: Path) -> dict:
    """Run the source lesson once and write down every exercise it defines, in lesson order."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    marker = "__stackkit_key_" + secrets.token_hex(8)
    run = dict(notebook, cells=[*notebook["cells"], _key_dump_cell(marker)])
    start = time.perf_counter()
    nb = _execute(run)
    run_s = time.perf_counter() - start
    errors = [(i, o.get("ename")) for i, c in enumerate(nb.cells) for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    if errors:
        raise RuntimeError(f"{path.name}: the source lesson raised while making the key: {errors}")
    lines = _marked_lines(nb, marker)
    if len(lines) != 1:
        raise RuntimeError(f"{path.name}: the key cell printed {len(lines)} keys")
    exercises = json.loads(lines[0])
    student = student_copy(notebook)
    order = list(answer_cells(student["cells"]))
    missing = [name for name in order if name not in exercises]
    if missing:
        raise RuntimeError(f"{path.name}: answer cells check {missing}, which the lesson never "
                           "defines as an Exercise")
    return {"lesson": path.stem, "exercises": {name: exercises[name] for name in order},
            "cell_ids": [c.get("id") for c in student["cells"]], "run_s": round(run_s, 2)}


def release(paths: list[Path], out_dir: Path) -> list[Path]:
    """Write each lesson's student assignment and its answer key under ``out_dir``."""
    (out_dir / "student").mkdir(parents=True, exist_ok=True)
    (out_dir / "key").mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        target = out_dir / "student" / path.name
        target.write_text(json.dumps(student_copy(notebook), indent=1, ensure_ascii=False)
                          + "\n", encoding="utf-8")
        key_path = out_dir / "key" / f"{path.stem}.json"
        key_path.write_text(json.dumps(make_key(path), indent=1) + "\n", encoding="utf-8")
        written += [target, key_path]
    return written


def _exercise(entry: dict):
    from stackkit.exercises import Exercise

    return Exercise(entry["title"], _decode(entry["expected"]), rel_tol=entry["rel_tol"],
                    unit=entry["unit"] or "", choices=entry["choices"])


# ----------------------------------------------------------------------------- grading

@dataclass
class Mark:
    exercise: str
    title: str
    points: int
    status: str  # "right", "wrong", "no answer" or "missing"
    note: str = ""


@dataclass
class Graded:
    lesson: str
    marks: list[Mark]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(m.points for m in self.marks)


def grade_notebook(notebook: dict, key: dict) -> Graded:
    """Run one submission and mark each exercise of ``key`` (1 point when right)."""
    start = time.perf_counter()
    marker = "__stackkit_answer_" + secrets.token_hex(8)
    cells = [c for c in notebook.get("cells", []) if not is_solution(c)]
    notes = []
    released = [i for i in key.get("cell_ids", []) if i]
    present = {c.get("id") for c in cells}
    deleted = [i for i in released if i not in present]
    if deleted:
        notes.append(f"{len(deleted)} released cell(s) deleted")
    where = answer_cells(cells)
    run, origin = [_code_cell(_ENCODE)], [None]
    for i, cell in enumerate(cells):
        name = next((n for n, j in where.items() if j == i), None)
        if name is not None:
            run.append(_code_cell("answer = None"))
            origin.append(None)
        run.append(cell)
        origin.append(i)
        if name is not None:
            run.append(_code_cell(
                f"import json as _sk_json\nprint({marker!r}, _sk_json.dumps("
                f"{{'exercise': {name!r}, 'answer': _sk_grade_encode(answer)}}))"))
            origin.append(None)
    nb = _execute(dict(notebook, cells=run))
    for cell, i in zip(nb.cells, origin, strict=True):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                where_text = f"cell {i + 1}" if i is not None else "a grader cell"
                notes.append(f"{where_text} raised {output.get('ename')}")
    answers = {}
    for line in _marked_lines(nb, marker):
        record = json.loads(line)
        answers[record["exercise"]] = _decode(record["answer"])
    marks = []
    for name, entry in key["exercises"].items():
        if name not in where:
            marks.append(Mark(name, entry["title"], 0, "missing", "answer cell missing"))
            continue
        verdict = _exercise(entry).check(answers.get(name))
        marks.append(Mark(name, entry["title"], int(bool(verdict)), verdict.status,
                          "" if verdict else verdict.message))
    return Graded(key["lesson"], marks, notes, time.perf_counter() - start)


def _lesson_of(path: Path, keys: dict[str, dict]) -> str | None:
    if path.stem in keys:
        return path.stem
    prefix = path.stem.split("_")[0]
    matches = [k for k in keys if k.split("_")[0] == prefix]
    return matches[0] if len(matches) == 1 else None


def grade_folder(submissions: Path, keys: dict[str, dict], csv_path: Path | None = None,
                 log=print) -> list[dict]:
    """Grade ``submissions/<student>/<lesson>.ipynb``; rows of the CSV (one per exercise)."""
    rows = []
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir()):
        for path in sorted(student_dir.glob("*.ipynb")):
            lesson = _lesson_of(path, keys)
            student = student_dir.name
            if lesson is None:
                log(f"{student}/{path.name}: no key for this lesson; skipped")
                continue
            try:
                notebook = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                notebook, unreadable = {"cells": []}, f"unreadable notebook: {error}"
            else:
                unreadable = ""
            graded = grade_notebook(notebook, keys[lesson])
            if unreadable:
                graded.notes.insert(0, unreadable)
            for mark in graded.marks:
                rows.append({"student": student, "lesson": lesson, "exercise": mark.exercise,
                             "title": mark.title, "points": mark.points, "max_points": 1,
                             "status": mark.status,
                             "note": "; ".join(filter(None, [mark.note, *graded.notes]))})
            log(f"{student}/{lesson}: {graded.total}/{len(graded.marks)} in "
                f"{graded.seconds:.1f} s" + (f" ({'; '.join(graded.notes)})"
                                             if graded.notes else ""))
    if csv_path is not None:
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(rows)
    return rows


def load_keys(key_dir: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(key_dir.glob("*.json"))}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="write student assignments and answer keys")
    rel.add_argument("--out", default=str(ROOT / "release"))
    rel.add_argument("notebooks", nargs="*", help="default: notebooks/*.ipynb")
    grd = sub.add_parser("grade", help="grade SUBMISSIONS/<student>/<lesson>.ipynb")
    grd.add_argument("submissions")
    grd.add_argument("--key", default=str(ROOT / "release" / "key"))
    grd.add_argument("--csv", default=None, help="default: SUBMISSIONS/grades.csv")
    args = parser.parse_args(argv)
    if args.command == "release":
        paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
        for target in release(paths, Path(args.out)):
            print(f"wrote {target}")
        return 0
    submissions = Path(args.submissions)
    if not submissions.is_dir():
        parser.error(f"SUBMISSIONS must be a folder of student folders; got {submissions}")
    keys = load_keys(Path(args.key))
    if not keys:
        parser.error(f"no answer keys in {args.key}: run `make release` first")
    csv_path = Path(args.csv) if args.csv else submissions / "grades.csv"
    rows = grade_folder(submissions, keys, csv_path)
    print(f"wrote {csv_path}: {len(rows)} marks, "
          f"{sum(r['points'] for r in rows)} of {len(rows)} points")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
