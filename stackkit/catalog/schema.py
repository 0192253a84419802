"""Declaring a table: a frozen :class:`Record` dataclass registered with :func:`table` *is*
the schema of ``data/<table>.csv``; :func:`column` adds what a type annotation cannot say.

The same rules check a record whether the loader builds it from a file or code builds it
by hand. ``data/README.md`` ("Adding a table") has a worked example.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import numbers
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .._declare import custom, declared, flag, sequence
from .._declare import name as text
from .._results import Result
from .names import UnknownNameError, _unknown_message


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


@declared(key=flag(), label=flag(), allowed=sequence(min_len=0, examples=((), ("gpu", "tpu"))),
          filter=flag(), metric=flag(), allow_zero=flag(), in_file=flag())
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


@declared(name=text(examples=("storage_tiers",)), folder=flag(), indexed=flag())
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


def _table_name(param: str, value: object) -> str:
    return _spec(value).name  # type: ignore[arg-type]  # _spec refuses what is not a name


#: A parameter that names a catalog table: an unknown name, or one that is not text, is the
#: catalog's KeyError listing the closest tables.
TABLE_NAME = custom(_table_name, examples=lambda: table_names(),
                    bad=(None, 3, "", "chips", ["accelerators"]), kind="table name",
                    detail="of a catalog table (table_names())")


@declared()
def table_names() -> tuple[str, ...]:
    """The tables the catalog knows, e.g. ``("accelerators", "interconnects", ...)``."""
    return tuple(_TABLES)


@declared(table=TABLE_NAME)
def label_column(table: str) -> str:
    """The column that names a row of ``table`` (``"name"``, ``"instance"``, ``"model"``, …)."""
    return _spec(table).label


@declared(table=TABLE_NAME)
def filter_columns(table: str) -> tuple[str, ...]:
    """The category columns ``table`` can be filtered by, in the explorer and in :func:`query`."""
    return tuple(r.name for r in _spec(table).rules if r.filter)


@declared(table=TABLE_NAME)
def numeric_columns(table: str) -> tuple[str, ...]:
    """The numeric columns of ``table``: the metrics it can be sorted and charted by."""
    return tuple(r.name for r in _spec(table).rules if r.kind in ("float", "int") and r.metric)
