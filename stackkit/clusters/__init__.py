"""Layer 2 — servers and clusters: collectives, data-parallel scaling, power, failures, ownership.

Pure functions: numbers in, numbers or small frozen dataclasses out. Lesson 2
(``notebooks/02_clusters.ipynb``) introduces every function here. One idea per file:

- :mod:`.collectives` — the alpha-beta model of all-reduce, reduce-scatter, all-gather and
  all-to-all (Hockney 1994; Thakur, Rabenseifner & Gropp 2005), link efficiency and
  latency, bus bandwidth, the bandwidth hierarchy;
- :mod:`.scaling` — a data-parallel step: compute against the gradient all-reduce;
- :mod:`.power` — chips, IT and facility power, a year's energy and bill;
- :mod:`.failures` — MTBF at scale and checkpointing, in hours (the model, in seconds, is
  :mod:`stackkit.reliability`);
- :mod:`.ownership` — the cost of an owned GPU-hour;
- :mod:`.summary` — one cluster at a glance.
"""

from __future__ import annotations

from ..reliability import goodput, young_daly_interval_s
from .collectives import (
    COLLECTIVES,
    CollectiveTime,
    algorithm_bandwidth_gb_s,
    all_gather_seconds,
    all_to_all_seconds,
    allreduce_seconds,
    allreduce_sweep,
    bandwidth_hierarchy,
    bus_bandwidth_factor,
    bus_bandwidth_gb_s,
    collective,
    collective_latency_s,
    collective_seconds,
    hierarchical_allreduce_seconds,
    link_efficiency,
    link_latency_s,
    reduce_scatter_seconds,
)
from .failures import (
    FailureRecord,
    Reliability,
    cluster_reliability,
    expected_interruptions,
    llama3_failure_record,
    llama3_gpu_mtbf_hours,
    mtbf_hours,
)
from .ownership import (
    OwnedCost,
    _server_prices,  # read by stack's cost ranges
    colocation_usd_per_kw_month,
    network_cost_fraction,
    owned_cost,
    server_price_usd_per_gpu,
)
from .power import (
    ClusterPower,
    annual_energy_mwh,
    cluster_power,
    default_pue,
    default_usd_per_kwh,
    facility_power_mw,
    gpu_power_mw,
    host_overhead_w_per_gpu,
    it_power_mw,
    rack_power_kw,
)
from .scaling import (
    ADAM_BYTES_PER_PARAM,
    DataParallelStep,
    data_parallel_step,
    oversubscribed_gb_s,
    scaling_sweep,
)
from .summary import ClusterSummary, cluster_summary

__all__ = [
    "ADAM_BYTES_PER_PARAM",
    "COLLECTIVES",
    "ClusterPower",
    "ClusterSummary",
    "CollectiveTime",
    "DataParallelStep",
    "OwnedCost",
    "Reliability",
    "algorithm_bandwidth_gb_s",
    "all_gather_seconds",
    "all_to_all_seconds",
    "allreduce_seconds",
    "allreduce_sweep",
    "annual_energy_mwh",
    "bandwidth_hierarchy",
    "bus_bandwidth_factor",
    "bus_bandwidth_gb_s",
    "cluster_power",
    "cluster_reliability",
    "cluster_summary",
    "collective",
    "collective_latency_s",
    "collective_seconds",
    "colocation_usd_per_kw_month",
    "data_parallel_step",
    "expected_interruptions",
    "facility_power_mw",
    "goodput",
    "gpu_power_mw",
    "hierarchical_allreduce_seconds",
    "host_overhead_w_per_gpu",
    "it_power_mw",
    "link_efficiency",
    "link_latency_s",
    "llama3_gpu_mtbf_hours",
    "mtbf_hours",
    "network_cost_fraction",
    "oversubscribed_gb_s",
    "owned_cost",
    "rack_power_kw",
    "reduce_scatter_seconds",
    "scaling_sweep",
    "server_price_usd_per_gpu",
    "young_daly_interval_s",
]
