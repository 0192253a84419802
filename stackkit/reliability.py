"""Failures and checkpoints, in one place and one unit: seconds.

Shared below the layers: clusters (lesson 2) asks how often a big cluster
fails and how often to checkpoint; cloud (lesson 3) prices a job on spot
capacity that is interrupted at random; training and the capstone stand on
:class:`CheckpointedJob`. Every time here is in seconds (``_s``) and every rate
per second (``_per_s``); the lessons convert to hours or days at their edge.

Sources: Young 1974, "A first order approximation to the optimum checkpoint
interval", CACM 17(9); Daly 2006, "A higher order estimate of the optimum
checkpoint interval for restart dumps", FGCS 22(3):303–312; Schroeder & Gibson
2007 (independent failures: n components fail n times as often); Dubey et al.
2024, "The Llama 3 herd of models", arXiv 2407.21783, section 3.3.4, Table 5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _checks, catalog
from ._declare import count, custom, declared, non_negative, optional, positive
from ._results import Result
from .units import HOURS_PER_DAY, SECONDS_PER_HOUR

__all__ = [
    "CheckpointedJob",
    "NeverFinishes",
    "best_interval_s",
    "expected_interruptions",
    "expected_runtime_s",
    "goodput",
    "llama3_gpu_mtbf_s",
    "mtbf_s",
    "simulate_runtime_s",
    "young_daly_interval_s",
]

# exp() overflows a float above ~709; a job whose segment needs e^700 attempts never ends.
MAX_EXPONENT = 700.0
# Monte Carlo draws one number per interruption; beyond this the job is hopeless anyway.
MAX_DRAWS = 5_000_000
# Monte Carlo runs per job: 1e6 gives P90 to about 0.1 %; more only costs memory and time.
MAX_TRIALS = 1_000_000
# Shortest work and interval a job takes (1 ns): below it float rounding, not the model,
# would decide the answer; and at most this many checkpoint intervals in one job.
MIN_TIME_S = 1e-9
MAX_SEGMENTS = 1e12




class NeverFinishes(ValueError):
    """Interruptions come so often that the job (practically) never finishes.

    A ``ValueError`` like any bad input, but its own type, so a planner that tries
    several cluster sizes can skip the hopeless ones without hiding a bad parameter.
    """


# --------------------------------------------------------------------------- failures at scale

@declared()
def llama3_gpu_mtbf_s() -> float:
    """Per-GPU mean time between job-stopping failures from the Llama 3 record: ≈ 50,700 h.

    Meta counted 419 unexpected interruptions in a 54-day snapshot of Llama 3
    405B pre-training on 16,384 H100s (arXiv 2407.21783, section 3.3.4, Table 5).
    Treating each GPU (with its share of host, network and software) as failing
    independently: MTBF per GPU = 16,384 · 54 · 24 h / 419 ≈ 50,677 h (5.8 years).
    """
    gpus = catalog.assumption("llama3_gpus").value
    days = catalog.assumption("llama3_snapshot_days").value
    failures = catalog.assumption("llama3_interruptions_unexpected").value
    return gpus * days * HOURS_PER_DAY / failures * SECONDS_PER_HOUR


@declared(n_gpus=count(), gpu_mtbf_s=positive(examples=(1.8e8, 3600.0, 1.0)))
def mtbf_s(n_gpus: int, gpu_mtbf_s: float) -> float:
    """Mean time between failures of a job on ``n_gpus`` chips, any of which stops it: M / n.

    With independent exponential failures the first of n arrives at n times the
    rate (Schroeder & Gibson 2007, "Understanding failures in petascale computers").
    The kit's one MTBF formula: :func:`stackkit.clusters.mtbf_hours` is it in hours.
    """
    return gpu_mtbf_s / n_gpus  # no underflow: M >= 1e-30 (TINY), n <= 1e15 (COUNT_LIMIT)


@declared(n_gpus=count(), run_s=non_negative(), gpu_mtbf_s=positive(examples=(1.8e8, 3600.0)))
def expected_interruptions(n_gpus: int, run_s: float, gpu_mtbf_s: float) -> float:
    """Expected failures during a run: run time / cluster MTBF = t · n / M_chip.

    Finite for every accepted input: at most 1e30 s over an MTBF of at least 1e-45 s.
    """
    return run_s / mtbf_s.unchecked(n_gpus, gpu_mtbf_s)


# --------------------------------------------------------------------------- first order

@declared(checkpoint_s=positive(), mtbf_s=positive())
def young_daly_interval_s(checkpoint_s: float, mtbf_s: float) -> float:
    """Checkpoint interval that wastes the least time: τ = sqrt(2 δ M).

    Young 1974, CACM 17(9); Daly 2006, FGCS 22(3), eq. 11 at first order. δ is
    the time to write one checkpoint, M the job's MTBF, both in seconds.
    """
    return math.sqrt(2 * checkpoint_s * mtbf_s)  # > 0: both are at least 1e-30 (TINY)


@declared(checkpoint_s=positive(), restart_s=non_negative(), mtbf_s=positive(),
          interval_s=optional(positive()))
def goodput(checkpoint_s: float, restart_s: float, mtbf_s: float,
            interval_s: float | None = None) -> float:
    """Fraction of wall-clock time spent on useful work, to first order (Young 1974).

    1 − δ/τ − (τ/2 + R)/M: writing a checkpoint every τ costs δ/τ; each failure
    (every M seconds) loses on average half an interval of work plus the
    restart time R. τ defaults to :func:`young_daly_interval_s`, which minimises
    the loss. Clipped at 0 when failures come faster than the job can recover.
    """
    tau = young_daly_interval_s.unchecked(checkpoint_s, mtbf_s) if interval_s is None \
        else interval_s
    return max(0.0, 1 - checkpoint_s / tau - (tau / 2 + restart_s) / mtbf_s)


# --------------------------------------------------------------------------- Daly's full model

@dataclass(frozen=True)
class CheckpointedJob(Result):
    """A job that checkpoints as it goes, under random interruptions: the five numbers.

    Parameters
    ----------
    work_s : computing the job needs without interruptions (W).
    interruptions_per_s : rate λ of interruptions of the whole job (1 / its MTBF); 0 = none.
    interval_s : work between checkpoints (τ).
    checkpoint_s : time to write one checkpoint (δ).
    restart_s : time to get going again from the last checkpoint (R).

    Validated when built; :meth:`from_hours` takes the same numbers in hours.
    """

    _derived = ("expected_runtime_s", "overhead_fraction")

    work_s: float
    interruptions_per_s: float
    interval_s: float
    checkpoint_s: float
    restart_s: float

    def __post_init__(self) -> None:
        checked = {
            "work_s": _checks.positive("work_s", self.work_s),
            "interruptions_per_s": _checks.non_negative("interruptions_per_s",
                                                        self.interruptions_per_s),
            "interval_s": _checks.positive("interval_s", self.interval_s),
            "checkpoint_s": _checks.non_negative("checkpoint_s", self.checkpoint_s),
            "restart_s": _checks.non_negative("restart_s", self.restart_s),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)
        for name in ("work_s", "interval_s"):
            if checked[name] < MIN_TIME_S:
                raise ValueError(f"{name} must be at least {MIN_TIME_S:g} s; "
                                 f"got {checked[name]!r}")
        if self.work_s / self.interval_s > MAX_SEGMENTS:
            raise ValueError(f"interval_s={self.interval_s!r} cuts work_s={self.work_s!r} into "
                             f"more than {MAX_SEGMENTS:.0e} segments; checkpoint less often")
        exponent = self.interruptions_per_s * (self.restart_s + min(self.interval_s, self.work_s)
                                               + self.checkpoint_s)
        if exponent > MAX_EXPONENT:
            raise NeverFinishes(
                f"interruptions_per_s={self.interruptions_per_s!r} is far too high for segments "
                f"of {min(self.interval_s, self.work_s):g} s of work (interval_s, work_s) plus "
                f"a {self.checkpoint_s:g} s checkpoint (checkpoint_s) and a {self.restart_s:g} s "
                f"restart (restart_s): each segment would need about e^{exponent:.0f} tries, so "
                "the job never finishes; checkpoint more often or faster, or choose a lower rate")

    @classmethod
    def from_hours(cls, work_hours: float, interruptions_per_hour: float,
                   interval_hours: float, checkpoint_hours: float,
                   restart_hours: float) -> CheckpointedJob:
        """The same job from figures in hours (rate per hour)."""
        h = SECONDS_PER_HOUR
        return cls(_checks.positive("work_hours", work_hours) * h,
                   _checks.non_negative("interruptions_per_hour", interruptions_per_hour) / h,
                   _checks.positive("interval_hours", interval_hours) * h,
                   _checks.non_negative("checkpoint_hours", checkpoint_hours) * h,
                   _checks.non_negative("restart_hours", restart_hours) * h)

    @property
    def mtbf_s(self) -> float | None:
        """1 / λ; None when there are no interruptions."""
        return 1 / self.interruptions_per_s if self.interruptions_per_s > 0 else None

    def segments(self) -> tuple[int, float]:
        """(number of full intervals, work in the last partial one; 0 if none).

        After at least one full interval, a last piece shorter than a billionth of an
        interval is rounding error, not a segment; a job shorter than one interval is all
        "last piece", however short (it never vanishes).
        """
        ratio = self.work_s / self.interval_s
        n_full = math.floor(ratio + 1e-9)
        if n_full == 0:
            return 0, self.work_s
        rest = self.work_s - n_full * self.interval_s
        if rest <= 1e-9 * self.interval_s:
            rest = 0.0
        return n_full, rest

    @property
    def expected_runtime_s(self) -> float:
        """Expected wall-clock seconds (Daly 2006); see :func:`expected_runtime_s`."""
        n_full, rest = self.segments()
        delta, rate, restart = self.checkpoint_s, self.interruptions_per_s, self.restart_s
        total = n_full * _segment_s(self.interval_s + delta, rate, restart) if n_full else 0.0
        if rest > 0:
            total += _segment_s(rest + delta, rate, restart)
        if not math.isfinite(total):
            raise NeverFinishes("the expected run time overflows: the job practically never "
                             "finishes; lower the interruption rate or checkpoint more often")
        return total

    @property
    def overhead_fraction(self) -> float:
        """Expected wall time beyond the work itself, as a fraction of the work."""
        return self.expected_runtime_s / self.work_s - 1

    @property
    def goodput(self) -> float:
        """Work over expected wall time, in (0, 1]."""
        return self.work_s / self.expected_runtime_s


def _segment_s(length_s: float, rate: float, restart_s: float) -> float:
    """Expected wall time to get ``length_s`` done without an interruption.

    E = e^{λR} (e^{λL} − 1) / λ  (Daly 2006, per segment; → L as λ → 0).
    """
    x = rate * length_s
    growth = math.expm1(x) / x if x > 0 else 1.0  # (e^x − 1)/x → 1; safe when λL underflows
    return math.exp(rate * restart_s) * length_s * growth


@declared(work_s=positive(), interruptions_per_s=non_negative(), interval_s=positive(),
          checkpoint_s=non_negative(), restart_s=non_negative())
def expected_runtime_s(work_s: float, interruptions_per_s: float, interval_s: float,
                       checkpoint_s: float, restart_s: float) -> float:
    """Expected wall-clock seconds of a job that checkpoints every ``interval_s`` of work.

    Interruptions arrive as a Poisson process (rate λ). The job runs in segments
    of τ seconds of work followed by a checkpoint of δ; an interruption loses the
    segment in progress, and the job restarts (R, which can itself be interrupted)
    from the last checkpoint. Daly (2006), FGCS 22(3):303–312, section 3 (the
    complete cost model; eq. 9 as secondary sources number it):

        T_w = M · e^{R/M} · (e^{(τ+δ)/M} − 1) · W / τ,     M = 1/λ.

    M·e^{R/M}·(e^{(τ+δ)/M} − 1) is the exact expected time to finish one segment
    of τ + δ, and W/τ counts segments. Here W/τ need not be whole: the job runs
    ⌊W/τ⌋ full segments and one last segment of the remaining work r, also
    followed by a checkpoint (the final save), so

        E[T] = ⌊W/τ⌋ · M e^{R/M}(e^{(τ+δ)/M} − 1) + M e^{R/M}(e^{(r+δ)/M} − 1),

    which equals Daly's T_w when τ divides W. With λ = 0 it is W + ⌈W/τ⌉·δ.
    """
    return CheckpointedJob(work_s, interruptions_per_s, interval_s, checkpoint_s,
                           restart_s).expected_runtime_s


@declared(interruptions_per_s=positive(examples=(1e-5, 1 / 3600, 0.25)), checkpoint_s=positive())
def best_interval_s(interruptions_per_s: float, checkpoint_s: float) -> float:
    """The checkpoint interval τ that minimises Daly's expected wall time (for long jobs).

    Minimises (e^{λ(τ+δ)} − 1)/τ exactly: the optimum solves (1 − λτ)·e^{λτ} = e^{−λδ}
    (see :func:`_optimal_exponent`), found by bisection to float precision. The restart
    time R multiplies T_w by e^{λR} for every τ alike, so it does not change the
    optimum. Young's first-order answer is √(2δ/λ); Daly (2006) publishes
    τ_opt = 117 min for M = 24 h, δ = 5 min (his Fig. 3).
    """
    rate, delta = interruptions_per_s, checkpoint_s
    a = rate * delta
    if a > MAX_EXPONENT:
        raise ValueError(
            f"interruptions_per_s={interruptions_per_s!r} × checkpoint_s={checkpoint_s!r} = "
            f"{a:.3g}: a checkpoint alone would need about e^{a:.0f} tries, so no interval "
            "lets the job finish; checkpoint faster or choose a lower rate")
    return _checks.finite("best checkpoint interval", _optimal_exponent(a) / rate,
                          {"interruptions_per_s": interruptions_per_s,
                           "checkpoint_s": checkpoint_s})


def _optimal_exponent(a: float) -> float:
    """x = λτ that minimises (e^{x+a} − 1)/x, for a = λδ > 0.

    Setting the derivative to zero gives (1 − x)·e^{x} = e^{−a}, one root in (0, 1)
    (x = 1 + W₀(−e^{−1−a}) with Lambert's W). For tiny a the series x ≈ s − s²/3,
    s = √(2a), is Young's √(2δ/λ) with its first correction; otherwise bisect on
    v = ln(1 − x), where the equation reads v − expm1(v) + a = 0 (increasing in v).
    """
    if a < 1e-8:
        s = math.sqrt(2 * a)
        return s - s * s / 3
    low, high = -(a + 2.0), 0.0  # k(low) < 0 < k(high) = a
    for _ in range(200):
        mid = (low + high) / 2
        if mid - math.expm1(mid) + a > 0:
            high = mid
        else:
            low = mid
        if high - low <= 1e-15 * max(1.0, abs(low)):
            break
    return -math.expm1((low + high) / 2)


# --------------------------------------------------------------------------- Monte Carlo

def _simulate_segments(rng: np.random.Generator, trials: int, n_segments: int,
                       length_s: float, rate: float, restart_s: float
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Wall time and interruptions per trial for ``n_segments`` segments of ``length_s``.

    Per segment the first try needs L without an interruption, each retry R + L.
    Across a trial's segments the number of failed first tries is Binomial(n, p₁) with
    p₁ = 1 − e^{−λL}; the further failures before those segments succeed are negative
    binomial with success probability e^{−λ(R+L)}. Each failed try loses an exponential
    time truncated to the try's length (inverse-CDF draw); all draws of all trials are
    made at once and summed per trial with ``bincount``.
    """
    times = np.full(trials, n_segments * length_s)
    failures = np.zeros(trials, dtype=np.int64)
    if n_segments == 0 or rate == 0.0:
        return times, failures
    retry = restart_s + length_s
    p_first = -math.expm1(-rate * length_s)
    p_retry_ok = math.exp(-rate * retry)
    expected_draws = trials * n_segments * p_first / p_retry_ok
    if expected_draws > MAX_DRAWS:
        raise NeverFinishes(
            f"interruptions are so frequent (about {expected_draws / trials:,.0f} per run) "
            "that simulating them is pointless: the job barely progresses; lower the "
            "interruption rate, or shorten what an interruption loses (the interval, "
            "checkpoint and restart times)")
    first = rng.binomial(n_segments, p_first, size=trials)
    more = np.zeros(trials, dtype=np.int64)
    failed = first > 0
    if failed.any():
        more[failed] = rng.negative_binomial(first[failed], p_retry_ok)
    times += first * restart_s  # a failed segment's successful try starts with a restart
    for counts, span in ((first, length_s), (more, retry)):
        total = int(counts.sum())
        if total == 0:
            continue
        p_within = -math.expm1(-rate * span)
        lost = -np.log1p(-rng.random(total) * p_within) / rate  # Exp(λ) truncated to [0, span)
        owner = np.repeat(np.arange(trials), counts)
        times += np.bincount(owner, weights=lost, minlength=trials)
    failures += first + more
    return times, failures


def _job(name: str, value: object) -> CheckpointedJob:
    if not isinstance(value, CheckpointedJob):
        raise ValueError(f"{name} must be a CheckpointedJob; got {type(value).__name__}")
    return value


def _seed_or_generator(name: str, value: object) -> int | np.random.Generator:
    return value if isinstance(value, np.random.Generator) else _checks.seed(name, value)


@declared(job=custom(_job, examples=lambda: [CheckpointedJob(3600.0, 1e-4, 600.0, 30.0, 60.0)],
                     bad=(None, 3, "a job"), kind="CheckpointedJob"),
          trials=count(high=MAX_TRIALS, examples=(2, 1000)),
          seed=custom(_seed_or_generator, examples=(0, 1), bad=(-1, 0.5, None, "1"),
                      kind="seed or numpy Generator"))
def simulate_runtime_s(job: CheckpointedJob, trials: int = 10_000,
                       seed: int | np.random.Generator = 0) -> tuple[np.ndarray, np.ndarray]:
    """Monte Carlo of ``job``: (wall seconds per trial, interruptions per trial).

    The same process as :func:`expected_runtime_s`, simulated with a seeded,
    vectorised draw; the mean agrees with the closed form within its standard error.
    """
    n_trials = trials
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n_full, rest = job.segments()
    delta, rate, restart = job.checkpoint_s, job.interruptions_per_s, job.restart_s
    times, failures = _simulate_segments(rng, n_trials, n_full, job.interval_s + delta, rate,
                                         restart)
    if rest > 0:
        last_times, last_failures = _simulate_segments(rng, n_trials, 1, rest + delta, rate,
                                                       restart)
        times, failures = times + last_times, failures + last_failures
    return times, failures
