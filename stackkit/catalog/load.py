"""Loading: where the CSV files are, and reading one table strictly (file, line, column
named in every error), once per process."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import os
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from .._declare import custom, declared, optional
from .names import _normalize
from .schema import TABLE_NAME, _check_value, _spec, _Table

#: Columns a file may leave out of its header altogether (their cells are then empty).
_OPTIONAL_HEADER = frozenset({"retrieved"})

#: How far past today an ``as_of`` date may lie before the loader rejects it: a figure
#: announced for the start of next month is fine, one dated 2099 is a typo.
FUTURE_GRACE_DAYS = 31


class CatalogError(ValueError):
    """A data file breaks the catalog's rules; the message names file, line and column."""


#: Where a built wheel carries the tables: package data of ``stackkit.catalog`` (pyproject.toml
#: maps the top-level ``data/`` there). Not ``stackkit/data``: that is the layer-4 module's name.
_PACKAGED_DATA = "data"


@declared()
def data_dir() -> Path:
    """Where the CSV files live.

    ``data/`` at the top of the repository is the one copy contributors edit. A source
    checkout (an editable install, or a fresh clone on the path) reads it in place; a
    built wheel carries it as package data, ``stackkit/catalog/data/``, found with
    ``importlib.resources``. The environment variable ``STACKKIT_DATA`` overrides both
    (for trying out edited tables).
    """
    override = os.environ.get("STACKKIT_DATA")
    if override:
        return Path(override)
    packaged = resources.files(__package__).joinpath(_PACKAGED_DATA)
    if packaged.is_dir():  # an installed wheel (a wheel installs as files, never zipped)
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


def _folder(param: str, value: object) -> Path:
    if isinstance(value, os.PathLike) or (isinstance(value, str) and value.strip()):
        return Path(value)
    raise ValueError(f"{param} must be a folder (a path or its text); got {value!r}")


@declared(table=TABLE_NAME,
          directory=optional(custom(_folder, examples=lambda: [data_dir()],
                                    bad=(3, "", ["data"]), kind="folder")))
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
    folder = directory if directory is not None else data_dir()
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
        known = set(load_table.unchecked(target, directory)[_spec(target).label])
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
    """One CSV file as a frame: header, then every row, checked; the first problem raises."""
    rows = _read_rows(path)
    header = _header(spec, path, rows)
    latest = dt.date.today() + dt.timedelta(days=FUTURE_GRACE_DAYS)
    parsed: dict[str, list[Any]] = {r.name: [] for r in spec.rules}
    seen: dict[tuple[str, ...], int] = {}
    for line, cells in rows[1:]:
        if len(cells) != len(header):
            raise CatalogError(f"{path.name}, line {line}: {len(cells)} fields, but the header "
                               f"has {len(header)} (a comma inside an unquoted cell?)")
        texts = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
        values = _row(spec, path, line, texts, latest)
        key_value = tuple(_normalize(texts[k]) for k in spec.key)
        if key_value in seen:
            raise CatalogError(
                f"{path.name}, line {line}, column '{spec.key[0]}': "
                f"{', '.join(texts[k] for k in spec.key)} repeats line {seen[key_value]}"
            )
        seen[key_value] = line
        for name, value in values.items():
            parsed[name].append(value)
    return _frame(spec, parsed)


def _header(spec: _Table, path: Path, rows: list[tuple[int, list[str]]]) -> list[str]:
    """The file's column names, checked against the record's fields."""
    in_file = [r for r in spec.rules if r.in_file]
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
    return header


def _row(spec: _Table, path: Path, line: int, texts: dict[str, str],
         latest: dt.date) -> dict[str, Any]:
    """One row's cells parsed and checked, column by column, then as a record."""
    values: dict[str, Any] = {}
    for rule in spec.rules:
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
    return values


def _frame(spec: _Table, parsed: dict[str, list[Any]]) -> pd.DataFrame:
    """The parsed columns as a typed frame, indexed by the label for an indexed table."""
    # Columns the loader fills in come first (an assumption's layer), then the file's.
    order = [r for r in spec.rules if not r.in_file] + [r for r in spec.rules if r.in_file]
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
    return load_table.unchecked(table)


def _table(table: str) -> pd.DataFrame:
    return _cached(table).copy()
