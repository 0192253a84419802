"""Lesson 2, data-parallel scaling: 6ND compute, the ZeRO paper's 16 bytes per parameter,
per-link latency and oversubscription.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import catalog, clusters

FAST = settings(max_examples=40, deadline=None)


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
