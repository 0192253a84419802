"""Today's training techniques (lesson 5): FSDP, FlashAttention, context and expert
parallelism, FP8 — each against a published figure."""

from __future__ import annotations

import dataclasses

import pytest

from stackkit import catalog, training

GPT3 = catalog.ModelSpec(
    name="GPT-3 175B", family="GPT", n_layers=96, d_model=12288, n_heads=96, n_kv_heads=96,
    d_ff=4 * 12288, vocab_size=50257, ffn_kind="gelu", n_experts=1, experts_per_token=1,
    tied_embeddings=True, context_length=2048, params=175_000_000_000,
    source="Brown et al. 2020, Table 2.1", as_of=catalog.model("Llama 3 70B").as_of)


def test_fsdp_names_are_pytorchs():
    # PyTorch ShardingStrategy: FULL_SHARD is ZeRO-3, SHARD_GRAD_OP ZeRO-2
    assert training.fsdp_strategy(3) == "FULL_SHARD"
    assert training.fsdp_strategy(2) == "SHARD_GRAD_OP"
    with pytest.raises(ValueError, match="zero_stage"):
        training.fsdp_strategy(4)


def test_zero3_moves_one_and_a_half_times_the_baseline():
    # Rajbhandari et al. 2020, section 7: baseline DP 2Ψ, ZeRO-1/2 the same, ZeRO-3 3Ψ (1.5x)
    base = training.data_parallel_traffic_gb(7.5e9, 0, 1024)
    assert training.data_parallel_traffic_gb(7.5e9, 2, 1024) == pytest.approx(base)
    assert training.data_parallel_traffic_gb(7.5e9, 3, 1024) / base == pytest.approx(1.5)
    assert base == pytest.approx(2 * 7.5e9 * 2 / 1e9, rel=1e-3)  # 2Ψ values of 2 bytes


def test_flash_attention_drops_the_score_matrices_korthikanti_count():
    # Korthikanti et al. 2022, section 5: dropping the attention scores saves 70 % of
    # GPT-3 175B's activation memory (5as/h = 80 of 34 + 80 bytes per sbh)
    flash = training.flash_attention(GPT3, 2048)
    assert flash.score_share == pytest.approx(0.70, abs=0.01)
    # FlashAttention-2 (Dao 2023, section 4.1): causal halves the forward, backward = 2.5 ×
    assert flash.executed_attention_flops / flash.counted_attention_flops == pytest.approx(
        7 / 12)


def test_context_parallel_16_is_the_smallest_that_fits_llama3s_long_stage():
    # Llama 3 Herd of Models, Table 4: 131,072-token sequences on 16,384 H100s as
    # TP 8 x CP 16 x PP 16 x DP 8. 128 layer slots: section 3.3.2 takes one layer off the
    # first and the last stage to balance 126 layers over 16 stages.
    spec = dataclasses.replace(catalog.model("Llama 3.1 405B"), n_layers=128)
    runs = {cp: training.context_parallel(spec, "H100 SXM", 131072, cp, tp=8, pp=16,
                                          dp=128 // cp) for cp in (1, 2, 4, 8, 16)}
    assert runs[16].n_gpus == 16384
    near = {cp: r.memory.total_gb <= 1.15 * r.memory.capacity_gb for cp, r in runs.items()}
    assert near == {1: False, 2: False, 4: False, 8: False, 16: True}
    assert runs[16].attention_share_of_model_flops > 0.5  # at 128K attention outweighs 6N


def test_deepseek_node_limited_routing_cuts_cross_node_traffic():
    # DeepSeek-V3 report, section 3.2.2: 8 routed experts of 256 over 8 nodes (EP 64), each
    # token sent to at most 4 nodes, dispatched in FP8 and combined in BF16
    free = training.expert_traffic("DeepSeek-V3", 64, 8)
    limited = training.expert_traffic("DeepSeek-V3", 64, 8, max_nodes_per_token=4,
                                      dispatch_bytes=1, combine_bytes=2)
    assert free.nodes_per_token == pytest.approx(8 * (1 - (7 / 8) ** 8))
    assert limited.nodes_per_token == 4
    assert limited.dispatch_bytes_per_token == pytest.approx(4 * 7 / 8 * 7168)
    with pytest.raises(ValueError, match="dense"):
        training.expert_traffic("Llama 3 8B", 8)


def test_fp8_doubles_hoppers_peak_and_barely_shrinks_the_states():
    # NVIDIA H100 SXM datasheet: 1,979 dense FP8 vs 989 dense BF16 TFLOP/s
    fp8 = training.fp8_training("H100 SXM")
    assert fp8.peak_ratio == pytest.approx(1979 / 989)
    assert fp8.bf16_state_bytes_per_param == 16 and fp8.fp8_state_bytes_per_param == 14
    with pytest.raises(ValueError, match="fp8"):
        training.fp8_training("A100 SXM 80GB")
