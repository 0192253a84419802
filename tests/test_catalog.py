"""The catalog: validation on load, look-up by name, and where the data is found."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from stackkit import catalog

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- validation

@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of data/, to break on purpose."""
    target = tmp_path / "data"
    shutil.copytree(ROOT / "data", target)
    return target


def _set_cell(path: Path, line: int, column: str, value: str) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[line - 2, column] = value  # line 1 is the header
    frame.to_csv(path, index=False)


@pytest.mark.parametrize(
    ("table", "line", "column", "value", "reason"),
    [
        ("accelerators", 5, "bf16_tflops", "fast", "'fast' is not a number"),
        ("accelerators", 4, "memory_bw_tb_s", "-3.35", "must be a positive number"),
        ("accelerators", 3, "memory_bw_tb_s", "", "is empty but required"),
        ("accelerators", 6, "kind", "fpga", "'fpga' is not one of gpu, tpu, asic, wafer"),
        ("accelerators", 7, "as_of", "last spring", "is not an ISO date"),
        ("models", 3, "n_layers", "32.5", "must be a whole number"),
        ("models", 2, "tied_embeddings", "maybe", "must be true or false"),
        ("instances", 4, "source", "", "is empty but required"),
        ("api_prices", 2, "output_usd_per_mtok", "0", "must be a positive number"),
    ],
)
def test_a_broken_file_names_file_line_and_column(data_copy, table, line, column, value, reason):
    _set_cell(data_copy / f"{table}.csv", line, column, value)
    with pytest.raises(catalog.CatalogError) as excinfo:
        catalog.load_table(table, data_copy)
    message = str(excinfo.value)
    assert f"{table}.csv, line {line}, column '{column}'" in message
    assert reason in message


def test_a_repeated_name_is_reported(data_copy):
    path = data_copy / "accelerators.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[4, "name"] = frame.loc[2, "name"].upper()  # same name, other case
    frame.to_csv(path, index=False)
    with pytest.raises(catalog.CatalogError,
                       match=r"accelerators\.csv, line 6, column 'name'.* repeats line 4"):
        catalog.load_table("accelerators", data_copy)


def test_a_missing_column_is_reported(data_copy):
    path = data_copy / "interconnects.csv"
    pd.read_csv(path, dtype=str).drop(columns=["bandwidth_gb_s"]).to_csv(path, index=False)
    with pytest.raises(catalog.CatalogError,
                       match=r"interconnects\.csv: missing column.*bandwidth"):
        catalog.load_table("interconnects", data_copy)


def test_an_assumption_key_in_two_files_is_reported(data_copy):
    folder = data_copy / "assumptions"
    first = sorted(folder.glob("*.csv"))[0]
    shutil.copy(first, folder / "zz_copy.csv")
    with pytest.raises(catalog.CatalogError, match="more than one file"):
        catalog.load_table("assumptions", data_copy)


def test_every_shipped_table_is_valid_and_sourced():
    for table in catalog.table_names():
        frame = catalog.load_table(table)
        assert len(frame) > 0, table
        assert frame["source"].str.len().min() > 5, table
        assert frame["as_of"].dt.year.ge(2000).all(), table
        assert (frame["as_of"] <= pd.Timestamp.today()).all(), f"{table}: as_of in the future"


def test_tables_are_typed():
    chips = catalog.accelerators()
    assert chips["bf16_tflops"].dtype == float
    assert chips["year"].dtype == "int64"
    assert pd.api.types.is_datetime64_any_dtype(chips["as_of"])
    assert catalog.models()["tied_embeddings"].dtype == bool


def test_cached_tables_are_copies():
    first = catalog.accelerators()
    first.loc["H100 SXM", "bf16_tflops"] = 1.0
    assert catalog.accelerators().loc["H100 SXM", "bf16_tflops"] == 989


# --------------------------------------------------------------------------- look-up

@pytest.mark.parametrize("spelling", ["H100 SXM", "h100 sxm", "H100-SXM", "h100_sxm", "H100SXM",
                                      "  H100   SXM "])
def test_lookup_ignores_case_and_separators(spelling):
    assert catalog.accelerator(spelling).name == "H100 SXM"


def test_lookup_of_a_model_by_slug():
    assert catalog.model("llama-3-8b").name == "Llama 3 8B"


def test_unknown_name_lists_the_closest():
    with pytest.raises(KeyError) as excinfo:
        catalog.accelerator("H100")
    message = str(excinfo.value)
    assert message.startswith("unknown accelerator 'H100'; closest known names:")
    assert "'H100 SXM'" in message and "'H100 PCIe'" in message


def test_unknown_name_with_nothing_close_lists_some_names():
    with pytest.raises(KeyError, match="known names: "):
        catalog.model("zzzz")


def test_lookup_passes_a_record_through():
    chip = catalog.accelerator("MI300X")
    assert catalog.accelerator(chip) is chip


def test_instance_price_by_date():
    """AWS cut P5 on-demand prices in June 2025 (AWS News Blog, 2025-06): 98.32 -> 55.04 $/h."""
    assert catalog.instance("p5.48xlarge", as_of="2025-05-15").usd_per_hour == pytest.approx(98.32)
    assert catalog.instance("p5.48xlarge").usd_per_hour == pytest.approx(55.04)
    assert catalog.instance("p5.48xlarge").usd_per_gpu_hour == pytest.approx(6.88)
    with pytest.raises(ValueError, match=r"before the first price of p5\.48xlarge"):
        catalog.instance("p5.48xlarge", as_of="2020-01-01")


def test_record_fields_follow_the_contract():
    chip = catalog.accelerator("H100 SXM")
    for name in ("name", "vendor", "kind", "bf16_tflops", "fp8_tflops", "memory_gb",
                 "memory_bw_tb_s", "sram_mb", "tdp_w", "price_usd", "scaleup_bw_gb_s", "year",
                 "source", "as_of"):
        assert hasattr(chip, name), name
    assert chip.kind == "gpu"
    assert catalog.accelerator("Groq LPU").memory_gb is None  # no HBM: unknown is None, not NaN
    assert "<table>" in chip._repr_html_()


# --------------------------------------------------------------------------- models

@pytest.mark.parametrize("name", list(catalog.models().index))
def test_parameter_count_from_architecture_within_3_percent_of_published(name):
    """Published counts: the papers' tables and the model cards (sources in data/models.csv)."""
    spec = catalog.model(name)
    assert spec.param_count() == pytest.approx(spec.params, rel=0.03)


def test_mixtral_active_parameters():
    """Mixtral 8x7B: 46.7B total, 12.9B active per token (Jiang et al. 2024, arXiv 2401.04088)."""
    spec = catalog.model("Mixtral 8x7B")
    assert spec.active_param_count() == pytest.approx(12.9e9, rel=0.02)


def test_kv_cache_per_token_matches_vllm_paper():
    """Kwon et al. 2023 (vLLM, SOSP), section 3: OPT-13B needs 2 · 5120 · 40 · 2 B = 800 KB
    of KV cache per token in FP16."""
    assert catalog.model("OPT-13B").kv_cache_bytes_per_token(2) == 2 * 5120 * 40 * 2 == 819_200


# --------------------------------------------------------------------------- query

def test_query_filters_sorts_and_limits():
    amd = catalog.query("accelerators", where={"vendor": "amd"}, sort_by="memory_gb", limit=2)
    assert list(amd["vendor"].unique()) == ["AMD"]
    assert list(amd["memory_gb"]) == sorted(amd["memory_gb"], reverse=True)
    assert len(amd) == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sort_by": "vendor"}, "sort_by must be a numeric column of accelerators"),
    ({"where": {"colour": "red"}}, "where: accelerators has no column 'colour'"),
    ({"limit": 0}, "limit must be a whole number of at least 1; got 0"),
])
def test_query_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        catalog.query("accelerators", **kwargs)


def test_unknown_table():
    with pytest.raises(KeyError, match="unknown table 'chips'"):
        catalog.load_table("chips")


# --------------------------------------------------------------------------- location

def test_data_found_in_a_checkout():
    assert catalog.data_dir() == ROOT / "data"


def test_data_dir_can_be_overridden(monkeypatch, tmp_path):
    monkeypatch.setenv("STACKKIT_DATA", str(tmp_path))
    assert catalog.data_dir() == tmp_path


def test_data_ships_inside_the_wheel_and_is_found_there(tmp_path):
    """Build the wheel, unpack it on its own, and load every table from the installed copy."""
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d",
                    str(tmp_path / "dist")], cwd=ROOT, check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("stackkit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "stackkit/data/accelerators.csv" in names
    assert "stackkit/data/README.md" in names
    assert any(n.startswith("stackkit/data/assumptions/") for n in names)
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import stackkit, pathlib; from stackkit import catalog;"
        f"site = pathlib.Path({str(site)!r});"
        "assert pathlib.Path(stackkit.__file__).is_relative_to(site);"
        "assert catalog.data_dir().is_relative_to(site);"
        "print(sum(len(catalog.load_table(t)) for t in catalog.table_names()))"
    )
    out = subprocess.run([sys.executable, "-c", probe], env={"PYTHONPATH": str(site)},
                         check=True, capture_output=True, text=True, cwd=tmp_path)
    assert int(out.stdout) > 80
