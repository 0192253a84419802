"""Planning: the cheapest pricing mode that gets a number of GPU-hours done by a deadline."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from .. import catalog, reliability
from .._declare import count, declared, non_negative, optional, positive, seed
from .._results import Result
from ..units import HOURS_PER_DAY, HOURS_PER_YEAR
from .prices import AS_OF, INSTANCE, RESERVED_DISCOUNT
from .spot import _MIN_HOURS, JOB, TRIALS, SpotJob, expected_runtime_hours, spot_job

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


@declared(gpu_hours=positive(examples=(10_000.0, 100.0, 8000.0)),
          deadline_hours=positive(examples=(168.0, 24.0, 720.0)), instance=INSTANCE,
          max_instances=count(examples=(20, 1, 64)),
          interruptions_per_instance_hour=non_negative(high=3600,  # at most one a second
                                                       examples=(0.02, 0.0, 0.5)),
          checkpoint_interval_hours=JOB["checkpoint_interval_hours"],
          checkpoint_hours=JOB["checkpoint_hours"], restart_hours=JOB["restart_hours"],
          reserved_discount=optional(RESERVED_DISCOUNT),
          reserved_term_hours=positive(examples=(HOURS_PER_YEAR, 3 * HOURS_PER_YEAR)),
          as_of=AS_OF, trials=TRIALS, seed=seed(),
          capacity_block=optional(INSTANCE))
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
    # every argument is checked (declared) before the search, so that it skips only sizes
    # whose job never finishes (reliability.NeverFinishes), never a bad parameter
    job = _Job(work_gpu_hours=gpu_hours, deadline_hours=deadline_hours, cap=max_instances,
               term_hours=reserved_term_hours,
               rate_per_instance_hour=interruptions_per_instance_hour,
               interval_hours=checkpoint_interval_hours, checkpoint_hours=checkpoint_hours,
               restart_hours=restart_hours, trials=trials, seed=seed,
               row=catalog.instance(instance, as_of=as_of))
    block = None if capacity_block is None else _block_like(job.row, capacity_block)
    rows = [_on_demand_option(job), _spot_option(job)]
    if reserved_discount is not None:
        rows.append(_reserved_option(job, reserved_discount))
    if block is not None:
        rows.append(_capacity_block_option(job, block))
    return _cheapest(job, pd.DataFrame(rows))


@dataclass(frozen=True)
class _Job:
    """The work to plan, checked: in instance-hours of ``row``, with its deadline and limits."""

    work_gpu_hours: float
    deadline_hours: float
    cap: int  # most instances
    term_hours: float  # a reservation's term
    rate_per_instance_hour: float
    interval_hours: float
    checkpoint_hours: float
    restart_hours: float
    trials: int
    seed: int
    row: catalog.Instance

    @property
    def per_instance(self) -> int:
        """GPUs per instance."""
        return self.row.accelerator_count

    @property
    def instance_hours(self) -> float:
        """Work in instance-hours: GPU-hours / GPUs per instance."""
        return self.work_gpu_hours / self.per_instance

    def instances_to_finish_in(self, hours: float) -> int:
        """The fewest instances that do the work in ``hours`` uninterrupted (at least one)."""
        return max(1, math.ceil(self.instance_hours / hours - 1e-12))


def _block_like(row: catalog.Instance, capacity_block: str | catalog.Instance) -> catalog.Instance:
    """The capacity-block row, which must rent the same accelerators as ``row``."""
    block = catalog.instance(capacity_block)
    if block.accelerator_count != row.accelerator_count or block.accelerator != row.accelerator:
        raise ValueError(f"capacity_block {block.instance!r} rents {block.accelerator_count} x "
                         f"{block.accelerator}; {row.instance} has {row.accelerator_count} x "
                         f"{row.accelerator}")
    return block


def _option(job: _Job, mode: str, k: int, expected_hours: float | None,
            p90_hours: float | None, cost_usd: float | None, meets: bool, note: str) -> dict:
    """One row of the plan's options table."""
    return {"mode": mode, "instances": k, "gpus": k * job.per_instance,
            "expected_hours": expected_hours, "p90_hours": p90_hours,
            "expected_cost_usd": cost_usd, "meets_deadline": meets, "note": note}


def _on_demand_option(job: _Job) -> dict:
    """The fewest instances that finish in time, uninterrupted; cost = work × price."""
    k = job.instances_to_finish_in(job.deadline_hours)
    fits = k <= job.cap
    k = min(k, job.cap)
    hours = job.instance_hours / k
    return _option(job, "on-demand", k, hours, hours, job.instance_hours * job.row.usd_per_hour,
                   fits, "" if fits else f"needs more than {job.cap} instances")


def _spot_option(job: _Job) -> dict:
    """The fewest instances whose simulated P90 meets the deadline; cost = k × mean × price."""
    if job.row.spot_usd_per_hour is None:
        return _option(job, "spot", 0, None, None, None, False, "no spot price in the catalog")
    best = _fewest_spot_instances(job.instance_hours, job.deadline_hours,
                                  job.instances_to_finish_in(job.deadline_hours), job.cap,
                                  job.rate_per_instance_hour, job.interval_hours,
                                  job.checkpoint_hours, job.restart_hours,
                                  job.row.spot_usd_per_hour, job.trials, job.seed)
    if best is None:
        return _option(job, "spot", job.cap, None, None, None, False,
                       f"cannot finish in time with up to {job.cap} instances")
    k, spot = best
    fits = spot.p90_hours <= job.deadline_hours
    return _option(job, "spot", k, spot.mean_hours, spot.p90_hours,
                   spot.mean_hours * spot.usd_per_hour, fits,
                   f"{spot.mean_interruptions:.1f} interruptions on average"
                   if fits else "P90 misses the deadline")


def _reserved_option(job: _Job, discount: float) -> dict:
    """k instances committed for the whole term and paid for every hour of it."""
    k = job.instances_to_finish_in(min(job.deadline_hours, job.term_hours))
    fits = k <= job.cap
    k = min(k, job.cap)
    hours = job.instance_hours / k
    return _option(job, "reserved", k, hours, hours,
                   k * job.term_hours * job.row.usd_per_hour * (1 - discount), fits,
                   f"pays for {job.term_hours:,.0f} h per instance, used or not")


def _capacity_block_option(job: _Job, block: catalog.Instance) -> dict:
    """k instances reserved for whole days, paid up front; the fewest whose days fit."""
    days_allowed = math.floor(job.deadline_hours / HOURS_PER_DAY + 1e-12)
    if days_allowed < 1:
        return _option(job, "capacity block", 0, None, None, None, False,
                       "blocks are sold in whole days")
    k = job.instances_to_finish_in(days_allowed * HOURS_PER_DAY)
    fits = k <= job.cap
    k = min(k, job.cap)
    hours = job.instance_hours / k
    days = math.ceil(hours / HOURS_PER_DAY - 1e-12)
    return _option(job, "capacity block", k, hours, hours,
                   k * days * HOURS_PER_DAY * block.usd_per_hour, fits,
                   f"{days} whole day(s) at ${block.usd_per_hour:,.2f}/h, paid up front "
                   f"(price of {block.as_of})")


def _cheapest(job: _Job, options: pd.DataFrame) -> GpuHourPlan:
    """The plan: the cheapest option that meets the deadline (None if none does)."""
    feasible = options[options["meets_deadline"]]
    if feasible.empty:
        mode, cost = None, None
    else:
        pick = feasible.loc[feasible["expected_cost_usd"].astype(float).idxmin()]
        mode, cost = str(pick["mode"]), float(pick["expected_cost_usd"])
    return GpuHourPlan(gpu_hours=job.work_gpu_hours, deadline_hours=job.deadline_hours,
                       instance=job.row.instance, as_of=job.row.as_of, cheapest_mode=mode,
                       cheapest_usd=cost, options=options)
