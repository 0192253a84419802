"""Layer 1: the roofline, operation intensities, inference bounds and chip comparisons.

Each figure is checked against a published number or a calculation written out
by hand from datasheet figures, never against the code's own output.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import catalog, chips

CHIPS_WITH_BF16 = [name for name in catalog.accelerators().index
                   if catalog.accelerator(name).bf16_tflops is not None]


# --------------------------------------------------------------------------- ridge points

def test_h100_sxm_ridge_point_is_295_flop_per_byte():
    # NVIDIA H100 Tensor Core GPU datasheet (SXM): 989 TFLOPS dense BF16 (1,979 with
    # sparsity), 3.35 TB/s HBM3 -> 989e12 / 3.35e12 = 295.2 FLOP per byte.
    assert chips.ridge_point("H100 SXM") == pytest.approx(295.2, abs=0.5)
    assert chips.ridge_point("H100 SXM", precision="bf16") == pytest.approx(295.2, abs=0.5)


def test_tpu_v5e_ridge_point_is_240_flop_per_byte():
    # Austin et al. 2025, "How to Scale Your Model" (jax-ml.github.io/scaling-book), part 1
    # "Rooflines": TPU v5e 1.97e14 bf16 FLOP/s over 8.2e11 B/s HBM bandwidth ~ 240 FLOP/byte.
    assert chips.ridge_point("TPU v5e") == pytest.approx(240, rel=0.01)


def test_fp16_uses_the_bf16_figure_and_fp8_doubles_the_h100_ridge():
    # H100 datasheet: FP8 1,979 TFLOPS dense, twice BF16 -> ridge 1979 / 3.35 = 590.7.
    assert chips.ridge_point("H100 SXM", "fp16") == chips.ridge_point("H100 SXM", "bf16")
    assert chips.ridge_point("H100 SXM", "fp8") == pytest.approx(590.7, abs=0.5)


def test_attainable_below_and_above_the_ridge_on_h100():
    # Below the ridge: 10 FLOP/B x 3.35 TB/s = 33.5 TFLOP/s; above it: the 989 peak.
    assert chips.attainable_tflops("H100 SXM", 10) == pytest.approx(33.5)
    assert chips.attainable_tflops("H100 SXM", 1000) == pytest.approx(989)
    assert chips.bound("H100 SXM", 10) == "memory"
    assert chips.bound("H100 SXM", 1000) == "compute"


def test_accelerator_record_is_accepted_as_chip():
    h100 = catalog.accelerator("H100 SXM")
    assert chips.ridge_point(h100) == chips.ridge_point("h100-sxm")


# --------------------------------------------------------------------------- intensities

def test_matmul_intensity_by_hand():
    # 2mnk / ((mk + kn + mn) * 2 B): a 4096 cube is 2*4096^3 / (3*4096^2*2) = 4096/3 = 1365.3.
    assert chips.matmul_intensity(4096, 4096, 4096) == pytest.approx(4096 / 3)
    # A matrix-vector product (n = 1) barely reuses the matrix: 2*4096*4096 /
    # ((4096*4096 + 4096 + 4096) * 2) = 0.9995 FLOP per byte.
    assert chips.matmul_intensity(4096, 1, 4096) == pytest.approx(0.9995, abs=1e-4)


def test_elementwise_add_intensity_is_one_sixth_in_bf16():
    # c = a + b: 1 FLOP per element over 3 elements x 2 bytes.
    assert chips.elementwise_intensity() == pytest.approx(1 / 6)
    assert chips.operation_intensity("elementwise add", precision="fp32") == pytest.approx(1 / 12)


def test_decode_at_batch_1_is_about_one_flop_per_byte():
    # 2 FLOPs per weight of 2 bytes: Austin et al. 2025 ("Rooflines": a bf16 matmul against
    # weights has intensity ~ the batch size) -> ~1 at batch 1, ~64 at batch 64.
    assert chips.decode_intensity("Llama 3 8B", 1) == pytest.approx(1.0, rel=1e-3)
    assert chips.decode_intensity("Llama 3 8B", 64) == pytest.approx(64, rel=0.01)


def test_decode_turns_compute_bound_near_batch_240_on_tpu_v5e():
    # Austin et al. 2025: on TPU v5e a bf16 matmul against the weights is compute-bound once
    # the batch exceeds ~240 tokens (the ridge point).
    assert chips.decode_step("Llama 3 8B", "TPU v5e", batch_size=200).bound == "memory"
    assert chips.decode_step("Llama 3 8B", "TPU v5e", batch_size=280).bound == "compute"


# --------------------------------------------------------------------------- inference bounds

def test_decode_bound_llama_3_8b_on_h100_by_hand():
    # Llama 3 8B: 8,030,261,248 parameters (Hugging Face safetensors total); 32 layers,
    # 8 KV heads of dim 128 (Llama 3 paper, Table 3).
    # weights:   8,030,261,248 x 2 B                  = 16,060,522,496 B
    # KV cache:  2 x 32 x 8 x 128 x 2 B = 131,072 B per token; context 1,000 + 1 new
    #            token at batch 1                      = 131,203,072 B
    # memory:    (16,060,522,496 + 131,203,072) / 3.35e12 B/s = 4.8333 ms
    # compute:   2 x 8,030,261,248 FLOP / 989e12 FLOP/s       = 16.24 µs
    step = chips.decode_step("Llama 3 8B", "H100 SXM", batch_size=1, context_tokens=1000)
    assert step.weight_bytes == pytest.approx(16_060_522_496)
    assert step.kv_bytes == pytest.approx(131_203_072)
    assert step.memory_time_s == pytest.approx(4.8333e-3, rel=1e-4)
    assert step.compute_time_s == pytest.approx(16.24e-6, rel=1e-3)
    assert step.bound == "memory"
    assert step.time_s == step.memory_time_s
    assert step.tokens_per_s == pytest.approx(1 / 4.8333e-3, rel=1e-4)  # 206.9 tokens/s
    assert step.n_gpus == 1


def test_prefill_bound_llama_3_8b_on_h100_by_hand():
    # 2,048-token prompt: compute 2 x 8,030,261,248 x 2,048 = 3.2892e13 FLOP
    #   / 989e12 = 33.258 ms; memory (16,060,522,496 + 2,048 x 131,072) / 3.35e12
    #   = 16,328,957,952 / 3.35e12 = 4.8743 ms -> compute-bound, 61,580 tokens/s.
    step = chips.prefill("Llama 3 8B", "H100 SXM", 2048)
    assert step.flops == pytest.approx(3.2892e13, rel=1e-4)
    assert step.compute_time_s == pytest.approx(33.258e-3, rel=1e-4)
    assert step.memory_time_s == pytest.approx(4.8743e-3, rel=1e-4)
    assert step.bound == "compute"
    assert step.tokens_per_s == pytest.approx(61_580, rel=1e-3)


def test_groq_needs_305_chips_to_hold_70b_at_8_bits():
    # Groq LPU: 230 MB of on-chip SRAM, no HBM. 70e9 params x 1 B / 230e6 B = 304.3 -> 305.
    assert chips.chips_to_hold_weights(70e9, "Groq LPU", bytes_per_param=1) == 305


def test_chips_to_hold_weights_on_hbm():
    # Llama 3 70B, 70,553,706,496 params x 2 B = 141.1 GB: two 80 GiB (85.9 GB) H100s, one
    # 192 GiB MI300X.
    assert chips.chips_to_hold_weights("Llama 3 70B", "H100 SXM") == 2
    assert chips.chips_to_hold_weights("Llama 3 70B", "MI300X") == 1
    # An exact fit needs no extra chip: 40 x 2**30 params x 2 B = 80 GiB on one H100, whose
    # datasheet "80GB" is 80 GiB; a thousand parameters more need a second.
    assert chips.chips_to_hold_weights(40 * 2**30, "H100 SXM") == 1
    assert chips.chips_to_hold_weights(40 * 2**30 + 1000, "H100 SXM") == 2


def test_sharded_decode_uses_every_chips_bandwidth():
    # Llama 3 70B on 2 H100s: 141,107,412,992 B / (2 x 3.35e12) = 21.06 ms per step.
    step = chips.decode_step("Llama 3 70B", "H100 SXM")
    assert step.n_gpus == 2
    assert step.memory_time_s == pytest.approx(141_107_412_992 / 6.7e12, rel=1e-5)
    assert step.tokens_per_s_per_chip == pytest.approx(step.tokens_per_s / 2)


# --------------------------------------------------------------------------- measured peaks

@pytest.mark.parametrize(("chip", "efficiency"), [
    # stas00/ml-engineering, compute/accelerator, "Maximum Achievable Matmul FLOPS" (BF16)
    # (MI300X: 668.4 is 51.4 % of the 1300 stas00 rounds to, 51.1 % of AMD's 1307.4):
    ("H100 SXM", 0.803), ("A100 SXM 80GB", 0.869), ("MI300X", 0.511),
])
def test_realistic_peak_matches_published_efficiency(chip, efficiency):
    assert chips.realistic_peak(chip).efficiency == pytest.approx(efficiency, abs=0.001)


def test_realistic_peak_without_measurement_names_the_chips_that_have_one():
    with pytest.raises(ValueError, match=r"no measured BF16.*H100 SXM"):
        chips.realistic_peak("TPU v5e")


# --------------------------------------------------------------------------- comparisons

def test_rank_by_tflops_per_dollar_leaves_out_unpriced_chips():
    table = chips.rank_chips("tflops_per_kusd")
    assert table["tflops_per_kusd"].notna().all()
    assert "TPU v5e" not in set(table["chip"])
    # H100 SXM: 989 TFLOPS / $25,000 (estimate) = 39.56 TFLOPS per $1,000.
    h100 = table.set_index("chip").loc["H100 SXM"]
    assert h100["tflops_per_kusd"] == pytest.approx(39.56)
    assert "estimate" in h100["price_note"]


def test_rank_by_flops_per_watt():
    table = chips.rank_chips("gflops_per_w")
    assert list(table["gflops_per_w"]) == sorted(table["gflops_per_w"], reverse=True)
    # H100 SXM datasheet: 989 TFLOPS at 700 W = 1,413 GFLOP/s per watt.
    assert table.set_index("chip").loc["H100 SXM", "gflops_per_w"] == pytest.approx(1412.9,
                                                                                     abs=0.1)
    assert "Groq LPU" not in set(table["chip"])  # no published TDP


def test_memory_per_dollar_and_bandwidth_per_dollar():
    # H100 SXM: 80 GiB (the datasheet's "80GB", 85.9e9 bytes) and 3,350 GB/s over $25,000
    # -> 3.44 GB and 134 GB/s per $1,000.
    memory = chips.rank_chips("memory_gb_per_kusd").set_index("chip")
    bandwidth = chips.rank_chips("bandwidth_gb_s_per_kusd").set_index("chip")
    assert memory.loc["H100 SXM", "memory_gb_per_kusd"] == pytest.approx(80 * 2**30 / 1e9 / 25)
    assert bandwidth.loc["H100 SXM", "bandwidth_gb_s_per_kusd"] == pytest.approx(134)


def test_roofline_view_skips_chips_without_the_precision():
    view = chips.roofline_view(["H100 SXM", "TPU v5e"], 100, precision="fp8")
    assert list(view.rows["chip"]) == ["H100 SXM"]
    assert view.skipped == ("TPU v5e",)
    with pytest.raises(ValueError, match="none of the chips"):
        chips.roofline_view(["TPU v5e"], 100, precision="fp8")


# --------------------------------------------------------------------------- bad input

def test_unknown_chip_suggests_close_names():
    with pytest.raises(KeyError, match="H100 SXM"):
        chips.ridge_point("H100")


def test_unsupported_precision_names_those_the_chip_has():
    with pytest.raises(ValueError, match="'fp8' is not available for TPU v5e; it has: bf16"):
        chips.attainable_tflops("TPU v5e", 10, precision="fp8")
    with pytest.raises(ValueError, match="must be one of"):
        chips.ridge_point("H100 SXM", precision="fp64")


def test_chip_without_any_peak_figure_says_so():
    # The catalog leaves Cerebras WSE-3 compute empty: its 125 PFLOPS headline is sparse.
    with pytest.raises(ValueError, match=r"Cerebras WSE-3.*no dense peak figure"):
        chips.ridge_point("Cerebras WSE-3")


@pytest.mark.parametrize(("call", "message"), [
    (lambda: chips.matmul_intensity(0, 4, 4), "m must be a whole number of at least 1"),
    (lambda: chips.matmul_intensity(4, -1, 4), "n must be"),
    (lambda: chips.attainable_tflops("H100 SXM", 0), "intensity must be greater than 0"),
    (lambda: chips.prefill("Llama 3 8B", "H100 SXM", 0), "n_tokens must be"),
    (lambda: chips.decode_step("Llama 3 8B", "H100 SXM", batch_size=0), "batch_size must be"),
    (lambda: chips.decode_step("Llama 3 8B", "H100 SXM", context_tokens=-1), "context_tokens"),
    (lambda: chips.chips_to_hold_weights(-5, "H100 SXM"), "parameter count"),
    (lambda: chips.rank_chips("tflops_per_euro"), "metric must be one of"),
    (lambda: chips.operation_intensity("convolution"), "operation must be one of"),
])
def test_bad_numbers_raise_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------- properties

@settings(max_examples=60, deadline=None)
@given(chip=st.sampled_from(CHIPS_WITH_BF16),
       low=st.floats(1e-3, 1e5, allow_nan=False), factor=st.floats(1.0, 1e3, allow_nan=False))
def test_attainable_is_non_decreasing_in_intensity_and_never_above_peak(chip, low, factor):
    peak = chips.peak_tflops(chip)
    lower = chips.attainable_tflops(chip, low)
    higher = chips.attainable_tflops(chip, low * factor)
    assert lower <= higher <= peak
    assert lower > 0


@settings(max_examples=60, deadline=None)
@given(chip=st.sampled_from(list(catalog.accelerators().index)),
       precision=st.sampled_from(chips.PRECISIONS))
def test_ridge_point_is_peak_over_bandwidth(chip, precision):
    record = catalog.accelerator(chip)
    column = {"fp16": "bf16_tflops", "int8": "int8_tops"}.get(precision, f"{precision}_tflops")
    peak = getattr(record, column)
    if peak is None:
        with pytest.raises(ValueError, match="not available"):
            chips.ridge_point(chip, precision)
        return
    assert chips.ridge_point(chip, precision) == pytest.approx(peak / record.memory_bw_tb_s)
    # at the ridge both limits agree
    ridge = chips.ridge_point(chip, precision)
    assert chips.attainable_tflops(chip, ridge, precision) == pytest.approx(peak)


@settings(max_examples=40, deadline=None)
@given(side=st.integers(1, 1 << 16))
def test_square_bf16_matmul_intensity_is_a_third_of_its_side(side):
    assert chips.matmul_intensity(side, side, side) == pytest.approx(side / 3)


@settings(max_examples=40, deadline=None)
@given(params=st.floats(1e6, 2e12), width=st.sampled_from([0.5, 1.0, 2.0, 4.0]),
       chip=st.sampled_from(["H100 SXM", "Groq LPU", "Cerebras WSE-3", "TPU v5e"]))
def test_chips_to_hold_weights_is_the_smallest_count_that_fits(params, width, chip):
    n = chips.chips_to_hold_weights(params, chip, width)
    capacity = catalog.accelerator(chip).weight_capacity_gb * 1e9
    assert n * capacity >= params * width * (1 - 1e-9)
    assert n == 1 or (n - 1) * capacity < params * width


@settings(max_examples=30, deadline=None)
@given(batch=st.integers(1, 4096), context=st.integers(0, 8192))
def test_decode_time_and_throughput_grow_with_batch(batch, context):
    small = chips.decode_step("Mistral 7B", "H100 SXM", batch, context)
    big = chips.decode_step("Mistral 7B", "H100 SXM", batch * 2, context)
    assert small.time_s <= big.time_s
    assert small.tokens_per_s <= big.tokens_per_s * (1 + 1e-12)
    assert math.isfinite(big.tokens_per_s)


def test_memory_bandwidth_has_one_name():
    """memory_bw_tb_s, as the catalog column (docs/architecture.md); no second name."""
    assert chips.memory_bw_tb_s("H100 SXM") == 3.35
    assert not hasattr(chips, "memory_bandwidth_tb_s")
    assert "memory_bw_tb_s" in chips.roofline_view(["H100 SXM"], 10).rows.columns


# --------------------------------------------------------------------------- decode with context

def test_kv_cache_matches_the_vllm_paper():
    # Kwon et al. 2023 (vLLM, SOSP), section 3: for OPT-13B "the KV cache of a single token
    # demands 800 KB of space, calculated as 2 (key and value vectors) x 5120 (hidden state
    # size) x 40 (number of layers) x 2 (bytes per FP16)", and a 2,048-token request "as much
    # as 1.6 GB".
    one = chips.decode_step("OPT-13B", "A100 SXM 80GB", 1, context_tokens=0)
    assert one.kv_bytes == 2 * 5120 * 40 * 2
    full = chips.decode_step("OPT-13B", "A100 SXM 80GB", 1, context_tokens=2047)
    assert full.kv_bytes / 1e9 == pytest.approx(1.6, rel=0.06)


def test_kv_cache_matches_nvidias_llama2_example():
    # NVIDIA Technical Blog, "Mastering LLM Techniques: Inference Optimization" (2023-11):
    # Llama 2 7B, batch 1, 4,096 tokens of context in FP16: a KV cache of about 2 GB.
    step = chips.decode_step("Llama 2 7B", "H100 SXM", 1, context_tokens=4095)
    assert step.kv_bytes / 2**30 == pytest.approx(2.0, rel=0.01)


def test_memory_limit_stops_the_batch():
    # By hand: Llama 3 8B at 2,048 tokens of context holds 2049 x 131,072 B of KV per
    # sequence; batch 256 needs 16.06 + 68.75 = 84.8 GB, inside the H100's 80 GiB
    # (85.9e9 bytes); batch 264 needs 16.06 + 70.90 = 87.0 GB, more. At most
    # floor((85.90 - 16.06) / 0.2686) = 260 sequences fit.
    step = chips.decode_step("Llama 3 8B", "H100 SXM", 256, context_tokens=2048)
    assert step.memory_needed_gb == pytest.approx(84.8, abs=0.1) and step.fits_in_memory
    step = chips.decode_step("Llama 3 8B", "H100 SXM", 264, context_tokens=2048)
    assert step.memory_needed_gb == pytest.approx(87.0, abs=0.1) and not step.fits_in_memory
    most = chips.max_batch_in_memory("Llama 3 8B", "H100 SXM", 2048)
    assert most == 260
    assert chips.decode_step("Llama 3 8B", "H100 SXM", most, 2048).fits_in_memory
    assert not chips.decode_step("Llama 3 8B", "H100 SXM", most + 1, 2048).fits_in_memory
    curve = chips.decode_batch_curve("Llama 3 8B", "L4", context_tokens=2048, within_memory=True)
    assert curve["batch_size"].max() < 1024 and curve["fits_in_memory"].all()
    assert chips.max_batch_in_memory("Llama 3 70B", "H100 SXM", 0, n_gpus=1) == 0


def test_with_context_decode_never_turns_compute_bound_on_an_h100():
    # Intensity levels off at 2N / ((c + 1) k): 2 x 8.03e9 / (2049 x 131,072) ~ 60 FLOP/B,
    # far below the H100's ridge of 295. At zero context the crossing is batch 296.
    assert chips.compute_bound_batch("Llama 3 8B", "H100 SXM", 0) == 296
    assert chips.compute_bound_batch("Llama 3 8B", "H100 SXM", 2048) is None
    ceiling = chips.decode_intensity("Llama 3 8B", 1 << 20, context_tokens=2048)
    assert ceiling == pytest.approx(60, rel=0.01)


def test_fit_warning_names_the_limit():
    text = chips.fit_warning("Llama 3 8B", "H100 SXM", 264, 2048)  # the numbers above
    assert "87.0 GB" in text and "85.9 GB" in text and "260" in text
    assert chips.fit_warning("Llama 3 8B", "H100 SXM", 1, 0) is None
    assert "2 chips" in chips.fit_warning("Llama 3 70B", "H100 SXM")
    with pytest.raises(ValueError, match="phase"):
        chips.fit_warning("Llama 3 8B", "H100 SXM", phase="train")


def test_operation_intensity_defaults_to_the_lessons_model():
    assert chips.operation_intensity("decode step") == chips.operation_intensity(
        "decode step", model="Llama 3 8B") == chips.decode_intensity("Llama 3 8B")


def test_a_cache_width_has_the_same_ceiling_everywhere():
    """kv_bytes_per_element=100 was refused by max_batch_in_memory but taken by decode_step."""
    for call in (chips.decode_step, chips.max_batch_in_memory, chips.compute_bound_batch):
        with pytest.raises(ValueError, match="kv_bytes_per_element must be at most 64"):
            call("Llama 3 8B", "H100 SXM", kv_bytes_per_element=100)
