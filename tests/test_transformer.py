"""stackkit.transformer against published parameter counts, FLOP formulas and KV sizes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import catalog, chips, transformer


@pytest.mark.parametrize("name", list(catalog.models().index))
def test_parameter_count_from_architecture_within_3_percent_of_published(name):
    """Published counts: the papers' tables and the model cards (sources in data/models.csv)."""
    assert transformer.param_count(name) == pytest.approx(catalog.model(name).params, rel=0.03)


def test_mixtral_active_parameters():
    """Mixtral 8x7B: 46.7B total, 12.9B active per token (Jiang et al. 2024, arXiv 2401.04088)."""
    assert transformer.active_param_count("Mixtral 8x7B") == pytest.approx(12.9e9, rel=0.02)
    assert transformer.active_fraction("Mixtral 8x7B") == pytest.approx(12.9 / 46.7, rel=0.02)
    assert transformer.active_fraction("Llama 3 8B") == 1.0


def test_kv_cache_per_token_matches_vllm_paper():
    """Kwon et al. 2023 (vLLM, SOSP), section 3: OPT-13B needs 2 · 5120 · 40 · 2 B = 800 KB
    of KV cache per token in FP16."""
    assert transformer.kv_cache_bytes_per_token("OPT-13B") == 819_200
    assert transformer.kv_cache_bytes_per_token("OPT-13B", bytes_per_element=1) == 409_600


def test_llama_3_70b_kv_cache_is_320_kib_per_token_in_bf16():
    """Grouped-query attention: 80 layers · 8 KV heads · 128 dims · 2 (K, V) · 2 B = 327,680 B
    per token (Llama 3 70B config: 8 KV heads of 64 query heads; Ainslie et al. 2023)."""
    assert transformer.kv_cache_bytes_per_token("Llama 3 70B") == 327_680


def test_weight_bytes_use_the_published_count():
    """Llama 3 8B in BF16: 8.03e9 parameters (model card) · 2 B ≈ 16 GB."""
    spec = catalog.model("Llama 3 8B")
    assert transformer.weight_bytes(spec) == spec.params * 2
    assert transformer.weight_bytes("Llama 3 8B", bytes_per_param=1) == pytest.approx(8.03e9,
                                                                                      rel=0.01)


def test_forward_flops_are_2n_plus_palm_attention_term():
    """Forward FLOPs per token 2N (Kaplan et al. 2020, Table 1); with context, PaLM Appendix B
    counts 6N + 12·L·H·Q·T per trained token, a third of which is the forward pass:
    GPT-3 175B (L = 96, H·Q = 12,288) at T = 2048 adds 4 · 96 · 2048 · 12,288 ≈ 9.66 GFLOP."""
    spec = catalog.model("GPT-3 175B")
    assert transformer.flops_per_token(spec) == 2 * spec.params
    extra = transformer.flops_per_token(spec, context_tokens=2048) - 2 * spec.params
    assert extra == pytest.approx(4 * 96 * 2048 * 12_288)
    training = 3 * transformer.flops_per_token(spec, 2048)
    assert training == pytest.approx(6 * spec.params + 12 * 96 * 96 * 128 * 2048)


def test_moe_forward_flops_use_active_parameters():
    """Mixtral: about 2 · 12.9e9 FLOPs per token, not 2 · 46.7e9 (Jiang et al. 2024)."""
    assert transformer.flops_per_token("Mixtral 8x7B") == pytest.approx(2 * 12.9e9, rel=0.03)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 64), c=st.integers(0, 4096))
def test_prefill_is_the_sum_of_its_tokens(n, c):
    spec = catalog.model("Llama 3 8B")
    total = sum(transformer.flops_per_token(spec, c + i) for i in range(n))
    assert transformer.prefill_flops(spec, n, c) == pytest.approx(total, rel=1e-12)
    assert transformer.decode_flops_per_token(spec, c) == transformer.flops_per_token(spec, c)


def test_step_work_is_what_chips_puts_on_the_roofline():
    """chips' decode intensity is transformer's work, divided: one home for the arithmetic."""
    work = transformer.decode_work("Llama 3 8B", batch_size=4, context_tokens=100)
    assert chips.decode_intensity("Llama 3 8B", 4, 100) == work.intensity_flop_per_byte
    assert work.kv_bytes == 4 * 101 * transformer.kv_cache_bytes_per_token("Llama 3 8B")
    with_attention = transformer.decode_work("Llama 3 8B", 4, 100, attention=True)
    assert with_attention.flops == pytest.approx(
        4 * transformer.flops_per_token("Llama 3 8B", 100))
    prefill = transformer.prefill_work("Llama 3 8B", 512, attention=True)
    assert prefill.flops == transformer.prefill_flops("Llama 3 8B", 512)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: transformer.flops_per_token("Llama 3 8B", -1), "context_tokens must be a whole"),
    (lambda: transformer.flops_per_token("Llama 3 8B", 1.5), "context_tokens must be a whole"),
    (lambda: transformer.prefill_flops("Llama 3 8B", 0), "n_tokens must be a whole number"),
    (lambda: transformer.weight_bytes("Llama 3 8B", 0), "bytes_per_param must be greater"),
    (lambda: transformer.kv_cache_bytes_per_token("OPT-13B", -2), "bytes_per_element"),
    (lambda: transformer.decode_work("Llama 3 8B", batch_size=0), "batch_size"),
])
def test_bad_input_names_the_parameter(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_unknown_model_is_a_key_error():
    with pytest.raises(KeyError, match="unknown model"):
        transformer.param_count("Llama 9 1T")


# --------------------------------------------------------------------------- MLA and DeepSeek-V3

def test_deepseek_v3_counts_from_its_architecture():
    # DeepSeek-V3 Technical Report (arXiv 2412.19437), section 1: 671B parameters, 37B
    # activated per token; MLA (d_c 512 + RoPE 64), 1 shared + 256 routed experts (top 8),
    # first 3 layers dense, 61 layers.
    assert transformer.param_count("DeepSeek-V3") == pytest.approx(671e9, rel=0.01)
    assert transformer.active_param_count("DeepSeek-V3") == pytest.approx(37e9, rel=0.03)
    # MLA caches one latent and one RoPE key per layer: 61 · (512 + 64) · 2 B, about 70 KB
    # (Zhao et al. 2025), not the 2 · 61 · 128 · 56 · 2 B of multi-head attention
    assert transformer.kv_cache_bytes_per_token("DeepSeek-V3") == 61 * 576 * 2
    # attention FLOPs per context token: scores over 128 + 64, values of 128, 128 heads
    spec = catalog.model("DeepSeek-V3")
    assert (transformer.flops_per_token(spec, 1000) - transformer.flops_per_token(spec, 0)
            == pytest.approx(2 * 61 * 1000 * 128 * (2 * 128 + 64)))


def test_an_attention_kind_the_kit_does_not_model_raises():
    import dataclasses
    spec = catalog.model("Llama 3 8B")
    with pytest.raises(ValueError, match="attention"):
        dataclasses.replace(spec, attention="sliding-window")
    with pytest.raises(ValueError, match="kv_latent_dim"):
        dataclasses.replace(spec, attention="mla")
    with pytest.raises(ValueError, match="ffn_kind"):
        dataclasses.replace(spec, ffn_kind="geglu")
