"""Formatting helpers and argument checks: what a student reads when something is off."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from stackkit import _checks, units


@pytest.mark.parametrize(("value", "unit", "text"), [
    (3.35e12, "B/s", "3.35 TB/s"),
    (989e12, "FLOP/s", "989 TFLOP/s"),
    (80e9, "B", "80 GB"),
    (0.5, "s", "0.5 s"),
    (0, "W", "0 W"),
])
def test_si(value, unit, text):
    assert units.si(value, unit) == text


@pytest.mark.parametrize(("n_bytes", "text"), [
    (80e9, "80 GB"), (3.35e12, "3.35 TB"), (819_200, "819 kB"), (230e6, "230 MB"),
])
def test_fmt_bytes_says_bytes_with_decimal_prefixes(n_bytes, text):
    """H100 SXM 80 GB of HBM3; OPT-13B's 800 KB KV cache per token (vLLM paper)."""
    assert units.fmt_bytes(n_bytes) == text


@pytest.mark.parametrize(("amount", "text"), [
    (0.0042, "$0.0042"), (3.349, "$3.35"), (1234.4, "$1,234"), (2.1e6, "$2.10M"), (0, "$0.00"),
])
def test_fmt_usd(amount, text):
    assert units.fmt_usd(amount) == text


@pytest.mark.parametrize(("seconds", "text"), [
    (850e-6, "850 µs"), (4.2, "4.2 s"), (600, "10 min"), (3 * 3600, "3 h"), (54 * 86400, "54 days"),
])
def test_fmt_duration(seconds, text):
    assert units.fmt_duration(seconds) == text


def test_hours_per_year():
    assert units.HOURS_PER_YEAR == 8760


@pytest.mark.parametrize(("check", "args", "message"), [
    (_checks.positive, ("n_gpus", 0), "n_gpus must be greater than 0; got 0"),
    (_checks.positive, ("n_gpus", -3), "n_gpus must be greater than 0; got -3"),
    (_checks.positive, ("size_bytes", "big"), "size_bytes must be a number; got 'big'"),
    (_checks.positive, ("size_bytes", math.nan), "size_bytes must be a finite number"),
    (_checks.positive, ("flag", True), "flag must be a number; got True"),
    (_checks.non_negative, ("latency_s", -1e-6), "latency_s must be 0 or more"),
    (_checks.in_range, ("pue", 0.9, 1.0, 3.0), r"pue must be in \[1, 3\]; got 0.9"),
    (_checks.positive_int, ("n_ranks", 2.5), "n_ranks must be a whole number of at least 1"),
    (_checks.one_of, ("algorithm", "star", ["ring", "tree"]),
     "algorithm must be one of 'ring', 'tree'; got 'star'"),
])
def test_checks_name_parameter_value_and_what_is_allowed(check, args, message):
    with pytest.raises(ValueError, match=message):
        check(*args)


@given(st.floats(min_value=_checks.TINY, max_value=_checks.LIMIT))
def test_positive_accepts_every_positive_float_up_to_the_ceiling(value):
    assert _checks.positive("x", value) == value


def test_in_range_with_an_open_end():
    with pytest.raises(ValueError, match=r"utilization must be in \(0, 1\]; got 0"):
        _checks.in_range("utilization", 0, 0, 1, low_open=True)
    assert _checks.in_range("utilization", 1, 0, 1, low_open=True) == 1


def test_one_of_ignores_case():
    assert _checks.one_of("precision", "BF16", ["bf16", "fp8"]) == "bf16"


# ---------------------------------------------------------------- the extended checks (issue 11)

@pytest.mark.parametrize(("check", "args", "message"), [
    # huge ints, Fractions and floats hit a stated ceiling instead of OverflowError
    (_checks.positive, ("size_bytes", 10**400), r"size_bytes must be at most 1e\+30"),
    (_checks.positive, ("size_bytes", Fraction(10**400, 3)), r"size_bytes must be at most 1e\+30"),
    (_checks.non_negative, ("hours", 1e308), r"hours must be at most 1e\+30"),
    (_checks.positive, ("hours", math.inf), "hours must be a finite number"),
    (_checks.positive_int, ("n_gpus", 1e308), r"n_gpus must be a whole number .*at most"),
    (_checks.positive_int, ("n_gpus", 10**400), r"n_gpus must be a whole number .*at most"),
    (_checks.positive_int, ("n_gpus", math.inf), "n_gpus must be a whole number"),
    (_checks.positive_int, ("n_gpus", "8"), "n_gpus must be a whole number; got '8'"),
    (_checks.non_negative_int, ("seed", -1), "seed must be a whole number of at least 0"),
    (_checks.whole, ("trials", 10**9, 2, 10**6), "trials must be a whole number from 2 to"),
    (_checks.boolean, ("overlap", "no"), "overlap must be True or False; got 'no'"),
    (_checks.boolean, ("history", 1), "history must be True or False; got 1"),
    (_checks.text, ("chip", 3), r"chip must be a name \(a string\); got 3"),
    (_checks.text, ("chip", "  "), "chip must be a non-empty name"),
    (_checks.one_of, ("mode", None, ["spot"]), "mode must be one of 'spot'; got None"),
    (_checks.sequence, ("links", "NVLink 4"), "links must be a list, not a single string"),
    (_checks.sequence, ("links", 3), "links must be a list or another sequence; got 3"),
    (_checks.sequence, ("links", []), "links must hold at least 1 item"),
    (_checks.date, ("as_of", "yesterday"), "as_of must be a date"),
    (_checks.finite, ("intensity", math.inf, {"m": 1e103}), r"intensity is not finite .*m=1e\+103"),
])
def test_extended_checks(check, args, message):
    if message is None:
        check(*args)
        return
    with pytest.raises(ValueError, match=message):
        check(*args)


def test_checks_return_clean_values():
    assert _checks.positive_int("n", 3.0) == 3 and type(_checks.positive_int("n", 3.0)) is int
    assert _checks.positive("x", Fraction(1, 2)) == 0.5
    assert _checks.positive("x", Decimal("2.5")) == 2.5
    assert _checks.boolean("flag", np.bool_(True)) is True
    assert _checks.sequence("links", ("a", "b")) == ["a", "b"]
    assert _checks.sequence("links", "NVLink 4", single=str) == ["NVLink 4"]
    assert _checks.sequence("xs", iter(range(3))) == [0, 1, 2]
    assert _checks.optional(_checks.positive, "x", None) is None
    assert _checks.date("as_of", "2025-06-01") == dt.date(2025, 6, 1)
    assert _checks.fraction("share", 1) == 1.0


def test_finite_checks_result_objects():
    @dataclasses.dataclass(frozen=True)
    class R:
        _derived = ("ratio",)
        a: float
        b: float

        @property
        def ratio(self) -> float:
            return self.a / self.b

    assert _checks.finite("r", R(1.0, 2.0)).a == 1.0
    with pytest.raises(ValueError, match=r"r\.a is not finite .*for x=1"):
        _checks.finite("r", R(math.inf, 2.0), {"x": 1})
    with pytest.raises(ValueError, match=r"r\.b is below 0"):
        _checks.finite("r", R(1.0, -2.0), minimum=0)
    with pytest.raises(ValueError, match="curve is not finite"):
        _checks.finite("curve", np.array([1.0, np.nan]))


def test_iso_dates_formats_every_date_column_and_nothing_else():
    import pandas as pd
    frame = pd.DataFrame({"as_of": pd.to_datetime(["2025-06-01"]),
                          "retrieved": pd.to_datetime(["2026-11-28"]), "usd": [6.88]})
    shown = units.iso_dates(frame)
    assert list(shown.iloc[0]) == ["2025-06-01", "2026-11-28", 6.88]
    assert frame["as_of"].dtype.kind == "M"  # the original is left alone
    with pytest.raises(ValueError, match="frame"):
        units.iso_dates([1, 2])
