"""A catalog copy with impossible figures fails on load, naming file, line and column."""

from __future__ import annotations

import shutil

import pytest

from stackkit import catalog


@pytest.fixture
def copy(tmp_path):
    for path in catalog.data_dir().glob("*.csv"):
        shutil.copy(path, tmp_path)
    return tmp_path


def test_a_number_no_chip_reaches_fails_on_load(copy):
    path = copy / "accelerators.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    h100 = next(i for i, line in enumerate(lines) if line.startswith("H100 SXM,"))
    cells = lines[h100].split(",")
    cells[header.index("bf16_tflops")] = "1e308"
    lines[h100] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(catalog.CatalogError, match=rf"accelerators.csv, line {h100 + 1}, "
                                                   r"column 'bf16_tflops'.*beyond 1e\+27"):
        catalog.load_table("accelerators", copy)


def test_an_instance_of_an_unknown_chip_fails_on_load(copy):
    path = copy / "instances.csv"
    path.write_text(path.read_text().replace(",H100 SXM,", ",H100 SXMX,", 1))
    with pytest.raises(catalog.CatalogError, match=r"column 'accelerator': 'H100 SXMX' is not"):
        catalog.load_table("instances", copy)
