"""Lesson 2, collectives: the alpha-beta model against a published nccl-tests sweep, measured
NVLink bus bandwidth and latency, and hand calculations; hypothesis covers the invariants.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import clusters

GIB = 2**30


FAST = settings(max_examples=40, deadline=None)


@pytest.mark.parametrize("n", [2, 4, 8, 64, 1024])
def test_ring_allreduce_moves_2_n_minus_1_over_n_of_the_buffer(n):
    # Ring all-reduce: each rank sends 2(n-1)/n · S (Patarasuk & Yuan 2009; the factor
    # nccl-tests doc/PERFORMANCE.md uses to turn algbw into busbw).
    size, bw = 1e9, 100.0
    assert clusters.allreduce_seconds(size, n, bw) == pytest.approx(2 * (n - 1) / n * size / 100e9)
    assert clusters.bus_bandwidth_factor(n) == pytest.approx(2 * (n - 1) / n)


def test_latency_term_is_2_n_minus_1_steps():
    # ring: 2(n-1) steps of alpha each (docs/architecture.md API); 8 ranks, 5 us -> 70 us
    assert clusters.allreduce_seconds(0, 8, 100.0, latency_s=5e-6) == pytest.approx(70e-6)
    # tree: 2·ceil(log2 n) steps; 8 ranks -> 6 steps -> 30 us
    assert clusters.allreduce_seconds(0, 8, 100.0, 5e-6, "tree") == pytest.approx(30e-6)


def test_bus_bandwidth_matches_a_published_nccl_sweep():
    # stas00/ml-engineering network/benchmarks/results/all-reduce-8xH200.md at commit
    # c53741b8 (since removed), 16GiB row:
    # algbw 275.58 GB/s, busbw 482.26 GB/s on 8 ranks (factor 2·7/8 = 1.75).
    assert clusters.bus_bandwidth_gb_s(275.58, 8) == pytest.approx(482.26, rel=1e-3)


def test_other_collectives_use_n_minus_1_over_n():
    # nccl-tests doc/PERFORMANCE.md: busbw = algbw · (n-1)/n for reduce-scatter,
    # all-gather and all-to-all.
    for name in ("reduce_scatter", "all_gather", "all_to_all"):
        assert clusters.bus_bandwidth_factor(8, name) == pytest.approx(7 / 8)
        assert clusters.collective_seconds(name, 8e9, 8, 100.0) == pytest.approx(7 / 8 * 0.08)
    # an all-reduce is a reduce-scatter followed by an all-gather
    parts = (clusters.reduce_scatter_seconds(8e9, 8, 100.0, 1e-6)
             + clusters.all_gather_seconds(8e9, 8, 100.0, 1e-6))
    assert clusters.allreduce_seconds(8e9, 8, 100.0, 1e-6) == pytest.approx(parts)


def test_8_gpu_nvlink_allreduce_matches_measured_bus_bandwidth():
    # Measured: 8x H200 on NVLink 4, NCCL ring (NCCL_NVLS_ENABLE=0), 16 GiB payload:
    # busbw 367.61 GB/s (stas00/ml-engineering network/README.md, SHARP section,
    # nccl 2.27.7). The default efficiency comes from a different measurement
    # (8x H100, How to Scale Your Model), so this checks it carries over.
    result = clusters.collective(16 * GIB, 8, "NVLink 4")
    assert result.busbw_gb_s == pytest.approx(367.61, rel=0.03)
    assert result.regime == "bandwidth-bound"
    # The ideal model (efficiency 1) is an upper bound on any ring measurement.
    ideal = clusters.collective(16 * GIB, 8, "NVLink 4", efficiency=1.0)
    assert ideal.busbw_gb_s > 367.61
    assert ideal.busbw_gb_s == pytest.approx(450, rel=0.01)


def test_small_allreduce_matches_measured_latency_bound_point():
    # Same 8x H200 sweep (all-reduce-8xH200.md at commit c53741b8): 1 MiB all-reduce, ring/LL, busbw
    # 39.93 GB/s. The default alpha was fitted to the 32 KiB row only.
    result = clusters.collective(2**20, 8, "NVLink 4")
    assert result.busbw_gb_s == pytest.approx(39.93, rel=0.10)
    # and 256 KiB: busbw 11.74 GB/s, firmly latency-bound
    small = clusters.collective(256 * 2**10, 8, "NVLink 4")
    assert small.busbw_gb_s == pytest.approx(11.74, rel=0.10)
    assert small.regime == "latency-bound"


def test_link_efficiency_default_is_the_published_370_of_450():
    # How to Scale Your Model, "How to Think About GPUs": ~370 GB/s of 450 on 8x H100.
    assert clusters.link_efficiency() == pytest.approx(370 / 450)


def test_crossover_size_is_n_alpha_bw_for_a_ring():
    # 2(n-1)/n · S/bw = 2(n-1)·alpha  =>  S* = n · alpha · bw
    r = clusters.collective(1e6, 16, "InfiniBand NDR 4x", efficiency=1.0, latency_s=5e-6)
    assert r.crossover_bytes == pytest.approx(16 * 5e-6 * 50e9)
    assert r.latency_term_s + r.bandwidth_term_s == pytest.approx(r.seconds)


def test_hierarchical_allreduce_reduces_to_flat_cases():
    s, bw_in, bw_out = 4e9, 400.0, 40.0
    # one GPU per node: just the network ring
    assert clusters.hierarchical_allreduce_seconds(s, 16, 1, bw_in, bw_out) == pytest.approx(
        clusters.allreduce_seconds(s, 16, bw_out))
    # one node: just the node's ring
    assert clusters.hierarchical_allreduce_seconds(s, 1, 8, bw_in, bw_out) == pytest.approx(
        clusters.allreduce_seconds(s, 8, bw_in))
    # hand calculation, 4 nodes x 8 GPUs, no latency:
    # inside 2 · 7/8 · 4e9 / 400e9 = 17.5 ms; across 2 · 3/4 · 0.5e9 / 40e9 = 18.75 ms
    assert clusters.hierarchical_allreduce_seconds(s, 4, 8, bw_in, bw_out) == pytest.approx(
        0.0175 + 0.01875)


def test_tree_beats_ring_on_latency_at_scale():
    ring = clusters.allreduce_seconds(1e3, 1024, 50.0, 5e-6, "ring")
    tree = clusters.allreduce_seconds(1e3, 1024, 50.0, 5e-6, "tree")
    assert tree < ring / 50


def test_bandwidth_hierarchy_falls_from_memory_to_ethernet():
    frame = clusters.bandwidth_hierarchy()
    assert list(frame["bandwidth_gb_s"]) == sorted(frame["bandwidth_gb_s"], reverse=True)
    assert frame["bandwidth_gb_s"].iloc[0] == pytest.approx(3350)  # H100 HBM3, 3.35 TB/s


@FAST
@given(small=st.floats(0, 1e10), extra=st.floats(1, 1e10), n=st.integers(2, 4096),
       algorithm=st.sampled_from(["ring", "tree"]))
def test_time_grows_with_message_size(small, extra, n, algorithm):
    t1 = clusters.allreduce_seconds(small, n, 50.0, 3e-6, algorithm)
    t2 = clusters.allreduce_seconds(small + extra, n, 50.0, 3e-6, algorithm)
    assert math.isfinite(t1) and t2 > t1


@FAST
@given(n=st.integers(2, 10_000))
def test_more_ranks_never_make_a_ring_allreduce_faster(n):
    assert (clusters.allreduce_seconds(1e9, n + 1, 50.0, 3e-6)
            >= clusters.allreduce_seconds(1e9, n, 50.0, 3e-6))


def test_each_link_class_has_its_own_latency():
    # NVIDIA/nccl src/graph/tuning.cc, hwLat, Ring/Simple: NVLink 3.4, PCIe 5.7, network 9.6 µs
    # per step; the kit scales its measured NVLink alpha by these ratios.
    nvlink = clusters.link_latency_s("NVLink 4")
    assert nvlink == pytest.approx(clusters.collective_latency_s())
    assert clusters.link_latency_s("InfiniBand NDR 4x") / nvlink == pytest.approx(9.6 / 3.4)
    assert clusters.link_latency_s("PCIe 5.0 x16") / nvlink == pytest.approx(5.7 / 3.4)
    edr = clusters.link_latency_s("InfiniBand EDR 4x")  # plus its 0.5 µs switch latency
    assert edr == pytest.approx(nvlink * 9.6 / 3.4 + 0.5e-6)


def test_unknown_interconnect_raises_key_error_with_suggestions():
    with pytest.raises(KeyError, match=r"unknown interconnect 'NVLink 9'.*NVLink"):
        clusters.collective(1e6, 8, "NVLink 9")
