"""The exercise pattern every lesson uses: hint, how far off, right."""

from __future__ import annotations

import pytest

from stackkit.exercises import Exercise


def test_none_gives_the_hints_in_turn():
    ex = Exercise("ridge", 206.04, hints=("first", "second"), rel_tol=0.01)
    v1, v2, v3 = ex.check(None), ex.check(None), ex.check(None)
    assert not v1 and v1.status == "no answer" and "first" in repr(v1)
    assert "second" in repr(v2) and "second" in repr(v3)


def test_numbers_within_tolerance_are_right_and_wrong_ones_say_how_far():
    ex = Exercise("ridge", 200.0, rel_tol=0.05, unit="FLOP/B")
    assert ex.check(205)
    wrong = ex.check(250)
    assert not wrong and "25% too high" in repr(wrong)
    assert "10^3" in repr(ex.check(200_000.0))  # a unit slip is named as such
    assert not ex.check("200") and not ex.check(float("nan"))


def test_whole_numbers_are_exact_and_choices_case_insensitive():
    assert not Exercise("chips", 35).check(36)
    assert Exercise("chips", 35).check(35)
    ex = Exercise("bound", "memory", choices=("memory", "compute"))
    assert ex.check("Memory ")
    assert "not one of" in repr(ex.check("network"))


def test_tuples_are_checked_item_by_item():
    ex = Exercise("pair", (1.0, "memory"), rel_tol=0.01, choices=("memory", "compute"))
    assert ex.check((1.005, "memory"))
    assert "item 2" in repr(ex.check((1.0, "compute")))
    assert "2 values" in repr(ex.check(1.0))


def test_bad_definitions_are_refused():
    with pytest.raises(ValueError, match="choices"):
        Exercise("x", "gpu", choices=("tpu",))
    with pytest.raises(ValueError, match="rel_tol"):
        Exercise("x", 1.0, rel_tol=2)
    with pytest.raises(ValueError, match="hints"):
        Exercise("x", 1.0, hints="one string")
