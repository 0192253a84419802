"""Checks declared once: each public function states its parameters' kinds and ranges.

A public function names, beside its signature, what each parameter may be::

    @declared(size_bytes=non_negative(), n_ranks=count(), bandwidth_gb_s=positive(),
              latency_s=non_negative(), algorithm=choice(("ring", "tree")))
    def allreduce_seconds(size_bytes, n_ranks, bandwidth_gb_s, latency_s=0.0,
                          algorithm="ring"):
        n = n_ranks
        ...                       # the formula, nothing else

Calling ``allreduce_seconds(...)`` checks every argument against its spec first
(the :mod:`stackkit._checks` helpers: a ``ValueError`` naming the parameter, the
value and what is allowed) and hands the body the checked values (a float for a
number, an int for a count, the lower-cased option for a choice). The body keeps
only the formula and the checks that *combine* parameters (``nprobe <= nlist``).

- ``f.unchecked`` is the body itself: the kit's own hot paths (the planner's
  search, the vectorised uncertainty, the simulator) call it with values they
  have already checked, so no formula needs a fast copy.
- ``f.declaration`` maps each parameter to its :class:`Spec`. The tests draw
  valid and invalid inputs from it (``tests/test_declared.py``), so what is
  checked and what is fuzzed come from one statement.

Specs
    ``number(low=, high=, low_open=, high_open=)``  a finite float in a range
    ``positive(high=)``, ``non_negative(high=)``, ``fraction()``
    ``count(low=1, high=)``  a whole number (3.0 counts; 2.5 does not)
    ``seed()``, ``threads()``, ``flag()`` (True/False), ``name()`` (a non-empty string)
    ``choice(options)``  one of some strings (``options`` may be a function, read lazily)
    ``date()``, ``sequence(min_len=, max_len=)``, ``array(low=, high=, whole=, ...)``
    ``custom(check, examples=, bad=)``  anything else: ``check(name, value)`` returns the
        value to use or raises; ``examples`` are valid values (a function returning
        them, for values built from the catalog); ``bad`` are values it must refuse
    ``optional(spec)``  ``None`` or what ``spec`` takes

Every spec but ``custom`` knows valid examples and bad values of its own; give
``examples=`` where the range alone says little (``positive(examples=(80.0,))``
for a memory in GB), so generated calls are realistic.

Declaring is checked when the module is imported: every parameter of the
function must be declared (``self``/``cls`` and ``*args``/``**kwargs`` excepted) and
no spec may name a parameter that does not exist. ``tests/test_declared.py`` checks that
every default is one its spec accepts (a ``None`` default needs ``optional``).
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import _checks

__all__ = ["Spec", "array", "choice", "count", "custom", "date", "declared", "flag",
           "fraction", "is_declared", "name", "non_negative", "number", "optional",
           "positive", "seed", "sequence", "threads"]

#: Values every spec refuses unless it says otherwise (a wrong type, not a wrong size).
_WRONG_TYPES: tuple[object, ...] = ("3", [1, 2], {}, object())


@dataclass(frozen=True)
class Spec:
    """What one parameter may be: a check, valid examples and values it must refuse.

    ``check(name, value)`` returns the value the body receives or raises ``ValueError``
    naming ``name``. ``examples`` and ``bad`` feed the generated tests.
    """

    kind: str
    check: Callable[[str, object], Any]
    examples: tuple[object, ...] | Callable[[], Iterable[object]] = ()
    bad: tuple[object, ...] = ()
    allows_none: bool = False
    detail: str = ""
    bounds: dict[str, Any] = field(default_factory=dict)

    def __call__(self, name: str, value: object) -> Any:
        return self.check(name, value)

    def valid_examples(self) -> list[object]:
        """Values this spec accepts (for generated calls)."""
        items = self.examples() if callable(self.examples) else self.examples
        return list(items)

    def describe(self) -> str:
        """One line for docs and error listings: ``number in [0, 1]``."""
        return f"{self.kind}{' ' + self.detail if self.detail else ''}" + \
            (" or None" if self.allows_none else "")


def _numbers(low: float | None, high: float | None, low_open: bool, high_open: bool,
             examples: Iterable[float] | None) -> tuple[tuple[object, ...], tuple[object, ...]]:
    """(valid examples, bad values) of a float range."""
    lo = -1e6 if low is None else low
    hi = 1e6 if high is None or high > 1e6 else high
    if examples is not None:
        good = tuple(examples)
    else:
        inside = [lo + (hi - lo) * t for t in (0.0, 0.5, 1.0, 1e-3)]
        good = tuple(x for x in inside if not ((low_open and x <= lo) or
                                               (high_open and x >= hi)))
        good = good or ((lo + hi) / 2,)
    bad: list[object] = [math.nan, math.inf, -math.inf, None, True, *_WRONG_TYPES]
    if low is not None:
        bad.append(low if low_open else low - max(1.0, abs(low)))
    if high is not None and math.isfinite(high) and high < _checks.LIMIT:
        bad.append(high if high_open else high + max(1.0, abs(high)))
    elif high is not None:
        bad.append(10 ** 400)
    return good, tuple(bad)


def number(*, low: float | None = None, high: float | None = _checks.LIMIT,
           low_open: bool = False, high_open: bool = False,
           examples: Iterable[float] | None = None) -> Spec:
    """A finite float in [low, high] (either end open if asked; ``high`` defaults to the
    kit's ceiling :data:`stackkit._checks.LIMIT`)."""
    good, bad = _numbers(low, high, low_open, high_open, examples)
    left, right = ("(" if low_open else "["), (")" if high_open else "]")
    detail = f"in {left}{'-inf' if low is None else f'{low:g}'}, " \
             f"{'inf' if high is None else f'{high:g}'}{right}"
    def check(param: str, value: object) -> float:
        return _checks.number(param, value, low=low, high=high, low_open=low_open,
                              high_open=high_open)

    return Spec("number", check,
                good, bad, detail=detail,
                bounds={"low": low, "high": high, "low_open": low_open, "high_open": high_open})


def positive(*, high: float = _checks.LIMIT, examples: Iterable[float] | None = None) -> Spec:
    """A finite float greater than 0 (at least :data:`stackkit._checks.TINY`)."""
    return number(low=0.0, low_open=True, high=high,
                  examples=examples if examples is not None else (1.0, 0.25, 1000.0))


def non_negative(*, high: float = _checks.LIMIT,
                 examples: Iterable[float] | None = None) -> Spec:
    """A finite float of 0 or more."""
    return number(low=0.0, high=high,
                  examples=examples if examples is not None else (0.0, 1.0, 1000.0))


def fraction(*, low_open: bool = False, high_open: bool = False,
             examples: Iterable[float] | None = None) -> Spec:
    """A float in [0, 1] (either end open if asked)."""
    return number(low=0.0, high=1.0, low_open=low_open, high_open=high_open,
                  examples=examples)


def count(*, low: int = 1, high: int = _checks.COUNT_LIMIT,
          examples: Iterable[int] | None = None) -> Spec:
    """A whole number in [low, high]: 3 and 3.0 are taken, 2.5 and True are not."""
    good = tuple(examples) if examples is not None else tuple(
        sorted({low, min(high, max(low, 8)), min(high, low + 1)}))
    bad = (low - 1, low + 0.5, math.nan, math.inf, None, True, 10 ** 400, *_WRONG_TYPES)
    if high < _checks.COUNT_LIMIT:
        bad += (high + 1,)
    def check(param: str, value: object) -> int:
        return _checks.whole(param, value, low, high)

    return Spec("count", check, good, bad,
                detail=f"from {low:,} to {high:,}", bounds={"low": low, "high": high})


def seed() -> Spec:
    """A random seed: a whole number from 0 to 2**63 - 1."""
    return Spec("seed", _checks.seed, (0, 1, 20261128), (-1, 0.5, 2 ** 63, None, "1"),
                detail="from 0 to 2**63 - 1")


def threads() -> Spec:
    """A thread count: a whole number from 1 to this machine's cores."""
    return Spec("threads", _checks.threads, (1,), (0, -1, 1.5, 10 ** 6, None, "2"),
                detail="from 1 to this machine's cores")


def flag() -> Spec:
    """``True`` or ``False`` (numpy's too); 1, "yes" and None are refused."""
    return Spec("flag", _checks.boolean, (True, False), (1, 0, "yes", None, 0.5))


def name(*, examples: Iterable[str] = ("a name",)) -> Spec:
    """A non-empty string (a label, a name the body looks up itself)."""
    return Spec("name", _checks.text, tuple(examples), ("", "   ", 3, None, [1]))


def choice(options: Iterable[str] | Callable[[], Iterable[str]]) -> Spec:
    """One of ``options``, compared case-insensitively; the body gets it lower-cased.

    ``options`` may be a function returning them (read at each call), for options
    that live in a table."""
    def listed() -> list[str]:
        return list(options() if callable(options) else options)

    def check(param: str, value: object) -> str:
        return _checks.one_of(param, value, listed())

    shown = "a listed option" if callable(options) else ", ".join(map(repr, listed()))
    return Spec("choice", check, listed, ("no such option", "", 3, None, ["ring"]),
                detail=f"of {shown}")


def date() -> Spec:
    """A ``datetime.date`` from a date, a datetime or ``'YYYY-MM-DD'``."""
    return Spec("date", _checks.date, ("2025-01-01",), ("not a date", 2025, None, "2025-13-01"))


def sequence(*, of: Spec | None = None, single: type | tuple[type, ...] | None = None,
             min_len: int = 1, max_len: int = _checks.SEQUENCE_LIMIT,
             examples: Iterable[object] | None = None) -> Spec:
    """A list from any iterable except a string (a string is never read letter by letter).

    ``of``: the spec every item must meet, checked as ``name[i]`` (the body gets the checked
    items); ``single``: types taken as a one-item list (``single=Real`` lets a caller pass 4
    where a list of counts is expected)."""
    def check(param: str, value: object) -> list[Any]:
        items = _checks.sequence(param, value, single=single, min_len=min_len, max_len=max_len)
        if of is None:
            return items
        return [of.check(f"{param}[{i}]", item) for i, item in enumerate(items)]

    bad: tuple[object, ...] = (3, None, {"a": 1}) if single is None else (None, {"a": 1})
    if single is None or not issubclass(str, single if isinstance(single, tuple) else (single,)):
        bad += ("abc",)
    if min_len > 0:
        bad += ([],)
    if of is not None:
        bad += tuple([item] for item in of.bad[:2] if item is not None)
    if examples is None:
        inner = of.valid_examples()[:2] if of is not None else [1.0, 2.0]
        examples = (list(inner),)
    return Spec("sequence", check, tuple(examples), bad,
                detail=f"of {min_len:,} to {max_len:,} items"
                       + (f", each {of.describe()}" if of is not None else ""))


def array(*, ndim: int = 1, low: float | None = None, high: float = _checks.LIMIT,
          low_open: bool = False, whole: bool = False, min_len: int = 1,
          max_len: int = _checks.SEQUENCE_LIMIT,
          examples: Iterable[object] | None = None) -> Spec:
    """A numpy array of finite numbers in a range, from any sequence or array."""
    def check(param: str, value: object) -> Any:
        return _checks.array(param, value, ndim=ndim, low=low, high=high, low_open=low_open,
                             whole=whole, min_len=min_len, max_len=max_len)

    item = 1 if low is None else (low + 1 if whole or low_open else low)
    good = tuple(examples) if examples is not None else (
        [item, item + 1] if ndim == 1 else [[item, item + 1]],)
    bad: tuple[object, ...] = ("abc", None, [math.nan], {"a": 1})
    if low is not None:
        bad += ([low - 1],)
    return Spec("array", check, good, bad,
                detail=f"{ndim}-D of {'whole ' if whole else ''}numbers")


def custom(check: Callable[[str, object], Any], *,
           examples: Iterable[object] | Callable[[], Iterable[object]],
           bad: Iterable[object] = (None, 3, "no such thing"), kind: str = "value",
           detail: str = "") -> Spec:
    """Anything the other specs cannot say: ``check(name, value)`` returns the value to use
    or raises (``ValueError`` naming ``name``, or the catalog's ``KeyError`` for a name it
    does not know). ``examples`` are valid values, or a function that builds them."""
    return Spec(kind, check, examples if callable(examples) else tuple(examples),
                tuple(bad), detail=detail)


def optional(spec: Spec) -> Spec:
    """``None`` (the function picks a default), or what ``spec`` takes."""
    def check(param: str, value: object) -> Any:
        return None if value is None else spec.check(param, value)

    def examples() -> list[object]:
        return [None, *spec.valid_examples()]

    return Spec(spec.kind, check, examples, tuple(b for b in spec.bad if b is not None),
                allows_none=True, detail=spec.detail, bounds=spec.bounds)


# --------------------------------------------------------------------------- the decorator

_SKIPPED_KINDS = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)


def declared(**specs: Spec) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Check each argument of the decorated function against its spec before the body runs.

    The wrapper has ``.unchecked`` (the body) and ``.declaration`` (parameter → Spec).
    Raises ``TypeError`` at import time if the declaration and the signature disagree.
    """
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        # Read from the code object, not inspect.signature: a kit of some 300 declared
        # functions must import in milliseconds (inspect.signature costs ~0.3 ms each).
        code = fn.__code__
        n_positional, n_keyword = code.co_argcount, code.co_kwonlyargcount
        names = code.co_varnames[:n_positional + n_keyword]
        positional_defaults = fn.__defaults__ or ()
        all_defaults = dict(zip(names[n_positional - len(positional_defaults):n_positional],
                                positional_defaults, strict=True))
        all_defaults.update(fn.__kwdefaults__ or {})
        params = [n for n in names if n not in ("self", "cls")]
        where = f"{fn.__module__}.{fn.__qualname__}"
        unknown = sorted(set(specs) - set(params))
        missing = [n for n in params if n not in specs]
        if unknown or missing:
            raise TypeError(f"{where}: declaration and signature disagree "
                            f"(declared but not parameters: {unknown}; "
                            f"parameters not declared: {missing})")
        for param in params:
            if not isinstance(specs[param], Spec):
                raise TypeError(f"{where}: {param} is declared with {specs[param]!r}, "
                                "not a Spec")
        # Defaults are checked by tests/test_declared.py, not here: checking a catalog name
        # at import would load the catalog whenever a layer is imported.
        order = tuple((n, specs[n].check) for n in params)
        slots = names[:n_positional]
        defaults = {n: all_defaults[n] for n in params if n in all_defaults}
        n_parameters = len(names)
        simple = (code.co_posonlyargcount == 0 and n_keyword == 0
                  and not code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS))

        def signature() -> inspect.Signature:
            return inspect.signature(fn)

        @functools.wraps(fn)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if not simple or len(args) > len(slots) or any(k in slots[:len(args)]
                                                            for k in kwargs):
                return _checked_slowly(signature(), order, fn, args, kwargs)
            values = dict(zip(slots, args, strict=False))
            values.update(kwargs)
            try:
                for param, check in order:
                    values[param] = check(param, values[param] if param in values
                                          else defaults[param])
            except KeyError:  # a missing argument or an unknown keyword: Python's TypeError
                signature().bind(*args, **kwargs)
                raise
            if len(values) > n_parameters:
                signature().bind(*args, **kwargs)  # an unknown keyword: Python's TypeError
            return fn(**values)

        checked.unchecked = fn  # type: ignore[attr-defined]
        checked.declaration = {n: specs[n] for n in params}  # type: ignore[attr-defined]
        return checked

    return wrap


def _checked_slowly(signature: inspect.Signature, order: tuple[tuple[str, Any], ...],
                    fn: Callable[..., Any], args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
    """The general path (``self``, ``*args``, keyword-only parameters, a bad call)."""
    bound = signature.bind(*args, **kwargs)
    bound.apply_defaults()
    for param, check in order:
        bound.arguments[param] = check(param, bound.arguments[param])
    return fn(*bound.args, **bound.kwargs)


def is_declared(fn: object) -> bool:
    """Whether ``fn`` (a function or a class's ``__call__``) carries a declaration."""
    return isinstance(getattr(fn, "declaration", None), dict)
