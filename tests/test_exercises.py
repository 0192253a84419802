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


def test_whole_numbers_get_ratio_feedback_not_a_raw_difference():
    """A whole-number answer 8× too high says so (issue 20: it said 'off by 2.294e+06')."""
    ex = Exercise("GPUs", 327_680)
    wrong = repr(ex.check(8 * 327_680))
    assert "8× too high" in wrong and "off by" not in wrong
    assert "3× too low" in repr(ex.check(327_680 // 3 + 1))
    assert "1.5× too high" in repr(Exercise("chips", 4).check(6))
    assert "1 too high" in repr(Exercise("chips", 35).check(36))
    assert "10^3" in repr(Exercise("bytes", 1000).check(1_000_000))
    assert "wrong sign" in repr(Exercise("delta", 5).check(-5))


def test_float_answers_far_off_are_given_as_a_ratio():
    ex = Exercise("cost", 2.0, rel_tol=0.05)
    assert "4× too high" in repr(ex.check(8.0))
    assert "4× too low" in repr(ex.check(0.5))
    assert "25% too high" in repr(ex.check(2.5))


def test_declared_equivalents_are_accepted_as_right():
    """A near-tie the lesson calls equivalent is right too, and says so."""
    ex = Exercise("first", "serving_efficiency", choices=("utilization", "serving_efficiency",
                                                          "pue"),
                  equivalent=("utilization",), equivalent_note="The two bars tie.")
    assert ex.check("serving_efficiency")
    tie = ex.check("Utilization")
    assert tie and "right too" in repr(tie) and "tie" in repr(tie)
    assert not ex.check("pue")
    with pytest.raises(ValueError, match="choices"):
        Exercise("x", "a", choices=("a", "b"), equivalent=("c",))
    with pytest.raises(ValueError, match="same kind"):
        Exercise("x", 1.0, rel_tol=0.1, equivalent=("a",))
    with pytest.raises(ValueError, match="one string"):
        Exercise("x", "a", choices=("a", "b"), equivalent="b")
    band = Exercise("crossing", 300_000.0, rel_tol=0.1, equivalent=(1e6,))
    assert band.check(1.02e6) and not band.check(600_000.0)
