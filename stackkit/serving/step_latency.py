"""Latency from the roofline: one engine step's time (:class:`StepTimeModel`, :func:`step_time`)
and TTFT/TPOT at a batch size (:func:`latency`), tensor parallelism priced with lesson 2's
all-reduce."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real

import numpy as np

from .. import _checks, catalog, chips, clusters, transformer
from .._declare import choice, count, declared, fraction, optional, positive
from .._results import Result
from ..units import BYTES_PER_ELEMENT
from ._specs import CHIP, MODEL
from .dequant import dequant_weights_per_s
from .memory import (
    _context,
    _fewest_chips,
    _spec,
    kv_cache_bytes_per_token,
    memory_plan,
    weight_bytes,
)

# --------------------------------------------------------------------------- latency

def _tp_link(accelerator: catalog.Accelerator, n_gpus: int,
             link_bandwidth_gb_s: float | None, why: str = "") -> float:
    if link_bandwidth_gb_s is not None:
        return link_bandwidth_gb_s
    if n_gpus > 1 and accelerator.scaleup_bw_gb_s is None:
        raise ValueError(f"n_gpus={n_gpus}{why} needs a chip-to-chip link, and the catalog has "
                         f"no scale-up bandwidth for {accelerator.name}; pass "
                         "link_bandwidth_gb_s")
    return float(accelerator.scaleup_bw_gb_s or 1.0)


_SCALARS = (int, float)

#: What :func:`latency`, :func:`serving_cost` and :func:`step_time` estimate: "bound" is the
#: roofline (100 % of peak compute and bandwidth, a lower bound on time); "expected" runs
#: compute at the chip's measured matmul ceiling and memory at a measured decode's bandwidth,
#: one after the other (no overlap; :class:`StepTimeModel`).
ESTIMATES = ("expected", "bound")


def _efficiencies(accelerator: catalog.Accelerator, estimate: str,
                  precision: str = "bf16") -> tuple[float, float]:
    """(compute, bandwidth) efficiency of an estimate.

    expected: compute at the chip's measured maximum achievable matmul share (catalog
    ``measured_bf16_tflops`` / ``bf16_tflops``; without a measurement, the catalog's median
    share), memory at the bandwidth a measured batch-1 decode reached: gpt-fast's Llama 2 7B
    on an A100, 1,397 of 2,039 GB/s (69 %). Both are shares, so they carry to other chips.
    FP8 compute runs at the share of the FP8 peak a measured FP8 prefill reached
    (:func:`_fp8_compute_share`), not at the BF16 matmul share.
    """
    if estimate == "bound":
        return 1.0, 1.0
    frame = catalog.accelerators()
    if precision == "fp8":
        compute = _fp8_compute_share()
    elif accelerator.measured_bf16_tflops is not None and accelerator.bf16_tflops:
        compute = accelerator.measured_bf16_tflops / accelerator.bf16_tflops
    else:
        compute = float((frame["measured_bf16_tflops"] / frame["bf16_tflops"]).dropna().median())
    measured = catalog.assumption("gpt_fast_llama2_7b_a100_gb_s").value
    bandwidth = measured / (catalog.accelerator("A100 SXM 80GB").memory_bw_tb_s * 1e3)
    return float(compute), float(bandwidth)


def _fp8_compute_share() -> float:
    """Share of the H100's FP8 peak that a measured FP8 prefill reached: TensorRT-LLM's
    Llama 2 7B, one 2,048-token prompt on one H100 SXM with FP8 weights and KV, first token
    in 36 ms (catalog assumption ``trtllm_llama2_7b_h100_fp8_ttft_2048_ms``). Of those 36 ms
    the expected estimate spends the weight and KV bytes' time at the measured bandwidth
    share (3.2 ms, :class:`StepTimeModel`: no overlap); the prompt's FLOPs
    (:func:`stackkit.transformer.flops_per_token`, attention at the mean position) over the
    rest, over 1,979 TFLOP/s, give about 0.44: FP8 GEMMs ran at about 1.1× BF16's measured
    rate (794.5 TFLOP/s), not twice it."""
    spec, chip = catalog.model("Llama 2 7B"), catalog.accelerator("H100 SXM")
    prompt = 2048
    flops = prompt * (transformer.flops_per_token(spec, 0) + 0.5 * (
        transformer.flops_per_token(spec, prompt) - transformer.flops_per_token(spec, 0)))
    bandwidth = (catalog.assumption("gpt_fast_llama2_7b_a100_gb_s").value
                 / (catalog.accelerator("A100 SXM 80GB").memory_bw_tb_s * 1e3))
    memory_s = ((weight_bytes(spec, 1.0) + prompt * kv_cache_bytes_per_token(spec, 1.0))
                / (chip.memory_bw_tb_s * 1e12 * bandwidth))
    seconds = catalog.assumption("trtllm_llama2_7b_h100_fp8_ttft_2048_ms").value / 1e3
    return float(flops / (seconds - memory_s) / (chips.peak_tflops(chip, "fp8") * 1e12))


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
class StepTimeModel:
    """The roofline time of one engine step; call it as ``step(n_prefill_tokens, n_decoding)``.

    A step processes ``n_prefill_tokens`` prompt tokens and one new token for each
    of ``n_decoding`` sequences:

        compute = (P + D) · 2 N_active + attention, over n_gpus · peak · compute_efficiency
        memory  = weights + D · c · KV + (P + D) · KV, over n_gpus · bandwidth · bandwidth_eff
                  (estimate "expected" with weights narrower than the compute precision:
                  the weights' part is at least weights / the chips' dequantization rate,
                  :mod:`stackkit.serving.dequant`)
        comm    = 2 L all-reduces of (P + D) · d_model · 2 bytes (Megatron-LM tensor parallel,
                  Shoeybi et al. 2019, section 3), each the cheaper of NCCL's LL protocol
                  (one latency, a quarter of the bandwidth) and the Simple ring
                  (:func:`clusters.allreduce_seconds`), as NCCL's tuner picks
        time    = max(compute, memory) + comm          (estimate "bound")
        time    = compute + memory + comm              (estimate "expected")

    With ``estimate="bound"`` the efficiencies are 1 and compute and memory overlap
    perfectly (the roofline, a lower bound on time). ``"expected"`` uses measured shares
    (see :func:`step_time`) and lets them not overlap: the roofline's max is reached only
    far from the ridge point, where one term dwarfs the other and the sum equals it; at the
    ridge (a 128-token prefill at batch 1, a large decode batch) a step reaches neither
    ceiling, and the sum is the time TensorRT-LLM measured there (docs/validation.md).

    FLOPs per token come from :func:`stackkit.transformer.flops_per_token`: 2 N_active
    plus 4 · L · context · d_attn of attention, with context ``c`` for a decoding token
    and c/2 for a prompt token (its mean position in a causal prompt of c tokens).
    Works on numbers and on numpy arrays alike.
    """

    model: str
    chip: str
    n_gpus: int
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
    n_weights: float = 0.0  # weights dequantized each step (weight-only quantization)
    dequant_weights_per_s: float = 0.0  # all chips; 0: weights are read as they are stored
    weights_s: float = field(init=False, repr=False, default=0.0)  # the weights' part of memory

    def __post_init__(self) -> None:
        # the weights' time, once: their bytes, or dequantizing them where that is slower
        weights_s = self.weight_bytes / self.bandwidth_b_s
        if self.dequant_weights_per_s:
            weights_s = max(weights_s, self.n_weights / self.dequant_weights_per_s)
        object.__setattr__(self, "weights_s", weights_s)

    def _comm_s(self, tokens: object) -> object:
        return self.n_allreduces * _allreduce_s(
            tokens * self.allreduce_bytes_per_token, self.n_gpus,
            self.link_bandwidth_gb_s * 1e9, self.allreduce_latency_s,
            self.ll_allreduce_latency_s, self.ll_bandwidth_share)

    def parts(self, n_prefill_tokens: object, n_decoding: object) -> dict[str, object]:
        """The step's compute, memory and communication times (s) before taking the max."""
        p = _step_tokens("n_prefill_tokens", n_prefill_tokens)
        d = _step_tokens("n_decoding", n_decoding)
        tokens = p + d
        flops = tokens * self.flops_per_token + (d + 0.5 * p) * self.attention_flops_per_token
        kv = (d * self.context_tokens + tokens) * self.kv_bytes_per_token
        comm = self._comm_s(tokens) if self.n_allreduces else 0.0
        return {"compute_s": flops / self.peak_flop_s,
                "memory_s": self.weights_s + kv / self.bandwidth_b_s, "comm_s": comm}

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
            memory = self.weights_s + ((d * self.context_tokens + tokens)
                                       * self.kv_bytes_per_token) / self.bandwidth_b_s
            if self.estimate == "expected":  # no overlap (see the class docstring)
                step = compute + memory
            else:
                step = compute if compute > memory else memory
            if self.n_allreduces:
                step += self._comm_s(tokens)
            return step
        parts = self.parts(n_prefill_tokens, n_decoding)
        if self.estimate == "expected":
            return parts["compute_s"] + parts["memory_s"] + parts["comm_s"]
        return np.maximum(parts["compute_s"], parts["memory_s"]) + parts["comm_s"]

    def bound(self, n_prefill_tokens: float, n_decoding: float) -> str:
        """"compute" or "memory": which limit sets the step (communication aside)."""
        parts = self.parts(_checks.number("n_prefill_tokens", n_prefill_tokens, low=0.0,
                                          high=_checks.COUNT_LIMIT),
                           _checks.number("n_decoding", n_decoding, low=0.0,
                                          high=_checks.COUNT_LIMIT))
        return "compute" if parts["compute_s"] >= parts["memory_s"] else "memory"


#: The parameters :func:`step_time` and :func:`latency` share, declared once.
_STEP = {"n_gpus": optional(count(high=1 << 20, examples=(1, 8))),
         "precision": choice(chips.PRECISIONS),
         "bytes_per_param": optional(positive(examples=(2.0, 1.0))),
         "kv_bytes_per_element": positive(examples=(2.0, 1.0)),
         "compute_efficiency": optional(fraction(low_open=True, examples=(0.5, 1.0))),
         "bandwidth_efficiency": optional(fraction(low_open=True, examples=(0.7, 1.0))),
         "link_bandwidth_gb_s": optional(positive(high=1e6, examples=(900.0, 50.0))),
         "estimate": choice(ESTIMATES)}


@declared(model=MODEL, chip=CHIP, context_tokens=count(examples=(1024, 8192)), **_STEP)
def step_time(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
              n_gpus: int | None = None, precision: str = "bf16",
              bytes_per_param: float | None = None, kv_bytes_per_element: float = 2.0,
              context_tokens: int = 1024, compute_efficiency: float | None = None,
              bandwidth_efficiency: float | None = None,
              link_bandwidth_gb_s: float | None = None,
              estimate: str = "expected") -> StepTimeModel:
    """The step time of ``model`` on ``chip`` as a callable for :func:`simulate`.

    Parameters
    ----------
    n_gpus : tensor-parallel degree; default the fewest chips that hold the weights
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
        HBM bandwidth a measured batch-1 decode reached (gpt-fast, Llama 2 7B on an A100),
        FP8 at the 44 % of its peak a measured TensorRT-LLM FP8 prefill reached; compute and
        memory time add (no overlap); weights narrower than the compute precision (int8 or
        int4 weight-only, ``bytes_per_param`` below the precision's width) take at least
        as long as the chips' SMs need to dequantize them (:mod:`stackkit.serving.dequant`;
        a ``ValueError`` for chips the catalog gives no SM count); "bound": both 1.0 and
        the larger of the two, the roofline (a lower bound on time), weights read as stored.
    """
    spec, accelerator = _spec(model), catalog.accelerator(chip)
    peak_tflops = chips.peak_tflops(accelerator, precision)  # the chip has this precision
    width = BYTES_PER_ELEMENT[precision] if bytes_per_param is None else bytes_per_param
    kv_width = kv_bytes_per_element
    if n_gpus is None:  # the fewest that hold the weights, as a power of two (a TP degree)
        n = 2 ** math.ceil(math.log2(chips.chips_to_hold_weights(spec, accelerator, width)))
    else:
        n = n_gpus
    c = _context(spec, context_tokens)  # no longer than the model's context
    kind = estimate
    expected_mfu, expected_mbu = _efficiencies(accelerator, kind, precision)
    mfu = expected_mfu if compute_efficiency is None else compute_efficiency
    mbu = expected_mbu if bandwidth_efficiency is None else bandwidth_efficiency
    value = lambda key: catalog.assumption(key).value  # noqa: E731
    ll_s = (value("nccl_ring_ll_base_latency_us")
            + 2 * (n - 1) * value("nccl_ring_ll_hop_latency_nvlink_us")) * 1e-6
    why = (f" (the fewest chips that hold {spec.name}'s weights at bytes_per_param={width:g})"
           if n_gpus is None else "")
    link = _tp_link(accelerator, n, link_bandwidth_gb_s, why)
    dequant_rate = (n * dequant_weights_per_s(accelerator, width, precision)
                    if kind == "expected" else 0.0)
    return StepTimeModel(
        model=spec.name, chip=accelerator.name, n_gpus=n, precision=precision,
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
        n_weights=weight_bytes(spec, 1.0) if dequant_rate else 0.0,
        dequant_weights_per_s=dequant_rate,
    )


@dataclass(frozen=True)
class Latency(Result):
    """TTFT, TPOT and end-to-end time of a batch of identical requests, from the roofline."""

    _derived = ("tokens_per_s", "tokens_per_s_per_user")

    model: str
    chip: str
    n_gpus: int
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


@declared(model=MODEL, chip=CHIP, batch_size=count(examples=(1, 64)),
          prompt_tokens=count(examples=(512, 2000)), output_tokens=count(examples=(256, 1)),
          memory_utilization=optional(fraction(low_open=True, examples=(0.9, 1.0))), **_STEP)
def latency(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
            batch_size: int = 1, prompt_tokens: int = 512, output_tokens: int = 256,
            n_gpus: int | None = None, precision: str = "bf16",
            bytes_per_param: float | None = None, kv_bytes_per_element: float = 2.0,
            compute_efficiency: float | None = None, bandwidth_efficiency: float | None = None,
            link_bandwidth_gb_s: float | None = None, estimate: str = "expected",
            memory_utilization: float | None = None) -> Latency:
    """TTFT and TPOT of ``batch_size`` requests served together.

    ``estimate="expected"`` (default) runs the chips at measured efficiencies (see
    :func:`step_time`); ``"bound"`` is the roofline, a lower bound no server beats.

    TTFT = step(batch · prompt, 0): the prompts are prefilled in one step, which
    yields each request's first token. TPOT = step(0, batch) with each sequence
    reading prompt + output / 2 tokens of KV. End to end = TTFT + (output − 1) · TPOT.
    ``n_gpus`` defaults to the fewest chips that hold the weights and the batch's
    KV (:func:`chips_for_batch`). ``link_bandwidth_gb_s`` is the chip-to-chip
    bandwidth for n_gpus > 1 (default the catalog's scale-up link; see :func:`step_time`).
    ``memory_utilization`` is the share of the chips' memory weights and KV may fill
    (:func:`memory_plan`; default vLLM's 0.9). An engine that allocates one contiguous
    cache of batch × full length up front, as TensorRT-LLM's non-paged engines did, holds
    nothing back for it: pass 1.0.
    Raises ``ValueError`` when a prompt plus its output exceeds the model's context
    or, with ``n_gpus`` given, the batch's KV does not fit beside the weights.
    """
    spec, accelerator = _spec(model), catalog.accelerator(chip)
    b, p, o, kv_width = batch_size, prompt_tokens, output_tokens, kv_bytes_per_element
    _context(spec, p + o, "prompt_tokens + output_tokens")
    width = BYTES_PER_ELEMENT[precision] if bytes_per_param is None else bytes_per_param
    chips.peak_tflops(accelerator, precision)  # the chip has this precision
    if n_gpus is None:  # the fewest chips that hold the weights and the batch's KV
        n_gpus = _fewest_chips(spec, accelerator, b, p + o, width, kv_width, 1024,
                               memory_utilization)
        if n_gpus is None:
            raise ValueError(f"batch_size={b} × (prompt_tokens + output_tokens)={p + o:,} "
                             f"tokens does not fit on 1,024 × {accelerator.name} "
                             f"(bytes_per_param={width:g}, kv_bytes_per_element={kv_width:g})")
        if n_gpus > 1 and link_bandwidth_gb_s is None and accelerator.scaleup_bw_gb_s is None:
            raise ValueError(
                f"{spec.name} at bytes_per_param={width:g} with batch_size={b} × "
                f"(prompt_tokens + output_tokens)={p + o:,} tokens of KV "
                f"(kv_bytes_per_element={kv_width:g}) needs n_gpus={n_gpus} × "
                f"{accelerator.name}, and the catalog has no chip-to-chip bandwidth for "
                f"{accelerator.name}: pass link_bandwidth_gb_s, or make the model or batch "
                "smaller")
    step = step_time(spec, accelerator, n_gpus, precision, bytes_per_param,
                     kv_width, context_tokens=max(1, p + o // 2),
                     compute_efficiency=compute_efficiency,
                     bandwidth_efficiency=bandwidth_efficiency,
                     link_bandwidth_gb_s=link_bandwidth_gb_s, estimate=estimate)
    plan = memory_plan(spec, accelerator, step.n_gpus, p + o,
                       step.weight_bytes / spec.params, kv_width, memory_utilization)
    kv_gb = b * plan.kv_per_sequence_gb
    if plan.weights_gb > plan.usable_gb:
        raise ValueError(f"{spec.name}'s weights ({plan.weights_gb:.4g} GB at "
                         f"bytes_per_param={width:g}) do not fit in n_gpus={step.n_gpus} × "
                         f"{accelerator.name} ({plan.usable_gb:.1f} GB usable); use more chips "
                         "or fewer bytes per parameter")
    if b > plan.max_sequences:
        raise ValueError(f"batch_size={b}: its KV cache ({kv_gb:.4g} GB at {p + o} tokens each, "
                         f"kv_bytes_per_element={kv_width:g}) does not fit beside the weights "
                         f"({plan.weights_gb:.4g} GB at bytes_per_param={width:g}); at most "
                         f"{plan.max_sequences} sequences fit on n_gpus={step.n_gpus} × "
                         f"{accelerator.name}")
    ttft = step(b * p, 0)
    tpot = step(0, b)
    return Latency(spec.name, accelerator.name, step.n_gpus, b, p, o, ttft, tpot,
                   ttft + (o - 1) * tpot, step.bound(0, b), kv_gb, plan.usable_gb,
                   step.estimate)
