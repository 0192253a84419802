"""stackkit.frameworks: lesson 5's formulas checked against JAX and its compiler, XLA.

The references here are independent of the kit: XLA's own FLOP count of the compiled
step (``cost_analysis``), its memory plan (``memory_analysis``) and the collectives it
wrote into the optimized HLO. The bands are stated before the numbers, with their reasons:

FLOPs (``test_xla_counts_the_step_within_the_stated_band_of_6nd_plus_attention``):
    the kit counts 6·N + 12·L·d·s per token (PaLM, Appendix B). XLA counts every
    dot as 2·m·n·k, so it agrees on the matmuls and the attention scores (it computes
    the full s×s scores, masked, as the kit counts them), and differs in two ways:
    it does not count the input embedding as a matmul (a gather: the kit's 6·V·d per
    token, 1.5 % of N here), and it adds the element-wise work 6N leaves out (softmax
    over s scores per head, GELU over d_ff, RMS norms, residual adds, the loss over V
    logits, and AdamW's ~15 operations per weight once a step): a few per cent at
    d = 128. So XLA / kit lies in [0.95, 1.15]; outside it, one of the two counts is wrong.
Memory (FSDP over 8 devices): every tensor of this model splits 8 ways (d = 128), so
    each device's inputs are exactly 1/8 of the weights and both Adam moments (12 of
    the 16 bytes a parameter, the other 4 being gradients, a temporary) plus 1/8 of
    the batch: within 1 %. The whole per-device footprint lies between memory_fit's
    total (ZeRO-3 states over 8 plus activations) and twice it plus one full copy of
    the weights and one of the gradients (float32 activations where the kit assumes
    16-bit; XLA gathers every layer's weights at once and reduces whole gradients
    before scattering them, where DeepSpeed/FSDP gather and free layer by layer).
Collectives: DP all-reduces every gradient once (one fused op or one per tensor);
    FSDP gathers each of the 20 tensors once (the backward reuses the gathered
    weights) and reduce-scatters each gradient once; TP has lesson 5's four
    all-reduces per layer (Megatron: two forward, after W_o and the MLP's down
    projection; two backward, into the attention and MLP inputs). XLA sends the
    backward attention one as three tensors (the gradients through W_q, W_k and W_v,
    fused in one op) where Megatron adds them first: its bytes are 6, not 4, B·s·d
    buffers per layer.

The file runs in about 30–50 s on two busy cores (four compilations, a 60-step run).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("jax", reason="stackkit.frameworks needs the optional extra: "
                                  "pip install 'stackkit[frameworks]'")
pytest.importorskip("optax", reason="stackkit.frameworks needs the optional extra: "
                                    "pip install 'stackkit[frameworks]'")

from stackkit import frameworks as fw
from stackkit import training
from stackkit.frameworks.collectives import _fit_alpha_beta

LAYERS = 2
SHAPES = {"d_model": 128, "n_layers": LAYERS, "n_heads": 8, "d_ff": 512, "seq_len": 64,
          "vocab_size": 96, "batch_size": 16}
N_TENSORS = 8 * LAYERS + 4  # per layer 6 matrices, 2 norms; embedding, positions, norm, head


@pytest.fixture(scope="module")
def run():
    return fw.train(steps=60, **SHAPES)


@pytest.fixture(scope="module")
def steps():
    # optimize=False: LLVM's passes skipped, half the compile time; the HLO, memory plan and
    # collectives are XLA's and the same either way
    return {s: fw.sharded_step(s, n_devices=8, repeats=2, optimize=False, **SHAPES)
            for s in fw.STRATEGIES}


def _all_weights_bytes() -> float:
    """float32 bytes of every trained tensor: the kit's count plus the position table."""
    spec = fw.model_spec(**{k: v for k, v in SHAPES.items() if k != "batch_size"})
    return 4.0 * (spec.params + SHAPES["seq_len"] * SHAPES["d_model"])


@pytest.mark.slow
def test_the_loss_falls_on_the_kits_own_text(run):
    assert run.first_loss == pytest.approx(math.log(96), abs=0.1)  # small logits at init
    assert sum(run.losses[-10:]) / 10 < run.first_loss - 1.0
    assert run.n_params == run.kit_params + SHAPES["seq_len"] * SHAPES["d_model"]


@pytest.mark.slow
def test_xla_counts_the_step_within_the_stated_band_of_6nd_plus_attention(run):
    spec = fw.model_spec(**{k: v for k, v in SHAPES.items() if k != "batch_size"})
    tokens = SHAPES["batch_size"] * SHAPES["seq_len"]
    assert run.kit_flops_per_step == pytest.approx(
        (6 * spec.params + 12 * LAYERS * 128 * 64) * tokens)
    assert 0.95 <= run.flop_ratio <= 1.15, run.flop_ratio
    assert run.step_s > 0 and run.achieved_gflops > 0


@pytest.mark.slow
def test_fsdp_holds_an_eighth_of_the_states_and_memory_fit_brackets_the_rest(steps):
    fsdp, dp = steps["fsdp"], steps["dp"]
    weights = _all_weights_bytes()
    batch = 4.0 * SHAPES["batch_size"] * (SHAPES["seq_len"] + 1)  # int32 windows
    assert fsdp.argument_bytes_per_device == pytest.approx((3 * weights + batch) / 8, rel=0.01)
    assert dp.argument_bytes_per_device == pytest.approx(3 * weights + batch, rel=0.01)
    kit = training.memory_fit(fw.model_spec(**{k: v for k, v in SHAPES.items()
                                               if k != "batch_size"}), "H100 SXM",
                              zero_stage=3, dp=8, micro_batch=2, seq_len=64)
    assert fsdp.kit_bytes_per_device == pytest.approx(kit.total_gb * 1e9)
    assert fsdp.kit_states_bytes_per_device == pytest.approx(
        training.model_states_gb(kit.params_per_gpu, 3, 8) * 1e9)
    assert kit.total_gb * 1e9 <= fsdp.bytes_per_device <= 2 * kit.total_gb * 1e9 + 2 * weights
    assert fsdp.bytes_per_device < dp.bytes_per_device


@pytest.mark.slow
def test_data_parallel_all_reduces_every_gradient_once(steps):
    c = steps["dp"].collectives
    count, size = c["all-reduce"]
    assert 1 <= count <= N_TENSORS + 1  # fused, or one per tensor (+ the loss)
    assert size == pytest.approx(_all_weights_bytes(), abs=64)  # gradients, + the loss's 4 B
    assert c["all-gather"][0] == c["reduce-scatter"][0] == 0


@pytest.mark.slow
def test_fsdp_gathers_weights_and_reduce_scatters_gradients(steps):
    c, weights = steps["fsdp"].collectives, _all_weights_bytes()
    assert c["all-gather"] == (N_TENSORS, pytest.approx(weights))
    assert c["reduce-scatter"][0] == N_TENSORS
    assert c["reduce-scatter"][1] * 8 == pytest.approx(weights)  # each result is a 1/8 shard
    assert c["all-reduce"] == (1, 4)  # only the loss, averaged for the report


@pytest.mark.slow
def test_tensor_parallel_has_lesson_5s_four_all_reduces_per_layer(steps):
    hlo = steps["tp"].hlo_text
    lines = [line for line in hlo.splitlines() if " all-reduce(" in line]
    backward = [line for line in lines if "transpose(" in line]
    assert len(lines) - len(backward) == 2 * LAYERS  # forward: after W_o and W_down
    assert len(backward) == 2 * LAYERS  # backward: into the attention and MLP inputs
    count, size = steps["tp"].collectives["all-reduce"]
    activation = 4 * SHAPES["batch_size"] * SHAPES["seq_len"] * SHAPES["d_model"]
    assert count == 4 * LAYERS
    assert size == 6 * LAYERS * activation  # 2 forward + 1 (MLP) + 3 (Q, K, V) backward
    assert steps["tp"].collectives["all-gather"][0] == 0


@pytest.mark.slow
def test_skipping_llvms_optimizations_leaves_the_plan_alone(steps):
    """optimize=False (the fixtures, the lesson) changes machine code, not XLA's plan."""
    optimized = fw.sharded_step("dp", n_devices=8, repeats=1, **SHAPES)
    assert optimized.collectives == steps["dp"].collectives
    assert optimized.bytes_per_device == steps["dp"].bytes_per_device


@pytest.mark.slow
def test_each_strategy_runs_and_is_timed(steps):
    for result in steps.values():
        assert result.step_s > 0 and result.compile_s > 0
        assert result.to_frame().shape[0] == 1


def test_collective_sweep_fits_alpha_and_beta():
    sweep = fw.collective_sweep("psum", sizes_bytes=[2**12, 2**16, 2**20, 2**22, 2**24],
                                repeats=50)  # rounds: the least disturbed call of each size
    assert list(sweep.table["size_bytes"]) == [2**12, 2**16, 2**20, 2**22, 2**24]
    assert sweep.beta_s_per_byte > 0
    assert 0.8 <= sweep.r2 <= 1.0, sweep.table  # relative errors: every size counts alike
    # a memory copy between threads: slower than any server's DRAM (≤ ~1 TB/s), faster than
    # a modem; lesson 2's ring formula at the fitted figures reproduces the fitted line
    assert 0.05 < sweep.link_bandwidth_gb_s < 1000
    assert sweep.alpha_s >= 0
    assert list(sweep.table["lesson2_s"]) == pytest.approx(list(sweep.table["fit_s"]), rel=1e-6)
    gather = fw.collective_sweep("all_gather", sizes_bytes=[2**12, 2**18, 2**22], repeats=2)
    assert gather.op == "all_gather" and len(gather.table) == 3


def test_the_alpha_beta_fit_recovers_a_known_line():
    sizes = np.array([1e3, 1e4, 1e5, 1e6, 1e7])
    alpha, beta, r2 = _fit_alpha_beta(sizes, 20e-6 + sizes / 5e9)
    assert (alpha, beta, r2) == pytest.approx((20e-6, 1 / 5e9, 1.0))
    # a line that would need a negative fixed cost is refitted through the origin
    alpha, beta, _ = _fit_alpha_beta(sizes, sizes / 5e9 - 1e-7)
    assert alpha == 0 and beta > 0


def test_collectives_are_read_from_hlo_text():
    hlo = "\n".join([
        "  %ar = f32[128,512]{1,0} all-reduce(f32[128,512]{1,0} %x), replica_groups={}",
        "  %t = (f32[4]{0}, bf16[8]{0}) all-reduce(%a, %b), to_apply=%add",
        "  %s = f32[16]{0} all-reduce-start(%c)",
        "  %d = f32[16]{0} all-reduce-done(%s)",
        "  %g = f32[64,32]{1,0} all-gather(%p), dimensions={0}",
        "  %r = f32[8]{0} reduce-scatter(%q), dimensions={0}",
        "  %not = f32[8]{0} add(%all-reduce, %all-gather)",
    ])
    found = fw.collectives_in(hlo)
    assert found["all-reduce"] == (3, 128 * 512 * 4 + 16 + 16 + 64)
    assert found["all-gather"] == (1, 64 * 32 * 4)
    assert found["reduce-scatter"] == (1, 32)
    assert found["all-to-all"] == (0, 0)


@pytest.mark.parametrize(("call", "name"), [
    (lambda: fw.train(steps=0), "steps"),
    (lambda: fw.train(steps=fw.MAX_STEPS + 1), "steps"),
    (lambda: fw.train(d_model=100, n_heads=8), "n_heads"),
    (lambda: fw.train(learning_rate=-1), "learning_rate"),
    (lambda: fw.train(batch_size=4096, seq_len=4096), "batch_size"),
    (lambda: fw.sharded_step("zero3"), "strategy"),
    (lambda: fw.sharded_step("dp", n_devices=3), "n_devices"),
    (lambda: fw.sharded_step("dp", n_devices=16), "n_devices"),
    (lambda: fw.sharded_step("tp", n_heads=4), "n_devices"),
    (lambda: fw.sharded_step("fsdp", batch_size=12), "batch_size"),
    (lambda: fw.collective_sweep("broadcast"), "op"),
    (lambda: fw.collective_sweep(sizes_bytes=[1e12, 1e3, 1e4]), "sizes_bytes"),
    (lambda: fw.collective_sweep(sizes_bytes=[64, 64, 64]), "sizes_bytes"),
    (lambda: fw.model_spec(d_model=4096, n_layers=64), "d_model"),
])
def test_bad_arguments_are_refused_by_name(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.slow
def test_a_jax_started_with_too_few_devices_is_named():
    code = ("import jax; jax.devices()\n"
            "from stackkit import frameworks\n"
            "try:\n    frameworks.sharded_step('dp', n_devices=8)\n"
            "except RuntimeError as e:\n    print(e)\n")
    env = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120, check=True).stdout
    assert "2 CPU device(s)" in out and "restart the kernel" in out
