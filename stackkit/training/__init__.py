"""Layer 5 — training: FLOPs and scaling laws, memory per GPU, parallelism, time and cost of a run.

Pure functions: numbers in, numbers or small frozen dataclasses out. Lesson 5
(``notebooks/05_training.ipynb``) introduces every function here. A ``model``
argument is a catalog name (``"Llama 3 70B"``) or a
:class:`~stackkit.catalog.ModelSpec`; a ``chip`` a catalog name or an
:class:`~stackkit.catalog.Accelerator`.

The arithmetic follows four papers:

- compute: C ≈ 6·N·D (Kaplan et al. 2020, "Scaling laws for neural language
  models", section 2.1), plus attention 12·L·d·s per token (Chowdhery et al.
  2022, PaLM, Appendix B), and model vs hardware FLOPs utilization (PaLM, Appendix B);
- scaling: Hoffmann et al. 2022 ("Training compute-optimal large language
  models", Chinchilla), eq. 10 and Table 3;
- memory: Rajbhandari et al. 2020 (ZeRO, SC'20), section 3.1 and Figure 1, and
  Korthikanti et al. 2022 ("Reducing activation recomputation in large
  transformer models", arXiv 2205.05198), Table 2;
- parallelism: Narayanan et al. 2021 ("Efficient large-scale language model
  training on GPU clusters using Megatron-LM", SC'21), sections 2–3 and eq. (3).

Around the arithmetic: a run's days, GPU-hours, dollars and MWh (lessons 2 and 3's
prices, power and failures), a real NumPy training step whose FLOPs are counted,
a sweep logged to trackio's local store, a cluster scheduler simulation (FIFO,
EASY backfill, no gang scheduling), and the same scenarios from two peer
calculators (llm-analysis, mlsysim).

One idea per file:

- ``compute.py``: FLOPs per token and per run, MFU/HFU, days, GPU-hours;
- ``scaling_laws.py``: Chinchilla's loss law, compute-optimal models, IsoFLOP curves;
- ``memory.py``: ZeRO's model states, activations per layer, :func:`memory_fit`, FSDP's names;
- ``attention.py``: FlashAttention's memory and FLOPs, context parallelism;
- ``experts.py``: expert parallelism's all-to-all traffic;
- ``precision.py``: FP8 training's peak and bytes per parameter;
- ``parallelism.py``: the pipeline bubble and :func:`step_time` of a DP × TP × PP (× EP) layout;
- ``plan.py``: the planner, every layout that fits, ranked;
- ``run.py``: a whole run's days, GPU-hours, dollars and MWh; :func:`implied_mfu`;
- ``tiny.py``: a real NumPy training step with its FLOPs counted;
- ``scheduler.py``: a cluster queue under FIFO, backfill or no gang scheduling;
- ``tracking.py``: a sweep logged to trackio;
- ``peers.py``: the same scenarios from llm-analysis and mlsysim.
"""

from __future__ import annotations

from .attention import ContextParallel, FlashAttention, context_parallel, flash_attention
from .compute import (
    RECOMPUTE,
    Utilization,
    attention_flops_per_token,
    days,
    flops,
    gpu_hours,
    model_training_flops,
    training_flops_per_token,
    utilization,
)
from .experts import ExpertTraffic, expert_traffic
from .memory import (
    FSDP_STRATEGIES,
    ZERO_STAGES,
    MemoryFit,
    activation_bytes_per_layer,
    data_parallel_traffic_gb,
    fsdp_strategy,
    memory_fit,
    model_states_gb,
)
from .parallelism import (
    GEMM_SHARE_OF_MAMF,
    MATMUL_EFFICIENCY,
    StepTime,
    pipeline_bubble,
    pipeline_idle_share,
    step_time,
)
from .peers import PEER_FIGURES, PEER_VERSIONS, peer_comparison, peer_figures_live
from .plan import Plan, plan
from .precision import FP8_RECIPE_BYTES, Fp8Training, fp8_training

# Ceilings the docs name as training.X (docs/architecture.md, "Work never grows without bound").
from .run import DEFAULT_CHIP as DEFAULT_CHIP
from .run import PRICE_MODES, TrainingRun, implied_mfu, training_run
from .scaling_laws import (
    BESIROGLU,
    CHINCHILLA,
    SCALING_FITS,
    chinchilla_loss,
    chinchilla_optimal,
    compute_optimal,
    compute_optimal_loss,
    isoflop_curve,
    tokens_per_param,
)
from .scheduler import MAX_SCHEDULE_WORK as MAX_SCHEDULE_WORK
from .scheduler import MAX_SCHEDULED_JOBS as MAX_SCHEDULED_JOBS
from .scheduler import (
    SCHEDULER_POLICIES,
    Schedule,
    schedule,
    synthetic_jobs,
)
from .tiny import TINY_MAX_ACTIVATIONS as TINY_MAX_ACTIVATIONS
from .tiny import TINY_MAX_FLOPS as TINY_MAX_FLOPS
from .tiny import TINY_MAX_WEIGHTS as TINY_MAX_WEIGHTS
from .tiny import (
    TinyRun,
    tiny_corpus,
    tiny_train,
)
from .tracking import read_sweep, sweep

__all__ = [
    "BESIROGLU",
    "CHINCHILLA",
    "FP8_RECIPE_BYTES",
    "FSDP_STRATEGIES",
    "GEMM_SHARE_OF_MAMF",
    "MATMUL_EFFICIENCY",
    "PEER_FIGURES",
    "PEER_VERSIONS",
    "PRICE_MODES",
    "RECOMPUTE",
    "SCALING_FITS",
    "SCHEDULER_POLICIES",
    "ZERO_STAGES",
    "ContextParallel",
    "ExpertTraffic",
    "FlashAttention",
    "Fp8Training",
    "MemoryFit",
    "Plan",
    "Schedule",
    "StepTime",
    "TinyRun",
    "TrainingRun",
    "Utilization",
    "activation_bytes_per_layer",
    "attention_flops_per_token",
    "chinchilla_loss",
    "chinchilla_optimal",
    "compute_optimal",
    "compute_optimal_loss",
    "context_parallel",
    "data_parallel_traffic_gb",
    "days",
    "expert_traffic",
    "flash_attention",
    "flops",
    "fp8_training",
    "fsdp_strategy",
    "gpu_hours",
    "implied_mfu",
    "isoflop_curve",
    "memory_fit",
    "model_states_gb",
    "model_training_flops",
    "peer_comparison",
    "peer_figures_live",
    "pipeline_bubble",
    "pipeline_idle_share",
    "plan",
    "read_sweep",
    "schedule",
    "step_time",
    "sweep",
    "synthetic_jobs",
    "tiny_corpus",
    "tiny_train",
    "tokens_per_param",
    "training_flops_per_token",
    "training_run",
    "utilization",
]

