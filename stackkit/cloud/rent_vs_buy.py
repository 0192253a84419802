"""Rent vs buy: the utilization above which owning a GPU beats renting it."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import catalog, clusters
from .._declare import custom, declared, fraction, non_negative, positive
from .._results import Result
from ..clusters._specs import CHIP, PRICE_PER_KWH, PUE, numbers


def _owned_cost(name: str, value: object) -> clusters.OwnedCost:
    if not isinstance(value, clusters.OwnedCost):
        raise ValueError(f"{name} must be an OwnedCost from clusters.owned_cost(...); got "
                         f"{type(value).__name__}")
    return value


OWNED = custom(_owned_cost, examples=lambda: [clusters.owned_cost("H100 SXM")],
               bad=(None, 3, "H100 SXM"), kind="OwnedCost")
#: Rents at which an owned H100 (about $1.67 per GPU-hour in all) pays off at some utilization.
RENT = positive(examples=(6.88, 2.5, 12.29))


class OwningNeverPaysOff(ValueError):
    """Owning never beats renting at this price; ``reason`` says why (raised, never inf/NaN)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"owning never beats renting: {reason}")
        self.reason = reason


def _never_reason(owned: clusters.OwnedCost, rent: float) -> str | None:
    if rent <= owned.power_usd_per_gpu_hour:
        return (f"the rent (${rent:.2f} per GPU-hour) is no more than owning's electricity "
                f"alone (${owned.power_usd_per_gpu_hour:.2f} per busy GPU-hour), so the "
                "fixed costs can never be earned back")
    if owned.fixed_usd_per_gpu_hour > rent - owned.power_usd_per_gpu_hour:
        return (f"even busy 100 % of the time, an owned {owned.chip} costs "
                f"${owned.usd_per_gpu_hour:.2f} per GPU-hour, more than the rent "
                f"(${rent:.2f})")
    return None


@declared(owned=OWNED, rent_usd_per_gpu_hour=RENT)
def breakeven_utilization(owned: clusters.OwnedCost, rent_usd_per_gpu_hour: float) -> float:
    """The utilization above which owning a GPU beats renting one; in (0, 1].

    Renting, you pay ``rent`` for each hour you use. Owning, each useful hour costs
    fixed/u + power (:meth:`stackkit.clusters.OwnedCost.usd_per_used_gpu_hour`: capital
    and operations are paid every hour, electricity only when busy). They are equal at

        u* = fixed / (rent − power).

    Parameters
    ----------
    owned : ownership cost per GPU-hour from :func:`stackkit.clusters.owned_cost`.
    rent_usd_per_gpu_hour : the rental price of the same GPU (e.g. from :func:`gpu_hour_price`).

    Raises
    ------
    OwningNeverPaysOff
        (a ValueError) when owning never wins — the rent is at most the power cost, or u*
        would exceed 1 — with the reason in its message and ``reason`` attribute.
    """
    rent = rent_usd_per_gpu_hour
    reason = _never_reason(owned, rent)
    if reason is not None:
        raise OwningNeverPaysOff(reason)
    return owned.fixed_usd_per_gpu_hour / (rent - owned.power_usd_per_gpu_hour)


@dataclass(frozen=True)
class RentVsBuy(Result):
    """One GPU owned against the same GPU rented, at one utilization."""

    chip: str
    rent_usd_per_gpu_hour: float
    utilization: float
    owned_usd_per_used_gpu_hour: float
    owned_fixed_usd_per_gpu_hour: float
    owned_power_usd_per_gpu_hour: float
    breakeven_utilization: float | None  # None when owning never wins
    never_reason: str | None
    cheaper: str  # 'own' or 'rent'
    saving_usd_per_used_gpu_hour: float  # of the cheaper option

    @property
    def verdict(self) -> str:
        if self.breakeven_utilization is None:
            return f"rent: {self.never_reason}"
        return (f"{self.cheaper}: owning wins above {self.breakeven_utilization:.0%} "
                "utilization")


@declared(owned=OWNED, rent_usd_per_gpu_hour=RENT, utilization=fraction(low_open=True))
def rent_vs_buy(owned: clusters.OwnedCost, rent_usd_per_gpu_hour: float,
                utilization: float) -> RentVsBuy:
    """Compare owning and renting per useful GPU-hour at ``utilization``; see
    :func:`breakeven_utilization` for the break-even and the "never" case."""
    u, rent = utilization, rent_usd_per_gpu_hour
    try:
        breakeven: float | None = breakeven_utilization.unchecked(owned, rent)
        reason = None
    except OwningNeverPaysOff as exc:
        breakeven, reason = None, exc.reason
    owned_per_used = owned.usd_per_used_gpu_hour(u)
    cheaper = "own" if owned_per_used < rent else "rent"
    return RentVsBuy(
        chip=owned.chip, rent_usd_per_gpu_hour=rent, utilization=u,
        owned_usd_per_used_gpu_hour=owned_per_used,
        owned_fixed_usd_per_gpu_hour=owned.fixed_usd_per_gpu_hour,
        owned_power_usd_per_gpu_hour=owned.power_usd_per_gpu_hour,
        breakeven_utilization=breakeven, never_reason=reason, cheaper=cheaper,
        saving_usd_per_used_gpu_hour=abs(rent - owned_per_used),
    )


@declared(chip=CHIP, capital_usd_per_gpu=positive(examples=(33_750.0, 25_000.0)),
          rent_usd_per_gpu_hours=numbers(low_open=True, examples=((2.0, 4.0, 6.88), (12.29,))),
          amortization_years=numbers(low_open=True, examples=((3.0, 4.0, 5.0), (4.0,))),
          pue=PUE, usd_per_kwh=PRICE_PER_KWH, ops_usd_per_gpu_hour=non_negative())
def breakeven_table(chip: str | catalog.Accelerator, capital_usd_per_gpu: float,
                    rent_usd_per_gpu_hours: list[float], amortization_years: list[float],
                    pue: float | None = None, usd_per_kwh: float | None = None,
                    ops_usd_per_gpu_hour: float = 0.0) -> pd.DataFrame:
    """Sensitivity of the break-even utilization to the rent and the amortization period.

    One row per (rent, years): the owned fixed cost per GPU-hour, the break-even
    utilization (None where owning never wins) and a verdict in words. Ownership cost
    from :func:`stackkit.clusters.owned_cost` with the same defaults.
    """
    rows = []
    for years in amortization_years:
        owned = clusters.owned_cost.unchecked(chip, capital_usd_per_gpu, years, pue, usd_per_kwh,
                                              ops_usd_per_gpu_hour, None, None)
        for rent in rent_usd_per_gpu_hours:
            try:
                value: float | None = breakeven_utilization.unchecked(owned, rent)
                verdict = f"own above {value:.0%} utilization"
            except OwningNeverPaysOff as exc:
                value, verdict = None, f"never: {exc.reason}"
            rows.append({"rent_usd_per_gpu_hour": float(rent),
                         "amortization_years": float(years),
                         "owned_fixed_usd_per_gpu_hour": owned.fixed_usd_per_gpu_hour,
                         "breakeven_utilization": value, "verdict": verdict})
    return pd.DataFrame(rows).astype({"breakeven_utilization": object})
