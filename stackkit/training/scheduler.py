"""Orchestration: a GPU cluster's queue under FIFO, EASY backfill, or no gang scheduling."""

from __future__ import annotations

import heapq
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import _checks
from .._declare import array, choice, count, declared, positive, seed
from .._results import Result
from ._specs import JOBS

SCHEDULER_POLICIES = ("fifo", "backfill", "no-gang")
#: Most jobs :func:`schedule` simulates (its event loop is Python, O(jobs · nodes)).
MAX_SCHEDULED_JOBS = 100_000
#: Most jobs × nodes :func:`schedule` takes: each event scans the nodes (~10^-7 s a pair).
MAX_SCHEDULE_WORK = 10_000_000


@dataclass(frozen=True)
class Schedule(Result):
    """A cluster's queue over time under one scheduling policy."""

    policy: str
    n_nodes: int
    gpus_per_node: int
    n_jobs: int
    n_finished: int
    deadlocked: bool  # every GPU held by jobs that each wait for more: nothing can move
    makespan_h: float  # first arrival to last finish
    utilization: float  # GPU-hours of running jobs / (GPUs · makespan)
    held_idle_share: float  # GPU-hours held by waiting jobs (no-gang) / (GPUs · makespan)
    mean_wait_h: float  # over all jobs; one never started waits at least until all the
    #                    work could have been done (first arrival + GPU-hours / GPUs)
    p90_wait_h: float  # the same waits' 90th percentile
    fragmentation: float  # time-averaged share of free GPUs stranded on part-used nodes
    jobs: object  # pandas DataFrame: one row per job, arrival, start, finish, wait


@declared(n_jobs=count(high=100_000, examples=(20, 1)), seed=seed(),
          mean_interarrival_h=positive(examples=(0.5,)),
          sizes=array(low=1, high=2**20, whole=True, max_len=64, examples=((1, 8),)),
          size_weights=array(low=0, low_open=True, max_len=64, examples=((0.5, 0.5),)),
          median_duration_h=positive(examples=(2.0,)))
def synthetic_jobs(n_jobs: int = 60, seed: int = 0, mean_interarrival_h: float = 0.5,
                   sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32),
                   size_weights: tuple[float, ...] = (0.35, 0.15, 0.15, 0.15, 0.12, 0.08),
                   median_duration_h: float = 2.0):
    """An illustrative job mix: Poisson arrivals, mostly small jobs, log-normal durations.

    Not a trace: a seeded mix for the lesson's simulation (many small jobs and
    a few large ones, as shared clusters see; sizes ≥ 8 GPUs are whole nodes).
    Returns a DataFrame with job, arrival_h, gpus and duration_h.
    """
    n, gap, median = n_jobs, mean_interarrival_h, median_duration_h
    choices, weights = sizes, size_weights
    if len(choices) != len(weights):
        raise ValueError(f"sizes and size_weights must have the same length; got "
                         f"{len(choices)} and {len(weights)}")
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(gap, n))
    arrivals -= arrivals[0]
    gpus = rng.choice(choices.astype(np.int64), size=n, p=weights / weights.sum())
    durations = median * np.exp(rng.normal(0.0, 0.8, n))
    return pd.DataFrame({"job": np.arange(n), "arrival_h": arrivals, "gpus": gpus,
                         "duration_h": durations})


def _place(free: list[int], gpus: int, per_node: int) -> list[tuple[int, int]] | None:
    """Where a gang of ``gpus`` goes: whole free nodes for ≥ a node, else the fullest node
    with room (best fit); None if it does not fit now."""
    if gpus >= per_node:
        whole = [i for i, f in enumerate(free) if f == per_node]
        need = gpus // per_node
        return [(i, per_node) for i in whole[:need]] if len(whole) >= need else None
    fits = [i for i, f in enumerate(free) if f >= gpus]
    if not fits:
        return None
    best = min(fits, key=lambda i: (free[i], i))
    return [(best, gpus)]


def _read_jobs(jobs, nodes: int) -> pd.DataFrame:
    """The job table, checked and sorted by arrival (stable)."""
    what = ("jobs must be a table (a DataFrame, a dict of columns or a list of rows) with "
            "arrival_h, gpus and duration_h columns, e.g. training.synthetic_jobs()")
    if isinstance(jobs, (str, bytes)) or not isinstance(jobs, (pd.DataFrame, Mapping, list,
                                                                tuple)):
        raise ValueError(f"{what}; got {type(jobs).__name__} {jobs!r:.60}")
    try:
        frame = pd.DataFrame(jobs)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what}; pandas could not read it: {exc}") from None
    for column in ("arrival_h", "gpus", "duration_h"):
        if column not in frame.columns:
            raise ValueError(f"jobs must have a {column!r} column; got {list(frame.columns)}")
    if not 1 <= len(frame) <= MAX_SCHEDULED_JOBS:
        raise ValueError(f"jobs must hold from 1 to {MAX_SCHEDULED_JOBS:,} jobs; got "
                         f"{len(frame):,}")
    if len(frame) * nodes > MAX_SCHEDULE_WORK:
        raise ValueError(f"{len(frame):,} jobs × n_nodes={nodes:,} is more than the "
                         f"{MAX_SCHEDULE_WORK:.0e} job-node pairs a simulation takes (about a "
                         "second); use fewer jobs or fewer nodes")
    arrival_col = _checks.array("jobs.arrival_h", frame["arrival_h"], low=0,
                                max_len=MAX_SCHEDULED_JOBS)
    gpus_col = _checks.array("jobs.gpus", frame["gpus"], low=1, high=_checks.COUNT_LIMIT,
                             whole=True, max_len=MAX_SCHEDULED_JOBS)
    length_col = _checks.array("jobs.duration_h", frame["duration_h"], low=0, low_open=True,
                               max_len=MAX_SCHEDULED_JOBS)
    order = frame.assign(arrival_h=arrival_col, gpus=gpus_col.astype(np.int64),
                         duration_h=length_col).sort_values(
        "arrival_h", kind="stable").reset_index(drop=True)
    return order


# Long (~130 lines): one event loop whose placement closures share the cluster's state.
@declared(jobs=JOBS, n_nodes=count(high=100_000, examples=(2, 8)),
          gpus_per_node=count(high=1024, examples=(8,)), policy=choice(SCHEDULER_POLICIES))
def schedule(jobs, n_nodes: int = 16, gpus_per_node: int = 8,
             policy: str = "backfill") -> Schedule:
    """Simulate a GPU cluster's queue: FIFO, EASY backfill, or pod-by-pod without gang scheduling.

    Jobs (a DataFrame with arrival_h, gpus, duration_h, e.g. :func:`synthetic_jobs`)
    ask for whole nodes (≥ ``gpus_per_node`` GPUs, a multiple of it) or part of one.

    - ``"fifo"``: first come, first served, all-or-nothing (a gang): nothing
      starts ahead of the job at the head of the queue (Slurm with backfill off).
    - ``"backfill"``: FIFO plus EASY backfill (Lifka 1995; Slurm's default
      ``sched/backfill``): a later job may start now if it fits and finishes
      before the head job's reserved start, so it never delays it.
    - ``"no-gang"``: each job's GPUs are taken one pod at a time, in arrival
      order, and held until the job has all of them — the Kubernetes default
      scheduler's behaviour for a multi-pod job; gang schedulers (Volcano,
      Kueue, the coscheduling plugin) exist to prevent the partial holds and
      deadlocks this shows.

    Durations are known to the scheduler (users' time limits taken as exact).
    """
    mode, nodes, per_node = policy, n_nodes, gpus_per_node
    order = _read_jobs(jobs, nodes)
    total = nodes * per_node
    arrival = order["arrival_h"].tolist()
    need = order["gpus"].tolist()
    length = order["duration_h"].tolist()
    for i, g in enumerate(need):
        if g > total or (g > per_node and g % per_node):
            raise ValueError(f"job {i} asks for gpus={g}: it must be at most {total} (n_nodes="
                             f"{nodes} × gpus_per_node={per_node}) and, above one node, a "
                             f"multiple of gpus_per_node")
    n = len(need)
    free = [per_node] * nodes
    start = [math.nan] * n
    finish = [math.nan] * n
    held = [0] * n  # no-gang: GPUs a waiting job already holds
    held_where: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    running: list[tuple[float, int, list[tuple[int, int]]]] = []  # (finish, job, placement)
    queue: list[int] = []
    now, nxt = 0.0, 0
    busy_area = held_area = frag_area = 0.0
    deadlocked = False

    def launch(j: int, where: list[tuple[int, int]]) -> None:
        for i, k in where:
            free[i] -= k
        start[j] = now
        finish[j] = now + length[j]
        heapq.heappush(running, (finish[j], j, where))

    while nxt < n or queue or running:
        # admit arrivals at this time
        while nxt < n and arrival[nxt] <= now:
            queue.append(nxt)
            nxt += 1
        if mode == "no-gang":
            # pods of the waiting jobs arrive interleaved; each takes one free GPU, in turn
            progress = True
            while progress:
                progress = False
                for j in queue:
                    if held[j] < need[j]:
                        i = next((i for i in range(nodes) if free[i]), None)
                        if i is None:
                            break
                        free[i] -= 1
                        held[j] += 1
                        held_where[j].append((i, 1))
                        progress = True
            for j in [j for j in queue if held[j] == need[j]]:
                queue.remove(j)
                for i, k in held_where[j]:
                    free[i] += k  # launch() takes them again
                launch(j, held_where[j])
        else:
            while queue:
                where = _place(free, need[queue[0]], per_node)
                if where is None:
                    break
                launch(queue.pop(0), where)
            if mode == "backfill" and queue:
                # the head's reservation: when enough GPUs will have been released
                head = queue[0]
                trial, shadow = list(free), math.inf
                for t_end, _, where in sorted(running):
                    for i, k in where:
                        trial[i] += k
                    if _place(trial, need[head], per_node) is not None:
                        shadow = t_end
                        break
                for j in list(queue[1:]):
                    if now + length[j] <= shadow:
                        where = _place(free, need[j], per_node)
                        if where is not None:
                            queue.remove(j)
                            launch(j, where)
        # advance to the next event
        events = [running[0][0]] if running else []
        if nxt < n:
            events.append(arrival[nxt])
        if not events:
            deadlocked = bool(queue)
            break
        t_next = min(events)
        in_use = total - sum(free)
        holding = sum(held[j] for j in queue)
        run_gpus = in_use - holding
        idle = sum(free)
        stranded = sum(f for f in free if 0 < f < per_node)
        dt_h = t_next - now
        busy_area += run_gpus * dt_h
        held_area += holding * dt_h
        frag_area += (stranded / idle if idle else 0.0) * dt_h
        now = t_next
        while running and running[0][0] <= now:
            _, _, where = heapq.heappop(running)
            for i, k in where:
                free[i] += k
    done = [j for j in range(n) if not math.isnan(finish[j])]
    first = arrival[0] if n else 0.0
    end = max((finish[j] for j in done), default=first)
    span = max(end - first, 1e-12)
    if deadlocked:
        span = max(now - first, 1e-12)
    # every job's wait; a job that never started waits at least until the soonest the cluster
    # could have done all the work (first arrival + GPU-hours / GPUs), a floor on an unbounded
    # wait: averaging only the jobs that ran would reward a policy for starving the rest
    work_h = sum(g * d for g, d in zip(need, length, strict=True)) / total
    end_h = max(now, end, first + work_h)
    waits = np.array([(end_h if math.isnan(start[j]) else start[j]) - arrival[j]
                      for j in range(n)])
    table = order.assign(start_h=start, finish_h=finish, wait_h=waits)
    return Schedule(
        policy=mode, n_nodes=nodes, gpus_per_node=per_node, n_jobs=n, n_finished=len(done),
        deadlocked=deadlocked, makespan_h=span, utilization=busy_area / (total * span),
        held_idle_share=held_area / (total * span), mean_wait_h=float(waits.mean()),
        p90_wait_h=float(np.percentile(waits, 90)), fragmentation=frag_area / span,
        jobs=table,
    )
