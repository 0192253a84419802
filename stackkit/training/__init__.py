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
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real

from .. import _checks, catalog
from .._results import Result
from ..units import HOURS_PER_DAY, SECONDS_PER_HOUR

__all__ = [
    "BESIROGLU",
    "CHINCHILLA",
    "GEMM_SHARE_OF_MAMF",
    "MATMUL_EFFICIENCY",
    "PEER_FIGURES",
    "PEER_VERSIONS",
    "PRICE_MODES",
    "RECOMPUTE",
    "SCALING_FITS",
    "SCHEDULER_POLICIES",
    "ZERO_STAGES",
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
    "days",
    "flops",
    "gpu_hours",
    "implied_mfu",
    "isoflop_curve",
    "memory_fit",
    "model_states_gb",
    "model_training_flops",
    "peer_comparison",
    "peer_figures_live",
    "pipeline_bubble",
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

PRICE_MODES = ("on-demand", "reserved", "spot", "owned")
RECOMPUTE = ("none", "selective", "full")
ZERO_STAGES = (0, 1, 2, 3)

#: Hoffmann et al. 2022, eq. 10: L(N, D) = E + A / N^alpha + B / D^beta (fit of approach 3).
CHINCHILLA = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}

#: The same law refitted by Besiroglu et al. 2024 ("Chinchilla scaling: a replication
#: attempt", arXiv 2404.10102, eq. 4) on data reconstructed from Hoffmann et al.'s Figure 4:
#: it agrees with Hoffmann's approaches 1 and 2 (about 20 tokens per parameter), which the
#: rounded eq. 10 constants do not.
BESIROGLU = {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658}

#: The fits :func:`compute_optimal` knows.
SCALING_FITS = {"hoffmann2022": CHINCHILLA, "besiroglu2024": BESIROGLU}

# Mixed-precision Adam (ZeRO paper, section 3.1): fp16 weights (2 bytes) and gradients (2),
# and K = 12 bytes of optimizer state: fp32 master weights, momentum and variance.
_WEIGHT_BYTES = 2.0
_GRAD_BYTES = 2.0
_OPTIMIZER_BYTES = 12.0


def _params(name: str, value: object) -> float:
    """A parameter count, from a number or a model (name or ModelSpec: its published count)."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return _checks.positive(name, value)
    return float(catalog.model(value).params)


def _recompute(recompute: object) -> str:
    return _checks.one_of("recompute", recompute, RECOMPUTE)


# --------------------------------------------------------------------------- compute

def flops(n_params: float, n_tokens: float, recompute: str = "none") -> float:
    """Training FLOPs: 6·N·D, or 8·N·D with full activation recomputation.

    Each token costs 2N FLOPs forward and 4N backward (Kaplan et al. 2020,
    section 2.1; Hoffmann et al. 2022 use the same C = 6ND). Full
    recomputation runs the forward pass a second time: 8N (Narayanan et al.
    2021, section 5.1, who estimate GPT-3's training time as 8TP / nX).
    Selective recomputation (Korthikanti et al. 2022) recomputes only the
    attention scores, which 6N does not count, so it stays 6N here.

    Parameters
    ----------
    n_params : N, parameters a token passes through (active parameters for MoE).
    n_tokens : D, training tokens.
    recompute : "none", "selective" or "full".
    """
    n = _checks.positive("n_params", n_params)
    d = _checks.positive("n_tokens", n_tokens)
    return (8.0 if _recompute(recompute) == "full" else 6.0) * n * d


def attention_flops_per_token(n_layers: int, d_model: int, seq_len: int,
                              recompute: str = "none") -> float:
    """Attention-score FLOPs per training token that 6N leaves out: 12·L·d·s.

    Q·Kᵀ and scores·V cost 2·s·d FLOPs each per token per layer forward
    (4·L·d·s), tripled for forward + backward (PaLM, Chowdhery et al. 2022,
    Appendix B: 6N + 12·L·H·Q·T with H·Q = d, T = s); a full recomputation
    adds another forward: 16·L·d·s (the s/6h term of Narayanan et al. 2021, eq. 3).
    No causal-mask discount, as both papers count it.
    """
    layers = _checks.positive_int("n_layers", n_layers)
    d = _checks.positive_int("d_model", d_model)
    s = _checks.positive_int("seq_len", seq_len)
    factor = 16.0 if _recompute(recompute) == "full" else 12.0
    return factor * layers * d * s


def _spec(model: object) -> catalog.ModelSpec:
    return catalog.model(model)


def _active_params(spec: catalog.ModelSpec) -> float:
    """Active parameters: the published count scaled by the architecture's active share (MoE)."""
    from .. import transformer
    return spec.params * transformer.active_fraction(spec)


def _param_parts(spec: catalog.ModelSpec) -> tuple[float, float, float]:
    """(one layer, one embedding table, a layer's experts) in parameters, scaled so the
    architecture's count (``transformer.param_count``) matches the published one."""
    from .. import transformer
    counted = transformer.param_count(spec)
    scale = spec.params / counted
    table = spec.vocab_size * spec.d_model
    tables = 1 if spec.tied_embeddings else 2
    layer = (counted - tables * table - spec.d_model) / spec.n_layers  # less the final norm
    matrices = 3 if spec.ffn_kind == "swiglu" else 2  # SwiGLU: gate, up, down
    # a layer's routed experts, averaged over all layers (dense first layers have none)
    experts = (spec.n_experts * matrices * spec.d_model * spec.d_ff
               * transformer._moe_layers(spec) / spec.n_layers if spec.n_experts > 1 else 0)
    return layer * scale, table * scale, experts * scale


def training_flops_per_token(model: str | catalog.ModelSpec, seq_len: int | None = None,
                             recompute: str = "none") -> float:
    """Training FLOPs per token of a catalog model: 6·N_active + 12·L·d·s (PaLM, Appendix B).

    ``seq_len`` defaults to the model's context length; full recomputation
    makes it 8·N_active + 16·L·d·s. For an MoE model N_active counts the
    experts a token is routed to (Mixtral 8x7B: 2 of 8). Three (four) times
    the forward FLOPs of ``transformer.flops_per_token``.
    """
    spec = _spec(model)
    s = spec.context_length if seq_len is None else seq_len
    from .. import transformer
    passes = 4.0 if _recompute(recompute) == "full" else 3.0  # forward, backward (2×), again
    return passes * transformer.flops_per_token(spec, _checks.positive_int("seq_len", s))


def model_training_flops(model: str | catalog.ModelSpec, n_tokens: float,
                         seq_len: int | None = None, recompute: str = "none") -> float:
    """Training FLOPs of a catalog model on ``n_tokens``, attention included."""
    d = _checks.positive("n_tokens", n_tokens)
    return training_flops_per_token(model, seq_len, recompute) * d


@dataclass(frozen=True)
class Utilization(Result):
    """Model and hardware FLOPs utilization of a measured throughput (PaLM, Appendix B)."""

    tokens_per_s: float
    n_gpus: int
    peak_tflops_per_gpu: float
    model_flops_per_token: float  # 6N + 12·L·d·s: what the model needs
    hardware_flops_per_token: float  # plus recomputation: what the chips executed
    achieved_tflops_per_gpu: float  # model FLOPs per second per GPU
    mfu: float
    hfu: float


def utilization(tokens_per_s: float, model: str | catalog.ModelSpec, n_gpus: int,
                chip: str | catalog.Accelerator | float, seq_len: int | None = None,
                recompute: str = "none", precision: str = "bf16") -> Utilization:
    """MFU and HFU of a run that processes ``tokens_per_s`` on ``n_gpus`` chips.

    MFU = tokens/s · (6N + 12·L·d·s) / (n · peak): the share of peak spent on
    the FLOPs the model needs, whatever the implementation; HFU counts the
    FLOPs the hardware actually ran, recomputation included (Chowdhery et al.
    2022, PaLM, Appendix B). ``chip`` may be a bare peak in TFLOP/s.
    """
    rate = _checks.positive("tokens_per_s", tokens_per_s)
    n = _checks.positive_int("n_gpus", n_gpus)
    if isinstance(chip, Real) and not isinstance(chip, bool):
        peak = _checks.positive("chip (peak TFLOP/s)", chip)
    else:
        from .. import chips
        peak = chips.peak_tflops(chip, precision)
    model_fpt = training_flops_per_token(model, seq_len, "none")
    hardware_fpt = training_flops_per_token(model, seq_len, recompute)
    if _recompute(recompute) == "selective":  # recompute the attention scores' forward once
        spec = _spec(model)
        s = spec.context_length if seq_len is None else seq_len
        hardware_fpt += 4.0 * spec.n_layers * spec.d_model * s
    achieved = rate * model_fpt / n / 1e12
    hfu = rate * hardware_fpt / n / 1e12 / peak
    if hfu > 1:
        raise ValueError(f"tokens_per_s={tokens_per_s!r} on n_gpus={n:,} needs "
                         f"{hfu * peak:.4g} TFLOP/s per GPU, more than the chip's peak of "
                         f"{peak:.4g} (chip={chip!r}): "
                         "no run exceeds its chips' peak (utilization above 1); check "
                         "tokens_per_s (the whole run's, per second) and n_gpus")
    return Utilization(tokens_per_s=rate, n_gpus=n, peak_tflops_per_gpu=peak,
                       model_flops_per_token=model_fpt, hardware_flops_per_token=hardware_fpt,
                       achieved_tflops_per_gpu=achieved, mfu=achieved / peak, hfu=hfu)


def days(flops: float, n_gpus: int, achieved_tflops_per_gpu: float) -> float:
    """Wall-clock days to do ``flops`` on ``n_gpus`` at ``achieved_tflops_per_gpu`` each.

    T = C / (n · X) (Narayanan et al. 2021, section 5.1: GPT-3 175B on 300B
    tokens, 1,024 A100s at 140 TFLOP/s, 8TP / nX ≈ 34 days).
    """
    c = _checks.positive("flops", flops)
    n = _checks.positive_int("n_gpus", n_gpus)
    x = _checks.positive("achieved_tflops_per_gpu", achieved_tflops_per_gpu)
    return c / (n * x * 1e12) / SECONDS_PER_HOUR / HOURS_PER_DAY


def gpu_hours(flops: float, achieved_tflops_per_gpu: float) -> float:
    """GPU-hours to do ``flops`` at ``achieved_tflops_per_gpu``: C / X / 3,600."""
    c = _checks.positive("flops", flops)
    x = _checks.positive("achieved_tflops_per_gpu", achieved_tflops_per_gpu)
    return c / (x * 1e12) / SECONDS_PER_HOUR


# --------------------------------------------------------------------------- scaling laws

def chinchilla_optimal(compute_flops: float, tokens_per_param: float = 20) -> tuple[float, float]:
    """Compute-optimal (parameters, tokens) for a budget, by the 20-tokens-per-parameter rule.

    With C = 6·N·D and D = k·N: N = sqrt(C / 6k), D = k·N. Hoffmann et al.
    2022, Table 3, give about 20 tokens per parameter at every scale (67B:
    1.5T tokens for 5.76e23 FLOPs).
    """
    c = _checks.positive("compute_flops", compute_flops)
    k = _checks.positive("tokens_per_param", tokens_per_param)
    n = math.sqrt(c / (6.0 * k))
    return n, k * n


def chinchilla_loss(n_params: float, n_tokens: float) -> float:
    """Predicted pre-training loss (nats per token): E + A / N^α + B / D^β.

    Hoffmann et al. 2022, eq. 10 (approach 3 fit): E = 1.69, A = 406.4,
    B = 410.7, α = 0.34, β = 0.28. E is the irreducible loss of the text.
    """
    n = _checks.positive("n_params", n_params)
    d = _checks.positive("n_tokens", n_tokens)
    p = CHINCHILLA
    return p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"]


def compute_optimal_loss(compute_flops: float) -> tuple[float, float, float]:
    """(N, D, loss) minimising eq. 10 under C = 6·N·D: ``compute_optimal(C, "hoffmann2022")``.

    With the paper's rounded constants the optimum leans to data: at Chinchilla's own budget
    (5.76e23 FLOPs) it is 32B parameters on 3.0T tokens, 93 tokens per parameter, where the
    paper trained 70B on 1.4T (Besiroglu et al. 2024 trace this to the rounding).
    """
    return compute_optimal(compute_flops, "hoffmann2022")


def compute_optimal(compute_flops: float,
                    fit: str = "besiroglu2024") -> tuple[float, float, float]:
    """(n_params, n_tokens, loss) minimising L = E + A/N^α + B/D^β under C = 6·N·D.

    N_opt = G · (C/6)^(β/(α+β)), D_opt = G⁻¹ · (C/6)^(α/(α+β)), G = (αA / βB)^(1/(α+β))
    (Hoffmann et al. 2022, eq. 4). ``fit`` picks the constants: "besiroglu2024" (default,
    Besiroglu et al. 2024, eq. 4: 72B on 1.3T tokens at 5.76e23 FLOPs, about 18 tokens per
    parameter, as Hoffmann's approaches 1 and 2 find) or "hoffmann2022" (eq. 10 as printed,
    whose rounding moves the optimum to 32B on 3.0T, 93 tokens per parameter). The loss is
    the chosen fit's own.
    """
    c = _checks.positive("compute_flops", compute_flops)
    p = SCALING_FITS[_checks.one_of("fit", fit, tuple(SCALING_FITS))]
    a, b = p["alpha"], p["beta"]
    g = (a * p["A"] / (b * p["B"])) ** (1 / (a + b))
    n = g * (c / 6) ** (b / (a + b))
    d = (c / 6) ** (a / (a + b)) / g
    return n, d, p["E"] + p["A"] / n ** a + p["B"] / d ** b


def isoflop_curve(compute_flops: float, n_params: object) -> list[dict[str, float]]:
    """Loss along one compute budget: for each N, D = C / 6N and eq. 10's loss.

    The valley of each curve is the compute-optimal model (Hoffmann et al.
    2022, Figure 3, "IsoFLOP profiles"). Returns rows of n_params, n_tokens,
    tokens_per_param and loss.
    """
    c = _checks.positive("compute_flops", compute_flops)
    rows = []
    for value in _checks.sequence("n_params", n_params, single=Real):
        n = _checks.positive("n_params", value)
        d = c / (6 * n)
        if d > _checks.LIMIT:
            raise ValueError(f"n_params={value!r} leaves {d:.3g} tokens of compute_flops="
                             f"{compute_flops!r}, beyond the kit's ceiling; choose larger models")
        rows.append({"compute_flops": c, "n_params": n, "n_tokens": d,
                     "tokens_per_param": d / n, "loss": chinchilla_loss(n, d)})
    return rows


def tokens_per_param(model: str | catalog.ModelSpec | float, n_tokens: float) -> float:
    """Training tokens per parameter: 20 is Chinchilla-optimal; Llama 3 8B saw ≈ 1,900."""
    return _checks.positive("n_tokens", n_tokens) / _params("model", model)


# --------------------------------------------------------------------------- memory

def _zero_stage(zero_stage: object) -> int:
    if (isinstance(zero_stage, bool) or not isinstance(zero_stage, Real)
            or zero_stage not in ZERO_STAGES):
        raise ValueError(f"zero_stage must be one of 0, 1, 2, 3; got {zero_stage!r}")
    return int(zero_stage)  # type: ignore[arg-type]


def _model_states_bytes(n_params: float, zero_stage: int, dp: int) -> tuple[float, float, float]:
    """(weights, gradients, optimizer) bytes per GPU under ZeRO (Rajbhandari et al. 2020, 5.1)."""
    weights = _WEIGHT_BYTES * n_params / (dp if zero_stage >= 3 else 1)
    grads = _GRAD_BYTES * n_params / (dp if zero_stage >= 2 else 1)
    optimizer = _OPTIMIZER_BYTES * n_params / (dp if zero_stage >= 1 else 1)
    return weights, grads, optimizer


def model_states_gb(n_params: float, zero_stage: int = 0, dp: int = 1) -> float:
    """Weights, gradients and Adam state per GPU (GB) under ZeRO over ``dp`` data-parallel ranks.

    Mixed-precision Adam holds 2 + 2 + K = 16 bytes per parameter (K = 12:
    fp32 copy, momentum, variance). Stage 1 shards the K bytes over the dp
    ranks, stage 2 also the gradients, stage 3 also the weights:
    (2+2+K)Ψ, 4Ψ + KΨ/N_d, 2Ψ + (2+K)Ψ/N_d, (2+2+K)Ψ/N_d
    (Rajbhandari et al. 2020, ZeRO, Figure 1: 7.5B parameters on 64 GPUs →
    120, 31.4, 16.6, 1.9 GB).
    """
    n = _checks.positive("n_params", n_params)
    stage = _zero_stage(zero_stage)
    d = _checks.positive_int("dp", dp)
    return sum(_model_states_bytes(n, stage, d)) / 1e9


def activation_bytes_per_layer(seq_len: int, micro_batch: int, d_model: int, n_heads: int,
                               tp: int = 1, sequence_parallel: bool = False,
                               recompute: str = "none") -> float:
    """Activation memory of one transformer layer, bytes (Korthikanti et al. 2022, Table 2).

    With s = sequence, b = micro-batch, h = hidden size, a = heads, t = tensor-parallel size:

    =====================================  =====================
    no recomputation                       sbh (10 + 24/t + 5as/(ht))
    … with sequence parallelism            sbh (34/t + 5as/(ht))
    selective recomputation                sbh (10 + 24/t)
    … with sequence parallelism            sbh (34/t)
    full recomputation                     2·sbh (the layer's input only)
    =====================================  =====================

    (t = 1 gives the single-GPU sbh(34 + 5as/h).) 16-bit activations, 1-byte
    dropout masks. With full recomputation and sequence parallelism the stored
    input is itself split over the t ranks (2sbh/t), as Megatron-LM stores it.
    """
    s = _checks.positive_int("seq_len", seq_len)
    b = _checks.positive_int("micro_batch", micro_batch)
    h = _checks.positive_int("d_model", d_model)
    a = _checks.positive_int("n_heads", n_heads)
    t = _checks.positive_int("tp", tp)
    if a % t:
        raise ValueError(f"tp={t} must divide n_heads={a}: tensor parallelism gives each rank "
                         "a whole number of attention heads (Megatron-LM), as memory_fit "
                         "requires")
    sequence_parallel = _checks.boolean("sequence_parallel", sequence_parallel)
    mode = _recompute(recompute)
    sbh = float(s) * b * h
    if mode == "full":
        return 2 * sbh / (t if sequence_parallel else 1)
    linear = 34 / t if sequence_parallel else 10 + 24 / t
    attention = 0.0 if mode == "selective" else 5 * a * s / (h * t)
    return sbh * (linear + attention)


@dataclass(frozen=True)
class MemoryFit(Result):
    """Memory per GPU of one training configuration, against the chip's memory."""

    _derived = ("model_states_gb",)

    model: str
    chip: str
    zero_stage: int
    dp: int
    tp: int
    pp: int
    micro_batch: int
    seq_len: int
    recompute: str
    sequence_parallel: bool
    params_per_gpu: float  # the most parameters any one GPU holds (before ZeRO sharding)
    weights_gb: float
    gradients_gb: float
    optimizer_gb: float
    activations_gb: float  # transformer layers in flight on the busiest stage
    logits_gb: float  # fp32 output logits for the loss, last stage
    total_gb: float
    capacity_gb: float
    fits: bool
    shortfall_gb: float  # 0 when it fits
    suggestion: str  # what would make it fit (or "fits")

    @property
    def model_states_gb(self) -> float:
        return self.weights_gb + self.gradients_gb + self.optimizer_gb

    def parts(self) -> dict[str, float]:
        """The stacked bar: component -> GB."""
        return {"weights": self.weights_gb, "gradients": self.gradients_gb,
                "optimizer (Adam)": self.optimizer_gb, "activations": self.activations_gb,
                "logits": self.logits_gb}


def _check_degrees(spec: catalog.ModelSpec, tp: int, pp: int) -> None:
    problems = []
    if spec.n_heads % tp:
        problems.append(f"tp={tp} does not divide n_heads={spec.n_heads}")
    if spec.n_layers % pp:
        problems.append(f"pp={pp} does not divide n_layers={spec.n_layers}")
    if problems:
        raise ValueError(f"{spec.name}: " + "; ".join(problems)
                         + " (each rank must hold whole heads and whole layers)")


def _memory_parts(spec: catalog.ModelSpec, zero_stage: int, dp: int, tp: int, pp: int,
                  micro_batch: int, seq_len: int, recompute: str, sequence_parallel: bool,
                  n_microbatches: int | None = None) -> tuple[float, float, float, float, float,
                                                             float]:
    """(params per GPU, weights, grads, optimizer, activations, logits) in bytes."""
    layer, table, _ = _param_parts(spec)
    tables_on_first = 1 if (pp > 1 or spec.tied_embeddings) else 2
    first_stage = spec.n_layers / pp * layer + tables_on_first * table
    params = first_stage / tp
    weights, grads, optimizer = _model_states_bytes(params, zero_stage, dp)
    per_layer = activation_bytes_per_layer(seq_len, micro_batch, spec.d_model, spec.n_heads,
                                           tp, sequence_parallel, recompute)
    # 1F1B: the first stage holds min(p, m) micro-batches of its L/p layers in flight
    # (Narayanan et al. 2021, section 2.2.1; Korthikanti et al. 2022, section 4.2.3).
    in_flight = pp if n_microbatches is None else min(pp, n_microbatches)
    first = per_layer * spec.n_layers / pp * in_flight
    logits = 4.0 * seq_len * micro_batch * spec.vocab_size / tp  # fp32 logits for the loss
    if pp == 1:
        activations = first
    else:  # activations peak on the first stage, the logits live on the last: the busier one
        last = per_layer * spec.n_layers / pp
        if first >= last + logits:
            activations, logits = first, 0.0
        else:
            activations = last
    return params, weights, grads, optimizer, activations, logits


def _fits(spec: catalog.ModelSpec, capacity_bytes: float, **config) -> bool:
    parts = _memory_parts(spec, **config)
    return sum(parts[1:]) <= capacity_bytes


def _suggest(spec: catalog.ModelSpec, capacity_bytes: float, config: dict) -> str:
    """The first single change (in order of cost to throughput) that makes it fit."""
    tries = []
    if config["zero_stage"] < 3 and config["dp"] > 1:
        for stage in range(config["zero_stage"] + 1, 4):
            tries.append((f"ZeRO stage {stage} over dp={config['dp']}", {"zero_stage": stage}))
    if not config["sequence_parallel"] and config["tp"] > 1:
        tries.append(("sequence parallelism", {"sequence_parallel": True}))
    if config["recompute"] == "none":
        tries.append(("selective recomputation", {"recompute": "selective"}))
    if config["recompute"] != "full":
        tries.append(("full recomputation", {"recompute": "full"}))
    if config["micro_batch"] > 1:
        tries.append(("micro-batch 1", {"micro_batch": 1}))
    for tp in (2, 4, 8):
        if tp > config["tp"] and spec.n_heads % tp == 0:
            tries.append((f"tensor parallel tp={tp}", {"tp": tp}))
    for pp in range(config["pp"] + 1, spec.n_layers + 1):
        if spec.n_layers % pp == 0:
            tries.append((f"pipeline parallel pp={pp}", {"pp": pp}))
    for text, change in tries:
        if _fits(spec, capacity_bytes, **{**config, **change}):
            return f"fits with {text}"
    combined, steps = dict(config), {}
    for text, change in tries:  # no one change is enough: apply them one after another
        combined.update(change)
        steps[next(iter(change))] = text  # a later step of the same kind replaces the earlier
        if _fits(spec, capacity_bytes, **combined):
            return "fits with " + " + ".join(steps.values())
    states = 16.0 * spec.params / capacity_bytes
    return (f"does not fit even with {' + '.join(steps.values()) or 'every change'}: the model "
            f"states alone (16 bytes per parameter) need at least {math.ceil(states)} GPUs "
            "of this memory sharded with ZeRO-3, or chips with more memory")


def memory_fit(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
               zero_stage: int = 0, dp: int = 1, tp: int = 1, pp: int = 1,
               micro_batch: int = 1, seq_len: int | None = None, recompute: str = "none",
               sequence_parallel: bool = False) -> MemoryFit:
    """Memory per GPU of training ``model`` on ``chip``, whether it fits, and what would.

    Model states (:func:`model_states_gb`) of the parameters on the busiest
    GPU — its 1/tp share of L/pp layers plus the embedding table on the first
    stage (both tables when pp = 1 and they are untied) — then sharded by ZeRO
    over dp. Activations: :func:`activation_bytes_per_layer` × L/pp layers ×
    pp micro-batches in flight on the first stage under 1F1B, i.e. L layers'
    worth whatever pp is (Korthikanti et al. 2022, section 4.2.3); fp32 logits
    4·s·b·V/t for the loss on the last stage. Left out: the framework's
    workspace, communication buffers and fragmentation (often 1–5 GB more).
    ``seq_len`` defaults to the model's context length.
    """
    spec = _spec(model)
    accelerator = catalog.accelerator(chip)
    config = {
        "zero_stage": _zero_stage(zero_stage), "dp": _checks.positive_int("dp", dp),
        "tp": _checks.positive_int("tp", tp), "pp": _checks.positive_int("pp", pp),
        "micro_batch": _checks.positive_int("micro_batch", micro_batch),
        "seq_len": _checks.positive_int("seq_len", spec.context_length if seq_len is None
                                        else seq_len),
        "recompute": _recompute(recompute),
        "sequence_parallel": _checks.boolean("sequence_parallel", sequence_parallel),
    }
    _check_degrees(spec, config["tp"], config["pp"])
    params, weights, grads, optimizer, activations, logits = _memory_parts(spec, **config)
    total = weights + grads + optimizer + activations + logits
    capacity = accelerator.weight_capacity_gb * 1e9
    fits = total <= capacity
    return MemoryFit(
        model=spec.name, chip=accelerator.name, **config, params_per_gpu=params,
        weights_gb=weights / 1e9, gradients_gb=grads / 1e9, optimizer_gb=optimizer / 1e9,
        activations_gb=activations / 1e9, logits_gb=logits / 1e9, total_gb=total / 1e9,
        capacity_gb=capacity / 1e9, fits=fits, shortfall_gb=max(0.0, total - capacity) / 1e9,
        suggestion="fits" if fits else _suggest(spec, capacity, config),
    )


# --------------------------------------------------------------------------- parallelism

def pipeline_bubble(pp: int, n_microbatches: int, interleave: int = 1) -> float:
    """Pipeline bubble time over ideal compute time: (p − 1) / (v · m).

    Narayanan et al. 2021, section 2.2: with p stages and m micro-batches a
    1F1B (or GPipe) schedule idles for p − 1 micro-batch slots at the start
    and end of each step; the interleaved schedule with v model chunks per
    GPU divides that by v (section 2.2.2).
    """
    p = _checks.positive_int("pp", pp)
    m = _checks.positive_int("n_microbatches", n_microbatches)
    v = _checks.positive_int("interleave", interleave)
    return (p - 1) / (v * m)


#: A flat share of peak, for callers who pass ``efficiency=MATMUL_EFFICIENCY``: 0.48 =
#: Megatron-LM's single-GPU baseline (1.2B GPT-2 at 62.4 TFLOP/s, 48 % of a V100's peak;
#: NVIDIA ADLR, "MegatronLM's Supercharged V1.0", 2019). The default is the shape model.
MATMUL_EFFICIENCY = 0.48

#: The shape model's one constant: a transformer layer's GEMMs run at this share of the
#: chip's measured maximum achievable matmul throughput (MAMF, catalog
#: ``measured_bf16_tflops``: the best square GEMM). Calibrated once, on Megatron-LM's 1T row
#: (Narayanan et al. 2021, Table 1: 163 TFLOP/s on 3,072 A100s), the validation table's one
#: calibration row; every other row is a prediction. Real layers' GEMMs are thinner than the
#: best square one (t-way split, 3h and 4h/t shapes, wave quantization).
GEMM_SHARE_OF_MAMF = 0.735

#: HBM passes over a layer's activations outside the GEMMs (layer norms, GELU/SwiGLU,
#: dropout, softmax, residual adds): the forward writes them, the backward reads them and
#: writes their gradients; full recomputation writes them a second time.
_ELEMENTWISE_PASSES = {"none": 3.0, "selective": 3.0, "full": 4.0}


def _mamf_tflops(chip: catalog.Accelerator) -> float:
    """The chip's measured matmul ceiling; without a measurement, its peak × the median
    measured share of the chips that have one (about 0.8)."""
    if chip.measured_bf16_tflops is not None:
        return float(chip.measured_bf16_tflops)
    frame = catalog.accelerators()
    shares = (frame["measured_bf16_tflops"] / frame["bf16_tflops"]).dropna()
    return float(chip.bf16_tflops) * float(shares.median())


@dataclass(frozen=True)
class StepTime(Result):
    """One training step of a DP × TP × PP (× EP) configuration, split into its parts."""

    _derived = ("n_gpus", "exposed_comm_s")

    model: str
    chip: str
    dp: int
    tp: int
    pp: int
    ep: int
    micro_batch: int
    n_microbatches: int  # per pipeline per step
    global_batch: int  # sequences per step
    seq_len: int
    zero_stage: int
    recompute: str
    sequence_parallel: bool
    interleave: int
    compute_s: float  # hardware FLOPs per GPU / (efficiency · peak)
    bubble_s: float  # compute_s · (p − 1) / (v · m)
    tp_comm_s: float  # tensor-parallel all-reduces inside the node
    pp_comm_s: float  # activations sent between stages
    dp_comm_s: float  # gradient all-reduce (exposed part)
    ep_comm_s: float  # MoE all-to-alls
    step_s: float
    tokens_per_s: float
    achieved_tflops_per_gpu: float  # hardware FLOPs (recomputation included), as Megatron counts
    mfu: float  # model FLOPs (6N + 12·L·d·s) over peak
    memory_gb: float  # per GPU, on the busiest stage
    fits: bool

    @property
    def n_gpus(self) -> int:
        return self.dp * self.tp * self.pp

    @property
    def exposed_comm_s(self) -> float:
        return self.tp_comm_s + self.pp_comm_s + self.dp_comm_s + self.ep_comm_s


#: A server's links by its chip's scale-up generation, as NVIDIA's reference servers wire them:
#: DGX A100 (NVLink 3, 8 × 200 Gb/s HDR InfiniBand, the Selene cluster of Megatron-LM 2021),
#: DGX H100/H200 (NVLink 4, 8 × 400 Gb/s NDR; the H800's NVLink runs at 400 of 900 GB/s,
#: its cluster for DeepSeek-V3 had 400 Gb/s InfiniBand) and DGX B200 (NVLink 5, 8 × 400 Gb/s
#: ConnectX-7 NDR) — NVIDIA DGX A100, DGX H100 and DGX B200 datasheets. PCIe cards use their
#: PCIe generation inside the server and the network of their year.
_SERVER_LINKS = {"NVLink 3": ("NVLink 3", "InfiniBand HDR 4x"),
                 "NVLink 4": ("NVLink 4", "InfiniBand NDR 4x"),
                 "NVLink 4 (H800)": ("NVLink 4 (H800)", "InfiniBand NDR 4x"),
                 "NVLink 5": ("NVLink 5", "InfiniBand NDR 4x"),
                 "PCIe 4": ("PCIe 4.0 x16", "InfiniBand HDR 4x"),
                 "PCIe 5": ("PCIe 5.0 x16", "InfiniBand NDR 4x")}


def _links(chip: catalog.Accelerator, node_link: object,
           network: object) -> tuple[catalog.Interconnect, catalog.Interconnect]:
    """(link inside a server, network between servers): the caller's, else the chip's own."""
    default = _SERVER_LINKS.get(chip.scaleup_link or "")
    if default is None and (node_link is None or network is None):
        raise ValueError(f"chip {chip.name!r} has no catalogued server links (its scale-up "
                         f"link is {chip.scaleup_link!r}); pass node_link and network, e.g. "
                         "node_link='NVLink 4', network='InfiniBand NDR 4x'")
    return (catalog.interconnect(default[0] if node_link is None else node_link),
            catalog.interconnect(default[1] if network is None else network))


class _Setup:
    """Everything about (model, chip, links) that no configuration changes: computed once."""

    def __init__(self, model, chip, seq_len, global_batch, gpus_per_node, node_link, network,
                 efficiency, link_efficiency, overlap_dp):
        from .. import clusters
        self.spec = _spec(model)
        self.accelerator = catalog.accelerator(chip)
        if self.accelerator.bf16_tflops is None:
            raise ValueError(f"chip {self.accelerator.name!r} has no bf16_tflops in the catalog")
        self.peak = self.accelerator.bf16_tflops * 1e12
        self.capacity = self.accelerator.weight_capacity_gb * 1e9
        self.seq_len = _checks.positive_int("seq_len", self.spec.context_length if seq_len is None
                                            else seq_len)
        self.global_batch = _checks.positive_int("global_batch", global_batch)
        self.gpus_per_node = _checks.positive_int("gpus_per_node", gpus_per_node)
        # efficiency None: the shape model (GEMMs at a share of the chip's measured matmul
        # ceiling, the rest of a layer at HBM bandwidth); a number: one flat share of peak
        self.efficiency = (None if efficiency is None else
                           _checks.in_range("efficiency", efficiency, 0.0, 1.0, low_open=True))
        self.gemm_flop_s = GEMM_SHARE_OF_MAMF * _mamf_tflops(self.accelerator) * 1e12
        self.hbm_b_s = self.accelerator.memory_bw_tb_s * 1e12
        link_eff = (clusters.link_efficiency() if link_efficiency is None
                    else _checks.in_range("link_efficiency", link_efficiency, 0.0, 1.0,
                                          low_open=True))
        inside, outside = _links(self.accelerator, node_link, network)
        self.node_names = (inside.name, outside.name)
        self.intra_bw = inside.bandwidth_gb_s * link_eff
        self.inter_bw = outside.bandwidth_gb_s * link_eff
        self.alpha = clusters.collective_latency_s()
        self.inter_alpha = self.alpha + (outside.latency_us or 0.0) * 1e-6
        self.overlap_dp = _checks.boolean("overlap_dp", overlap_dp)
        spec, s = self.spec, self.seq_len
        self.model_fpt = training_flops_per_token(spec, s, "none")
        self.hw_fpt = {r: training_flops_per_token(spec, s, r) for r in RECOMPUTE}
        self.hw_fpt["selective"] += 4.0 * spec.n_layers * spec.d_model * s
        self.layer_params, self.table_params, self.expert_params = _param_parts(spec)


def _degree_problems(spec: catalog.ModelSpec, n_gpus: int, dp: int, tp: int, pp: int, ep: int,
                     micro_batch: int, global_batch: int, interleave: int,
                     gpus_per_node: int) -> list[str]:
    problems = []
    if dp * tp * pp != n_gpus:
        problems.append(f"dp·tp·pp = {dp}·{tp}·{pp} = {dp * tp * pp} is not n_gpus={n_gpus}")
    if spec.n_heads % tp:
        problems.append(f"tp={tp} does not divide n_heads={spec.n_heads}")
    if gpus_per_node % tp:
        problems.append(f"tp={tp} does not divide gpus_per_node={gpus_per_node} (tensor "
                        "parallelism stays inside a node)")
    if spec.n_layers % (pp * interleave):
        problems.append(f"pp·interleave={pp}·{interleave} does not divide "
                        f"n_layers={spec.n_layers}")
    if global_batch % (dp * micro_batch):
        problems.append(f"dp·micro_batch={dp}·{micro_batch} does not divide "
                        f"global_batch={global_batch} sequences")
    if ep > 1 and (spec.n_experts % ep or dp % ep):
        problems.append(f"ep={ep} must divide n_experts={spec.n_experts} and dp={dp}")
    return problems


def _ring_allreduce_s(size: float, n: int, bw_gb_s: float, alpha: float) -> float:
    """clusters.allreduce_seconds (ring) without argument checks: the planner's inner loop."""
    return 2 * (n - 1) / n * size / (bw_gb_s * 1e9) + 2 * (n - 1) * alpha if n > 1 else 0.0


def _one_pass_s(size: float, n: int, bw_gb_s: float, alpha: float) -> float:
    """clusters.all_to_all_seconds without argument checks."""
    return (n - 1) / n * size / (bw_gb_s * 1e9) + (n - 1) * alpha


def _dp_one_pass_s(st: _Setup, size: float, dp: int, tp: int, pp: int) -> float:
    """One reduce-scatter (or all-gather) of ``size`` bytes over the dp ranks, hierarchical
    when several share a server: inside the server, then 1/g of it across servers
    (clusters.hierarchical_allreduce_seconds is two of these)."""
    per_node = max(1, st.gpus_per_node // (tp * pp))
    if dp <= per_node:
        return _one_pass_s(size, dp, st.intra_bw, st.alpha)
    if per_node > 1 and dp % per_node == 0:
        return (_one_pass_s(size, per_node, st.intra_bw, st.alpha)
                + _one_pass_s(size / per_node, dp // per_node, st.inter_bw, st.inter_alpha))
    return _one_pass_s(size, dp, st.inter_bw, st.inter_alpha)


def _activation(s: int, b: int, h: int, a: int, t: int, sp: bool, mode: str) -> float:
    """activation_bytes_per_layer without argument checks."""
    sbh = float(s) * b * h
    if mode == "full":
        return 2 * sbh / (t if sp else 1)
    linear = 34 / t if sp else 10 + 24 / t
    return sbh * (linear + (0.0 if mode == "selective" else 5 * a * s / (h * t)))


def _evaluate(st: _Setup, dp: int, tp: int, pp: int, ep: int, b: int, zero: int,
              recompute: str, sp: bool, v: int) -> dict:
    """The step-time model (Narayanan et al. 2021, sections 3.2–3.5), per GPU, in seconds."""
    spec, s, h = st.spec, st.seq_len, st.spec.d_model
    n = dp * tp * pp
    m = st.global_batch // (dp * b)
    tokens = st.global_batch * s
    layers_here = spec.n_layers // pp
    if st.efficiency is None:
        # GEMMs at their measured ceiling, the other kernels at HBM bandwidth over the
        # activations Korthikanti et al. 2022 count (Table 2; "selective" as with
        # FlashAttention: no score matrices in HBM)
        traffic = _ELEMENTWISE_PASSES[recompute] * _activation(
            s, b, h, spec.n_heads, tp, sp, "selective" if recompute == "selective" else "none")
        compute = (tokens * st.hw_fpt[recompute] / n / st.gemm_flop_s
                   + traffic * layers_here * m / st.hbm_b_s)
    else:
        compute = tokens * st.hw_fpt[recompute] / n / (st.efficiency * st.peak)
    bubble = compute * (pp - 1) / (v * m)
    act_bytes = 2.0 * b * s * h  # one micro-batch's hidden states in bf16
    # Megatron tensor parallelism: 2 all-reduces forward, 2 backward per layer (+2 with full
    # recomputation); sequence parallelism swaps each for a reduce-scatter + all-gather of
    # the same volume (Korthikanti et al. 2022, section 4.2.2).
    tp_comm = 0.0
    if tp > 1:
        per = _ring_allreduce_s(act_bytes, tp, st.intra_bw, st.alpha)
        tp_comm = (6 if recompute == "full" else 4) * layers_here * m * per
    # pipeline: each micro-batch's activations forward and gradients back, per chunk boundary;
    # scatter/gather sends 1/t of them per rank (Narayanan et al. 2021, section 4.1)
    pp_comm = 0.0
    if pp > 1:
        cross = tp * pp > st.gpus_per_node
        bw = st.inter_bw if cross else st.intra_bw
        alpha = st.inter_alpha if cross else st.alpha
        pp_comm = 2 * m * v * (act_bytes / tp / (bw * 1e9) + alpha)
    # data parallelism over this GPU's parameters in bf16 (Rajbhandari et al. 2020, section 7):
    # ZeRO 0: all-reduce the gradients once per step (a reduce-scatter + an all-gather);
    # ZeRO 1–2: reduce-scatter the gradients, all-gather the updated weights: the same volume;
    # ZeRO 3 (DeepSpeed ZeRO-3, PyTorch FSDP FULL_SHARD): every micro-batch all-gathers the
    # weights for its forward and again for its backward, and reduce-scatters its gradients:
    # 3 passes per micro-batch. Overlap hides traffic only behind compute that runs at the
    # same time: the gradients of a step are complete only in the last micro-batch's backward
    # (2/3 of one micro-batch's compute); the ZeRO-1/2 weight gather can run behind the next
    # step's first forward (1/3); ZeRO-3's gathers and reduce-scatters run behind the forward
    # and backward of their own micro-batch.
    experts = st.expert_params
    tables = 1 if (pp > 1 or spec.tied_embeddings) else 2
    params = (layers_here * (st.layer_params - experts + experts / ep)
              + tables * st.table_params) / tp
    dp_comm = 0.0
    if dp > 1:
        one_pass = _dp_one_pass_s(st, 2.0 * params, dp, tp, pp)  # a reduce-scatter or gather
        per_mb = compute / m  # one micro-batch's compute on this GPU
        if zero == 3:
            exposed = (max(0.0, one_pass - per_mb / 3) + max(0.0, 2 * one_pass - per_mb * 2 / 3)
                       if st.overlap_dp else 3 * one_pass)
            dp_comm = m * exposed
        elif st.overlap_dp:
            dp_comm = (max(0.0, one_pass - per_mb * 2 / 3) + max(0.0, one_pass - per_mb / 3))
        else:
            dp_comm = 2 * one_pass
    # MoE: dispatch and combine all-to-alls of the routed tokens, forward and backward
    ep_comm = 0.0
    if ep > 1:
        routed = act_bytes * spec.experts_per_token
        cross = tp * ep > st.gpus_per_node
        per = _one_pass_s(routed, ep, st.inter_bw if cross else st.intra_bw,
                          st.inter_alpha if cross else st.alpha)
        ep_comm = 4 * layers_here * m * per
    step = compute + bubble + tp_comm + pp_comm + dp_comm + ep_comm
    weights, grads, optimizer = _model_states_bytes(params, zero, dp // ep if experts else dp)
    per_layer = _activation(s, b, h, spec.n_heads, tp, sp, recompute)
    # 1F1B holds min(p, m) micro-batches on the first stage; interleaving adds (p−1)/(p·v)
    # of a stage's worth (Korthikanti et al. 2022, section 4.2.3)
    first = per_layer * layers_here * min(pp, m) * (1 + (pp - 1) / (pp * v) if v > 1 else 1)
    logits = 4.0 * s * b * spec.vocab_size / tp
    busiest = first + logits if pp == 1 else max(first, per_layer * layers_here + logits)
    memory = weights + grads + optimizer + busiest
    return {"compute_s": compute, "bubble_s": bubble, "tp_comm_s": tp_comm,
            "pp_comm_s": pp_comm, "dp_comm_s": dp_comm, "ep_comm_s": ep_comm, "step_s": step,
            "tokens_per_s": tokens / step,
            "achieved_tflops_per_gpu": tokens * st.hw_fpt[recompute] / n / step / 1e12,
            "mfu": tokens * st.model_fpt / n / step / st.peak,
            "memory_gb": memory / 1e9, "fits": memory <= st.capacity,
            "n_microbatches": m}


def step_time(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator, n_gpus: int,
              dp: int, tp: int, pp: int, global_batch: int, micro_batch: int = 1,
              seq_len: int | None = None, ep: int = 1, zero_stage: int = 1,
              recompute: str = "selective", sequence_parallel: bool | None = None,
              interleave: int = 1, gpus_per_node: int = 8,
              node_link: str | catalog.Interconnect | None = None,
              network: str | catalog.Interconnect | None = None,
              efficiency: float | None = None, link_efficiency: float | None = None,
              overlap_dp: bool = True) -> StepTime:
    """Time of one training step of a DP × TP × PP (× EP) configuration.

    step = compute + bubble + exposed communication, where

    - compute, by default the shape model: the GEMMs' hardware FLOPs at
      :data:`GEMM_SHARE_OF_MAMF` of the chip's measured matmul ceiling (catalog
      ``measured_bf16_tflops``) plus the other kernels of each layer (norms, activations,
      dropout, softmax) as 3 HBM passes over the activation bytes of Korthikanti et al. 2022,
      Table 2 (4 with full recomputation) at the chip's memory bandwidth — so thin layers and
      long sequences run at a lower share of peak than wide ones; a number ``efficiency``
      instead gives the flat global_batch · seq_len · FLOPs per token / (n · efficiency · peak);
    - bubble = compute · (p − 1)/(v · m) (:func:`pipeline_bubble`), m = global_batch / (dp · b);
    - tensor parallel: 4 all-reduces of b·s·h bf16 values per layer per micro-batch (6 with
      full recomputation) over ``node_link`` (Narayanan et al. 2021, section 3.2);
    - pipeline: 2 point-to-point sends of b·s·h/t values per micro-batch and chunk, over
      ``network`` once a pipeline spans nodes;
    - data parallel, per ZeRO stage (hierarchical when several dp ranks share a node, at
      lesson 2's measured link efficiency): stages 0–2 reduce the bf16 gradients and gather
      the weights once per step; stage 3 (DeepSpeed ZeRO-3, FSDP FULL_SHARD) all-gathers the
      weights for the forward and again for the backward of every micro-batch and
      reduce-scatters its gradients. With ``overlap_dp`` (the default, as in Megatron-core,
      DeepSpeed and FSDP) only what runs beside compute hides: the gradient reduction behind
      the last micro-batch's backward, the weight gather behind the first forward, ZeRO-3's
      traffic behind its own micro-batch; ``overlap_dp=False`` is Megatron-LM 2021;
    - MoE: 4 all-to-alls of the routed tokens per layer per micro-batch over ``ep`` ranks.

    ``node_link`` and ``network`` default to the chip's server (DGX A100: NVLink 3 +
    InfiniBand HDR; DGX H100/H200: NVLink 4 + NDR; DGX B200: NVLink 5 + NDR); a chip without
    catalogued server links needs both passed.

    The memory per GPU and whether it fits come from the same formulas as
    :func:`memory_fit`. Degrees that do not divide (dp·tp·pp ≠ n_gpus, heads,
    layers, the batch, the node) raise ``ValueError`` naming them.
    """
    st = _Setup(model, chip, seq_len, global_batch, gpus_per_node, node_link, network,
                efficiency, link_efficiency, overlap_dp)
    n = _checks.positive_int("n_gpus", n_gpus)
    degrees = {k: _checks.positive_int(k, v) for k, v in
               {"dp": dp, "tp": tp, "pp": pp, "ep": ep, "micro_batch": micro_batch,
                "interleave": interleave}.items()}
    zero = _zero_stage(zero_stage)
    mode = _recompute(recompute)
    sp = (degrees["tp"] > 1 if sequence_parallel is None
          else _checks.boolean("sequence_parallel", sequence_parallel))
    problems = _degree_problems(st.spec, n, degrees["dp"], degrees["tp"], degrees["pp"],
                                degrees["ep"], degrees["micro_batch"], st.global_batch,
                                degrees["interleave"], st.gpus_per_node)
    if problems:
        raise ValueError("parallel degrees do not fit together: " + "; ".join(problems))
    parts = _evaluate(st, degrees["dp"], degrees["tp"], degrees["pp"], degrees["ep"],
                      degrees["micro_batch"], zero, mode, sp, degrees["interleave"])
    return StepTime(model=st.spec.name, chip=st.accelerator.name, dp=degrees["dp"],
                    tp=degrees["tp"], pp=degrees["pp"], ep=degrees["ep"],
                    micro_batch=degrees["micro_batch"], global_batch=st.global_batch,
                    seq_len=st.seq_len, zero_stage=zero, recompute=mode, sequence_parallel=sp,
                    interleave=degrees["interleave"], **parts)


#: The planner enumerates divisors of these counts: a million GPUs is ten times today's largest.
_MAX_PLAN_GPUS = 1_000_000


def _divisors(n: int) -> list[int]:
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]  # √n steps, not n
    return sorted(set(small + [n // d for d in small]))


@dataclass(frozen=True)
class Plan(Result):
    """The planner's answer: every valid configuration that fits, fastest first, and why."""

    model: str
    chip: str
    n_gpus: int
    global_batch: int
    seq_len: int
    n_considered: int  # configurations whose degrees divide
    n_fit: int  # of those, the ones that fit in memory
    best: StepTime | None
    explanation: str
    table: object  # pandas DataFrame, one row per fitting configuration, fastest first

    def top(self, k: int = 5):
        """The ``k`` fastest configurations."""
        return self.table.head(_checks.positive_int("k", k))


_PLAN_COLUMNS = ("dp", "tp", "pp", "ep", "interleave", "micro_batch", "n_microbatches",
                 "zero_stage",
                 "recompute", "step_s", "compute_s", "bubble_s", "tp_comm_s", "pp_comm_s",
                 "dp_comm_s", "ep_comm_s", "mfu", "achieved_tflops_per_gpu", "memory_gb",
                 "tokens_per_s")


def _explain(best: dict, table, st: _Setup) -> str:
    parts = {"compute": best["compute_s"], "pipeline bubble": best["bubble_s"],
             "tensor-parallel all-reduces": best["tp_comm_s"],
             "pipeline sends": best["pp_comm_s"], "gradient all-reduce": best["dp_comm_s"],
             "MoE all-to-alls": best["ep_comm_s"]}
    overhead = {k: v for k, v in parts.items() if k != "compute" and v > 0}
    worst = max(overhead, key=overhead.get) if overhead else None
    text = (f"dp={best['dp']} × tp={best['tp']} × pp={best['pp']}"
            + (f" × ep={best['ep']}" if best["ep"] > 1 else "")
            + f", micro-batch {best['micro_batch']}, ZeRO-{best['zero_stage']}, "
            f"{best['recompute']} recomputation: {best['step_s']:.3g} s per step at "
            f"{best['mfu']:.0%} MFU, {best['memory_gb']:.0f} of "
            f"{st.capacity / 1e9:.0f} GB per GPU. Compute is "
            f"{best['compute_s'] / best['step_s']:.0%} of the step")
    if worst is not None:
        text += f"; the largest overhead is the {worst} ({overhead[worst] / best['step_s']:.0%})"
    text += "."
    if best["tp"] > 1:
        text += (f" tp={best['tp']} splits each layer over GPUs of one node, where the "
                 f"all-reduces ride {st.node_names[0]}.")
    if best["pp"] > 1:
        v = best["interleave"]
        text += (f" pp={best['pp']} splits the layers into stages to fit memory; its bubble "
                 f"is (p−1)/(v·m) = {(best['pp'] - 1) / (v * best['n_microbatches']):.1%}"
                 + (f" with {v} interleaved chunks per GPU." if v > 1 else "."))
    degrees = ["dp", "tp", "pp", "ep"]
    others = table[(table[degrees] != [best[k] for k in degrees]).any(axis=1)]
    if len(others):
        runner = others.iloc[0]
        text += (f" The fastest other layout (dp={runner['dp']} × tp={runner['tp']} × "
                 f"pp={runner['pp']}) is {runner['step_s'] / best['step_s'] - 1:.1%} slower"
                 + (", mostly in "
                    + max(("compute_s", "bubble_s", "tp_comm_s", "pp_comm_s", "dp_comm_s",
                           "ep_comm_s"), key=lambda k: runner[k] - best[k])
                    .removesuffix("_s").replace("_", " ") + "."
                    if runner["step_s"] > best["step_s"] else "."))
    return text


def plan(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator, n_gpus: int,
         global_batch_tokens: float, seq_len: int | None = None, gpus_per_node: int = 8,
         node_link: str | catalog.Interconnect | None = None,
         network: str | catalog.Interconnect | None = None,
         micro_batches: tuple[int, ...] = (1, 2, 4, 8),
         zero_stages: tuple[int, ...] = (0, 1, 2, 3),
         recomputes: tuple[str, ...] = RECOMPUTE, interleaves: tuple[int, ...] = (1, 2, 4),
         efficiency: float | None = None, overlap_dp: bool = True) -> Plan:
    """Enumerate DP × TP × PP (× EP) factorisations of ``n_gpus``, keep those that fit, rank.

    Tensor parallelism stays inside a node (tp divides ``gpus_per_node`` and the
    heads); pp divides the layers; dp = n / (tp · pp) must leave a whole number
    of micro-batches: global_batch = global_batch_tokens / seq_len sequences, so
    the batch bounds data parallelism (dp ≤ global_batch). For MoE models expert
    parallelism ep divides both the experts and dp. Each configuration is timed
    by :func:`step_time`'s model (sequence parallelism on whenever tp > 1); those
    whose memory per GPU exceeds the chip's are dropped; the rest are ranked by
    step time. ``plan(...).explanation`` says why the winner wins. Links, efficiency and
    ``overlap_dp`` default as in :func:`step_time`.
    """
    import pandas as pd
    n = _checks.positive_int("n_gpus", n_gpus, high=_MAX_PLAN_GPUS)
    _checks.positive_int("gpus_per_node", gpus_per_node, high=_MAX_PLAN_GPUS)
    spec = _spec(model)
    s = _checks.positive_int("seq_len", spec.context_length if seq_len is None else seq_len)
    tokens = _checks.positive("global_batch_tokens", global_batch_tokens,
                              high=_checks.COUNT_LIMIT)
    batch = round(tokens / s)
    if batch < 1:
        raise ValueError(f"global_batch_tokens={global_batch_tokens!r} is less than one "
                         f"sequence of seq_len={s}")
    st = _Setup(spec, chip, s, batch, gpus_per_node, node_link, network, efficiency, None,
                overlap_dp)
    micro = [_checks.positive_int("micro_batches", b)
             for b in _checks.sequence("micro_batches", micro_batches, single=Real)]
    stages = [_checks.whole("zero_stages", z, 0, 3)
              for z in _checks.sequence("zero_stages", zero_stages, single=Real)]
    modes = [_checks.one_of("recomputes", r, RECOMPUTE)
             for r in _checks.sequence("recomputes", recomputes, single=str)]
    chunks = [_checks.positive_int("interleaves", v) for v in
              _checks.sequence("interleaves", interleaves, single=Real, min_len=0)] or [1]
    eps = [e for e in _divisors(spec.n_experts)] if spec.n_experts > 1 else [1]
    rows, considered = [], 0
    for tp in _divisors(st.gpus_per_node):
        if spec.n_heads % tp or n % tp:
            continue
        for pp in _divisors(spec.n_layers):
            if (n // tp) % pp:
                continue
            dp = n // (tp * pp)
            for ep in eps:
                if dp % ep:
                    continue
                for b in micro:
                    if batch % (dp * b):
                        continue
                    for zero in stages:
                        if zero > 0 and dp == 1:
                            continue
                        for mode in modes:
                            for v in chunks:
                                if v > 1 and (pp == 1 or spec.n_layers % (pp * v)):
                                    continue
                                considered += 1
                                r = _evaluate(st, dp, tp, pp, ep, b, zero, mode, tp > 1, v)
                                if r["fits"]:
                                    r.update(dp=dp, tp=tp, pp=pp, ep=ep, micro_batch=b,
                                             zero_stage=zero, recompute=mode, interleave=v,
                                             rank_recompute=RECOMPUTE.index(mode))
                                    rows.append(r)
    table = pd.DataFrame(rows, columns=[*_PLAN_COLUMNS, "rank_recompute"])
    # equal times: prefer the simpler configuration (less sharding, less recomputation)
    table["step_s"] = table["step_s"].round(12)
    table = (table.sort_values(["step_s", "zero_stage", "rank_recompute", "tp", "pp",
                                "interleave"], kind="stable")
             .drop(columns="rank_recompute").reset_index(drop=True))
    if table.empty:
        why = (f"no factorisation of {n} GPUs fits {spec.name} on {st.accelerator.name} "
               f"with a global batch of {batch} sequences of {s} tokens"
               + ("" if considered else " (no degrees divide: check n_gpus and the batch)"))
        return Plan(model=spec.name, chip=st.accelerator.name, n_gpus=n, global_batch=batch,
                    seq_len=s, n_considered=considered, n_fit=0, best=None, explanation=why,
                    table=table)
    top = table.iloc[0]
    best = step_time(spec, st.accelerator, n, int(top["dp"]), int(top["tp"]), int(top["pp"]),
                     batch, int(top["micro_batch"]), s, int(top["ep"]), int(top["zero_stage"]),
                     str(top["recompute"]), None, int(top["interleave"]), st.gpus_per_node,
                     node_link, network,
                     efficiency, None, overlap_dp)
    return Plan(model=spec.name, chip=st.accelerator.name, n_gpus=n, global_batch=batch,
                seq_len=s, n_considered=considered, n_fit=len(table), best=best,
                explanation=_explain(table.iloc[0].to_dict(), table, st), table=table)


# --------------------------------------------------------------------------- a whole run


@dataclass(frozen=True)
class TrainingRun(Result):
    """A whole training run: compute, time (with failures), GPU-hours, money and energy."""

    model: str
    chip: str
    n_gpus: int
    n_params: float  # parameters a token passes through (active for MoE)
    n_tokens: float
    flops: float  # 6·N·D (the convention of published figures)
    mfu: float
    achieved_tflops_per_gpu: float
    compute_days: float  # flops / (n · achieved), no failures
    goodput: float  # useful share of wall-clock time (reliability model; 1 = no failures)
    days: float  # wall clock: compute_days / goodput
    gpu_hours: float
    price_mode: str
    usd_per_gpu_hour: float
    price_source: str
    usd: float
    facility_mw: float
    energy_mwh: float  # facility energy: IT power · PUE · wall-clock hours


def _instance_for(chip: catalog.Accelerator, mode: str) -> str:
    """The catalog instance a run on ``chip`` would rent: each instance's latest price, the
    cheapest per GPU-hour (for spot, among those with a spot price); on a tie the larger
    server, as a training run rents whole 8-GPU nodes."""
    frame = catalog.instances()
    rows = frame[frame["accelerator"] == chip.name].sort_values("as_of")
    latest = rows.groupby("instance").tail(1)
    # Every mode prices the same offer: a cloud that sells on-demand, reserved and spot (a GPU
    # cloud or a capacity block in the catalog sells one mode only and has no spot price).
    all_modes = latest[latest["spot_usd_per_hour"].notna()]
    if mode == "spot" or not all_modes.empty:
        latest = all_modes
    if latest.empty:
        raise ValueError(f"the catalog has no cloud instance with {chip.name!r}"
                         + (" and a spot price" if mode == "spot" else "")
                         + "; pass usd_per_gpu_hour or use price_mode='owned'")
    column = "spot_usd_per_hour" if mode == "spot" else "usd_per_hour"
    best = latest.assign(per_gpu=latest[column] / latest["accelerator_count"]).sort_values(
        ["per_gpu", "accelerator_count"], ascending=[True, False])
    return str(best["instance"].iloc[0])


def _price(chip: catalog.Accelerator, mode: str, instance: str | None,
           reserved_discount: float | None, usd_per_gpu_hour: float | None) -> tuple[float, str]:
    if usd_per_gpu_hour is not None:
        for name, value in (("instance", instance), ("reserved_discount", reserved_discount)):
            if value is not None:
                raise ValueError(f"{name}={value!r} would be ignored: usd_per_gpu_hour sets the "
                                 "price outright; pass one or the other")
        return _checks.positive("usd_per_gpu_hour", usd_per_gpu_hour), "given"
    if mode == "owned":
        for name, value in (("instance", instance), ("reserved_discount", reserved_discount)):
            if value is not None:
                raise ValueError(f"{name}={value!r} prices a rented instance; price_mode="
                                 "'owned' costs the chip from lesson 2's ownership model instead")
        from .. import clusters
        owned = clusters.owned_cost(chip)
        return owned.usd_per_gpu_hour, (f"owned {chip.name}: server and network over "
                                        f"{owned.amortization_years:g} years, facility, power")
    from .. import cloud
    price = cloud.gpu_hour_price(_instance_for(chip, mode) if instance is None else instance, mode,
                                 reserved_discount=reserved_discount)
    return price.usd_per_gpu_hour, (f"{price.instance} {price.mode} ({price.provider}, "
                                    f"as of {price.as_of})")


#: The chip :func:`training_run` and the planner assume when none is named.
DEFAULT_CHIP = "H100 SXM"


def _run_chip(chip: object, instance: object) -> catalog.Accelerator:
    """The run's chip: ``chip``, else the ``instance``'s accelerator, else DEFAULT_CHIP; a
    chip that is not the instance's raises."""
    if instance is None:
        return catalog.accelerator(DEFAULT_CHIP if chip is None else chip)
    rented = catalog.accelerator(catalog.instance(instance).accelerator)
    if chip is None:
        return rented
    accelerator = catalog.accelerator(chip)
    if accelerator.name != rented.name:
        raise ValueError(f"instance={instance!r} rents {rented.name} GPUs, but chip="
                         f"{accelerator.name!r}; give the instance's chip or another instance")
    return accelerator


def training_run(model: str | catalog.ModelSpec | float, n_tokens: float,
                 chip: str | catalog.Accelerator | None = None, n_gpus: int = 1024,
                 mfu: float = 0.4, price_mode: str = "on-demand", instance: str | None = None,
                 reserved_discount: float | None = None, usd_per_gpu_hour: float | None = None,
                 checkpoint_s: float | None = None, restart_s: float = 0.0,
                 gpu_mtbf_hours: float | None = None, pue: float | None = None) -> TrainingRun:
    """FLOPs, days, GPU-hours, dollars and MWh of a training run.

    flops = 6·N·D (N active parameters); achieved = mfu · BF16 peak; compute
    time = flops / (n · achieved). With ``checkpoint_s`` given, failures at the
    Llama 3 rate (``reliability.llama3_chip_mtbf_s``, unless ``gpu_mtbf_hours``)
    cost goodput (Young 1974, ``reliability.goodput``) and the
    wall clock is compute time / goodput; without it, no failures are modelled.
    Price per GPU-hour: the catalog instance for the chip (cheapest latest one
    unless ``instance``) on-demand, reserved (``reserved_discount`` required)
    or spot (lesson 3, ``cloud.gpu_hour_price``); "owned" uses lesson 2's
    ``clusters.owned_cost``; ``usd_per_gpu_hour`` overrides all. Energy =
    facility power (``clusters.facility_power_mw``, PUE default 1.56) × wall hours.

    ``chip`` defaults to the ``instance``'s accelerator when one is given, else the
    H100 SXM; a chip that differs from the instance's is refused (an A100 instance's
    price for H100 hours would be a silently wrong bill). ``gpu_mtbf_hours`` and
    ``restart_s`` only act with ``checkpoint_s`` and are refused without it. A model
    of fewer than 10 million parameters warns (:class:`_checks.PlausibilityWarning`):
    ``70`` where ``70e9`` was meant.
    """
    from .. import chips, clusters
    if isinstance(model, Real) and not isinstance(model, bool):
        n_active, name = _checks.positive("model (parameter count)", model), "custom"
        _checks.plausible("model (parameter count)", n_active, 1e7, 1e14, "a trained "
                          "model's parameter count")
    else:
        spec = _spec(model)
        n_active, name = _active_params(spec), spec.name
    accelerator = _run_chip(chip, instance)
    if checkpoint_s is None:
        for what, value, unset in (("gpu_mtbf_hours", gpu_mtbf_hours, None),
                                   ("restart_s", restart_s, 0.0)):
            if value is not unset and value != unset:
                raise ValueError(f"{what}={value!r} only acts with checkpoint_s (failures are "
                                 "modelled only for a run that checkpoints); pass checkpoint_s "
                                 "too")
    n = _checks.positive_int("n_gpus", n_gpus)
    u = _checks.in_range("mfu", mfu, 0.0, 1.0, low_open=True)
    mode = _checks.one_of("price_mode", price_mode, PRICE_MODES)
    tokens = _checks.positive("n_tokens", n_tokens)
    if 6 * n_active * tokens > _checks.LIMIT:
        raise ValueError(f"n_tokens={n_tokens!r} on a model of {n_active:.3g} active "
                         f"parameters needs {6 * n_active * tokens:.3g} FLOP, beyond the kit's "
                         f"ceiling of {_checks.LIMIT:g}; choose fewer tokens or a smaller model")
    c = flops(n_active, tokens)
    achieved = u * chips.peak_tflops(accelerator, "bf16")
    compute_days = days(c, n, achieved)
    good = 1.0
    if checkpoint_s is not None:
        from .. import reliability
        chip_mtbf_s = (reliability.llama3_chip_mtbf_s() if gpu_mtbf_hours is None
                       else _checks.positive("gpu_mtbf_hours", gpu_mtbf_hours,
                                             high=_checks.LIMIT / SECONDS_PER_HOUR)
                       * SECONDS_PER_HOUR)
        mtbf_s = reliability.mtbf_s(n, chip_mtbf_s)
        good = reliability.goodput(checkpoint_s, restart_s, mtbf_s)
        if good <= 0:
            raise ValueError(f"with n_gpus={n:,} failures come every {mtbf_s:.3g} s "
                             f"(gpu_mtbf_hours={gpu_mtbf_hours!r}), faster than "
                             f"checkpoint_s={checkpoint_s!r} and restart_s={restart_s!r} let "
                             "the run progress; checkpoint faster or use fewer GPUs")
    wall_days = compute_days / good
    hours = wall_days * HOURS_PER_DAY
    price, source = _price(accelerator, mode, instance, reserved_discount, usd_per_gpu_hour)
    facility = clusters.facility_power_mw(n, accelerator, pue)
    return TrainingRun(
        model=name, chip=accelerator.name, n_gpus=n, n_params=n_active,
        n_tokens=float(n_tokens), flops=c, mfu=u, achieved_tflops_per_gpu=achieved,
        compute_days=compute_days, goodput=good, days=wall_days, gpu_hours=n * hours,
        price_mode=mode if usd_per_gpu_hour is None else "given", usd_per_gpu_hour=price,
        price_source=source, usd=n * hours * price, facility_mw=facility,
        energy_mwh=facility * hours,
    )


def implied_mfu(flops: float, gpu_hours: float, peak_tflops: float) -> float:
    """The MFU a published run implies: C / (GPU-hours · 3,600 · peak).

    DeepSeek-V3 (arXiv 2412.19437, Table 1): 6 · 37e9 · 14.8e12 FLOPs in
    2.788M H800 GPU-hours at 989 dense BF16 TFLOP/s → about 0.33 (it trained in
    FP8, whose peak is twice that, so ≈ 0.17 of the FP8 peak).
    """
    c = _checks.positive("flops", flops)
    h = _checks.positive("gpu_hours", gpu_hours)
    peak = _checks.positive("peak_tflops", peak_tflops)
    mfu = c / (h * SECONDS_PER_HOUR * peak * 1e12)
    if mfu > 1:
        raise ValueError(f"flops={flops!r} in gpu_hours={gpu_hours!r} at peak_tflops={peak:g} "
                         f"is an MFU of {mfu:.3g}: no run beats its chips' peak; check the "
                         "units (FLOPs, GPU-hours, TFLOP/s per GPU)")
    return mfu


# --------------------------------------------------------------------------- a real step, here

@dataclass(frozen=True)
class TinyRun(Result):
    """A small MLP language model trained here in NumPy, every matmul's FLOPs counted."""

    _derived = ("first_loss", "last_loss")

    steps: int
    batch_size: int
    context: int
    vocab_size: int
    n_matmul_params: int  # weights the matmuls use: N in 6·N·D
    tokens: int  # D: predicted tokens, batch_size · steps
    counted_flops: float  # summed over every matmul, forward and backward
    analytic_flops: float  # 6 · N · D
    seconds: float  # wall time of the steps (data, optimiser and all)
    matmul_seconds: float  # time inside the matmuls alone
    achieved_gflops: float  # counted FLOPs / seconds
    peak_gflops: float | None  # this machine's measured float32 matmul peak (lesson 1)
    mfu: float | None  # achieved / peak
    losses: tuple[float, ...]
    learning_rate: float
    seed: int

    @property
    def first_loss(self) -> float:
        return self.losses[0]

    @property
    def last_loss(self) -> float:
        return self.losses[-1]


#: Bounds on :func:`tiny_train`, so that a typed size cannot hang the kernel or fill
#: the memory: weights (float32, with Adam's two moments: 160 MB at most), activations
#: (batch × widest layer, 200 MB), and work: 6·N·B·steps matmul FLOPs and the
#: element-wise work beside them (embedding gathers and scatters, ReLU, softmax, Adam),
#: each a few seconds on a laptop core at most.
TINY_MAX_WEIGHTS = 10_000_000
TINY_MAX_ACTIVATIONS = 50_000_000
TINY_MAX_CORPUS_TOKENS = 1_000_000  # tiny_corpus is a Python loop over its tokens
TINY_MAX_BATCH = TINY_MAX_CORPUS_TOKENS // 4  # a run's corpus holds 4 × batch_size tokens
TINY_MAX_VOCAB = 65_536
TINY_MAX_FLOPS = 1e11
TINY_MAX_ELEMENTS = 2e8  # steps × batch × (context·embed + hidden + vocab): the O(B) work


def tiny_corpus(n_tokens: int = 20_000, vocab_size: int = 32, seed: int = 0):
    """A deterministic token stream with structure to learn: a sparse random Markov chain.

    Each token is followed by one of 3 successors (probabilities 0.6, 0.3, 0.1), so a
    model that learns the chain reaches a loss near 0.9 nats, from ln(V) at the start.
    """
    import numpy as np
    # A Python loop over the tokens: bounded so a typed count cannot hang the kernel.
    n = _checks.positive_int("n_tokens", n_tokens, high=TINY_MAX_CORPUS_TOKENS)
    v = _checks.whole("vocab_size", vocab_size, 3, TINY_MAX_VOCAB)  # 3 distinct successors each
    rng = np.random.default_rng(_checks.seed("seed", seed))
    successors = np.stack([rng.choice(v, size=3, replace=False) for _ in range(v)])
    draws = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])
    out = np.empty(n, dtype=np.int64)
    out[0] = 0
    for i in range(1, n):
        out[i] = successors[out[i - 1], draws[i]]
    return out


def tiny_train(steps: int = 30, batch_size: int = 64, learning_rate: float = 1e-2,
               context: int = 8, embed: int = 32, hidden: int = 128, vocab_size: int = 32,
               seed: int = 0, peak_gflops: float | None = None, callback=None,
               blas_threads: int | None = 1) -> TinyRun:
    """Train a small MLP language model (Bengio et al. 2003) for ``steps`` steps with Adam.

    tokens (B, c) → embedding lookup (B, c·e) → ReLU(X·W1 + b1) (B, H) → H·W2 + b2 → softmax.
    Each step's matmuls are counted as they run (2·m·k·n each): forward X·W1 and
    h·W2, backward dW2 = hᵀ·dlogits, dh = dlogits·W2ᵀ, dW1 = Xᵀ·dz, dX = dz·W1ᵀ
    (dX feeds the embedding gradient). That is 2 + 4 = 6 FLOPs per weight per
    token: counted = 6·N·D exactly, N = c·e·H + H·V (Kaplan et al. 2020, 2.1).
    Biases, the embedding lookup, softmax and Adam are O(N) element-wise work, not
    counted. ``peak_gflops`` (e.g. ``bench.measure_matmul(512).rate``) gives the
    MFU; ``callback(step, loss)`` is called after each step (a tracker's log).
    ``blas_threads`` caps the BLAS threads while it runs (threadpoolctl; at most
    this machine's cores; None: no cap): matrices this small run fastest on one
    core, and a multi-threaded BLAS on a busy machine spends its time waiting on
    its own threads (lesson 1).
    """
    from threadpoolctl import threadpool_limits
    threads = None if blas_threads is None else _checks.threads("blas_threads", blas_threads)
    with threadpool_limits(limits=threads, user_api="blas"):
        return _tiny_train(steps, batch_size, learning_rate, context, embed, hidden, vocab_size,
                           seed, peak_gflops, callback)


def _tiny_train(steps, batch_size, learning_rate, context, embed, hidden, vocab_size, seed,
                peak_gflops, callback) -> TinyRun:
    import time

    import numpy as np
    n_steps = _checks.positive_int("steps", steps)
    b = _checks.positive_int("batch_size", batch_size)
    lr = _checks.positive("learning_rate", learning_rate)
    c = _checks.whole("context", context, 1, 4096)  # windows drawn from 20,000+ tokens
    e = _checks.positive_int("embed", embed)
    h = _checks.positive_int("hidden", hidden)
    v = _checks.positive_int("vocab_size", vocab_size)
    peak = None if peak_gflops is None else _checks.positive("peak_gflops", peak_gflops)
    seed = _checks.seed("seed", seed)
    if callback is not None and not callable(callback):
        raise ValueError(f"callback must be None or a function callback(step, loss); got "
                         f"{callback!r:.60}")
    n_weights = c * e * h + h * v
    activations = b * max(c * e, h, v)
    if (v > TINY_MAX_VOCAB or b > TINY_MAX_BATCH or n_weights > TINY_MAX_WEIGHTS
            or activations > TINY_MAX_ACTIVATIONS):
        raise ValueError(
            f"a tiny run holds at most {TINY_MAX_WEIGHTS:,} weights (context·embed·hidden + "
            f"hidden·vocab_size), {TINY_MAX_ACTIVATIONS:,} activations (batch_size × the "
            f"widest layer), a batch_size of {TINY_MAX_BATCH:,} and a vocab_size of "
            f"{TINY_MAX_VOCAB:,}; got context={c}, embed={e}, hidden={h}, vocab_size={v}, "
            f"batch_size={b} ({n_weights:,} weights, {activations:,} activations)")
    flops = 6.0 * n_weights * b * n_steps
    elements = float(n_steps) * b * (c * e + h + v)
    if flops > TINY_MAX_FLOPS or elements > TINY_MAX_ELEMENTS:
        raise ValueError(
            f"steps={n_steps} × batch_size={b} at context={c}, embed={e}, hidden={h}, "
            f"vocab_size={v} is {flops:.3g} matmul FLOPs and {elements:.3g} element-wise "
            f"values; a tiny run allows {TINY_MAX_FLOPS:.0e} and {TINY_MAX_ELEMENTS:.0e} "
            "(a few seconds on a laptop core): make it smaller")
    rng = np.random.default_rng(seed)
    data = tiny_corpus(max(20_000, b * 4), v, seed)
    f32 = np.float32
    params = {
        "E": (rng.standard_normal((v, e)) * 0.1).astype(f32),
        "W1": (rng.standard_normal((c * e, h)) / np.sqrt(c * e)).astype(f32),
        "b1": np.zeros(h, f32),
        "W2": (rng.standard_normal((h, v)) / np.sqrt(h)).astype(f32),
        "b2": np.zeros(v, f32),
    }
    moments = {k: (np.zeros_like(p), np.zeros_like(p)) for k, p in params.items()}
    counted = 0.0
    matmul_s = 0.0

    def mm(a, w):
        nonlocal counted, matmul_s
        counted += 2.0 * a.shape[0] * a.shape[1] * w.shape[1]
        start = time.perf_counter()
        out = a @ w
        matmul_s += time.perf_counter() - start
        return out

    losses = []
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    rows = np.arange(b)
    start = time.perf_counter()
    step = 0
    try:
        # a learning rate that diverges overflows float32: an error, not NaN losses
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            for step in range(1, n_steps + 1):
                starts = rng.integers(0, len(data) - c - 1, size=b)
                idx = starts[:, None] + np.arange(c)
                x_tok, y = data[idx], data[starts + c]
                x = params["E"][x_tok].reshape(b, c * e)
                z = mm(x, params["W1"]) + params["b1"]
                a = np.maximum(z, 0)
                logits = mm(a, params["W2"]) + params["b2"]
                logits -= logits.max(axis=1, keepdims=True)
                p = np.exp(logits)
                p /= p.sum(axis=1, keepdims=True)
                loss = float(-np.log(p[rows, y] + 1e-12).mean())
                dlogits = p
                dlogits[rows, y] -= 1
                dlogits /= b
                grads = {"W2": mm(a.T, dlogits), "b2": dlogits.sum(axis=0)}
                dz = mm(dlogits, params["W2"].T) * (z > 0)
                grads["W1"] = mm(x.T, dz)
                grads["b1"] = dz.sum(axis=0)
                dx = mm(dz, params["W1"].T).reshape(b, c, e)
                d_embed = np.zeros_like(params["E"])
                np.add.at(d_embed, x_tok, dx)
                grads["E"] = d_embed
                for k, g in grads.items():  # Adam (Kingma & Ba 2015), bias-corrected
                    m1, m2 = moments[k]
                    m1 *= beta1
                    m1 += (1 - beta1) * g
                    m2 *= beta2
                    m2 += (1 - beta2) * g * g
                    params[k] -= (lr * (m1 / (1 - beta1**step))
                                  / (np.sqrt(m2 / (1 - beta2**step)) + eps)).astype(f32)
                losses.append(loss)
                if callback is not None:
                    callback(step, loss)
    except FloatingPointError:
        raise ValueError(f"training diverged at step {step} of {n_steps} (float32 overflow): "
                         f"learning_rate={lr:g} is too large for this model; Adam runs "
                         "use 1e-4 to 1e-1") from None
    seconds = time.perf_counter() - start
    tokens = b * n_steps
    achieved = counted / seconds / 1e9
    return TinyRun(steps=n_steps, batch_size=b, context=c, vocab_size=v,
                   n_matmul_params=n_weights, tokens=tokens, counted_flops=counted,
                   analytic_flops=6.0 * n_weights * tokens, seconds=seconds,
                   matmul_seconds=matmul_s, achieved_gflops=achieved, peak_gflops=peak,
                   mfu=None if peak is None else achieved / peak, losses=tuple(losses),
                   learning_rate=lr, seed=seed)


# --------------------------------------------------------------------------- orchestration

SCHEDULER_POLICIES = ("fifo", "backfill", "no-gang")
#: Most jobs :func:`schedule` simulates (its event loop is Python, O(jobs · nodes)).
MAX_SCHEDULED_JOBS = 100_000
#: Most jobs × nodes :func:`schedule` takes: each event scans the nodes (~10^-7 s a pair).
MAX_SCHEDULE_WORK = 10_000_000


@dataclass(frozen=True)
class Schedule(Result):
    """A cluster's queue over time under one scheduling policy."""

    policy: str
    n_nodes: int
    gpus_per_node: int
    n_jobs: int
    n_finished: int
    deadlocked: bool  # every GPU held by jobs that each wait for more: nothing can move
    makespan_h: float  # first arrival to last finish
    utilization: float  # GPU-hours of running jobs / (GPUs · makespan)
    held_idle_share: float  # GPU-hours held by waiting jobs (no-gang) / (GPUs · makespan)
    mean_wait_h: float
    p90_wait_h: float
    fragmentation: float  # time-averaged share of free GPUs stranded on part-used nodes
    jobs: object  # pandas DataFrame: one row per job, arrival, start, finish, wait


def synthetic_jobs(n_jobs: int = 60, seed: int = 0, mean_interarrival_h: float = 0.5,
                   sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32),
                   size_weights: tuple[float, ...] = (0.35, 0.15, 0.15, 0.15, 0.12, 0.08),
                   median_duration_h: float = 2.0):
    """An illustrative job mix: Poisson arrivals, mostly small jobs, log-normal durations.

    Not a trace: a seeded mix for the lesson's simulation (many small jobs and
    a few large ones, as shared clusters see; sizes ≥ 8 GPUs are whole nodes).
    Returns a DataFrame with job, arrival_h, gpus and duration_h.
    """
    import numpy as np
    import pandas as pd
    n = _checks.positive_int("n_jobs", n_jobs, high=100_000)
    gap = _checks.positive("mean_interarrival_h", mean_interarrival_h)
    median = _checks.positive("median_duration_h", median_duration_h)
    choices = _checks.array("sizes", sizes, low=1, high=2**20, whole=True, max_len=64)
    weights = _checks.array("size_weights", size_weights, low=0, low_open=True, max_len=64)
    if len(choices) != len(weights):
        raise ValueError(f"sizes and size_weights must have the same length; got "
                         f"{len(choices)} and {len(weights)}")
    rng = np.random.default_rng(_checks.seed("seed", seed))
    arrivals = np.cumsum(rng.exponential(gap, n))
    arrivals -= arrivals[0]
    gpus = rng.choice(choices.astype(np.int64), size=n, p=weights / weights.sum())
    durations = median * np.exp(rng.normal(0.0, 0.8, n))
    return pd.DataFrame({"job": np.arange(n), "arrival_h": arrivals, "gpus": gpus,
                         "duration_h": durations})


def _place(free: list[int], gpus: int, per_node: int) -> list[tuple[int, int]] | None:
    """Where a gang of ``gpus`` goes: whole free nodes for ≥ a node, else the fullest node
    with room (best fit); None if it does not fit now."""
    if gpus >= per_node:
        whole = [i for i, f in enumerate(free) if f == per_node]
        need = gpus // per_node
        return [(i, per_node) for i in whole[:need]] if len(whole) >= need else None
    fits = [i for i, f in enumerate(free) if f >= gpus]
    if not fits:
        return None
    best = min(fits, key=lambda i: (free[i], i))
    return [(best, gpus)]


def schedule(jobs, n_nodes: int = 16, gpus_per_node: int = 8,
             policy: str = "backfill") -> Schedule:
    """Simulate a GPU cluster's queue: FIFO, EASY backfill, or pod-by-pod without gang scheduling.

    Jobs (a DataFrame with arrival_h, gpus, duration_h, e.g. :func:`synthetic_jobs`)
    ask for whole nodes (≥ ``gpus_per_node`` GPUs, a multiple of it) or part of one.

    - ``"fifo"``: first come, first served, all-or-nothing (a gang): nothing
      starts ahead of the job at the head of the queue (Slurm with backfill off).
    - ``"backfill"``: FIFO plus EASY backfill (Lifka 1995; Slurm's default
      ``sched/backfill``): a later job may start now if it fits and finishes
      before the head job's reserved start, so it never delays it.
    - ``"no-gang"``: each job's GPUs are taken one pod at a time, in arrival
      order, and held until the job has all of them — the Kubernetes default
      scheduler's behaviour for a multi-pod job; gang schedulers (Volcano,
      Kueue, the coscheduling plugin) exist to prevent the partial holds and
      deadlocks this shows.

    Durations are known to the scheduler (users' time limits taken as exact).
    """
    import heapq

    import numpy as np
    import pandas as pd
    mode = _checks.one_of("policy", policy, SCHEDULER_POLICIES)
    nodes = _checks.positive_int("n_nodes", n_nodes, high=100_000)
    per_node = _checks.positive_int("gpus_per_node", gpus_per_node, high=1024)
    what = ("jobs must be a table (a DataFrame, a dict of columns or a list of rows) with "
            "arrival_h, gpus and duration_h columns, e.g. training.synthetic_jobs()")
    if isinstance(jobs, (str, bytes)) or not isinstance(jobs, (pd.DataFrame, Mapping, list,
                                                                tuple)):
        raise ValueError(f"{what}; got {type(jobs).__name__} {jobs!r:.60}")
    try:
        frame = pd.DataFrame(jobs)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what}; pandas could not read it: {exc}") from None
    for column in ("arrival_h", "gpus", "duration_h"):
        if column not in frame.columns:
            raise ValueError(f"jobs must have a {column!r} column; got {list(frame.columns)}")
    if not 1 <= len(frame) <= MAX_SCHEDULED_JOBS:
        raise ValueError(f"jobs must hold from 1 to {MAX_SCHEDULED_JOBS:,} jobs; got "
                         f"{len(frame):,}")
    if len(frame) * nodes > MAX_SCHEDULE_WORK:
        raise ValueError(f"{len(frame):,} jobs × n_nodes={nodes:,} is more than the "
                         f"{MAX_SCHEDULE_WORK:.0e} job-node pairs a simulation takes (about a "
                         "second); use fewer jobs or fewer nodes")
    total = nodes * per_node
    arrival_col = _checks.array("jobs.arrival_h", frame["arrival_h"], low=0,
                                max_len=MAX_SCHEDULED_JOBS)
    gpus_col = _checks.array("jobs.gpus", frame["gpus"], low=1, high=_checks.COUNT_LIMIT,
                             whole=True, max_len=MAX_SCHEDULED_JOBS)
    length_col = _checks.array("jobs.duration_h", frame["duration_h"], low=0, low_open=True,
                               max_len=MAX_SCHEDULED_JOBS)
    order = frame.assign(arrival_h=arrival_col, gpus=gpus_col.astype(np.int64),
                         duration_h=length_col).sort_values(
        "arrival_h", kind="stable").reset_index(drop=True)
    arrival = order["arrival_h"].tolist()
    need = order["gpus"].tolist()
    length = order["duration_h"].tolist()
    for i, g in enumerate(need):
        if g > total or (g > per_node and g % per_node):
            raise ValueError(f"job {i} asks for gpus={g}: it must be at most {total} (n_nodes="
                             f"{nodes} × gpus_per_node={per_node}) and, above one node, a "
                             f"multiple of gpus_per_node")
    n = len(need)
    free = [per_node] * nodes
    start = [math.nan] * n
    finish = [math.nan] * n
    held = [0] * n  # no-gang: GPUs a waiting job already holds
    held_where: list[list[tuple[int, int]]] = [[] for _ in range(n)]
    running: list[tuple[float, int, list[tuple[int, int]]]] = []  # (finish, job, placement)
    queue: list[int] = []
    now, nxt = 0.0, 0
    busy_area = held_area = frag_area = 0.0
    deadlocked = False

    def launch(j: int, where: list[tuple[int, int]]) -> None:
        for i, k in where:
            free[i] -= k
        start[j] = now
        finish[j] = now + length[j]
        heapq.heappush(running, (finish[j], j, where))

    while nxt < n or queue or running:
        # admit arrivals at this time
        while nxt < n and arrival[nxt] <= now:
            queue.append(nxt)
            nxt += 1
        if mode == "no-gang":
            # pods of the waiting jobs arrive interleaved; each takes one free GPU, in turn
            progress = True
            while progress:
                progress = False
                for j in queue:
                    if held[j] < need[j]:
                        i = next((i for i in range(nodes) if free[i]), None)
                        if i is None:
                            break
                        free[i] -= 1
                        held[j] += 1
                        held_where[j].append((i, 1))
                        progress = True
            for j in [j for j in queue if held[j] == need[j]]:
                queue.remove(j)
                for i, k in held_where[j]:
                    free[i] += k  # launch() takes them again
                launch(j, held_where[j])
        else:
            while queue:
                where = _place(free, need[queue[0]], per_node)
                if where is None:
                    break
                launch(queue.pop(0), where)
            if mode == "backfill" and queue:
                # the head's reservation: when enough GPUs will have been released
                head = queue[0]
                trial, shadow = list(free), math.inf
                for t_end, _, where in sorted(running):
                    for i, k in where:
                        trial[i] += k
                    if _place(trial, need[head], per_node) is not None:
                        shadow = t_end
                        break
                for j in list(queue[1:]):
                    if now + length[j] <= shadow:
                        where = _place(free, need[j], per_node)
                        if where is not None:
                            queue.remove(j)
                            launch(j, where)
        # advance to the next event
        events = [running[0][0]] if running else []
        if nxt < n:
            events.append(arrival[nxt])
        if not events:
            deadlocked = bool(queue)
            break
        t_next = min(events)
        in_use = total - sum(free)
        holding = sum(held[j] for j in queue)
        run_gpus = in_use - holding
        idle = sum(free)
        stranded = sum(f for f in free if 0 < f < per_node)
        dt_h = t_next - now
        busy_area += run_gpus * dt_h
        held_area += holding * dt_h
        frag_area += (stranded / idle if idle else 0.0) * dt_h
        now = t_next
        while running and running[0][0] <= now:
            _, _, where = heapq.heappop(running)
            for i, k in where:
                free[i] += k
    done = [j for j in range(n) if not math.isnan(finish[j])]
    first = arrival[0] if n else 0.0
    end = max((finish[j] for j in done), default=first)
    span = max(end - first, 1e-12)
    if deadlocked:
        span = max(now - first, 1e-12)
    waits = np.array([start[j] - arrival[j] for j in done]) if done else np.zeros(1)
    table = order.assign(start_h=start, finish_h=finish,
                         wait_h=[s - a for s, a in zip(start, arrival, strict=True)])
    return Schedule(
        policy=mode, n_nodes=nodes, gpus_per_node=per_node, n_jobs=n, n_finished=len(done),
        deadlocked=deadlocked, makespan_h=span, utilization=busy_area / (total * span),
        held_idle_share=held_area / (total * span), mean_wait_h=float(waits.mean()),
        p90_wait_h=float(np.percentile(waits, 90)), fragmentation=frag_area / span,
        jobs=table,
    )


# --------------------------------------------------------------------------- experiment tracking

def _trackio(store_dir: str | None):
    """trackio imported with its local store at ``store_dir`` (it fixes the folder at import)."""
    import os
    from pathlib import Path
    if store_dir is not None:
        wanted = Path(store_dir).expanduser().resolve()
        import sys
        if "trackio" in sys.modules:
            from trackio import utils
            if Path(utils.TRACKIO_DIR).resolve() != wanted:
                raise ValueError(f"store_dir={str(store_dir)!r}: trackio was already imported "
                                 f"with its store at {utils.TRACKIO_DIR}; it reads TRACKIO_DIR "
                                 "once, so use that folder or restart the kernel")
        else:
            os.environ["TRACKIO_DIR"] = str(wanted)
    try:
        import trackio
    except ImportError as exc:  # pragma: no cover - trackio comes with the lab extra
        raise ImportError("the sweep logs to trackio: pip install 'stackkit[lab]'") from exc
    return trackio


def sweep(learning_rates: tuple[float, ...] = (3e-3, 1e-2, 3e-2),
          batch_sizes: tuple[int, ...] = (32, 64), steps: int = 20,
          project: str = "stackkit-lesson05", store_dir: str | None = None, seed: int = 0):
    """Train :func:`tiny_train` for every (learning rate, batch size) and log it to trackio.

    Each run logs its config and its loss at every step to trackio's local
    SQLite store (no server; ``store_dir`` sets the folder, TRACKIO_DIR),
    then :func:`read_sweep` reads the whole project back. trackio was chosen
    over MLflow for this: MLflow 3's local file store refuses to start unless
    ``MLFLOW_ALLOW_FILE_STORE=true`` (it is in maintenance mode) and its
    SQLite store needs the full ``mlflow`` package; trackio keeps a local
    SQLite file by default. Returns the runs as a DataFrame (one row per step).
    """
    import contextlib
    import io
    lrs = [_checks.positive("learning_rates", lr) for lr in learning_rates]
    batches = [_checks.positive_int("batch_sizes", b, high=4096) for b in batch_sizes]
    n_steps = _checks.positive_int("steps", steps, high=10_000)
    if not lrs or not batches:
        raise ValueError("learning_rates and batch_sizes must each hold at least one value")
    trackio = _trackio(store_dir)
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        for lr in lrs:
            for b in batches:
                name = f"lr={lr:g} batch={b}"
                trackio.init(project=project, name=name, embed=False, resume="never",
                             config={"learning_rate": lr, "batch_size": b, "steps": n_steps,
                                     "seed": seed})
                try:
                    tiny_train(n_steps, b, lr, seed=seed,
                               callback=lambda step, loss: trackio.log({"loss": loss}, step=step))
                finally:
                    trackio.finish()
    return read_sweep(project, store_dir)


def read_sweep(project: str = "stackkit-lesson05", store_dir: str | None = None):
    """Every run of ``project`` in trackio's local store, as a DataFrame.

    Columns: run, learning_rate, batch_size, step, loss (one row per logged step).
    """
    import pandas as pd
    _trackio(store_dir)
    from trackio.sqlite_storage import SQLiteStorage
    rows = []
    for run in SQLiteStorage.get_runs(project):
        config = SQLiteStorage.get_run_config(project, run) or {}
        for entry in SQLiteStorage.get_logs(project, run):
            if "loss" in entry:
                rows.append({"run": run, "learning_rate": config.get("learning_rate"),
                             "batch_size": config.get("batch_size"), "step": entry["step"],
                             "loss": entry["loss"]})
    return pd.DataFrame(rows, columns=["run", "learning_rate", "batch_size", "step", "loss"])


# --------------------------------------------------------------------------- peers

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


def peer_comparison():
    """Lesson 5's scenarios: stackkit, the published figure, and each peer, with why they differ.

    Peers: llm-analysis (Cheng Li, 2023; PyPI ``llm-analysis``) and mlsysim
    (PyPI ``mlsysim``), at :data:`PEER_VERSIONS`; their figures are
    :data:`PEER_FIGURES`, recomputed by :func:`peer_figures_live`.
    """
    import pandas as pd
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
         "Llama 3 model card (30.84M H100 GPU-hours for 405B)",
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
