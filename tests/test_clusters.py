"""Layer 2 — clusters: collectives, scaling, power, failures, ownership.

Each model is checked against a published figure (named with its source) or a
hand calculation written out in the test; hypothesis covers the invariants.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import catalog, clusters

GIB = 2**30
FAST = settings(max_examples=40, deadline=None)


# --------------------------------------------------------------------------- collectives

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


# --------------------------------------------------------------------------- data parallel

def test_data_parallel_compute_is_6ND_over_achieved_flops():
    # Kaplan et al. 2020: training costs 6 FLOPs per parameter per token.
    # 7e9 params, 4e6 tokens on 8 GPUs at 400 TFLOP/s: 6·7e9·4e6 / (8·400e12) = 52.5 s
    step = clusters.data_parallel_step(7e9, 4e6, 8, achieved_tflops=400)
    assert step.compute_s == pytest.approx(52.5)
    assert step.gradient_bytes == pytest.approx(14e9)  # bf16 gradients


def test_default_compute_rate_has_no_communication_in_it():
    # stas00/ml-engineering "Maximum Achievable Matmul FLOPS": H100 SXM 794.5 TFLOP/s BF16.
    # Llama 3's 400 TFLOP/s per GPU (Table 4) is end to end, communication included: using it
    # and then adding the all-reduce would count communication twice.
    step = clusters.data_parallel_step(1e9, 1e6, 1, chip="H100 SXM")
    assert 6 * 1e9 * 1e6 / step.compute_s / 1e12 == pytest.approx(794.5)
    assert step.achieved_tflops > catalog.assumption("llama3_achieved_bf16_tflops_per_gpu").value


def test_data_parallel_limits_match_the_zero_paper_and_the_batch():
    # Rajbhandari et al. 2020 (ZeRO), section 3.1 and Figure 1: mixed-precision Adam keeps
    # 16 bytes per parameter, "a 7.5B parameter model ... 120 GB" per data-parallel copy.
    step = clusters.data_parallel_step(7.5e9, 4e6, 512, chip="H100 SXM")
    assert step.model_state_gb_per_gpu == pytest.approx(120)
    assert not step.fits_in_memory  # 120 GB > 80 GB: pure data parallelism cannot hold it
    # 4M tokens of 8,192-token sequences is 488 sequences: 512 GPUs cannot each get one.
    assert step.sequences_per_step == pytest.approx(488.28, abs=0.01)
    assert not step.within_batch
    assert clusters.data_parallel_step(7.5e9, 4e6, 256, chip="H100 SXM").within_batch
    assert clusters.data_parallel_step(1e9, 4e6, 8, chip="H100 SXM").fits_in_memory


def test_each_link_class_has_its_own_latency():
    # NVIDIA/nccl src/graph/tuning.cc, hwLat, Ring/Simple: NVLink 3.4, PCIe 5.7, network 9.6 µs
    # per step; the kit scales its measured NVLink alpha by these ratios.
    nvlink = clusters.link_latency_s("NVLink 4")
    assert nvlink == pytest.approx(clusters.collective_latency_s())
    assert clusters.link_latency_s("InfiniBand NDR 4x") / nvlink == pytest.approx(9.6 / 3.4)
    assert clusters.link_latency_s("PCIe 5.0 x16") / nvlink == pytest.approx(5.7 / 3.4)
    edr = clusters.link_latency_s("InfiniBand EDR 4x")  # plus its 0.5 µs switch latency
    assert edr == pytest.approx(nvlink * 9.6 / 3.4 + 0.5e-6)


@FAST
@given(exponent=st.integers(3, 13))
def test_more_gpus_lower_compute_but_raise_communication(exponent):
    n = 2**exponent
    a = clusters.data_parallel_step(7e9, 4e6, n, overlap=False)
    b = clusters.data_parallel_step(7e9, 4e6, 2 * n, overlap=False)
    assert b.compute_s < a.compute_s
    assert b.allreduce_s > a.allreduce_s
    assert b.scaling_efficiency <= a.scaling_efficiency


def test_overlap_hides_communication_and_faster_networks_scale_better():
    plain = clusters.data_parallel_step(7e9, 4e6, 1024, overlap=False)
    overlapped = clusters.data_parallel_step(7e9, 4e6, 1024, overlap=True)
    assert overlapped.step_s == pytest.approx(max(plain.compute_s, plain.allreduce_s))
    assert plain.step_s == pytest.approx(plain.compute_s + plain.allreduce_s)
    frame = clusters.scaling_sweep([1024], ["NVLink 4", "InfiniBand NDR 4x", "Ethernet 100GbE"],
                                   7e9, 4e6)
    eff = list(frame["scaling_efficiency"])
    assert eff[0] > eff[1] > eff[2]


def test_oversubscription_divides_scale_out_bandwidth():
    # Llama 3 (arXiv 2407.21783, 3.3.1): aggregation layer oversubscribed 1:7
    assert clusters.oversubscribed_gb_s(50.0, 7) == pytest.approx(50 / 7)
    full = clusters.data_parallel_step(7e9, 4e6, 1024, overlap=False)
    thin = clusters.data_parallel_step(7e9, 4e6, 1024, overlap=False, oversubscription=7)
    assert thin.allreduce_s > full.allreduce_s
    with pytest.raises(ValueError, match="oversubscription"):
        clusters.oversubscribed_gb_s(50.0, 0.5)


def test_data_parallel_rejects_partial_nodes():
    with pytest.raises(ValueError, match="multiple of gpus_per_node"):
        clusters.data_parallel_step(7e9, 4e6, 12, gpus_per_node=8)


# --------------------------------------------------------------------------- power

def test_10000_h100_chips_draw_7_mw():
    # H100 SXM TDP 700 W (NVIDIA datasheet): 10,000 x 700 W = 7 MW for the chips alone.
    assert clusters.gpu_power_mw(10_000, "H100 SXM") == pytest.approx(7.0)


def test_dgx_h100_node_and_facility_power():
    # DGX H100 User Guide: 10.2 kW per 8-GPU system.
    power = clusters.cluster_power(1024, "H100 SXM", pue=1.10)
    assert power.node_power_kw == pytest.approx(10.2)
    assert power.n_nodes == 128
    # hand calculation: 128 · 10.2 kW = 1.3056 MW; × 1.10 = 1.43616 MW; a year 12,580.76 MWh
    assert power.it_mw == pytest.approx(1.3056)
    assert power.facility_mw == pytest.approx(1.43616)
    assert power.annual_mwh == pytest.approx(1.43616 * 8760)
    assert power.annual_electricity_usd == pytest.approx(1.43616 * 8760 * 1000 * 0.0806)
    assert power.annual_co2_tonnes is None


def test_co2_only_when_an_intensity_is_given():
    power = clusters.cluster_power(8, "H100 SXM", pue=1.0, grid_kg_co2_per_kwh=0.4)
    # 10.2 kW · 8,760 h = 89.352 MWh; × 0.4 t/MWh = 35.74 t
    assert power.annual_co2_tonnes == pytest.approx(89.352 * 0.4)


def test_default_pue_is_the_uptime_average_and_google_is_lower():
    it = clusters.it_power_mw(1000, "H100 SXM")
    assert clusters.facility_power_mw(1000, "H100 SXM") == pytest.approx(it * 1.56)
    google = catalog.assumption("pue_google_fleet").value
    assert google == pytest.approx(1.10)
    assert clusters.facility_power_mw(1000, "H100 SXM", pue=google) < it * 1.56


@FAST
@given(n=st.integers(1, 200_000), pue=st.floats(1.0, 3.0),
       chip=st.sampled_from(["H100 SXM", "B200", "MI300X", "L4", "A100 SXM 80GB"]))
def test_facility_at_least_it_at_least_chips(n, pue, chip):
    chips = clusters.gpu_power_mw(n, chip)
    it = clusters.it_power_mw(n, chip)
    facility = clusters.facility_power_mw(n, chip, pue=pue)
    assert facility >= it >= chips > 0


def test_rack_power():
    # four DGX H100 per rack: 4 · 10.2 kW = 40.8 kW
    assert clusters.rack_power_kw("H100 SXM", 4) == pytest.approx(40.8)


# --------------------------------------------------------------------------- reliability

def test_llama3_per_gpu_mtbf():
    # Llama 3 paper (arXiv 2407.21783, section 3.3.4): 419 unexpected interruptions in
    # 54 days on 16,384 GPUs -> 16,384 · 54 · 24 / 419 = 50,677 GPU-hours per failure.
    assert clusters.llama3_gpu_mtbf_hours() == pytest.approx(16_384 * 54 * 24 / 419)
    assert clusters.llama3_gpu_mtbf_hours() == pytest.approx(50_677, rel=1e-4)


def test_llama3_cluster_fails_about_every_3_hours():
    # The paper: "about one every three hours" on the 16K-GPU job
    hours = clusters.mtbf_hours(16_384, clusters.llama3_gpu_mtbf_hours())
    assert 2.5 < hours < 3.5
    assert clusters.expected_interruptions(16_384, 54 * 24) == pytest.approx(419)


def test_young_daly_against_hand_calculation():
    # delta = 60 s, M = 3 h = 10,800 s: sqrt(2 · 60 · 10,800) = sqrt(1,296,000) = 1,138.42 s
    assert clusters.young_daly_interval_s(60, 10_800) == pytest.approx(1138.42, abs=0.01)


def test_goodput_against_hand_calculation():
    # tau = 1,200 s, delta = 60 s, R = 600 s, M = 10,800 s:
    # 1 - 60/1200 - (600 + 600)/10800 = 1 - 0.05 - 0.11111 = 0.83889
    assert clusters.goodput(60, 600, 10_800, 1200) == pytest.approx(0.838889, abs=1e-6)
    # failures faster than recovery: clipped at zero, never negative
    assert clusters.goodput(600, 3600, 1800, 100) == 0.0


@FAST
@given(delta=st.floats(1, 3600), m=st.floats(3600, 1e7), factor=st.floats(0.2, 5))
def test_young_daly_interval_maximises_goodput(delta, m, factor):
    best = clusters.young_daly_interval_s(delta, m)
    worse = clusters.goodput(delta, 0, m, best * factor)
    assert clusters.goodput(delta, 0, m, best) >= worse - 1e-12
    assert 0 <= clusters.goodput(delta, 0, m) <= 1


@FAST
@given(n=st.integers(1, 10**6))
def test_cluster_mtbf_falls_as_one_over_n(n):
    assert clusters.mtbf_hours(n, 50_000) == pytest.approx(50_000 / n)


def test_cluster_reliability_bundles_the_pieces():
    r = clusters.cluster_reliability(16_384, 54, checkpoint_s=60, restart_s=600)
    assert r.expected_interruptions == pytest.approx(419)
    assert r.interval_s == pytest.approx(math.sqrt(2 * 60 * r.cluster_mtbf_hours * 3600))
    assert 0 < r.goodput < 1
    assert "goodput" in r._repr_html_()


# --------------------------------------------------------------------------- ownership

def test_owned_cost_hand_calculation_and_argument_order():
    # $30,000 over 4 years = 30,000 / 35,040 h = $0.856/h; power (700 + 575) W · 1.2 · $0.10
    cost = clusters.owned_cost("H100 SXM", 30_000, 4.0, 1.2, 0.10, 0.5, network_fraction=0,
                               facility_usd_per_kw_month=0)
    assert cost.capital_usd_per_gpu_hour == pytest.approx(30_000 / 35_040)
    assert cost.power_usd_per_gpu_hour == pytest.approx(1.275 * 1.2 * 0.10)
    assert cost.usd_per_gpu_hour == pytest.approx(30_000 / 35_040 + 0.153 + 0.5)
    assert cost.usd_per_used_gpu_hour(0.5) == pytest.approx((30_000 / 35_040 + 0.5) / 0.5 + 0.153)


def test_owned_cost_counts_server_network_and_facility():
    # Network: Epoch AI's cost model puts the cluster network at 19 % of cluster hardware
    # (CLUSTER_INTERCONNECT_COST_FRACTION, Cottier et al. 2024), so server x 0.19 / 0.81.
    # Facility: CBRE North America Data Center Trends H2 2024, $184.06 per kW-month of
    # wholesale colocation; an H100 with its host share draws 1.275 kW: 1.275 x 184.06 / 730 h.
    cost = clusters.owned_cost("H100 SXM")
    server = 33_750 / 35_040
    assert cost.network_usd_per_gpu_hour / (server + cost.network_usd_per_gpu_hour) == \
        pytest.approx(0.19)
    assert cost.facility_usd_per_gpu_hour == pytest.approx(1.275 * 184.06 / 730)
    assert cost.fixed_usd_per_gpu_hour == pytest.approx(server / 0.81 + 1.275 * 184.06 / 730)
    assert 1.6 < cost.usd_per_gpu_hour < 1.75  # about $1.67 per busy GPU-hour


def test_default_server_price_is_the_dgx_estimate():
    # SemiAnalysis (May 2023) DGX H100 ~ $270,000 -> $33,750 per GPU
    assert clusters.server_price_usd_per_gpu("H100 SXM") == pytest.approx(33_750)
    # DGX A100 launch price $199,000 -> $24,875 per GPU
    assert clusters.server_price_usd_per_gpu("A100 SXM 40GB") == pytest.approx(24_875)
    cost = clusters.owned_cost("H100 SXM")
    assert cost.capital_usd_per_gpu_hour == pytest.approx(33_750 / (4 * 8760))


def test_cluster_summary_defaults():
    s = clusters.cluster_summary()
    assert s.n_nodes == 128 and s.chips_mw == pytest.approx(1024 * 700 / 1e6)
    owned = clusters.owned_cost("H100 SXM").usd_per_gpu_hour
    assert s.owned_usd_per_gpu_hour == pytest.approx(owned)
    assert clusters.cluster_summary("B200", 64).owned_usd_per_gpu_hour is None
    assert "chips_mw" in s.to_frame().columns and "power" not in s.to_frame().columns


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, match", [
    (lambda: clusters.gpu_power_mw(0, "H100 SXM"), "n_gpus"),
    (lambda: clusters.gpu_power_mw(-8, "H100 SXM"), "n_gpus"),
    (lambda: clusters.allreduce_seconds(1e9, 0, 100.0), "n_ranks"),
    (lambda: clusters.allreduce_seconds(-1, 8, 100.0), "size_bytes"),
    (lambda: clusters.allreduce_seconds(1e9, 8, 0.0), "bandwidth_gb_s"),
    (lambda: clusters.allreduce_seconds(1e9, 8, 100.0, algorithm="star"), "algorithm"),
    (lambda: clusters.facility_power_mw(8, "H100 SXM", pue=0.9), r"pue must be in \[1, 3\]"),
    (lambda: clusters.cluster_power(8, "H100 SXM", pue=0.5), "pue"),
    (lambda: clusters.owned_cost("H100 SXM", 30_000, pue=0.95), "pue"),
    (lambda: clusters.gpu_power_mw(8, "TPU v5e"), "no published TDP"),
    (lambda: clusters.mtbf_hours(8, 0), "gpu_mtbf_hours"),
    (lambda: clusters.young_daly_interval_s(0, 3600), "checkpoint_s"),
    (lambda: clusters.server_price_usd_per_gpu("B200"), "no sourced server price"),
    (lambda: clusters.cluster_summary(network="NVLink 4"), "scale-out"),
    (lambda: clusters.collective(1e6, 8, "NVLink 4", efficiency=1.5), "efficiency"),
])
def test_bad_input_raises_clear_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_unknown_interconnect_raises_key_error_with_suggestions():
    with pytest.raises(KeyError, match=r"unknown interconnect 'NVLink 9'.*NVLink"):
        clusters.collective(1e6, 8, "NVLink 9")


def test_cluster_summary_allreduce_matches_measured_nvlink_bus_bandwidth():
    """8x H100 over NVLink 4: nccl-tests all-reduce busbw ≈ 370 GB/s (Austin et al., *How to
    Scale Your Model*, 2025; NVIDIA GTC25 S72583). A 10 GB all-reduce moves 2·7/8 of it per
    GPU: 10e9 · 1.75 / 370e9 = 47.3 ms, plus 14 steps of ≈ 2.9 µs latency."""
    s = clusters.cluster_summary("H100 SXM", n_gpus=8)
    assert s.allreduce_size_bytes == 10e9 and s.allreduce_size_gb == 10
    assert s.allreduce_s == pytest.approx(10e9 * 2 * 7 / 8 / 370e9, rel=0.01)


def test_cluster_summary_failures_per_day_match_llama3():
    """Llama 3 405B on 16,384 H100s: 419 unexpected interruptions in 54 days (arXiv
    2407.21783, Table 5), 7.8 a day."""
    s = clusters.cluster_summary("H100 SXM", n_gpus=16_384)
    assert s.interruptions_per_day == pytest.approx(419 / 54, rel=1e-6)
    assert s.cluster_mtbf_hours == pytest.approx(54 * 24 / 419, rel=1e-6)


def test_cluster_summary_names_a_bad_parameter_instead_of_answering():
    with pytest.raises(ValueError, match="pue"):
        clusters.cluster_summary(pue=0.5)
    with pytest.raises(ValueError, match="usd_per_kwh"):
        clusters.cluster_summary(usd_per_kwh=-1)
    with pytest.raises(ValueError, match="gpu_mtbf_hours"):
        clusters.cluster_summary(gpu_mtbf_hours=0)
