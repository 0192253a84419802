"""Layer 2 — servers and clusters: collectives, data-parallel scaling, power, failures, ownership.

Pure functions: numbers in, numbers or small frozen dataclasses out. Lesson 2
(``notebooks/02_clusters.ipynb``) introduces every function here.

Collective times use the alpha-beta model (Hockney 1994; Thakur, Rabenseifner
& Gropp 2005): a message of ``S`` bytes over a link of bandwidth ``bw`` takes
``alpha + S / bw``. The ``*_seconds`` functions are the ideal model; a
measured link reaches only a fraction of its datasheet bandwidth, applied
explicitly with :func:`link_efficiency` (see :func:`collective`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Real

import pandas as pd

from . import _checks, catalog, chips, reliability
from ._results import Result
from .reliability import goodput, young_daly_interval_s
from .units import HOURS_PER_DAY, HOURS_PER_YEAR, SECONDS_PER_HOUR

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

_DGX_H100_GPUS = 8
_DGX_A100_GPUS = 8
COLLECTIVES = ("allreduce", "reduce_scatter", "all_gather", "all_to_all")
_ALGORITHMS = ("ring", "tree")
_PUE_MAX = 3.0  # no surveyed data centre is worse; a typo guard, not physics
_SUMMARY_ALLREDUCE_BYTES = 10e9  # a 10 GB all-reduce: ~5B parameters of BF16 gradients
_MIN_EFFICIENCY = 1e-6  # a link reaching under a millionth of its bandwidth is broken
# Hours that still fit the kit's ceiling once converted to seconds (reliability is in s).
_HOURS_LIMIT = _checks.LIMIT / SECONDS_PER_HOUR
_MAX_PER_RACK = 10_000  # nodes in a rack, GPUs in a node: a typo guard (NVL72 racks hold 72)


# --------------------------------------------------------------------------- collectives

def _link_bytes_per_s(bandwidth_gb_s: float) -> float:
    return bandwidth_gb_s * 1e9


def allreduce_seconds(size_bytes: float, n_ranks: int, bandwidth_gb_s: float,
                      latency_s: float = 0.0, algorithm: str = "ring") -> float:
    """Ideal time of an all-reduce of ``size_bytes`` over ``n_ranks`` ranks (alpha-beta model).

    ring: 2(n−1)/n · S / bw + 2(n−1) · α
        reduce-scatter then all-gather around a ring, each n−1 steps moving S/n
        bytes (Patarasuk & Yuan 2009, "Bandwidth optimal all-reduce algorithms",
        JPDC 69(2); Thakur, Rabenseifner & Gropp 2005, IJHPCA 19(1), section 4).
    tree: 2 · S / bw + 2 · ⌈log2 n⌉ · α
        pipelined reduce then broadcast over NCCL's double binary tree (Sanders,
        Speck & Träff 2009, Parallel Computing 35(12); NCCL 2.4): the same
        bandwidth term as a large ring, but latency grows with log n, not n.

    Parameters
    ----------
    size_bytes : the buffer every rank holds and reduces (bytes).
    n_ranks : number of GPUs taking part; one rank takes no time.
    bandwidth_gb_s : each rank's link bandwidth, GB/s, one direction.
    latency_s : α, the fixed cost of one step (seconds).
    algorithm : "ring" or "tree".
    """
    size = _checks.non_negative("size_bytes", size_bytes)
    n = _checks.positive_int("n_ranks", n_ranks)
    bw = _link_bytes_per_s(_checks.positive("bandwidth_gb_s", bandwidth_gb_s))
    alpha = _checks.non_negative("latency_s", latency_s)
    algo = _checks.one_of("algorithm", algorithm, _ALGORITHMS)
    if n == 1:
        return 0.0
    if algo == "ring":
        return 2 * (n - 1) / n * size / bw + 2 * (n - 1) * alpha
    return 2 * size / bw + 2 * math.ceil(math.log2(n)) * alpha


def _one_pass_seconds(size_bytes: float, n_ranks: int, bandwidth_gb_s: float,
                      latency_s: float) -> float:
    """(n−1)/n · S / bw + (n−1) · α: one trip round a ring, or a pairwise exchange."""
    size = _checks.non_negative("size_bytes", size_bytes)
    n = _checks.positive_int("n_ranks", n_ranks)
    bw = _link_bytes_per_s(_checks.positive("bandwidth_gb_s", bandwidth_gb_s))
    alpha = _checks.non_negative("latency_s", latency_s)
    return (n - 1) / n * size / bw + (n - 1) * alpha


def reduce_scatter_seconds(size_bytes: float, n_ranks: int, bandwidth_gb_s: float,
                           latency_s: float = 0.0) -> float:
    """Ring reduce-scatter of an ``size_bytes`` buffer: (n−1)/n · S / bw + (n−1) · α.

    Each rank ends with the reduced 1/n of the buffer (Thakur et al. 2005, section 4).
    """
    return _one_pass_seconds(size_bytes, n_ranks, bandwidth_gb_s, latency_s)


def all_gather_seconds(size_bytes: float, n_ranks: int, bandwidth_gb_s: float,
                       latency_s: float = 0.0) -> float:
    """Ring all-gather that assembles an ``size_bytes`` buffer: (n−1)/n · S / bw + (n−1) · α.

    ``size_bytes`` is the gathered (output) size, as nccl-tests count it.
    """
    return _one_pass_seconds(size_bytes, n_ranks, bandwidth_gb_s, latency_s)


def all_to_all_seconds(size_bytes: float, n_ranks: int, bandwidth_gb_s: float,
                       latency_s: float = 0.0) -> float:
    """All-to-all of ``size_bytes`` per rank: (n−1)/n · S / bw + (n−1) · α.

    Each rank keeps 1/n and sends (n−1)/n of its buffer, one piece per peer
    (pairwise exchange, Thakur et al. 2005, section 5), assuming a switch with
    full bisection bandwidth so every rank sends at ``bandwidth_gb_s`` at once.
    """
    return _one_pass_seconds(size_bytes, n_ranks, bandwidth_gb_s, latency_s)


def collective_seconds(collective_name: str, size_bytes: float, n_ranks: int,
                       bandwidth_gb_s: float, latency_s: float = 0.0,
                       algorithm: str = "ring") -> float:
    """Ideal time of one of :data:`COLLECTIVES` (``algorithm`` applies to all-reduce only)."""
    name = _checks.one_of("collective_name", collective_name, COLLECTIVES)
    if name == "allreduce":
        return allreduce_seconds(size_bytes, n_ranks, bandwidth_gb_s, latency_s, algorithm)
    return {"reduce_scatter": reduce_scatter_seconds, "all_gather": all_gather_seconds,
            "all_to_all": all_to_all_seconds}[name](size_bytes, n_ranks, bandwidth_gb_s,
                                                    latency_s)


def hierarchical_allreduce_seconds(size_bytes: float, n_nodes: int, gpus_per_node: int,
                                   intra_bandwidth_gb_s: float, inter_bandwidth_gb_s: float,
                                   intra_latency_s: float = 0.0,
                                   inter_latency_s: float = 0.0) -> float:
    """All-reduce inside each node, then across nodes, then inside again.

    reduce-scatter over the node's g GPUs (fast link) → each GPU all-reduces its
    S/g shard with its peers on the other N−1 nodes (g rings in parallel, one
    NIC per GPU) → all-gather inside the node. The network carries S/g per GPU
    instead of S (the "2D" / hierarchical all-reduce of Jia et al. 2018,
    arXiv 1807.11205, section 3.3; NCCL's inter-node rings do the same).

    Parameters
    ----------
    intra_bandwidth_gb_s : scale-up link per GPU (e.g. NVLink), one direction.
    inter_bandwidth_gb_s : scale-out bandwidth per GPU (its NIC), one direction.
    """
    n_nodes = _checks.positive_int("n_nodes", n_nodes)
    g = _checks.positive_int("gpus_per_node", gpus_per_node)
    size = _checks.non_negative("size_bytes", size_bytes)
    intra_bandwidth_gb_s = _checks.positive("intra_bandwidth_gb_s", intra_bandwidth_gb_s)
    inter_bandwidth_gb_s = _checks.positive("inter_bandwidth_gb_s", inter_bandwidth_gb_s)
    intra_latency_s = _checks.non_negative("intra_latency_s", intra_latency_s)
    inter_latency_s = _checks.non_negative("inter_latency_s", inter_latency_s)
    _checks.finite("hierarchical all-reduce time",  # before the parts blame their own names
                   size / (min(intra_bandwidth_gb_s, inter_bandwidth_gb_s) * 1e9),
                   {"size_bytes": size_bytes, "intra_bandwidth_gb_s": intra_bandwidth_gb_s,
                    "inter_bandwidth_gb_s": inter_bandwidth_gb_s})
    inside = (reduce_scatter_seconds(size, g, intra_bandwidth_gb_s, intra_latency_s)
              + all_gather_seconds(size, g, intra_bandwidth_gb_s, intra_latency_s))
    across = allreduce_seconds(size / g, n_nodes, inter_bandwidth_gb_s, inter_latency_s)
    return inside + across


def bus_bandwidth_factor(n_ranks: int, collective_name: str = "allreduce") -> float:
    """busbw / algbw as nccl-tests define it: 2(n−1)/n for all-reduce, (n−1)/n otherwise.

    Source: NVIDIA nccl-tests, doc/PERFORMANCE.md ("Bus bandwidth"): the factor
    turns the algorithm bandwidth into the bandwidth each link actually carries,
    so it can be compared with the hardware's peak whatever the rank count.
    """
    n = _checks.positive_int("n_ranks", n_ranks)
    name = _checks.one_of("collective_name", collective_name, COLLECTIVES)
    return (2 if name == "allreduce" else 1) * (n - 1) / n


def algorithm_bandwidth_gb_s(size_bytes: float, seconds: float) -> float:
    """algbw = S / t in GB/s (nccl-tests doc/PERFORMANCE.md, "Algorithm bandwidth")."""
    size = _checks.non_negative("size_bytes", size_bytes)
    t = _checks.positive("seconds", seconds)
    return _checks.finite("algbw_gb_s", size / t / 1e9, {"size_bytes": size_bytes,
                                                         "seconds": seconds})


def bus_bandwidth_gb_s(algbw_gb_s: float, n_ranks: int,
                       collective_name: str = "allreduce") -> float:
    """busbw = algbw · factor (nccl-tests doc/PERFORMANCE.md; see :func:`bus_bandwidth_factor`)."""
    algbw = _checks.non_negative("algbw_gb_s", algbw_gb_s)
    return algbw * bus_bandwidth_factor(n_ranks, collective_name)


def link_efficiency() -> float:
    """Measured fraction of a link's datasheet bandwidth that NCCL collectives reach: ≈ 0.82.

    Default from one published measurement: all-reduce bus bandwidth of about
    370 GB/s on an 8x H100 NVLink 4 node with SHARP disabled, against 450 GB/s
    per direction on paper (Austin et al., *How to Scale Your Model*, chapter
    "How to Think About GPUs", 2025; the same 370 appears in NVIDIA GTC25 session
    S72583). 370 / 450 = 0.822. stas00/ml-engineering (network/README.md) says
    to expect 80–90 % on networks too, so the one factor is used for every link.
    """
    measured = catalog.assumption("nvlink4_allreduce_busbw_8x_h100_gb_s").value
    return measured / catalog.interconnect("NVLink 4").bandwidth_gb_s


def collective_latency_s() -> float:
    """α, the fixed cost of one step of a ring collective: ≈ 2.9 µs.

    Derived from a measured small all-reduce: 32 KiB on 8x H200 (NVLink 4,
    NCCL ring/LL) took 32,768 B / 0.82 GB/s ≈ 40 µs (stas00/ml-engineering,
    network/benchmarks/results/all-reduce-8xH200.md at commit c53741b8, since
    removed). Its bandwidth term is under 0.2 µs, so nearly all of it is the
    2(n−1) = 14 latency steps:
    α ≈ 40 µs / 14. Software (launch, synchronisation) dominates α, so it is
    used for every link, plus the link's own switch latency where the catalog
    has one.
    """
    measured_s = catalog.assumption("nvlink4_allreduce_32kib_8x_h200_time_us").value * 1e-6
    return measured_s / (2 * (_DGX_H100_GPUS - 1))


#: NCCL's tuning model charges each ring step a hardware latency by link class (Ring, Simple
#: protocol): NVLink 3.4 µs, PCIe 5.7 µs, network 9.6 µs (NVIDIA/nccl src/graph/tuning.cc,
#: ``hwLat``). The kit keeps its measured NVLink α and scales it by these ratios.
_LINK_CLASS = {"memory": "nvlink", "scale-up": "nvlink", "host": "pci", "scale-out": "net"}


def link_latency_s(interconnect: str | catalog.Interconnect) -> float:
    """α for one ring step over ``interconnect``.

    The measured NVLink α (:func:`collective_latency_s`) × NCCL's hop latency for the link's
    class over NVLink's, plus the link's own switch latency where the catalog has one:
    NVLink ≈ 2.9 µs, PCIe ≈ 4.8 µs, a network ≈ 8.1 µs.
    """
    link = catalog.interconnect(interconnect)
    hop_us = {cls: catalog.assumption(f"nccl_ring_hop_latency_{cls}_us").value
              for cls in ("nvlink", "pci", "net")}
    ratio = hop_us[_LINK_CLASS.get(link.kind, "net")] / hop_us["nvlink"]
    return collective_latency_s() * ratio + (link.latency_us or 0.0) * 1e-6


def _link_latency_s(link: catalog.Interconnect) -> float:
    return link_latency_s(link)


@dataclass(frozen=True)
class CollectiveTime(Result):
    """One collective on one interconnect, split into its latency and bandwidth parts."""

    collective: str
    algorithm: str
    interconnect: str
    size_bytes: float
    n_ranks: int
    link_bandwidth_gb_s: float  # datasheet, one direction
    link_efficiency: float  # fraction of it reached
    latency_s: float  # α per step
    seconds: float
    latency_term_s: float  # the time with an empty message
    bandwidth_term_s: float  # the time with α = 0
    algbw_gb_s: float  # S / t
    busbw_gb_s: float  # algbw · nccl-tests factor
    crossover_bytes: float  # message size where both terms are equal

    @property
    def regime(self) -> str:
        """"latency-bound" below the crossover size, "bandwidth-bound" above it."""
        return "latency-bound" if self.latency_term_s > self.bandwidth_term_s else "bandwidth-bound"


def collective(size_bytes: float, n_ranks: int,
               interconnect: str | catalog.Interconnect = "NVLink 4",
               collective_name: str = "allreduce", algorithm: str = "ring",
               efficiency: float | None = None, latency_s: float | None = None) -> CollectiveTime:
    """Time of a collective on a catalog interconnect, with a measured link efficiency.

    t = ideal model (:func:`collective_seconds`) at ``efficiency`` × the link's
    one-direction bandwidth. Defaults: ``efficiency`` = :func:`link_efficiency`
    (0.82, measured), ``latency_s`` = :func:`collective_latency_s` plus the
    link's switch latency from the catalog.
    """
    link, eff, alpha = _link_settings(interconnect, efficiency, latency_s)
    return _collective_on(link, eff, alpha, size_bytes, n_ranks, collective_name, algorithm)


def _link_settings(interconnect: str | catalog.Interconnect, efficiency: float | None,
                   latency_s: float | None) -> tuple[catalog.Interconnect, float, float]:
    link = catalog.interconnect(interconnect)
    eff = link_efficiency() if efficiency is None else _checks.in_range(
        "efficiency", efficiency, _MIN_EFFICIENCY, 1.0)
    alpha = _link_latency_s(link) if latency_s is None else _checks.non_negative(
        "latency_s", latency_s)
    return link, eff, alpha


def _collective_on(link: catalog.Interconnect, eff: float, alpha: float, size_bytes: float,
                   n_ranks: int, collective_name: str, algorithm: str) -> CollectiveTime:
    name = _checks.one_of("collective_name", collective_name, COLLECTIVES)
    algo = _checks.one_of("algorithm", algorithm, _ALGORITHMS)
    size_bytes = _checks.non_negative("size_bytes", size_bytes)
    n_ranks = _checks.positive_int("n_ranks", n_ranks)
    bw = link.bandwidth_gb_s * eff
    t = collective_seconds(name, size_bytes, n_ranks, bw, alpha, algo)
    latency_term = collective_seconds(name, 0.0, n_ranks, bw, alpha, algo)
    bandwidth_term = collective_seconds(name, size_bytes, n_ranks, bw, 0.0, algo)
    per_byte = collective_seconds(name, 1.0, n_ranks, bw, 0.0, algo)
    algbw = size_bytes / t / 1e9 if t > 0 else 0.0
    return CollectiveTime(
        collective=name, algorithm=algo if name == "allreduce" else "ring",
        interconnect=link.name, size_bytes=float(size_bytes), n_ranks=int(n_ranks),
        link_bandwidth_gb_s=link.bandwidth_gb_s, link_efficiency=eff, latency_s=alpha,
        seconds=t, latency_term_s=latency_term, bandwidth_term_s=bandwidth_term,
        algbw_gb_s=algbw, busbw_gb_s=algbw * bus_bandwidth_factor(n_ranks, name),
        crossover_bytes=latency_term / per_byte if per_byte > 0 else 0.0,
    )


def allreduce_sweep(sizes_bytes: Iterable[float], n_ranks: int,
                    interconnects: Iterable[str] = ("NVLink 4", "InfiniBand NDR 4x",
                                                    "Ethernet 100GbE"),
                    algorithm: str = "ring", efficiency: float | None = None) -> pd.DataFrame:
    """All-reduce time against message size for several links (one row per size and link)."""
    sizes = [_checks.non_negative("sizes_bytes", size)
             for size in _checks.sequence("sizes_bytes", sizes_bytes, single=Real)]
    rows = []
    links = _checks.sequence("interconnects", interconnects, single=(str, catalog.Interconnect))
    for name in links:
        link, eff, alpha = _link_settings(name, efficiency, None)
        for size in sizes:
            r = _collective_on(link, eff, alpha, size, n_ranks, "allreduce", algorithm)
            rows.append({"interconnect": r.interconnect, "algorithm": r.algorithm,
                         "n_ranks": r.n_ranks, "size_bytes": r.size_bytes,
                         "seconds": r.seconds, "busbw_gb_s": r.busbw_gb_s,
                         "algbw_gb_s": r.algbw_gb_s, "crossover_bytes": r.crossover_bytes,
                         "regime": r.regime})
    return pd.DataFrame(rows)


def bandwidth_hierarchy(names: Iterable[str] = ("HBM3 (H100 SXM)", "NVLink 4", "PCIe 5.0 x16",
                                                "InfiniBand NDR 4x", "Ethernet 100GbE")
                        ) -> pd.DataFrame:
    """Catalog bandwidths (GB/s, one direction) from memory down to the network, with sources."""
    rows = []
    for name in _checks.sequence("names", names, single=(str, catalog.Interconnect)):
        link = catalog.interconnect(name)
        rows.append({"name": link.name, "kind": link.kind, "bandwidth_gb_s": link.bandwidth_gb_s,
                     "source": link.source, "as_of": link.as_of})
    frame = pd.DataFrame(rows)
    frame["fraction_of_first"] = frame["bandwidth_gb_s"] / frame["bandwidth_gb_s"].iloc[0]
    return frame


# --------------------------------------------------------------------------- data parallelism

def oversubscribed_gb_s(bandwidth_gb_s: float, oversubscription: float = 1.0) -> float:
    """Bandwidth per GPU left when traffic crosses a layer oversubscribed ``oversubscription``:1.

    A fat tree is oversubscribed when a switch layer has less uplink than downlink
    capacity; traffic through it gets bw / ratio. Llama 3's aggregation layer was
    1:7 (arXiv 2407.21783, section 3.3.1), which is why Meta kept each job's
    chattiest traffic inside a 3,072-GPU pod with full bisection bandwidth.
    """
    bw = _checks.positive("bandwidth_gb_s", bandwidth_gb_s)
    ratio = _checks.in_range("oversubscription", oversubscription, 1.0, 1e3)
    return bw / ratio


def _default_achieved_tflops(chip: catalog.Accelerator) -> float:
    """A compute rate with no communication in it: the chip's best measured BF16 matmul.

    stas00/ml-engineering's "Maximum Achievable Matmul FLOPS" (H100 SXM 794.5 of 989). An end-to-end
    figure such as Llama 3's 400 TFLOP/s per GPU already includes the communication stalls, so a
    model that adds the all-reduce on top of it would count communication twice. The matmul
    ceiling is an upper bound on the compute rate (a whole step has slower kernels too); chips
    without a measurement use their peak × the H100's measured fraction.
    """
    if chip.bf16_tflops is None:
        raise ValueError(f"chip {chip.name!r} has no bf16_tflops in the catalog; "
                         "pass achieved_tflops")
    if chip.measured_bf16_tflops is not None:
        return float(chip.measured_bf16_tflops)
    return chip.bf16_tflops * chips.realistic_peak("H100 SXM").efficiency


#: Bytes of model state per parameter in mixed-precision Adam, unsharded: fp16 weights (2) and
#: gradients (2), fp32 master weights, momentum and variance (12) (Rajbhandari et al. 2020, ZeRO,
#: section 3.1: "16Ψ bytes"; 7.5B parameters -> 120 GB, their Figure 1).
ADAM_BYTES_PER_PARAM = 16.0


@dataclass(frozen=True)
class DataParallelStep(Result):
    """One data-parallel training step: compute, gradient all-reduce, and how they combine.

    ``within_batch``: every GPU gets at least one whole sequence (n ≤ sequences in the batch);
    ``fits_in_memory``: one full copy of the model state (16 bytes per parameter with Adam)
    fits in a GPU's memory, as pure data parallelism needs. Activations are not counted.
    """

    _derived = ("within_batch", "fits_in_memory")

    chip: str
    network: str
    n_gpus: int
    gpus_per_node: int
    param_count: float
    tokens_per_step: float
    gradient_bytes: float
    compute_s: float  # 6·N·tokens / (n · achieved FLOP/s)
    allreduce_s: float  # gradient all-reduce
    overlap: bool
    step_s: float  # max(compute, all-reduce) with overlap, their sum without
    scaling_efficiency: float  # compute_s / step_s: 1 = perfect scaling
    tokens_per_s: float
    achieved_tflops: float = 0.0  # compute rate used, without communication
    sequence_tokens: int = 8192
    sequences_per_step: float = 0.0  # tokens_per_step / sequence_tokens
    model_state_gb_per_gpu: float = 0.0  # ADAM_BYTES_PER_PARAM · N, unsharded
    gpu_memory_gb: float = 0.0

    @property
    def within_batch(self) -> bool:
        return self.n_gpus <= self.sequences_per_step

    @property
    def fits_in_memory(self) -> bool:
        return self.model_state_gb_per_gpu <= self.gpu_memory_gb


def data_parallel_step(param_count: float, tokens_per_step: float, n_gpus: int,
                       chip: str | catalog.Accelerator = "H100 SXM",
                       network: str | catalog.Interconnect = "InfiniBand NDR 4x",
                       gpus_per_node: int = 8, node_link: str | catalog.Interconnect = "NVLink 4",
                       overlap: bool = True, achieved_tflops: float | None = None,
                       bytes_per_gradient: float = 2.0, efficiency: float | None = None,
                       oversubscription: float = 1.0,
                       sequence_tokens: int = 8192) -> DataParallelStep:
    """Time of one data-parallel step at a fixed global batch (strong scaling).

    compute   = 6 · N · tokens / (n · achieved FLOP/s)   (Kaplan et al. 2020, eq. 2.1)
    all-reduce of N · bytes_per_gradient: inside the node over ``node_link``,
        then across nodes over ``network`` (one NIC per GPU;
        :func:`hierarchical_allreduce_seconds`). A scale-up ``network`` (NVLink,
        TPU ICI) is one domain over all GPUs: a flat ring.
    step      = max(compute, all-reduce) with overlap (buckets reduced during
        the backward pass, Li et al. 2020, PyTorch DDP, VLDB 13(12)), else the sum.
    efficiency = compute / step.

    ``oversubscription`` divides the scale-out bandwidth (:func:`oversubscribed_gb_s`),
    the worst case where every ring crosses the oversubscribed layer.

    Defaults: ``achieved_tflops`` = a compute rate *without* communication, the chip's best
    measured BF16 matmul (H100 SXM 794.5 TFLOP/s), since the all-reduce is added here;
    link efficiency and per-link latency as in :func:`collective`. The result also says
    whether the step is possible at all in pure data parallelism: ``within_batch`` (each GPU
    needs a whole sequence of ``sequence_tokens``) and ``fits_in_memory`` (a full copy of the
    Adam model state, 16 bytes per parameter, per GPU). Beyond either limit, a real job
    shards the model (ZeRO/FSDP, tensor and pipeline parallelism: lesson 05).
    """
    accelerator = catalog.accelerator(chip)
    n_params = _checks.positive("param_count", param_count, high=_checks.COUNT_LIMIT)
    tokens = _checks.positive("tokens_per_step", tokens_per_step)
    n = _checks.positive_int("n_gpus", n_gpus)
    g = _checks.positive_int("gpus_per_node", gpus_per_node)
    seq = _checks.positive_int("sequence_tokens", sequence_tokens)
    # a gradient element is 2 (bf16) or 4 (fp32) bytes; 16 leaves room for any format
    grad_bytes = n_params * _checks.positive("bytes_per_gradient", bytes_per_gradient, high=16)
    rate_tflops = (_default_achieved_tflops(accelerator) if achieved_tflops is None
                   else _checks.positive("achieved_tflops", achieved_tflops))
    flops = rate_tflops * 1e12
    eff = link_efficiency() if efficiency is None else _checks.in_range(
        "efficiency", efficiency, _MIN_EFFICIENCY, 1.0)
    scale_out = catalog.interconnect(network)
    inside = catalog.interconnect(node_link)
    out_bw = oversubscribed_gb_s(scale_out.bandwidth_gb_s, oversubscription)
    compute_s = 6 * n_params * tokens / (n * flops)
    if scale_out.kind in ("scale-up", "memory"):
        comm_s = allreduce_seconds(grad_bytes, n, scale_out.bandwidth_gb_s * eff,
                                   _link_latency_s(scale_out))
    elif n <= g:
        comm_s = allreduce_seconds(grad_bytes, n, inside.bandwidth_gb_s * eff,
                                   _link_latency_s(inside))
    else:
        if n % g:
            raise ValueError(f"n_gpus must be a multiple of gpus_per_node ({g}) when the "
                             f"job spans nodes; got n_gpus={n}")
        comm_s = hierarchical_allreduce_seconds(
            grad_bytes, n // g, g, inside.bandwidth_gb_s * eff, out_bw * eff,
            _link_latency_s(inside), _link_latency_s(scale_out))
    step_s = max(compute_s, comm_s) if _checks.boolean("overlap", overlap) else compute_s + comm_s
    return DataParallelStep(
        chip=accelerator.name, network=scale_out.name, n_gpus=n, gpus_per_node=g,
        param_count=n_params, tokens_per_step=tokens, gradient_bytes=grad_bytes,
        compute_s=compute_s, allreduce_s=comm_s, overlap=bool(overlap), step_s=step_s,
        scaling_efficiency=compute_s / step_s, tokens_per_s=tokens / step_s,
        achieved_tflops=rate_tflops, sequence_tokens=seq, sequences_per_step=tokens / seq,
        model_state_gb_per_gpu=ADAM_BYTES_PER_PARAM * n_params / 1e9,
        gpu_memory_gb=accelerator.weight_capacity_gb,
    )


def scaling_sweep(gpu_counts: Iterable[int], networks: Iterable[str], param_count: float,
                  tokens_per_step: float, overlap: bool = False, **options) -> pd.DataFrame:
    """:func:`data_parallel_step` over GPU counts and networks, one row each."""
    counts = [_checks.positive_int("gpu_counts", n)
              for n in _checks.sequence("gpu_counts", gpu_counts, single=Real)]
    links = _checks.sequence("networks", networks, single=(str, catalog.Interconnect))
    overlap = _checks.boolean("overlap", overlap)
    rows = []
    for network in links:
        for n in counts:
            try:
                step = data_parallel_step(param_count, tokens_per_step, n, network=network,
                                          overlap=overlap, **options)
            except ValueError as exc:  # say which entry of the sweep it was
                raise ValueError(f"at gpu_counts entry {n} on {network!r}: {exc}") from None
            rows.append(step.to_frame().iloc[0].to_dict())
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- power

def host_overhead_w_per_gpu() -> float:
    """Server power beyond the GPUs, per GPU: CPUs, memory, NICs, fans, power-supply losses.

    Derived from the DGX H100's 10.2 kW maximum system power (NVIDIA DGX H100
    User Guide) minus its eight 700 W H100 SXM boards: (10,200 − 8·700) / 8 = 575 W.
    """
    system_w = catalog.assumption("dgx_h100_system_power_w").value
    gpu_w = catalog.accelerator("H100 SXM").tdp_w
    return (system_w - _DGX_H100_GPUS * gpu_w) / _DGX_H100_GPUS


def _tdp_w(chip: str | catalog.Accelerator) -> tuple[catalog.Accelerator, float]:
    accelerator = catalog.accelerator(chip)
    if accelerator.tdp_w is None:
        raise ValueError(f"chip {accelerator.name!r} has no published TDP, so its power "
                         "is unknown; choose a chip with tdp_w in the catalog")
    return accelerator, accelerator.tdp_w


def default_pue() -> float:
    """The PUE the kit assumes unless told otherwise: 1.56, the average data centre in the
    Uptime Institute Global Data Center Survey 2024 (``pue_industry_average``)."""
    return catalog.assumption("pue_industry_average").value


def default_usd_per_kwh() -> float:
    """The electricity price the kit assumes unless told otherwise: $0.0806/kWh, the 2023 US
    industrial average (US EIA, Electric Power Monthly, Table 5.6.A)."""
    return catalog.assumption("electricity_usd_per_kwh").value


def _pue(pue: float | None) -> float:
    if pue is None:
        pue = default_pue()
    return _checks.in_range("pue", pue, 1.0, _PUE_MAX)


def _host_w(host_w_per_gpu: float | None) -> float:
    if host_w_per_gpu is None:
        return host_overhead_w_per_gpu()
    return _checks.non_negative("host_w_per_gpu", host_w_per_gpu)


def gpu_power_mw(n_gpus: int, chip: str | catalog.Accelerator) -> float:
    """The chips alone at TDP, in MW: n · TDP / 10⁶ (10,000 H100 SXM → 7 MW)."""
    n = _checks.positive_int("n_gpus", n_gpus)
    _, tdp = _tdp_w(chip)
    return n * tdp / 1e6


def it_power_mw(n_gpus: int, chip: str | catalog.Accelerator,
                host_w_per_gpu: float | None = None) -> float:
    """Chips plus their servers, in MW: n · (TDP + host overhead) / 10⁶.

    ``host_w_per_gpu`` defaults to :func:`host_overhead_w_per_gpu` (575 W, from
    the DGX H100's 10.2 kW); network switches and storage are not included.
    """
    n = _checks.positive_int("n_gpus", n_gpus)
    _, tdp = _tdp_w(chip)
    return n * (tdp + _host_w(host_w_per_gpu)) / 1e6


def facility_power_mw(n_gpus: int, chip: str | catalog.Accelerator, pue: float | None = None,
                      host_w_per_gpu: float | None = None) -> float:
    """What the building draws from the grid, in MW: IT power × PUE.

    PUE (power usage effectiveness, The Green Grid 2007) = facility / IT power;
    default the Uptime Institute 2024 survey average, 1.56. It must lie in [1, 3].
    """
    return it_power_mw(n_gpus, chip, host_w_per_gpu) * _pue(pue)


def annual_energy_mwh(power_mw: float, utilization: float = 1.0) -> float:
    """Energy in a year at ``power_mw``, busy a fraction ``utilization``: P · 8,760 h · u."""
    p = _checks.non_negative("power_mw", power_mw)
    u = _checks.in_range("utilization", utilization, 0.0, 1.0)
    return p * HOURS_PER_YEAR * u


def rack_power_kw(chip: str | catalog.Accelerator, nodes_per_rack: int, gpus_per_node: int = 8,
                  host_w_per_gpu: float | None = None) -> float:
    """IT power of one rack in kW: nodes · GPUs per node · (TDP + host overhead)."""
    nodes = _checks.positive_int("nodes_per_rack", nodes_per_rack, high=_MAX_PER_RACK)
    g = _checks.positive_int("gpus_per_node", gpus_per_node, high=_MAX_PER_RACK)
    return it_power_mw(nodes * g, chip, host_w_per_gpu) * 1e3


@dataclass(frozen=True)
class ClusterPower(Result):
    """A cluster's power from the chips to the grid, and a year of it in MWh and dollars."""

    chip: str
    n_gpus: int
    gpus_per_node: int
    n_nodes: int
    node_power_kw: float  # one server: its GPUs at TDP plus host overhead
    chips_mw: float
    it_mw: float
    facility_mw: float
    pue: float
    utilization: float
    annual_mwh: float  # facility energy over a year at this utilization
    usd_per_kwh: float
    annual_electricity_usd: float
    grid_kg_co2_per_kwh: float | None  # None: CO2 not computed
    annual_co2_tonnes: float | None

    @property
    def host_mw(self) -> float:
        """Servers beyond the chips: CPUs, memory, NICs, fans, supply losses."""
        return self.it_mw - self.chips_mw

    @property
    def facility_overhead_mw(self) -> float:
        """Cooling and power distribution: facility − IT."""
        return self.facility_mw - self.it_mw


def cluster_power(n_gpus: int, chip: str | catalog.Accelerator = "H100 SXM",
                  gpus_per_node: int = 8, pue: float | None = None,
                  usd_per_kwh: float | None = None, utilization: float = 1.0,
                  host_w_per_gpu: float | None = None,
                  grid_kg_co2_per_kwh: float | None = None) -> ClusterPower:
    """Power at each level (chips, IT, facility) and a year's energy, bill and optional CO2.

    annual MWh = facility MW · 8,760 h · utilization; bill = MWh · 1,000 · $/kWh;
    CO2 = MWh · 1,000 · kg/kWh / 1,000 (only if ``grid_kg_co2_per_kwh`` is given;
    the kit ships no default grid intensity). Defaults: PUE 1.56 (Uptime 2024),
    $0.0806/kWh (EIA 2023 US industrial average), host overhead 575 W per GPU.
    """
    accelerator, tdp = _tdp_w(chip)
    n = _checks.positive_int("n_gpus", n_gpus)
    g = _checks.positive_int("gpus_per_node", gpus_per_node)
    if usd_per_kwh is None:
        usd_per_kwh = default_usd_per_kwh()
    price = _checks.non_negative("usd_per_kwh", usd_per_kwh)
    host = _host_w(host_w_per_gpu)
    p = _pue(pue)
    facility = facility_power_mw(n, accelerator, p, host)
    mwh = annual_energy_mwh(facility, utilization)
    co2 = None
    if grid_kg_co2_per_kwh is not None:
        intensity = _checks.non_negative("grid_kg_co2_per_kwh", grid_kg_co2_per_kwh)
        co2 = mwh * intensity  # MWh · kg/kWh = tonnes
    return ClusterPower(
        chip=accelerator.name, n_gpus=n, gpus_per_node=g, n_nodes=math.ceil(n / g),
        node_power_kw=g * (tdp + host) / 1e3, chips_mw=gpu_power_mw(n, accelerator),
        it_mw=it_power_mw(n, accelerator, host), facility_mw=facility, pue=p,
        utilization=float(utilization), annual_mwh=mwh, usd_per_kwh=price,
        annual_electricity_usd=mwh * 1e3 * price,
        grid_kg_co2_per_kwh=None if grid_kg_co2_per_kwh is None else float(grid_kg_co2_per_kwh),
        annual_co2_tonnes=co2,
    )


# --------------------------------------------------------------------------- reliability

# The failure and checkpoint models live in stackkit.reliability, in seconds; these
# are lesson 2's names for them, in the hours a cluster operator counts in.
# ``young_daly_interval_s`` and ``goodput`` are reliability's own functions.

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


def llama3_gpu_mtbf_hours() -> float:
    """Per-GPU mean time between job-stopping failures from the Llama 3 record: ≈ 50,700 h.

    16,384 · 54 · 24 h / 419 (arXiv 2407.21783, section 3.3.4, Table 5); see
    :func:`stackkit.reliability.llama3_chip_mtbf_s`.
    """
    return reliability.llama3_chip_mtbf_s() / SECONDS_PER_HOUR


def _gpu_mtbf(gpu_mtbf_hours: float | None) -> float:
    if gpu_mtbf_hours is None:
        return llama3_gpu_mtbf_hours()
    return _checks.positive("gpu_mtbf_hours", gpu_mtbf_hours, high=_HOURS_LIMIT)


def mtbf_hours(n_gpus: int, gpu_mtbf_hours: float) -> float:
    """Cluster MTBF when any one of ``n_gpus`` independent GPUs stops the job: M_gpu / n.

    Hours in and out; the model is :func:`stackkit.reliability.mtbf_s`.
    """
    n = _checks.positive_int("n_gpus", n_gpus)
    m = _checks.positive("gpu_mtbf_hours", gpu_mtbf_hours, high=_HOURS_LIMIT)
    if m * SECONDS_PER_HOUR / n == 0:  # underflow
        raise ValueError(f"gpu_mtbf_hours={gpu_mtbf_hours!r} over n_gpus={n} rounds to a "
                         "cluster MTBF of 0 h; give a realistic gpu_mtbf_hours (Llama 3: "
                         "about 50,000 h)")
    return reliability.mtbf_s(n, m * SECONDS_PER_HOUR) / SECONDS_PER_HOUR


def expected_interruptions(n_gpus: int, run_hours: float,
                           gpu_mtbf_hours: float | None = None) -> float:
    """Expected failures during a run: run time / cluster MTBF = hours · n / M_gpu.

    ``gpu_mtbf_hours`` defaults to :func:`llama3_gpu_mtbf_hours`; the model is
    :func:`stackkit.reliability.expected_interruptions`.
    """
    hours = _checks.non_negative("run_hours", run_hours, high=_HOURS_LIMIT)
    n = _checks.positive_int("n_gpus", n_gpus)
    m = _gpu_mtbf(gpu_mtbf_hours)
    mtbf_hours(n, m)  # refuses an MTBF that rounds to 0
    _checks.finite("expected interruptions", hours * n / m,  # in this function's terms
                   {"n_gpus": n_gpus, "run_hours": run_hours, "gpu_mtbf_hours": gpu_mtbf_hours})
    return reliability.expected_interruptions(n, hours * SECONDS_PER_HOUR, m * SECONDS_PER_HOUR)


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


def cluster_reliability(n_gpus: int, run_days: float, checkpoint_s: float, restart_s: float,
                        gpu_mtbf_hours: float | None = None,
                        interval_s: float | None = None) -> Reliability:
    """MTBF, expected interruptions, Young–Daly interval and goodput for one run.

    ``gpu_mtbf_hours`` defaults to the Llama 3 record (:func:`llama3_gpu_mtbf_hours`).
    """
    n = _checks.positive_int("n_gpus", n_gpus)
    days = _checks.positive("run_days", run_days, high=_HOURS_LIMIT / HOURS_PER_DAY)
    checkpoint_s = _checks.positive("checkpoint_s", checkpoint_s)
    restart_s = _checks.non_negative("restart_s", restart_s)
    gpu_mtbf = _gpu_mtbf(gpu_mtbf_hours)
    cluster_h = mtbf_hours(n, gpu_mtbf)
    mtbf_s = cluster_h * SECONDS_PER_HOUR
    tau = young_daly_interval_s(checkpoint_s, mtbf_s) if interval_s is None else _checks.positive(
        "interval_s", interval_s)
    return Reliability(
        n_gpus=n, gpu_mtbf_hours=gpu_mtbf, cluster_mtbf_hours=cluster_h, run_days=days,
        expected_interruptions=expected_interruptions(n, days * HOURS_PER_DAY, gpu_mtbf),
        checkpoint_s=float(checkpoint_s), restart_s=float(restart_s), interval_s=tau,
        goodput=goodput(checkpoint_s, restart_s, mtbf_s, tau),
    )


# --------------------------------------------------------------------------- ownership

def _server_prices() -> dict[str, tuple[str, float]]:
    return {
        "H100 SXM": ("dgx_h100_price_usd", _DGX_H100_GPUS),
        "A100 SXM 40GB": ("dgx_a100_price_usd", _DGX_A100_GPUS),
    }


def server_price_usd_per_gpu(chip: str | catalog.Accelerator) -> float:
    """An 8-GPU server's price divided by its GPUs (USD), where a sourced price exists.

    H100 SXM: DGX H100 ≈ $270,000 (SemiAnalysis estimate, May 2023, as used by
    Epoch AI) → $33,750. A100 SXM 40GB: DGX A100 launch price $199,000 (GTC
    2020) → $24,875. Other chips raise ``ValueError``: pass a price yourself.
    """
    accelerator = catalog.accelerator(chip)
    known = _server_prices()
    if accelerator.name not in known:
        raise ValueError(f"no sourced server price for chip {accelerator.name!r}; known: "
                         f"{', '.join(map(repr, known))}. Pass capital_usd_per_gpu yourself")
    key, gpus = known[accelerator.name]
    return catalog.assumption(key).value / gpus


@dataclass(frozen=True)
class OwnedCost(Result):
    """What one owned GPU costs per hour, split into its parts (USD per GPU-hour).

    One basis for every lesson: the server, its share of the cluster network, the facility
    (space, power and cooling infrastructure, priced as wholesale colocation per kW), the
    electricity, and any operations.
    """

    _derived = ("fixed_usd_per_gpu_hour", "usd_per_gpu_hour")

    chip: str
    capital_usd_per_gpu_hour: float  # server purchase spread over every hour of its life
    power_usd_per_gpu_hour: float  # electricity while running: GPU + host, times PUE
    ops_usd_per_gpu_hour: float  # staff, maintenance
    amortization_years: float
    pue: float
    usd_per_kwh: float
    network_usd_per_gpu_hour: float = 0.0  # the GPU's share of the cluster network
    facility_usd_per_gpu_hour: float = 0.0  # data-centre space, power and cooling per kW

    @property
    def fixed_usd_per_gpu_hour(self) -> float:
        """Paid whether or not the GPU is busy: server, network, facility and operations."""
        return (self.capital_usd_per_gpu_hour + self.network_usd_per_gpu_hour
                + self.facility_usd_per_gpu_hour + self.ops_usd_per_gpu_hour)

    @property
    def usd_per_gpu_hour(self) -> float:
        """Total cost of a GPU-hour at 100 % utilization."""
        return self.fixed_usd_per_gpu_hour + self.power_usd_per_gpu_hour

    def usd_per_used_gpu_hour(self, utilization: float) -> float:
        """Cost per *useful* GPU-hour when the GPU is busy a fraction ``utilization`` of the time.

        Fixed costs are spread over fewer useful hours; power is paid only when busy.
        """
        u = _checks.in_range("utilization", utilization, 0.0, 1.0, low_open=True)
        return self.fixed_usd_per_gpu_hour / u + self.power_usd_per_gpu_hour


def network_cost_fraction() -> float:
    """The cluster network's share of total cluster hardware cost: 0.19.

    Epoch AI's training-cost model (Cottier et al. 2024, "The rising costs of training frontier
    AI models", arXiv 2405.21015; ``CLUSTER_INTERCONNECT_COST_FRACTION``): server cost is
    multiplied by 1 / (1 − 0.19) to include switches, NICs, cables and optics.
    """
    return catalog.assumption("cluster_network_cost_fraction").value


def colocation_usd_per_kw_month() -> float:
    """Wholesale colocation, per kW of IT load per month: $184.06 (CBRE, H2 2024 average
    asking rate for 250–500 kW across North American primary markets)."""
    return catalog.assumption("colocation_usd_per_kw_month").value


def owned_cost(chip: str | catalog.Accelerator, capital_usd_per_gpu: float | None = None,
               amortization_years: float = 4.0, pue: float | None = None,
               usd_per_kwh: float | None = None, ops_usd_per_gpu_hour: float = 0.0,
               network_fraction: float | None = None,
               facility_usd_per_kw_month: float | None = None) -> OwnedCost:
    """Cost per GPU-hour of owning ``chip`` rather than renting it.

    server per hour   = capital_usd_per_gpu / (amortization_years · 8,760 h)
    network per hour  = server per hour · f / (1 − f), f the network's share of cluster cost
    facility per hour = (TDP + host overhead) in kW · colocation $ per kW-month / 730 h
    power per hour    = (TDP + host overhead) · PUE · price per kWh (only while busy)

    Parameters
    ----------
    chip : catalog name or Accelerator (needs a published TDP).
    capital_usd_per_gpu : purchase price of the server divided by its GPUs (USD);
        default :func:`server_price_usd_per_gpu` (H100 SXM and A100 SXM 40GB only).
    amortization_years : straight-line depreciation period of server and network.
    pue : facility power / IT power; default the Uptime Institute 2024 industry average.
    usd_per_kwh : electricity price; default the 2023 US industrial average (EIA).
    ops_usd_per_gpu_hour : staff and maintenance per GPU-hour.
    network_fraction : the network's share of cluster hardware cost; default
        :func:`network_cost_fraction` (0.19, Epoch AI); 0 leaves the network out.
    facility_usd_per_kw_month : data-centre space, power and cooling infrastructure, priced
        as wholesale colocation; default :func:`colocation_usd_per_kw_month` (CBRE); 0 leaves
        the building out.
    """
    accelerator, tdp = _tdp_w(chip)
    if capital_usd_per_gpu is None:
        capital_usd_per_gpu = server_price_usd_per_gpu(accelerator)
    capital = _checks.positive("capital_usd_per_gpu", capital_usd_per_gpu)
    years = _checks.positive("amortization_years", amortization_years)
    p = _pue(pue)
    if usd_per_kwh is None:
        usd_per_kwh = default_usd_per_kwh()
    price = _checks.non_negative("usd_per_kwh", usd_per_kwh)
    ops = _checks.non_negative("ops_usd_per_gpu_hour", ops_usd_per_gpu_hour)
    f = network_cost_fraction() if network_fraction is None else _checks.in_range(
        "network_fraction", network_fraction, 0.0, 1.0, high_open=True)
    colo = colocation_usd_per_kw_month() if facility_usd_per_kw_month is None else \
        _checks.non_negative("facility_usd_per_kw_month", facility_usd_per_kw_month)
    it_kw = (tdp + host_overhead_w_per_gpu()) / 1e3
    server_per_hour = capital / (years * HOURS_PER_YEAR)
    return OwnedCost(
        chip=accelerator.name,
        capital_usd_per_gpu_hour=server_per_hour,
        power_usd_per_gpu_hour=it_kw * p * price,
        ops_usd_per_gpu_hour=ops,
        amortization_years=years,
        pue=p,
        usd_per_kwh=price,
        network_usd_per_gpu_hour=server_per_hour * f / (1 - f),
        facility_usd_per_gpu_hour=it_kw * colo / (HOURS_PER_YEAR / 12),
    )


# --------------------------------------------------------------------------- one cluster

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

    @property
    def allreduce_10gb_s(self) -> float:
        """Deprecated: read ``allreduce_s`` (seconds; the old name read like GB/s)."""
        warnings.warn("ClusterSummary.allreduce_10gb_s is deprecated; use allreduce_s "
                      "(seconds) and allreduce_size_bytes", DeprecationWarning, stacklevel=2)
        return self.allreduce_s


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
    power = cluster_power(n_gpus, chip, gpus_per_node, pue, usd_per_kwh)
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
        comm = allreduce_seconds(size, power.n_gpus, intra_bw, alpha)
    else:
        comm = hierarchical_allreduce_seconds(size, power.n_nodes, g, intra_bw,
                                              link.bandwidth_gb_s * eff, alpha,
                                              _link_latency_s(link))
    cluster_h = mtbf_hours(power.n_gpus, _gpu_mtbf(gpu_mtbf_hours))
    owned = None  # only where a sourced server price exists; any other error propagates
    if accelerator.name in _server_prices():
        owned = owned_cost(accelerator, pue=power.pue,
                           usd_per_kwh=power.usd_per_kwh).usd_per_gpu_hour
    return ClusterSummary(
        chip=power.chip, n_gpus=power.n_gpus, gpus_per_node=g, n_nodes=power.n_nodes,
        network=link.name, scaleout_gb_s_per_node=link.bandwidth_gb_s * g,
        allreduce_size_bytes=size, allreduce_s=comm, chips_mw=power.chips_mw, it_mw=power.it_mw,
        facility_mw=power.facility_mw, annual_mwh=power.annual_mwh,
        annual_electricity_usd=power.annual_electricity_usd, cluster_mtbf_hours=cluster_h,
        interruptions_per_day=HOURS_PER_DAY / cluster_h, owned_usd_per_gpu_hour=owned,
        power=power,
    )
