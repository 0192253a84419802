"""Attention at length: FlashAttention's memory and FLOPs, and context parallelism.

- FlashAttention (Dao et al. 2022, arXiv 2205.14135; FlashAttention-2, Dao 2023, arXiv
  2307.08691) computes softmax(QKᵀ)·V in tiles that stay on chip: the s × s score
  matrices never reach HBM, so the 5·a·s/(h·t) term of Korthikanti et al. 2022's Table 2
  goes, and the backward recomputes the scores instead of reading them;
- context parallelism splits each sequence over ``cp`` GPUs; every rank all-gathers the
  keys and values of the whole sequence for its local queries (Llama 3 Herd of Models,
  arXiv 2407.21783, section 3.3.2: the all-gather variant, CP 16 for the 128K stage).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import catalog
from .._declare import count, declared, optional
from .._results import Result
from ._specs import CHIP, MODEL, ZERO_STAGE
from .compute import _spec
from .memory import MemoryFit, activation_bytes_per_layer, memory_fit


@dataclass(frozen=True)
class FlashAttention(Result):
    """One layer's activations and a token's attention FLOPs, without and with FlashAttention."""

    model: str
    seq_len: int
    micro_batch: int
    tp: int
    standard_activation_gb: float  # per layer: scores, softmax and dropout kept in HBM
    flash_activation_gb: float  # per layer: the score term gone (Table 2's selective row)
    score_share: float  # share of the standard layer's activations that were the scores
    counted_attention_flops: float  # per token, 12·L·d·s: what MFU counts (PaLM, App. B)
    executed_attention_flops: float  # per token, FlashAttention-2 with a causal mask
    attention_share_of_model_flops: float  # 12·L·d·s / (6·N + 12·L·d·s)


@declared(model=MODEL, seq_len=optional(count()), micro_batch=count(), tp=count())
def flash_attention(model: str | catalog.ModelSpec, seq_len: int | None = None,
                    micro_batch: int = 1, tp: int = 1) -> FlashAttention:
    """What FlashAttention changes in a layer's activation memory and a token's attention FLOPs.

    Memory: the standard layer keeps sbh·(10 + 24/t + 5·a·s/(h·t)) bytes; the 5as/(ht) term is
    the score matrices (softmax output, dropout mask and output, 5 bytes per score), which
    FlashAttention never writes to HBM (it keeps only the softmax statistics, O(s) per head):
    sbh·(10 + 24/t), Korthikanti et al. 2022's "selective recomputation" row at no extra
    matmul. For GPT-3 175B at 2,048 tokens the score term is 80 of 114 bytes per sbh, the
    70 % Korthikanti et al. (section 5) save by recomputing it.

    FLOPs: MFU counts attention as 12·L·d·s per token (PaLM, Appendix B: 4·L·d·s forward,
    tripled). FlashAttention-2 (Dao 2023, section 4.1) skips the masked half of a causal
    score matrix (÷ 2) and recomputes the scores in its backward pass (backward = 2.5 ×
    forward, not 2 ×): it executes 4·L·d·s/2 · 3.5 = 7·L·d·s.
    """
    spec = _spec(model)
    s = spec.context_length if seq_len is None else seq_len
    b, t = micro_batch, tp
    standard = activation_bytes_per_layer(s, b, spec.d_model, spec.n_heads, t, False, "none")
    flash = activation_bytes_per_layer(s, b, spec.d_model, spec.n_heads, t, False, "selective")
    layers_ds = spec.n_layers * spec.d_model * s
    counted = 12.0 * layers_ds
    executed = 4.0 * layers_ds / 2 * 3.5
    dense = 6.0 * spec.params  # 6N of the published count (MoE: see training_flops_per_token)
    return FlashAttention(model=spec.name, seq_len=s, micro_batch=b, tp=t,
                          standard_activation_gb=standard / 1e9,
                          flash_activation_gb=flash / 1e9,
                          score_share=1 - flash / standard,
                          counted_attention_flops=counted, executed_attention_flops=executed,
                          attention_share_of_model_flops=counted / (dense + counted))


@dataclass(frozen=True)
class ContextParallel(Result):
    """A long-sequence layout with the sequence split over ``cp`` GPUs."""

    model: str
    chip: str
    seq_len: int
    cp: int
    tp: int
    pp: int
    dp: int
    n_gpus: int  # dp · cp · tp · pp
    memory: MemoryFit  # per GPU, the sequence shard s/cp (FlashAttention: no score matrices)
    kv_gathered_gb_per_layer: float  # keys and values each rank gathers per layer, forward
    attention_share_of_model_flops: float  # 12·L·d·s over 6N + 12·L·d·s at the full length


@declared(model=MODEL, chip=CHIP, seq_len=count(examples=(8192, 131072)),
          cp=count(examples=(1, 16)), tp=count(examples=(8, 1)), pp=count(), dp=count(),
          zero_stage=ZERO_STAGE, micro_batch=count())
def context_parallel(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                     seq_len: int, cp: int, tp: int = 8, pp: int = 1, dp: int = 1,
                     zero_stage: int = 1, micro_batch: int = 1) -> ContextParallel:
    """Memory per GPU and traffic of context parallelism over ``cp`` GPUs.

    Each rank holds s/cp of every sequence: its activations (FlashAttention's, sequence
    parallel inside the tp group: sbh·34/t for the shard) and logits shrink cp-fold, while the
    weights do not; the optimizer shards over dp·cp ranks as Megatron-core's distributed
    optimizer does. For attention every rank all-gathers the keys and values of the whole
    sequence, 2 · s · n_kv_heads · head_dim · 2 bytes / t per layer (Llama 3 Herd of Models,
    section 3.3.2, the all-gather variant: with grouped-query attention K and V are small
    beside Q). Llama 3 405B's long-context stage ran 131,072-token sequences on 16,384 H100s
    as TP 8 × CP 16 × PP 16 × DP 8 (Table 4, 380 TFLOP/s per GPU).
    """
    spec = _spec(model)
    s, c, t, p, d = seq_len, cp, tp, pp, dp
    if s % c:
        raise ValueError(f"cp={c} must divide seq_len={s}: each rank takes an equal shard")
    fit = memory_fit(spec, chip, zero_stage=zero_stage, dp=d * c, tp=t, pp=p,
                     micro_batch=micro_batch, seq_len=s // c, recompute="selective",
                     sequence_parallel=t > 1)
    kv = 2.0 * s * spec.n_kv_heads * spec.head_dim * 2.0 / t * micro_batch
    layers_ds = 12.0 * spec.n_layers * spec.d_model * s
    return ContextParallel(model=spec.name, chip=fit.chip, seq_len=s, cp=c, tp=t, pp=p, dp=d,
                           n_gpus=d * c * t * p, memory=fit,
                           kv_gathered_gb_per_layer=kv / 1e9,
                           attention_share_of_model_flops=layers_ds
                           / (6.0 * spec.params + layers_ds))
