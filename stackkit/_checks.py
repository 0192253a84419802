"""Argument and result checks shared by every layer module.

Each check raises ``ValueError`` naming the parameter, the value given and what
is allowed, so a student sees what to change rather than a NaN three cells later
or an ``OverflowError`` from deep inside a formula. Every public function checks
its arguments with these helpers and nothing else.

Numbers
    ``number(name, value, low=, high=)``  a finite float in a range
    ``positive(name, value, high=LIMIT)``  > 0
    ``non_negative(name, value, high=LIMIT)``  >= 0
    ``in_range(name, value, low, high, low_open=, high_open=)``
    ``fraction(name, value, low_open=, high_open=)``  in [0, 1]
    ``positive_int(name, value, high=COUNT_LIMIT)``  a whole number >= 1
    ``non_negative_int(name, value, high=COUNT_LIMIT)``  a whole number >= 0
    ``whole(name, value, low, high)``  a whole number in [low, high]
    ``seed(name, value)``  a random seed: a whole number from 0 to 2**63 - 1
    ``threads(name, value)``  a thread count: 1 to this machine's cores
    ``array(name, value, ndim=, low=, high=, whole=, ...)``  a numpy array of
        finite numbers in a range, from any sequence or array (checked at once,
        so a million-element array costs microseconds, not a Python loop)
Everything else
    ``boolean(name, value)``  ``True`` or ``False`` (numpy's too), nothing truthy
    ``text(name, value)``  a non-empty string (a name)
    ``one_of(name, value, allowed)``  one of some strings, case-insensitively
    ``sequence(name, value, single=, min_len=, max_len=)``  a list from any
        iterable except a string (a string is never read letter by letter)
    ``optional(check, name, value, *args)``  ``None`` or what ``check`` returns
    ``date(name, value)``  a ``datetime.date`` from a date or an ISO string
Optional parts of the kit
    ``require(module, extra)``  import an optional dependency, or :class:`MissingExtra`
        (an ``ImportError``) whose message says which ``pip install`` brings it
    ``plausible(name, value, low, high, unit)``  a :class:`PlausibilityWarning` when a
        valid input is far outside its usual range (a model of 70 parameters)
Results
    ``finite(what, value, inputs=, minimum=)``  a float, array or result object
        with no NaN or infinity (and nothing below ``minimum``), else
        ``ValueError`` naming the inputs that produced it

Ceilings. A float quantity is at most :data:`LIMIT` (1e30) unless a caller
states another ceiling: large enough for any real quantity in the kit (training
compute is about 1e26 FLOP, a year is 3e7 s), small enough that a product of
three such numbers cannot overflow a float. Likewise a quantity that must be
greater than 0 is at least :data:`TINY` (1e-30), so that dividing by it cannot
overflow either (a subnormal 5e-324 is refused, not turned into infinity). A whole number is at most
:data:`COUNT_LIMIT` (1e15: more than the tokens in any training set or the
parameters of any model); a function whose work grows with a count (Monte Carlo
trials, simulated requests) states a smaller ceiling.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, is_dataclass
from decimal import Decimal
from numbers import Integral, Real
from typing import Any, TypeVar

#: Default ceiling on a float quantity (see the module docstring).
LIMIT = 1e30
#: The smallest value a quantity that must be greater than 0 may take.
TINY = 1e-30
#: Default ceiling on a whole number.
COUNT_LIMIT = 10**15
#: Default ceiling on the length of a sequence argument.
SEQUENCE_LIMIT = 100_000

T = TypeVar("T")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _as_float(name: str, value: object) -> float:
    """``value`` as a float (possibly ±inf for a huge int or Fraction), or ValueError."""
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise ValueError(f"{name} must be a number; got {_show(value)}")
    try:
        return float(value)
    except OverflowError:  # a huge int, Fraction or Decimal
        return math.inf if value > 0 else -math.inf
    except (ValueError, ArithmeticError):  # Decimal('sNaN')
        return math.nan


def _g(x: float) -> str:
    return f"{x:g}"


def number(name: str, value: object, *, low: float | None = None, high: float | None = LIMIT,
           low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a float, if it is a finite number in the range given (default ≤ LIMIT)."""
    x = _as_float(name, value)
    if math.isnan(x) or (math.isinf(x) and isinstance(value, float)):
        raise ValueError(f"{name} must be a finite number; got {_show(value)}")
    if low is not None and (x <= low if low_open else x < low):
        allowed = f"greater than {_g(low)}" if low_open else f"at least {_g(low)}"
        if low == 0:
            allowed = "greater than 0" if low_open else "0 or more"
        raise ValueError(f"{name} must be {allowed}; got {_show(value)}")
    if low == 0 and low_open and x < TINY:
        raise ValueError(f"{name} must be at least {TINY:g} (the kit's floor for a quantity "
                         f"greater than 0); got {_show(value)}")
    if high is not None and (x >= high if high_open else x > high):
        allowed = f"less than {_g(high)}" if high_open else f"at most {_g(high)}"
        why = " (the kit's ceiling for any quantity)" if high == LIMIT else ""
        raise ValueError(f"{name} must be {allowed}{why}; got {_show(value)}")
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number; got {_show(value)}")
    return x


def positive(name: str, value: object, *, high: float = LIMIT) -> float:
    """``value`` as a float, if it is a finite number > 0 (and ≤ ``high``)."""
    return number(name, value, low=0.0, low_open=True, high=high)


def non_negative(name: str, value: object, *, high: float = LIMIT) -> float:
    """``value`` as a float, if it is a finite number >= 0 (and ≤ ``high``)."""
    return number(name, value, low=0.0, high=high)


def in_range(name: str, value: object, low: float, high: float, *, low_open: bool = False,
             high_open: bool = False) -> float:
    """``value`` as a float, if it lies in [low, high] (or the open ends asked for)."""
    x = _as_float(name, value)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number; got {_show(value)}")
    too_low = x <= low if low_open else x < low
    too_high = x >= high if high_open else x > high
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {left}{_g(low)}, {_g(high)}{right}; "
                         f"got {_show(value)}")
    if low == 0 and low_open and x < TINY:
        raise ValueError(f"{name} must be at least {TINY:g} (the kit's floor for a quantity "
                         f"greater than 0); got {_show(value)}")
    return x


def fraction(name: str, value: object, *, low_open: bool = False,
             high_open: bool = False) -> float:
    """``value`` as a float, if it lies in [0, 1] (or the open ends asked for)."""
    return in_range(name, value, 0.0, 1.0, low_open=low_open, high_open=high_open)


def whole(name: str, value: object, low: int, high: int) -> int:
    """``value`` as an int, if it is a whole number in [low, high] (3.0 counts; 2.5 does not)."""
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise ValueError(f"{name} must be a whole number; got {_show(value)}")
    if isinstance(value, Integral):
        n = int(value)
    else:
        x = _as_float(name, value)
        if not math.isfinite(x):
            raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}; "
                             f"got {_show(value)}")
        if not x.is_integer():
            raise ValueError(_whole_message(name, value, low, high))
        n = int(x)
    if n < low or n > high:
        raise ValueError(_whole_message(name, value, low, high))
    return n


def _whole_message(name: str, value: object, low: int, high: int) -> str:
    if low in (0, 1) and high == COUNT_LIMIT:
        return (f"{name} must be a whole number of at least {low} (and at most "
                f"{high:.0e}); got {_show(value)}")
    if low in (0, 1):
        return (f"{name} must be a whole number of at least {low} and at most {high:,}; "
                f"got {_show(value)}")
    return f"{name} must be a whole number from {low:,} to {high:,}; got {_show(value)}"


def positive_int(name: str, value: object, *, high: int = COUNT_LIMIT) -> int:
    """``value`` as an int, if it is a whole number >= 1 (and ≤ ``high``)."""
    return whole(name, value, 1, high)


def non_negative_int(name: str, value: object, *, high: int = COUNT_LIMIT) -> int:
    """``value`` as an int, if it is a whole number >= 0 (and ≤ ``high``)."""
    return whole(name, value, 0, high)


#: Largest seed :func:`seed` accepts (numpy's and Python's generators take any of these).
SEED_LIMIT = 2**63 - 1


def seed(name: str, value: object) -> int:
    """``value`` as an int, if it is a whole number from 0 to :data:`SEED_LIMIT`."""
    return whole(name, value, 0, SEED_LIMIT)


def array(name: str, value: object, *, ndim: int = 1, low: float | None = None,
          high: float = LIMIT, low_open: bool = False, whole: bool = False,
          min_len: int = 1, max_len: int = SEQUENCE_LIMIT, dtype: str = "float64") -> Any:
    """``value`` as a numpy array of ``ndim`` dimensions, every item finite and in range.

    Any sequence or numpy array of real numbers is taken (for ``ndim=1`` a single
    number counts as one item); strings, mappings, booleans, nested ragged lists and
    items that are not numbers are refused. ``min_len``/``max_len`` bound the number
    of rows. The first offending item is named: ``lengths[3] must be ...``.
    """
    import warnings

    import numpy as np

    shape = "a list" if ndim == 1 else f"a {ndim}-D array"
    what = "whole numbers" if whole else "numbers"
    if isinstance(value, (str, bytes, bool, Mapping)) or value is None or (
            type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_")):
        raise ValueError(f"{name} must be {shape} of {what}; got {_show(value)}")
    if ndim == 1 and isinstance(value, (Real, Decimal)):
        value = [value]
    elif not isinstance(value, (np.ndarray, Iterable)):
        raise ValueError(f"{name} must be {shape} of {what}; got {_show(value)}")
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            raw = shown = np.asarray(value)
            if raw.dtype.kind == "O":  # Fractions, Decimals, huge ints: as floats (or inf)
                raw = np.array([_as_float(name, x) for x in raw.ravel()]).reshape(raw.shape)
    except (ValueError, TypeError, OverflowError):
        raise ValueError(f"{name} must be {shape} of {what} (all rows the same length); "
                         f"got {_show(value)}") from None
    if raw.dtype.kind not in "fiu":
        raise ValueError(f"{name} must be {shape} of {what}; got {_show(value)}")
    if raw.ndim != ndim:
        raise ValueError(f"{name} must be {shape} of {what}; got an array of shape "
                         f"{raw.shape}")
    rows = raw.shape[0]
    if rows < min_len or rows > max_len:
        raise ValueError(f"{name} must hold from {min_len:,} to {max_len:,} items; got {rows:,}")
    if raw.size and min(raw.shape) == 0:
        raise ValueError(f"{name} must not be empty; got an array of shape {raw.shape}")
    with np.errstate(all="ignore"):
        out = raw.astype(dtype, copy=False)
    bad = ~np.isfinite(out)
    if low is not None:
        bad |= (out <= low) if low_open else (out < low)
    if low == 0 and low_open:
        bad |= out < TINY
    bad |= out > high
    if whole:
        bad |= out != np.floor(out)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"{name}[{', '.join(map(str, index))}]"
        allowed = "a finite whole number" if whole else "a finite number"
        if low is not None:
            allowed += f" {'greater than' if low_open else 'at least'} {_g(low)} and"
        allowed += f" at most {_g(high)}"
        item = shown[index]
        raise ValueError(f"{where} must be {allowed}; got "
                         f"{_show(item.item() if hasattr(item, 'item') else item)}")
    return out


def threads(name: str, value: object) -> int:
    """A number of threads: a whole number from 1 to this machine's core count (more
    threads than cores only wait on each other, and spin the CPUs while they wait)."""
    return whole(name, value, 1, os.cpu_count() or 1)


def boolean(name: str, value: object) -> bool:
    """``value`` if it is ``True`` or ``False`` (a numpy bool too); ``"no"`` or 1 is refused."""
    if isinstance(value, bool):
        return value
    if type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"):
        return bool(value)
    raise ValueError(f"{name} must be True or False; got {_show(value)}")


def text(name: str, value: object) -> str:
    """``value`` if it is a non-empty string (a name, a label)."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a name (a string); got {_show(value)}")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty name; got {_show(value)}")
    return value


def one_of(name: str, value: object, allowed: Iterable[str]) -> str:
    """``value`` lower-cased, if it is one of ``allowed`` (compared case-insensitively)."""
    options = list(allowed)
    if isinstance(value, str) and value.lower() in options:
        return value.lower()
    raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; "
                     f"got {_show(value)}")


def sequence(name: str, value: object, *, single: type | tuple[type, ...] | None = None,
             min_len: int = 1, max_len: int = SEQUENCE_LIMIT) -> list[Any]:
    """``value`` as a list, if it is an iterable other than a string, of a sensible length.

    ``single``: types taken as a one-item list (e.g. ``single=str`` lets a caller
    pass one name where a list of names is expected). Without it a string is an
    error, never read letter by letter.
    """
    if getattr(value, "ndim", None) == 0 and callable(getattr(value, "item", None)):
        value = value.item()  # a numpy 0-d array (np.array(2.0)) is one number, not a list
    if single is not None and isinstance(value, single):
        items: list[Any] = [value]
    elif isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be a list, not a single string; got {_show(value)} "
                         f"(write [{value!r}])")
    elif isinstance(value, Mapping) or not isinstance(value, Iterable):
        raise ValueError(f"{name} must be a list or another sequence; got {_show(value)}")
    else:
        items = list(itertools.islice(value, max_len + 1))
    if len(items) < min_len:
        raise ValueError(f"{name} must hold at least {min_len} item"
                         f"{'s' if min_len != 1 else ''}; got {_show(value)}")
    if len(items) > max_len:
        raise ValueError(f"{name} must hold at most {max_len:,} items; got more")
    return items


def texts(name: str, value: object) -> list[str]:
    """``value`` as a list of strings: one string, or a non-empty sequence of strings."""
    items = sequence(name, value, single=str, max_len=sys.maxsize - 1)  # a corpus may be large
    bad = next((i for i, t in enumerate(items) if not isinstance(t, str)), None)
    if bad is not None:
        raise ValueError(f"{name}[{bad}] must be a string; got {_show(items[bad])}")
    return items


def optional(check: Callable[..., T], name: str, value: object, *args: Any,
             **kwargs: Any) -> T | None:
    """``None`` if ``value`` is None, else ``check(name, value, *args, **kwargs)``."""
    return None if value is None else check(name, value, *args, **kwargs)


def date(name: str, value: object) -> dt.date:
    """``value`` as a ``datetime.date``: a date, a datetime, a pandas Timestamp or 'YYYY-MM-DD'."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ValueError(f"{name} must be a date (datetime.date or 'YYYY-MM-DD'); "
                     f"got {_show(value)}")


# --------------------------------------------------------------------------- results

def _bad_number(value: object, minimum: float | None) -> bool:
    if isinstance(value, bool) or not isinstance(value, Real):
        return False
    x = float(value)
    return not math.isfinite(x) or (minimum is not None and x < minimum)


def _offenders(value: object, minimum: float | None) -> list[tuple[str, object]]:
    """(field, value) pairs of ``value`` that are NaN, infinite or below ``minimum``."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return [("", value)] if _bad_number(value, minimum) else []
    if hasattr(value, "dtype") and hasattr(value, "shape"):  # a numpy array
        import numpy as np

        array = np.asarray(value)
        if array.dtype.kind not in "fiu":
            return []
        bad = ~np.isfinite(array)
        if minimum is not None:
            bad |= array < minimum
        return [("", array[bad].flat[0])] if bad.any() else []
    if is_dataclass(value) and not isinstance(value, type):
        found = []
        names = [f.name for f in fields(value)]
        names += list(getattr(value, "_derived", ()))
        for field_name in names:
            item = getattr(value, field_name)
            if _bad_number(item, minimum):
                found.append((field_name, item))
        return found
    return []


def finite(what: str, value: T, inputs: Mapping[str, object] | None = None, *,
           minimum: float | None = None) -> T:
    """``value`` unchanged if it holds no NaN or infinity (and nothing below ``minimum``).

    ``value`` is a number, a numpy array, or a result dataclass (its float fields
    and ``_derived`` properties are checked). Otherwise ``ValueError`` names
    ``what`` was computed and the ``inputs`` that produced it, so the caller
    knows which arguments to bring back into range.
    """
    bad = _offenders(value, minimum)
    if not bad:
        return value
    field_name, item = bad[0]
    label = f"{what}.{field_name}" if field_name else what
    problem = ("below " + _g(minimum)) if (minimum is not None and isinstance(item, Real)
                                           and math.isfinite(float(item))) else "not finite"
    given = ", ".join(f"{k}={_show(v)}" for k, v in (inputs or {}).items())
    raise ValueError(f"{label} is {problem} ({_show(item)})"
                     + (f" for {given}" if given else "")
                     + ": these inputs are beyond what the model can represent; "
                       "bring them into a realistic range")


# --------------------------------------------------------------------------- optional parts


class MissingExtra(ImportError):
    """An optional dependency is not installed; the message names the extra that brings it."""


def require(module: str, extra: str, what: str = "this") -> Any:
    """``import module``, or :class:`MissingExtra` saying ``pip install 'stackkit[extra]'``.

    A native library's own import error (a missing shared object, say) passes through:
    only a module that is not installed at all becomes the friendly message.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and exc.name != module and not module.startswith(exc.name + "."):
            raise
        raise MissingExtra(f"{what} needs the optional package {module.split('.')[0]!r}, which "
                           f"is not installed: pip install 'stackkit[{extra}]'") from exc


class PlausibilityWarning(UserWarning):
    """A valid input far outside its usual range: probably a unit slip (70 for 70e9)."""


def plausible(name: str, value: float, low: float, high: float, unit: str) -> float:
    """Warn (never raise) when ``value`` lies outside [low, high], the range ``unit`` usually
    takes; return ``value`` unchanged."""
    if not low <= value <= high:
        warnings.warn(f"{name}={_show(value)} is outside the usual range of {unit} "
                      f"({_g(low)} to {_g(high)}): check its unit (e.g. 70e9 parameters, "
                      f"not 70)", PlausibilityWarning, stacklevel=3)
    return value
