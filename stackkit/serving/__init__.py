"""Layer 6 — serving: KV cache, latency from the roofline, a batching simulator, capacity, cost.

Pure functions: numbers in, numbers or small frozen dataclasses out. A ``model``
argument is a catalog name or :class:`~stackkit.catalog.ModelSpec`; a ``chip``
a catalog name or :class:`~stackkit.catalog.Accelerator`. Lesson 6
(``06_serving.ipynb``) introduces every function here.

- Memory: weights plus the KV cache (:func:`kv_cache_bytes_per_token`,
  :func:`memory_plan`), paged vs contiguous allocation (:func:`kv_waste`),
  quantization (:func:`quantization_table`).
- Latency: the roofline bound of one engine step (:func:`step_time`, the callable
  the simulator uses), TTFT and TPOT at a batch size (:func:`latency`), tensor
  parallelism with lesson 2's all-reduce.
- Batching: an event-driven simulator (:func:`simulate`) of static, continuous
  (Orca, vLLM) and chunked-prefill (Sarathi) scheduling.
- Capacity and cost: replicas for a p99 SLO (:func:`replicas_for_slo`), $ per
  million tokens self-hosted vs an API (:func:`serving_cost`, :func:`breakeven_vs_api`).
"""

from __future__ import annotations

import datetime as dt
import heapq
import inspect
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import pandas as pd

from . import _checks, catalog, chips, cloud, clusters, transformer
from ._results import Result
from .units import BYTES_PER_ELEMENT, GB, SECONDS_PER_HOUR

__all__ = [
    "ATTENTION_KINDS",
    "ESTIMATES",
    "POLICIES",
    "Capacity",
    "KvWaste",
    "Latency",
    "MemoryPlan",
    "ServingCost",
    "SimResult",
    "SimSummary",
    "StepTime",
    "arrival_times",
    "breakeven_vs_api",
    "chips_for_batch",
    "cost_comparison",
    "decode_step_measurements",
    "kv_bytes_by_attention",
    "kv_cache_bytes_per_token",
    "kv_waste",
    "latency",
    "machine_roofline",
    "max_concurrency",
    "memory_plan",
    "naive_replicas",
    "predicted_decode_step_s",
    "quantization_table",
    "replicas_for_slo",
    "serving_cost",
    "simulate",
    "step_time",
    "trace",
    "trace_lengths",
    "weight_bytes",
]


# --------------------------------------------------------------------------- model arithmetic

#: Most requests one simulation or trace draw takes (each is simulated one by one).
MAX_REQUESTS = 1_000_000
#: Most requests :func:`replicas_for_slo` simulates per try (it makes ~2·log2(replicas)
#: tries; 5,000 requests keep a search well under a second on a laptop core).
MAX_SLO_REQUESTS = 5_000


def _spec(model: str | catalog.ModelSpec) -> catalog.ModelSpec:
    return transformer.spec(model)


def weight_bytes(model: str | catalog.ModelSpec, bytes_per_param: float = 2.0) -> float:
    """Bytes of the model's weights (:func:`stackkit.transformer.weight_bytes`).

    Llama 2 13B in fp16: 13.016e9 · 2 = 26.0 GB.
    """
    return transformer.weight_bytes(model, bytes_per_param)


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
    size = _checks.positive("bytes_per_element", bytes_per_element)
    latent = _checks.positive_int("mla_latent_dim", mla_latent_dim)
    rope = _checks.positive_int("mla_rope_dim", mla_rope_dim)
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
    n_chips: int
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


def memory_plan(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                n_chips: int = 1, context_tokens: int | None = None,
                bytes_per_param: float = 2.0, kv_bytes_per_element: float = 2.0,
                memory_utilization: float | None = None) -> MemoryPlan:
    """Weights, KV per sequence and the most sequences of ``context_tokens`` that fit.

    max sequences = ⌊(N · memory · u − weights) / (context · KV bytes per token)⌋

    with u the share of memory the server may use (default vLLM's
    ``gpu_memory_utilization`` of 0.9; the rest is activations and headroom).
    ``context_tokens`` defaults to the model's context length (prompt plus output).
    """
    spec, accelerator = _spec(model), catalog.accelerator(chip)
    n = _checks.positive_int("n_chips", n_chips)
    context = spec.context_length if context_tokens is None else _context(spec, context_tokens)
    width = _checks.positive("bytes_per_param", bytes_per_param)
    kv_width = _checks.positive("kv_bytes_per_element", kv_bytes_per_element)
    u = _default_utilization() if memory_utilization is None else _checks.in_range(
        "memory_utilization", memory_utilization, 0.0, 1.0, low_open=True)
    memory = n * accelerator.weight_capacity_gb
    usable = memory * u
    weights = weight_bytes(spec, width) / GB
    per_sequence = context * kv_cache_bytes_per_token(spec, kv_width) / GB
    budget = max(0.0, usable - weights)
    return MemoryPlan(spec.name, accelerator.name, n, context, memory, usable, weights, budget,
                      per_sequence, math.floor(budget / per_sequence + 1e-9))


def max_concurrency(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                    context_tokens: int, n_chips: int = 1, bytes_per_param: float = 2.0,
                    kv_bytes_per_element: float = 2.0,
                    memory_utilization: float | None = None) -> int:
    """The most sequences of ``context_tokens`` whose KV fits beside the weights (0: none)."""
    return memory_plan(model, chip, n_chips, context_tokens, bytes_per_param,
                       kv_bytes_per_element, memory_utilization).max_sequences


def chips_for_batch(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                    batch_size: int, context_tokens: int, bytes_per_param: float = 2.0,
                    kv_bytes_per_element: float = 2.0, max_chips: int = 1024) -> int:
    """The fewest chips, a power of two, whose usable memory holds the weights and the batch.

    Powers of two because a tensor-parallel degree must divide the model's heads
    (Megatron-LM splits attention heads and FFN columns evenly), and serving systems
    run at 1, 2, 4 or 8 chips per replica.
    """
    b = _checks.positive_int("batch_size", batch_size)
    _context(_spec(model), context_tokens)
    most = _checks.positive_int("max_chips", max_chips, high=2**20)
    n = _fewest_chips(model, chip, b, context_tokens, bytes_per_param, kv_bytes_per_element,
                      most)
    if n is None:
        raise ValueError(f"batch_size={b} at context_tokens={context_tokens} does not fit "
                         f"on max_chips={most} chips (bytes_per_param={bytes_per_param:g}, "
                         f"kv_bytes_per_element={kv_bytes_per_element:g})")
    return n


def _fewest_chips(model, chip, batch: int, context: int, width: float, kv_width: float,
                  most: int) -> int | None:
    """The fewest chips (a power of two, at most ``most``) that hold the batch, or None."""
    n = 1
    while memory_plan(model, chip, n, context, width, kv_width).max_sequences < batch:
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


def kv_waste(lengths: object, max_tokens: int, block_tokens: int | None = None) -> KvWaste:
    """Share of reserved KV memory that holds token states: contiguous vs paged.

    Contiguous (FasterTransformer, Orca): each sequence reserves ``max_tokens``
    slots, so used = Σ lengths / (n · max_tokens). Paged (vLLM, Kwon et al. 2023,
    section 4): blocks of B tokens are allocated as the sequence grows; only the
    last block is partly empty, so used = Σ lengths / Σ B·⌈length / B⌉. vLLM's
    Figure 2 reports 20.4–38.2 % used in existing systems against 96.3 % in vLLM.
    """
    values = _checks.array("lengths", lengths, low=1, high=_checks.COUNT_LIMIT, whole=True,
                           max_len=MAX_REQUESTS)
    cap = _checks.positive_int("max_tokens", max_tokens)
    if values.max() > cap:
        raise ValueError(f"lengths must not exceed max_tokens={cap}; the longest is "
                         f"{values.max():g}")
    block = (int(catalog.assumption("vllm_block_tokens").value) if block_tokens is None
             else _checks.positive_int("block_tokens", block_tokens))
    paged_reserved = (np.ceil(values / block) * block).sum()
    return KvWaste(int(values.size), float(values.mean()), cap, block,
                   float(values.sum() / (values.size * cap)), float(values.sum() / paged_reserved))


#: Weight and KV formats :func:`quantization_table` compares (name -> bytes per element).
_WEIGHT_FORMATS = {"bf16": 2.0, "int8": 1.0, "int4": 0.5}
_KV_FORMATS = {"bf16": 2.0, "fp8": 1.0}


def quantization_table(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                       n_chips: int = 1, context_tokens: int = 2048,
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
    b = _checks.positive_int("batch_size", batch_size)
    context_tokens = _context(spec, context_tokens)
    rows = []
    base = None
    for w_name, w_bytes in _WEIGHT_FORMATS.items():
        for kv_name, kv_bytes in _KV_FORMATS.items():
            plan = memory_plan(spec, accelerator, n_chips, context_tokens, w_bytes, kv_bytes)
            step_bytes = (weight_bytes(spec, w_bytes)
                          + b * context_tokens * kv_cache_bytes_per_token(spec, kv_bytes))
            step_s = step_bytes / (plan.n_chips * accelerator.memory_bw_tb_s * 1e12)
            base = step_s if base is None else base
            rows.append({"weights": w_name, "kv_cache": kv_name, "weights_gb": plan.weights_gb,
                         "kv_per_sequence_gb": plan.kv_per_sequence_gb,
                         "max_sequences": plan.max_sequences, "decode_step_ms": step_s * 1e3,
                         "speedup_vs_bf16": base / step_s})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- latency

def _tp_link(accelerator: catalog.Accelerator, n_chips: int,
             link_bandwidth_gb_s: float | None, why: str = "") -> float:
    if link_bandwidth_gb_s is not None:
        return _checks.positive("link_bandwidth_gb_s", link_bandwidth_gb_s)
    if n_chips > 1 and accelerator.scaleup_bw_gb_s is None:
        raise ValueError(f"n_chips={n_chips}{why} needs a chip-to-chip link, and the catalog has "
                         f"no scale-up bandwidth for {accelerator.name}; pass "
                         "link_bandwidth_gb_s")
    return float(accelerator.scaleup_bw_gb_s or 1.0)


_SCALARS = (int, float)

#: What :func:`latency`, :func:`serving_cost` and :func:`step_time` estimate: "bound" is the
#: roofline (100 % of peak compute and bandwidth, a lower bound on time); "expected" runs
#: compute at the chip's measured matmul ceiling and memory at a measured decode's bandwidth.
ESTIMATES = ("expected", "bound")


def _efficiencies(accelerator: catalog.Accelerator, estimate: str) -> tuple[float, float]:
    """(compute, bandwidth) efficiency of an estimate.

    expected: compute at the chip's measured maximum achievable matmul share (catalog
    ``measured_bf16_tflops`` / ``bf16_tflops``; without a measurement, the catalog's median
    share), memory at the bandwidth a measured batch-1 decode reached: gpt-fast's Llama 2 7B
    on an A100, 1,397 of 2,039 GB/s (69 %). Both are shares, so they carry to other chips.
    """
    if estimate == "bound":
        return 1.0, 1.0
    frame = catalog.accelerators()
    if accelerator.measured_bf16_tflops is not None and accelerator.bf16_tflops:
        compute = accelerator.measured_bf16_tflops / accelerator.bf16_tflops
    else:
        compute = float((frame["measured_bf16_tflops"] / frame["bf16_tflops"]).dropna().median())
    measured = catalog.assumption("gpt_fast_llama2_7b_a100_gb_s").value
    bandwidth = measured / (catalog.accelerator("A100 SXM 80GB").memory_bw_tb_s * 1e3)
    return float(compute), float(bandwidth)


def _allreduce_s(size: object, n: int, link_b_s: float, ring_step_s: float,
                 ll_s: float, ll_share: float) -> object:
    """Tensor-parallel all-reduce time as NCCL's tuner prices it: the cheaper of the LL
    protocol (one fixed latency plus 2(n−1) short hops, at a quarter of the bandwidth) and
    the Simple ring (2(n−1) steps of the measured α), so a small decode all-reduce costs one
    latency and a large prefill one its bandwidth (NVIDIA/nccl src/graph/tuning.cc)."""
    volume = 2 * (n - 1) / n * size
    simple = volume / link_b_s + 2 * (n - 1) * ring_step_s
    ll = volume / (link_b_s * ll_share) + ll_s
    return np.minimum(simple, ll) if isinstance(simple, np.ndarray) else min(simple, ll)


def _step_tokens(name: str, value: object) -> float | np.ndarray:
    """A step's token count: a number or an array of them, each whole or not, from 0 to
    the kit's count ceiling (a negative count would give a shorter step than an empty one)."""
    if isinstance(value, (str, bytes, bool)) or value is None:
        raise ValueError(f"{name} must be a number of tokens (0 or more) or an array of them; "
                         f"got {_checks._show(value)}")
    if isinstance(value, Real):
        return _checks.number(name, value, low=0.0, high=_checks.COUNT_LIMIT)
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{name} must be a number of tokens (0 or more) or an array of them; "
                         f"got {_checks._show(value)}") from exc
    bad = ~(np.isfinite(array) & (array >= 0) & (array <= _checks.COUNT_LIMIT))
    if bad.any():
        raise ValueError(f"{name} must be from 0 to {_checks.COUNT_LIMIT:.0e} tokens; got "
                         f"{_checks._show(array[bad].flat[0])}")
    return array


@dataclass(frozen=True, eq=False)
class StepTime:
    """The roofline time of one engine step; call it as ``step(n_prefill_tokens, n_decoding)``.

    A step processes ``n_prefill_tokens`` prompt tokens and one new token for each
    of ``n_decoding`` sequences:

        compute = (P + D) · 2 N_active + attention, over n_chips · peak · compute_efficiency
        memory  = weights + D · c · KV + (P + D) · KV, over n_chips · bandwidth · bandwidth_eff
        comm    = 2 L all-reduces of (P + D) · d_model · 2 bytes (Megatron-LM tensor parallel,
                  Shoeybi et al. 2019, section 3), each the cheaper of NCCL's LL protocol
                  (one latency, a quarter of the bandwidth) and the Simple ring
                  (:func:`clusters.allreduce_seconds`), as NCCL's tuner picks
        time    = max(compute, memory) + comm

    With ``estimate="bound"`` the efficiencies are 1 (the roofline, a lower bound on time);
    ``"expected"`` uses measured shares (see :func:`step_time`).

    FLOPs per token come from :func:`stackkit.transformer.flops_per_token`: 2 N_active
    plus 4 · L · context · d_attn of attention, with context ``c`` for a decoding token
    and c/2 for a prompt token (its mean position in a causal prompt of c tokens).
    Works on numbers and on numpy arrays alike.
    """

    model: str
    chip: str
    n_chips: int
    precision: str
    context_tokens: int  # KV tokens each decoding sequence reads
    max_context_tokens: int  # the model's context length
    flops_per_token: float  # 2 · active parameters
    attention_flops_per_token: float  # decode token at context c
    weight_bytes: float
    kv_bytes_per_token: float
    peak_flop_s: float  # all chips, times compute_efficiency
    bandwidth_b_s: float  # all chips, times bandwidth_efficiency
    n_allreduces: int  # per step, 0 without tensor parallelism
    allreduce_bytes_per_token: float
    link_bandwidth_gb_s: float
    allreduce_latency_s: float  # α per ring step (Simple protocol)
    ll_allreduce_latency_s: float = 0.0  # one LL all-reduce's fixed latency, 2(n−1) hops in
    ll_bandwidth_share: float = 1.0
    estimate: str = "bound"

    def _comm_s(self, tokens: object) -> object:
        return self.n_allreduces * _allreduce_s(
            tokens * self.allreduce_bytes_per_token, self.n_chips,
            self.link_bandwidth_gb_s * 1e9, self.allreduce_latency_s,
            self.ll_allreduce_latency_s, self.ll_bandwidth_share)

    def parts(self, n_prefill_tokens: object, n_decoding: object) -> dict[str, object]:
        """The step's compute, memory and communication times (s) before taking the max."""
        p = _step_tokens("n_prefill_tokens", n_prefill_tokens)
        d = _step_tokens("n_decoding", n_decoding)
        tokens = p + d
        flops = tokens * self.flops_per_token + (d + 0.5 * p) * self.attention_flops_per_token
        memory = (self.weight_bytes + (d * self.context_tokens + tokens) * self.kv_bytes_per_token)
        comm = self._comm_s(tokens) if self.n_allreduces else 0.0
        return {"compute_s": flops / self.peak_flop_s, "memory_s": memory / self.bandwidth_b_s,
                "comm_s": comm}

    def __call__(self, n_prefill_tokens: object, n_decoding: object) -> object:
        if (type(n_prefill_tokens) in _SCALARS and type(n_decoding) in _SCALARS) or (
                isinstance(n_prefill_tokens, Real) and isinstance(n_decoding, Real)):
            # the simulator's hot path: plain floats, no numpy; NaN fails the comparisons
            try:
                p, d = float(n_prefill_tokens), float(n_decoding)
            except OverflowError:  # an int past the float range
                p = _step_tokens("n_prefill_tokens", n_prefill_tokens)
                d = _step_tokens("n_decoding", n_decoding)
            if not (0.0 <= p <= _checks.COUNT_LIMIT and 0.0 <= d <= _checks.COUNT_LIMIT):
                _step_tokens("n_prefill_tokens", p)
                _step_tokens("n_decoding", d)
            tokens = p + d
            compute = (tokens * self.flops_per_token
                       + (d + 0.5 * p) * self.attention_flops_per_token) / self.peak_flop_s
            memory = (self.weight_bytes + (d * self.context_tokens + tokens)
                      * self.kv_bytes_per_token) / self.bandwidth_b_s
            step = compute if compute > memory else memory
            if self.n_allreduces:
                step += self._comm_s(tokens)
            return step
        parts = self.parts(n_prefill_tokens, n_decoding)
        return np.maximum(parts["compute_s"], parts["memory_s"]) + parts["comm_s"]

    def bound(self, n_prefill_tokens: float, n_decoding: float) -> str:
        """"compute" or "memory": which limit sets the step (communication aside)."""
        parts = self.parts(_checks.number("n_prefill_tokens", n_prefill_tokens, low=0.0,
                                          high=_checks.COUNT_LIMIT),
                           _checks.number("n_decoding", n_decoding, low=0.0,
                                          high=_checks.COUNT_LIMIT))
        return "compute" if parts["compute_s"] >= parts["memory_s"] else "memory"


def step_time(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
              n_chips: int | None = None, precision: str = "bf16",
              bytes_per_param: float | None = None, kv_bytes_per_element: float = 2.0,
              context_tokens: int = 1024, compute_efficiency: float | None = None,
              bandwidth_efficiency: float | None = None,
              link_bandwidth_gb_s: float | None = None,
              estimate: str = "expected") -> StepTime:
    """The step time of ``model`` on ``chip`` as a callable for :func:`simulate`.

    Parameters
    ----------
    n_chips : tensor-parallel degree; default the fewest chips that hold the weights
        (:func:`chips.chips_to_hold_weights`), rounded up to a power of two. Above 1,
        each step pays 2 all-reduces per layer over the chip's scale-up link (catalog
        ``scaleup_bw_gb_s`` × lesson 2's measured :func:`clusters.link_efficiency`,
        latency :func:`clusters.collective_latency_s`).
    precision : compute precision (its peak) and the default weight width.
    context_tokens : KV tokens each decoding sequence reads (a mean over its life:
        prompt + output / 2 is a fair choice).
    compute_efficiency, bandwidth_efficiency : fractions of peak FLOP/s and of memory
        bandwidth reached; default from ``estimate``.
    estimate : "expected" (default): compute at the chip's measured matmul ceiling
        (catalog ``measured_bf16_tflops``, e.g. 80 % on an H100), memory at the 69 % of
        HBM bandwidth a measured batch-1 decode reached (gpt-fast, Llama 2 7B on an A100);
        "bound": both 1.0, the roofline (a lower bound on time).
    """
    spec, accelerator = _spec(model), catalog.accelerator(chip)
    precision = _checks.one_of("precision", precision, chips.PRECISIONS)
    peak_tflops = chips.peak_tflops(accelerator, precision)  # the chip has this precision
    width = (BYTES_PER_ELEMENT[precision] if bytes_per_param is None
             else _checks.positive("bytes_per_param", bytes_per_param))
    kv_width = _checks.positive("kv_bytes_per_element", kv_bytes_per_element)
    if n_chips is None:  # the fewest that hold the weights, as a power of two (a TP degree)
        n = 2 ** math.ceil(math.log2(chips.chips_to_hold_weights(spec, accelerator, width)))
    else:
        n = _checks.positive_int("n_chips", n_chips)
    c = _context(spec, context_tokens)
    kind = _checks.one_of("estimate", estimate, ESTIMATES)
    expected_mfu, expected_mbu = _efficiencies(accelerator, kind)
    mfu = (expected_mfu if compute_efficiency is None else
           _checks.in_range("compute_efficiency", compute_efficiency, 0.0, 1.0, low_open=True))
    mbu = (expected_mbu if bandwidth_efficiency is None else
           _checks.in_range("bandwidth_efficiency", bandwidth_efficiency, 0.0, 1.0,
                            low_open=True))
    value = lambda key: catalog.assumption(key).value  # noqa: E731
    ll_s = (value("nccl_ring_ll_base_latency_us")
            + 2 * (n - 1) * value("nccl_ring_ll_hop_latency_nvlink_us")) * 1e-6
    why = (f" (the fewest chips that hold {spec.name}'s weights at bytes_per_param={width:g})"
           if n_chips is None else "")
    link = _tp_link(accelerator, n, link_bandwidth_gb_s, why)
    return StepTime(
        model=spec.name, chip=accelerator.name, n_chips=n, precision=precision,
        context_tokens=c, max_context_tokens=spec.context_length,
        flops_per_token=transformer.flops_per_token(spec, 0),
        attention_flops_per_token=(transformer.flops_per_token(spec, c)
                                   - transformer.flops_per_token(spec, 0)),
        weight_bytes=weight_bytes(spec, width),
        kv_bytes_per_token=kv_cache_bytes_per_token(spec, kv_width),
        peak_flop_s=n * peak_tflops * 1e12 * mfu,
        bandwidth_b_s=n * accelerator.memory_bw_tb_s * 1e12 * mbu,
        n_allreduces=2 * spec.n_layers if n > 1 else 0,
        allreduce_bytes_per_token=spec.d_model * 2.0,
        link_bandwidth_gb_s=link * clusters.link_efficiency(),
        allreduce_latency_s=clusters.collective_latency_s(),
        ll_allreduce_latency_s=ll_s,
        ll_bandwidth_share=value("nccl_ll_bandwidth_fraction"),
        estimate=kind,
    )


@dataclass(frozen=True)
class Latency(Result):
    """TTFT, TPOT and end-to-end time of a batch of identical requests, from the roofline."""

    _derived = ("tokens_per_s", "tokens_per_s_per_user")

    model: str
    chip: str
    n_chips: int
    batch_size: int
    prompt_tokens: int
    output_tokens: int
    ttft_s: float  # the batch's prefill step (it yields the first token)
    tpot_s: float  # one decode step at the mean context prompt + output / 2
    e2e_s: float  # ttft + (output − 1) · tpot
    decode_bound: str  # 'memory' or 'compute'
    kv_gb: float  # the batch's KV at the end of generation
    memory_gb: float  # usable memory of the chips
    estimate: str = "expected"  # "expected" (measured efficiencies) or "bound" (roofline)

    @property
    def tokens_per_s(self) -> float:
        """Decode throughput of the batch: batch / TPOT."""
        return self.batch_size / self.tpot_s

    @property
    def tokens_per_s_per_user(self) -> float:
        return 1.0 / self.tpot_s


def latency(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
            batch_size: int = 1, prompt_tokens: int = 512, output_tokens: int = 256,
            n_chips: int | None = None, precision: str = "bf16",
            bytes_per_param: float | None = None, kv_bytes_per_element: float = 2.0,
            compute_efficiency: float | None = None, bandwidth_efficiency: float | None = None,
            link_bandwidth_gb_s: float | None = None, estimate: str = "expected") -> Latency:
    """TTFT and TPOT of ``batch_size`` requests served together.

    ``estimate="expected"`` (default) runs the chips at measured efficiencies (see
    :func:`step_time`); ``"bound"`` is the roofline, a lower bound no server beats.

    TTFT = step(batch · prompt, 0): the prompts are prefilled in one step, which
    yields each request's first token. TPOT = step(0, batch) with each sequence
    reading prompt + output / 2 tokens of KV. End to end = TTFT + (output − 1) · TPOT.
    ``n_chips`` defaults to the fewest chips that hold the weights and the batch's
    KV (:func:`chips_for_batch`). ``link_bandwidth_gb_s`` is the chip-to-chip
    bandwidth for n_chips > 1 (default the catalog's scale-up link; see :func:`step_time`).
    Raises ``ValueError`` when a prompt plus its output exceeds the model's context
    or, with ``n_chips`` given, the batch's KV does not fit beside the weights.
    """
    spec, accelerator = _spec(model), catalog.accelerator(chip)
    b = _checks.positive_int("batch_size", batch_size)
    p = _checks.positive_int("prompt_tokens", prompt_tokens)
    o = _checks.positive_int("output_tokens", output_tokens)
    _context(spec, p + o, "prompt_tokens + output_tokens")
    width = (BYTES_PER_ELEMENT[_checks.one_of("precision", precision, chips.PRECISIONS)]
             if bytes_per_param is None else _checks.positive("bytes_per_param", bytes_per_param))
    kv_width = _checks.positive("kv_bytes_per_element", kv_bytes_per_element)
    chips.peak_tflops(accelerator, precision)  # the chip has this precision
    if n_chips is None:  # the fewest chips that hold the weights and the batch's KV
        n_chips = _fewest_chips(spec, accelerator, b, p + o, width, kv_width, 1024)
        if n_chips is None:
            raise ValueError(f"batch_size={b} × (prompt_tokens + output_tokens)={p + o:,} "
                             f"tokens does not fit on 1,024 × {accelerator.name} "
                             f"(bytes_per_param={width:g}, kv_bytes_per_element={kv_width:g})")
        if n_chips > 1 and link_bandwidth_gb_s is None and accelerator.scaleup_bw_gb_s is None:
            raise ValueError(
                f"{spec.name} at bytes_per_param={width:g} with batch_size={b} × "
                f"(prompt_tokens + output_tokens)={p + o:,} tokens of KV "
                f"(kv_bytes_per_element={kv_width:g}) needs n_chips={n_chips} × "
                f"{accelerator.name}, and the catalog has no chip-to-chip bandwidth for "
                f"{accelerator.name}: pass link_bandwidth_gb_s, or make the model or batch "
                "smaller")
    step = step_time(spec, accelerator, n_chips, precision, bytes_per_param,
                     kv_width, context_tokens=max(1, p + o // 2),
                     compute_efficiency=compute_efficiency,
                     bandwidth_efficiency=bandwidth_efficiency,
                     link_bandwidth_gb_s=link_bandwidth_gb_s, estimate=estimate)
    plan = memory_plan(spec, accelerator, step.n_chips, p + o,
                       step.weight_bytes / spec.params, kv_width)
    kv_gb = b * plan.kv_per_sequence_gb
    if plan.weights_gb > plan.usable_gb:
        raise ValueError(f"{spec.name}'s weights ({plan.weights_gb:.4g} GB at "
                         f"bytes_per_param={width:g}) do not fit in n_chips={step.n_chips} × "
                         f"{accelerator.name} ({plan.usable_gb:.1f} GB usable); use more chips "
                         "or fewer bytes per parameter")
    if b > plan.max_sequences:
        raise ValueError(f"batch_size={b}: its KV cache ({kv_gb:.4g} GB at {p + o} tokens each, "
                         f"kv_bytes_per_element={kv_width:g}) does not fit beside the weights "
                         f"({plan.weights_gb:.4g} GB at bytes_per_param={width:g}); at most "
                         f"{plan.max_sequences} sequences fit on n_chips={step.n_chips} × "
                         f"{accelerator.name}")
    ttft = step(b * p, 0)
    tpot = step(0, b)
    return Latency(spec.name, accelerator.name, step.n_chips, b, p, o, ttft, tpot,
                   ttft + (o - 1) * tpot, step.bound(0, b), kv_gb, plan.usable_gb,
                   step.estimate)


# --------------------------------------------------------------------------- arrivals, lengths

#: Arrival processes :func:`arrival_times` draws.
ARRIVALS = ("poisson", "bursty")


#: The bursty process's default coefficient of variation of the gaps (AlpaServe, section 6.1).
BURSTY_CV = 3.0


def _arrival_cv(process: str, cv: object) -> float:
    """The gaps' coefficient of variation: ``cv`` for "bursty" (default :data:`BURSTY_CV`);
    1 for "poisson", which has no other (a cv given with it would be silently ignored)."""
    if process == "poisson":
        if cv is not None and _checks.positive("cv", cv) != 1.0:
            raise ValueError(f"cv={cv!r} applies to the 'bursty' process; Poisson gaps have a "
                             "cv of 1 by definition (pass process='bursty' to set it)")
        return 1.0
    return BURSTY_CV if cv is None else _checks.positive("cv", cv, high=1e3)


def arrival_times(arrival_rate_per_s: float, n_requests: int, process: str = "poisson",
                  cv: float | None = None, seed: int = 0) -> np.ndarray:
    """Arrival times (s, from 0) of ``n_requests`` at a mean rate.

    "poisson": exponential gaps of mean 1/λ. "bursty": gamma-distributed gaps with
    the same mean and coefficient of variation ``cv`` (default 3; shape 1/cv²), the bursty
    arrival model of AlpaServe (Li et al., OSDI 2023, section 6.1) and DistServe.
    """
    rate = _checks.positive("arrival_rate_per_s", arrival_rate_per_s)
    n = _checks.positive_int("n_requests", n_requests, high=MAX_REQUESTS)
    kind = _checks.one_of("process", process, ARRIVALS)
    cv = _arrival_cv(kind, cv)
    rng = np.random.default_rng(_checks.seed("seed", seed))
    if kind == "poisson":
        gaps = rng.exponential(1.0 / rate, n)
    else:
        shape = 1.0 / cv ** 2
        gaps = rng.gamma(shape, 1.0 / (rate * shape), n)
    return np.cumsum(gaps)


_TRACE_FILE = "traces/azure_llm_conv_2023_sample.csv"


def trace() -> pd.DataFrame:
    """A sample of a real LLM-serving trace: arrival time, prompt and output tokens.

    The first 174 requests of the Azure LLM inference trace 2023, conversation
    service (Azure/AzurePublicDataset, data/AzureLLMInferenceTrace_conv.csv,
    2023-11-16, CC-BY 4.0; Patel et al., Splitwise, ISCA 2024). Columns:
    ``arrival_s`` (from the first request), ``prompt_tokens``, ``output_tokens``.
    """
    raw = pd.read_csv(catalog.data_dir() / _TRACE_FILE)
    stamps = pd.to_datetime(raw["TIMESTAMP"])
    return pd.DataFrame({"arrival_s": (stamps - stamps.iloc[0]).dt.total_seconds(),
                         "prompt_tokens": raw["ContextTokens"].astype(int),
                         "output_tokens": raw["GeneratedTokens"].astype(int)})


def trace_lengths(n_requests: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(prompt, output) token counts for ``n_requests``, drawn with replacement from the trace."""
    n = _checks.positive_int("n_requests", n_requests, high=MAX_REQUESTS)
    sample = trace()
    picks = np.random.default_rng(_checks.seed("seed", seed)).integers(0, len(sample), n)
    return (sample["prompt_tokens"].to_numpy()[picks].astype(np.int64),
            sample["output_tokens"].to_numpy()[picks].astype(np.int64))


# --------------------------------------------------------------------------- the simulator

#: Scheduling policies :func:`simulate` knows.
POLICIES = ("static", "continuous", "chunked")


@dataclass(frozen=True)
class SimSummary(Result):
    """Throughput and latency percentiles of one simulation."""

    policy: str
    n_requests: int
    duration_s: float  # first arrival to last completion
    throughput_requests_per_s: float
    throughput_tokens_per_s: float  # output tokens
    mean_in_system: float  # time-average requests waiting or running (Little: λ · W)
    mean_ttft_s: float
    p50_ttft_s: float
    p99_ttft_s: float
    mean_tpot_s: float
    p50_tpot_s: float
    p99_tpot_s: float
    mean_e2e_s: float
    p50_e2e_s: float
    p99_e2e_s: float


@dataclass(frozen=True, eq=False)
class SimResult(Result):
    """Per-request times of one simulated serving run (arrays in arrival order)."""

    policy: str
    max_batch: int
    n_steps: int  # engine steps run
    busy_s: float  # time the engine was running a step
    arrival_s: np.ndarray = field(repr=False)
    ttft_s: np.ndarray = field(repr=False)  # arrival -> first token
    tpot_s: np.ndarray = field(repr=False)  # mean time per later token (0 for one-token outputs)
    e2e_s: np.ndarray = field(repr=False)  # arrival -> last token
    prompt_tokens: np.ndarray = field(repr=False)
    output_tokens: np.ndarray = field(repr=False)

    @property
    def finish_s(self) -> np.ndarray:
        return self.arrival_s + self.e2e_s

    @property
    def duration_s(self) -> float:
        return float(self.finish_s.max() - self.arrival_s.min())

    def summary(self) -> SimSummary:
        """Throughput, time-average requests in the system, and TTFT/TPOT/E2E percentiles."""
        duration = self.duration_s
        q = np.percentile
        n = len(self.arrival_s)
        return SimSummary(
            self.policy, n, duration, n / duration,
            float(self.output_tokens.sum()) / duration, float(self.e2e_s.sum()) / duration,
            float(self.ttft_s.mean()), float(q(self.ttft_s, 50)), float(q(self.ttft_s, 99)),
            float(self.tpot_s.mean()), float(q(self.tpot_s, 50)), float(q(self.tpot_s, 99)),
            float(self.e2e_s.mean()), float(q(self.e2e_s, 50)), float(q(self.e2e_s, 99)))

    def slo_met(self, ttft_slo_s: float, tpot_slo_s: float) -> np.ndarray:
        """Which requests met both targets."""
        ttft = _checks.positive("ttft_slo_s", ttft_slo_s)
        tpot = _checks.positive("tpot_slo_s", tpot_slo_s)
        return (self.ttft_s <= ttft) & (self.tpot_s <= tpot)

    def goodput(self, ttft_slo_s: float, tpot_slo_s: float) -> float:
        """Requests per second that met both SLOs (DistServe, Zhong et al., OSDI 2024)."""
        return float(self.slo_met(ttft_slo_s, tpot_slo_s).sum()) / self.duration_s

    def to_frame(self) -> pd.DataFrame:  # one row per request, unlike other results
        return pd.DataFrame({"arrival_s": self.arrival_s, "prompt_tokens": self.prompt_tokens,
                             "output_tokens": self.output_tokens, "ttft_s": self.ttft_s,
                             "tpot_s": self.tpot_s, "e2e_s": self.e2e_s})

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def _tokens(name: str, value: object, n: int) -> np.ndarray:
    if isinstance(value, Real) and not isinstance(value, bool):
        return np.full(n, _checks.positive_int(name, value), dtype=np.int64)
    array = _checks.array(name, value, low=1, high=_checks.COUNT_LIMIT, whole=True,
                          max_len=MAX_REQUESTS)
    if array.shape != (n,):
        raise ValueError(f"{name} must be a whole number or one value per request ({n}); got "
                         f"{array.shape[0]} values")
    return array.astype(np.int64)


def _check_context(step_time_s: object, prompts: np.ndarray, outputs: np.ndarray) -> None:
    """Every request fits the model's context, when the step function knows it."""
    limit = getattr(step_time_s, "max_context_tokens", None)
    if limit is not None and int((prompts + outputs).max()) > limit:
        worst = int(np.argmax(prompts + outputs))
        raise ValueError(f"prompt_tokens + output_tokens of request {worst} "
                         f"({prompts[worst]} + {outputs[worst]}) is longer than the model's "
                         f"context of {limit} tokens")


def simulate(arrival_rate_per_s: float, n_requests: int, prompt_tokens: object,
             output_tokens: object, step_time_s: Callable[[float, float], float],
             policy: str = "continuous", max_batch: int = 64, seed: int = 0, *,
             arrival: str = "poisson", cv: float | None = None, arrival_s: object = None,
             kv_capacity_tokens: int | None = None, chunk_tokens: int = 512) -> SimResult:
    """Simulate an LLM server: requests arrive, wait, are batched, prefilled and decoded.

    Parameters
    ----------
    arrival_rate_per_s, n_requests : mean arrival rate and how many requests.
    prompt_tokens, output_tokens : a whole number, or one value per request.
    step_time_s : ``step_time_s(n_prefill_tokens, n_decoding_sequences) -> seconds``;
        :func:`step_time` gives the roofline one; any callable (e.g. a constant) works.
    policy : "static" — when the engine is idle it takes up to ``max_batch`` waiting
        requests, prefills them in one step and decodes until the longest is done
        (finished sequences keep their slot, as in a padded batch);
        "continuous" — iteration-level scheduling (Orca, Yu et al. OSDI 2022; vLLM):
        before every step, waiting requests join while slots and KV allow, and their
        whole prompts are prefilled in that step beside the running decodes;
        "chunked" — as continuous, but a step processes at most ``chunk_tokens``
        tokens (each decode counts one), so long prompts are split over several
        steps and never stall the decodes for long (Sarathi-Serve, Agrawal et al.
        OSDI 2024).
    max_batch : the most requests running at once.
    seed : seeds the arrival times.
    arrival : "poisson" or "bursty" (:func:`arrival_times`); ``cv`` sets the burstiness.
    arrival_s : explicit arrival times (s, one per request), e.g. from :func:`trace`.
    kv_capacity_tokens : KV slots of the server; a request is admitted only when its
        prompt plus output fit (reserved whole at admission: no preemption). None: no limit.

    A request's prefill step yields its first token, each later step one more.
    The engine is simulated event by event: between two events (an arrival that
    can join, a request finishing, a prefill) the batch is fixed, so the run of
    identical decode steps between them is advanced in one jump.
    """
    n = _checks.positive_int("n_requests", n_requests, high=MAX_REQUESTS)
    rate = _checks.positive("arrival_rate_per_s", arrival_rate_per_s)
    kind = _checks.one_of("policy", policy, POLICIES)
    arrival = _checks.one_of("arrival", arrival, ARRIVALS)
    seed = _checks.seed("seed", seed)
    batch = _checks.positive_int("max_batch", max_batch)
    step_time_s = _step_function(step_time_s)
    prompts = _tokens("prompt_tokens", prompt_tokens, n)
    outputs = _tokens("output_tokens", output_tokens, n)
    # each argument on its own first, then how they fit together (the model's context,
    # the KV capacity)
    if arrival_s is None:
        arrivals = None
        _arrival_cv(arrival, cv)
    else:
        arrivals = _checks.array("arrival_s", arrival_s, low=0, max_len=MAX_REQUESTS)
        if arrivals.shape != (n,):
            raise ValueError(f"arrival_s must hold one time per request (n_requests={n}); got "
                             f"{arrivals.shape[0]}")
        if np.any(np.diff(arrivals) < 0):
            raise ValueError("arrival_s must be sorted (requests are served first come, "
                             "first served)")
    capacity = math.inf
    if kv_capacity_tokens is not None:
        capacity = _checks.positive_int("kv_capacity_tokens", kv_capacity_tokens)
    chunk = math.inf
    if kind == "chunked":
        chunk = _checks.positive_int("chunk_tokens", chunk_tokens)
    _check_context(step_time_s, prompts, outputs)
    need = prompts + outputs
    if need.max() > capacity:
        raise ValueError(f"kv_capacity_tokens={capacity} is less than the largest request's "
                         f"prompt_tokens + output_tokens ({int(need.max()):,} KV slots): it "
                         "could never be admitted")
    if arrivals is None:
        arrivals = arrival_times(rate, n, arrival, cv, seed)
    _step_s(step_time_s, 1, 1)
    if kind == "static":
        first, finish, steps, busy = _run_static(arrivals, prompts, outputs, step_time_s, batch,
                                                 capacity)
    elif kind == "continuous":
        first, finish, steps, busy = _run_continuous(arrivals, prompts, outputs, step_time_s,
                                                     batch, capacity)
    else:
        first, finish, steps, busy = _run_iterative(arrivals, prompts, outputs, step_time_s,
                                                    batch, capacity, chunk)
    later = np.maximum(outputs - 1, 1)
    tpot = np.where(outputs > 1, (finish - first) / later, 0.0)
    return SimResult(kind, batch, steps, busy, arrivals, first - arrivals, tpot,
                     finish - arrivals, prompts, outputs)


def _run_static(arrivals, prompts, outputs, step, max_batch, capacity):
    n = len(arrivals)
    first = np.empty(n)
    finish = np.empty(n)
    need = (prompts + outputs).astype(float)
    t, q, steps, busy = 0.0, 0, 0, 0.0
    while q < n:
        if arrivals[q] > t:
            t = float(arrivals[q])
        # everyone who has arrived by t, up to max_batch and the KV capacity
        j = min(n, q + max_batch, int(np.searchsorted(arrivals, t, side="right")))
        if capacity != math.inf:
            fits = int(np.searchsorted(np.cumsum(need[q:j]), capacity, side="right"))
            j = q + max(1, fits)
        b = j - q
        prefill = float(step(float(prompts[q:j].sum()), 0.0))
        decode = float(step(0.0, float(b)))
        longest = int(outputs[q:j].max())
        first[q:j] = t + prefill
        finish[q:j] = t + prefill + (outputs[q:j] - 1) * decode
        t = t + prefill + (longest - 1) * decode
        steps += longest
        busy += prefill + (longest - 1) * decode
        q = j
    return first, finish, steps, busy


def _steps_to(arrival: float, t: float, dt: float) -> int:
    """Identical steps of ``dt`` from ``t`` until one ends at or after ``arrival`` (at least 1):
    the next request can join only then."""
    k = max(1, math.ceil((arrival - t) / dt))
    if t + k * dt < arrival:  # float rounding
        k += 1
    return k


def _run_continuous(arrivals, prompts, outputs, step, max_batch, capacity):
    """Continuous batching, event by event: :func:`_run_iterative` with no chunk limit,
    specialised because every admitted prompt is prefilled in one step.

    The running requests sit in a heap keyed by ``end_step · n + request`` (plain
    integers compare faster than tuples).
    """
    n = len(arrivals)
    first = [0.0] * n  # plain lists: setting a numpy element costs more than the rest of a step
    finish = [0.0] * n
    arrive = [*arrivals.tolist(), math.inf]  # a sentinel: no request arrives after the last
    prompt = prompts.tolist()
    output = outputs.tolist()
    need = (prompts + outputs).tolist()
    heap: list[int] = []
    push, pop, ceil = heapq.heappush, heapq.heappop, math.ceil
    decode_dt: dict[int, float] = {}  # a decode-only step's time depends on the batch alone
    t, done, busy = 0.0, 0, 0.0
    q, running, kv_used = 0, 0, 0
    while q < n or running:
        start, p_tokens = q, 0
        while arrive[q] <= t and running < max_batch and kv_used + need[q] <= capacity:
            p_tokens += prompt[q]
            kv_used += need[q]
            running += 1
            q += 1
        if q > start:  # one step: the newcomers' prompts beside the running decodes
            dt = step(p_tokens, len(heap))
            t += dt
            busy += dt
            index = done
            done += 1
            for i in range(start, q):
                first[i] = t
                if output[i] == 1:
                    finish[i] = t
                    kv_used -= need[i]
                    running -= 1
                else:
                    push(heap, (index + output[i] - 1) * n + i)
            limit = done * n  # keys of requests whose last step has run
            while heap and heap[0] < limit:
                i = pop(heap) % n
                finish[i] = t
                kv_used -= need[i]
                running -= 1
            continue
        if not running:
            t = arrive[q]
            continue
        n_dec = len(heap)
        dt = decode_dt.get(n_dec)
        if dt is None:
            dt = decode_dt[n_dec] = step(0, n_dec)
        k = heap[0] // n - done + 1  # steps until the earliest request finishes
        if q < n and running < max_batch and kv_used + need[q] <= capacity:
            # _steps_to, inlined: this loop is the simulator's hot path
            k_arrival = ceil((arrive[q] - t) / dt)  # > 0, or it would have been admitted
            if k_arrival < 1:
                k_arrival = 1
            if t + k_arrival * dt < arrive[q]:  # float rounding
                k_arrival += 1
            if k_arrival < k:
                k = k_arrival
        t += k * dt
        busy += k * dt
        done += k
        limit = done * n
        while heap and heap[0] < limit:
            i = pop(heap) % n
            finish[i] = t
            kv_used -= need[i]
            running -= 1
    return np.array(first), np.array(finish), done, busy


def _run_iterative(arrivals, prompts, outputs, step, max_batch, capacity, chunk):
    """Continuous batching (chunk = inf) and chunked prefill, advanced event by event."""
    n = len(arrivals)
    first = [0.0] * n  # plain lists: setting a numpy element costs more than the rest of a step
    finish = [0.0] * n
    arrive = arrivals.tolist()
    prompt = prompts.tolist()
    output = outputs.tolist()
    need = (prompts + outputs).tolist()
    prefilling: deque[list[int]] = deque()  # [request, prompt tokens left], first come first
    decoding: list[tuple[int, int]] = []  # heap of (index of the step that ends it, request)
    t, done_steps, busy = 0.0, 0, 0.0
    q, running, kv_used = 0, 0, 0
    decode_dt: dict[int, float] = {}  # a decode-only step's time depends on the batch alone
    while q < n or running:
        while (q < n and arrive[q] <= t and running < max_batch
               and kv_used + need[q] <= capacity):
            prefilling.append([q, prompt[q]])
            kv_used += need[q]
            running += 1
            q += 1
        if not running:
            t = arrive[q]
            continue
        n_dec = len(decoding)
        budget = chunk - n_dec
        if prefilling and budget > 0 and prefilling[0][1] <= budget:
            # a step that finishes the head's prompt (and maybe others): an event
            p_tokens, completed = 0, 0
            for entry in prefilling:
                if budget <= 0:
                    break
                take = entry[1] if entry[1] < budget else int(budget)
                entry[1] -= take
                budget -= take
                p_tokens += take
                if entry[1] == 0:
                    completed += 1
            dt = step(p_tokens, n_dec)
            t += dt
            busy += dt
            index = done_steps  # the step just run
            done_steps += 1
            for _ in range(completed):
                i, _left = prefilling.popleft()
                first[i] = t
                if output[i] == 1:
                    finish[i] = t
                    kv_used -= need[i]
                    running -= 1
                else:
                    heapq.heappush(decoding, (index + output[i] - 1, i))
            while decoding and decoding[0][0] <= index:
                _, i = heapq.heappop(decoding)
                finish[i] = t
                kv_used -= need[i]
                running -= 1
            continue
        if prefilling and budget > 0:
            # the head's prompt fills whole steps: identical steps (same tokens, same
            # decodes), jumped like decode runs, so the work does not grow with
            # prompt_tokens / chunk_tokens
            taken = budget
            dt = step(budget, n_dec)
            k = (prefilling[0][1] - 1) // budget  # steps that leave the head unfinished
            if decoding and decoding[0][0] - done_steps + 1 < k:
                k = decoding[0][0] - done_steps + 1
        else:  # only decodes can progress: jump over the identical steps to the next event
            taken = 0
            dt = decode_dt.get(n_dec)
            if dt is None:
                dt = decode_dt[n_dec] = step(0, n_dec)
            k = decoding[0][0] - done_steps + 1  # steps until the earliest request finishes
        if q < n and running < max_batch and kv_used + need[q] <= capacity:
            k = min(k, _steps_to(arrive[q], t, dt))
        if taken:
            prefilling[0][1] -= k * taken
        t += k * dt
        busy += k * dt
        done_steps += k
        index = done_steps - 1
        while decoding and decoding[0][0] <= index:
            _, i = heapq.heappop(decoding)
            finish[i] = t
            kv_used -= need[i]
            running -= 1
    return np.array(first), np.array(finish), done_steps, busy


# --------------------------------------------------------------------------- capacity

def _step_function(step_time_s: object) -> Callable[[float, float], float]:
    if not callable(step_time_s):
        raise ValueError(f"step_time_s must be a callable step_time_s(n_prefill_tokens, "
                         f"n_decoding_sequences) -> seconds, such as serving.step_time(model, "
                         f"chip); got {step_time_s!r}")
    if not isinstance(step_time_s, StepTime):
        try:
            inspect.signature(step_time_s).bind(0.0, 0.0)
        except TypeError as exc:
            raise ValueError(f"step_time_s must take two arguments, step_time_s("
                             f"n_prefill_tokens, n_decoding_sequences); {step_time_s!r} "
                             f"cannot ({exc})") from exc
        except ValueError:  # a builtin without a signature: trust it
            pass
    return step_time_s


def _step_s(step: Callable[[float, float], float], n_prefill: float, n_decoding: float) -> float:
    """``step(n_prefill, n_decoding)``, checked: a positive, finite number of seconds."""
    value = step(n_prefill, n_decoding)
    if isinstance(value, bool) or not isinstance(value, Real) or not (
            math.isfinite(value) and value > 0):
        raise ValueError(f"step_time_s({n_prefill:g}, {n_decoding:g}) must return a positive "
                         f"number of seconds; got {value!r}")
    return float(value)


def naive_replicas(arrival_rate_per_s: float, step_time_s: Callable[[float, float], float],
                   prompt_tokens: int, output_tokens: int, max_batch: int = 64) -> int:
    """Replicas by output throughput alone: ⌈λ · output / (B / step(0, B))⌉.

    The usual back-of-envelope: output tokens per second needed, over the tokens per
    second one replica decodes at its largest batch B. It ignores the prefills, the
    queueing (no headroom for bursts) and the latency a full batch costs.
    """
    rate = _checks.positive("arrival_rate_per_s", arrival_rate_per_s)
    p = _checks.positive_int("prompt_tokens", prompt_tokens)
    o = _checks.positive_int("output_tokens", output_tokens)
    b = _checks.positive_int("max_batch", max_batch)
    step = _step_function(step_time_s)
    del p  # the naive estimate leaves the prefill out
    needed = rate * o * _step_s(step, 0, b) / b
    if needed > _checks.COUNT_LIMIT:
        raise ValueError(f"arrival_rate_per_s={rate:g} × output_tokens={o:,} needs "
                         f"{needed:.3g} replicas (step_time_s at max_batch={b}): more than "
                         f"the {_checks.COUNT_LIMIT:.0e} the kit counts")
    return max(1, math.ceil(needed - 1e-9))


@dataclass(frozen=True)
class Capacity(Result):
    """Replicas that meet p99 TTFT and TPOT targets at a request rate, beside the naive count."""

    arrival_rate_per_s: float
    replicas: int  # the fewest that meet both targets (simulated)
    naive_replicas: int  # by throughput alone
    ttft_p99_target_s: float
    tpot_p99_target_s: float
    p99_ttft_s: float  # simulated, at ``replicas``
    p99_tpot_s: float
    per_replica_rate_per_s: float


def replicas_for_slo(arrival_rate_per_s: float, step_time_s: Callable[[float, float], float],
                     prompt_tokens: object, output_tokens: object, ttft_p99_s: float,
                     tpot_p99_s: float, policy: str = "continuous", max_batch: int = 64,
                     n_requests: int = 2000, seed: int = 0,
                     max_replicas: int = 4096) -> Capacity:
    """The fewest replicas whose simulated p99 TTFT and p99 TPOT meet the targets.

    The load is split evenly: each of r replicas sees Poisson arrivals at λ / r (a
    random split of a Poisson stream is Poisson). One replica is simulated with
    :func:`simulate` for ``n_requests`` requests; the count is found by doubling,
    then bisection (the same seed at every r, so the arrival pattern only stretches).
    ``n_requests`` is at most :data:`MAX_SLO_REQUESTS` (5,000). Raises ``ValueError``
    when even an idle replica misses a target.
    """
    rate = _checks.positive("arrival_rate_per_s", arrival_rate_per_s)
    ttft_target = _checks.positive("ttft_p99_s", ttft_p99_s)
    tpot_target = _checks.positive("tpot_p99_s", tpot_p99_s)
    cap = _checks.positive_int("max_replicas", max_replicas)
    # each try simulates n_requests, and the search makes up to ~2·log2(replicas) tries
    n = _checks.positive_int("n_requests", n_requests, high=MAX_SLO_REQUESTS)
    step_time_s = _step_function(step_time_s)
    prompt_tokens = _tokens("prompt_tokens", prompt_tokens, n)
    output_tokens = _tokens("output_tokens", output_tokens, n)
    _check_context(step_time_s, prompt_tokens, output_tokens)
    _checks.one_of("policy", policy, POLICIES)
    _checks.positive_int("max_batch", max_batch)
    _checks.seed("seed", seed)

    def run(r: int) -> tuple[bool, float, float]:
        result = simulate(rate / r, n, prompt_tokens, output_tokens, step_time_s, policy,
                          max_batch, seed)
        ttft = float(np.percentile(result.ttft_s, 99))
        tpot = float(np.percentile(result.tpot_s, 99))
        return ttft <= ttft_target and tpot <= tpot_target, ttft, tpot

    mean_prompt = float(np.mean(prompt_tokens))
    mean_output = float(np.mean(output_tokens))
    naive = naive_replicas(rate, step_time_s, max(1, round(mean_prompt)),
                           max(1, round(mean_output)), max_batch)
    alone_ttft = _step_s(step_time_s, float(np.max(prompt_tokens)), 0)
    alone_tpot = _step_s(step_time_s, 0, 1)
    if alone_ttft > ttft_target or alone_tpot > tpot_target:
        raise ValueError(f"the targets cannot be met at any number of replicas: one request "
                         f"alone (prompt_tokens={int(np.max(prompt_tokens)):,}) has TTFT "
                         f"{alone_ttft:.3g} s and TPOT {alone_tpot:.3g} s "
                         f"(ttft_p99_s={ttft_target:g}, tpot_p99_s={tpot_target:g})")
    low, high = 0, max(1, naive)
    ok, ttft, tpot = run(high)
    while not ok:
        if high >= cap:
            raise ValueError(f"more than max_replicas={cap} replicas would be needed to meet "
                             f"ttft_p99_s={ttft_target:g} and tpot_p99_s={tpot_target:g} at "
                             f"arrival_rate_per_s={rate:g}, with requests of "
                             f"{mean_prompt:,.0f} prompt_tokens and {mean_output:,.4g} "
                             "output_tokens on average")
        low, high = high, min(cap, 2 * high)
        ok, ttft, tpot = run(high)
    best = (high, ttft, tpot)
    while high - low > 1:
        middle = (low + high) // 2
        ok, ttft, tpot = run(middle)
        if ok:
            high, best = middle, (middle, ttft, tpot)
        else:
            low = middle
    replicas, ttft, tpot = best
    return Capacity(rate, replicas, naive, ttft_target, tpot_target, ttft, tpot, rate / replicas)


# --------------------------------------------------------------------------- cost

@dataclass(frozen=True)
class ServingCost(Result):
    """$ per million tokens of serving a model on rented GPUs, input and output priced apart."""

    model: str
    instance: str
    chip: str
    n_chips: int  # GPUs per replica
    as_of: dt.date  # of the instance price
    replica_usd_per_hour: float
    batch_size: int
    prompt_tokens: int
    output_tokens: int
    utilization: float  # share of the time the replica is busy at this batch size
    gpu_s_per_request: float  # at full load
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    blended_usd_per_mtok: float  # over this request's mix of input and output tokens
    tokens_per_s_per_gpu: float  # input + output, at full load
    estimate: str = "expected"  # "expected" (measured efficiencies) or "bound" (roofline)


def serving_cost(model: str | catalog.ModelSpec, instance: str = "p5.48xlarge",
                 batch_size: int = 64, prompt_tokens: int = 512, output_tokens: int = 256,
                 utilization: float = 0.5, n_chips: int | None = None,
                 precision: str = "bf16", bytes_per_param: float | None = None,
                 as_of: str | dt.date | None = None,
                 estimate: str = "expected") -> ServingCost:
    """Self-hosted $ per million input and output tokens, from the step time.

    A replica of n GPUs costs c = price per GPU-hour · n. Serving one request takes
    step(prompt, 0) for its prefill plus (output − 1) · step(0, B) / B of full-batch
    decode steps. So

        input  $/Mtok = c/3600 · step(prompt, 0) / prompt       · 10⁶ / utilization
        output $/Mtok = c/3600 · step(0, B) / B                 · 10⁶ / utilization

    ``estimate="expected"`` (default) prices the measured-efficiency step time;
    ``"bound"`` the roofline, whose prices are lower bounds. ``utilization`` is the share
    of paid hours the replica spends busy.
    """
    record = catalog.instance(instance, as_of)
    u = _checks.in_range("utilization", utilization, 0.0, 1.0, low_open=True)
    timing = latency(model, record.accelerator, batch_size, prompt_tokens, output_tokens,
                     n_chips, precision, bytes_per_param, estimate=estimate)
    step = step_time(model, record.accelerator, timing.n_chips, precision, bytes_per_param,
                     context_tokens=max(1, prompt_tokens + output_tokens // 2),
                     estimate=estimate)
    usd_per_s = record.usd_per_gpu_hour * timing.n_chips / SECONDS_PER_HOUR
    prefill_s = step(timing.prompt_tokens, 0)
    decode_s = step(0, timing.batch_size) / timing.batch_size
    per_request = prefill_s + (timing.output_tokens - 1) * decode_s
    input_price = usd_per_s * prefill_s / timing.prompt_tokens * 1e6 / u
    output_price = usd_per_s * decode_s * 1e6 / u
    tokens = timing.prompt_tokens + timing.output_tokens
    blended = (timing.prompt_tokens * input_price + timing.output_tokens * output_price) / tokens
    return ServingCost(timing.model, record.instance, timing.chip, timing.n_chips, record.as_of,
                       record.usd_per_gpu_hour * timing.n_chips, timing.batch_size,
                       timing.prompt_tokens, timing.output_tokens, u, per_request, input_price,
                       output_price, blended, tokens / per_request / timing.n_chips,
                       step.estimate)


def _serving_cost(cost: object) -> ServingCost:
    if not isinstance(cost, ServingCost):
        raise ValueError(f"cost must be the ServingCost that serving.serving_cost(...) returns; "
                         f"got {cost!r}")
    return cost


def breakeven_vs_api(cost: ServingCost, api_model: str | catalog.ApiPrice) -> cloud.SelfHosting:
    """Tokens per day above which the self-hosted replica of ``cost`` beats an API's price.

    The API's price is blended over the same mix of input and output tokens
    (:func:`cloud.blended_usd_per_mtok`); the replica's throughput is its full-load
    tokens per second; then lesson 3's :func:`cloud.self_hosting_breakeven`.
    """
    cost = _serving_cost(cost)
    api = cloud.blended_usd_per_mtok(api_model, cost.prompt_tokens, cost.output_tokens)
    return cloud.self_hosting_breakeven(api, cost.tokens_per_s_per_gpu,
                                        cost.replica_usd_per_hour / cost.n_chips, cost.n_chips)


# --------------------------------------------------------------------------- measured here

def _decode_shapes(d_model: int, n_layers: int, context_tokens: int, batch: np.ndarray,
                   bytes_per_element: float) -> tuple[np.ndarray, np.ndarray]:
    """(FLOPs, bytes) of one decode step of the numpy transformer at each batch size."""
    weights = 12.0 * d_model**2 * n_layers  # W_qkv 3d², W_o d², FFN 2 · 4d²
    flops = 2.0 * weights * batch + 4.0 * batch * context_tokens * d_model * n_layers
    moved = (weights + 2.0 * batch * context_tokens * d_model * n_layers) * bytes_per_element
    return flops, moved


def predicted_decode_step_s(batch_sizes: object, flop_s: float, bandwidth_b_s: float,
                            d_model: int = 768, n_layers: int = 4, context_tokens: int = 128,
                            bytes_per_element: float = 4.0) -> np.ndarray:
    """Roofline time of one decode step of :func:`decode_step_measurements`' model.

    time = max(FLOPs / flop_s, bytes / bandwidth_b_s), with FLOPs = 2 · 12 d² L · B
    + 4 B c d L (weights and attention) and bytes = (12 d² L + 2 B c d L) · 4 (fp32
    weights and KV read once). Flat while memory-bound; the knee is where the two meet.
    """
    batch = _checks.array("batch_sizes", batch_sizes, low=1, high=_checks.COUNT_LIMIT,
                          whole=True)
    flops, moved = _decode_shapes(_checks.positive_int("d_model", d_model),
                                  _checks.positive_int("n_layers", n_layers),
                                  _checks.positive_int("context_tokens", context_tokens), batch,
                                  _checks.positive("bytes_per_element", bytes_per_element))
    return np.maximum(flops / _checks.positive("flop_s", flop_s),
                      moved / _checks.positive("bandwidth_b_s", bandwidth_b_s))


def machine_roofline(threads: int = 1, repeats: int = 3) -> tuple[float, float]:
    """This machine's (FLOP/s, bytes/s) in float32 on ``threads`` BLAS threads.

    FLOP/s from a 1024³ matmul, bandwidth from a STREAM triad over 32 MB arrays
    (lesson 1's :mod:`stackkit.bench`), fastest of ``repeats`` runs each.
    """
    from threadpoolctl import threadpool_limits

    from . import bench

    with threadpool_limits(limits=_checks.threads("threads", threads)):
        flops = bench.measure_matmul(1024, "float32", repeats=repeats)
        stream = bench.measure_bandwidth("triad", 2**23, "float32", repeats=repeats)
    return flops.best_rate * 1e9, stream.best_rate * 1e9


#: Ceilings on :func:`decode_step_measurements`: the memory it holds and the FLOPs it runs.
_MEASURE_BYTES = 4e9
_MEASURE_FLOPS = 1e12


def decode_step_measurements(batch_sizes: object = (1, 2, 4, 8, 16, 32, 64),
                             d_model: int = 768, n_layers: int = 4, context_tokens: int = 128,
                             repeats: int = 5, seed: int = 0, threads: int = 1) -> pd.DataFrame:
    """Time one decode step of a small numpy transformer (random fp32 weights) per batch size.

    The model: ``n_layers`` blocks of multi-head attention (heads of 64) over a KV
    cache of ``context_tokens`` and a 4·d ReLU feed-forward; 12 d² L weights
    (d = 768, L = 4: 28 M parameters, 113 MB). Each batch size is timed ``repeats``
    times after one warm-up; the median is reported. Runs on this machine's CPU with
    ``threads`` BLAS threads (one by default: on a shared machine, BLAS threads that
    wait for each other make a small matmul many times slower).
    """
    from threadpoolctl import threadpool_limits


    sizes = [int(b) for b in _checks.array("batch_sizes", batch_sizes, low=1, high=4096,
                                           whole=True, max_len=64)]
    d = _checks.whole("d_model", d_model, 64, 8192)
    layers = _checks.whole("n_layers", n_layers, 1, 128)
    ctx = _checks.whole("context_tokens", context_tokens, 1, 32_768)
    r = _checks.whole("repeats", repeats, 1, 100)
    _checks.threads("threads", threads)
    if d % 64:
        raise ValueError(f"d_model must be a multiple of 64 (the head size); got {d_model!r}")
    # what the measurement holds and does, bounded so it takes seconds on a course machine
    held_bytes = 4.0 * layers * (12 * d * d + 2 * max(sizes) * d * ctx)
    work_flops = (r + 1) * sum(2.0 * layers * b * (12 * d * d + 2 * d * ctx) for b in sizes)
    if held_bytes > _MEASURE_BYTES or work_flops > _MEASURE_FLOPS:
        raise ValueError(f"d_model={d}, n_layers={layers}, context_tokens={ctx}, batch_sizes up "
                         f"to {max(sizes)} and repeats={r} need {held_bytes / GB:.3g} GB and "
                         f"{work_flops:.3g} FLOP; the measurement is capped at "
                         f"{_MEASURE_BYTES / GB:g} GB and {_MEASURE_FLOPS:.0e} FLOP (seconds "
                         "on a course machine): use a smaller model or fewer repeats")
    heads = d // 64
    rng = np.random.default_rng(seed)
    scale = 1.0 / math.sqrt(d)
    blocks = [tuple((rng.standard_normal(shape, dtype=np.float32) * scale)
                    for shape in ((d, 3 * d), (d, d), (d, 4 * d), (4 * d, d)))
              for _ in range(layers)]
    largest = max(sizes)
    caches = [(rng.standard_normal((largest, heads, ctx, 64), dtype=np.float32),
               rng.standard_normal((largest, heads, ctx, 64), dtype=np.float32))
              for _ in range(layers)]

    def step(x: np.ndarray) -> np.ndarray:
        b = x.shape[0]
        for (w_qkv, w_o, w_up, w_down), (keys, values) in zip(blocks, caches, strict=True):
            h = x / np.sqrt((x * x).mean(axis=1, keepdims=True) + 1e-6)  # RMS norm
            q = (h @ w_qkv)[:, :d].reshape(b, heads, 1, 64)
            scores = q @ keys[:b].transpose(0, 1, 3, 2) / 8.0  # (b, heads, 1, ctx)
            # clipped so that exp never returns subnormal floats, which CPUs handle slowly
            scores = np.exp(np.maximum(scores - scores.max(axis=-1, keepdims=True), -60.0))
            scores /= scores.sum(axis=-1, keepdims=True)
            x = x + (scores @ values[:b]).reshape(b, d) @ w_o
            h = x / np.sqrt((x * x).mean(axis=1, keepdims=True) + 1e-6)
            x = x + np.maximum(h @ w_up, 0.0) @ w_down
        return x

    rows = []
    for b in sizes:
        x = rng.standard_normal((b, d), dtype=np.float32)
        times = []
        with threadpool_limits(limits=_checks.threads("threads", threads)):
            step(x)  # warm-up
            for _ in range(r):
                start = time.perf_counter()
                step(x)
                times.append(time.perf_counter() - start)
        flops, moved = _decode_shapes(d, layers, ctx, np.array([float(b)]), 4.0)
        rows.append({"batch_size": b, "time_s": float(np.median(times)),
                     "flops": float(flops[0]), "bytes": float(moved[0])})
    return pd.DataFrame(rows)


def cost_comparison(cost: ServingCost, api_models: object = None) -> pd.DataFrame:
    """The self-hosted price of ``cost`` beside every catalog API (or ``api_models``).

    API prices are blended over the same request (``cost.prompt_tokens`` in,
    ``cost.output_tokens`` out); each row carries its price date.
    """
    cost = _serving_cost(cost)
    frame = catalog.api_prices()
    if api_models is not None:
        names = [catalog.api_price(name).model
                 for name in _checks.sequence("api_models", api_models, single=str)]
        frame = frame[frame["model"].isin(names)]
    p, o = cost.prompt_tokens, cost.output_tokens
    rows = [{"label": f"{cost.model} on {cost.n_chips} × {cost.chip} ({cost.instance}, "
                      f"{cost.utilization:.0%} busy)",
             "kind": "self-hosted", "usd_per_mtok": cost.blended_usd_per_mtok,
             "as_of": pd.Timestamp(cost.as_of)}]
    for row in frame.itertuples():
        price = (p * row.input_usd_per_mtok + o * row.output_usd_per_mtok) / (p + o)
        rows.append({"label": f"{row.model} ({row.provider} API)", "kind": "API",
                     "usd_per_mtok": price, "as_of": pd.Timestamp(row.as_of)})
    return pd.DataFrame(rows)
