"""Write student copies of the lessons: every cell tagged ``solution`` removed.

    python tools/make_student.py [--out student] [notebooks/*.ipynb]

An instructor who hands out the notebooks (or grades them) gives students these copies: each
exercise keeps its question, its collapsed set-up cell and the student's cell (``answer = None``
and the check, whose output is the first hint), and loses the worked solution. The copies go to
``student/`` (ignored by git). Outputs of the remaining cells are kept, so a student sees the
figures before running anything; the solution cells' outputs go with their cells.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_TAG = "solution"


def is_solution(cell: dict) -> bool:
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def student_copy(notebook: dict) -> dict:
    """The notebook without its solution cells (a new dict; the input is left alone)."""
    copy = dict(notebook)
    copy["cells"] = [cell for cell in notebook["cells"] if not is_solution(cell)]
    return copy


def write_student_copies(paths: list[Path], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        target = out_dir / path.name
        target.write_text(json.dumps(student_copy(notebook), indent=1, ensure_ascii=False) + "\n",
                          encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "student"), help="folder for the copies")
    parser.add_argument("notebooks", nargs="*", help="default: notebooks/*.ipynb")
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.notebooks] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for target in write_student_copies(paths, Path(args.out)):
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
