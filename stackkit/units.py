"""Constants and human-readable formatting.

SI decimal prefixes throughout (1 GB = 1e9 bytes, 1 TFLOP/s = 1e12 FLOP/s)
unless a name says ``gib``. One exception, kept because it is the datasheet's own figure:
the catalog's ``Accelerator.memory_gb`` is the vendor's "80GB", which means 80 GiB;
``Accelerator.memory_bytes`` turns it into bytes (× :data:`GIB`), and
``weight_capacity_gb`` gives it back in decimal GB.
"""

from __future__ import annotations

from ._declare import count, custom, declared, number

KB = 1e3
MB = 1e6
GB = 1e9
TB = 1e12
PB = 1e15
GIB = 2**30
MIB = 2**20

TERA = 1e12
GIGA = 1e9

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
DAYS_PER_YEAR = 365.0
HOURS_PER_YEAR = HOURS_PER_DAY * DAYS_PER_YEAR  # 8,760 h, no leap day
DAYS_PER_MONTH = DAYS_PER_YEAR / 12  # 30.42 d, the average month

BITS_PER_BYTE = 8

# Bytes per element of the number formats the kit knows.
BYTES_PER_ELEMENT = {
    "fp32": 4.0,
    "tf32": 4.0,  # stored as 32 bits; only the tensor-core math is reduced
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
    "fp4": 0.5,
}

_SI_PREFIXES = [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]


def _unit(name: str, value: object) -> str:
    """A unit to print after the number: any string, the empty one included."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string; got {value!r}")
    return value


def _frame(name: str, value: object):
    """A pandas DataFrame (checked by its method, so units need not import pandas)."""
    if not hasattr(value, "select_dtypes"):
        raise ValueError(f"{name} must be a pandas DataFrame; got {type(value).__name__}")
    return value


def _example_frames() -> list:
    """A table with a date column, for generated calls (units itself never needs pandas)."""
    import pandas as pd

    return [pd.DataFrame({"as_of": pd.to_datetime(["2025-01-02"]), "usd": [1.0]})]


@declared(value=number(low=None, high=None, examples=(3.35e12, 0.0, -2.5e-4)),
          unit=custom(_unit, examples=("B/s", ""), bad=(3, None, b"B")),
          digits=count(high=17, examples=(3, 1, 17)))
def si(value: float, unit: str = "", digits: int = 3) -> str:
    """Format ``value`` with an SI prefix: ``si(3.35e12, "B/s") == "3.35 TB/s"``.

    ``value`` must be finite: a NaN or infinity is an error upstream, never shown.
    """
    if value == 0:
        return f"{value:g} {unit}".strip()
    magnitude = abs(value)
    for scale, prefix in _SI_PREFIXES:
        if magnitude >= scale:
            return f"{value / scale:.{digits}g} {prefix}{unit}".strip()
    return f"{value:.{digits}g} {unit}".strip()


@declared(n_bytes=number(low=None, high=None, examples=(80e9, 0.0, 1.5)))
def fmt_bytes(n_bytes: float) -> str:
    """``fmt_bytes(80e9) == "80 GB"`` (decimal prefixes)."""
    return si.unchecked(n_bytes, "B", 3)


@declared(amount_usd=number(low=None, high=None, examples=(0.0042, 3.35, 1234.0, 2.1e6)))
def fmt_usd(amount_usd: float) -> str:
    """Dollars with a sensible precision: $0.0042, $3.35, $1,234, $2.1M."""
    magnitude = abs(amount_usd)
    if magnitude >= 1e9:
        return f"${amount_usd / 1e9:,.2f}B"
    if magnitude >= 1e6:
        return f"${amount_usd / 1e6:,.2f}M"
    if magnitude >= 100:
        return f"${amount_usd:,.0f}"
    if magnitude >= 1 or magnitude == 0:
        return f"${amount_usd:,.2f}"
    return f"${amount_usd:.2g}"


@declared(seconds=number(low=None, high=None, examples=(850e-6, 4.2, 11_160.0, 4.7e6)))
def fmt_duration(seconds: float) -> str:
    """A duration in the unit a person would use: "850 µs", "4.2 s", "3.1 h", "54 days"."""
    s = abs(seconds)
    if s < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if s < 1:
        return f"{seconds * 1e3:.3g} ms"
    if s < 120:
        return f"{seconds:.3g} s"
    if s < 2 * 3600:
        return f"{seconds / 60:.3g} min"
    if s < 3 * 86400:
        return f"{seconds / 3600:.3g} h"
    if s < 2 * 365 * 86400:
        return f"{seconds / 86400:.3g} days"
    return f"{seconds / (365 * 86400):.3g} years"


@declared(frame=custom(_frame, examples=_example_frames, bad=(None, 3, [1, 2])))
def iso_dates(frame):
    """A copy of ``frame`` with every date column (``as_of``, ``retrieved``, …) as "YYYY-MM-DD".

    What a lesson shows beside a price: the day, not a timestamp with a time of day. Used as
    ``units.iso_dates(table)`` in place of ``table.assign(as_of=table["as_of"].dt.strftime(…))``.
    """
    dates = frame.select_dtypes(include=["datetime", "datetimetz"]).columns
    return frame.assign(**{str(c): frame[c].dt.strftime("%Y-%m-%d") for c in dates})
