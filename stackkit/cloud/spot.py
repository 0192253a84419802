"""Spot jobs: a checkpointed job under random interruptions, in the hours lesson 3 speaks in.

The model of a checkpointed job lives in :mod:`stackkit.reliability` (in seconds); these
functions check their hour-named arguments and convert.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from .. import _checks, catalog, reliability
from .._declare import count, declared, non_negative, optional, positive, seed
from .._declare import date as a_date
from .._results import Result
from ..units import SECONDS_PER_HOUR
from .prices import INSTANCE, gpu_hour_price

# Monte Carlo runs per job: 1e6 gives P90 to about 0.1 %; more only costs memory and time.
_MAX_TRIALS = 1_000_000
# Shortest job and checkpoint interval the model takes (3.6 ns): below it, float rounding
# of hours (and not the model) would decide the answer.
_MIN_HOURS = 1e-12
# Most checkpoint intervals in one job.
_MAX_SEGMENTS = 1e12
# Hours that still fit the kit's ceiling once converted to seconds (reliability is in s).
_HOURS_LIMIT = _checks.LIMIT / SECONDS_PER_HOUR

#: A checkpointed job's five figures, in hours (rate per hour), declared once for lesson 3.
JOB = {
    "work_hours": positive(high=_HOURS_LIMIT, examples=(100.0, 10.0, 1000.0)),
    "interruptions_per_hour": non_negative(examples=(0.05, 0.0, 1.0)),
    "checkpoint_interval_hours": positive(high=_HOURS_LIMIT, examples=(2.0, 0.5, 10.0)),
    "checkpoint_hours": non_negative(high=_HOURS_LIMIT, examples=(0.1, 0.0, 1.0)),
    "restart_hours": non_negative(high=_HOURS_LIMIT, examples=(0.25, 0.0, 1.0)),
}
TRIALS = count(low=2, high=_MAX_TRIALS, examples=(1000, 2, 20_000))


def _job(work: float, rate: float, tau: float, delta: float,
         restart: float) -> reliability.CheckpointedJob:
    """The job in seconds, after the checks that combine its (declared) figures."""
    for name, value in (("work_hours", work), ("checkpoint_interval_hours", tau)):
        if value < _MIN_HOURS:  # float rounding of hours, not the model, would decide
            raise ValueError(f"{name} must be at least {_MIN_HOURS:g} h (3.6 ns); got {value!r}")
    if work / tau > _MAX_SEGMENTS:
        raise ValueError(f"checkpoint_interval_hours={tau!r} cuts work_hours={work!r} into "
                         f"more than {_MAX_SEGMENTS:.0e} segments; checkpoint less often")
    exponent = rate * (restart + min(tau, work) + delta)
    if exponent > reliability.MAX_EXPONENT:
        raise reliability.NeverFinishes(
            f"interruptions_per_hour={rate!r} is far too high for segments of "
            f"{min(tau, work):g} h of work (checkpoint_interval_hours, work_hours) plus a "
            f"{delta:g} h checkpoint (checkpoint_hours) and a {restart:g} h restart "
            f"(restart_hours): each segment would need about e^{exponent:.0f} tries, so the job "
            "never finishes; checkpoint more often or faster, or choose a lower rate")
    return reliability.CheckpointedJob.from_hours(work, rate, tau, delta, restart)


def _in_hours(job: reliability.CheckpointedJob, work_hours: float) -> float:
    """The job's expected run time in hours, as a multiple of its work: E[T]/W · W.

    Scaling the work in hours by the ratio (rather than dividing seconds by 3,600) keeps
    E[T] ≥ W exact in floating point whenever it holds in seconds.
    """
    return job.expected_runtime_s / job.work_s * work_hours


@declared(**JOB)
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
    job = _job(work_hours, interruptions_per_hour, checkpoint_interval_hours, checkpoint_hours,
               restart_hours)
    return _in_hours(job, work_hours)


@declared(interruptions_per_hour=positive(examples=(0.05, 1 / 24, 4.0)),
          checkpoint_hours=positive(examples=(5 / 60, 0.5)))
def best_checkpoint_interval_hours(interruptions_per_hour: float, checkpoint_hours: float) -> float:
    """The checkpoint interval τ that minimises Daly's expected wall time (for long jobs).

    Minimises (e^{λ(τ+δ)} − 1)/τ exactly: the optimum solves (1 − λτ)·e^{λτ} = e^{−λδ}
    (see ``_optimal_exponent``), found by bisection to float precision. The restart time R
    multiplies T_w by e^{λR} for every τ alike, so it does not change the optimum. Young's
    first-order answer is √(2δ/λ); Daly (2006) publishes τ_opt = 117 min for M = 24 h,
    δ = 5 min (his Fig. 3), 57 min for M = 6 h and 9.1 min for M = 15 min.
    """
    rate, delta = interruptions_per_hour, checkpoint_hours
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


@declared(**JOB, usd_per_hour=non_negative(examples=(55.04, 0.0, 98.32)), trials=TRIALS,
          seed=seed())
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
    work, rate, tau, delta, restart = (work_hours, interruptions_per_hour,
                                       checkpoint_interval_hours, checkpoint_hours, restart_hours)
    job = _job(work, rate, tau, delta, restart)
    price, n_trials = usd_per_hour, trials
    expected = _in_hours(job, work)
    try:
        seconds, failures = reliability.simulate_runtime_s.unchecked(job, n_trials, seed)
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


@declared(**JOB)
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
    expected = expected_runtime_hours.unchecked(work_hours, interruptions_per_hour,
                                                checkpoint_interval_hours, checkpoint_hours,
                                                restart_hours)
    return max(0.0, 1 - work_hours / expected)


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


@declared(instance=INSTANCE, **JOB, as_of=optional(a_date()), trials=TRIALS, seed=seed())
def spot_vs_on_demand(instance: str | catalog.Instance, work_hours: float,
                      interruptions_per_hour: float, checkpoint_interval_hours: float,
                      checkpoint_hours: float, restart_hours: float,
                      as_of: str | dt.date | None = None, trials: int = 10_000,
                      seed: int = 0) -> SpotVsOnDemand:
    """Run one job on ``instance`` at its catalog spot price (see :func:`spot_job`) and
    compare with on-demand, which runs the work uninterrupted: W hours × on-demand price.
    ``interruptions_per_hour`` has no default (see :func:`spot_job`)."""
    spot = gpu_hour_price.unchecked(instance, "spot", None, as_of)
    on_demand = gpu_hour_price.unchecked(instance, "on-demand", None, as_of)
    job = spot_job.unchecked(work_hours, interruptions_per_hour, checkpoint_interval_hours,
                             checkpoint_hours, restart_hours, spot.usd_per_instance_hour,
                             trials, seed)
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
