"""Speculative decoding, prefix caching and prefill/decode disaggregation, each against a
published figure (issue 20, item 4)."""

from __future__ import annotations

import pytest

from stackkit import catalog, serving


def test_speculative_decoding_matches_leviathan_bigram_example():
    # Leviathan et al. 2023, §3.6: T5-XXL with a bigram draft (c = 0) on En-De has
    # α ≈ 0.2, "which leads to an inference speed improvement factor of 1.25X with γ=3"
    bigram = serving.speculative_decoding(0.2, 3, 0.0)
    assert bigram.speedup == pytest.approx(1.25, abs=0.005)
    # with c = 0 the speed-up is bounded by 1 / (1 − α) as γ grows (same section)
    assert serving.speculative_decoding(0.8, 60).speedup == pytest.approx(5.0, rel=1e-4)
    assert serving.speculative_decoding(0.8, 3).speedup < 5.0


def test_speculative_decoding_draft_cost_eats_the_gain():
    # Theorem 3.8: the same tokens per step, divided by γ c + 1; and Corollary 3.9: with
    # α > c, γ = 1 gains at least (1 + α) / (1 + c)
    free = serving.speculative_decoding(0.7, 4, 0.0)
    costly = serving.speculative_decoding(0.7, 4, 0.25)
    assert costly.tokens_per_target_step == free.tokens_per_target_step
    assert costly.speedup == pytest.approx(free.speedup / 2.0)
    assert serving.speculative_decoding(0.6, 1, 0.1).speedup == pytest.approx(1.6 / 1.1)
    assert serving.speculative_decoding(1.0, 5).tokens_per_target_step == 6.0


def test_prefix_caching_is_at_least_as_fast_and_cheap_as_anthropic_measured():
    # Anthropic, "Prompt caching with Claude" (2024-08-14): a 100,000-token cached book,
    # TTFT 11.5 s → 2.4 s (−79 %) and −90 % cost; a 10,000-token many-shot prompt,
    # 1.6 s → 1.1 s (−31 %). Those TTFTs include network and queueing that caching does
    # not remove, so the model's prefill-only ratio must be at least as good; the price
    # of a cached read is a tenth of the input price, so −90 % at a full hit.
    step = serving.step_time("Llama 3 70B", "H100 SXM", n_gpus=8, context_tokens=8192)
    haiku = catalog.api_price("Claude Haiku 4.5")
    # a long prompt beyond Llama 3's 8k context is not needed: the ratio is what is checked
    book = serving.prefix_caching(step, 8000, 0.99, haiku.input_usd_per_mtok,
                                  haiku.cached_input_usd_per_mtok)
    assert book.ttft_ratio < 2.4 / 11.5
    assert 1 - book.input_cost_ratio == pytest.approx(0.90, abs=0.01)
    shots = serving.prefix_caching(step, 8000, 0.9, haiku.input_usd_per_mtok,
                                   haiku.cached_input_usd_per_mtok)
    assert shots.ttft_ratio < 1.1 / 1.6
    none = serving.prefix_caching(step, 8000, 0.0, 1.0, 0.1)
    assert none.ttft_ratio == 1.0 and none.input_cost_ratio == 1.0


def test_prefix_caching_refuses_a_cached_price_above_the_price():
    step = serving.step_time("Llama 3 8B", "H100 SXM")
    with pytest.raises(ValueError, match="cached_input_usd_per_mtok"):
        serving.prefix_caching(step, 1000, 0.5, 1.0, 2.0)


def test_best_mix_reproduces_distserve_example():
    # DistServe (Zhong et al. OSDI 2024), §1: prefill-only 5.6 and decode-only 10 rps per
    # GPU; "by allocating 2 GPUs for prefill and 1 GPU for decoding ... 10 rps, or equally
    # 3.3 rps per GPU, which is 2.1x higher" than the colocated 1.6
    rate, n_p, n_d = serving.best_prefill_decode_mix(5.6, 10.0, max_replicas=3)
    assert (n_p, n_d) == (2, 1)
    assert rate == pytest.approx(10 / 3)
    assert rate / 1.6 == pytest.approx(2.1, abs=0.05)


def test_disaggregation_pays_off_most_under_tight_targets():
    # DistServe Figure 1's setup: a 13B model (OPT-13B), 512 in / 64 out, one A100 80GB, P90
    # targets. Colocated, each prefill stalls the decodes; split, each phase meets its own
    # target, so the tighter the targets, the more the split gains (§2.2).
    step = serving.step_time("OPT-13B", "A100 SXM 80GB", context_tokens=576)
    batch = serving.memory_plan("OPT-13B", "A100 SXM 80GB", context_tokens=576).max_sequences
    tight = serving.disaggregation(step, 512, 64, 0.2, 0.03, max_batch=batch)
    loose = serving.disaggregation(step, 512, 64, 1.0, 0.1, max_batch=batch)
    assert tight.gain > 1.1 and loose.gain < tight.gain - 0.2
    # each phase alone serves more than both together on one replica
    assert tight.prefill_rate_per_s > tight.colocated_rate_per_s
    assert tight.decode_rate_per_s > tight.colocated_rate_per_s
