"""Layer 3 — cloud compute: pricing modes, spot jobs, rent vs buy, API bills, planning.

Pure functions: numbers in, numbers or small frozen dataclasses out. Prices come
from :mod:`stackkit.catalog` with their ``as_of`` dates; ownership cost comes from
:func:`stackkit.clusters.owned_cost` (lesson 2). Lesson 3 (``03_cloud.ipynb``)
introduces every function here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import pandas as pd

from . import _checks, catalog, clusters, reliability
from ._results import Result
from .units import DAYS_PER_MONTH, HOURS_PER_DAY, HOURS_PER_YEAR, SECONDS_PER_HOUR

__all__ = [
    "MODES",
    "ApiBill",
    "GpuHourPlan",
    "GpuHourPrice",
    "OwningNeverPaysOff",
    "RentVsBuy",
    "SelfHosting",
    "SpotJob",
    "SpotVsOnDemand",
    "api_bill",
    "api_monthly_cost",
    "best_checkpoint_interval_hours",
    "blended_usd_per_mtok",
    "breakeven_table",
    "breakeven_utilization",
    "compare_api_bills",
    "expected_runtime_hours",
    "gpu_hour_price",
    "gpu_hour_prices",
    "plan_gpu_hours",
    "pricing_modes",
    "rent_vs_buy",
    "self_hosting_breakeven",
    "self_hosting_daily_usd",
    "spot_breakeven_discount",
    "spot_job",
    "spot_vs_on_demand",
]

#: The ways to pay for a cloud GPU that the kit models.
MODES = ("on-demand", "reserved", "spot")

_TOKENS_PER_MTOK = 1e6


# --------------------------------------------------------------------------- prices

@dataclass(frozen=True)
class GpuHourPrice(Result):
    """What one accelerator-hour costs on one instance in one pricing mode."""

    instance: str
    provider: str
    region: str
    accelerator: str
    mode: str  # 'on-demand', 'reserved' or 'spot'
    usd_per_gpu_hour: float  # per accelerator (GPU or TPU); see usd_per_accelerator_hour
    usd_per_instance_hour: float
    discount_vs_on_demand: float  # fraction of the on-demand price saved
    as_of: dt.date
    source: str

    @property
    def usd_per_accelerator_hour(self) -> float:
        """The price of one accelerator-hour: GPU or TPU (the kit's name for it)."""
        return self.usd_per_gpu_hour


def gpu_hour_prices(as_of: str | dt.date | None = None, history: bool = False) -> pd.DataFrame:
    """Every catalog instance's price per accelerator-hour, on-demand and spot, with its date.

    Parameters
    ----------
    as_of : keep, per instance, the latest price on or before this date (default: the latest).
    history : keep every dated row instead (e.g. p5.48xlarge before and after the June 2025
        AWS price cut).

    Returns
    -------
    DataFrame with instance, provider, region, accelerator, accelerator_count,
    on_demand_usd_per_gpu_hour, spot_usd_per_gpu_hour (NaN where the catalog has no spot
    price), spot_discount, as_of and source, cheapest on-demand first.
    """
    as_of = _checks.optional(_checks.date, "as_of", as_of)
    history = _checks.boolean("history", history)
    frame = catalog.instances()
    if as_of is not None:
        frame = frame[frame["as_of"] <= pd.Timestamp(as_of)]
        if frame.empty:
            raise ValueError(f"as_of={as_of!s} is before every price in the catalog")
    if not history:
        frame = frame.sort_values("as_of").groupby(["instance", "provider", "region"]).tail(1)
    out = frame[["instance", "provider", "region", "accelerator", "accelerator_count"]].copy()
    out["on_demand_usd_per_gpu_hour"] = frame["usd_per_hour"] / frame["accelerator_count"]
    out["spot_usd_per_gpu_hour"] = frame["spot_usd_per_hour"] / frame["accelerator_count"]
    out["spot_discount"] = 1 - frame["spot_usd_per_hour"] / frame["usd_per_hour"]
    out["as_of"] = frame["as_of"]
    out["source"] = frame["source"]
    return out.sort_values(["on_demand_usd_per_gpu_hour", "as_of"]).reset_index(drop=True)


def gpu_hour_price(instance: str | catalog.Instance, mode: str = "on-demand",
                   reserved_discount: float | None = None,
                   as_of: str | dt.date | None = None) -> GpuHourPrice:
    """The price of one accelerator-hour on ``instance`` in one pricing mode.

    on-demand: the catalog's list price ÷ accelerators per instance.
    spot: the catalog's spot price (lowest over the region's zones) ÷ accelerators.
    reserved: on-demand × (1 − reserved_discount). The discount is an input with no
    default: providers publish only ceilings — AWS EC2 Instance Savings Plans "up to
    72 %", Compute Savings Plans "up to 66 %" (AWS Savings Plans FAQs), Google Cloud
    resource-based commitments "up to 57 %" for GPUs (Compute Engine CUD docs); see
    ``catalog.assumptions()`` keys ``*_max_discount`` — not the rate for a given GPU
    instance and term, which comes from a quote.

    Parameters
    ----------
    instance : catalog instance name (``"p5.48xlarge"``) or an ``Instance`` row.
    mode : 'on-demand', 'reserved' or 'spot'.
    reserved_discount : fraction in [0, 1) saved by a 1- or 3-year commitment (reserved only).
    as_of : price on this date (the latest row on or before it); default the latest.
    """
    mode = _checks.one_of("mode", mode, MODES)
    row = catalog.instance(instance, as_of=_checks.optional(_checks.date, "as_of", as_of))
    on_demand = row.usd_per_hour
    if mode != "reserved" and reserved_discount is not None:
        raise ValueError(f"reserved_discount={reserved_discount!r} applies to mode='reserved' "
                         f"only; mode={mode!r} would ignore it")
    if mode == "on-demand":
        per_instance, discount = on_demand, 0.0
    elif mode == "spot":
        if row.spot_usd_per_hour is None:
            raise ValueError(f"the catalog has no spot price for {row.instance} "
                             f"({row.provider} {row.region}, {row.as_of}); choose another "
                             "instance or mode")
        per_instance = row.spot_usd_per_hour
        discount = 1 - per_instance / on_demand
    else:
        if reserved_discount is None:
            raise ValueError("reserved_discount is required for mode='reserved' (a fraction, "
                             "e.g. 0.4): providers publish ceilings such as AWS 'up to 72%' "
                             "and GCP 'up to 57%', not a rate for each GPU instance")
        discount = _checks.in_range("reserved_discount", reserved_discount, 0.0, 1.0,
                                    high_open=True)
        per_instance = on_demand * (1 - discount)
    return GpuHourPrice(
        instance=row.instance, provider=row.provider, region=row.region,
        accelerator=row.accelerator, mode=mode,
        usd_per_gpu_hour=per_instance / row.accelerator_count,
        usd_per_instance_hour=per_instance, discount_vs_on_demand=discount,
        as_of=row.as_of, source=row.source,
    )


def reserved_discount_ceiling() -> float:
    """The largest reserved discount a provider quotes: AWS EC2 Instance Savings Plans,
    "up to 72 %" (AWS Savings Plans FAQs). No commitment saves more."""
    return catalog.assumption("aws_ec2_instance_savings_plan_max_discount").value


def gpu_commitment_discount() -> float:
    """Google Cloud's quoted ceiling for GPU commitments, "up to 57 %" (Compute Engine
    committed-use discount docs): the kit's reserved-discount scenario. A quote is
    usually lower."""
    return catalog.assumption("gcp_resource_cud_max_discount").value


def pricing_modes(instance: str | catalog.Instance, reserved_discount: float,
                  hours_per_month: float = HOURS_PER_DAY * DAYS_PER_MONTH,
                  as_of: str | dt.date | None = None) -> pd.DataFrame:
    """On-demand, reserved and spot side by side for one instance: per GPU-hour and per month.

    ``hours_per_month`` defaults to running all month (730 h). Spot is left out when the
    catalog has no spot price for the instance. See :func:`gpu_hour_price` for each mode.
    """
    hours = _checks.positive("hours_per_month", hours_per_month)
    rows = []
    for mode in MODES:
        try:
            price = gpu_hour_price(instance, mode, reserved_discount=reserved_discount
                                   if mode == "reserved" else None, as_of=as_of)
        except ValueError:
            if mode == "spot":
                continue
            raise
        rows.append({"mode": mode, "usd_per_gpu_hour": price.usd_per_gpu_hour,
                     "usd_per_instance_hour": price.usd_per_instance_hour,
                     "usd_per_instance_month": price.usd_per_instance_hour * hours,
                     "discount_vs_on_demand": price.discount_vs_on_demand,
                     "instance": price.instance, "accelerator": price.accelerator,
                     "as_of": pd.Timestamp(price.as_of)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- spot jobs

# Monte Carlo runs per job: 1e6 gives P90 to about 0.1 %; more only costs memory and time.
_MAX_TRIALS = 1_000_000
# Trials used while plan_gpu_hours searches for the fewest instances (the final run uses all).
_SEARCH_TRIALS = 2_000
# Shortest job and checkpoint interval the model takes (3.6 ns): below it, float rounding
# of hours (and not the model) would decide the answer.
_MIN_HOURS = 1e-12
# Most checkpoint intervals in one job.
_MAX_SEGMENTS = 1e12

# The model of a checkpointed job lives in stackkit.reliability (in seconds); lesson 3
# speaks in hours, so these functions check their hour-named arguments and convert.

def _check_job(work_hours: object, interruptions_per_hour: object,
               checkpoint_interval_hours: object, checkpoint_hours: object,
               restart_hours: object) -> tuple[float, float, float, float, float]:
    hours = _checks.LIMIT / SECONDS_PER_HOUR  # what fits the ceiling once in seconds
    work = _checks.positive("work_hours", work_hours, high=hours)
    rate = _checks.non_negative("interruptions_per_hour", interruptions_per_hour)
    tau = _checks.positive("checkpoint_interval_hours", checkpoint_interval_hours, high=hours)
    delta = _checks.non_negative("checkpoint_hours", checkpoint_hours, high=hours)
    restart = _checks.non_negative("restart_hours", restart_hours, high=hours)
    for name, value in (("work_hours", work), ("checkpoint_interval_hours", tau)):
        if value < _MIN_HOURS:
            raise ValueError(f"{name} must be at least {_MIN_HOURS:g} h (3.6 ns); got {value!r}")
    if work / tau > _MAX_SEGMENTS:
        raise ValueError(f"checkpoint_interval_hours={checkpoint_interval_hours!r} cuts "
                         f"work_hours={work_hours!r} into more than {_MAX_SEGMENTS:.0e} "
                         "segments; checkpoint less often")
    exponent = rate * (restart + min(tau, work) + delta)
    if exponent > reliability.MAX_EXPONENT:
        raise reliability.NeverFinishes(
            f"interruptions_per_hour={interruptions_per_hour!r} is far too high for segments of "
            f"{min(tau, work):g} h of work (checkpoint_interval_hours, work_hours) plus a "
            f"{delta:g} h checkpoint (checkpoint_hours) and a {restart:g} h restart "
            f"(restart_hours): each segment would need about e^{exponent:.0f} tries, so the job "
            "never finishes; checkpoint more often or faster, or choose a lower rate")
    return work, rate, tau, delta, restart


def _check_trials(trials: object, seed: object) -> int:
    n_trials = _checks.whole("trials", trials, 2, _MAX_TRIALS)
    _checks.non_negative_int("seed", seed, high=2**63 - 1)
    return n_trials


def _in_hours(job: reliability.CheckpointedJob, work_hours: float) -> float:
    """The job's expected run time in hours, as a multiple of its work: E[T]/W · W.

    Scaling the work in hours by the ratio (rather than dividing seconds by 3,600) keeps
    E[T] ≥ W exact in floating point whenever it holds in seconds.
    """
    return job.expected_runtime_s / job.work_s * work_hours


def expected_runtime_hours(work_hours: float, interruptions_per_hour: float,
                           checkpoint_interval_hours: float, checkpoint_hours: float,
                           restart_hours: float) -> float:
    """Expected wall-clock hours of a job that checkpoints every ``checkpoint_interval_hours``.

    Interruptions arrive as a Poisson process (exponential gaps, rate λ per hour). The
    job runs in segments of τ hours of work followed by a checkpoint of δ hours; an
    interruption loses the segment in progress, and the job restarts (R hours, which can
    itself be interrupted) from the last checkpoint. Daly (2006), "A higher order
    estimate of the optimum checkpoint interval for restart dumps", Future Generation
    Computer Systems 22(3):303–312, section 3 (the complete cost model; eq. 9 as secondary
    sources number it), gives

        T_w = M · e^{R/M} · (e^{(τ+δ)/M} − 1) · W / τ,     M = 1/λ.

    Each factor: M·e^{R/M}·(e^{(τ+δ)/M} − 1) is the exact expected time to finish one
    segment of τ + δ (first try costs no restart; each retry needs R + τ + δ without an
    interruption), and W/τ counts segments. Here W/τ need not be whole: the job runs
    ⌊W/τ⌋ full segments and one last segment of the remaining work r, also followed by a
    checkpoint (the final save), so

        E[T] = ⌊W/τ⌋ · M e^{R/M}(e^{(τ+δ)/M} − 1) + M e^{R/M}(e^{(r+δ)/M} − 1),

    which equals Daly's T_w when τ divides W. With λ = 0 it is W + ⌈W/τ⌉·δ: the work
    plus the checkpoint overhead. :func:`spot_job` simulates the same process. The
    model is :func:`stackkit.reliability.expected_runtime_s`; this is it in hours.

    Raises
    ------
    ValueError
        for negative or non-finite inputs, or a rate so high that the job never finishes.
    """
    checked = _check_job(work_hours, interruptions_per_hour, checkpoint_interval_hours,
                         checkpoint_hours, restart_hours)
    return _in_hours(reliability.CheckpointedJob.from_hours(*checked), checked[0])


def best_checkpoint_interval_hours(interruptions_per_hour: float, checkpoint_hours: float) -> float:
    """The checkpoint interval τ that minimises Daly's expected wall time (for long jobs).

    Minimises (e^{λ(τ+δ)} − 1)/τ exactly: the optimum solves (1 − λτ)·e^{λτ} = e^{−λδ}
    (see ``_optimal_exponent``), found by bisection to float precision. The restart time R
    multiplies T_w by e^{λR} for every τ alike, so it does not change the optimum. Young's
    first-order answer is √(2δ/λ); Daly (2006) publishes τ_opt = 117 min for M = 24 h,
    δ = 5 min (his Fig. 3), 57 min for M = 6 h and 9.1 min for M = 15 min.
    """
    rate = _checks.positive("interruptions_per_hour", interruptions_per_hour)
    delta = _checks.positive("checkpoint_hours", checkpoint_hours)
    if rate * delta > reliability.MAX_EXPONENT:
        raise ValueError(
            f"interruptions_per_hour={interruptions_per_hour!r} × checkpoint_hours="
            f"{checkpoint_hours!r} = {rate * delta:.3g}: a checkpoint alone would need about "
            f"e^{rate * delta:.0f} tries, so no interval lets the job finish; checkpoint faster "
            "or choose a lower rate")
    # reliability.best_interval_s in hours (the optimum depends on λ·δ only; no conversion
    # of a tiny rate to seconds, which could fall below the kit's floor)
    return _checks.finite("best checkpoint interval",
                          reliability._optimal_exponent(rate * delta) / rate,
                          {"interruptions_per_hour": interruptions_per_hour,
                           "checkpoint_hours": checkpoint_hours})


@dataclass(frozen=True)
class SpotJob(Result):
    """A checkpointed job under random interruptions: closed form and Monte Carlo, time and cost."""

    work_hours: float
    interruptions_per_hour: float
    checkpoint_interval_hours: float
    checkpoint_hours: float
    restart_hours: float
    usd_per_hour: float  # what the capacity costs per wall-clock hour
    trials: int
    seed: int
    expected_hours: float  # closed form (Daly 2006)
    mean_hours: float  # Monte Carlo mean
    standard_error_hours: float  # of the Monte Carlo mean
    p50_hours: float
    p90_hours: float
    expected_cost_usd: float
    p50_cost_usd: float
    p90_cost_usd: float
    mean_interruptions: float
    hours: np.ndarray = field(repr=False, compare=False)  # one wall time per trial

    @property
    def cost_usd(self) -> np.ndarray:
        """One cost per trial: wall hours × price per hour."""
        return self.hours * self.usd_per_hour

    @property
    def overhead_fraction(self) -> float:
        """Expected wall time beyond the work itself, as a fraction of the work."""
        return self.expected_hours / self.work_hours - 1


def spot_job(work_hours: float, interruptions_per_hour: float, checkpoint_interval_hours: float,
             checkpoint_hours: float, restart_hours: float, usd_per_hour: float,
             trials: int = 10_000, seed: int = 0) -> SpotJob:
    """Time and cost of a checkpointed job on interruptible (spot) capacity.

    The expected wall time comes from :func:`expected_runtime_hours` (Daly 2006); the
    spread (P50, P90) from a seeded, vectorised Monte Carlo of the same process
    (:func:`stackkit.reliability.simulate_runtime_s`), whose mean agrees with the closed
    form within its standard error. You pay for every wall-clock hour, restarts included:
    cost = hours × usd_per_hour.

    Parameters
    ----------
    work_hours : hours of uninterrupted computing the job needs (W).
    interruptions_per_hour : rate λ of the whole job's interruptions; no default — AWS
        publishes only monthly interruption-frequency bands per instance type (Spot
        Instance Advisor), so choose a scenario and say so.
    checkpoint_interval_hours : work between checkpoints (τ).
    checkpoint_hours : time to write one checkpoint (δ).
    restart_hours : time to get capacity back and reload the last checkpoint (R).
    usd_per_hour : price of the capacity per wall-clock hour (spot price of the instances).
    trials : Monte Carlo runs (at least 10,000 gives P90 to about 1 %).
    seed : random seed; the same seed gives the same result.
    """
    work, rate, tau, delta, restart = _check_job(work_hours, interruptions_per_hour,
                                                 checkpoint_interval_hours, checkpoint_hours,
                                                 restart_hours)
    job = reliability.CheckpointedJob.from_hours(work, rate, tau, delta, restart)
    price = _checks.non_negative("usd_per_hour", usd_per_hour)
    n_trials = _check_trials(trials, seed)
    seed = int(seed)
    expected = _in_hours(job, work)
    try:
        seconds, failures = reliability.simulate_runtime_s(job, n_trials, seed)
    except ValueError as exc:  # say it in this function's terms
        raise type(exc)(f"{exc} (here: interruptions_per_hour, work_hours, "
                        "checkpoint_interval_hours, checkpoint_hours, restart_hours)") from None
    hours = seconds / SECONDS_PER_HOUR
    p50, p90 = np.quantile(hours, [0.5, 0.9])
    hours.setflags(write=False)
    return SpotJob(
        work_hours=work, interruptions_per_hour=rate, checkpoint_interval_hours=tau,
        checkpoint_hours=delta, restart_hours=restart, usd_per_hour=price, trials=n_trials,
        seed=seed, expected_hours=expected, mean_hours=float(hours.mean()),
        standard_error_hours=float(hours.std(ddof=1) / math.sqrt(n_trials)),
        p50_hours=float(p50), p90_hours=float(p90), expected_cost_usd=expected * price,
        p50_cost_usd=float(p50) * price, p90_cost_usd=float(p90) * price,
        mean_interruptions=float(failures.mean()), hours=hours,
    )


def spot_breakeven_discount(work_hours: float, interruptions_per_hour: float,
                            checkpoint_interval_hours: float, checkpoint_hours: float,
                            restart_hours: float) -> float:
    """The spot discount at which spot costs the same as on-demand, in expectation.

    On-demand runs the work uninterrupted: W hours at price p. Spot at discount d takes
    E[T] hours (:func:`expected_runtime_hours`) at p·(1 − d). They cost the same when

        d* = 1 − W / E[T].

    Spot is cheaper whenever its discount exceeds d*. (The on-demand run is taken to
    need no checkpoints; a real one also checkpoints against hardware failure, which
    only lowers d*.)
    """
    expected = expected_runtime_hours(work_hours, interruptions_per_hour,
                                      checkpoint_interval_hours, checkpoint_hours, restart_hours)
    return max(0.0, 1 - _checks.positive("work_hours", work_hours) / expected)


@dataclass(frozen=True)
class SpotVsOnDemand(Result):
    """One job on a catalog instance: on spot (simulated) against on-demand (uninterrupted)."""

    instance: str
    as_of: dt.date
    on_demand_usd_per_hour: float
    spot_usd_per_hour: float
    spot_discount: float  # the catalog's spot price below on-demand
    breakeven_discount: float  # spot must be at least this much cheaper to win
    on_demand_hours: float
    on_demand_usd: float
    spot_expected_usd: float
    spot_p90_usd: float
    spot_cheaper_share: float  # fraction of simulated runs where spot costs less
    job: SpotJob = field(repr=False, compare=False)


def spot_vs_on_demand(instance: str | catalog.Instance, work_hours: float,
                      interruptions_per_hour: float, checkpoint_interval_hours: float,
                      checkpoint_hours: float, restart_hours: float,
                      as_of: str | dt.date | None = None, trials: int = 10_000,
                      seed: int = 0) -> SpotVsOnDemand:
    """Run one job on ``instance`` at its catalog spot price (see :func:`spot_job`) and
    compare with on-demand, which runs the work uninterrupted: W hours × on-demand price.
    ``interruptions_per_hour`` has no default (see :func:`spot_job`)."""
    spot = gpu_hour_price(instance, "spot", as_of=as_of)
    on_demand = gpu_hour_price(instance, "on-demand", as_of=as_of)
    job = spot_job(work_hours, interruptions_per_hour, checkpoint_interval_hours,
                   checkpoint_hours, restart_hours, spot.usd_per_instance_hour, trials, seed)
    on_demand_usd = job.work_hours * on_demand.usd_per_instance_hour
    return SpotVsOnDemand(
        instance=spot.instance, as_of=spot.as_of,
        on_demand_usd_per_hour=on_demand.usd_per_instance_hour,
        spot_usd_per_hour=spot.usd_per_instance_hour,
        spot_discount=spot.discount_vs_on_demand,
        breakeven_discount=1 - job.work_hours / job.expected_hours,  # as spot_breakeven_discount
        on_demand_hours=job.work_hours, on_demand_usd=on_demand_usd,
        spot_expected_usd=job.expected_cost_usd, spot_p90_usd=job.p90_cost_usd,
        spot_cheaper_share=float(np.mean(job.cost_usd < on_demand_usd)), job=job,
    )


# --------------------------------------------------------------------------- rent vs buy

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
    if not isinstance(owned, clusters.OwnedCost):
        raise ValueError(f"owned must be an OwnedCost from clusters.owned_cost(...); got "
                         f"{type(owned).__name__}")
    rent = _checks.positive("rent_usd_per_gpu_hour", rent_usd_per_gpu_hour)
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


def rent_vs_buy(owned: clusters.OwnedCost, rent_usd_per_gpu_hour: float,
                utilization: float) -> RentVsBuy:
    """Compare owning and renting per useful GPU-hour at ``utilization``; see
    :func:`breakeven_utilization` for the break-even and the "never" case."""
    u = _checks.in_range("utilization", utilization, 0.0, 1.0, low_open=True)
    rent = _checks.positive("rent_usd_per_gpu_hour", rent_usd_per_gpu_hour)
    try:
        breakeven: float | None = breakeven_utilization(owned, rent)
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


def breakeven_table(chip: str | catalog.Accelerator, capital_usd_per_gpu: float,
                    rent_usd_per_gpu_hours: list[float], amortization_years: list[float],
                    pue: float | None = None, usd_per_kwh: float | None = None,
                    ops_usd_per_gpu_hour: float = 0.0) -> pd.DataFrame:
    """Sensitivity of the break-even utilization to the rent and the amortization period.

    One row per (rent, years): the owned fixed cost per GPU-hour, the break-even
    utilization (None where owning never wins) and a verdict in words. Ownership cost
    from :func:`stackkit.clusters.owned_cost` with the same defaults.
    """
    rents = [_checks.positive("rent_usd_per_gpu_hours", rent) for rent in
             _checks.sequence("rent_usd_per_gpu_hours", rent_usd_per_gpu_hours, single=Real)]
    periods = [_checks.positive("amortization_years", years) for years in
               _checks.sequence("amortization_years", amortization_years, single=Real)]
    rows = []
    for years in periods:
        owned = clusters.owned_cost(chip, capital_usd_per_gpu, amortization_years=years, pue=pue,
                                    usd_per_kwh=usd_per_kwh,
                                    ops_usd_per_gpu_hour=ops_usd_per_gpu_hour)
        for rent in rents:
            try:
                value: float | None = breakeven_utilization(owned, rent)
                verdict = f"own above {value:.0%} utilization"
            except OwningNeverPaysOff as exc:
                value, verdict = None, f"never: {exc.reason}"
            rows.append({"rent_usd_per_gpu_hour": float(rent),
                         "amortization_years": float(years),
                         "owned_fixed_usd_per_gpu_hour": owned.fixed_usd_per_gpu_hour,
                         "breakeven_utilization": value, "verdict": verdict})
    return pd.DataFrame(rows).astype({"breakeven_utilization": object})


# --------------------------------------------------------------------------- API bills

@dataclass(frozen=True)
class ApiBill(Result):
    """A month of API usage and what it costs."""

    model: str
    provider: str
    as_of: dt.date
    requests_per_month: float
    input_tokens_per_month: float
    output_tokens_per_month: float
    input_usd: float  # uncached input tokens
    cached_input_usd: float
    output_usd: float
    monthly_usd: float
    usd_per_request: float
    cached_price_known: bool  # False: cached tokens were billed at the full input price


def api_bill(model: str | catalog.ApiPrice, users_per_day: float, requests_per_user: float,
             input_tokens: float, output_tokens: float, cached_input_share: float = 0.0,
             days_per_month: float = DAYS_PER_MONTH) -> ApiBill:
    """Monthly bill for an LLM API: users × requests × tokens × price per million tokens.

    requests/month = users_per_day · requests_per_user · days_per_month
    cost/request   = [(1 − c)·input·p_in + c·input·p_cached + output·p_out] / 10⁶

    with c the share of input tokens served from the provider's prompt cache.

    Parameters
    ----------
    model : API model in ``catalog.api_prices()`` (name or ``ApiPrice``; build an
        ``ApiPrice`` for a price of your own).
    users_per_day : active users per day.
    requests_per_user : requests each user makes per day.
    input_tokens, output_tokens : tokens per request (prompt; completion).
    cached_input_share : fraction of input tokens billed at the cached-input price. When
        the catalog has no cached price for the model they are billed at the full input
        price (an upper bound) and ``cached_price_known`` is False.
    days_per_month : default 365/12.
    """
    price = catalog.api_price(model)
    users = _checks.non_negative("users_per_day", users_per_day)
    per_user = _checks.non_negative("requests_per_user", requests_per_user)
    tokens_in = _checks.non_negative("input_tokens", input_tokens)
    tokens_out = _checks.non_negative("output_tokens", output_tokens)
    share = _checks.in_range("cached_input_share", cached_input_share, 0.0, 1.0)
    days = _checks.positive("days_per_month", days_per_month)
    requests = users * per_user * days
    cached_known = price.cached_input_usd_per_mtok is not None
    cached_price = price.cached_input_usd_per_mtok if cached_known else price.input_usd_per_mtok
    input_usd = requests * tokens_in * (1 - share) * price.input_usd_per_mtok / _TOKENS_PER_MTOK
    cached_usd = requests * tokens_in * share * cached_price / _TOKENS_PER_MTOK
    output_usd = requests * tokens_out * price.output_usd_per_mtok / _TOKENS_PER_MTOK
    total = input_usd + cached_usd + output_usd
    per_request = ((tokens_in * ((1 - share) * price.input_usd_per_mtok + share * cached_price)
                    + tokens_out * price.output_usd_per_mtok) / _TOKENS_PER_MTOK)
    return ApiBill(
        model=price.model, provider=price.provider, as_of=price.as_of,
        requests_per_month=requests, input_tokens_per_month=requests * tokens_in,
        output_tokens_per_month=requests * tokens_out, input_usd=input_usd,
        cached_input_usd=cached_usd, output_usd=output_usd, monthly_usd=total,
        usd_per_request=per_request, cached_price_known=cached_known,
    )


def api_monthly_cost(model: str | catalog.ApiPrice, users_per_day: float,
                     requests_per_user: float, input_tokens: float, output_tokens: float,
                     cached_input_share: float = 0.0,
                     days_per_month: float = DAYS_PER_MONTH) -> float:
    """Monthly API bill in USD; :func:`api_bill` has the breakdown and the formula."""
    return api_bill(model, users_per_day, requests_per_user, input_tokens, output_tokens,
                    cached_input_share, days_per_month).monthly_usd


def _api_price_record(row: object) -> catalog.ApiPrice:
    """An ``ApiPrice`` from one row of ``catalog.api_prices()`` (empty cells -> None)."""
    cached = row.cached_input_usd_per_mtok
    return catalog.ApiPrice(
        provider=row.provider, model=row.model, input_usd_per_mtok=row.input_usd_per_mtok,
        output_usd_per_mtok=row.output_usd_per_mtok,
        cached_input_usd_per_mtok=None if pd.isna(cached) else float(cached),
        source=row.source, as_of=pd.Timestamp(row.as_of).date(),
    )


def compare_api_bills(users_per_day: float, requests_per_user: float, input_tokens: float,
                      output_tokens: float, cached_input_share: float = 0.0,
                      models: list[str] | None = None,
                      days_per_month: float = DAYS_PER_MONTH) -> pd.DataFrame:
    """The same workload priced on every catalog model (or ``models``), cheapest first."""
    if models is None:  # every row, read once (a look-up by name per model is slower)
        prices = [_api_price_record(row) for row in catalog.api_prices().itertuples()]
    else:
        prices = [catalog.api_price(name) for name in
                  _checks.sequence("models", models, single=(str, catalog.ApiPrice))]
    rows = []
    for price in prices:
        bill = api_bill(price, users_per_day, requests_per_user, input_tokens, output_tokens,
                        cached_input_share, days_per_month)
        rows.append({"model": bill.model, "provider": bill.provider,
                     "monthly_usd": bill.monthly_usd, "usd_per_request": bill.usd_per_request,
                     "cached_price_known": bill.cached_price_known,
                     "as_of": pd.Timestamp(bill.as_of)})
    return pd.DataFrame(rows).sort_values("monthly_usd", kind="stable").reset_index(drop=True)


def blended_usd_per_mtok(model: str | catalog.ApiPrice, input_tokens: float,
                         output_tokens: float, cached_input_share: float = 0.0) -> float:
    """Average price per million tokens (input and output together) of one request's mix."""
    bill = api_bill(model, 1.0, 1.0, input_tokens, output_tokens, cached_input_share, 1.0)
    tokens = bill.input_tokens_per_month + bill.output_tokens_per_month
    if tokens == 0:
        raise ValueError("input_tokens + output_tokens must be greater than 0")
    return bill.usd_per_request / tokens * _TOKENS_PER_MTOK


# --------------------------------------------------------------------------- self-hosting

@dataclass(frozen=True)
class SelfHosting(Result):
    """Serving tokens on rented GPUs running all day, against an API's price per token."""

    api_usd_per_mtok: float
    tokens_per_second_per_gpu: float
    gpu_usd_per_hour: float
    gpus_per_replica: int
    replica_usd_per_day: float  # one always-on replica
    replica_capacity_tokens_per_day: float  # flat out
    full_load_usd_per_mtok: float  # self-hosting's price per token when the GPUs are busy
    breakeven_tokens_per_day: float | None  # None when self-hosting never wins
    breakeven_utilization: float | None  # of the first replica, at break-even
    never_reason: str | None


def self_hosting_daily_usd(tokens_per_day: float, tokens_per_second_per_gpu: float,
                           gpu_usd_per_hour: float, gpus_per_replica: int = 1) -> float:
    """Daily cost of serving ``tokens_per_day`` on always-on replicas (at least one).

    replicas = max(1, ⌈tokens / (throughput · gpus · 86,400 s)⌉)
    cost     = replicas · gpus · 24 h · price
    """
    tokens = _checks.non_negative("tokens_per_day", tokens_per_day)
    throughput = _checks.positive("tokens_per_second_per_gpu", tokens_per_second_per_gpu)
    price = _checks.positive("gpu_usd_per_hour", gpu_usd_per_hour)
    gpus = _checks.positive_int("gpus_per_replica", gpus_per_replica)
    capacity = throughput * gpus * HOURS_PER_DAY * SECONDS_PER_HOUR
    replicas = max(1, math.ceil(tokens / capacity - 1e-12))
    return replicas * gpus * HOURS_PER_DAY * price


def self_hosting_breakeven(api_usd_per_mtok: float, tokens_per_second_per_gpu: float,
                           gpu_usd_per_hour: float, gpus_per_replica: int = 1) -> SelfHosting:
    """Tokens per day above which renting GPUs to serve a model beats paying an API.

    An always-on replica of g GPUs costs c = g · 24 · price per day and serves at most
    K = g · throughput · 86,400 tokens per day. The API costs T · p per day for T tokens.
    The first replica pays for itself at

        T* = c / p   (tokens per day),

    provided T* ≤ K, i.e. the API's price p exceeds self-hosting's full-load price c/K;
    otherwise self-hosting never wins. ``tokens_per_second_per_gpu`` is an input here
    (lesson 6 computes it from the model and the chip).
    """
    api = _checks.positive("api_usd_per_mtok", api_usd_per_mtok)
    throughput = _checks.positive("tokens_per_second_per_gpu", tokens_per_second_per_gpu)
    price = _checks.positive("gpu_usd_per_hour", gpu_usd_per_hour)
    gpus = _checks.positive_int("gpus_per_replica", gpus_per_replica)
    per_day = gpus * HOURS_PER_DAY * price
    capacity = gpus * throughput * HOURS_PER_DAY * SECONDS_PER_HOUR
    full_load = per_day / capacity * _TOKENS_PER_MTOK
    if api <= full_load:
        breakeven = utilization = None
        reason = (f"even flat out, self-hosting costs ${full_load:.3g} per million tokens, "
                  f"no less than the API's ${api:.3g}")
    else:
        breakeven = per_day / (api / _TOKENS_PER_MTOK)
        utilization, reason = breakeven / capacity, None
    return SelfHosting(
        api_usd_per_mtok=api, tokens_per_second_per_gpu=throughput, gpu_usd_per_hour=price,
        gpus_per_replica=gpus, replica_usd_per_day=per_day,
        replica_capacity_tokens_per_day=capacity, full_load_usd_per_mtok=full_load,
        breakeven_tokens_per_day=breakeven, breakeven_utilization=utilization,
        never_reason=reason,
    )


# --------------------------------------------------------------------------- planning

@dataclass(frozen=True)
class GpuHourPlan(Result):
    """The cheapest way to get a number of GPU-hours done by a deadline."""

    gpu_hours: float
    deadline_hours: float
    instance: str
    as_of: dt.date
    cheapest_mode: str | None  # None when no mode meets the deadline
    cheapest_usd: float | None
    options: pd.DataFrame = field(repr=False, compare=False)


def _fewest_spot_instances(instance_hours: float, deadline: float, fewest: int, cap: int,
                           lam: float, tau: object, delta: object, restart: object,
                           usd_per_hour: float, trials: int, seed: int
                           ) -> tuple[int, SpotJob] | None:
    """The fewest instances k in [fewest, cap] whose simulated P90 meets the deadline.

    Work does not grow with ``cap``: more instances first shorten the job (less work
    each), then lengthen it (k times the interruptions), so both the expected time
    (closed form) and the P90 (Monte Carlo with a few thousand trials) are searched by
    doubling then bisection — about 2·log2(cap) evaluations. The chosen k is then
    simulated with all ``trials``. Returns None when no k gives a finishable job;
    otherwise (k, job), where the job may still miss the deadline (the best found).
    """
    if fewest > cap:
        return None

    def expected(k: int) -> float | None:
        if instance_hours / k < _MIN_HOURS:
            return None  # too little work each
        try:
            return expected_runtime_hours(instance_hours / k, lam * k, tau, delta, restart)
        except reliability.NeverFinishes:
            return None  # too many interruptions at this size

    def p90(k: int) -> float | None:
        if instance_hours / k < _MIN_HOURS:
            return None
        try:
            return spot_job(instance_hours / k, lam * k, tau, delta, restart, usd_per_hour * k,
                            trials=min(trials, _SEARCH_TRIALS), seed=seed).p90_hours
        except reliability.NeverFinishes:
            return None

    def first(ok: Callable[[int], bool], low: int) -> int | None:
        """The first k >= low with ok(k), by doubling the step then bisecting."""
        if ok(low):
            return low
        step, previous = 1, low
        while previous < cap:
            k = min(cap, low + step)
            if ok(k):
                lo, hi = previous, k  # ok(hi), not ok(lo)
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    lo, hi = (lo, mid) if ok(mid) else (mid, hi)
                return hi
            previous, step = k, step * 2
        return None

    def meets(value: float | None) -> bool:
        return value is not None and value <= deadline

    k_mean = first(lambda k: meets(expected(k)), fewest)
    if k_mean is None:
        k_any = first(lambda k: expected(k) is not None, fewest)
        if k_any is None:
            return None
        k = k_any
    else:
        k = first(lambda k: meets(p90(k)) or not meets(expected(k)), k_mean) or k_mean
        if not meets(expected(k)):
            k = k_mean  # P90 never met before the mean got worse: report the best try
    try:
        job = spot_job(instance_hours / k, lam * k, tau, delta, restart, usd_per_hour * k,
                       trials=trials, seed=seed)
    except reliability.NeverFinishes:
        return None
    return k, job


def plan_gpu_hours(gpu_hours: float, deadline_hours: float, instance: str | catalog.Instance,
                   max_instances: int, interruptions_per_instance_hour: float,
                   checkpoint_interval_hours: float, checkpoint_hours: float,
                   restart_hours: float, reserved_discount: float | None = None,
                   reserved_term_hours: float = HOURS_PER_YEAR,
                   as_of: str | dt.date | None = None, trials: int = 10_000,
                   seed: int = 0,
                   capacity_block: str | catalog.Instance | None = None) -> GpuHourPlan:
    """Cheapest mode (on-demand, spot, capacity block, reserved) to finish ``gpu_hours`` of
    work by a deadline.

    The job runs on k identical instances of ``instance`` (k ≤ max_instances), in step,
    so each instance does gpu_hours / (k · GPUs per instance) hours of work.

    - on-demand: the fewest instances that finish in time; cost = work × price.
    - spot: a spot interruption of any instance stops the job, so its rate is
      k · interruptions_per_instance_hour; checkpoints and restarts as in
      :func:`spot_job`. The fewest instances whose simulated P90 wall time meets the
      deadline; cost = k × mean wall time × spot price.
    - capacity block (only with ``capacity_block``, a catalog row such as
      "p5.48xlarge capacity block"): k instances reserved ahead for whole days (AWS sells
      Capacity Blocks for ML in 1-day increments up to 14 days, then 7-day ones), paid up
      front at the block's hourly rate; the fewest instances whose whole days fit the deadline.
    - reserved (only with ``reserved_discount``): k instances committed for a whole term
      (default one year, 8,760 h) and paid for every hour of it, used or not. For a job of
      days, a one-year term is rarely the alternative to compare with: a capacity block is.

    Returns a :class:`GpuHourPlan` whose ``options`` table lists each mode's instances,
    expected and P90 hours, expected cost and whether it meets the deadline.
    """
    work = _checks.positive("gpu_hours", gpu_hours)
    deadline = _checks.positive("deadline_hours", deadline_hours)
    cap = _checks.positive_int("max_instances", max_instances)
    term = _checks.positive("reserved_term_hours", reserved_term_hours)
    lam = _checks.non_negative("interruptions_per_instance_hour",  # at most one a second
                               interruptions_per_instance_hour, high=3600)
    # every argument is checked here, so that the search below skips only sizes whose
    # job never finishes (reliability.NeverFinishes), never a bad parameter
    _checks.positive("checkpoint_interval_hours", checkpoint_interval_hours)
    _checks.non_negative("checkpoint_hours", checkpoint_hours)
    _checks.non_negative("restart_hours", restart_hours)
    _check_trials(trials, seed)
    row = catalog.instance(instance, as_of=_checks.optional(_checks.date, "as_of", as_of))
    per_instance = row.accelerator_count
    instance_hours = work / per_instance  # of work
    rows = []

    n_trials = _checks.whole("trials", trials, 2, _MAX_TRIALS)
    seed = _checks.non_negative_int("seed", seed, high=2**63 - 1)
    fewest = max(1, math.ceil(instance_hours / deadline - 1e-12))  # to finish uninterrupted

    # on-demand
    k = fewest
    fits = k <= cap
    k = min(k, cap)
    hours = instance_hours / k
    rows.append({"mode": "on-demand", "instances": k, "gpus": k * per_instance,
                 "expected_hours": hours, "p90_hours": hours,
                 "expected_cost_usd": instance_hours * row.usd_per_hour,
                 "meets_deadline": fits,
                 "note": "" if fits else f"needs more than {cap} instances"})

    # spot
    if row.spot_usd_per_hour is None:
        rows.append({"mode": "spot", "instances": 0, "gpus": 0, "expected_hours": None,
                     "p90_hours": None, "expected_cost_usd": None, "meets_deadline": False,
                     "note": "no spot price in the catalog"})
    else:
        best = _fewest_spot_instances(instance_hours, deadline, fewest, cap, lam,
                                      checkpoint_interval_hours, checkpoint_hours,
                                      restart_hours, row.spot_usd_per_hour, n_trials, seed)
        if best is None:
            rows.append({"mode": "spot", "instances": cap, "gpus": cap * per_instance,
                         "expected_hours": None, "p90_hours": None, "expected_cost_usd": None,
                         "meets_deadline": False,
                         "note": f"cannot finish in time with up to {cap} instances"})
        else:
            k, job = best
            fits = job.p90_hours <= deadline
            rows.append({"mode": "spot", "instances": k, "gpus": k * per_instance,
                         "expected_hours": job.mean_hours, "p90_hours": job.p90_hours,
                         "expected_cost_usd": job.mean_hours * job.usd_per_hour,
                         "meets_deadline": fits,
                         "note": f"{job.mean_interruptions:.1f} interruptions on average"
                         if fits else "P90 misses the deadline"})

    # reserved
    if reserved_discount is not None:
        d = _checks.in_range("reserved_discount", reserved_discount, 0.0, 1.0, high_open=True)
        usable = min(deadline, term)
        k = max(1, math.ceil(instance_hours / usable - 1e-12))
        fits = k <= cap
        k = min(k, cap)
        rows.append({"mode": "reserved", "instances": k, "gpus": k * per_instance,
                     "expected_hours": instance_hours / k, "p90_hours": instance_hours / k,
                     "expected_cost_usd": k * term * row.usd_per_hour * (1 - d),
                     "meets_deadline": fits,
                     "note": f"pays for {term:,.0f} h per instance, used or not"})

    # capacity block
    if capacity_block is not None:
        block = catalog.instance(capacity_block)
        if block.accelerator_count != per_instance or block.accelerator != row.accelerator:
            raise ValueError(f"capacity_block {block.instance!r} rents {block.accelerator_count} x "
                             f"{block.accelerator}; {row.instance} has {per_instance} x "
                             f"{row.accelerator}")
        days_allowed = math.floor(deadline / HOURS_PER_DAY + 1e-12)
        if days_allowed < 1:
            rows.append({"mode": "capacity block", "instances": 0, "gpus": 0,
                         "expected_hours": None, "p90_hours": None, "expected_cost_usd": None,
                         "meets_deadline": False, "note": "blocks are sold in whole days"})
        else:
            k = max(1, math.ceil(instance_hours / (days_allowed * HOURS_PER_DAY) - 1e-12))
            fits = k <= cap
            k = min(k, cap)
            days = math.ceil(instance_hours / k / HOURS_PER_DAY - 1e-12)
            rows.append({"mode": "capacity block", "instances": k, "gpus": k * per_instance,
                         "expected_hours": instance_hours / k, "p90_hours": instance_hours / k,
                         "expected_cost_usd": k * days * HOURS_PER_DAY * block.usd_per_hour,
                         "meets_deadline": fits,
                         "note": f"{days} whole day(s) at ${block.usd_per_hour:,.2f}/h, paid "
                                 f"up front (price of {block.as_of})"})

    options = pd.DataFrame(rows)
    feasible = options[options["meets_deadline"]]
    if feasible.empty:
        mode, cost = None, None
    else:
        pick = feasible.loc[feasible["expected_cost_usd"].astype(float).idxmin()]
        mode, cost = str(pick["mode"]), float(pick["expected_cost_usd"])
    return GpuHourPlan(gpu_hours=work, deadline_hours=deadline, instance=row.instance,
                       as_of=row.as_of, cheapest_mode=mode, cheapest_usd=cost, options=options)
