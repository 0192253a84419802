"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    budget: float | None = None  # the value must stay below this

    @property
    def within_budget(self) -> bool:
        return self.budget is None or self.value < self.budget


def median_ms(action: Callable[[], object], repeats: int = 15, warmup: int = 2) -> float:
    """Median wall time of ``action`` in milliseconds."""
    for _ in range(warmup):
        action()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def widget_update_ms(explorer, name: str, values: list, repeats: int = 3) -> float:
    """Median time of one widget update (compute and redraw), cycling a control's values."""
    times = []
    control = explorer.controls[name]
    for _ in range(repeats):
        for value in values:
            control.value = value
            if explorer.error is not None:
                raise RuntimeError(f"{name}={value!r} gave an error: {explorer.error}")
            times.append(explorer.last_update_s)
    return statistics.median(times) * 1e3


def notebook_seconds(name: str) -> float:
    """Wall time to execute one notebook with nbclient (kernel start included)."""
    code = (
        "import time, nbformat; from nbclient import NotebookClient;"
        f"nb = nbformat.read({str(ROOT / 'notebooks' / name)!r}, as_version=4);"
        "t = time.perf_counter();"
        f"NotebookClient(nb, timeout=300, kernel_name='python3', resources={{'metadata': "
        f"{{'path': {str(ROOT / 'notebooks')!r}}}}}).execute();"
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])
