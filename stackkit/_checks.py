"""Argument checks shared by every layer module.

Each raises ``ValueError`` naming the parameter, the value given and what is
allowed, so a student sees what to change rather than a NaN three cells later.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a number; got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return number


def positive(name: str, value: object) -> float:
    """``value`` as a float, if it is a finite number > 0."""
    number = _number(name, value)
    if number <= 0:
        raise ValueError(f"{name} must be greater than 0; got {value!r}")
    return number


def non_negative(name: str, value: object) -> float:
    """``value`` as a float, if it is a finite number >= 0."""
    number = _number(name, value)
    if number < 0:
        raise ValueError(f"{name} must be 0 or more; got {value!r}")
    return number


def in_range(name: str, value: object, low: float, high: float, *, low_open: bool = False,
             high_open: bool = False) -> float:
    """``value`` as a float, if it lies in [low, high] (or the open ends asked for)."""
    number = _number(name, value)
    too_low = number <= low if low_open else number < low
    too_high = number >= high if high_open else number > high
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {left}{low:g}, {high:g}{right}; got {value!r}")
    return number


def positive_int(name: str, value: object) -> int:
    """``value`` as an int, if it is a whole number >= 1."""
    number = _number(name, value)
    if number < 1 or number != int(number):
        raise ValueError(f"{name} must be a whole number of at least 1; got {value!r}")
    return int(number)


def one_of(name: str, value: object, allowed: Iterable[str]) -> str:
    """``value`` lower-cased, if it is one of ``allowed`` (compared case-insensitively)."""
    options = list(allowed)
    if isinstance(value, str) and value.lower() in options:
        return value.lower()
    raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {value!r}")
