"""Layer 3 — how fast prices fall: log-linear trends fitted to the catalog's dated rows.

A price (or a price-performance) that changes by the same factor every year is a straight
line on a log scale: ``ln y = a + b·t``, with ``t`` in years. Ordinary least squares on
``ln y`` gives the slope ``b`` and its standard error; the time for ``y`` to halve (or,
for a rising series, double) is ``ln 2 / |b|``, and a 95 % interval on ``b`` (Student's
t with n − 2 degrees of freedom) gives one on that time. This is the method of the
published trend studies the lessons compare with:

- Hobbhahn & Besiroglu (Epoch AI, 2022), "Trends in GPU price-performance": FLOP/s per
  dollar doubles every 2.46 years [2.24, 2.72] over 470 GPUs (2006-2021); 2.07 years
  [1.54, 3.13] for the 26 GPUs used in ML research;
- Cottier et al. (Epoch AI, 2025-03-12), "LLM inference prices have fallen rapidly but
  unequally across tasks": the price to reach a fixed benchmark score falls 9× to 900×
  a year; 40× a year for GPT-4's score on PhD-level science questions;
- Appenzeller (a16z, 2024-11-12), "Welcome to LLMflation": for an LLM of equivalent
  performance (MMLU ≥ 42), the cost falls 10× every year.

Few points make a wide interval, and two points none: the result says so in ``note``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from . import _checks, catalog
from ._declare import array, choice, custom, date, declared, optional
from ._declare import name as name_spec
from ._results import Result

__all__ = [
    "GPT4_CLASS_MMLU",
    "LAUNCH_PRICES_USD",
    "PUBLISHED",
    "TrendFit",
    "api_price_history",
    "decimal_year",
    "fit_api_price",
    "fit_gpu_hour_price",
    "fit_gpu_price_performance",
    "fit_log_linear",
    "gpu_hour_history",
    "gpu_price_performance",
    "published_trends",
]

#: Models whose published MMLU score is at least GPT-4o mini's 82.0 % ("GPT-4 class"), with
#: the score and where it is published; the API trend is fitted at this fixed capability.
GPT4_CLASS_MMLU: dict[str, tuple[float, str]] = {
    "GPT-4": (86.4, "GPT-4 Technical Report, arXiv 2303.08774, Table 2"),
    "GPT-4 Turbo": (84.7, "openai/simple-evals README, gpt-4-1106-preview (the DevDay model)"),
    "GPT-4o": (87.2, "openai/simple-evals README, gpt-4o-2024-05-13 (88.7 for 2024-08-06)"),
    "GPT-4o mini": (82.0, "openai/simple-evals README, gpt-4o-mini-2024-07-18; OpenAI, "
                          "'GPT-4o mini: advancing cost-efficient intelligence' (2024-07-18)"),
}

#: Published trend figures, as the studies state them (years to halve or double).
PUBLISHED: tuple[dict[str, object], ...] = (
    {"trend": "GPU FLOP/s per $ (all GPUs, 2006-2021)", "direction": "doubles",
     "years": 2.46, "low_years": 2.24, "high_years": 2.72,
     "source": "Hobbhahn & Besiroglu, Epoch AI, 'Trends in GPU price-performance' (2022), "
               "Table 1, n=470"},
    {"trend": "GPU FLOP/s per $ (GPUs used in ML)", "direction": "doubles",
     "years": 2.07, "low_years": 1.54, "high_years": 3.13,
     "source": "Hobbhahn & Besiroglu, Epoch AI (2022), Table 1, n=26"},
    {"trend": "LLM price at GPT-4's PhD-science score (40x a year)", "direction": "halves",
     "years": math.log(2) / math.log(40), "low_years": math.log(2) / math.log(900),
     "high_years": math.log(2) / math.log(9),
     "source": "Cottier et al., Epoch AI, 'LLM inference prices have fallen rapidly but "
               "unequally across tasks' (2025-03-12): 40x/year; range over milestones 9x-900x"},
    {"trend": "LLM price at fixed MMLU (10x a year, 'LLMflation')", "direction": "halves",
     "years": math.log(2) / math.log(10), "low_years": None, "high_years": None,
     "source": "Appenzeller, a16z, 'Welcome to LLMflation' (2024-11-12)"},
)

#: Launch prices of GPUs that data/accelerators.csv leaves unpriced (its ``price_usd`` is
#: what lesson 1 ranks chips per dollar by today; a 2017 price would not belong there), for
#: the price-performance trend only: (USD, year, source).
LAUNCH_PRICES_USD: dict[str, tuple[float, str]] = {
    "V100 SXM2 16GB": (149_000 / 8, "estimate: DGX-1 with Tesla V100 (8x V100) launch price "
                       "$149,000 / 8 GPUs (GTC 2017; TweakTown, 2017-05-10)"),
}

# Student's t, two-sided 95 %, by degrees of freedom (standard tables).
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201,
         2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074,
         2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)

#: At most this many points in one fit (the catalog holds dozens).
MAX_POINTS = 100_000


def _t975(dof: int) -> float:
    if dof <= len(_T975):
        return _T975[dof - 1]
    return 1.96 + (_T975[-1] - 1.96) * len(_T975) / dof  # tends to the normal 1.96


def _api_models(param: str, value: object) -> list[str]:
    """Model names (one string or a list) as the catalog spells them (KeyError if unknown)."""
    return [catalog.api_price(m).model for m in _checks.sequence(param, value, single=str)]


_MODELS = optional(custom(_api_models, examples=(["GPT-5", "GPT-5 mini"], "GPT-5"),
                          bad=(3, "no such model", [], [3]), kind="models"))
_PRECISION = choice(("bf16", "fp32"))
_INSTANCE = {"instance": name_spec(examples=("p5.48xlarge",)),
             "provider": name_spec(examples=("AWS",)),
             "region": name_spec(examples=("us-east-1",))}


@declared(date=date())
def decimal_year(date: object) -> float:
    """A date as a year with a fraction (2025-07-02 → 2025.5)."""
    day = date
    start = dt.date(day.year, 1, 1)
    length = (dt.date(day.year + 1, 1, 1) - start).days
    return day.year + (day - start).days / length


@dataclass(frozen=True)
class TrendFit(Result):
    """A log-linear fit ``ln y = intercept + slope·year`` and the times it implies."""

    quantity: str
    n_points: int
    first_year: float
    last_year: float
    slope_per_year: float  # d ln(y) / d year
    slope_se: float | None  # standard error of the slope; None from two points
    log_intercept: float  # ln y at year 0 (the fit is in ln y)
    direction: str  # 'falls', 'rises' or 'flat'
    halving_years: float | None  # years to halve (falling) or double (rising)
    halving_low_years: float | None  # 95 % interval; None where unbounded or unknown
    halving_high_years: float | None
    note: str
    _derived: ClassVar[tuple[str, ...]] = ("factor_per_year",)

    @property
    def factor_per_year(self) -> float:
        """How many times smaller (falling) or larger (rising) the value gets each year."""
        return math.exp(abs(self.slope_per_year))

    def predict(self, year: float) -> float:
        """The fitted value at ``year``."""
        t = _checks.number("year", year, low=1900, high=2200)
        return math.exp(self.log_intercept + self.slope_per_year * t)


@declared(years=array(low=1900, high=2200, examples=([2020.0, 2021.0, 2022.5],)),
          values=array(low=1e-30, examples=([4.0, 2.0, 1.1],)),
          quantity=name_spec(examples=("value",)))
def fit_log_linear(years: object, values: object, quantity: str = "value") -> TrendFit:
    """Least-squares fit of ``ln(values)`` on ``years``; halving (or doubling) time and its
    95 % interval from the slope's standard error (Student's t, n − 2 degrees of freedom).

    With two points the line passes through both and there is no uncertainty to state;
    with three to five the interval is wide. ``note`` says which.
    """
    t = np.asarray(years, dtype=float)
    y = np.asarray(values, dtype=float)
    if len(t) != len(y):
        raise ValueError(f"years and values must have the same length; got {len(t)} "
                         f"and {len(y)}")
    if len(t) < 2:
        raise ValueError(f"years must hold at least 2 points to fit a trend; got {len(t)}")
    if len(t) > MAX_POINTS:
        raise ValueError(f"years must hold at most {MAX_POINTS} points; got {len(t)}")
    if np.ptp(t) < 1e-3:
        raise ValueError("years must span more than a few hours to fit a trend; "
                         f"got every point at {t[0]:g}")
    log_y = np.log(y)
    t_mean = t.mean()
    sxx = float(((t - t_mean) ** 2).sum())
    slope = float(((t - t_mean) * (log_y - log_y.mean())).sum() / sxx)
    intercept = float(log_y.mean() - slope * t_mean)
    n = len(t)
    se = None
    if n > 2:
        residuals = log_y - (intercept + slope * t)
        se = math.sqrt(float((residuals ** 2).sum()) / (n - 2) / sxx)
    direction = "falls" if slope < 0 else "rises" if slope > 0 else "flat"
    halving = math.log(2) / abs(slope) if slope != 0 and abs(slope) > 1e-12 else None
    low = high = None
    if se is not None and halving is not None:
        margin = _t975(n - 2) * se
        fast, slow = abs(slope) + margin, abs(slope) - margin
        low = math.log(2) / fast
        high = math.log(2) / slow if slow > 1e-12 else None
    if n == 2:
        note = "two points: the line passes through both; no uncertainty can be stated"
    elif high is None and halving is not None:
        note = (f"{n} points: the 95 % interval includes no trend at all, so the slow end "
                "is unbounded")
    elif n <= 5:
        note = f"only {n} points: the interval is wide; read the halving time as rough"
    else:
        note = f"{n} points"
    if halving is None:
        note = f"{n} points: no change over the period (flat)"
    return TrendFit(quantity=quantity, n_points=n, first_year=float(t.min()),
                    last_year=float(t.max()), slope_per_year=slope, slope_se=se,
                    log_intercept=intercept, direction=direction, halving_years=halving,
                    halving_low_years=low, halving_high_years=high, note=note)


# --------------------------------------------------------------------------- GPU FLOP/s per $

@declared(precision=_PRECISION)
def gpu_price_performance(precision: str = "bf16") -> pd.DataFrame:
    """Peak FLOP/s per dollar of every catalog GPU with a known price, by release year.

    Prices come from ``catalog.accelerators()`` (``price_usd``) and, for chips without one
    there, :data:`LAUNCH_PRICES_USD` or the estimated selling price in
    ``catalog.chip_costs()``. ``precision``:
    ``"bf16"`` (dense 16-bit tensor; FP16 where a chip has no BF16) or ``"fp32"`` (what
    Epoch AI's 2022 study mostly used).
    """
    column = f"{precision}_tflops"
    chips = catalog.accelerators()
    chips = chips[chips["kind"] == "gpu"]
    costs = catalog.chip_costs().set_index("accelerator")
    rows = []
    for name, chip in chips.iterrows():
        price, note = chip["price_usd"], chip["price_note"]
        if pd.isna(price) and name in LAUNCH_PRICES_USD:
            price, note = LAUNCH_PRICES_USD[name]
        if pd.isna(price) and name in costs.index:
            price, note = costs.loc[name, "list_price_usd"], "estimated selling price, " \
                f"data/chip_costs.csv ({costs.loc[name, 'as_of']:%Y-%m-%d})"
        if pd.isna(price) or pd.isna(chip[column]):
            continue
        rows.append({"name": name, "year": int(chip["year"]), "tflops": float(chip[column]),
                     "price_usd": float(price),
                     "flops_per_usd": float(chip[column]) * 1e12 / float(price),
                     "price_note": note})
    return pd.DataFrame(rows).sort_values(["year", "name"]).reset_index(drop=True)


@declared(precision=_PRECISION)
def fit_gpu_price_performance(precision: str = "bf16") -> TrendFit:
    """The trend of peak FLOP/s per dollar over GPU release years (doubling time).

    Compare with Epoch AI (2022): 2.46 years for all GPUs, 2.07 for ML GPUs (``PUBLISHED``).
    """
    frame = gpu_price_performance.unchecked(precision)
    return fit_log_linear(frame["year"], frame["flops_per_usd"],
                          f"GPU peak {precision} FLOP/s per $")


# --------------------------------------------------------------------------- $/GPU-hour

@declared(**_INSTANCE)
def gpu_hour_history(instance: str = "p5.48xlarge", provider: str = "AWS",
                     region: str = "us-east-1") -> pd.DataFrame:
    """Every dated on-demand price of one cloud instance, per accelerator-hour."""
    name, cloud, where = instance, provider, region
    frame = catalog.instances()
    rows = frame[(frame["instance"].str.lower() == name.lower())
                 & (frame["provider"].str.lower() == cloud.lower())
                 & (frame["region"].str.lower() == where.lower())]
    if rows.empty:
        catalog.instance(name)  # an unknown name raises KeyError with the nearest names
        raise ValueError(f"the catalog has no {name!r} price from provider={cloud!r} in "
                         f"region={where!r}")
    out = rows[["instance", "accelerator", "as_of", "source"]].copy()
    out["usd_per_gpu_hour"] = rows["usd_per_hour"] / rows["accelerator_count"]
    out["year"] = [decimal_year.unchecked(d.date()) for d in rows["as_of"]]
    return out.sort_values("as_of").reset_index(drop=True)


@declared(**_INSTANCE)
def fit_gpu_hour_price(instance: str = "p5.48xlarge", provider: str = "AWS",
                       region: str = "us-east-1") -> TrendFit:
    """The trend of one instance's on-demand $/accelerator-hour over its price dates.

    List prices move in steps (AWS cut P4 and P5 prices by up to 45 % in June 2025), so a
    line through a few steps is a summary, not a law; its interval says how loose it is.
    """
    frame = gpu_hour_history.unchecked(instance, provider, region)
    if len(frame) < 2:
        raise ValueError(f"instance={instance!r} has one price date in the catalog; a trend "
                         "needs at least two")
    return fit_log_linear(frame["year"], frame["usd_per_gpu_hour"],
                          f"{frame['instance'].iloc[0]} on-demand $/{frame['accelerator'].iloc[0]}"
                          "-hour")


# --------------------------------------------------------------------------- API $/Mtok

@declared(models=_MODELS)
def api_price_history(models: object = None) -> pd.DataFrame:
    """Dated API prices of models at one capability level (default: GPT-4 class by MMLU).

    The price is the mean of input and output $/Mtok (a16z's blend). ``new_low`` marks the
    rows that set a new lowest price for the capability: the cheapest way to buy it over
    time, the series Epoch AI and a16z fit.
    """
    names = list(GPT4_CLASS_MMLU) if models is None else models
    frame = catalog.api_prices(history=True)
    rows = frame[frame["model"].isin(names)].copy()
    rows["usd_per_mtok"] = (rows["input_usd_per_mtok"] + rows["output_usd_per_mtok"]) / 2
    rows = rows.sort_values(["as_of", "usd_per_mtok"]).reset_index(drop=True)
    rows["year"] = [decimal_year.unchecked(d.date()) for d in rows["as_of"]]
    rows["new_low"] = rows["usd_per_mtok"] < rows["usd_per_mtok"].cummin().shift(
        fill_value=math.inf)
    return rows[["provider", "model", "as_of", "year", "input_usd_per_mtok",
                 "output_usd_per_mtok", "usd_per_mtok", "new_low", "source"]]


@declared(models=_MODELS)
def fit_api_price(models: object = None) -> TrendFit:
    """The trend of the cheapest API price for a fixed capability (halving time).

    Compare with Epoch AI (40× a year at GPT-4's level on PhD-level science; 9×-900×
    across milestones) and a16z (10× a year), in ``PUBLISHED``.
    """
    frame = api_price_history.unchecked(models)
    lows = frame[frame["new_low"]]
    if len(lows) < 2:
        raise ValueError("models must include prices on at least two dates that each set "
                         "a new low; got " + ", ".join(sorted(set(frame["model"]))))
    return fit_log_linear(lows["year"], lows["usd_per_mtok"],
                          "cheapest GPT-4-class API price, $/Mtok (mean of in and out)"
                          if models is None else "cheapest API price, $/Mtok")


@declared()
def published_trends() -> pd.DataFrame:
    """The published trend studies' halving and doubling times, with their sources."""
    return pd.DataFrame(list(PUBLISHED))
