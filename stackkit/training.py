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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

from . import _checks, catalog
from ._results import Result
from .units import HOURS_PER_DAY, SECONDS_PER_HOUR

__all__ = [
    "CHINCHILLA",
    "RECOMPUTE",
    "ZERO_STAGES",
    "MemoryFit",
    "Utilization",
    "activation_bytes_per_layer",
    "attention_flops_per_token",
    "chinchilla_loss",
    "chinchilla_optimal",
    "compute_optimal_loss",
    "days",
    "flops",
    "gpu_hours",
    "isoflop_curve",
    "memory_fit",
    "model_states_gb",
    "model_training_flops",
    "tokens_per_param",
    "training_flops_per_token",
    "utilization",
]

RECOMPUTE = ("none", "selective", "full")
ZERO_STAGES = (0, 1, 2, 3)

#: Hoffmann et al. 2022, eq. 10: L(N, D) = E + A / N^alpha + B / D^beta (fit of approach 3).
CHINCHILLA = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}

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
    return spec.params * spec.active_param_count() / spec.param_count()


def training_flops_per_token(model: str | catalog.ModelSpec, seq_len: int | None = None,
                             recompute: str = "none") -> float:
    """Training FLOPs per token of a catalog model: 6·N_active + 12·L·d·s (PaLM, Appendix B).

    ``seq_len`` defaults to the model's context length; full recomputation
    makes it 8·N_active + 16·L·d·s. For an MoE model N_active counts the
    experts a token is routed to (Mixtral 8x7B: 2 of 8).
    """
    spec = _spec(model)
    s = spec.context_length if seq_len is None else seq_len
    dense = (8.0 if _recompute(recompute) == "full" else 6.0) * _active_params(spec)
    return dense + attention_flops_per_token(spec.n_layers, spec.d_model, s, recompute)


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
        from . import chips
        peak = chips.peak_tflops(chip, precision)
    model_fpt = training_flops_per_token(model, seq_len, "none")
    hardware_fpt = training_flops_per_token(model, seq_len, recompute)
    if _recompute(recompute) == "selective":  # recompute the attention scores' forward once
        spec = _spec(model)
        s = spec.context_length if seq_len is None else seq_len
        hardware_fpt += 4.0 * spec.n_layers * spec.d_model * s
    achieved = rate * model_fpt / n / 1e12
    return Utilization(tokens_per_s=rate, n_gpus=n, peak_tflops_per_gpu=peak,
                       model_flops_per_token=model_fpt, hardware_flops_per_token=hardware_fpt,
                       achieved_tflops_per_gpu=achieved, mfu=achieved / peak,
                       hfu=rate * hardware_fpt / n / 1e12 / peak)


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
    """(N, D, loss) minimising eq. 10 under C = 6·N·D (Hoffmann et al. 2022, eq. 4).

    N_opt = G · (C/6)^(β/(α+β)), D_opt = G⁻¹ · (C/6)^(α/(α+β)),
    G = (αA / βB)^(1/(α+β)). The fitted law puts more weight on parameters
    than the 20-tokens rule at large budgets (its own Table A3 discussion).
    """
    c = _checks.positive("compute_flops", compute_flops)
    p = CHINCHILLA
    a, b = p["alpha"], p["beta"]
    g = (a * p["A"] / (b * p["B"])) ** (1 / (a + b))
    n = g * (c / 6) ** (b / (a + b))
    d = (c / 6) ** (a / (a + b)) / g
    return n, d, chinchilla_loss(n, d)


def isoflop_curve(compute_flops: float, n_params: object) -> list[dict[str, float]]:
    """Loss along one compute budget: for each N, D = C / 6N and eq. 10's loss.

    The valley of each curve is the compute-optimal model (Hoffmann et al.
    2022, Figure 3, "IsoFLOP profiles"). Returns rows of n_params, n_tokens,
    tokens_per_param and loss.
    """
    c = _checks.positive("compute_flops", compute_flops)
    rows = []
    for value in n_params:  # type: ignore[attr-defined]
        n = _checks.positive("n_params", value)
        d = c / (6 * n)
        rows.append({"compute_flops": c, "n_params": n, "n_tokens": d,
                     "tokens_per_param": d / n, "loss": chinchilla_loss(n, d)})
    return rows


def tokens_per_param(model: str | catalog.ModelSpec | float, n_tokens: float) -> float:
    """Training tokens per parameter: 20 is Chinchilla-optimal; Llama 3 8B saw ≈ 1,900."""
    return _checks.positive("n_tokens", n_tokens) / _params("model", model)


# --------------------------------------------------------------------------- memory

def _zero_stage(zero_stage: object) -> int:
    if isinstance(zero_stage, bool) or zero_stage not in ZERO_STAGES:
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
    if not isinstance(sequence_parallel, bool):
        raise ValueError(f"sequence_parallel must be True or False; got {sequence_parallel!r}")
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
    scale = spec.params / spec.param_count()  # published / architecture count (≈ 1)
    layer = spec._layer_params(spec.n_experts) * scale
    table = spec.vocab_size * spec.d_model * scale
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
        "recompute": _recompute(recompute), "sequence_parallel": sequence_parallel,
    }
    if not isinstance(sequence_parallel, bool):
        raise ValueError(f"sequence_parallel must be True or False; got {sequence_parallel!r}")
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
