"""Declarations shared by lesson 2's functions (and lesson 3's, which build on them).

A catalog name is checked for its type here and looked up by the body, which raises the
catalog's ``KeyError`` with the nearest names; looking it up here would load the catalog
when the module is imported (a default is checked then). A value that is not a name is
refused with the same ``KeyError`` the catalog raises, so a caller that passes its own
argument on (serving's ``api_model``) is blamed as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from numbers import Real
from typing import Any

from .. import _checks, catalog
from .._declare import Spec, custom, non_negative, number, optional


def _catalog_name(kind: type, what: str) -> Callable[[str, object], Any]:
    def check(name: str, value: object) -> Any:
        if isinstance(value, (kind, str)):
            return value
        raise catalog.UnknownNameError(f"{what} name must be a string; got {value!r} ({name} "
                                       f"takes a catalog name or a catalog.{kind.__name__})")
    return check


def catalog_name(kind: type, what: str, examples: Iterable[str]) -> Spec:
    """A catalog row of ``kind`` or its name (looked up by the function's body)."""
    return custom(_catalog_name(kind, what), examples=tuple(examples),
                  bad=(None, 3, "", ["H100 SXM"]), kind=f"{what} name")


def catalog_names(kind: type, what: str, examples: Iterable[Iterable[str]]) -> Spec:
    """A list of catalog rows or names; one name alone counts as a list of one."""
    one = _catalog_name(kind, what)

    def check(name: str, value: object) -> list[Any]:
        return [one(name, item) for item in _checks.sequence(name, value, single=(str, kind))]

    return custom(check, examples=tuple(list(e) for e in examples),
                  bad=(None, 3, [], [None]), kind=f"list of {what} names")


def numbers(low: float = 0.0, *, low_open: bool = False,
            examples: Iterable[Iterable[float]]) -> Spec:
    """A list of numbers of at least ``low`` (above it if ``low_open``); one number alone
    counts as a list of one."""
    def check(name: str, value: object) -> list[float]:
        return [_checks.number(name, item, low=low, low_open=low_open)
                for item in _checks.sequence(name, value, single=Real)]

    return custom(check, examples=tuple(list(e) for e in examples),
                  bad=(None, "abc", [], [low if low_open else low - 1], [float("nan")]),
                  kind="list of numbers")


def counts(*, examples: Iterable[Iterable[int]]) -> Spec:
    """A list of whole numbers of at least 1; one alone counts as a list of one."""
    def check(name: str, value: object) -> list[int]:
        return [_checks.positive_int(name, item)
                for item in _checks.sequence(name, value, single=Real)]

    return custom(check, examples=tuple(list(e) for e in examples),
                  bad=(None, "abc", [], [0], [2.5]), kind="list of whole numbers")


CHIP = catalog.known_name("accelerators", examples=("H100 SXM", "A100 SXM 40GB", "H200 SXM"))
LINK = catalog_name(catalog.Interconnect, "interconnect",
                    ("NVLink 4", "InfiniBand NDR 4x", "Ethernet 100GbE", "PCIe 5.0 x16"))
NETWORK = catalog_name(catalog.Interconnect, "interconnect",
                       ("InfiniBand NDR 4x", "Ethernet 100GbE"))
LINKS = catalog_names(catalog.Interconnect, "interconnect",
                      (("NVLink 4", "InfiniBand NDR 4x"), ("Ethernet 100GbE",)))
#: PUE lies in [1, 3]: no surveyed data centre is worse; a typo guard, not physics.
PUE = optional(number(low=1.0, high=3.0, examples=(1.1, 1.56, 3.0)))
PRICE_PER_KWH = optional(non_negative(examples=(0.08, 0.0, 0.2)))
HOST_W = optional(non_negative(examples=(575.0, 0.0, 1000.0)))
#: A link reaching under a millionth of its bandwidth is broken.
EFFICIENCY = optional(number(low=1e-6, high=1.0, examples=(0.82, 1.0, 0.5)))
