"""Failures at scale, in the hours a cluster operator counts in.

The failure and checkpoint models live in :mod:`stackkit.reliability`, in seconds;
these are lesson 2's names for them. ``young_daly_interval_s`` and ``goodput`` are
reliability's own functions.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import _checks, catalog, reliability
from .._declare import count, declared, non_negative, optional, positive
from .._results import Result
from ..reliability import goodput, young_daly_interval_s
from ..units import HOURS_PER_DAY, SECONDS_PER_HOUR

# Hours that still fit the kit's ceiling once converted to seconds (reliability is in s).
_HOURS_LIMIT = _checks.LIMIT / SECONDS_PER_HOUR
_GPU_MTBF_HOURS = positive(high=_HOURS_LIMIT, examples=(50_000.0, 1.0, 1e6))


@dataclass(frozen=True)
class FailureRecord(Result):
    """A published count of job-stopping failures on one training cluster."""

    _derived = ("hours_between_failures", "gpu_mtbf_hours")

    name: str
    n_gpus: int
    days: float  # length of the observed period
    failures: int  # unexpected, job-stopping interruptions in it
    source: str

    @property
    def hours_between_failures(self) -> float:
        """Observed cluster MTBF: the period's hours over its failures."""
        return self.days * HOURS_PER_DAY / self.failures

    @property
    def gpu_mtbf_hours(self) -> float:
        """Per-GPU MTBF, treating the GPUs as failing independently: n · cluster MTBF."""
        return self.n_gpus * self.hours_between_failures


@declared()
def llama3_failure_record() -> FailureRecord:
    """Llama 3 405B pre-training: 419 unexpected interruptions in a 54-day snapshot on
    16,384 H100s, one every ≈ 3.1 h (arXiv 2407.21783, section 3.3.4, Table 5)."""
    return FailureRecord(
        name="Llama 3 405B pre-training",
        n_gpus=int(catalog.assumption("llama3_gpus").value),
        days=catalog.assumption("llama3_snapshot_days").value,
        failures=int(catalog.assumption("llama3_interruptions_unexpected").value),
        source=catalog.assumption("llama3_interruptions_unexpected").source,
    )


@declared()
def llama3_gpu_mtbf_hours() -> float:
    """Per-GPU mean time between job-stopping failures from the Llama 3 record: ≈ 50,700 h.

    16,384 · 54 · 24 h / 419 (arXiv 2407.21783, section 3.3.4, Table 5); see
    :func:`stackkit.reliability.llama3_gpu_mtbf_s`.
    """
    return reliability.llama3_gpu_mtbf_s() / SECONDS_PER_HOUR


def _gpu_mtbf(gpu_mtbf_hours: float | None) -> float:
    """``gpu_mtbf_hours`` (checked by the caller's declaration), or Llama 3's."""
    return llama3_gpu_mtbf_hours() if gpu_mtbf_hours is None else gpu_mtbf_hours


@declared(n_gpus=count(), gpu_mtbf_hours=_GPU_MTBF_HOURS)
def mtbf_hours(n_gpus: int, gpu_mtbf_hours: float) -> float:
    """Cluster MTBF when any one of ``n_gpus`` independent GPUs stops the job: M_gpu / n.

    Hours in and out of :func:`stackkit.reliability.mtbf_s`, which holds the formula
    (Schroeder & Gibson 2007); this only checks the hour-named arguments and converts.
    """
    return reliability.mtbf_s.unchecked(n_gpus, gpu_mtbf_hours * SECONDS_PER_HOUR) \
        / SECONDS_PER_HOUR


@declared(n_gpus=count(), run_hours=non_negative(high=_HOURS_LIMIT),
          gpu_mtbf_hours=optional(_GPU_MTBF_HOURS))
def expected_interruptions(n_gpus: int, run_hours: float,
                           gpu_mtbf_hours: float | None = None) -> float:
    """Expected failures during a run: run time / cluster MTBF = hours · n / M_gpu.

    ``gpu_mtbf_hours`` defaults to :func:`llama3_gpu_mtbf_hours`; the model is
    :func:`stackkit.reliability.expected_interruptions`.
    """
    return reliability.expected_interruptions.unchecked(
        n_gpus, run_hours * SECONDS_PER_HOUR, _gpu_mtbf(gpu_mtbf_hours) * SECONDS_PER_HOUR)


@dataclass(frozen=True)
class Reliability(Result):
    """Failures and checkpointing for a run on ``n_gpus`` GPUs."""

    n_gpus: int
    gpu_mtbf_hours: float
    cluster_mtbf_hours: float
    run_days: float
    expected_interruptions: float
    checkpoint_s: float
    restart_s: float
    interval_s: float  # the checkpoint interval used (Young–Daly unless given)
    goodput: float  # useful fraction of wall-clock time


@declared(n_gpus=count(examples=(16_384, 1024, 1)),
          run_days=positive(high=_HOURS_LIMIT / HOURS_PER_DAY, examples=(54.0, 1.0)),
          checkpoint_s=positive(examples=(60.0, 600.0)), restart_s=non_negative(),
          gpu_mtbf_hours=optional(_GPU_MTBF_HOURS), interval_s=optional(positive()))
def cluster_reliability(n_gpus: int, run_days: float, checkpoint_s: float, restart_s: float,
                        gpu_mtbf_hours: float | None = None,
                        interval_s: float | None = None) -> Reliability:
    """MTBF, expected interruptions, Young–Daly interval and goodput for one run.

    ``gpu_mtbf_hours`` defaults to the Llama 3 record (:func:`llama3_gpu_mtbf_hours`).
    """
    n, days = n_gpus, run_days
    gpu_mtbf = _gpu_mtbf(gpu_mtbf_hours)
    cluster_h = mtbf_hours.unchecked(n, gpu_mtbf)
    mtbf_s = cluster_h * SECONDS_PER_HOUR
    tau = young_daly_interval_s.unchecked(checkpoint_s, mtbf_s) if interval_s is None \
        else interval_s
    return Reliability(
        n_gpus=n, gpu_mtbf_hours=gpu_mtbf, cluster_mtbf_hours=cluster_h, run_days=days,
        expected_interruptions=expected_interruptions.unchecked(n, days * HOURS_PER_DAY,
                                                                gpu_mtbf),
        checkpoint_s=checkpoint_s, restart_s=restart_s, interval_s=tau,
        goodput=goodput.unchecked(checkpoint_s, restart_s, mtbf_s, tau),
    )
