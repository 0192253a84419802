"""Look-up and query: one record of a table by name, a table filtered and sorted."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .load import _cached, _table
from .names import _find
from .schema import _rules, _spec, numeric_columns


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
