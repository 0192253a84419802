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

One declaration per table: a frozen record dataclass, registered with
:func:`table`, *is* the table's schema. Its fields are the CSV's columns (in
order), their annotations the types (``str``, ``float``, ``int``, ``bool``,
``datetime.date``; ``X | None`` marks a column that may be empty), and
``field(metadata=column(...))`` adds what a type cannot say (allowed values, the key, the label,
the filter columns). The same rules check every record, whether the loader
builds it from a file or code builds it by hand (``bench.run().as_accelerator()``).
``data/README.md`` says how to add a table.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import functools
import math
import numbers
import os
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from .. import _checks
from .._results import Result

__all__ = [
    "Accelerator",
    "ApiPrice",
    "Assumption",
    "CatalogError",
    "Dataset",
    "Instance",
    "Interconnect",
    "ModelSpec",
    "Record",
    "StorageTier",
    "UnknownNameError",
    "accelerator",
    "accelerators",
    "api_price",
    "api_prices",
    "assumption",
    "assumptions",
    "column",
    "data_dir",
    "dataset",
    "datasets",
    "instance",
    "instances",
    "interconnect",
    "interconnects",
    "load_table",
    "lookup",
    "model",
    "models",
    "numeric_columns",
    "query",
    "storage_tier",
    "storage_tiers",
    "table",
    "table_names",
]

#: Columns a file may leave out of its header altogether (their cells are then empty).
_OPTIONAL_HEADER = frozenset({"retrieved"})

#: How far past today an ``as_of`` date may lie before the loader rejects it: a figure
#: announced for the start of next month is fine, one dated 2099 is a typo.
FUTURE_GRACE_DAYS = 31


class CatalogError(ValueError):
    """A data file breaks the catalog's rules; the message names file, line and column."""


class UnknownNameError(KeyError):
    """A look-up by name found nothing; the message lists the closest known names."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0])


# --------------------------------------------------------------------------- declaring a table

@dataclass(frozen=True)
class _ColumnRule:
    """What a record field says about its column (from the annotation and :func:`column`)."""

    name: str
    kind: str  # 'str', 'float', 'int', 'bool' or 'date'
    required: bool  # False: the cell may be empty (the field is ``X | None``)
    allowed: tuple[Any, ...] = ()
    key: bool = False
    label: bool = False
    filter: bool = False
    metric: bool = True
    allow_zero: bool = False
    in_file: bool = True


def column(*, key: bool = False, label: bool = False, allowed: tuple[Any, ...] = (),
           filter: bool = False, metric: bool = True, allow_zero: bool = False,
           in_file: bool = True) -> dict[str, Any]:
    """Field metadata for a record's column: what its type annotation cannot say.

    Used as ``name: str = field(metadata=column(key=True, label=True))``.

    Parameters
    ----------
    key : part of the key that must be unique in the file (compared ignoring case and
        separators); several fields may be key fields (instances: name, provider,
        region, date).
    label : the column that names a row: look-ups by name search it and, for a table
        declared ``indexed=True``, the table is indexed by it. One per table.
    allowed : the only values the column may hold (e.g. ``("gpu", "tpu")``).
    filter : a category the catalog explorer and :func:`query` offer as a filter (the
        first one also colours the explorer's bars).
    metric : for a number: offered as a sort and chart metric (``False`` for a year).
    allow_zero : for a number: 0 is allowed (numbers must otherwise be > 0).
    in_file : ``False`` for a field the loader fills in rather than reads (an assumption's
        ``layer``, the name of the file it came from).
    """
    if isinstance(allowed, (str, bytes)) or not hasattr(allowed, "__iter__"):
        raise TypeError(f"allowed must be a tuple of the values a column may hold; got "
                        f"{allowed!r}")
    rule = {"key": key, "label": label, "allowed": tuple(allowed), "filter": filter,
            "metric": metric, "allow_zero": allow_zero, "in_file": in_file}
    return {"catalog": rule}


_KINDS = {str: "str", float: "float", int: "int", bool: "bool", dt.date: "date"}


def _kind_of(annotation: Any) -> tuple[str, bool]:
    """('float', True) for ``float``; ('float', False) for ``float | None``."""
    args = typing.get_args(annotation)
    optional = (typing.get_origin(annotation) in (typing.Union, types.UnionType)
                and type(None) in args)
    if optional:
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"a column is one type or None; got {annotation!r}")
        annotation = rest[0]
    if annotation not in _KINDS:
        raise TypeError(f"a column's type is one of str, float, int, bool, datetime.date "
                        f"(or that | None); got {annotation!r}")
    return _KINDS[annotation], not optional


class Record(Result):
    """Base of every catalog record: a frozen dataclass that checks itself when built.

    Subclasses are declared with ``@table("name")`` and ``@dataclass(frozen=True)``.
    Building one (by the loader or by hand) checks every column: its type, that a
    required value is present, that a number is finite and positive, that a
    category is one of the allowed values. A bad value raises ``ValueError``
    naming the record type, the field, the value and what is allowed.
    """

    _table: ClassVar[str] = ""

    def __post_init__(self) -> None:
        what = type(self).__name__
        for rule in _rules(type(self)):
            value = getattr(self, rule.name)
            problem = _check_value(rule, value)
            if problem:
                raise ValueError(f"{what}.{rule.name}: {problem}")
        as_of, retrieved = getattr(self, "as_of", None), getattr(self, "retrieved", None)
        if retrieved is not None and as_of is not None and retrieved < as_of:
            raise ValueError(f"{what}.retrieved: {retrieved} is before as_of ({as_of}); "
                             "a figure cannot be read before it was true")


@functools.cache
def _rules(cls: type) -> tuple[_ColumnRule, ...]:
    """The column rules of a record class, read once from its fields and annotations."""
    hints = typing.get_type_hints(cls)
    rules = []
    for f in dataclasses.fields(cls):
        if not f.init:  # derived in __post_init__ (e.g. ModelSpec.head_dim)
            continue
        kind, required = _kind_of(hints[f.name])
        rules.append(_ColumnRule(f.name, kind, required, **f.metadata.get("catalog", {})))
    return tuple(rules)


#: The largest number a table may hold: above any real figure (the largest training
#: compute ever published is ~5e25 FLOP), small enough that the models' products of
#: catalog figures cannot overflow a float (an H100 at 1e308 TFLOP/s did).
MAX_NUMBER = 1e27


def _check_value(rule: _ColumnRule, value: Any) -> str | None:
    """Why ``value`` cannot be in this column, or None if it can."""
    if value is None:
        return "is empty but required" if rule.required else None
    kind = rule.kind
    if kind in ("float", "int"):
        integral = isinstance(value, numbers.Integral)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return f"{value!r} is not a number"
        if kind == "int" and not integral:
            return f"{value!r} must be a whole number"
        if not math.isfinite(value):
            return f"{value!r} must be a finite number"
        if value < 0 or (value == 0 and not rule.allow_zero):
            return f"{value!r} must be a positive number" + (" or 0" if rule.allow_zero else "")
        if value > MAX_NUMBER:
            return (f"{value!r} is beyond {MAX_NUMBER:g}, larger than any real figure a table "
                    "holds (a typo, or a unit slip?)")
    elif kind == "bool" and not isinstance(value, bool):
        return f"{value!r} must be true or false"
    elif kind == "date" and not isinstance(value, dt.date):
        return f"{value!r} is not a date"
    elif kind == "str" and not isinstance(value, str):
        return f"{value!r} is not text"
    if rule.allowed and value not in rule.allowed:
        return f"{value!r} is not one of {', '.join(map(str, rule.allowed))}"
    return None


@dataclass(frozen=True)
class _Table:
    name: str
    record: type
    folder: bool  # True: every data/<name>/*.csv, read together
    indexed: bool  # True: the frame is indexed by the label column

    @property
    def rules(self) -> tuple[_ColumnRule, ...]:
        return _rules(self.record)

    @property
    def label(self) -> str:
        return next(r.name for r in self.rules if r.label)

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rules if r.key)


_TABLES: dict[str, _Table] = {}


def table(name: str, *, folder: bool = False, indexed: bool = True) -> Callable[[type], type]:
    """Register a record dataclass as the schema of ``data/<name>.csv``.

    ``folder=True`` reads every ``data/<name>/*.csv`` as one table (the assumptions,
    one file per layer). ``indexed=False`` keeps a plain row index (tables whose
    label repeats, such as dated prices). Use it above ``@dataclass(frozen=True)``::

        @table("storage_tiers")
        @dataclass(frozen=True)
        class StorageTier(Record):
            name: str = field(metadata=column(key=True, label=True))
            kind: str = field(metadata=column(allowed=("object", "file", "block"),
                                              filter=True))
            read_gb_s: float
            usd_per_tb_month: float | None
            source: str
            as_of: dt.date
    """
    def register(cls: type) -> type:
        if not (dataclasses.is_dataclass(cls) and issubclass(cls, Record)):
            raise TypeError(f"@table({name!r}) needs a frozen dataclass derived from Record")
        spec = _Table(name, cls, folder, indexed)
        labels = [r.name for r in spec.rules if r.label]
        if len(labels) != 1 or not spec.key:
            raise TypeError(f"{cls.__name__}: a table needs one label column and a key")
        for required in ("source", "as_of"):
            if required not in {r.name for r in spec.rules}:
                raise TypeError(f"{cls.__name__}: every table has a {required} column")
        cls._table = name
        _TABLES[name] = spec
        return cls
    return register


def _spec(name: str) -> _Table:
    if not isinstance(name, str):
        raise UnknownNameError(f"table must be a table name (text); got {name!r}; known "
                               f"tables: {', '.join(_TABLES)}")
    if name not in _TABLES:
        raise UnknownNameError(_unknown_message("table", name, list(_TABLES)))
    return _TABLES[name]


def table_names() -> tuple[str, ...]:
    """The tables the catalog knows, e.g. ``("accelerators", "interconnects", ...)``."""
    return tuple(_TABLES)


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
    checkout = Path(__file__).resolve().parents[2] / "data"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(
        "stackkit's data folder is missing: looked in the installed package "
        f"({packaged}) and in the checkout ({checkout})"
    )


_TRUE = {"true", "yes", "1"}
_FALSE = {"false", "no", "0"}


def _parse_cell(kind: str, text: str) -> Any:
    """Parse one non-empty cell; raise ValueError with a reason on failure.

    Only the syntax is checked here; the column's rules (positive, allowed values)
    are :func:`_check_value`'s, shared with records built in code.
    """
    if kind == "str":
        return text
    if kind in ("float", "int"):
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not math.isfinite(number):
            raise ValueError(f"{text!r} must be a finite number")
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
    raise AssertionError(f"unknown column kind {kind!r}")  # a bug in a record class


def load_table(table: str, directory: str | Path | None = None) -> pd.DataFrame:
    """Read and validate one table, uncached.

    Parameters
    ----------
    table : one of :func:`table_names`.
    directory : folder holding ``<table>.csv`` (``<table>/*.csv`` for a table declared
        ``folder=True``, such as the assumptions); defaults to :func:`data_dir`.

    Raises
    ------
    CatalogError
        naming the file, the line (the file's own line number: the header is line 1,
        blank lines and line breaks inside quoted cells count) and the column of the
        first problem: an empty file, a missing or unknown column, a row with more or
        fewer fields than the header, an empty required cell, a value of the wrong
        type, a non-positive number, an unknown category, an ``as_of`` date in the
        future, a repeated name.
    """
    spec = _spec(table)
    folder = Path(directory) if directory is not None else data_dir()
    if spec.folder:
        paths = sorted((folder / table).glob("*.csv"))
        if not paths:
            raise CatalogError(f"{folder / table}: no CSV files")
        frame = pd.concat([_load_file(spec, path) for path in paths])
        repeated = frame[spec.label][frame[spec.label].duplicated()]
        if len(repeated):
            raise CatalogError(f"{table}: {spec.label} {repeated.iloc[0]!r} appears in more "
                               "than one file")
        return frame
    frame = _load_file(spec, folder / f"{table}.csv")
    for column_name, target in _REFERENCES.get(spec.name, {}).items():
        known = set(load_table(target, directory)[_spec(target).label])
        unknown = sorted(set(frame[column_name]) - known)
        if unknown:
            raise CatalogError(f"{table}.csv, column '{column_name}': {unknown[0]!r} is not a "
                               f"{_spec(target).label} in {target}.csv (known: "
                               f"{', '.join(sorted(known)[:8])}, ...)")
    return frame


#: Columns that name a row of another table: every value must exist there.
_REFERENCES = {"instances": {"accelerator": "accelerators"}}


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """The file's rows, each with the line it starts on; blank lines are skipped."""
    rows: list[tuple[int, list[str]]] = []
    previous_end = 0
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, skipinitialspace=True, strict=True)
            try:
                for cells in reader:
                    start, previous_end = previous_end + 1, reader.line_num
                    if len(cells) <= 1 and not "".join(cells).strip():
                        continue  # a blank line
                    rows.append((start, cells))
            except csv.Error as exc:
                raise CatalogError(f"{path.name}, line {previous_end + 1}: "
                                   f"not valid CSV ({exc})") from None
    except FileNotFoundError:
        raise CatalogError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path.name}: not UTF-8 text ({exc.reason} at byte "
                           f"{exc.start})") from None
    return rows


def _load_file(spec: _Table, path: Path) -> pd.DataFrame:
    rules = spec.rules
    in_file = [r for r in rules if r.in_file]
    rows = _read_rows(path)
    if not rows:
        raise CatalogError(f"{path.name}: the file is empty (no header line)")
    header_line, header = rows[0]
    header = [h.strip() for h in header]
    where_header = f"{path.name}, line {header_line}"
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise CatalogError(f"{where_header}: column(s) {', '.join(repeated)} appear twice")
    # ``retrieved`` (when a figure was read) may be absent from a file's header: its cells
    # are then empty, so a table written before the column existed still loads
    missing = [r.name for r in in_file
               if r.name not in header and r.name not in _OPTIONAL_HEADER]
    if missing:
        raise CatalogError(f"{path.name}: missing column(s) {', '.join(missing)}")
    known = {r.name for r in in_file}
    unknown = [h for h in header if h not in known]
    if unknown:
        raise CatalogError(f"{where_header}: unknown column(s) {', '.join(map(repr, unknown))}; "
                           f"{spec.name} has {', '.join(r.name for r in in_file)} "
                           f"(declared by catalog.{spec.record.__name__})")
    if len(rows) == 1:
        raise CatalogError(f"{path.name}: has no rows")

    latest = dt.date.today() + dt.timedelta(days=FUTURE_GRACE_DAYS)
    parsed: dict[str, list[Any]] = {r.name: [] for r in rules}
    seen: dict[tuple[str, ...], int] = {}
    for line, cells in rows[1:]:
        if len(cells) != len(header):
            raise CatalogError(f"{path.name}, line {line}: {len(cells)} fields, but the header "
                               f"has {len(header)} (a comma inside an unquoted cell?)")
        texts = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        values: dict[str, Any] = {}
        for rule in rules:
            where = f"{path.name}, line {line}, column '{rule.name}'"
            if not rule.in_file:  # filled in by the loader: the file's name
                values[rule.name] = path.stem
                continue
            text = texts.get(rule.name, "")
            try:
                value = _parse_cell(rule.kind, text) if text else None
            except ValueError as exc:
                raise CatalogError(f"{where}: {exc}") from None
            problem = _check_value(rule, value)
            if problem:
                raise CatalogError(f"{where}: {problem}")
            if rule.name == "as_of" and value > latest:
                raise CatalogError(f"{where}: {value} is in the future (later than {latest}); "
                                   "as_of is the date the figure was true")
            values[rule.name] = value
        try:
            spec.record(**values)  # the record's own checks, beyond single columns
        except ValueError as exc:
            raise CatalogError(f"{path.name}, line {line}: {exc}") from None
        key_value = tuple(_normalize(texts[k]) for k in spec.key)
        if key_value in seen:
            raise CatalogError(
                f"{path.name}, line {line}, column '{spec.key[0]}': "
                f"{', '.join(texts[k] for k in spec.key)} repeats line {seen[key_value]}"
            )
        seen[key_value] = line
        for name, value in values.items():
            parsed[name].append(value)

    # Columns the loader fills in come first (an assumption's layer), then the file's.
    order = [r for r in rules if not r.in_file] + in_file
    frame = pd.DataFrame({r.name: parsed[r.name] for r in order})
    for rule in order:
        values = frame[rule.name]
        if rule.kind == "float":
            frame[rule.name] = pd.to_numeric(values, errors="raise").astype(float)
        elif rule.kind in ("int", "bool") and values.notna().all():
            frame[rule.name] = values.astype("int64" if rule.kind == "int" else bool)
        elif rule.kind == "date":
            frame[rule.name] = pd.to_datetime(values)
    if spec.indexed:
        frame = frame.set_index(spec.label, drop=False)
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


def api_prices(history: bool = False) -> pd.DataFrame:
    """LLM API prices in USD per million tokens (input, output, cached input).

    A price that changed has one row per date in ``data/api_prices.csv``; by default only each
    model's newest row is returned, ``history=True`` returns them all.
    """
    frame = _table("api_prices")
    if not isinstance(history, bool):
        raise ValueError(f"history must be True or False; got {history!r}")
    if history:
        return frame
    newest = frame.sort_values("as_of", kind="stable").groupby("model", sort=False).tail(1)
    return frame.loc[frame.index.isin(newest.index)]


def models() -> pd.DataFrame:
    """Transformer architectures with their published parameter counts."""
    return _table("models")


def assumptions() -> pd.DataFrame:
    """Sourced default figures (PUE, electricity price, failure rates, ...), indexed by key."""
    return _table("assumptions")


def datasets() -> pd.DataFrame:
    """Training corpora: tokens and size on disk."""
    return _table("datasets")


def storage_tiers() -> pd.DataFrame:
    """Storage throughput per unit of scale (a prefix, a TiB, a node, a drive, a cluster)."""
    return _table("storage_tiers")


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
    values = {}
    for rule in _rules(cls):
        value = _none_if_missing(row[rule.name])
        if rule.kind == "int" and isinstance(value, float) and value.is_integer():
            value = int(value)  # an int column with empty cells is stored as floats
        values[rule.name] = value
    return cls(**values)


def _noun(table: str) -> str:
    return {"api_prices": "API model"}.get(table, table.removesuffix("s"))


# Records are frozen, so a look-up's answer can be kept: (table, name as typed) -> record.
_LOOKUPS: dict[tuple[str, str], Any] = {}


def lookup(table: str, name: Any) -> Any:
    """One record of ``table`` by its label column (the first row if the label repeats).

    ``lookup("datasets", "fineweb")`` is ``dataset("fineweb")``; a record of the
    table's own type passes through. The answer is cached (records are frozen).
    """
    spec = _spec(table)
    if isinstance(name, spec.record):
        return name
    if isinstance(name, str) and (table, name) in _LOOKUPS:
        return _LOOKUPS[(table, name)]
    frame = _cached(table)
    labels = list(dict.fromkeys(frame[spec.label]))
    found = _find(labels, name, _noun(table))
    row = frame.loc[found] if spec.indexed else frame[frame[spec.label] == found].iloc[0]
    record = _record(spec.record, row)
    _LOOKUPS[(table, name)] = record
    return record


# --------------------------------------------------------------------------- the tables
# One declaration per table: the record class is the schema of data/<table>.csv.
# The order of the declarations is the order of table_names().

@table("accelerators")
@dataclass(frozen=True)
class Accelerator(Record):
    """One chip from ``data/accelerators.csv``; ``None`` marks a figure not published."""

    name: str = field(metadata=column(key=True, label=True))
    vendor: str = field(metadata=column(filter=True))
    # 'cpu' rows are machines measured by stackkit.bench (bench.run().as_accelerator());
    # the CSV holds accelerators only.
    kind: str = field(metadata=column(allowed=("gpu", "tpu", "asic", "wafer", "cpu"),
                                      filter=True))
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
    year: int = field(metadata=column(metric=False))
    source: str
    as_of: dt.date  # when the figure was true
    retrieved: dt.date | None = None  # when the figure was read from its source

    @property
    def weight_capacity_gb(self) -> float:
        """Where weights can live: off-chip memory, or the SRAM on chips that have none."""
        if self.memory_gb is not None:
            return self.memory_gb
        if self.sram_mb is not None:
            return self.sram_mb / 1e3
        raise ValueError(f"{self.name} has neither memory_gb nor sram_mb in the catalog")


@table("interconnects")
@dataclass(frozen=True)
class Interconnect(Record):
    """One link type from ``data/interconnects.csv``."""

    name: str = field(metadata=column(key=True, label=True))
    kind: str = field(metadata=column(allowed=("memory", "scale-up", "host", "scale-out"),
                                      filter=True))
    generation: str | None
    bandwidth_gb_s: float  # one direction, per GPU / slot / port
    latency_us: float | None
    links: int | None
    year: int | None = field(metadata=column(metric=False))
    source: str
    as_of: dt.date  # when the figure was true
    retrieved: dt.date | None = None  # when the figure was read from its source


@table("instances", indexed=False)
@dataclass(frozen=True)
class Instance(Record):
    """One cloud instance price from ``data/instances.csv`` (one row per price date)."""

    instance: str = field(metadata=column(key=True, label=True))
    provider: str = field(metadata=column(key=True, filter=True))
    region: str = field(metadata=column(key=True))
    accelerator: str = field(metadata=column(filter=True))
    accelerator_count: int
    usd_per_hour: float  # on-demand, the whole instance
    spot_usd_per_hour: float | None
    pricing_note: str | None
    source: str
    as_of: dt.date = field(metadata=column(key=True))
    retrieved: dt.date | None = None  # when the figure was read from its source

    @property
    def usd_per_accelerator_hour(self) -> float:
        """On-demand price per accelerator-hour (GPU, TPU or other chip)."""
        return self.usd_per_hour / self.accelerator_count

    @property
    def usd_per_gpu_hour(self) -> float:
        """The same as :attr:`usd_per_accelerator_hour` (the older name, kept)."""
        return self.usd_per_accelerator_hour


@table("api_prices", indexed=False)
@dataclass(frozen=True)
class ApiPrice(Record):
    """One model's API price from ``data/api_prices.csv`` (USD per million tokens; a price
    that changed has one row per date, as for instances)."""

    provider: str = field(metadata=column(filter=True))
    model: str = field(metadata=column(key=True, label=True))
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    cached_input_usd_per_mtok: float | None
    source: str
    as_of: dt.date = field(metadata=column(key=True))  # when the price was in effect
    retrieved: dt.date | None = None  # when the figure was read from its source


@table("models")
@dataclass(frozen=True)
class ModelSpec(Record):
    """A transformer architecture from ``data/models.csv``."""

    name: str = field(metadata=column(key=True, label=True))
    family: str = field(metadata=column(filter=True))
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    d_ff: int
    vocab_size: int
    ffn_kind: str = field(metadata=column(allowed=("gelu", "relu", "swiglu"), filter=True))
    n_experts: int
    experts_per_token: int
    tied_embeddings: bool
    context_length: int
    params: int  # the published total parameter count
    source: str
    as_of: dt.date  # when the figure was true
    retrieved: dt.date | None = None  # when the figure was read from its source
    # Multi-head latent attention and fine-grained MoE (DeepSeek-V2/V3); empty for the rest.
    attention: str | None = field(default=None, metadata=column(allowed=("gqa", "mla")))
    kv_latent_dim: int | None = None  # MLA: compressed K/V latent d_c, the cached part
    q_latent_dim: int | None = None  # MLA: compressed query d_c' (None: no query compression)
    rope_head_dim: int | None = None  # MLA: decoupled RoPE key per head (one cached per token)
    attn_head_dim: int | None = None  # MLA: per-head width of queries, keys and values
    n_shared_experts: int | None = None  # always-on experts beside the routed ones
    first_dense_layers: int | None = None  # leading layers with a dense FFN instead of MoE
    dense_d_ff: int | None = None  # those layers' FFN width (d_ff is then an expert's)
    head_dim: int = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "head_dim", self.d_model // self.n_heads)
        if self.attention == "mla" and (self.kv_latent_dim is None or self.rope_head_dim is None
                                        or self.attn_head_dim is None):
            raise ValueError(f"ModelSpec {self.name!r}: attention 'mla' needs kv_latent_dim, "
                             "rope_head_dim and attn_head_dim")
        if self.first_dense_layers is not None and self.first_dense_layers >= self.n_layers:
            raise ValueError(f"ModelSpec {self.name!r}: first_dense_layers="
                             f"{self.first_dense_layers} must be fewer than n_layers="
                             f"{self.n_layers}")

    # The arithmetic lives in stackkit.transformer (one home for it); these methods
    # stay for code written against them. The import is deferred because transformer
    # sits above the catalog (see docs/architecture.md, tests/test_layers.py).
    def param_count(self) -> int:
        """Parameters from the architecture; see :func:`stackkit.transformer.param_count`."""
        from .. import transformer
        return transformer.param_count(self)

    def active_param_count(self) -> int:
        """Parameters one token passes through; see
        :func:`stackkit.transformer.active_param_count`."""
        from .. import transformer
        return transformer.active_param_count(self)

    def kv_cache_bytes_per_token(self, bytes_per_element: float = 2.0) -> float:
        """KV cache per token; see :func:`stackkit.transformer.kv_cache_bytes_per_token`."""
        from .. import transformer
        return transformer.kv_cache_bytes_per_token(self, bytes_per_element)


@table("assumptions", folder=True)
@dataclass(frozen=True)
class Assumption(Record):
    """One sourced default from ``data/assumptions/<layer>.csv``."""

    key: str = field(metadata=column(key=True, label=True))
    value: float
    unit: str
    description: str
    source: str
    as_of: dt.date  # when the figure was true
    retrieved: dt.date | None  # when it was read from its source
    layer: str = field(metadata=column(in_file=False, filter=True))  # the file it came from


@table("datasets")
@dataclass(frozen=True)
class Dataset(Record):
    """One training corpus from ``data/datasets.csv``."""

    name: str = field(metadata=column(key=True, label=True))
    kind: str = field(metadata=column(filter=True))
    tokens: float | None
    size_tb: float | None
    size_basis: str | None  # what size_tb measures: compressed (which codec) or not
    tokenizer: str | None  # the tokenizer ``tokens`` was counted with
    licence: str | None
    source: str
    as_of: dt.date  # when the figure was true
    retrieved: dt.date | None = None  # when the figure was read from its source


@table("storage_tiers")
@dataclass(frozen=True)
class StorageTier(Record):
    """Throughput of one unit of a storage tier from ``data/storage_tiers.csv`` (lesson 4)."""

    name: str = field(metadata=column(key=True, label=True))
    kind: str = field(metadata=column(
        allowed=("object", "parallel-fs", "distributed-fs", "local-nvme"), filter=True))
    scope: str = field(metadata=column(
        allowed=("per prefix", "per node", "per TiB", "per drive", "per cluster"), filter=True))
    read_gb_s: float | None
    write_gb_s: float | None
    requests_per_s: float | None
    source: str
    as_of: dt.date


# --------------------------------------------------------------------------- what chips cost

@table("chip_costs")
@dataclass(frozen=True)
class ChipCostRow(Record):
    """One accelerator's estimated cost build-up from ``data/chip_costs.csv`` (lesson 1).

    Every row is an estimate (``estimate`` is True) with its source; empty cells are
    figures no public estimate gives (MI300X's chiplets have no single die area).
    """

    name: str = field(metadata=column(key=True, label=True))
    accelerator: str  # the row of data/accelerators.csv it prices
    node: str = field(metadata=column(filter=True))
    die_area_mm2: float | None  # one logic die
    logic_dies: int | None  # logic dies in one package
    wafer_usd: float | None  # foundry price of one 300 mm wafer at the node
    defects_per_cm2: float | None  # the node's defect density
    hbm_gb: float
    hbm_usd_per_gb: float
    packaging_usd: float  # interposer / CoWoS assembly, per package
    test_assembly_usd: float | None
    logic_die_usd: float  # the published estimate for all the package's logic
    total_cost_usd: float  # the published estimate of the whole build-up
    list_price_usd: float  # estimated selling price
    estimate: bool
    source: str
    as_of: dt.date
    retrieved: dt.date | None = None


@table("chokepoints")
@dataclass(frozen=True)
class Chokepoint(Record):
    """One sourced supply figure from ``data/chokepoints.csv`` (CoWoS, HBM, foundry share)."""

    key: str = field(metadata=column(key=True, label=True))
    value: float
    unit: str = field(metadata=column(filter=True))
    description: str
    estimate: bool
    source: str
    as_of: dt.date
    retrieved: dt.date | None = None


def chip_costs() -> pd.DataFrame:
    """Estimated cost build-ups of accelerators (die, HBM, packaging, test), indexed by name."""
    return _table("chip_costs")


def chip_cost(name: str | ChipCostRow) -> ChipCostRow:
    """One accelerator's estimated cost build-up by name (``"H100 SXM"``)."""
    return lookup("chip_costs", name)


def chokepoints() -> pd.DataFrame:
    """Sourced supply figures: CoWoS wafers/month, packages per wafer, HBM, foundry share."""
    return _table("chokepoints")


def chokepoint(key: str | Chokepoint) -> Chokepoint:
    """One supply figure by key, e.g. ``chokepoint("cowos_wafers_per_month_2025").value``."""
    return lookup("chokepoints", key)


# --------------------------------------------------------------------------- look-up by name

def assumption(key: str | Assumption) -> Assumption:
    """One sourced default by key, e.g. ``assumption("pue_industry_average").value``."""
    return lookup("assumptions", key)


def accelerator(name: str | Accelerator) -> Accelerator:
    """One chip by name (``"h100 sxm"``, ``"H100-SXM"``); an ``Accelerator`` passes through."""
    return lookup("accelerators", name)


def interconnect(name: str | Interconnect) -> Interconnect:
    """One link type by name, e.g. ``"NVLink 4"`` or ``"InfiniBand NDR"``."""
    return lookup("interconnects", name)


def model(name: str | ModelSpec) -> ModelSpec:
    """One transformer architecture by name, e.g. ``"llama-3-8b"``."""
    return lookup("models", name)


def storage_tier(name: str | StorageTier) -> StorageTier:
    """One storage tier by name, e.g. ``"Tectonic (Llama 3 cluster) peak"``."""
    return lookup("storage_tiers", name)


def dataset(name: str | Dataset) -> Dataset:
    """One training corpus by name, e.g. ``"FineWeb"``."""
    return lookup("datasets", name)


def api_price(name: str | ApiPrice, as_of: str | dt.date | None = None) -> ApiPrice:
    """One model's API price by model name, e.g. ``"GPT-4o mini"``.

    With several dated rows (a price that changed, like o3's 80 % cut in June 2025), the latest
    on or before ``as_of`` is returned; ``as_of=None`` means the latest row.
    """
    as_of = _checks.optional(_checks.date, "as_of", as_of)
    if isinstance(name, ApiPrice):
        return name
    frame = _cached("api_prices")
    found = _find(list(dict.fromkeys(frame["model"])), name, "API model")
    rows = frame[frame["model"] == found].sort_values("as_of", kind="stable")
    if as_of is not None:
        earlier = rows[rows["as_of"] <= pd.Timestamp(as_of)]
        if earlier.empty:
            first = rows["as_of"].min().date()
            raise ValueError(f"as_of={as_of!s} is before the first price of {found} ({first})")
        rows = earlier
    return _record(ApiPrice, rows.iloc[-1])


def instance(name: str | Instance, as_of: str | dt.date | None = None,
             provider: str | None = None) -> Instance:
    """One cloud instance's price by instance name.

    With several dated rows (a price that changed), the latest on or before
    ``as_of`` is returned; ``as_of=None`` means the latest row.
    """
    as_of = _checks.optional(_checks.date, "as_of", as_of)
    if isinstance(name, Instance):
        return name
    frame = _cached("instances")
    if provider is not None:
        providers = list(dict.fromkeys(frame["provider"]))
        chosen = _find(providers, provider, "provider")
        frame = frame[frame["provider"] == chosen]
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

def label_column(table: str) -> str:
    """The column that names a row of ``table`` (``"name"``, ``"instance"``, ``"model"``, …)."""
    return _spec(table).label


def filter_columns(table: str) -> tuple[str, ...]:
    """The category columns ``table`` can be filtered by, in the explorer and in :func:`query`."""
    return tuple(r.name for r in _spec(table).rules if r.filter)


def numeric_columns(table: str) -> tuple[str, ...]:
    """The numeric columns of ``table``: the metrics it can be sorted and charted by."""
    return tuple(r.name for r in _spec(table).rules if r.kind in ("float", "int") and r.metric)


def __getattr__(name: str) -> Any:
    # FILTER_COLUMNS and LABEL_COLUMNS were dicts; they are now read off the declarations.
    if name == "FILTER_COLUMNS":
        return {t: filter_columns(t) for t in _TABLES}
    if name == "LABEL_COLUMNS":
        return {t: label_column(t) for t in _TABLES}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    frame = _table(_spec(table).name)
    if where is not None and not isinstance(where, dict):
        raise ValueError(f"where must be a dict of column -> value; got {where!r}")
    for column_name, value in (where or {}).items():
        if column_name not in frame.columns:
            raise ValueError(f"where: {table} has no column {column_name!r}; "
                             f"columns are {', '.join(frame.columns)}")
        frame = frame[frame[column_name].astype(str).str.lower() == str(value).lower()]
    if sort_by is not None:
        metrics = numeric_columns(table)
        if not isinstance(sort_by, str) or sort_by not in metrics:
            raise ValueError(f"sort_by must be a numeric column of {table} "
                             f"({', '.join(metrics)}); got {sort_by!r}")
        frame = frame.dropna(subset=[sort_by]).sort_values(sort_by, ascending=ascending,
                                                           kind="stable")
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a whole number of at least 1; got {limit!r}")
        frame = frame.head(limit)
    return frame
