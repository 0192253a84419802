"""Edge cases of ``stackkit._checks``: each defect a hostile input once found (issues 11
and 21), pinned by a test."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from stackkit import (
    _checks,
)


def test_the_ceilings_are_stated():
    assert _checks.LIMIT == 1e30 and _checks.TINY == 1e-30 and _checks.COUNT_LIMIT == 10**15


@pytest.mark.parametrize("value, words", [
    ("12", r"lengths must be a list of whole numbers; got '12'"),
    ({"a": 1}, r"lengths must be a list"),
    ([1, None], r"lengths must be a list"),
    ([[1, 2], [3]], r"all rows the same length"),
    ([1, 2.5], r"lengths\[1\] must be a finite whole number at least 1"),
    ([1, 10**400], r"lengths\[1\] must be a finite whole number"),
    (np.array([3.0, np.nan]), r"lengths\[1\] .* got nan"),
    ([], r"lengths must hold from 1"),
    (True, r"lengths must be a list"),
])
def test_array_check_names_the_parameter_and_the_first_bad_item(value, words):
    with pytest.raises(ValueError, match=words):
        _checks.array("lengths", value, low=1, whole=True)


def test_array_check_takes_numbers_in_any_container():
    assert _checks.array("x", 3).tolist() == [3.0]
    assert _checks.array("x", (1, Fraction(1, 2))).tolist() == [1.0, 0.5]
    assert _checks.array("x", [[1, 2], [3, 4]], ndim=2).shape == (2, 2)
    big = np.ones((1000, 384), np.float32)
    assert _checks.array("x", big, ndim=2, dtype="float32") is big  # no copy


@pytest.mark.parametrize("value", [-1, 2.5, "7", None, 2**63, math.nan, {}])
def test_a_seed_is_a_whole_number_from_0(value):
    with pytest.raises(ValueError, match="seed"):
        _checks.seed("seed", value)
