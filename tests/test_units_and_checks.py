"""Formatting helpers and argument checks: what a student reads when something is off."""

from __future__ import annotations

import math

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


@given(st.floats(min_value=1e-300, max_value=1e300))
def test_positive_accepts_every_positive_float(value):
    assert _checks.positive("x", value) == value


def test_in_range_with_an_open_end():
    with pytest.raises(ValueError, match=r"utilization must be in \(0, 1\]; got 0"):
        _checks.in_range("utilization", 0, 0, 1, low_open=True)
    assert _checks.in_range("utilization", 1, 0, 1, low_open=True) == 1


def test_one_of_ignores_case():
    assert _checks.one_of("precision", "BF16", ["bf16", "fp8"]) == "bf16"
