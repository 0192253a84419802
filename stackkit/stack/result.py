"""What a trace returns: the bill line by line, each layer's figures and every dated price."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .._results import Result
from . import monte_carlo, ranges
from .scenario import Scenario


@dataclass(frozen=True)
class _Price:
    figure: str
    value: float
    unit: str
    as_of: dt.date
    source: str


@dataclass(frozen=True, eq=False)
class StackResult(Result):
    """One scenario traced through the six layers: the bill, what it buys, and its dates.

    ``rows`` holds the monthly bill line by line (each from one layer function);
    :meth:`waterfall` turns it into $ per million tokens that sum to the total.
    ``figures`` holds each layer's headline figures and the function that gave
    them; ``prices`` every dated price used, with its age and a stale flag;
    ``not_composed`` is always empty now that every layer composes (lesson 7 still
    prints it).
    """

    _derived = ("usd_per_mtok",)

    scenario_name: str
    hosting: str
    usd_per_month: float
    mtok_per_month: float
    n_gpus: int  # serving chips provisioned (0 on an API)
    facility_mw: float  # their draw from the grid (0 on an API)
    ttft_s: float | None  # time to first token, self-hosted (None on an API)
    tpot_s: float | None  # time per output token, self-hosted
    training_gpu_hours: float
    n_stale_prices: int
    line_items: tuple[dict, ...] = field(default=(), repr=False)
    figure_items: tuple[dict, ...] = field(default=(), repr=False)
    price_items: tuple[dict, ...] = field(default=(), repr=False)
    not_composed: tuple[str, ...] = ()
    scenario: Scenario | None = field(default=None, repr=False)

    @property
    def usd_per_mtok(self) -> float:
        """Total cost per million tokens (input plus output)."""
        return self.usd_per_month / self.mtok_per_month

    @property
    def rows(self) -> pd.DataFrame:
        """The monthly bill, one line item per row, with the layer function that gave it."""
        return pd.DataFrame(list(self.line_items), columns=[
            "layer", "layer_name", "item", "usd_per_month", "function", "prices", "note",
            "as_of", "stale"])

    @property
    def figures(self) -> pd.DataFrame:
        """Each layer's headline figures: value, unit and the function that computed it."""
        return pd.DataFrame(list(self.figure_items), columns=[
            "layer", "layer_name", "figure", "value", "unit", "function"])

    @property
    def prices(self) -> pd.DataFrame:
        """Every dated price the trace used: value, as_of, age in days, stale flag, source."""
        frame = pd.DataFrame(list(self.price_items), columns=[
            "key", "figure", "value", "unit", "as_of", "age_days", "stale", "source"])
        frame["as_of"] = pd.to_datetime(frame["as_of"])
        return frame

    def figure(self, name: str) -> float:
        """One headline figure by its name in :attr:`figures` (e.g. "time to first token")."""
        for item in self.figure_items:
            if item["figure"] == name:
                return item["value"]
        known = ", ".join(repr(i["figure"]) for i in self.figure_items)
        raise KeyError(f"no figure {name!r} in this trace; known: {known}")

    def waterfall(self) -> pd.DataFrame:
        """The bill as $ per million tokens, one row per line item, bottom layer first.

        Columns: layer, layer_name, item, usd_per_month, usd_per_mtok, share,
        start and end (the bar's extent in a waterfall), function, as_of (the
        oldest price the row uses) and stale. ``usd_per_mtok`` sums to
        :attr:`usd_per_mtok`.
        """
        frame = self.rows[self.rows["usd_per_month"] > 0].copy()
        frame = frame.sort_values("layer", kind="stable").reset_index(drop=True)
        frame["usd_per_mtok"] = frame["usd_per_month"] / self.mtok_per_month
        frame["share"] = frame["usd_per_month"] / self.usd_per_month
        frame["end"] = frame["usd_per_mtok"].cumsum()
        frame["start"] = frame["end"] - frame["usd_per_mtok"]
        return frame[["layer", "layer_name", "item", "usd_per_month", "usd_per_mtok", "share",
                      "start", "end", "function", "as_of", "stale"]]

    def sensitivity(self) -> pd.DataFrame:
        """Each assumption at its low and its high, ranked by how far it moves the total."""
        return ranges.sensitivity(self._scenario())

    def uncertainty(self, n: int = 10_000, seed: int = 0) -> monte_carlo.Uncertainty:
        """A seeded Monte Carlo over the assumptions' ranges: P10, P50, P90 of $/Mtok."""
        return monte_carlo.uncertainty(self._scenario(), n=n, seed=seed)

    def _scenario(self) -> Scenario:
        if self.scenario is None:
            raise ValueError("this result was built without its scenario; call trace(scenario)")
        return self.scenario


