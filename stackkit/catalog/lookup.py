"""Look-up and query: one record of a table by name, a table filtered and sorted, and the
spec a function declares a parameter that names a row with (:func:`known_name`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .._declare import Spec, count, custom, declared, flag, optional, sequence
from .._declare import name as text
from .load import _cached, _table
from .names import UnknownNameError, _find
from .schema import TABLE_NAME, Record, _rules, _spec, numeric_columns


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


@declared(table=TABLE_NAME, examples=optional(sequence(examples=(["H100 SXM", "B200"],))))
def known_name(table: str, examples: Sequence[str] | None = None) -> Spec:
    """The declaration (``stackkit._declare``) of a parameter that names a row of ``table``.

    ``@declared(chip=catalog.known_name("accelerators"))``: the value is a name :func:`lookup`
    finds (in any case or spelling) or the table's own record; the check looks it up, so
    the body receives the record, and an unknown name, or a value that is not text, is the
    catalog's ``KeyError`` listing the closest names. ``examples``: names the generated tests
    call with (default: the table's first three).
    """
    spec = _spec(table)
    noun = _noun(spec.name)

    def check(param: str, value: object) -> object:
        return lookup.unchecked(spec.name, value)

    def valid() -> list[object]:
        if examples is not None:
            return list(examples)
        return list(dict.fromkeys(_cached(spec.name)[spec.label]))[:3]

    return custom(check, examples=valid, bad=(None, 3, "", f"no such {noun}", [noun]),
                  kind="catalog name", detail=f"of a row of {spec.name}")


def _name_or_record(param: str, value: object) -> object:
    if isinstance(value, (str, Record)):
        return value
    raise UnknownNameError(f"{param} must be a string (a row's name) or a catalog record; "
                           f"got {value!r}")


@declared(table=TABLE_NAME,
          name=custom(_name_or_record, examples=("H100 SXM",), bad=(None, 3, ["H100 SXM"]),
                      kind="catalog name"))
def lookup(table: str, name: Any) -> Any:
    """One record of ``table`` by its label column (the first row if the label repeats).

    ``lookup("datasets", "fineweb")`` is ``dataset("fineweb")``; a record of the
    table's own type passes through. The answer is cached (records are frozen).
    """
    spec = _spec(table)
    if isinstance(name, spec.record):  # a record passes through
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



def _where(param: str, value: object) -> dict[Any, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    raise ValueError(f"{param} must be a dict of column -> value; got {value!r}")


@declared(table=TABLE_NAME,
          where=optional(custom(_where, examples=({"vendor": "AMD"},),
                                bad=("vendor=AMD", 3, ["vendor"]), kind="column -> value")),
          sort_by=optional(text(examples=("memory_gb",))), ascending=flag(),
          limit=optional(count(examples=(1, 5))))
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
    for column_name, value in (where or {}).items():
        if column_name not in frame.columns:
            raise ValueError(f"where: {table} has no column {column_name!r}; "
                             f"columns are {', '.join(frame.columns)}")
        frame = frame[frame[column_name].astype(str).str.lower() == str(value).lower()]
    if sort_by is not None:
        metrics = numeric_columns.unchecked(table)
        if sort_by not in metrics:
            raise ValueError(f"sort_by must be a numeric column of {table} "
                             f"({', '.join(metrics)}); got {sort_by!r}")
        frame = frame.dropna(subset=[sort_by]).sort_values(sort_by, ascending=ascending,
                                                           kind="stable")
    if limit is not None:
        frame = frame.head(limit)
    return frame
