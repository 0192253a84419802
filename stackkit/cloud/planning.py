"""Planning: the cheapest pricing mode that gets a number of GPU-hours done by a deadline."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from .. import _checks, catalog, reliability
from .._results import Result
from ..units import HOURS_PER_DAY, HOURS_PER_YEAR
from .spot import _MAX_TRIALS, _MIN_HOURS, SpotJob, _check_trials, expected_runtime_hours, spot_job

# Trials used while plan_gpu_hours searches for the fewest instances (the final run uses all).
_SEARCH_TRIALS = 2_000


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
