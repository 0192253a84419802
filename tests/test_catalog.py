"""The catalog: validation on load, look-up by name, and where the data is found."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from stackkit import catalog
from stackkit.catalog import schema

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


# --------------------------------------------------------------------------- query

def test_query_filters_sorts_and_limits():
    amd = catalog.query("accelerators", where={"vendor": "amd"}, sort_by="memory_gb", limit=2)
    assert list(amd["vendor"].unique()) == ["AMD"]
    assert list(amd["memory_gb"]) == sorted(amd["memory_gb"], reverse=True)
    assert len(amd) == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"sort_by": "vendor"}, "sort_by must be a numeric column of accelerators"),
    ({"where": {"colour": "red"}}, "where: accelerators has no column 'colour'"),
    ({"limit": 0}, r"limit must be a whole number of at least 1 .*; got 0"),
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


@pytest.mark.slow  # builds the wheel and loads every table in a fresh interpreter (~3 s)
def test_data_ships_inside_the_wheel_and_is_found_there(tmp_path):
    """Build the wheel, unpack it on its own, and load every table from the installed copy:
    the same tables, row for row, as the checkout's data/."""
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d",
                    str(tmp_path / "dist")], cwd=ROOT, check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("stackkit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "stackkit/catalog/data/accelerators.csv" in names
    assert "stackkit/catalog/data/README.md" in names
    assert any(n.startswith("stackkit/catalog/data/assumptions/") for n in names)
    assert any(n.startswith("stackkit/catalog/data/traces/") for n in names)
    # nothing beside the layer-4 module stackkit/data.py: a folder there would clash with it
    assert not [n for n in names if n.startswith("stackkit/data/") and n.endswith(".csv")]
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "import stackkit, pathlib; from stackkit import catalog;"
        f"site = pathlib.Path({str(site)!r});"
        "assert pathlib.Path(stackkit.__file__).is_relative_to(site);"
        "assert catalog.data_dir() == site / 'stackkit' / 'catalog' / 'data';"
        "print(*(catalog.load_table(t).to_json(date_format='iso')"
        "        for t in catalog.table_names()), sep='\\n')"
    )
    out = subprocess.run([sys.executable, "-c", probe], env={"PYTHONPATH": str(site)},
                         check=True, capture_output=True, text=True, cwd=tmp_path)
    installed = out.stdout.splitlines()
    assert len(installed) == len(catalog.table_names())
    for table, text in zip(catalog.table_names(), installed, strict=True):
        assert text == catalog.load_table(table).to_json(date_format="iso"), table


# --------------------------------------------------------------------------- strict loading
# Each test breaks a temporary copy of one file by hand, as an editor's slip would.

def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _load_error(table: str, folder: Path) -> str:
    with pytest.raises(catalog.CatalogError) as excinfo:
        catalog.load_table(table, folder)
    return str(excinfo.value)


def test_an_as_of_in_the_future_is_rejected(data_copy):
    path = data_copy / "datasets.csv"
    lines = _lines(path)
    lines[2] = lines[2].rsplit(",", 1)[0] + ",2099-01-01"
    _write(path, lines)
    message = _load_error("datasets", data_copy)
    assert "datasets.csv, line 3, column 'as_of'" in message
    assert "2099-01-01 is in the future" in message


def test_an_as_of_within_the_grace_period_is_accepted(data_copy):
    """A figure announced for next month (a price change with a date) may be loaded."""
    path = data_copy / "datasets.csv"
    lines = _lines(path)
    soon = pd.Timestamp.today().date() + pd.Timedelta(days=catalog.FUTURE_GRACE_DAYS - 1)
    lines[2] = lines[2].rsplit(",", 1)[0] + f",{soon:%Y-%m-%d}"
    _write(path, lines)
    assert len(catalog.load_table("datasets", data_copy)) == len(lines) - 1


def test_an_unknown_column_is_rejected(data_copy):
    path = data_copy / "interconnects.csv"
    _write(path, [line + ",x" for line in _lines(path)[:1]]
           + [line + ",1" for line in _lines(path)[1:]])
    message = _load_error("interconnects", data_copy)
    assert "interconnects.csv, line 1: unknown column(s) 'x'" in message
    assert "catalog.Interconnect" in message


def test_a_line_number_counts_blank_lines(data_copy):
    path = data_copy / "models.csv"
    lines = _lines(path)
    row = next(i for i, line in enumerate(lines) if ",swiglu," in line)
    lines[row] = lines[row].replace(",swiglu,", ",geglu,")
    _write(path, [*lines[:1], "", "", *lines[1:]])  # two blank lines above every row
    assert (f"models.csv, line {row + 3}, column 'ffn_kind'"
            in _load_error("models", data_copy))


def test_a_line_number_counts_lines_inside_a_quoted_cell(data_copy):
    path = data_copy / "datasets.csv"
    lines = _lines(path)
    # A row whose source runs over two lines, then a row with a bad token count.
    lines += ['Two-line corpus,web text,1e12,1,,GPT-2,CC0,"first line\nsecond line",2024-01-01',
              "Bad corpus,web text,many,1,,GPT-2,CC0,example,2024-01-01"]
    _write(path, lines)
    bad_line = len(lines) + 1  # the file has one line more than the list: the line break
    assert (f"datasets.csv, line {bad_line}, column 'tokens'"
            in _load_error("datasets", data_copy))


def test_a_row_with_an_extra_field_names_file_and_line(data_copy):
    path = data_copy / "api_prices.csv"
    lines = _lines(path)
    lines[4] += ",surplus"
    _write(path, lines)
    message = _load_error("api_prices", data_copy)
    assert message.startswith("api_prices.csv, line 5:")
    assert "9 fields, but the header has 8" in message


def test_a_row_with_a_missing_field_names_file_and_line(data_copy):
    path = data_copy / "api_prices.csv"
    lines = _lines(path)
    lines[2] = lines[2].rsplit(",", 1)[0]
    _write(path, lines)
    assert _load_error("api_prices", data_copy).startswith("api_prices.csv, line 3: 7 fields")


def test_an_empty_file_is_named(data_copy):
    (data_copy / "instances.csv").write_text("", encoding="utf-8")
    assert _load_error("instances", data_copy) == ("instances.csv: the file is empty "
                                                    "(no header line)")


def test_a_header_without_rows_is_named(data_copy):
    path = data_copy / "instances.csv"
    _write(path, _lines(path)[:1])
    assert _load_error("instances", data_copy) == "instances.csv: has no rows"


def test_an_unclosed_quote_names_file_and_line(data_copy):
    path = data_copy / "datasets.csv"
    lines = _lines(path)
    lines.append('Broken,"web text')
    _write(path, lines)
    message = _load_error("datasets", data_copy)
    assert message.startswith(f"datasets.csv, line {len(lines)}: not valid CSV")


def test_a_file_that_is_not_utf8_is_named(data_copy):
    path = data_copy / "models.csv"
    path.write_bytes(path.read_bytes() + "Modèle,x\n".encode("latin-1"))
    assert _load_error("models", data_copy).startswith("models.csv: not UTF-8 text")


# --------------------------------------------------------------------------- records

def test_a_record_built_in_code_is_checked_like_a_row():
    h100 = catalog.accelerator("H100 SXM")
    with pytest.raises(ValueError, match=r"Accelerator\.kind: 'fpga' is not one of gpu"):
        dataclasses.replace(h100, kind="fpga")
    with pytest.raises(ValueError, match=r"Accelerator\.memory_bw_tb_s: -1 must be a positive"):
        dataclasses.replace(h100, memory_bw_tb_s=-1)
    with pytest.raises(ValueError, match=r"Accelerator\.year: 2024\.5 must be a whole number"):
        dataclasses.replace(h100, year=2024.5)
    with pytest.raises(ValueError, match=r"ApiPrice\.input_usd_per_mtok: 'cheap' is not a number"):
        dataclasses.replace(catalog.api_price("GPT-5 mini"), input_usd_per_mtok="cheap")
    with pytest.raises(ValueError, match=r"ModelSpec\.source: is empty but required"):
        dataclasses.replace(catalog.model("Llama 3 8B"), source=None)


def test_a_measured_cpu_is_an_allowed_accelerator():
    """bench.run().as_accelerator() builds a kind='cpu' record; the schema allows it."""
    chip = dataclasses.replace(catalog.accelerator("H100 SXM"), name="this machine", kind="cpu")
    assert chip.kind == "cpu"


def test_adding_a_table_is_one_csv_and_one_dataclass(tmp_path):
    """The pattern data/README.md documents: declare the record, drop the CSV, look it up."""
    @catalog.table("storage_tiers_example")
    @dataclass(frozen=True)
    class StorageTier(catalog.Record):
        name: str = field(metadata=catalog.column(key=True, label=True))
        kind: str = field(metadata=catalog.column(allowed=("object", "file"), filter=True))
        read_gb_s: float
        usd_per_tb_month: float | None
        source: str
        as_of: dt.date

    try:
        (tmp_path / "storage_tiers_example.csv").write_text(
            "name,kind,read_gb_s,usd_per_tb_month,source,as_of\n"
            "Object store,object,5,23,example,2026-01-01\n"
            "Parallel file system,file,100,,example,2026-01-01\n", encoding="utf-8")
        frame = catalog.load_table("storage_tiers_example", tmp_path)
        assert list(frame.index) == ["Object store", "Parallel file system"]
        assert catalog.numeric_columns("storage_tiers_example") == ("read_gb_s",
                                                                    "usd_per_tb_month")
        assert catalog.filter_columns("storage_tiers_example") == ("kind",)
        assert frame["usd_per_tb_month"].isna().iloc[1]
        with pytest.raises(ValueError, match="'tape' is not one of object, file"):
            StorageTier("Tape", "tape", 1.0, None, "example", dt.date(2026, 1, 1))
    finally:
        schema._TABLES.pop("storage_tiers_example")


def test_query_rejects_a_where_that_is_not_a_dict():
    with pytest.raises(ValueError, match="where must be a dict"):
        catalog.query("accelerators", where="vendor=AMD")


def test_an_unknown_provider_lists_the_known_ones():
    with pytest.raises(KeyError, match="unknown provider 'Azure'; known names: 'AWS', 'GCP'"):
        catalog.instance("p5.48xlarge", provider="Azure")


@pytest.mark.parametrize("table", catalog.table_names())
def test_every_row_becomes_a_record(table):
    """Every row, looked up by its label, builds a record that passes the record's checks."""
    frame = catalog.load_table(table)
    for label in dict.fromkeys(frame[catalog.label_column(table)]):
        record = catalog.lookup(table, label)
        assert getattr(record, catalog.label_column(table)) == label


@pytest.mark.parametrize("table", [None, 3, ["accelerators"]])
def test_a_table_that_is_not_a_name_is_a_key_error(table):
    with pytest.raises(KeyError, match="table must be a table name"):
        catalog.load_table(table)
    with pytest.raises(KeyError, match="table must be a table name"):
        catalog.lookup(table, "H100 SXM")


# --------------------------------------------------------------------------- declarations

def test_known_name_looks_the_name_up_as_a_lookup_does():
    """catalog.known_name is how a function declares a parameter naming a row: the check
    resolves any spelling to the record and refuses an unknown name with the closest ones."""
    spec = catalog.known_name("accelerators")
    assert spec.check("chip", "h100-sxm") == catalog.accelerator("H100 SXM")
    record = catalog.accelerator("MI300X")
    assert spec.check("chip", record) is record
    with pytest.raises(KeyError, match="closest known names: 'H100 SXM'"):
        spec.check("chip", "H100 SMX")
    with pytest.raises(KeyError, match="accelerator name must be a string"):
        spec.check("chip", 3)
    assert len(spec.valid_examples()) == 3


def test_a_query_order_must_be_a_boolean():
    """ascending="no" was taken as True (a non-empty string) and sorted smallest first."""
    with pytest.raises(ValueError, match="ascending must be True or False; got 'no'"):
        catalog.query("accelerators", sort_by="memory_gb", ascending="no")


def test_look_ups_by_date_keep_their_date():
    """instance() and api_price() pick a row by date: their declared name is not resolved to
    the table's first row (the June 2025 AWS cut: p5.48xlarge 98.32 before, 55.04 after)."""
    assert catalog.instance("p5.48xlarge", as_of="2025-05-15").usd_per_hour == 98.32
    assert catalog.instance("p5.48xlarge").usd_per_hour == 55.04
    assert catalog.api_price("o3", as_of="2025-05-01").output_usd_per_mtok == 40.0
    assert catalog.api_price("o3").output_usd_per_mtok == 8.0
