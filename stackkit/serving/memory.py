"""Serving memory: weights and the KV cache per token and per attention variant, how many
sequences fit (:func:`memory_plan`), paged vs contiguous allocation (:func:`kv_waste`) and
quantization (:func:`quantization_table`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import _checks, catalog, transformer
from .._declare import array, count, declared, fraction, optional, positive
from .._results import Result
from ..units import GB
from ._specs import CHIP, MAX_REQUESTS, MODEL

# --------------------------------------------------------------------------- model arithmetic



def _spec(model: str | catalog.ModelSpec) -> catalog.ModelSpec:
    return transformer.spec(model)


@declared(model=MODEL, bytes_per_param=positive(examples=(2.0, 0.5)))
def weight_bytes(model: str | catalog.ModelSpec, bytes_per_param: float = 2.0) -> float:
    """Bytes of the model's weights (:func:`stackkit.transformer.weight_bytes`).

    Llama 2 13B in fp16: 13.016e9 · 2 = 26.0 GB.
    """
    return transformer.weight_bytes(model, bytes_per_param)


@declared(model=MODEL, bytes_per_element=positive(examples=(2.0, 1.0)))
def kv_cache_bytes_per_token(model: str | catalog.ModelSpec,
                             bytes_per_element: float = 2.0) -> float:
    """KV cache per token of context: 2 (K and V) · layers · KV heads · head size · bytes.

    Kwon et al. 2023 (vLLM, arXiv 2309.06180, section 3): OPT-13B holds
    2 · 40 · 5120 · 2 B = 800 KiB per token. Grouped-query attention (Ainslie et
    al. 2023) shares each K/V head among n_heads / n_kv_heads query heads, so
    Llama 3 8B (8 KV heads of 32) stores a quarter of what multi-head attention would.
    The arithmetic lives in :func:`stackkit.transformer.kv_cache_bytes_per_token`.
    """
    return transformer.kv_cache_bytes_per_token(model, bytes_per_element)


#: Attention variants :func:`kv_bytes_by_attention` compares.
ATTENTION_KINDS = ("MHA", "GQA", "MQA", "MLA")


@declared(model=MODEL, bytes_per_element=positive(examples=(2.0, 1.0)),
          mla_latent_dim=count(high=1 << 20), mla_rope_dim=count(high=1 << 20))
def kv_bytes_by_attention(model: str | catalog.ModelSpec, bytes_per_element: float = 2.0,
                          mla_latent_dim: int = 512, mla_rope_dim: int = 64) -> pd.DataFrame:
    """KV bytes per token of the model's shape under each attention variant.

    MHA: 2 · L · n_heads · d_head (Vaswani et al. 2017); GQA: 2 · L · n_kv · d_head
    (Ainslie et al. 2023; the model's own n_kv); MQA: 2 · L · d_head (one K/V head,
    Shazeer 2019); MLA: L · (d_c + d_rope), a compressed latent plus a decoupled
    RoPE key (DeepSeek-V2, arXiv 2405.04434, Table 1: d_c = 512, d_rope = 64, i.e.
    "4.5 d_head" per layer at d_head 128). MLA is a different model, not a setting:
    the row shows what this shape would store had it been trained with MLA.
    """
    spec = _spec(model)
    size, latent, rope = bytes_per_element, mla_latent_dim, mla_rope_dim
    heads = {"MHA": spec.n_heads, "GQA": spec.n_kv_heads, "MQA": 1}
    rows = [{"attention": kind, "kv_heads": n,
             "kv_bytes_per_token": 2.0 * spec.n_layers * n * spec.head_dim * size}
            for kind, n in heads.items()]
    rows.append({"attention": "MLA", "kv_heads": 0,  # no K/V heads: one shared latent
                 "kv_bytes_per_token": float(spec.n_layers * (latent + rope) * size)})
    frame = pd.DataFrame(rows)
    frame["vs_mha"] = frame["kv_bytes_per_token"] / frame.loc[0, "kv_bytes_per_token"]
    frame["model"] = spec.name
    return frame



# --------------------------------------------------------------------------- memory

def _context(spec: catalog.ModelSpec, tokens: object, name: str = "context_tokens") -> int:
    """The one rule for a context every serving function applies: a whole number of tokens
    from 1 to the model's context length (a model attends over no more than it was built
    for; lesson 6's memory, latency, simulator and cost all refuse what lies beyond)."""
    c = _checks.positive_int(name, tokens)
    if c > spec.context_length:
        raise ValueError(f"{name}={c:,} is longer than {spec.name}'s context of "
                         f"{spec.context_length:,} tokens")
    return c


def _default_utilization() -> float:
    return catalog.assumption("vllm_gpu_memory_utilization").value


@dataclass(frozen=True)
class MemoryPlan(Result):
    """How many sequences of a context length fit beside the weights on N chips."""

    _derived = ("fits",)

    model: str
    chip: str
    n_gpus: int
    context_tokens: int
    memory_gb: float  # all chips together
    usable_gb: float  # memory_gb · memory_utilization
    weights_gb: float
    kv_budget_gb: float  # usable − weights (0 when the weights do not fit)
    kv_per_sequence_gb: float
    max_sequences: int

    @property
    def fits(self) -> bool:
        """True when the weights and at least one sequence fit."""
        return self.max_sequences >= 1


@declared(model=MODEL, chip=CHIP, n_gpus=count(high=1 << 20, examples=(1, 8)),
          context_tokens=optional(count(examples=(1024, 8192))),
          bytes_per_param=positive(examples=(2.0, 0.5)),
          kv_bytes_per_element=positive(examples=(2.0, 1.0)),
          memory_utilization=optional(fraction(low_open=True, examples=(0.9, 0.5))))
def memory_plan(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                n_gpus: int = 1, context_tokens: int | None = None,
                bytes_per_param: float = 2.0, kv_bytes_per_element: float = 2.0,
                memory_utilization: float | None = None) -> MemoryPlan:
    """Weights, KV per sequence and the most sequences of ``context_tokens`` that fit.

    max sequences = ⌊(N · memory · u − weights) / (context · KV bytes per token)⌋

    with u the share of memory the server may use (default vLLM's
    ``gpu_memory_utilization`` of 0.9; the rest is activations and headroom).
    ``context_tokens`` defaults to the model's context length (prompt plus output).
    """
    spec, accelerator = _spec(model), catalog.accelerator(chip)
    n, width, kv_width = n_gpus, bytes_per_param, kv_bytes_per_element
    context = spec.context_length if context_tokens is None else _context(spec, context_tokens)
    u = _default_utilization() if memory_utilization is None else memory_utilization
    memory = n * accelerator.weight_capacity_gb
    usable = memory * u
    weights = weight_bytes(spec, width) / GB
    per_sequence = context * kv_cache_bytes_per_token(spec, kv_width) / GB
    budget = max(0.0, usable - weights)
    return MemoryPlan(spec.name, accelerator.name, n, context, memory, usable, weights, budget,
                      per_sequence, math.floor(budget / per_sequence + 1e-9))


@declared(model=MODEL, chip=CHIP, context_tokens=count(examples=(1024, 8192)),
          n_gpus=count(high=1 << 20, examples=(1, 8)),
          bytes_per_param=positive(examples=(2.0, 0.5)),
          kv_bytes_per_element=positive(examples=(2.0, 1.0)),
          memory_utilization=optional(fraction(low_open=True, examples=(0.9, 0.5))))
def max_concurrency(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                    context_tokens: int, n_gpus: int = 1, bytes_per_param: float = 2.0,
                    kv_bytes_per_element: float = 2.0,
                    memory_utilization: float | None = None) -> int:
    """The most sequences of ``context_tokens`` whose KV fits beside the weights (0: none)."""
    return memory_plan(model, chip, n_gpus, context_tokens, bytes_per_param,
                       kv_bytes_per_element, memory_utilization).max_sequences


@declared(model=MODEL, chip=CHIP, batch_size=count(examples=(1, 64)),
          context_tokens=count(examples=(1024, 8192)),
          bytes_per_param=positive(examples=(2.0, 0.5)),
          kv_bytes_per_element=positive(examples=(2.0, 1.0)),
          max_gpus=count(high=2**20, examples=(1024, 8)))
def chips_for_batch(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                    batch_size: int, context_tokens: int, bytes_per_param: float = 2.0,
                    kv_bytes_per_element: float = 2.0, max_gpus: int = 1024) -> int:
    """The fewest chips, a power of two, whose usable memory holds the weights and the batch.

    Powers of two because a tensor-parallel degree must divide the model's heads
    (Megatron-LM splits attention heads and FFN columns evenly), and serving systems
    run at 1, 2, 4 or 8 chips per replica.
    """
    b, most = batch_size, max_gpus
    _context(_spec(model), context_tokens)  # no longer than the model's context
    n = _fewest_chips(model, chip, b, context_tokens, bytes_per_param, kv_bytes_per_element,
                      most)
    if n is None:
        raise ValueError(f"batch_size={b} at context_tokens={context_tokens} does not fit "
                         f"on max_gpus={most} chips (bytes_per_param={bytes_per_param:g}, "
                         f"kv_bytes_per_element={kv_bytes_per_element:g})")
    return n


def _fewest_chips(model, chip, batch: int, context: int, width: float, kv_width: float,
                  most: int, utilization: float | None = None) -> int | None:
    """The fewest chips (a power of two, at most ``most``) that hold the batch, or None."""
    n = 1
    while memory_plan.unchecked(model, chip, n, context, width, kv_width,
                                utilization).max_sequences < batch:
        n *= 2
        if n > most:
            return None
    return n


@dataclass(frozen=True)
class KvWaste(Result):
    """KV memory used by token states under contiguous and paged allocation."""

    _derived = ("capacity_gain",)

    n_sequences: int
    mean_tokens: float
    max_tokens: int  # what a contiguous allocator reserves per sequence
    block_tokens: int  # a paged allocator's block size
    contiguous_used_fraction: float  # token states / reserved
    paged_used_fraction: float

    @property
    def capacity_gain(self) -> float:
        """How many more sequences fit in the same memory when paged."""
        return self.paged_used_fraction / self.contiguous_used_fraction


@declared(lengths=array(low=1, high=_checks.COUNT_LIMIT, whole=True, max_len=MAX_REQUESTS,
                            examples=([100, 2000, 37],)),
          max_tokens=count(examples=(2048, 4096)), block_tokens=optional(count(examples=(16, 32))))
def kv_waste(lengths: object, max_tokens: int, block_tokens: int | None = None) -> KvWaste:
    """Share of reserved KV memory that holds token states: contiguous vs paged.

    Contiguous (FasterTransformer, Orca): each sequence reserves ``max_tokens``
    slots, so used = Σ lengths / (n · max_tokens). Paged (vLLM, Kwon et al. 2023,
    section 4): blocks of B tokens are allocated as the sequence grows; only the
    last block is partly empty, so used = Σ lengths / Σ B·⌈length / B⌉. vLLM's
    Figure 2 reports 20.4–38.2 % used in existing systems against 96.3 % in vLLM.
    """
    values, cap = lengths, max_tokens
    if values.max() > cap:
        raise ValueError(f"lengths must not exceed max_tokens={cap}; the longest is "
                         f"{values.max():g}")
    block = (int(catalog.assumption("vllm_block_tokens").value) if block_tokens is None
             else block_tokens)
    paged_reserved = (np.ceil(values / block) * block).sum()
    return KvWaste(int(values.size), float(values.mean()), cap, block,
                   float(values.sum() / (values.size * cap)), float(values.sum() / paged_reserved))


#: Weight and KV formats :func:`quantization_table` compares (name -> bytes per element).
_WEIGHT_FORMATS = {"bf16": 2.0, "int8": 1.0, "int4": 0.5}
_KV_FORMATS = {"bf16": 2.0, "fp8": 1.0}


@declared(model=MODEL, chip=CHIP, n_gpus=count(high=1 << 20, examples=(1, 2)),
          context_tokens=count(examples=(2048, 4096)), batch_size=count(examples=(1, 64)))
def quantization_table(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                       n_gpus: int = 1, context_tokens: int = 2048,
                       batch_size: int = 1) -> pd.DataFrame:
    """Memory and memory-bound decode speed under weight (bf16/int8/int4) and KV (bf16/fp8) formats.

    The decode step is taken as memory-bound (bytes / bandwidth: weights plus the
    batch's KV), so halving the bytes halves the bound; measured speed-ups are
    smaller (gpt-fast, Llama 2 7B on A100: int8 1.48×, int4 1.88× over bf16,
    where the bound says 2× and 4×) because dequantization costs compute.
    Quality: 8-bit weights lose next to nothing (LLM.int8(), Dettmers et al. 2022,
    up to 175B parameters); 4-bit weights with GPTQ (Frantar et al. 2023) or AWQ
    (Lin et al. 2024) cost a little perplexity, more for small models.
    """
    spec, accelerator = _spec(model), catalog.accelerator(chip)
    b = batch_size
    context_tokens = _context(spec, context_tokens)  # no longer than the model's context
    rows = []
    base = None
    for w_name, w_bytes in _WEIGHT_FORMATS.items():
        for kv_name, kv_bytes in _KV_FORMATS.items():
            plan = memory_plan(spec, accelerator, n_gpus, context_tokens, w_bytes, kv_bytes)
            step_bytes = (weight_bytes(spec, w_bytes)
                          + b * context_tokens * kv_cache_bytes_per_token(spec, kv_bytes))
            step_s = step_bytes / (plan.n_gpus * accelerator.memory_bw_tb_s * 1e12)
            base = step_s if base is None else base
            rows.append({"weights": w_name, "kv_cache": kv_name, "weights_gb": plan.weights_gb,
                         "kv_per_sequence_gb": plan.kv_per_sequence_gb,
                         "max_sequences": plan.max_sequences, "decode_step_ms": step_s * 1e3,
                         "speedup_vs_bf16": base / step_s})
    return pd.DataFrame(rows)
