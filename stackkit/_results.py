"""One way for every result object to show itself: a one-row table and a tidy HTML card."""

from __future__ import annotations

import html
from dataclasses import fields
from typing import ClassVar

import pandas as pd


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}"
    return "" if value is None else str(value)


class Result:
    """Mixin for the frozen dataclasses that models return.

    ``to_frame()`` gives one row (the fields, then the properties named in
    ``_derived``), so several results stack with ``pd.concat``; in Jupyter a
    result renders as a two-column table of quantity and value. Fields that hold
    a nested table or result, or that are declared with ``repr=False``, are left out.
    """

    _derived: ClassVar[tuple[str, ...]] = ()

    def _rows(self) -> dict[str, object]:
        row = {f.name: getattr(self, f.name) for f in fields(self)  # type: ignore[arg-type]
               if f.repr and not isinstance(getattr(self, f.name), (Result, pd.DataFrame))}
        row.update({name: getattr(self, name) for name in self._derived})
        return row

    def to_frame(self) -> pd.DataFrame:
        """The result as a one-row table."""
        return pd.DataFrame([self._rows()])

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(name)}</th>"
                       f"<td style='text-align:right'>{html.escape(_cell(value))}</td></tr>"
                       for name, value in self._rows().items())
        return f"<table>{rows}</table>"


class LossCurve:
    """Mixin for a training run's result with a ``losses`` tuple: its first and last loss."""

    losses: tuple[float, ...]

    @property
    def first_loss(self) -> float:
        return self.losses[0]

    @property
    def last_loss(self) -> float:
        return self.losses[-1]
