"""Collectives: the alpha-beta model of all-reduce, reduce-scatter, all-gather, all-to-all.

A message of ``S`` bytes over a link of bandwidth ``bw`` takes ``alpha + S / bw``
(Hockney 1994; Thakur, Rabenseifner & Gropp 2005). The ``*_seconds`` functions are
the ideal model; a measured link reaches only a fraction of its datasheet bandwidth,
applied explicitly with :func:`link_efficiency` (see :func:`collective`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from .. import catalog
from .._declare import choice, count, declared, non_negative, optional, positive
from .._results import Result
from ._specs import EFFICIENCY, LINK, LINKS, catalog_names, numbers

COLLECTIVES = ("allreduce", "reduce_scatter", "all_gather", "all_to_all")
_ALGORITHMS = ("ring", "tree")
_DGX_H100_GPUS = 8  # GPUs in the measured node (8x H100 or H200, NVLink 4)
_SIZES = numbers(examples=((1e3, 1e6, 1e9), (0.0,)))


def _link_bytes_per_s(bandwidth_gb_s: float) -> float:
    return bandwidth_gb_s * 1e9


@declared(size_bytes=non_negative(), n_ranks=count(), bandwidth_gb_s=positive(),
          latency_s=non_negative(), algorithm=choice(_ALGORITHMS))
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
    size, n, bw, alpha = size_bytes, n_ranks, _link_bytes_per_s(bandwidth_gb_s), latency_s
    if n == 1:
        return 0.0
    if algorithm == "ring":
        return 2 * (n - 1) / n * size / bw + 2 * (n - 1) * alpha
    return 2 * size / bw + 2 * math.ceil(math.log2(n)) * alpha


def _one_pass_seconds(size_bytes: float, n_ranks: int, bandwidth_gb_s: float,
                      latency_s: float) -> float:
    """(n−1)/n · S / bw + (n−1) · α: one trip round a ring, or a pairwise exchange."""
    n = n_ranks
    return (n - 1) / n * size_bytes / _link_bytes_per_s(bandwidth_gb_s) + (n - 1) * latency_s


_ONE_PASS = {"size_bytes": non_negative(), "n_ranks": count(), "bandwidth_gb_s": positive(),
             "latency_s": non_negative()}


@declared(**_ONE_PASS)
def reduce_scatter_seconds(size_bytes: float, n_ranks: int, bandwidth_gb_s: float,
                           latency_s: float = 0.0) -> float:
    """Ring reduce-scatter of an ``size_bytes`` buffer: (n−1)/n · S / bw + (n−1) · α.

    Each rank ends with the reduced 1/n of the buffer (Thakur et al. 2005, section 4).
    """
    return _one_pass_seconds(size_bytes, n_ranks, bandwidth_gb_s, latency_s)


@declared(**_ONE_PASS)
def all_gather_seconds(size_bytes: float, n_ranks: int, bandwidth_gb_s: float,
                       latency_s: float = 0.0) -> float:
    """Ring all-gather that assembles an ``size_bytes`` buffer: (n−1)/n · S / bw + (n−1) · α.

    ``size_bytes`` is the gathered (output) size, as nccl-tests count it.
    """
    return _one_pass_seconds(size_bytes, n_ranks, bandwidth_gb_s, latency_s)


@declared(**_ONE_PASS)
def all_to_all_seconds(size_bytes: float, n_ranks: int, bandwidth_gb_s: float,
                       latency_s: float = 0.0) -> float:
    """All-to-all of ``size_bytes`` per rank: (n−1)/n · S / bw + (n−1) · α.

    Each rank keeps 1/n and sends (n−1)/n of its buffer, one piece per peer
    (pairwise exchange, Thakur et al. 2005, section 5), assuming a switch with
    full bisection bandwidth so every rank sends at ``bandwidth_gb_s`` at once.
    """
    return _one_pass_seconds(size_bytes, n_ranks, bandwidth_gb_s, latency_s)


@declared(collective_name=choice(COLLECTIVES), **_ONE_PASS, algorithm=choice(_ALGORITHMS))
def collective_seconds(collective_name: str, size_bytes: float, n_ranks: int,
                       bandwidth_gb_s: float, latency_s: float = 0.0,
                       algorithm: str = "ring") -> float:
    """Ideal time of one of :data:`COLLECTIVES` (``algorithm`` applies to all-reduce only)."""
    if collective_name == "allreduce":
        return allreduce_seconds.unchecked(size_bytes, n_ranks, bandwidth_gb_s, latency_s,
                                           algorithm)
    return _one_pass_seconds(size_bytes, n_ranks, bandwidth_gb_s, latency_s)


@declared(size_bytes=non_negative(), n_nodes=count(), gpus_per_node=count(),
          intra_bandwidth_gb_s=positive(), inter_bandwidth_gb_s=positive(),
          intra_latency_s=non_negative(), inter_latency_s=non_negative())
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
    size, g = size_bytes, gpus_per_node
    inside = (reduce_scatter_seconds.unchecked(size, g, intra_bandwidth_gb_s, intra_latency_s)
              + all_gather_seconds.unchecked(size, g, intra_bandwidth_gb_s, intra_latency_s))
    across = allreduce_seconds.unchecked(size / g, n_nodes, inter_bandwidth_gb_s,
                                         inter_latency_s, "ring")
    return inside + across  # finite: at most 1e30 bytes over at least 1e-21 B/s


@declared(n_ranks=count(), collective_name=choice(COLLECTIVES))
def bus_bandwidth_factor(n_ranks: int, collective_name: str = "allreduce") -> float:
    """busbw / algbw as nccl-tests define it: 2(n−1)/n for all-reduce, (n−1)/n otherwise.

    Source: NVIDIA nccl-tests, doc/PERFORMANCE.md ("Bus bandwidth"): the factor
    turns the algorithm bandwidth into the bandwidth each link actually carries,
    so it can be compared with the hardware's peak whatever the rank count.
    """
    n = n_ranks
    return (2 if collective_name == "allreduce" else 1) * (n - 1) / n


@declared(size_bytes=non_negative(), seconds=positive())
def algorithm_bandwidth_gb_s(size_bytes: float, seconds: float) -> float:
    """algbw = S / t in GB/s (nccl-tests doc/PERFORMANCE.md, "Algorithm bandwidth")."""
    return size_bytes / seconds / 1e9  # finite: at most 1e30 bytes over at least 1e-30 s


@declared(algbw_gb_s=non_negative(), n_ranks=count(), collective_name=choice(COLLECTIVES))
def bus_bandwidth_gb_s(algbw_gb_s: float, n_ranks: int,
                       collective_name: str = "allreduce") -> float:
    """busbw = algbw · factor (nccl-tests doc/PERFORMANCE.md; see :func:`bus_bandwidth_factor`)."""
    return algbw_gb_s * bus_bandwidth_factor.unchecked(n_ranks, collective_name)


@declared()
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


@declared()
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


@declared(interconnect=LINK)
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
    return link_latency_s.unchecked(link)


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


@declared(size_bytes=non_negative(), n_ranks=count(), interconnect=LINK,
          collective_name=choice(COLLECTIVES), algorithm=choice(_ALGORITHMS),
          efficiency=EFFICIENCY, latency_s=optional(non_negative()))
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
    """The link, its efficiency and α, defaults filled in (arguments already checked)."""
    link = catalog.interconnect(interconnect)
    eff = link_efficiency() if efficiency is None else efficiency
    alpha = _link_latency_s(link) if latency_s is None else latency_s
    return link, eff, alpha


def _collective_on(link: catalog.Interconnect, eff: float, alpha: float, size_bytes: float,
                   n_ranks: int, name: str, algo: str) -> CollectiveTime:
    bw = link.bandwidth_gb_s * eff
    seconds = collective_seconds.unchecked
    t = seconds(name, size_bytes, n_ranks, bw, alpha, algo)
    latency_term = seconds(name, 0.0, n_ranks, bw, alpha, algo)
    bandwidth_term = seconds(name, size_bytes, n_ranks, bw, 0.0, algo)
    per_byte = seconds(name, 1.0, n_ranks, bw, 0.0, algo)
    algbw = size_bytes / t / 1e9 if t > 0 else 0.0
    return CollectiveTime(
        collective=name, algorithm=algo if name == "allreduce" else "ring",
        interconnect=link.name, size_bytes=float(size_bytes), n_ranks=int(n_ranks),
        link_bandwidth_gb_s=link.bandwidth_gb_s, link_efficiency=eff, latency_s=alpha,
        seconds=t, latency_term_s=latency_term, bandwidth_term_s=bandwidth_term,
        algbw_gb_s=algbw, busbw_gb_s=algbw * bus_bandwidth_factor.unchecked(n_ranks, name),
        crossover_bytes=latency_term / per_byte if per_byte > 0 else 0.0,
    )


@declared(sizes_bytes=_SIZES, n_ranks=count(), interconnects=LINKS,
          algorithm=choice(_ALGORITHMS), efficiency=EFFICIENCY)
def allreduce_sweep(sizes_bytes: Iterable[float], n_ranks: int,
                    interconnects: Iterable[str] = ("NVLink 4", "InfiniBand NDR 4x",
                                                    "Ethernet 100GbE"),
                    algorithm: str = "ring", efficiency: float | None = None) -> pd.DataFrame:
    """All-reduce time against message size for several links (one row per size and link)."""
    rows = []
    for name in interconnects:
        link, eff, alpha = _link_settings(name, efficiency, None)
        for size in sizes_bytes:
            r = _collective_on(link, eff, alpha, size, n_ranks, "allreduce", algorithm)
            rows.append({"interconnect": r.interconnect, "algorithm": r.algorithm,
                         "n_ranks": r.n_ranks, "size_bytes": r.size_bytes,
                         "seconds": r.seconds, "busbw_gb_s": r.busbw_gb_s,
                         "algbw_gb_s": r.algbw_gb_s, "crossover_bytes": r.crossover_bytes,
                         "regime": r.regime})
    return pd.DataFrame(rows)


@declared(names=catalog_names(catalog.Interconnect, "interconnect",
                                (("NVLink 4", "PCIe 5.0 x16"), ("Ethernet 100GbE",))))
def bandwidth_hierarchy(names: Iterable[str] = ("HBM3 (H100 SXM)", "NVLink 4", "PCIe 5.0 x16",
                                                "InfiniBand NDR 4x", "Ethernet 100GbE")
                        ) -> pd.DataFrame:
    """Catalog bandwidths (GB/s, one direction) from memory down to the network, with sources."""
    rows = []
    for name in names:
        link = catalog.interconnect(name)
        rows.append({"name": link.name, "kind": link.kind, "bandwidth_gb_s": link.bandwidth_gb_s,
                     "source": link.source, "as_of": link.as_of})
    frame = pd.DataFrame(rows)
    frame["fraction_of_first"] = frame["bandwidth_gb_s"] / frame["bandwidth_gb_s"].iloc[0]
    return frame
