"""The kit's data: sourced, dated tables loaded from ``data/*.csv`` and validated.

Every row carries a ``source`` (a citation a reader can follow) and an
``as_of`` date. Tables load once per process and are cached; each call returns
a fresh copy, so a notebook that edits a table cannot change what the next
cell sees.

    >>> from stackkit import catalog
    >>> catalog.accelerator("h100-sxm").memory_bw_tb_s
    3.35

Look-ups by name ignore case and treat spaces, hyphens and underscores alike;
an unknown name raises ``KeyError`` that lists the closest known names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import math
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from ._results import Result

__all__ = [
    "Accelerator",
    "ApiPrice",
    "Assumption",
    "CatalogError",
    "Dataset",
    "Instance",
    "Interconnect",
    "ModelSpec",
    "UnknownNameError",
    "accelerator",
    "accelerators",
    "api_price",
    "api_prices",
    "assumption",
    "assumptions",
    "data_dir",
    "dataset",
    "datasets",
    "instance",
    "instances",
    "interconnect",
    "interconnects",
    "load_table",
    "model",
    "models",
    "table_names",
]


class CatalogError(ValueError):
    """A data file breaks the catalog's rules; the message names file, line and column."""


class UnknownNameError(KeyError):
    """A look-up by name found nothing; the message lists the closest known names."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


# --------------------------------------------------------------------------- schema

# Column kinds: str, float, int, bool, date. A column that is not required may be
# empty (unknown); one that is required may not.
@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    required: bool = True


def _cols(spec: str) -> tuple[Column, ...]:
    """Parse "name:kind[?]" words; "?" marks a column that may be empty."""
    columns = []
    for word in spec.split():
        name, kind = word.split(":")
        columns.append(Column(name, kind.rstrip("?"), required=not kind.endswith("?")))
    return tuple(columns)


_PROVENANCE = "source:str as_of:date"

SCHEMAS: dict[str, tuple[tuple[Column, ...], tuple[str, ...]]] = {
    # table: (columns, key columns that must be unique together)
    "accelerators": (
        _cols(
            "name:str vendor:str kind:str bf16_tflops:float? fp8_tflops:float? "
            "fp32_tflops:float? tf32_tflops:float? int8_tops:float? memory_gb:float? "
            "memory_type:str? memory_bw_tb_s:float sram_mb:float? tdp_w:float? "
            "price_usd:float? price_note:str? scaleup_link:str? scaleup_bw_gb_s:float? "
            "measured_bf16_tflops:float? year:int " + _PROVENANCE
        ),
        ("name",),
    ),
    "interconnects": (
        _cols(
            "name:str kind:str generation:str? bandwidth_gb_s:float latency_us:float? "
            "links:int? year:int? " + _PROVENANCE
        ),
        ("name",),
    ),
    "instances": (
        _cols(
            "instance:str provider:str region:str accelerator:str accelerator_count:int "
            "usd_per_hour:float spot_usd_per_hour:float? pricing_note:str? " + _PROVENANCE
        ),
        ("instance", "provider", "region", "as_of"),
    ),
    "api_prices": (
        _cols(
            "provider:str model:str input_usd_per_mtok:float output_usd_per_mtok:float "
            "cached_input_usd_per_mtok:float? " + _PROVENANCE
        ),
        ("model",),
    ),
    "models": (
        _cols(
            "name:str family:str n_layers:int d_model:int n_heads:int n_kv_heads:int d_ff:int "
            "vocab_size:int ffn_kind:str n_experts:int experts_per_token:int "
            "tied_embeddings:bool context_length:int params:int " + _PROVENANCE
        ),
        ("name",),
    ),
    # Sourced scalar figures that a layer uses as defaults; one file per layer in
    # data/assumptions/<layer>.csv, read together (the key is unique across files).
    "assumptions": (
        _cols("key:str value:float unit:str description:str " + _PROVENANCE),
        ("key",),
    ),
    "datasets": (
        _cols("name:str kind:str tokens:float? size_tb:float? tokenizer:str? licence:str? "
              + _PROVENANCE),
        ("name",),
    ),
}

ALLOWED_VALUES = {
    ("accelerators", "kind"): ("gpu", "tpu", "asic", "wafer"),
    ("interconnects", "kind"): ("memory", "scale-up", "host", "scale-out"),
    ("models", "ffn_kind"): ("gelu", "relu", "swiglu"),
}

_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


def table_names() -> tuple[str, ...]:
    """The tables the catalog knows, e.g. ``("accelerators", "interconnects", ...)``."""
    return tuple(SCHEMAS)


# --------------------------------------------------------------------------- loading

def data_dir() -> Path:
    """Where the CSV files live.

    In an installed wheel they ship inside the package (``stackkit/data``); in a
    source checkout they sit in the top-level ``data/`` folder. The environment
    variable ``STACKKIT_DATA`` overrides both (for trying out edited tables).
    """
    override = os.environ.get("STACKKIT_DATA")
    if override:
        return Path(override)
    packaged = resources.files("stackkit").joinpath("data")
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parent.parent / "data"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        "stackkit's data folder is missing: looked in the installed package "
        f"({packaged}) and in the checkout ({checkout})"
    )


def _parse_cell(kind: str, text: str) -> Any:
    """Parse one non-empty cell; raise ValueError with a reason on failure."""
    if kind == "str":
        return text
    if kind in ("float", "int"):
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not math.isfinite(number) or number <= 0:
            raise ValueError(f"{text!r} must be a positive number")
        if kind == "int":
            if number != int(number):
                raise ValueError(f"{text!r} must be a whole number")
            return int(number)
        return number
    if kind == "bool":
        lowered = text.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f"{text!r} must be true or false")
    if kind == "date":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None
    raise AssertionError(f"unknown column kind {kind!r}")  # a bug in SCHEMAS


def load_table(table: str, directory: str | Path | None = None) -> pd.DataFrame:
    """Read and validate one table, uncached.

    Parameters
    ----------
    table : one of :func:`table_names`.
    directory : folder holding ``<table>.csv`` (``assumptions/*.csv`` for the
        assumptions table); defaults to :func:`data_dir`.

    Raises
    ------
    CatalogError
        naming the file, the line (the header is line 1) and the column of the
        first problem: a missing column, an empty required cell, a value of the
        wrong type, a non-positive number, an unknown category, a repeated name.
    """
    if table not in SCHEMAS:
        raise UnknownNameError(_unknown_message("table", table, list(SCHEMAS)))
    folder = Path(directory) if directory is not None else data_dir()
    if table == "assumptions":
        parts = [_load_file(table, path) for path in sorted((folder / "assumptions").glob("*.csv"))]
        if not parts:
            raise CatalogError(f"{folder / 'assumptions'}: no CSV files")
        frame = pd.concat(parts)
        repeated = frame.index[frame.index.duplicated()]
        if len(repeated):
            raise CatalogError(f"assumptions: key {repeated[0]!r} appears in more than one file")
        return frame
    return _load_file(table, folder / f"{table}.csv")


def _load_file(table: str, path: Path) -> pd.DataFrame:
    columns, key = SCHEMAS[table]
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    missing = [c.name for c in columns if c.name not in raw.columns]
    if missing:
        raise CatalogError(f"{path.name}: missing column(s) {', '.join(missing)}")
    if raw.empty:
        raise CatalogError(f"{path.name}: has no rows")

    parsed: dict[str, list[Any]] = {c.name: [] for c in columns}
    seen: dict[tuple[str, ...], int] = {}
    for index, row in enumerate(raw.itertuples(index=False)):
        line = index + 2
        values = row._asdict()
        for column in columns:
            text = values[column.name].strip()
            where = f"{path.name}, line {line}, column '{column.name}'"
            if not text:
                if column.required:
                    raise CatalogError(f"{where}: is empty but required")
                parsed[column.name].append(None)
                continue
            try:
                value = _parse_cell(column.kind, text)
            except ValueError as exc:
                raise CatalogError(f"{where}: {exc}") from None
            allowed = ALLOWED_VALUES.get((table, column.name))
            if allowed and value not in allowed:
                raise CatalogError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
            parsed[column.name].append(value)
        key_value = tuple(_normalize(str(values[k])) for k in key)
        if key_value in seen:
            raise CatalogError(
                f"{path.name}, line {line}, column '{key[0]}': "
                f"{', '.join(values[k] for k in key)} repeats line {seen[key_value]}"
            )
        seen[key_value] = line

    frame = pd.DataFrame(parsed)
    for column in columns:
        if column.kind == "float":
            frame[column.name] = pd.to_numeric(frame[column.name], errors="raise").astype(float)
        elif column.kind == "int" and frame[column.name].notna().all():
            frame[column.name] = frame[column.name].astype("int64")
        elif column.kind == "date":
            frame[column.name] = pd.to_datetime(frame[column.name])
    if table == "assumptions":
        frame.insert(0, "layer", path.stem)
    if key in (("name",), ("key",)):
        frame = frame.set_index(key[0], drop=False)
        frame.index.name = None
    return frame


@functools.cache
def _cached(table: str) -> pd.DataFrame:
    return load_table(table)


def _table(table: str) -> pd.DataFrame:
    return _cached(table).copy()


def accelerators() -> pd.DataFrame:
    """One row per chip, indexed by name: dense BF16/FP8/FP32 TFLOP/s, memory, bandwidth, power."""
    return _table("accelerators")


def interconnects() -> pd.DataFrame:
    """Links between chips and machines: NVLink, PCIe, InfiniBand, Ethernet, TPU ICI."""
    return _table("interconnects")


def instances() -> pd.DataFrame:
    """Cloud instances with on-demand and spot $/hour; a price that changed has one row per date."""
    return _table("instances")


def api_prices() -> pd.DataFrame:
    """LLM API prices in USD per million tokens (input, output, cached input)."""
    return _table("api_prices")


def models() -> pd.DataFrame:
    """Transformer architectures with their published parameter counts."""
    return _table("models")


def assumptions() -> pd.DataFrame:
    """Sourced default figures (PUE, electricity price, failure rates, ...), indexed by key."""
    return _table("assumptions")


def datasets() -> pd.DataFrame:
    """Training corpora: tokens and size on disk."""
    return _table("datasets")


# --------------------------------------------------------------------------- look-up

def _normalize(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", str(name)).strip().lower()


def _squash(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).lower()


def _unknown_message(what: str, name: object, known: list[str]) -> str:
    by_normal = {_normalize(k): k for k in known}
    query = _normalize(str(name))
    close = difflib.get_close_matches(query, list(by_normal), n=5, cutoff=0.5)
    contains = [n for n in by_normal if query and (query in n or n in query)]
    suggestions = list(dict.fromkeys(contains + close))[:5]
    if suggestions:
        hint = "closest known names: " + ", ".join(repr(by_normal[s]) for s in suggestions)
    else:
        more = " …" if len(known) > 12 else ""
        hint = f"known names: {', '.join(map(repr, known[:12]))}{more}"
    return f"unknown {what} {name!r}; {hint}"


def _find(names: list[str], name: object, what: str) -> str:
    """The one entry of ``names`` that ``name`` means, ignoring case and separators."""
    if not isinstance(name, str):
        raise UnknownNameError(f"{what} name must be a string; got {name!r}")
    for candidate in names:
        if _normalize(candidate) == _normalize(name):
            return candidate
    squashed = [c for c in names if _squash(c) == _squash(name)]
    if len(squashed) == 1:
        return squashed[0]
    raise UnknownNameError(_unknown_message(what, name, names))


def _none_if_missing(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item"):  # numpy scalar -> Python scalar
        return value.item()
    return value


def _record(cls: type, row: pd.Series) -> Any:
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    return cls(**{n: _none_if_missing(row[n]) for n in names})


@dataclass(frozen=True)
class Accelerator(Result):
    """One chip from ``data/accelerators.csv``; ``None`` marks a figure not published."""

    name: str
    vendor: str
    kind: str  # 'gpu', 'tpu', 'asic' or 'wafer'
    bf16_tflops: float | None  # dense BF16 (FP16 where the vendor gives only that)
    fp8_tflops: float | None
    fp32_tflops: float | None
    tf32_tflops: float | None
    int8_tops: float | None
    memory_gb: float | None  # off-chip memory; None for SRAM-only chips
    memory_type: str | None
    memory_bw_tb_s: float  # off-chip bandwidth, or on-chip SRAM bandwidth for SRAM-only chips
    sram_mb: float | None
    tdp_w: float | None
    price_usd: float | None  # an estimate where known; see price_note
    price_note: str | None
    scaleup_link: str | None
    scaleup_bw_gb_s: float | None  # per chip, one direction
    measured_bf16_tflops: float | None  # best measured matmul throughput
    year: int
    source: str
    as_of: dt.date

    @property
    def weight_capacity_gb(self) -> float:
        """Where weights can live: off-chip memory, or the SRAM on chips that have none."""
        if self.memory_gb is not None:
            return self.memory_gb
        if self.sram_mb is not None:
            return self.sram_mb / 1e3
        raise ValueError(f"{self.name} has neither memory_gb nor sram_mb in the catalog")


@dataclass(frozen=True)
class Interconnect(Result):
    """One link type from ``data/interconnects.csv``."""

    name: str
    kind: str  # 'memory', 'scale-up', 'host' or 'scale-out'
    generation: str | None
    bandwidth_gb_s: float  # one direction, per GPU / slot / port
    latency_us: float | None
    links: int | None
    year: int | None
    source: str
    as_of: dt.date


@dataclass(frozen=True)
class Instance(Result):
    """One cloud instance price from ``data/instances.csv``."""

    instance: str
    provider: str
    region: str
    accelerator: str
    accelerator_count: int
    usd_per_hour: float  # on-demand, the whole instance
    spot_usd_per_hour: float | None
    pricing_note: str | None
    source: str
    as_of: dt.date

    @property
    def usd_per_gpu_hour(self) -> float:
        """On-demand price per accelerator-hour."""
        return self.usd_per_hour / self.accelerator_count


@dataclass(frozen=True)
class ApiPrice(Result):
    """One model's API price from ``data/api_prices.csv`` (USD per million tokens)."""

    provider: str
    model: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    cached_input_usd_per_mtok: float | None
    source: str
    as_of: dt.date


@dataclass(frozen=True)
class ModelSpec(Result):
    """A transformer architecture from ``data/models.csv``."""

    name: str
    family: str
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    d_ff: int
    vocab_size: int
    ffn_kind: str  # 'gelu', 'relu' or 'swiglu'
    n_experts: int
    experts_per_token: int
    tied_embeddings: bool
    context_length: int
    params: int  # the published total parameter count
    source: str
    as_of: dt.date
    head_dim: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "head_dim", self.d_model // self.n_heads)

    # The arithmetic lives in stackkit.transformer (one home for it); these methods
    # stay for code written against them. The import is deferred because transformer
    # sits above the catalog (see docs/architecture.md, tests/test_layers.py).
    def param_count(self) -> int:
        """Parameters from the architecture; see :func:`stackkit.transformer.param_count`."""
        from . import transformer
        return transformer.param_count(self)

    def active_param_count(self) -> int:
        """Parameters one token passes through; see
        :func:`stackkit.transformer.active_param_count`."""
        from . import transformer
        return transformer.active_param_count(self)

    def kv_cache_bytes_per_token(self, bytes_per_element: float = 2.0) -> float:
        """KV cache per token; see :func:`stackkit.transformer.kv_cache_bytes_per_token`."""
        from . import transformer
        return transformer.kv_cache_bytes_per_token(self, bytes_per_element)


@dataclass(frozen=True)
class Assumption(Result):
    """One sourced default from ``data/assumptions/<layer>.csv``."""

    key: str
    value: float
    unit: str
    description: str
    source: str
    as_of: dt.date
    layer: str


def assumption(key: str) -> Assumption:
    """One sourced default by key, e.g. ``assumption("pue_industry_average").value``."""
    frame = _cached("assumptions")
    return _record(Assumption, frame.loc[_find(list(frame.index), key, "assumption")])


def accelerator(name: str | Accelerator) -> Accelerator:
    """One chip by name (``"h100 sxm"``, ``"H100-SXM"``); an ``Accelerator`` passes through."""
    if isinstance(name, Accelerator):
        return name
    frame = _cached("accelerators")
    return _record(Accelerator, frame.loc[_find(list(frame.index), name, "accelerator")])


def interconnect(name: str | Interconnect) -> Interconnect:
    """One link type by name, e.g. ``"NVLink 4"`` or ``"InfiniBand NDR"``."""
    if isinstance(name, Interconnect):
        return name
    frame = _cached("interconnects")
    return _record(Interconnect, frame.loc[_find(list(frame.index), name, "interconnect")])


def model(name: str | ModelSpec) -> ModelSpec:
    """One transformer architecture by name, e.g. ``"llama-3-8b"``."""
    if isinstance(name, ModelSpec):
        return name
    frame = _cached("models")
    return _record(ModelSpec, frame.loc[_find(list(frame.index), name, "model")])


@dataclass(frozen=True)
class Dataset(Result):
    """One training corpus from ``data/datasets.csv``."""

    name: str
    kind: str
    tokens: float | None
    size_tb: float | None
    tokenizer: str | None  # the tokenizer ``tokens`` was counted with
    licence: str | None
    source: str
    as_of: dt.date


def dataset(name: str | Dataset) -> Dataset:
    """One training corpus by name, e.g. ``"FineWeb"``."""
    if isinstance(name, Dataset):
        return name
    frame = _cached("datasets")
    return _record(Dataset, frame.loc[_find(list(frame.index), name, "dataset")])


def api_price(name: str | ApiPrice) -> ApiPrice:
    """One model's API price by model name, e.g. ``"GPT-4o mini"``."""
    if isinstance(name, ApiPrice):
        return name
    frame = _cached("api_prices")
    found = _find(list(frame["model"]), name, "API model")
    return _record(ApiPrice, frame[frame["model"] == found].iloc[0])


def instance(name: str | Instance, as_of: str | dt.date | None = None,
             provider: str | None = None) -> Instance:
    """One cloud instance's price by instance name.

    With several dated rows (a price that changed), the latest on or before
    ``as_of`` is returned; ``as_of=None`` means the latest row.
    """
    if isinstance(name, Instance):
        return name
    frame = _cached("instances")
    if provider is not None:
        frame = frame[frame["provider"].map(_normalize) == _normalize(provider)]
    found = _find(list(dict.fromkeys(frame["instance"])), name, "instance")
    rows = frame[frame["instance"] == found].sort_values("as_of")
    if as_of is not None:
        when = pd.Timestamp(as_of)
        earlier = rows[rows["as_of"] <= when]
        if earlier.empty:
            first = rows["as_of"].min().date()
            raise ValueError(f"as_of={as_of!s} is before the first price of {found} ({first})")
        rows = earlier
    return _record(Instance, rows.iloc[-1])


# --------------------------------------------------------------------------- query

#: Columns a table can be filtered by, in the explorer and in :func:`query`.
FILTER_COLUMNS = {
    "accelerators": ("vendor", "kind"),
    "interconnects": ("kind",),
    "instances": ("provider", "accelerator"),
    "api_prices": ("provider",),
    "models": ("family", "ffn_kind"),
    "datasets": ("kind",),
    "assumptions": ("layer",),
}

#: The column that names a row, per table.
LABEL_COLUMNS = {
    "accelerators": "name",
    "interconnects": "name",
    "instances": "instance",
    "api_prices": "model",
    "models": "name",
    "datasets": "name",
    "assumptions": "key",
}


def numeric_columns(table: str) -> tuple[str, ...]:
    """The numeric columns of ``table``: the metrics it can be sorted and charted by."""
    if table not in SCHEMAS:
        raise UnknownNameError(_unknown_message("table", table, list(SCHEMAS)))
    columns, _ = SCHEMAS[table]
    return tuple(c.name for c in columns if c.kind in ("float", "int") and c.name != "year")


def query(table: str, where: dict[str, str] | None = None, sort_by: str | None = None,
          ascending: bool = False, limit: int | None = None) -> pd.DataFrame:
    """Filter and sort a catalog table.

    Parameters
    ----------
    table : one of :func:`table_names`.
    where : column -> value; keeps rows whose column equals the value (ignoring case).
    sort_by : a numeric column; rows without a value for it are dropped.
    ascending : sort order (default largest first).
    limit : keep at most this many rows.

    >>> query("accelerators", where={"vendor": "AMD"}, sort_by="memory_gb").index[0]
    'MI325X'
    """
    frame = _table(table) if table in SCHEMAS else load_table(table)
    for column, value in (where or {}).items():
        if column not in frame.columns:
            raise ValueError(f"where: {table} has no column {column!r}; "
                             f"columns are {', '.join(frame.columns)}")
        frame = frame[frame[column].astype(str).str.lower() == str(value).lower()]
    if sort_by is not None:
        metrics = numeric_columns(table)
        if sort_by not in metrics:
            raise ValueError(f"sort_by must be a numeric column of {table} "
                             f"({', '.join(metrics)}); got {sort_by!r}")
        frame = frame.dropna(subset=[sort_by]).sort_values(sort_by, ascending=ascending,
                                                           kind="stable")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a whole number of at least 1; got {limit!r}")
        frame = frame.head(limit)
    return frame
