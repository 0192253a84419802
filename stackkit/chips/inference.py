"""Inference bounds: the least time one decode step or prefill can take on a chip, whether
the weights and KV cache fit, and how many chips hold a model."""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import pandas as pd

from .. import _checks, catalog, transformer
from .._declare import choice, count, custom, declared, flag, optional, positive
from .._results import Result
from ..units import BYTES_PER_ELEMENT
from ._params import CHIP, MODEL, PRECISION, WIDTH
from .roofline import memory_bw_tb_s, peak_tflops

_BATCH = count(examples=(1, 64, 1024))
_CONTEXT = count(low=0, examples=(0, 1024, 32_768))
_N_CHIPS = optional(count(examples=(1, 8)))


@dataclass(frozen=True)
class StepBound(Result):
    """Lower bound on the time of one inference step: the slower of compute and memory.

    time = max(FLOPs / (n_gpus · peak), bytes / (n_gpus · bandwidth)); the
    chips are assumed to split the work perfectly (no communication cost).
    """

    _derived = ("bytes_moved", "time_s", "bound", "intensity_flop_per_byte", "tokens_per_s",
                "tokens_per_s_per_chip", "fits_in_memory")

    chip: str
    model: str
    phase: str  # 'decode' or 'prefill'
    precision: str
    batch_size: int  # sequences in the step
    tokens: int  # tokens produced (decode: batch_size) or processed (prefill: n_tokens)
    n_gpus: int
    flops: float
    weight_bytes: float
    kv_bytes: float
    compute_time_s: float
    memory_time_s: float
    memory_needed_gb: float = 0.0  # resident: all the weights plus the batch's KV cache
    memory_capacity_gb: float = 0.0  # what the n_gpus hold (off-chip memory, or SRAM)

    @property
    def fits_in_memory(self) -> bool:
        """Whether the weights and the KV cache fit in the chips' memory at all."""
        return self.memory_needed_gb <= self.memory_capacity_gb

    @property
    def bytes_moved(self) -> float:
        return self.weight_bytes + self.kv_bytes

    @property
    def time_s(self) -> float:
        """The lower bound: the slower of the two limits."""
        return max(self.compute_time_s, self.memory_time_s)

    @property
    def bound(self) -> str:
        return "compute" if self.compute_time_s >= self.memory_time_s else "memory"

    @property
    def intensity_flop_per_byte(self) -> float:
        return self.flops / self.bytes_moved

    @property
    def tokens_per_s(self) -> float:
        """Upper bound on throughput: tokens of this step over its time."""
        return self.tokens / self.time_s

    @property
    def tokens_per_s_per_chip(self) -> float:
        return self.tokens_per_s / self.n_gpus



def _bytes_per_param(bytes_per_param: float | None, precision: str) -> float:
    """The weights' width: as given, or that of the compute precision (bf16 → 2)."""
    return BYTES_PER_ELEMENT[precision] if bytes_per_param is None else bytes_per_param


def _step(accelerator: catalog.Accelerator, spec: catalog.ModelSpec, phase: str,
          precision: str, batch_size: int, tokens: int, n_gpus: int | None,
          bytes_per_param: float, work: transformer.StepWork) -> StepBound:
    flops, weight_bytes, kv_bytes = work.flops, work.weight_bytes, work.kv_bytes
    if n_gpus is None:
        n_gpus = chips_to_hold_weights.unchecked(spec, accelerator, bytes_per_param)
    peak_flop_s = n_gpus * peak_tflops.unchecked(accelerator, precision) * 1e12
    bandwidth_b_s = n_gpus * memory_bw_tb_s.unchecked(accelerator) * 1e12
    resident_bytes = transformer.weight_bytes(spec, bytes_per_param) + kv_bytes
    return _checks.finite(f"{phase} step", StepBound(
        chip=accelerator.name, model=spec.name, phase=phase, precision=precision,
        batch_size=batch_size, tokens=tokens, n_gpus=n_gpus, flops=flops,
        weight_bytes=weight_bytes, kv_bytes=kv_bytes,
        compute_time_s=flops / peak_flop_s,
        memory_time_s=(weight_bytes + kv_bytes) / bandwidth_b_s,
        memory_needed_gb=resident_bytes / 1e9,
        memory_capacity_gb=n_gpus * accelerator.weight_capacity_gb,
    ), {"n_gpus": n_gpus, "bytes_per_param": bytes_per_param})


@declared(model=MODEL, chip=CHIP, batch_size=_BATCH, context_tokens=_CONTEXT,
          precision=PRECISION, bytes_per_param=optional(WIDTH), kv_bytes_per_element=WIDTH,
          n_gpus=_N_CHIPS)
def decode_step(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                batch_size: int = 1, context_tokens: int = 0, precision: str = "bf16",
                bytes_per_param: float | None = None, kv_bytes_per_element: float = 2.0,
                n_gpus: int | None = None) -> StepBound:
    """Lower bound on the time to decode one token for each of ``batch_size`` sequences.

    memory time  = (params · bytes_per_param + B · (c + 1) · KV bytes per token) / bandwidth
    compute time = 2 · params · B / peak  (Kaplan et al. 2020, Table 1)

    Parameters
    ----------
    model : catalog name or ModelSpec (``params`` is the published count).
    chip : catalog name or Accelerator.
    batch_size : sequences decoded together (B).
    context_tokens : tokens already in each sequence's KV cache (c).
    precision : compute precision; also the default width of the weights.
    bytes_per_param : weight width; default that of ``precision`` (bf16 → 2, fp8 → 1).
    kv_bytes_per_element : KV cache width.
    n_gpus : chips sharing the model; default the fewest that hold the weights
        (:func:`chips_to_hold_weights`), each contributing its bandwidth and peak.
    """
    accelerator, spec = catalog.accelerator.unchecked(chip), transformer.spec(model)
    width = _bytes_per_param(bytes_per_param, precision)
    work = transformer.decode_work(spec, batch_size, context_tokens, width, kv_bytes_per_element)
    return _step(accelerator, spec, "decode", precision, batch_size, batch_size, n_gpus, width,
                 work)


@declared(model=MODEL, chip=CHIP, n_tokens=count(examples=(1, 512, 8192)), precision=PRECISION,
          bytes_per_param=optional(WIDTH), kv_bytes_per_element=WIDTH, n_gpus=_N_CHIPS)
def prefill(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator, n_tokens: int,
            precision: str = "bf16", bytes_per_param: float | None = None,
            kv_bytes_per_element: float = 2.0, n_gpus: int | None = None) -> StepBound:
    """Lower bound on the time to process a prompt of ``n_tokens`` tokens (one sequence).

    memory time  = (params · bytes_per_param + n · KV bytes per token) / bandwidth
    compute time = 2 · params · n / peak  (Kaplan et al. 2020, Table 1)

    Arguments as in :func:`decode_step`.
    """
    accelerator, spec = catalog.accelerator.unchecked(chip), transformer.spec(model)
    width = _bytes_per_param(bytes_per_param, precision)
    work = transformer.prefill_work(spec, n_tokens, width, kv_bytes_per_element)
    return _step(accelerator, spec, "prefill", precision, 1, n_tokens, n_gpus, width, work)


def _batch_sizes(param: str, value: object) -> list[int]:
    return [_checks.positive_int(param, b)
            for b in _checks.sequence(param, value, single=Real, max_len=10_000)]


@declared(model=MODEL, chip=CHIP,
          batch_sizes=custom(_batch_sizes, examples=([1, 8, 64], 16),
                             bad=("8", [0], [1.5], None, []), kind="batch sizes"),
          context_tokens=_CONTEXT, precision=PRECISION, n_gpus=_N_CHIPS, within_memory=flag())
def decode_batch_curve(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                       batch_sizes: object = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
                       context_tokens: int = 0, precision: str = "bf16",
                       n_gpus: int | None = None, within_memory: bool = False) -> pd.DataFrame:
    """:func:`decode_step` over batch sizes: time per step, tokens/s, the bound, and whether
    the weights and the batch's KV cache fit (``fits_in_memory``).

    ``within_memory=True`` keeps only the batch sizes that fit, so a curve stops at the
    memory limit instead of promising throughput no chip can hold; a ``context_tokens``
    column records the context each sequence carries.
    """
    accelerator = catalog.accelerator.unchecked(chip)  # resolved once, not per row
    spec = transformer.spec(model)
    frames = [decode_step.unchecked(spec, accelerator, b, context_tokens, precision, None, 2.0,
                                    n_gpus).to_frame() for b in batch_sizes]
    frame = pd.concat(frames, ignore_index=True).assign(context_tokens=context_tokens)
    if within_memory:
        frame = frame[frame["fits_in_memory"]].reset_index(drop=True)
    return frame


@declared(model=MODEL, chip=CHIP, context_tokens=_CONTEXT, precision=PRECISION,
          bytes_per_param=optional(WIDTH), kv_bytes_per_element=WIDTH, n_gpus=_N_CHIPS)
def max_batch_in_memory(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                        context_tokens: int = 0, precision: str = "bf16",
                        bytes_per_param: float | None = None,
                        kv_bytes_per_element: float = 2.0, n_gpus: int | None = None) -> int:
    """The most sequences of ``context_tokens`` tokens whose KV cache fits beside the weights.

    B_max = floor((n_gpus · capacity − weight bytes) / ((c + 1) · KV bytes per token)),
    0 when the weights alone do not fit. KV bytes per token = 2 · layers · kv_heads ·
    head_dim · bytes (the K and V of every layer; for Llama 2 7B at 4,096 tokens, batch 1,
    about 2 GB, as NVIDIA's "Mastering LLM Techniques: Inference Optimization" works out).
    Activations and framework overhead are left out, so real servers fit fewer.
    """
    accelerator, spec = catalog.accelerator.unchecked(chip), transformer.spec(model)
    width = _bytes_per_param(bytes_per_param, precision)
    if n_gpus is None:
        n_gpus = chips_to_hold_weights.unchecked(spec, accelerator, width)
    free = n_gpus * accelerator.weight_capacity_bytes - transformer.weight_bytes(spec, width)
    per_sequence = ((context_tokens + 1)
                    * transformer.kv_cache_bytes_per_token(spec, kv_bytes_per_element))
    return max(0, math.floor(round(free / per_sequence, 9)))


@declared(model=MODEL, chip=CHIP, batch_size=_BATCH, context_tokens=_CONTEXT, precision=PRECISION,
          phase=choice(("decode", "prefill")), n_tokens=count(examples=(1, 512, 8192)))
def fit_warning(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                batch_size: int = 1, context_tokens: int = 0, precision: str = "bf16",
                phase: str = "decode", n_tokens: int = 1) -> str | None:
    """A sentence when the weights and the KV cache do not fit in one chip's memory, else None.

    A roofline says how fast an operation could run; it does not say whether the data fits.
    Decode holds ``batch_size`` sequences of ``context_tokens`` + 1 tokens of KV cache; a
    prefill holds ``n_tokens`` of them. Weights at the width of ``precision``.
    """
    if phase == "decode":
        step = decode_step.unchecked(model, chip, batch_size, context_tokens, precision, None,
                                     2.0, 1)
        what = (f"{step.batch_size:,} sequence(s) × {context_tokens + 1:,} tokens of "
                "KV cache")
    else:
        step = prefill.unchecked(model, chip, n_tokens, precision, None, 2.0, 1)
        what = f"a {step.tokens:,}-token prompt's KV cache"
    if step.fits_in_memory:
        return None
    width = BYTES_PER_ELEMENT[step.precision]
    weights_gb = transformer.weight_bytes(step.model, width) / 1e9
    limit = ""
    if phase == "decode" and weights_gb < step.memory_capacity_gb:
        most = max_batch_in_memory.unchecked(model, chip, context_tokens, precision, None, 2.0, 1)
        limit = f"; at this context at most {most:,} sequence(s) fit"
    elif weights_gb >= step.memory_capacity_gb:
        needed = chips_to_hold_weights.unchecked(model, chip, width)
        limit = f"; the weights alone need {needed} chips"
    return (f"Does not fit on one {step.chip}: {step.model} weights ({weights_gb:,.1f} GB) + "
            f"{what} need {step.memory_needed_gb:,.1f} GB, the chip holds "
            f"{step.memory_capacity_gb:,.3g} GB{limit}.")


@declared(model=MODEL, chip=CHIP, context_tokens=_CONTEXT, precision=PRECISION,
          bytes_per_param=optional(WIDTH), kv_bytes_per_element=WIDTH, n_gpus=_N_CHIPS)
def compute_bound_batch(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                        context_tokens: int = 0, precision: str = "bf16",
                        bytes_per_param: float | None = None,
                        kv_bytes_per_element: float = 2.0,
                        n_gpus: int | None = None) -> int | None:
    """The smallest batch at which a decode step turns compute-bound, or None if it never does.

    Each sequence adds 2 · N FLOPs but also (c + 1) · KV bytes per token, so the step's
    intensity levels off at 2 · N / ((c + 1) · KV bytes per token) as the batch grows. When
    that ceiling is below the chip's ridge point, no batch is compute-bound (Llama 3 8B at
    2,048 tokens of context: about 60 FLOP per byte against the H100's 295). Memory is not
    checked here: compare with :func:`max_batch_in_memory`.
    """
    def compute_bound(b: int) -> bool:
        return decode_step.unchecked(model, chip, b, context_tokens, precision, bytes_per_param,
                                     kv_bytes_per_element, n_gpus).bound == "compute"

    high = 1 << 24
    if not compute_bound(high):
        return None
    low = 1
    if compute_bound(low):
        return low
    while high - low > 1:  # compute-boundness only grows with the batch: bisect
        middle = (low + high) // 2
        low, high = (low, middle) if compute_bound(middle) else (middle, high)
    return high


def _model_or_count(param: str, value: object) -> object:
    """A catalog model (name or ModelSpec) passes through; a number is a parameter count."""
    if isinstance(value, Real) and not isinstance(value, bool):
        return _checks.positive(f"{param} (parameter count)", value)
    return MODEL.check(param, value)


@declared(model=custom(_model_or_count, examples=("Llama 3 8B", 70e9, "DeepSeek-V3"),
                       bad=(None, "", -5, float("nan"), ["Llama 3 8B"]), kind="model or count"),
          chip=CHIP, bytes_per_param=positive(examples=(2.0, 1.0, 0.5)))
def chips_to_hold_weights(model: str | catalog.ModelSpec | float,
                          chip: str | catalog.Accelerator,
                          bytes_per_param: float = 2.0) -> int:
    """The fewest chips whose memory holds the model's weights (nothing else).

    chips = ceil(params · bytes_per_param / capacity), where capacity is the
    chip's off-chip memory, or its SRAM for chips without any
    (``Accelerator.weight_capacity_gb``). A 70-billion-parameter model at 8 bits
    on 230 MB Groq LPUs: ceil(70e9 / 230e6) = 305 chips.

    ``model`` is a catalog name, a ModelSpec, or a parameter count.
    """
    if isinstance(model, Real) and not isinstance(model, bool):
        weights = model * bytes_per_param
    else:
        weights = transformer.weight_bytes(model, bytes_per_param)
    capacity_bytes = catalog.accelerator.unchecked(chip).weight_capacity_bytes
    # round first so that an exact fit (80 GiB on 80 GiB) is not pushed up by float error
    return max(1, math.ceil(round(weights / capacity_bytes, 9)))
