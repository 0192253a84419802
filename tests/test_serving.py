"""Lesson 6, memory and latency: KV cache, fits, paged allocation, the roofline step.

Each figure is checked against a published number or one worked by hand from a
paper or datasheet, never against the code's own output.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import catalog, serving

# --------------------------------------------------------------------------- KV cache


def test_opt_13b_kv_cache_is_800_kib_per_token():
    # Kwon et al. 2023 (vLLM, arXiv 2309.06180), section 3: "the KV cache of a single
    # token demands 800 KB of space, calculated as 2 (key and value vectors) × 5120
    # (hidden state size) × 40 (number of layers) × 2 (bytes per FP16)".
    assert serving.kv_cache_bytes_per_token("OPT-13B") == 2 * 5120 * 40 * 2 == 800 * 1024


def test_gqa_models_store_a_fraction_of_mha():
    # Llama 3 8B: 32 layers, 8 KV heads of 128 (Llama 3 paper, Table 3) -> 2·32·8·128·2 B
    # = 131,072 B = 128 KiB per token, a quarter of what 32 KV heads would hold.
    assert serving.kv_cache_bytes_per_token("Llama 3 8B") == 131_072
    # Llama 2 70B: 80 layers, 8 KV heads of 128 -> 2·80·8·128·2 = 327,680 B (320 KiB).
    assert serving.kv_cache_bytes_per_token("Llama 2 70B") == 327_680
    # fp8 KV halves it
    assert serving.kv_cache_bytes_per_token("Llama 3 8B", 1) == 65_536


def test_mha_gqa_mqa_mla_table():
    table = serving.kv_bytes_by_attention("Llama 3 70B").set_index("attention")
    # 80 layers, 64 heads of 128: MHA 2·80·64·128·2 = 2,621,440 B; GQA (8 KV heads) 1/8;
    # MQA 1/64; MLA (DeepSeek-V2 Table 1): (512 + 64) · 80 · 2 B = 92,160 B.
    assert table.loc["MHA", "kv_bytes_per_token"] == 2_621_440
    assert table.loc["GQA", "vs_mha"] == pytest.approx(1 / 8)
    assert table.loc["MQA", "vs_mha"] == pytest.approx(1 / 64)
    assert table.loc["MLA", "kv_bytes_per_token"] == 92_160


# --------------------------------------------------------------------------- fits

def test_llama_3_8b_on_one_h100_at_8k_context():
    # By hand: 80 GiB (85.90 GB) · 0.9 (vLLM's default gpu_memory_utilization) = 77.31 GB;
    # weights 8.03e9 · 2 B = 16.06 GB; KV per 8,192-token sequence 8192 · 131,072 B =
    # 1.074 GB -> floor((77.31 − 16.06) / 1.074) = 57 sequences.
    plan = serving.memory_plan("Llama 3 8B", "H100 SXM", context_tokens=8192)
    assert plan.weights_gb == pytest.approx(16.06, abs=0.01)
    assert plan.kv_per_sequence_gb == pytest.approx(1.0737, abs=1e-4)
    assert plan.memory_gb == pytest.approx(85.90, abs=0.01)
    assert plan.max_sequences == 57
    assert serving.max_concurrency("Llama 3 8B", "H100 SXM", 8192) == 57


def test_llama_2_70b_does_not_fit_one_h100_but_fits_two():
    # 69.0e9 · 2 B = 138 GB of weights > 77.3 GB usable on one H100 (90 % of 80 GiB); two
    # give 154.6 GB.
    assert serving.max_concurrency("Llama 2 70B", "H100 SXM", 4096) == 0
    assert not serving.memory_plan("Llama 2 70B", "H100 SXM", context_tokens=4096).fits
    assert serving.max_concurrency("Llama 2 70B", "H100 SXM", 4096, n_gpus=2) >= 1


@settings(max_examples=30, deadline=None)
@given(context=st.integers(1, 8192), n_gpus=st.integers(1, 8))
def test_concurrency_never_rises_with_context_and_never_falls_with_chips(context, n_gpus):
    base = serving.max_concurrency("Llama 3 8B", "H100 SXM", context, n_gpus=n_gpus)
    assert serving.max_concurrency("Llama 3 8B", "H100 SXM", min(8192, context + 64),
                                   n_gpus=n_gpus) <= base
    assert serving.max_concurrency("Llama 3 8B", "H100 SXM", context,
                                   n_gpus=n_gpus + 1) >= base


# --------------------------------------------------------------------------- paged vs contiguous

def test_paged_allocation_waste_matches_the_vllm_paper():
    # Kwon et al. 2023, Figure 2: existing systems that reserve max-length (2,048-token)
    # slots store token states in only 20.4–38.2 % of their KV memory; vLLM in 96.3 %.
    # Requests of the Azure conversation trace (prompt + output, 2023) against OPT's 2,048:
    sample = serving.request_trace()
    lengths = (sample["prompt_tokens"] + sample["output_tokens"]).clip(upper=2048)
    waste = serving.kv_waste(lengths, max_tokens=2048, block_tokens=16)
    assert 0.204 <= waste.contiguous_used_fraction <= 0.70
    assert waste.paged_used_fraction >= 0.963
    assert waste.capacity_gain > 1.4


def test_kv_waste_by_hand():
    # Lengths 10 and 30 with 16-token blocks: paged reserves 16 + 32 = 48 -> 40/48;
    # contiguous at 64 reserves 128 -> 40/128.
    waste = serving.kv_waste([10, 30], max_tokens=64, block_tokens=16)
    assert waste.paged_used_fraction == pytest.approx(40 / 48)
    assert waste.contiguous_used_fraction == pytest.approx(40 / 128)


# --------------------------------------------------------------------------- quantization

def test_quantization_halves_weight_bytes_and_the_memory_bound():
    table = serving.quantization_table("Llama 3 8B", "H100 SXM", context_tokens=1024)
    bf16 = table[(table.weights == "bf16") & (table.kv_cache == "bf16")].iloc[0]
    int4 = table[(table.weights == "int4") & (table.kv_cache == "bf16")].iloc[0]
    assert int4.weights_gb == pytest.approx(bf16.weights_gb / 4)
    assert 3.5 < int4.speedup_vs_bf16 <= 4.0
    # gpt-fast (Llama 2 7B, A100, batch 1) measured 1.48× for int8 and 1.88× for int4 over
    # bf16: below the bound's 2× and 4×, as a bound must be.
    measured = catalog.assumption("gpt_fast_llama2_7b_a100_tokens_per_s").value
    int8 = catalog.assumption("gpt_fast_llama2_7b_a100_int8_tokens_per_s").value / measured
    int4_measured = catalog.assumption("gpt_fast_llama2_7b_a100_int4_tokens_per_s").value
    assert int8 < 2.0 and int4_measured / measured < 4.0


# --------------------------------------------------------------------------- latency

def test_llama_2_13b_fp16_on_a100_40gb_cannot_decode_faster_than_16_7_ms():
    # 13.0e9 parameters · 2 B = 26.0 GB read per token over 1.555 TB/s (A100 40GB
    # datasheet) = 16.7 ms per token at batch 1, whatever the software.
    result = serving.latency("Llama 2 13B", "A100 SXM 40GB", batch_size=1, prompt_tokens=128,
                             output_tokens=128, estimate="bound")
    assert result.tpot_s >= 0.0167
    assert result.tpot_s == pytest.approx(0.0167, rel=0.02)
    assert result.decode_bound == "memory"


def test_measured_batch_1_decode_lands_at_69_percent_of_the_bound():
    # gpt-fast README (pytorch-labs/gpt-fast, 2023): Llama 2 7B bf16, batch 1, one A100 80GB
    # power-limited to 330 W: 104.9 tokens/s, i.e. 1,397 GB/s of its 2,039 GB/s. The
    # roofline bound is 2,039e9 / 13.48e9 B = 151 tokens/s; the measured figure sits at
    # 69 % of it. Expected efficiency 60–80 %: kernels reach ~85 % of HBM bandwidth at
    # best, and the power cap and per-token launch overheads take the rest.
    measured = catalog.assumption("gpt_fast_llama2_7b_a100_tokens_per_s").value
    step = serving.step_time("Llama 2 7B", "A100 SXM 80GB", n_gpus=1, context_tokens=16,
                             estimate="bound")
    bound = 1.0 / step(0, 1)
    assert measured < bound
    assert 0.60 <= measured / bound <= 0.80


def test_tensor_parallel_all_reduce_explains_70b_on_8_a100s():
    # gpt-fast: Llama 2 70B bf16 at batch 1 over 8 A100 80GB (NVLink) measured 62.5 tokens/s.
    # Each of the 160 all-reduces per token (2 per layer, Megatron-LM) moves 16 KB: NCCL's
    # tuner runs it with the LL protocol, 3.6 µs + 14 hops × 0.47 µs ≈ 10.2 µs (tuning.cc),
    # not 14 ring steps of 2.9 µs: 1.7 ms per token, not 6.5 ms.
    step = serving.step_time("Llama 2 70B", "A100 SXM 80GB", n_gpus=8, context_tokens=16)
    parts = step.parts(0, 1)
    one = (3.6 + 14 * 0.47) * 1e-6 + 2 * 7 / 8 * 8192 * 2 / (300e9 * 0.822 * 0.25)
    assert parts["comm_s"] == pytest.approx(160 * one, rel=0.01)
    bound = serving.step_time("Llama 2 70B", "A100 SXM 80GB", n_gpus=8, context_tokens=16,
                              estimate="bound")
    assert 1.0 / bound(0, 1) > 62.5  # the bound is never slower than a real server
    assert 1.0 / step(0, 1) == pytest.approx(62.5, rel=0.15)  # the expected estimate
    # a large prefill all-reduce still pays the ring's bandwidth (the Simple protocol)
    big = step.parts(4096, 0)["comm_s"] / 160
    assert big == pytest.approx(2 * 7 / 8 * 4096 * 8192 * 2 / (300e9 * 0.822) + 14 * 2.87e-6,
                                rel=0.02)


def test_tpot_of_llama_2_70b_on_8_h100_is_mostly_not_communication():
    # Issue 19: at batch 1 a 70B decode step on 8 H100s may spend at most 30 % communicating.
    for estimate in serving.ESTIMATES:
        step = serving.step_time("Llama 2 70B", "H100 SXM", n_gpus=8, context_tokens=512,
                                 estimate=estimate)
        assert step.parts(0, 1)["comm_s"] / step(0, 1) <= 0.30, estimate


def test_expected_is_the_bound_at_measured_efficiencies():
    # decode at batch 1 is memory-bound: expected = bound / (1,397.31 / 2,039), gpt-fast's
    # measured share of the A100's HBM bandwidth
    kw = {"batch_size": 1, "prompt_tokens": 128, "output_tokens": 128}
    bound = serving.latency("Llama 2 13B", "A100 SXM 40GB", estimate="bound", **kw)
    expected = serving.latency("Llama 2 13B", "A100 SXM 40GB", **kw)
    assert expected.estimate == "expected" and bound.estimate == "bound"
    # (+ the step's small compute time: expected lets compute and memory not overlap)
    compute = serving.step_time("Llama 2 13B", "A100 SXM 40GB", expected.n_gpus,
                                context_tokens=192).parts(0, 1)["compute_s"]
    assert compute < 0.01 * expected.tpot_s
    assert expected.tpot_s == pytest.approx(bound.tpot_s / (1397.31 / 2039) + compute, rel=1e-6)
    # a long prefill is compute-bound: at the H100's measured matmul ceiling, 794.5 of 989;
    # expected adds the weights' read time (no overlap), the bound takes the larger
    b = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=2048, estimate="bound")
    e = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=2048)
    parts = b.parts(2048, 0)
    assert b(2048, 0) == pytest.approx(parts["compute_s"], rel=1e-9)
    assert e(2048, 0) == pytest.approx(parts["compute_s"] * 989 / 794.5
                                       + parts["memory_s"] / (1397.31 / 2039), rel=1e-6)
    cost_b = serving.serving_cost("Llama 3 8B", estimate="bound")
    cost_e = serving.serving_cost("Llama 3 8B")
    assert cost_e.blended_usd_per_mtok > cost_b.blended_usd_per_mtok
    with pytest.raises(ValueError, match="estimate"):
        serving.latency("Llama 3 8B", "H100 SXM", estimate="optimistic")


def test_prefill_is_compute_bound_and_ttft_by_hand():
    # Llama 3 8B, 2,048-token prompt on H100: 2 · 8.03e9 · 2048 FLOPs = 32.9 TFLOP, plus
    # attention 4 · L · n_ctx · d_attn (PaLM, Appendix B) at the mean position 1,024:
    # 4 · 32 · 1024 · 4096 · 2048 = 1.1 TFLOP, over 989 TFLOP/s = 34.4 ms; the weights
    # (16 GB) take 4.8 ms to read: compute-bound.
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=2048, estimate="bound")
    flops = 2 * 8_030_261_248 * 2048 + 4 * 32 * 1024 * 4096 * 2048
    assert step(2048, 0) == pytest.approx(flops / 989e12, rel=1e-6)
    assert step.bound(2048, 0) == "compute"
    assert step.bound(0, 1) == "memory"


def test_step_time_accepts_arrays():
    step = serving.step_time("Llama 3 8B", "H100 SXM")
    batches = np.array([1, 8, 64, 512])
    times = step(np.zeros(4), batches)
    assert times.shape == (4,)
    assert all(times[i] == pytest.approx(step(0, int(b))) for i, b in enumerate(batches))
    assert np.all(np.diff(times) > 0)


@settings(max_examples=30, deadline=None)
@given(b=st.integers(1, 256), p=st.integers(0, 4096))
def test_step_time_grows_with_work(b, p):
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=1024)
    assert step(p, b + 1) >= step(p, b) > 0
    assert step(p + 1, b) >= step(p, b)


def test_tpot_rises_with_batch_and_per_user_speed_falls():
    small = serving.latency("Llama 3 8B", "H100 SXM", batch_size=1)
    big = serving.latency("Llama 3 8B", "H100 SXM", batch_size=64)
    assert big.tpot_s > small.tpot_s
    assert big.tokens_per_s > 20 * small.tokens_per_s  # batching: nearly free throughput


# --------------------------------------------------------------------------- bad input

def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="prompt_tokens"):
        serving.latency("Llama 2 13B", "A100 SXM 40GB", prompt_tokens=4096, output_tokens=256)
    with pytest.raises(ValueError, match="batch_size=512"):
        serving.latency("Llama 2 13B", "A100 SXM 40GB", batch_size=512, prompt_tokens=2048,
                        n_gpus=1)
    with pytest.raises(ValueError, match="batch_size"):
        serving.latency("Llama 3 8B", "H100 SXM", batch_size=0)
    with pytest.raises(ValueError, match="context_tokens"):
        serving.step_time("Llama 2 7B", "H100 SXM", context_tokens=10_000)
    with pytest.raises(ValueError, match="bytes_per_element"):
        serving.kv_cache_bytes_per_token("Llama 3 8B", 0)
    with pytest.raises(ValueError, match="max_tokens"):
        serving.kv_waste([10, 300], max_tokens=256)
    with pytest.raises(ValueError, match="memory_utilization"):
        serving.memory_plan("Llama 3 8B", "H100 SXM", memory_utilization=1.5)
    with pytest.raises(KeyError):
        serving.kv_cache_bytes_per_token("no such model")


# --------------------------------------------------------------------------- capacity and cost

def test_replicas_never_fall_as_the_rate_rises():
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=640)
    counts = [serving.replicas_for_slo(rate, step, 512, 256, ttft_p99_s=0.5, tpot_p99_s=0.05,
                                       n_requests=800).replicas
              for rate in (10, 40, 120, 240)]
    assert counts == sorted(counts) and counts[-1] > counts[0]


def test_a_tight_tpot_target_needs_more_replicas_than_throughput_says():
    # At batch 64 a Llama 3 8B step on an H100 takes ~7 ms; a 5.5 ms p99 TPOT target
    # forces small batches, so the naive (full-batch) count is far too low.
    step = serving.step_time("Llama 3 8B", "H100 SXM", context_tokens=640, estimate="bound")
    plan = serving.replicas_for_slo(100, step, 512, 256, ttft_p99_s=0.5, tpot_p99_s=0.0055,
                                    n_requests=800)
    assert plan.replicas > 2 * plan.naive_replicas
    assert plan.p99_tpot_s <= 0.0055
    with pytest.raises(ValueError, match="tpot_p99_s"):
        serving.replicas_for_slo(100, step, 512, 256, ttft_p99_s=0.5, tpot_p99_s=0.001)


def test_self_hosted_price_per_million_tokens_by_hand():
    # Llama 3 8B on one H100 of a p5.48xlarge ($55.04/h for 8 GPUs, AWS after the June
    # 2025 cut) = $6.88 per GPU-hour. A 512-token prompt: 512 · 2 · 8.03e9 FLOPs plus
    # attention 4 · 32 · 320 (half the step's 640-token context) · 4096 per token, over
    # 989 TFLOP/s = 8.4 ms (compute-bound), so input costs
    # 6.88/3600 · 8.4e-3/512 · 1e6 / 0.5 utilization = $0.063 per Mtok.
    cost = serving.serving_cost("Llama 3 8B", "p5.48xlarge", batch_size=64, prompt_tokens=512,
                                output_tokens=256, utilization=0.5, estimate="bound")
    flops = 512 * 2 * 8_030_261_248 + 512 * 4 * 32 * 320 * 4096
    assert cost.input_usd_per_mtok == pytest.approx(6.88 / 3600 * flops / 989e12 / 512 * 1e6
                                                    / 0.5, rel=1e-6)
    # output: a batch-64 decode step is memory-bound: (16.06e9 + 64 · (640 + 1) · 131,072) B
    # over 3.35 TB/s, shared by 64 tokens
    decode = (8_030_261_248 * 2 + 64 * 641 * 131_072) / 3.35e12
    assert cost.output_usd_per_mtok == pytest.approx(6.88 / 3600 * decode / 64 * 1e6 / 0.5,
                                                     rel=1e-6)
    assert cost.output_usd_per_mtok > 5 * cost.input_usd_per_mtok


def test_breakeven_volume_by_hand():
    cost = serving.serving_cost("Llama 3 8B", "p5.48xlarge")
    deal = serving.breakeven_vs_api(cost, "GPT-5 mini")
    # GPT-5 mini: $0.25 in, $2.00 out per Mtok -> (512 · 0.25 + 256 · 2) / 768 = $0.833/Mtok;
    # one always-on H100 costs 6.88 · 24 = $165.12 a day -> 165.12 / 0.833e-6 = 198 M tokens/day.
    assert deal.api_usd_per_mtok == pytest.approx((512 * 0.25 + 256 * 2.0) / 768)
    assert deal.breakeven_tokens_per_day == pytest.approx(165.12 / (deal.api_usd_per_mtok / 1e6))


# --------------------------------------------------------------------------- measured here

def test_numpy_decode_step_runs_and_the_prediction_by_hand():
    table = serving.decode_step_measurements((1, 4), d_model=128, n_layers=1, context_tokens=8,
                                             repeats=1)
    assert list(table["batch_size"]) == [1, 4] and (table["time_s"] > 0).all()
    # 12 · 128² weights, fp32: 786,432 B; batch 1 moves 786,432 + 2·8·128·4 = 794,624 B and
    # does 2 · 196,608 + 4 · 8 · 128 = 397,312 FLOPs.
    predicted = serving.predicted_decode_step_s([1], flop_s=1e9, bandwidth_b_s=1e9, d_model=128,
                                                n_layers=1, context_tokens=8)
    assert predicted[0] == pytest.approx(794_624 / 1e9)
