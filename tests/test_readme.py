"""The README's commands and library example stay true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands[:2] == ["make lab", "make test"]


def test_library_example_runs_and_its_comments_hold():
    """Run the README's Python example; the numbers in its comments are checked here too."""
    block = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    chips, clusters, h100 = namespace["chips"], namespace["clusters"], namespace["h100"]
    assert round(chips.ridge_point(h100)) == 295
    assert round(chips.attainable_tflops(h100, intensity=64)) == 214
    assert round(clusters.gpu_power_mw(10_000, "H100 SXM"), 1) == 7.0


def test_every_lesson_in_the_table_exists_or_is_marked_planned():
    for name, rest in re.findall(r"\| \[?`(\d\d_\w+\.ipynb)`\]?(.*)", README):
        assert (ROOT / "notebooks" / name).exists() or "(planned)" in rest, name


def test_make_targets_named_in_the_readme_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"^make ([\w-]+)", README, re.M)):
        assert re.search(rf"^{target}:", makefile, re.M), target
