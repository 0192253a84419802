"""Print the kit's performance figures against their budgets (``make bench``).

Each ``benchmarks/bench_*.py`` defines ``run() -> list[Figure]``; this script
runs them all and prints one table. Figures are measurements, not pass/fail
tests: the budget column says what docs/architecture.md ("Performance budgets") promises.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # benchmarks/ is a folder of scripts, not a package

from _common import Figure  # noqa: E402


def main(selected: list[str]) -> int:
    figures: list[Figure] = []
    for path in sorted(HERE.glob("bench_*.py")):
        if selected and not any(s in path.stem for s in selected):
            continue
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        start = time.perf_counter()
        print(f"running {path.name} …", file=sys.stderr, flush=True)
        figures += module.run()
        print(f"  done in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    width = max(len(f.name) for f in figures)
    print(f"{'figure':<{width}}  {'measured':>12}  {'budget':>12}  ok")
    for f in figures:
        ok = "yes" if f.within_budget else "NO"
        budget = f"< {f.budget:g} {f.unit}" if f.budget is not None else "-"
        print(f"{f.name:<{width}}  {f.value:>9.3g} {f.unit:<2}  {budget:>12}  {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
