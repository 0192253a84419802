"""Build or buy: one product on an API and self-hosted across scale, and the crossing's band."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import _checks
from .. import _declare as d
from .._results import Result
from . import bill
from .bill import trace
from .monte_carlo import _draw
from .ranges import knobs
from .scenario import (
    HOSTING,
    MAX_USERS_PER_DAY,
    SCENARIO,
    SELF_HOSTED,
    Scenario,
    _api_price,
    preset,
)

# ----------------------------------------------------------------------------- build vs buy

def _users(name: str, value: object) -> np.ndarray:
    """Users per day: one number or a list of them, each in (0, MAX_USERS_PER_DAY]."""
    items = _checks.sequence(name, value, single=(int, float), max_len=1000)
    return np.array([_checks.positive(name, u, high=MAX_USERS_PER_DAY) for u in items])


def _build_vs_buy_table(name: str, value: object) -> pd.DataFrame:
    """A :func:`build_vs_buy` table: its users and its verdicts checked."""
    if not isinstance(value, pd.DataFrame) or not {"users_per_day", "cheaper"} <= set(value):
        raise ValueError(f"{name} must be the DataFrame that stack.build_vs_buy returns")
    _checks.array(f"{name}.users_per_day",
                  value["users_per_day"].to_numpy(dtype=float, na_value=np.nan),
                  low=0, low_open=True)
    odd = set(value["cheaper"]) - {"api", "self-hosted"}
    if odd:
        raise ValueError(f"{name}.cheaper must hold 'api' or 'self-hosted'; got "
                         f"{sorted(map(str, odd))}")
    return value


def _example_table() -> list[pd.DataFrame]:
    return [build_vs_buy(preset("self-host-llama3-70b"), [1e3, 1e7])]


@d.declared(scenario=SCENARIO,
            users_per_day=d.optional(d.custom(_users, kind="users per day",
                                              examples=([1e3, 1e6], 5e4),
                                              bad=("abc", [-1.0], [float("nan")], 0.0))),
            self_hosting=d.choice(HOSTING[1:]))
def build_vs_buy(scenario: Scenario, users_per_day: object = None,
                 self_hosting: str = "on-demand") -> pd.DataFrame:
    """The same product on ``scenario.api_model``'s API and self-hosted, across scale.

    For each users-per-day value (default 31 values from 100 to 10 million, log-spaced)
    both are traced; columns: users_per_day, api_usd_per_mtok, self_usd_per_mtok,
    api_usd_per_month, self_usd_per_month, n_gpus, busy (share of the fleet doing
    work) and cheaper ("api" or "self-hosted"). Small products pay for idle chips
    (at least one replica runs all day); large ones fill them, and the API's margin
    becomes the cost of not building.
    """
    mode = self_hosting
    values = np.logspace(2, 7, 31) if users_per_day is None else users_per_day
    rows = []
    for users in values:
        api = trace(scenario.replace(users_per_day=float(users), hosting="api"))
        own = trace(scenario.replace(users_per_day=float(users), hosting=mode))
        rows.append({"users_per_day": float(users), "api_usd_per_mtok": api.usd_per_mtok,
                     "self_usd_per_mtok": own.usd_per_mtok,
                     "api_usd_per_month": api.usd_per_month,
                     "self_usd_per_month": own.usd_per_month, "n_gpus": own.n_gpus,
                     "busy": own.figure("busy share of the fleet"),
                     "cheaper": "self-hosted" if own.usd_per_mtok < api.usd_per_mtok else "api"})
    return pd.DataFrame(rows)


@d.declared(table=d.custom(_build_vs_buy_table, kind="build_vs_buy table",
                           examples=_example_table,
                           bad=(None, 3, "table", pd.DataFrame({"users_per_day": [1.0]}))))
def breakeven_users_per_day(table: pd.DataFrame) -> float | None:
    """Users per day from which self-hosting wins at every larger scale in a
    :func:`build_vs_buy` table (whole replicas can make it win, lose, then win again
    just above one replica), or None if it never wins at the largest scale."""
    cheaper = list(table.sort_values("users_per_day")["cheaper"])
    users = list(table.sort_values("users_per_day")["users_per_day"])
    if not cheaper or cheaper[-1] != "self-hosted":
        return None
    i = len(cheaper) - 1
    while i > 0 and cheaper[i - 1] == "self-hosted":
        i -= 1
    return float(users[i])


@dataclass(frozen=True, eq=False)
class BreakevenBand(Result):
    """Where self-hosting starts to win, under the assumptions' uncertainty.

    Each draw sets every assumption from its range (as :func:`uncertainty` does, users
    per day aside: that is the axis) and finds the users per day from which
    self-hosting is cheaper than ``api_model`` at every larger scale in the grid.
    ``p10/p50/p90_users_per_day`` are None where that share of draws never crosses
    inside the grid; ``share_never`` says how many.
    """

    api_model: str
    n: int
    seed: int
    max_users_per_day: float  # the grid's top
    p10_users_per_day: float | None
    p50_users_per_day: float | None
    p90_users_per_day: float | None
    share_never: float  # draws with no crossing inside the grid
    point_users_per_day: float | None  # the scenario as given
    users_per_day: np.ndarray = field(default=None, repr=False)  # the grid
    self_p10_usd_per_mtok: np.ndarray = field(default=None, repr=False)  # per grid point
    self_p90_usd_per_mtok: np.ndarray = field(default=None, repr=False)
    api_usd_per_mtok: np.ndarray = field(default=None, repr=False)  # the list price's line


@d.declared(scenario=SELF_HOSTED, api_model=d.optional(d.name(examples=("GPT-5",))),
            n=d.count(high=20_000, examples=(1, 8)), seed=d.seed())
def breakeven_band(scenario: Scenario, api_model: str | None = None, n: int = 2000,
                   seed: int = 0) -> BreakevenBand:
    """The build-vs-buy crossing as a band: P10, P50, P90 over seeded draws of every
    assumption of the self-hosted scenario and of the API (its price factor), on the
    :func:`build_vs_buy` grid of 100 to 10 million users a day."""
    s = scenario if api_model is None else scenario.replace(api_model=api_model)
    _api_price(s.api_model)  # an unknown name raises KeyError with the nearest names
    count = n
    api = s.replace(hosting="api")
    grid = np.logspace(2, 7, 31)
    ks = {k.field: k for k in (*knobs(s), *knobs(api)) if k.field != "users_per_day"}
    rng = np.random.default_rng(seed)
    v = bill._values(s)
    for k in ks.values():
        v[k.field] = _draw(rng, k, count)[:, None]
    v["users_per_day"] = grid[None, :]
    own = np.broadcast_to(bill._usd_per_mtok(bill._plan(s), v), (count, len(grid)))
    buy = np.broadcast_to(bill._usd_per_mtok(bill._plan(api), v), (count, len(grid)))
    wins = own < buy
    # from the first grid point where self-hosting wins at every larger scale
    always = np.flip(np.logical_and.accumulate(np.flip(wins, axis=1), axis=1), axis=1)
    first = np.where(always.any(axis=1), always.argmax(axis=1), -1)
    users = np.where(first >= 0, grid[np.maximum(first, 0)], np.inf)
    p10, p50, p90 = np.percentile(users, [10, 50, 90], method="inverted_cdf")
    point = breakeven_users_per_day(build_vs_buy(s, list(grid), self_hosting=s.hosting))

    def finite(x: float) -> float | None:
        return float(x) if math.isfinite(x) else None

    return BreakevenBand(api_model=s.api_model, n=count, seed=int(seed),
                         max_users_per_day=float(grid[-1]), p10_users_per_day=finite(p10),
                         p50_users_per_day=finite(p50), p90_users_per_day=finite(p90),
                         share_never=float(np.mean(~np.isfinite(users))),
                         point_users_per_day=point, users_per_day=grid,
                         self_p10_usd_per_mtok=np.percentile(own, 10, axis=0),
                         self_p90_usd_per_mtok=np.percentile(own, 90, axis=0),
                         api_usd_per_mtok=np.array([trace(api.replace(
                             users_per_day=float(u))).usd_per_mtok for u in grid]))

