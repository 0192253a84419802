"""One cluster at a glance: power and its bill, failures, network and owned cost together."""

from __future__ import annotations

from dataclasses import dataclass

from .. import catalog
from .._declare import count, declared, optional
from .._results import Result
from ..units import HOURS_PER_DAY
from ._specs import CHIP, NETWORK, PRICE_PER_KWH, PUE
from .collectives import (
    _link_latency_s,
    allreduce_seconds,
    collective_latency_s,
    hierarchical_allreduce_seconds,
    link_efficiency,
)
from .failures import _GPU_MTBF_HOURS, _gpu_mtbf, mtbf_hours
from .ownership import _server_prices, owned_cost
from .power import ClusterPower, cluster_power

_SUMMARY_ALLREDUCE_BYTES = 10e9  # a 10 GB all-reduce: ~5B parameters of BF16 gradients


@dataclass(frozen=True)
class ClusterSummary(Result):
    """A cluster at a glance: power and its bill, failures, network, and owned cost."""

    _derived = ("allreduce_size_gb",)

    chip: str
    n_gpus: int
    gpus_per_node: int
    n_nodes: int
    network: str
    scaleout_gb_s_per_node: float  # one NIC of ``network`` per GPU, one direction
    allreduce_size_bytes: float  # the message all-reduced over the whole cluster (10 GB)
    allreduce_s: float  # its time, hierarchical: inside nodes, across, inside again
    chips_mw: float
    it_mw: float
    facility_mw: float
    annual_mwh: float
    annual_electricity_usd: float
    cluster_mtbf_hours: float
    interruptions_per_day: float
    owned_usd_per_gpu_hour: float | None  # None where no sourced server price exists
    power: ClusterPower

    @property
    def allreduce_size_gb(self) -> float:
        return self.allreduce_size_bytes / 1e9


@declared(chip=CHIP, n_gpus=count(examples=(1024, 8, 16_384, 1)),
          gpus_per_node=count(examples=(8, 4)), network=NETWORK, pue=PUE,
          usd_per_kwh=PRICE_PER_KWH, gpu_mtbf_hours=optional(_GPU_MTBF_HOURS))
def cluster_summary(chip: str | catalog.Accelerator = "H100 SXM", n_gpus: int = 1024,
                    gpus_per_node: int = 8,
                    network: str | catalog.Interconnect = "InfiniBand NDR 4x",
                    pue: float | None = None, usd_per_kwh: float | None = None,
                    gpu_mtbf_hours: float | None = None) -> ClusterSummary:
    """Everything lesson 2 says about one cluster, from the defaults documented above.

    Nodes are ``gpus_per_node`` GPUs joined by the chip's own scale-up link (its
    catalog ``scaleup_bw_gb_s``; NVLink 4 where it has none), one ``network`` NIC
    per GPU across nodes. The owned cost uses :func:`server_price_usd_per_gpu`
    where a sourced price exists and is ``None`` otherwise.
    """
    power = cluster_power.unchecked(n_gpus, chip, gpus_per_node, pue, usd_per_kwh)
    accelerator = catalog.accelerator(chip)
    link = catalog.interconnect(network)
    if link.kind not in ("scale-out",):
        raise ValueError(f"network must be a scale-out interconnect (InfiniBand, Ethernet, "
                         f"EFA); got {link.name!r} of kind {link.kind!r}")
    eff = link_efficiency()
    intra_bw = (accelerator.scaleup_bw_gb_s
                or catalog.interconnect("NVLink 4").bandwidth_gb_s) * eff
    g = power.gpus_per_node
    size = _SUMMARY_ALLREDUCE_BYTES
    alpha = collective_latency_s()
    if power.n_gpus <= g:
        comm = allreduce_seconds.unchecked(size, power.n_gpus, intra_bw, alpha, "ring")
    else:
        comm = hierarchical_allreduce_seconds.unchecked(size, power.n_nodes, g, intra_bw,
                                              link.bandwidth_gb_s * eff, alpha,
                                              _link_latency_s(link))
    cluster_h = mtbf_hours.unchecked(power.n_gpus, _gpu_mtbf(gpu_mtbf_hours))
    owned = None  # only where a sourced server price exists; any other error propagates
    if accelerator.name in _server_prices():
        owned = owned_cost.unchecked(accelerator, None, 4.0, power.pue, power.usd_per_kwh, 0.0,
                                     None, None).usd_per_gpu_hour
    return ClusterSummary(
        chip=power.chip, n_gpus=power.n_gpus, gpus_per_node=g, n_nodes=power.n_nodes,
        network=link.name, scaleout_gb_s_per_node=link.bandwidth_gb_s * g,
        allreduce_size_bytes=size, allreduce_s=comm, chips_mw=power.chips_mw, it_mw=power.it_mw,
        facility_mw=power.facility_mw, annual_mwh=power.annual_mwh,
        annual_electricity_usd=power.annual_electricity_usd, cluster_mtbf_hours=cluster_h,
        interruptions_per_day=HOURS_PER_DAY / cluster_h, owned_usd_per_gpu_hour=owned,
        power=power,
    )
