"""Layer 5 — training: compute, scaling laws and memory against published figures.

Each test names the figure it checks and where it was published; hypothesis
covers the invariants (memory falls with ZeRO stage and tensor parallelism).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import catalog, training

FAST = settings(max_examples=40, deadline=None)


# --------------------------------------------------------------------------- compute

def test_palm_540b_training_flops():
    # Chowdhery et al. 2022 (PaLM), model card / Table 20: 540B parameters, 780B tokens,
    # 2.527e24 training FLOPs.
    assert training.flops(540e9, 780e9) == pytest.approx(2.527e24, rel=1e-3)


def test_gpt3_training_flops():
    # Brown et al. 2020, Table D.1: GPT-3 175B took 3.14e23 FLOPs (3.64e3 petaflop/s-days).
    assert training.flops(175e9, 300e9) == pytest.approx(3.14e23, rel=0.01)


def test_gpt3_takes_34_days_on_1024_a100():
    # Narayanan et al. 2021, section 5.1: 8TP/(nX) with T = 300B tokens, P = 175B,
    # n = 1,024 A100s, X = 140 TFLOP/s per GPU -> "about 34 days".
    c = training.flops(175e9, 300e9, recompute="full")
    assert training.days(c, 1024, 140) == pytest.approx(34, rel=0.02)


def test_full_recompute_is_8nd():
    assert training.flops(1e9, 1e9, "full") / training.flops(1e9, 1e9) == pytest.approx(8 / 6)
    assert training.flops(1e9, 1e9, "selective") == training.flops(1e9, 1e9)


def test_llama3_405b_compute_and_gpu_hours():
    # Llama 3 Herd of Models (arXiv 2407.21783), section 3.1 / Table 4 and the model card:
    # 3.8e25 FLOPs on 15.6T tokens; 30.84M H100 GPU-hours for 405B; 400 TFLOP/s per GPU
    # on 16,384 GPUs, 380 at 131K context; "more than 90 % effective training time".
    c = training.flops(405e9, 15.6e12)
    assert c == pytest.approx(3.8e25, rel=0.01)
    at_400 = training.gpu_hours(3.8e25, 400)
    assert at_400 == pytest.approx(30.84e6, rel=0.20)  # the rest is goodput and slower phases
    # 380 TFLOP/s at 90 % goodput accounts for the published figure
    assert training.gpu_hours(3.8e25, 380) / 0.90 == pytest.approx(30.84e6, rel=0.02)


def test_llama3_405b_mfu():
    # Llama 3 paper Table 4: 16,384 H100s at 400 TFLOP/s per GPU = 41 % BF16 MFU
    # (of the 989 TFLOP/s dense BF16 peak, 400 / 989 = 40.4 %).
    per_token = training.training_flops_per_token("Llama 3.1 405B", 8192)
    tokens_per_s = 16384 * 400e12 / per_token
    u = training.utilization(tokens_per_s, "Llama 3.1 405B", 16384, "H100 SXM", 8192)
    assert u.mfu == pytest.approx(0.41, abs=0.01)
    assert u.hfu == pytest.approx(u.mfu)  # no recomputation: hardware FLOPs = model FLOPs
    full = training.utilization(tokens_per_s, "Llama 3.1 405B", 16384, "H100 SXM", 8192,
                                recompute="full")
    assert full.hfu > full.mfu


def test_attention_flops_term_matches_palm_and_megatron():
    # PaLM Appendix B: 12·L·H·Q·T per token; PaLM 540B: L = 118, H = 48, Q = 256, T = 2048.
    assert training.attention_flops_per_token(118, 48 * 256, 2048) == 12 * 118 * 48 * 256 * 2048
    # Narayanan et al. 2021 eq. (3): 96·B·s·l·h²·(s / 6h) = 16·B·s²·l·h with recomputation
    b, s, l_, h = 4, 2048, 24, 2304
    assert training.attention_flops_per_token(l_, h, s, "full") * b * s == pytest.approx(
        96 * b * s * l_ * h**2 * (s / (6 * h)))


def test_attention_matters_only_at_long_context():
    # 12·L·d·s against 6N: a few % at 8K for Llama 3 405B, most of the work at 1M tokens.
    short = training.training_flops_per_token("Llama 3 8B", 2048) / (
        6 * catalog.model("Llama 3 8B").params)
    long = training.training_flops_per_token("Llama 3 8B", 1_000_000) / (
        6 * catalog.model("Llama 3 8B").params)
    assert short < 1.07 and long > 5


# --------------------------------------------------------------------------- scaling laws

# Hoffmann et al. 2022, Table 3 (approach 1): FLOPs, parameters, tokens.
CHINCHILLA_TABLE_3 = [
    (1.92e19, 400e6, 8.0e9),
    (1.21e20, 1e9, 20.2e9),
    (1.23e22, 10e9, 205.1e9),
    (5.76e23, 67e9, 1.5e12),
    (3.85e24, 175e9, 3.7e12),
    (9.90e24, 280e9, 5.9e12),
    (3.43e25, 520e9, 11.0e12),
    (1.27e26, 1e12, 21.2e12),
]


@pytest.mark.parametrize(("compute", "params", "tokens"), CHINCHILLA_TABLE_3)
def test_chinchilla_table_3(compute, params, tokens):
    n, d = training.chinchilla_optimal(compute)
    assert n == pytest.approx(params, rel=0.05)
    assert d == pytest.approx(tokens, rel=0.10)
    assert d / n == pytest.approx(20)


def test_chinchilla_beats_gopher_at_the_same_compute():
    # Hoffmann et al. 2022, section 4: Chinchilla (70B, 1.4T tokens) outperforms Gopher
    # (280B, 300B tokens) with about the same compute; eq. 10 says the same.
    assert training.flops(70e9, 1.4e12) == pytest.approx(training.flops(280e9, 300e9), rel=0.2)
    assert training.chinchilla_loss(70e9, 1.4e12) < training.chinchilla_loss(280e9, 300e9)


def test_chinchilla_loss_uses_eq_10_constants():
    n, d = 1e9, 20e9
    expected = 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28
    assert training.chinchilla_loss(n, d) == pytest.approx(expected)
    assert training.chinchilla_loss(1e30, 1e30) == pytest.approx(1.69, abs=1e-5)


@FAST
@given(st.floats(1e18, 1e27))
def test_compute_optimal_loss_is_the_bottom_of_the_isoflop_curve(c):
    n, d, loss = training.compute_optimal_loss(c)
    assert 6 * n * d == pytest.approx(c, rel=1e-9)
    around = training.isoflop_curve(c, [n * 0.8, n * 1.25])
    assert all(row["loss"] >= loss for row in around)


def test_llama3_8b_is_over_trained():
    # Llama 3 paper: the 8B model saw ~15T tokens, about 1,900 per parameter (Chinchilla: 20).
    assert training.tokens_per_param("Llama 3 8B", 15e12) == pytest.approx(1870, rel=0.03)


# --------------------------------------------------------------------------- memory

@pytest.mark.parametrize(("stage", "gb"), [(0, 120), (1, 31.4), (2, 16.6), (3, 1.9)])
def test_zero_paper_figure_1(stage, gb):
    # Rajbhandari et al. 2020 (ZeRO), Figure 1: Ψ = 7.5B, N_d = 64, K = 12.
    assert training.model_states_gb(7.5e9, stage, 64) == pytest.approx(gb, abs=0.05)


def test_korthikanti_table_2_rows():
    # Korthikanti et al. 2022, Table 2, written out for s = 2048, b = 1, h = 12288, a = 96
    # (GPT-3 175B), t = 8.
    s, b, h, a, t = 2048, 1, 12288, 96, 8
    sbh = s * b * h
    rows = {
        ("none", False, 1): sbh * (34 + 5 * a * s / h),
        ("none", False, t): sbh * (10 + 24 / t + 5 * a * s / (h * t)),
        ("none", True, t): sbh * (34 / t + 5 * a * s / (h * t)),
        ("selective", False, t): sbh * (10 + 24 / t),
        ("selective", True, t): sbh * (34 / t),
        ("full", False, t): sbh * 2,
    }
    for (recompute, sp, tp), expected in rows.items():
        got = training.activation_bytes_per_layer(s, b, h, a, tp, sp, recompute)
        assert got == pytest.approx(expected), (recompute, sp, tp)


def test_korthikanti_5x_claim():
    # Korthikanti et al. 2022, abstract: sequence parallelism + selective recomputation
    # "reduce activation memory by 5x" against tensor parallelism alone (GPT-3 175B, t = 8).
    base = training.activation_bytes_per_layer(2048, 1, 12288, 96, 8)
    both = training.activation_bytes_per_layer(2048, 1, 12288, 96, 8, True, "selective")
    assert base / both == pytest.approx(5, rel=0.15)


@FAST
@given(st.sampled_from(["Llama 3 8B", "Llama 2 13B", "Llama 3 70B", "Mixtral 8x7B"]),
       st.sampled_from([1, 2, 8, 64]))
def test_memory_falls_with_zero_stage(model, dp):
    totals = [training.memory_fit(model, "H100 SXM", stage, dp, seq_len=2048).total_gb
              for stage in training.ZERO_STAGES]
    assert all(a >= b for a, b in itertools.pairwise(totals))
    if dp > 1:
        assert totals[3] < totals[0]


@FAST
@given(st.sampled_from(["Llama 3 8B", "Llama 2 13B", "Llama 3 70B"]),
       st.sampled_from(["none", "selective", "full"]), st.booleans())
def test_memory_falls_with_tensor_parallelism(model, recompute, sp):
    totals = [training.memory_fit(model, "H100 SXM", tp=tp, seq_len=4096, recompute=recompute,
                                  sequence_parallel=sp).total_gb for tp in (1, 2, 4, 8)]
    assert all(a > b for a, b in itertools.pairwise(totals))


def test_a_model_that_does_not_fit_says_by_how_much_and_what_would():
    fit = training.memory_fit("Llama 3 70B", "H100 SXM", dp=8, seq_len=4096)
    assert not fit.fits
    assert fit.shortfall_gb == pytest.approx(fit.total_gb - 80)
    # 70.6B × 16 bytes of model states alone are 1.1 TB: far over one 80 GB GPU
    assert fit.model_states_gb == pytest.approx(70.55e9 * 16 / 1e9, rel=0.01)
    assert fit.suggestion.startswith("fits with") and "ZeRO stage 3" in fit.suggestion
    fixed = training.memory_fit("Llama 3 70B", "H100 SXM", zero_stage=3, dp=8, tp=2,
                                seq_len=4096, recompute="full")
    assert fixed.fits and fixed.suggestion == "fits"


def test_one_gpu_cannot_hold_405b_whatever_the_settings():
    fit = training.memory_fit("Llama 3.1 405B", "L4", seq_len=4096)
    assert not fit.fits and "GPUs" in fit.suggestion


def test_bad_memory_inputs_name_the_parameter():
    with pytest.raises(ValueError, match="zero_stage"):
        training.model_states_gb(1e9, 4)
    with pytest.raises(ValueError, match=r"tp=3 does not divide n_heads=32"):
        training.memory_fit("Llama 3 8B", "H100 SXM", tp=3)
    with pytest.raises(ValueError, match=r"pp=3 does not divide n_layers=32"):
        training.memory_fit("Llama 3 8B", "H100 SXM", pp=3)
    with pytest.raises(ValueError, match="recompute"):
        training.activation_bytes_per_layer(2048, 1, 4096, 32, recompute="some")
    with pytest.raises(ValueError, match="n_tokens"):
        training.flops(1e9, -1)
    with pytest.raises(ValueError, match="tokens_per_param"):
        training.chinchilla_optimal(1e23, 0)
