"""Memory per GPU: ZeRO's model states, activations per layer, and whether a layout fits.

Rajbhandari et al. 2020 (ZeRO), section 3.1, 5.1 and Figure 1; Korthikanti et al. 2022,
Table 2 and section 4.2.3.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

from .. import catalog
from .._declare import count, declared, flag, optional, positive
from .._results import Result
from ._specs import CHIP, MODEL, RECOMPUTE_MODE, ZERO_STAGE
from .compute import _param_parts, _spec

ZERO_STAGES = (0, 1, 2, 3)

# Mixed-precision Adam (ZeRO paper, section 3.1): fp16 weights (2 bytes) and gradients (2),
# and K = 12 bytes of optimizer state: fp32 master weights, momentum and variance.
_WEIGHT_BYTES = 2.0
_GRAD_BYTES = 2.0
_OPTIMIZER_BYTES = 12.0



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


@declared(n_params=positive(examples=(7.5e9, 1e6)), zero_stage=ZERO_STAGE, dp=count())
def model_states_gb(n_params: float, zero_stage: int = 0, dp: int = 1) -> float:
    """Weights, gradients and Adam state per GPU (GB) under ZeRO over ``dp`` data-parallel ranks.

    Mixed-precision Adam holds 2 + 2 + K = 16 bytes per parameter (K = 12:
    fp32 copy, momentum, variance). Stage 1 shards the K bytes over the dp
    ranks, stage 2 also the gradients, stage 3 also the weights:
    (2+2+K)Ψ, 4Ψ + KΨ/N_d, 2Ψ + (2+K)Ψ/N_d, (2+2+K)Ψ/N_d
    (Rajbhandari et al. 2020, ZeRO, Figure 1: 7.5B parameters on 64 GPUs →
    120, 31.4, 16.6, 1.9 GB).
    """
    return sum(_model_states_bytes(n_params, zero_stage, dp)) / 1e9


@declared(seq_len=count(), micro_batch=count(), d_model=count(examples=(4096, 12288)),
          n_heads=count(examples=(32, 96)), tp=count(), sequence_parallel=flag(),
          recompute=RECOMPUTE_MODE)
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
    s, b, h, a, t = seq_len, micro_batch, d_model, n_heads, tp
    if a % t:
        raise ValueError(f"tp={t} must divide n_heads={a}: tensor parallelism gives each rank "
                         "a whole number of attention heads (Megatron-LM), as memory_fit "
                         "requires")
    mode = recompute
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


@declared(model=MODEL, chip=CHIP, zero_stage=ZERO_STAGE, dp=count(), tp=count(), pp=count(),
          micro_batch=count(), seq_len=optional(count()), recompute=RECOMPUTE_MODE,
          sequence_parallel=flag())
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
        "zero_stage": zero_stage, "dp": dp, "tp": tp, "pp": pp, "micro_batch": micro_batch,
        "seq_len": spec.context_length if seq_len is None else seq_len,
        "recompute": recompute, "sequence_parallel": sequence_parallel,
    }
    _check_degrees(spec, config["tp"], config["pp"])
    params, weights, grads, optimizer, activations, logits = _memory_parts(spec, **config)
    total = weights + grads + optimizer + activations + logits
    capacity = accelerator.weight_capacity_bytes
    fits = total <= capacity
    return MemoryFit(
        model=spec.name, chip=accelerator.name, **config, params_per_gpu=params,
        weights_gb=weights / 1e9, gradients_gb=grads / 1e9, optimizer_gb=optimizer / 1e9,
        activations_gb=activations / 1e9, logits_gb=logits / 1e9, total_gb=total / 1e9,
        capacity_gb=capacity / 1e9, fits=fits, shortfall_gb=max(0.0, total - capacity) / 1e9,
        suggestion="fits" if fits else _suggest(spec, capacity, config),
    )


# --------------------------------------------------------------------------- FSDP = ZeRO

#: PyTorch FSDP's name for each ZeRO stage (PyTorch docs, ``ShardingStrategy``; Zhao et al.
#: 2023, "PyTorch FSDP", VLDB 16(12), section 3.2). FSDP2's ``fully_shard`` is FULL_SHARD, or
#: SHARD_GRAD_OP with ``reshard_after_forward=False``; HYBRID_SHARD is FULL_SHARD inside a
#: node and plain replication across nodes. ZeRO-1 alone has no FSDP strategy: PyTorch
#: offers it as DDP with ``ZeroRedundancyOptimizer``.
FSDP_STRATEGIES = {0: "NO_SHARD (DDP)", 1: "DDP + ZeroRedundancyOptimizer",
                   2: "SHARD_GRAD_OP", 3: "FULL_SHARD"}


@declared(zero_stage=ZERO_STAGE)
def fsdp_strategy(zero_stage: int) -> str:
    """PyTorch's name for ZeRO stage ``zero_stage``: 3 → "FULL_SHARD" (see FSDP_STRATEGIES)."""
    return FSDP_STRATEGIES[zero_stage]


@declared(n_params=positive(examples=(8e9, 1e6)), zero_stage=ZERO_STAGE, dp=count(),
          bytes_per_value=positive(high=8, examples=(2.0, 1.0)))
def data_parallel_traffic_gb(n_params: float, zero_stage: int = 0, dp: int = 8,
                             bytes_per_value: float = 2.0) -> float:
    """GB each GPU sends per step (one micro-batch) for data parallelism under ZeRO / FSDP.

    Stages 0–2 move 2Ψ values: a reduce-scatter of the gradients and an all-gather of the
    updated weights (or an all-reduce, the same volume); stage 3 (FSDP FULL_SHARD) gathers
    the weights again for the backward pass: 3Ψ, "1.5x compared to the baseline"
    (Rajbhandari et al. 2020, ZeRO, section 7). Each pass sends (dp − 1)/dp of its buffer
    around a ring (lesson 2). With several micro-batches per step ZeRO-3 gathers per
    micro-batch (:func:`step_time` counts that); this is one.
    """
    passes = 3 if zero_stage == 3 else 2
    return passes * (dp - 1) / dp * n_params * bytes_per_value / 1e9
