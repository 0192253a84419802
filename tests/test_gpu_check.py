"""tools/gpu_check.py, the script a lent GPU runs: on the CPU at tiny shapes (``--small``),
so a session with a GPU does not spend its minutes on a script that breaks; and its
``--record`` step, which puts a run's rows into the catalog's table."""

from __future__ import annotations

import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from stackkit.catalog import load_table

_PATH = Path(__file__).resolve().parents[1] / "tools" / "gpu_check.py"
_spec = importlib.util.spec_from_file_location("stackkit_gpu_check", _PATH)
gpu_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gpu_check)

pytest.importorskip("jax")


@pytest.mark.slow
def test_decode_part_runs_on_the_cpu_and_records_into_a_loadable_table(tmp_path, monkeypatch):
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, str(_PATH), "--out", str(out), "--small",
                           "--part", "decode"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    with (out / "gpu_check.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [int(r["batch_size"]) for r in rows] == [1, 2, 4]
    assert all(float(r["value"]) > 0 for r in rows)
    # --record appends them, with card, date and source, in the catalog's schema
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setattr(gpu_check, "TABLE", data / "gpu_measurements.csv")
    assert gpu_check.record(out / "gpu_check.csv", "H200 SXM", "2026-12-04", "a CPU test") == 0
    table = load_table("gpu_measurements", data)
    assert len(table) == 3 and set(table["accelerator"]) == {"H200 SXM"}
