"""Peers: lesson 5's scenarios from stackkit, the published figure and two peer calculators."""

from __future__ import annotations

import pandas as pd

from .. import catalog
from .._declare import declared
from .compute import days, flops, gpu_hours
from .memory import model_states_gb

#: The peer calculators compared in lesson 5, at the versions the stored figures came from.
PEER_VERSIONS = {"llm-analysis": "0.2.2", "mlsysim": "0.3.0"}

#: What each peer computed for each scenario (recomputed live by :func:`peer_figures_live`,
#: which tests/test_training.py runs whenever the peers are installed).
PEER_FIGURES: dict[str, dict[str, float]] = {
    "ZeRO-1 model states, 7.5B on 64 GPUs": {"llm-analysis": 46.14496128,
                                             "mlsysim": 31.40625},
    "GPT-3 175B on 1,024 A100 at 140 TFLOP/s": {"llm-analysis": 34.75995933959782,
                                                "mlsysim": 33.908420138888886},
    "Llama 3 405B GPU-hours at 400 TFLOP/s": {"llm-analysis": 25327564.844848514,
                                              "mlsysim": 26325000.0},
    "13B model states, ZeRO-3 on 8 GPUs": {"llm-analysis": 22.54695552, "mlsysim": 26.0},
}


@declared()
def peer_comparison():
    """Lesson 5's scenarios: stackkit, the published figure, and each peer, with why they differ.

    Peers: llm-analysis (Cheng Li, 2023; PyPI ``llm-analysis``) and mlsysim
    (PyPI ``mlsysim``), at :data:`PEER_VERSIONS`; their figures are
    :data:`PEER_FIGURES`, recomputed by :func:`peer_figures_live`.
    """
    llama2_13b = catalog.model("Llama 2 13B").params
    rows = [
        ("ZeRO-1 model states, 7.5B on 64 GPUs", "GB per GPU",
         model_states_gb(7.5e9, 1, 64), 31.4,
         "Rajbhandari et al. 2020 (ZeRO), Figure 1",
         "llm-analysis keeps gradients in fp32 by default (4 bytes, not 2): 2Ψ + 4Ψ + 12Ψ/64."),
        ("GPT-3 175B on 1,024 A100 at 140 TFLOP/s", "days",
         days(flops(175e9, 300e9, "full"), 1024, 140), 34.0,
         "Narayanan et al. 2021, section 5.1 (8TP/nX)",
         "llm-analysis times each layer (memory-bound norms and embeddings on top of the "
         "140 TFLOP/s matmuls); mlsysim and stackkit use 8·N·D / (n·X)."),
        ("Llama 3 405B GPU-hours at 400 TFLOP/s", "GPU-hours",
         gpu_hours(flops(405e9, 15.6e12), 400), 30.84e6,
         "Llama 3.1 model card (30.84M H100 GPU-hours for 405B)",
         "6ND at 400 TFLOP/s leaves out failures (> 90 % goodput) and the slower long-context "
         "phase; llm-analysis counts 294B parameters (it leaves SwiGLU's gate matrix out of "
         "the count) and adds attention and recomputation FLOPs, which partly cancel."),
        ("13B model states, ZeRO-3 on 8 GPUs", "GB per GPU",
         model_states_gb(llama2_13b, 3, 8), 16 * 13e9 / 8 / 1e9,
         "ZeRO paper's 16Ψ/N_d rule for Ψ = 13B (section 5.1)",
         "llm-analysis: 10.0B parameters for Llama 2 13B (no gate matrix) at 18 bytes "
         "(fp32 gradients); mlsysim: the nominal 13B at 16 bytes."),
    ]
    frame = pd.DataFrame(rows, columns=["scenario", "unit", "stackkit", "published", "source",
                                        "why they differ"])
    for peer in PEER_VERSIONS:
        frame.insert(4, peer, [PEER_FIGURES[s][peer] for s in frame["scenario"]])
    return frame[["scenario", "unit", "published", "stackkit", *PEER_VERSIONS, "source",
                  "why they differ"]]


@declared()
def peer_figures_live() -> dict[str, dict[str, float]]:
    """:data:`PEER_FIGURES` recomputed with the installed peers (ImportError if one is missing).

    llm-analysis 0.2.2 pins huggingface-hub < 0.15, which cannot share an environment
    with trackio (huggingface-hub ≥ 1.10): install it with ``pip install --no-deps
    llm-analysis fire`` (its transformers import is optional and unused here).
    """
    import logging

    from llm_analysis.analysis import ActivationRecomputation, DSZeRO, LLMAnalysis
    from llm_analysis.config import (
        ModelConfig,
        ParallelismConfig,
        get_dtype_config_by_name,
        get_gpu_config_by_name,
    )
    from mlsysim import Hardware, Models
    from mlsysim.core.units import ureg
    from mlsysim.engine.solvers.training import TrainingMemoryModel
    from mlsysim.physics.transformer import calc_transformer_training_flops

    logging.getLogger("llm_analysis").setLevel(logging.ERROR)
    w16 = get_dtype_config_by_name("w16a16e16")

    def la(model, gpu, parallel, **kw):
        return LLMAnalysis(model, get_gpu_config_by_name(gpu), w16, parallel, **kw)

    out: dict[str, dict[str, float]] = {}
    gpt_7b5 = ModelConfig(name="gpt-7.5b", num_layers=36, n_head=32, hidden_dim=4096,
                          vocab_size=51200, max_seq_len=2048)
    s = la(gpt_7b5, "a100-sxm-80gb", ParallelismConfig(dp_size=64)).training(
        batch_size_per_gpu=1, seq_len=2048, ds_zero=DSZeRO.STAGE_1, total_num_tokens=1e9,
        activation_recomputation=ActivationRecomputation.FULL)
    llama2 = Models.Language.Llama2_13B
    r = TrainingMemoryModel().solve(
        llama2.model_copy(update={"parameters": 7.5e9 * ureg.param}), Hardware.Cloud.A100,
        batch_size=64, seq_len=1024, zero_stage=1, dp_size=64)
    out["ZeRO-1 model states, 7.5B on 64 GPUs"] = {
        "llm-analysis": s["(weight+op_state+grad)_memory_per_gpu"] / 1e9,
        "mlsysim": (r.weights + r.gradients + r.optimizer_state).to("GB").magnitude}

    gpt3 = ModelConfig(name="gpt3", num_layers=96, n_head=96, hidden_dim=12288,
                       vocab_size=50257, max_seq_len=2048)
    s = la(gpt3, "a100-sxm-80gb", ParallelismConfig(tp_size=8, pp_size=8, dp_size=16),
           achieved_tflops=140).training(
        global_batch_size=1536, batch_size_per_gpu=1, seq_len=2048, total_num_tokens=300e9,
        activation_recomputation=ActivationRecomputation.FULL, ds_zero=DSZeRO.STAGE_1)
    c = calc_transformer_training_flops(175e9, 300e9, activation_checkpointing=True)
    out["GPT-3 175B on 1,024 A100 at 140 TFLOP/s"] = {
        "llm-analysis": s["total_training_latency"] / 86400,
        "mlsysim": c.to("flop").magnitude / (1024 * 140e12) / 86400}

    llama3 = ModelConfig(name="llama3-405b", num_layers=126, n_head=128, num_key_value_heads=8,
                         hidden_dim=16384, ffn_embed_dim=53248, expansion_ratio=3.25,
                         vocab_size=128256, max_seq_len=8192)
    s = la(llama3, "h100-sxm-80gb", ParallelismConfig(tp_size=8, pp_size=16, dp_size=128),
           achieved_tflops=400).training(
        global_batch_size=2048, batch_size_per_gpu=1, seq_len=8192, total_num_tokens=15.6e12,
        activation_recomputation=ActivationRecomputation.SELECTIVE, ds_zero=DSZeRO.STAGE_1,
        mlp_gated_linear_units=True)
    c = calc_transformer_training_flops(Models.Language.Llama3_405B.parameters, 15.6e12)
    out["Llama 3 405B GPU-hours at 400 TFLOP/s"] = {
        "llm-analysis": s["gpu_hours"], "mlsysim": c.to("flop").magnitude / 400e12 / 3600}

    llama13 = ModelConfig(name="llama2-13b", num_layers=40, n_head=40, hidden_dim=5120,
                          ffn_embed_dim=13824, expansion_ratio=2.7, vocab_size=32000,
                          max_seq_len=4096)
    s = la(llama13, "h100-sxm-80gb", ParallelismConfig(dp_size=8)).training(
        batch_size_per_gpu=1, seq_len=4096, ds_zero=DSZeRO.STAGE_3, total_num_tokens=1e9,
        activation_recomputation=ActivationRecomputation.FULL, mlp_gated_linear_units=True)
    r = TrainingMemoryModel().solve(llama2, Hardware.Cloud.H100, batch_size=8, seq_len=4096,
                                    zero_stage=3, dp_size=8, activation_checkpointing="full")
    out["13B model states, ZeRO-3 on 8 GPUs"] = {
        "llm-analysis": s["(weight+op_state+grad)_memory_per_gpu"] / 1e9,
        "mlsysim": (r.weights + r.gradients + r.optimizer_state).to("GB").magnitude}
    return out
