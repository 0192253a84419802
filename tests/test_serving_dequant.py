"""Weight-only quantization's dequantizing cost (stackkit.serving.dequant), checked against
what the kit measured on an H200 and what gpt-fast published for an A100."""

from __future__ import annotations

import pytest

from stackkit import catalog, serving
from stackkit.serving import dequant

#: gpt-fast README (2023-11-30), Benchmarks table, one A100-80GB at 330 W, batch 1: the
#: memory bandwidth column of its 4-bit (G=32) rows, GB/s (bytes of the quantized model,
#: scales and zeros included, read per second).
GPT_FAST_A100_INT4_GB_S = {"Llama 2 7B": 862.69, "Llama 2 70B": 1097.66}


def _measured_int4_weights_per_s(model: str) -> float:
    """The H200's int4 weights per second for ``model``: the median of the table's runs."""
    rates = sorted(per_s for chip, m, per_s in dequant.measured_runs("int4")
                   if chip == "H200 SXM" and m == model)
    assert len(rates) == 3
    return rates[1]


@pytest.mark.parametrize(("width", "compute", "kernel"), [
    (2.0, 2.0, None), (1.0, 1.0, None), (4.0, 2.0, None),  # as wide as the compute
    (1.0, 2.0, "int8"), (1.5, 2.0, "int8"), (0.625, 2.0, "int4"), (0.5, 1.0, "int4")])
def test_which_kernel_dequantizes(width, compute, kernel):
    assert dequant.dequant_kernel(width, compute) == kernel


def test_int4_rate_scales_with_sms_times_clock_not_bandwidth_or_fp32():
    # The mechanism's premise, against a published measurement: the int4 kernel's rate on
    # the H200 (measured here) over gpt-fast's on an A100 (published) is the ratio of their
    # SMs × clocks, not of their memory bandwidth nor of their FP32 peaks.
    h200, a100 = catalog.accelerator("H200 SXM"), catalog.accelerator("A100 SXM 80GB")
    sm_clock = (h200.sm_count * h200.max_clock_mhz) / (a100.sm_count * a100.max_clock_mhz)
    assert sm_clock == pytest.approx(1.716, abs=0.001)
    bandwidth = h200.memory_bw_tb_s / a100.memory_bw_tb_s
    fp32 = h200.fp32_tflops / a100.fp32_tflops
    for model, gb_s in GPT_FAST_A100_INT4_GB_S.items():
        a100_rate = gb_s * 1e9 / dequant.KERNEL_BYTES_PER_WEIGHT["int4"]
        ratio = _measured_int4_weights_per_s(model) / a100_rate
        assert ratio == pytest.approx({"Llama 2 7B": 1.88, "Llama 2 70B": 1.74}[model], abs=0.01)
        assert abs(ratio - sm_clock) < abs(ratio - bandwidth) < abs(ratio - fp32)
        assert ratio == pytest.approx(sm_clock, rel=0.10)


def test_rate_is_the_median_of_the_measured_runs_per_sm_ghz():
    h200 = catalog.accelerator("H200 SXM")
    per_sm_ghz = [_measured_int4_weights_per_s(m) / (h200.sm_count * h200.max_clock_mhz / 1e3)
                  for m in GPT_FAST_A100_INT4_GB_S]
    assert min(per_sm_ghz) < dequant._per_sm_ghz("int4") < max(per_sm_ghz)
    a100 = catalog.accelerator("A100 SXM 80GB")
    assert dequant.dequant_weights_per_s(a100, 0.625, "bf16") == pytest.approx(
        dequant._per_sm_ghz("int4") * 108 * 1.41)
    assert dequant.dequant_weights_per_s(a100, 2.0, "bf16") == 0.0


def test_expected_int4_decode_is_dequantization_bound_on_an_a100():
    kw = {"n_gpus": 1, "bytes_per_param": 0.625}
    expected = serving.step_time("Llama 2 7B", "A100 SXM 80GB", **kw)
    bound = serving.step_time("Llama 2 7B", "A100 SXM 80GB", estimate="bound", **kw)
    bytes_s = expected.weight_bytes / expected.bandwidth_b_s
    assert expected.weights_s > 1.2 * bytes_s  # dequantizing is the slower of the two
    assert expected.weights_s == pytest.approx(expected.n_weights
                                               / expected.dequant_weights_per_s)
    assert bound.dequant_weights_per_s == 0 and bound.weights_s == pytest.approx(
        bound.weight_bytes / bound.bandwidth_b_s)  # the roofline reads bytes only
    # bf16 weights, and FP8 weights on FP8 tensor cores, dequantize nothing
    for kw in ({}, {"precision": "fp8"}):
        step = serving.step_time("Llama 2 7B", "H100 SXM", n_gpus=1, **kw)
        assert step.dequant_weights_per_s == 0
        assert step.weights_s == pytest.approx(step.weight_bytes / step.bandwidth_b_s)


def test_int4_on_a100_runs_faster_than_int8_but_far_from_the_bytes_ratio():
    # gpt-fast: int4 1.26× int8's tokens/s on the 7B, 1.32× on the 70B, where the bytes
    # say 1.6× (1 against 0.625 bytes a weight)
    for model, published in (("Llama 2 7B", 196.80 / 155.58), ("Llama 2 70B", 25.25 / 19.13)):
        def rate(width, model=model):
            return 1 / serving.latency(model, "A100 SXM 80GB", 1, 16, 128, n_gpus=1,
                                       bytes_per_param=width).tpot_s
        kit = rate(0.625) / rate(1.0)
        assert 1.0 < kit < 1.6
        assert kit == pytest.approx(published, rel=0.35)


def test_a_chip_without_sms_in_the_catalog_says_why_it_cannot_dequantize():
    with pytest.raises(ValueError, match=r"bytes_per_param=0\.5 is narrower than "
                       r"precision='bf16' .*no SM count or clock for TPU v5e"):
        serving.step_time("Llama 2 7B", "TPU v5e", n_gpus=1, bytes_per_param=0.5)
    step = serving.step_time("Llama 2 7B", "TPU v5e", n_gpus=1, bytes_per_param=0.5,
                             estimate="bound")
    assert step.weights_s > 0


def test_catalog_sms_and_clock_match_what_the_h200_run_read():
    # PyTorch's multi_processor_count and nvidia-smi's clocks.max.sm on the lent H200
    frame = catalog.gpu_measurements()
    card = frame[frame["measurement"] == "total_memory_bytes"]["detail"].iloc[0]
    assert '"sms": 132' in card and "1980 MHz" in card
    h200 = catalog.accelerator("H200 SXM")
    assert (h200.sm_count, h200.max_clock_mhz) == (132, 1980)
    with_sms = catalog.accelerators().dropna(subset=["sm_count"])
    assert {"A100 SXM 80GB", "H100 SXM", "H200 SXM", "L40S", "MI250X"} <= set(with_sms["name"])
    assert (with_sms["sm_count"] > 0).all() and (with_sms["max_clock_mhz"] > 500).all()


def test_a_contiguous_cache_may_fill_the_memory():
    # TensorRT-LLM 0.6.1's Llama 2 7B at batch 60, 128 in / 2,048 out on one A100: 81.9 GB of
    # weights and KV, more than vLLM's 90 % of 80 GiB, less than the whole of it
    args = ("Llama 2 7B", "A100 SXM 80GB", 60, 128, 2048)
    with pytest.raises(ValueError, match="at most 55 sequences fit"):
        serving.latency(*args, n_gpus=1)
    assert serving.latency(*args, n_gpus=1, memory_utilization=1.0).tpot_s > 0
    with pytest.raises(ValueError, match="memory_utilization"):
        serving.latency(*args, n_gpus=1, memory_utilization=1.5)
