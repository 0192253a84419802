"""Plant five one-line model breaks, one at a time, and check a test catches each.

Each break is a plausible slip (a unit, a ×24, a dropped term) in a model whose figure a
lesson shows; the test named beside it must fail while the break is in, or the suite is
not guarding that model. The file is restored after each run, whatever happens.

    .venv/bin/python tools/planted_breaks.py      # prints CAUGHT or MISSED per break
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
#: (what, file, the line as it is, the line broken, the test that must fail)
BREAKS = [
    ("cluster_summary all-reduce message 10e9 -> 1e9", "stackkit/clusters/summary.py",
     "_SUMMARY_ALLREDUCE_BYTES = 10e9", "_SUMMARY_ALLREDUCE_BYTES = 1e9",
     "tests/test_clusters_summary.py::test_cluster_summary_allreduce_matches_measured_nvlink_bus_bandwidth"),
    ("interruptions_per_day without x24", "stackkit/clusters/summary.py",
     "interruptions_per_day=HOURS_PER_DAY / cluster_h", "interruptions_per_day=1 / cluster_h",
     "tests/test_clusters_summary.py::test_cluster_summary_failures_per_day_match_llama3"),
    ("fmt_bytes unit", "stackkit/units.py",
     'return si.unchecked(n_bytes, "B", 3)', 'return si.unchecked(n_bytes, "b", 3)',
     "tests/test_units_and_checks.py::test_fmt_bytes_says_bytes_with_decimal_prefixes"),
    ("owned-cost curve without its power term", "stackkit/clusters/ownership.py",
     "return self.fixed_usd_per_gpu_hour / u + self.power_usd_per_gpu_hour",
     "return self.fixed_usd_per_gpu_hour / u",
     "tests/test_plots_cloud.py::test_owned_cost_curve_is_the_owned_cost_model"),
    ("Llama 3 failure point without x24", "stackkit/clusters/failures.py",
     "return self.days * HOURS_PER_DAY / self.failures", "return self.days / self.failures",
     "tests/test_plots_clusters.py::test_failures_at_scale_places_llama3_at_its_record"),
]

def main() -> int:
    missed = 0
    for what, rel, old, new, test in BREAKS:
        missed += not _caught(what, rel, old, new, test)
    return 1 if missed else 0


def _caught(what: str, rel: str, old: str, new: str, test: str) -> bool:
    path = ROOT / rel
    text = path.read_text(encoding="utf-8")
    if text.count(old) != 1:
        print(f"STALE   {what}: {rel} no longer holds {old!r} once; update this script")
        return False
    path.write_text(text.replace(old, new), encoding="utf-8")
    try:
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              test], cwd=ROOT, capture_output=True, text=True, check=False)
    finally:
        path.write_text(text, encoding="utf-8")
    last = (run.stdout.strip().splitlines() or [""])[-1]
    print(f"{'CAUGHT' if run.returncode else 'MISSED'}  {what}: {test.split('::')[1]} -> {last}")
    return run.returncode != 0


if __name__ == "__main__":
    sys.exit(main())
