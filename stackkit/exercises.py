"""Exercises that check themselves: a hint for no answer, how far off for a wrong one.

Every lesson's "Check your understanding" uses one pattern (three cells)::

    # 1. setup, collapsed: the question's key, computed by the kit's own functions
    ex1 = Exercise("the H200's ridge point", expected=chips.ridge_point("H200 SXM"),
                   unit="FLOP per byte", rel_tol=0.01,
                   hints=("Which two datasheet numbers make a ridge?",
                          "Mind the units: TFLOP/s and TB/s are both 10^12."))

    # 2. the student's cell
    answer = None  # FLOP per byte
    ex1.check(answer)

    # 3. the worked solution, collapsed and tagged ``solution`` (``make student`` drops it)
    answer = 989 / 4.8
    assert ex1.check(answer)

``check`` returns a :class:`Verdict`: falsy unless right, so the solution cell's
``assert`` proves the answer under nbval, and its text (a hint, how far off,
or a confirmation) is what the student reads. A hint nudges — a concept, a
unit, a question — and never spells out the computation (a test checks it).
Kinds of answer: a number (within ``rel_tol``), a whole number (exact), one of
``choices`` (a string, case-insensitive), a bool, or a tuple of these (checked
item by item). A wrong number is told how far off it is as a ratio ("8× too
high", "35% too low"), whole numbers included, written as a student writes it
(327,681, not 3.277e+05). Where the lesson itself calls two answers equivalent (a
near-tie in a ranking), ``equivalent`` lists the others that are accepted too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

__all__ = ["Exercise", "Verdict"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check: ``status`` is "no answer", "wrong" or "right"."""

    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "right"

    def __repr__(self) -> str:  # what a notebook cell shows
        return self.message

    def _repr_html_(self) -> str:
        import html
        colour = {"right": "#1b7837", "wrong": "#b2182b"}.get(self.status, "#555555")
        return (f"<div class='sk-check sk-{self.status.replace(' ', '-')}' "
                f"style='border-left:4px solid {colour};padding:4px 8px'>"
                f"{html.escape(self.message)}</div>")


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


class Exercise:
    """One question with a known answer and hints, checked by :meth:`check`.

    Parameters
    ----------
    title: what the exercise is about, shown in every message.
    expected: the answer (number, whole number, string, bool, or a tuple of these).
    hints: shown in turn, one per unanswered or wrong try (the last one repeats).
    rel_tol: relative tolerance for numbers (whole numbers must match exactly unless
        ``rel_tol`` is given explicitly).
    unit: the unit of a numeric answer, for the messages.
    choices: the allowed answers of a choice question (strings).
    explanation: a sentence shown when the answer is right.
    equivalent: other answers accepted as right (a near-tie the lesson calls
        equivalent), each checked like ``expected``; ``equivalent_note`` says why.
    """

    def __init__(self, title: str, expected: object, *, hints: Sequence[str] = (),
                 rel_tol: float | None = None, unit: str = "",
                 choices: Sequence[str] | None = None, explanation: str = "",
                 equivalent: Sequence[object] = (), equivalent_note: str = "") -> None:
        if not isinstance(title, str) or not title:
            raise ValueError(f"title must be a non-empty string; got {title!r}")
        if isinstance(hints, str):
            raise ValueError("hints must be a sequence of strings, not one string")
        if rel_tol is not None and not (_is_number(rel_tol) and 0 <= rel_tol < 1):
            raise ValueError(f"rel_tol must be a number in [0, 1); got {rel_tol!r}")
        self.title = title
        self.expected = expected
        self.hints = tuple(hints) or ("Re-read the section above; the formula is there.",)
        self.rel_tol = rel_tol
        self.unit = unit
        self.choices = tuple(c.lower() for c in choices) if choices else None
        self.explanation = explanation
        self.tries = 0
        if isinstance(equivalent, (str, bytes)):
            raise ValueError("equivalent must be a sequence of answers, not one string")
        self.equivalent = tuple(equivalent)
        self.equivalent_note = equivalent_note
        if self.choices is not None:
            wanted = expected if isinstance(expected, tuple) else (expected,)
            wanted = wanted + tuple(w for w in self.equivalent if isinstance(w, str))
            bad = [w for w in wanted if isinstance(w, str) and w.lower() not in self.choices]
            if bad:
                raise ValueError(f"expected {bad!r} is not among choices {self.choices!r}")
        problem = self._compare(expected, expected)
        if problem is not None:
            raise ValueError(f"expected answer {expected!r} does not check against itself: "
                             f"{problem}")
        for other in self.equivalent:
            if self._compare(other, other) is not None or _kind(other) != _kind(expected):
                raise ValueError(f"equivalent answer {other!r} is not the same kind of answer "
                                 f"as expected {expected!r}")

    def _hint(self) -> str:
        return self.hints[min(self.tries, len(self.hints)) - 1]

    def _compare(self, answer: object, expected: object) -> str | None:
        """None when ``answer`` matches ``expected``, else why it does not."""
        if isinstance(expected, tuple):
            if not isinstance(answer, (tuple, list)) or len(answer) != len(expected):
                return f"expected {len(expected)} values, as a tuple"
            for i, (a, e) in enumerate(zip(answer, expected, strict=True)):
                problem = self._compare(a, e)
                if problem is not None:
                    return f"item {i + 1}: {problem}"
            return None
        if isinstance(expected, bool):
            if not isinstance(answer, bool):
                return f"expected True or False; got {answer!r}"
            return None if answer == expected else "that is the opposite"
        if isinstance(expected, str):
            if not isinstance(answer, str):
                options = f" (one of {', '.join(map(repr, self.choices))})" if self.choices else ""
                return f"expected a word{options}; got {answer!r}"
            given = answer.strip().lower()
            if self.choices is not None and given not in self.choices:
                return f"{answer!r} is not one of {', '.join(map(repr, self.choices))}"
            return None if given == expected.lower() else f"{answer!r} is not it"
        if _is_number(expected):
            if not _is_number(answer):
                return f"expected a number; got {answer!r}"
            a, e = float(answer), float(expected)
            if not math.isfinite(a):
                return f"expected a finite number; got {answer!r}"
            if isinstance(expected, Integral) and self.rel_tol is None:
                if a == e:
                    return None
                return _how_far(a, e, whole=True)
            tol = 1e-9 if self.rel_tol is None else self.rel_tol
            if math.isclose(a, e, rel_tol=tol, abs_tol=1e-12):
                return None
            return _how_far(a, e)
        raise ValueError(f"expected must be a number, string, bool or tuple; got {expected!r}")

    def check(self, answer: object) -> Verdict:
        """Check ``answer``: a hint if it is None, how far off if wrong, a confirmation if right."""
        if answer is None or answer is Ellipsis:
            self.tries += 1
            return Verdict("no answer", f"{self.title}: no answer yet. Hint: {self._hint()}")
        problem = self._compare(answer, self.expected)
        unit = f" {self.unit}" if self.unit else ""
        if problem is None:
            extra = f" {self.explanation}" if self.explanation else ""
            return Verdict("right", f"{self.title}: right — {_show(answer)}{unit}.{extra}")
        if any(self._compare(answer, other) is None for other in self.equivalent):
            note = f" {self.equivalent_note}" if self.equivalent_note else ""
            return Verdict("right", f"{self.title}: right too — {_show(answer)}{unit} is as "
                                    f"good an answer as {_show(self.expected)}.{note}")
        self.tries += 1
        return Verdict("wrong", f"{self.title}: not yet — {problem}. Hint: {self._hint()}")

    def __repr__(self) -> str:
        return f"Exercise({self.title!r})"


def _kind(value: object) -> str:
    return "number" if _is_number(value) else type(value).__name__


def _how_far(a: float, e: float, whole: bool = False) -> str:
    """How far ``a`` is from ``e``, as a ratio a student can act on."""
    note = " (the answer is a whole number)" if whole and not a.is_integer() else ""
    return _distance(a, e, whole) + note


def _distance(a: float, e: float, whole: bool) -> str:
    given = _fmt_given(a)
    if e == 0:
        return f"{given} should be 0"
    if a == 0:
        return f"{given} cannot be it: the answer is not zero"
    ratio = a / e
    if ratio < 0:
        return f"{given} has the wrong sign"
    if ratio > 9.5 or ratio < 1 / 9.5:
        power = round(math.log10(ratio))
        return (f"{given} is about 10^{power} times the answer: check the units "
                "(GB vs bytes, TFLOP vs FLOP, hours vs seconds)")
    direction = "too high" if a > e else "too low"
    if ratio >= 1.5 or ratio <= 1 / 1.5:
        return f"{given} is {max(ratio, 1 / ratio):.2g}× {direction}"
    if whole and abs(a - e) < 10:
        return f"{given} is {_fmt_given(abs(a - e))} {direction}"
    return f"{given} is {abs(ratio - 1):.0%} {direction}"


def _fmt_given(x: float) -> str:
    """A student's number as they would write it: 327,681 rather than 3.277e+05."""
    if 1e4 <= abs(x) < 1e15:
        return f"{x:,.0f}" if x.is_integer() or abs(x) >= 1e6 else f"{x:,.1f}"
    return _fmt(x)


def _fmt(x: float) -> str:
    return f"{x:,.4g}"


def _show(answer: object) -> str:
    if isinstance(answer, (tuple, list)):
        return "(" + ", ".join(_show(a) for a in answer) + ")"
    if _is_number(answer):
        return _fmt(float(answer))
    return repr(answer) if isinstance(answer, str) else str(answer)
