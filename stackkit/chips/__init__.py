"""Layer 1 — silicon: the roofline, the intensity of real operations, chips compared.

Pure functions: numbers in, numbers or small frozen dataclasses out. A ``chip``
argument is a catalog name (``"H100 SXM"``) or an :class:`~stackkit.catalog.Accelerator`.

The roofline (Williams, Waterman & Patterson 2009, "Roofline: an insightful
visual performance model", CACM 52(4), Figure 1): a kernel that performs
``I`` FLOPs per byte it moves to or from memory runs at most at

    attainable = min(peak FLOP/s, I · memory bandwidth)

and the *ridge point* ``peak / bandwidth`` is the intensity where the two
limits meet. Below it a chip waits on memory; above it, on arithmetic.

Units: TFLOP/s = 1e12 FLOP/s, TB/s = 1e12 B/s, intensity in FLOP per byte.
For chips without off-chip memory (Groq LPU, Cerebras WSE) the catalog's
bandwidth is the on-chip SRAM bandwidth, so their roofline is the SRAM one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import pandas as pd

from .. import _checks, catalog, transformer
from .._results import Result
from ..units import BYTES_PER_ELEMENT

__all__ = [
    "COST_METRICS",
    "OPERATIONS",
    "PRECISIONS",
    "RealisticPeak",
    "RooflineView",
    "StepBound",
    "attainable_tflops",
    "bound",
    "chips_to_hold_weights",
    "compute_bound_batch",
    "decode_batch_curve",
    "decode_intensity",
    "decode_step",
    "elementwise_intensity",
    "fit_warning",
    "matmul_intensity",
    "max_batch_in_memory",
    "memory_bw_tb_s",
    "operation_intensity",
    "peak_tflops",
    "precisions",
    "prefill",
    "prefill_intensity",
    "rank_chips",
    "realistic_peak",
    "realistic_peaks",
    "ridge_point",
    "roofline_curve",
    "roofline_view",
]

#: Precision -> the catalog column that holds the chip's dense peak for it.
#: FP16 shares the BF16 column (vendors give one figure for both, or only FP16).
_PEAK_COLUMNS = {
    "bf16": "bf16_tflops",
    "fp16": "bf16_tflops",
    "fp8": "fp8_tflops",
    "fp32": "fp32_tflops",
    "tf32": "tf32_tflops",
    "int8": "int8_tops",
}
PRECISIONS: tuple[str, ...] = tuple(_PEAK_COLUMNS)
#: Ceiling on a width in bytes per weight or cache element: 16 bytes per parameter covers
#: a mixed-precision Adam state (ZeRO paper); 64 leaves room and stops typos.
_MAX_BYTES_PER_ELEMENT = 64.0


# --------------------------------------------------------------------------- the roofline

def _precision(precision: object) -> str:
    return _checks.one_of("precision", precision, PRECISIONS)


def precisions(chip: str | catalog.Accelerator) -> tuple[str, ...]:
    """The precisions for which the catalog has a dense peak figure for ``chip``."""
    accelerator = catalog.accelerator(chip)
    return tuple(p for p, column in _PEAK_COLUMNS.items()
                 if getattr(accelerator, column) is not None)


def peak_tflops(chip: str | catalog.Accelerator, precision: str = "bf16") -> float:
    """Dense datasheet peak of ``chip`` at ``precision`` in TFLOP/s (TOP/s for int8).

    Raises ``ValueError`` naming the precisions the chip has when it lacks this one.
    """
    return _peak(catalog.accelerator(chip), _precision(precision))


def _peak(accelerator: catalog.Accelerator, precision: str) -> float:
    """:func:`peak_tflops` of a resolved chip at a checked precision (no look-up)."""
    value = getattr(accelerator, _PEAK_COLUMNS[precision])
    if value is None:
        known = precisions(accelerator)
        has = (f"it has: {', '.join(known)}" if known
               else "the catalog has no dense peak figure for it at any precision")
        raise ValueError(f"precision {precision!r} is not available for {accelerator.name}; "
                         f"{has}")
    return float(value)


def memory_bw_tb_s(chip: str | catalog.Accelerator) -> float:
    """Memory bandwidth of ``chip`` in TB/s (on-chip SRAM bandwidth for SRAM-only chips)."""
    return float(catalog.accelerator(chip).memory_bw_tb_s)


def ridge_point(chip: str | catalog.Accelerator, precision: str = "bf16") -> float:
    """Intensity (FLOP per byte) where ``chip`` turns from memory- to compute-bound.

    ridge = peak FLOP/s / memory bandwidth B/s (Williams et al. 2009, Figure 1).
    The H100 SXM at BF16: 989e12 / 3.35e12 ≈ 295 FLOP per byte.
    """
    accelerator = catalog.accelerator(chip)
    return peak_tflops(accelerator, precision) / memory_bw_tb_s(accelerator)


def attainable_tflops(chip: str | catalog.Accelerator, intensity: float,
                      precision: str = "bf16") -> float:
    """Best possible throughput (TFLOP/s) of a kernel of ``intensity`` FLOP per byte on ``chip``.

    attainable = min(peak, intensity · memory bandwidth) (Williams et al. 2009, eq. 1).
    """
    intensity = _checks.positive("intensity", intensity)
    accelerator = catalog.accelerator(chip)
    return min(peak_tflops(accelerator, precision),
               intensity * memory_bw_tb_s(accelerator))


def bound(chip: str | catalog.Accelerator, intensity: float, precision: str = "bf16") -> str:
    """``"memory"`` if ``intensity`` is below the chip's ridge point, else ``"compute"``."""
    intensity = _checks.positive("intensity", intensity)
    return "memory" if intensity < ridge_point(chip, precision) else "compute"


def roofline_curve(chip: str | catalog.Accelerator, intensities: object,
                   precision: str = "bf16") -> np.ndarray:
    """:func:`attainable_tflops` over an array of intensities (FLOP per byte), for plotting."""
    allowed = "a non-empty array of finite numbers > 0"
    if isinstance(intensities, (str, bytes)):
        raise ValueError(f"intensities must be {allowed}; got {intensities!r}")
    try:
        values = np.asarray(intensities, dtype=float)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"intensities must be {allowed}; got {intensities!r}") from None
    if (values.size == 0 or values.size > _checks.SEQUENCE_LIMIT
            or not np.all(np.isfinite(values)) or np.any(values <= 0)
            or np.any(values > _checks.LIMIT)):
        raise ValueError(f"intensities must be {allowed} (at most {_checks.LIMIT:g}, "
                         f"{_checks.SEQUENCE_LIMIT:,} of them); got {intensities!r}")
    accelerator = catalog.accelerator(chip)
    return np.minimum(peak_tflops(accelerator, precision),
                      values * memory_bw_tb_s(accelerator))


# --------------------------------------------------------------------------- intensity

def elementwise_intensity(flops_per_element: float = 1.0, n_inputs: int = 2,
                          n_outputs: int = 1, bytes_per_element: float = 2.0) -> float:
    """FLOP per byte of an element-wise operation that streams its operands once.

    intensity = flops_per_element / ((n_inputs + n_outputs) · bytes_per_element).
    A BF16 vector add (c = a + b): 1 / (3 · 2) = 1/6 FLOP per byte.
    """
    flops = _checks.positive("flops_per_element", flops_per_element)
    operands = _checks.positive_int("n_inputs", n_inputs) + _checks.positive_int(
        "n_outputs", n_outputs)
    size = _checks.positive("bytes_per_element", bytes_per_element)
    return _checks.finite("elementwise intensity", flops / (operands * size),
                          {"flops_per_element": flops_per_element,
                           "bytes_per_element": bytes_per_element})


def matmul_intensity(m: int, n: int, k: int, bytes_per_element: float = 2) -> float:
    """FLOP per byte of C (m×n) = A (m×k) · B (k×n), reading A and B and writing C once.

    intensity = 2mnk / ((mk + kn + mn) · bytes_per_element). A square BF16 matmul
    of side s has intensity s/3; 4096³ gives ≈ 1365 FLOP per byte.
    """
    m = _checks.positive_int("m", m)
    n = _checks.positive_int("n", n)
    k = _checks.positive_int("k", k)
    size = _checks.positive("bytes_per_element", bytes_per_element)
    return _checks.finite("matmul intensity", 2.0 * m * n * k / ((m * k + k * n + m * n) * size),
                          {"m": m, "n": n, "k": k, "bytes_per_element": bytes_per_element})


def decode_intensity(model: str | catalog.ModelSpec, batch_size: int = 1,
                     context_tokens: int = 0, bytes_per_param: float = 2.0,
                     kv_bytes_per_element: float = 2.0) -> float:
    """FLOP per byte of one decode step (one new token for each of ``batch_size`` sequences).

    FLOPs = 2 · params · B (Kaplan et al. 2020, Table 1: 2N per token forward,
    attention-score FLOPs left out); bytes = params · bytes_per_param (every
    weight read once per step) + B · (context_tokens + 1) · KV bytes per token.
    At batch 1 in BF16 this is about 1 FLOP per byte: decode is memory-bound.
    """
    intensity = transformer.decode_work(model, batch_size, context_tokens, bytes_per_param,
                                        kv_bytes_per_element).intensity_flop_per_byte
    return _checks.finite("decode intensity", intensity,
                          {"bytes_per_param": bytes_per_param,
                           "kv_bytes_per_element": kv_bytes_per_element})


def prefill_intensity(model: str | catalog.ModelSpec, n_tokens: int,
                      bytes_per_param: float = 2.0, kv_bytes_per_element: float = 2.0) -> float:
    """FLOP per byte of a prefill of ``n_tokens`` prompt tokens (one sequence).

    FLOPs = 2 · params · n (Kaplan et al. 2020, Table 1); bytes = weights read
    once + n tokens of KV cache written. Intensity grows with n: prefill is
    compute-bound for prompts of a few hundred tokens or more.
    """
    intensity = transformer.prefill_work(model, n_tokens, bytes_per_param,
                                         kv_bytes_per_element).intensity_flop_per_byte
    return _checks.finite("prefill intensity", intensity,
                          {"n_tokens": n_tokens, "bytes_per_param": bytes_per_param,
                           "kv_bytes_per_element": kv_bytes_per_element})


#: The operations :func:`operation_intensity` knows.
OPERATIONS: tuple[str, ...] = ("elementwise add", "matmul", "decode step", "prefill")


def operation_intensity(operation: str, *, m: int = 4096, n: int = 4096, k: int = 4096,
                        model: str | catalog.ModelSpec = "Llama 3 8B", batch_size: int = 1,
                        context_tokens: int = 0, n_tokens: int = 2048,
                        precision: str = "bf16") -> float:
    """Intensity (FLOP per byte) of one of :data:`OPERATIONS`, with operands in ``precision``.

    ``m, n, k`` shape the matmul; ``model``, ``batch_size`` and ``context_tokens``
    the decode step; ``model`` and ``n_tokens`` the prefill. Weights, activations
    and KV cache are stored at ``precision``'s width (``units.BYTES_PER_ELEMENT``).
    """
    operation = _checks.one_of("operation", operation, OPERATIONS)
    size = BYTES_PER_ELEMENT[_precision(precision)]
    if operation == "elementwise add":
        return elementwise_intensity(1.0, 2, 1, size)
    if operation == "matmul":
        return matmul_intensity(m, n, k, size)
    if operation == "decode step":
        return decode_intensity(model, batch_size, context_tokens, size, size)
    return prefill_intensity(model, n_tokens, size, size)


# --------------------------------------------------------------------------- several chips

@dataclass(frozen=True, eq=False)
class RooflineView(Result):
    """Where one operation lands on several chips' rooflines."""

    intensity_flop_per_byte: float
    precision: str
    label: str  # what the operation is, for titles
    rows: pd.DataFrame  # one row per chip: peak, bandwidth, ridge, attainable, bound
    skipped: tuple[str, ...] = field(default=())  # chips without a figure at this precision
    warnings: tuple[str, ...] = field(default=())  # e.g. the model and its KV cache do not fit

    def to_frame(self) -> pd.DataFrame:
        return self.rows.copy()

    def _repr_html_(self) -> str:
        return self.rows.to_html(index=False, float_format=lambda x: f"{x:,.4g}")


def roofline_view(chip_list: object, intensity: float, precision: str = "bf16",
                  label: str = "") -> RooflineView:
    """Attainable TFLOP/s and the bound of an operation of ``intensity`` on each chip.

    ``chip_list`` holds names or Accelerators (one chip alone is accepted too).
    Chips with no figure at ``precision`` are listed in ``skipped``; if none has
    one, ``ValueError``.
    """
    names = _checks.sequence("chip_list", chip_list, single=(str, catalog.Accelerator))
    if not isinstance(label, str):
        raise ValueError(f"label must be a string (a title for the operation); got {label!r}")
    intensity = _checks.positive("intensity", intensity)
    precision = _precision(precision)
    rows, skipped = [], []
    for name in names:
        accelerator = catalog.accelerator(name)
        if precision not in precisions(accelerator):
            skipped.append(accelerator.name)
            continue
        # the chip is resolved once above; the roofline formulas inline (Williams et al. 2009)
        peak = _peak(accelerator, precision)
        bandwidth = float(accelerator.memory_bw_tb_s)
        attainable = min(peak, intensity * bandwidth)
        rows.append({
            "chip": accelerator.name,
            "vendor": accelerator.vendor,
            "peak_tflops": peak,
            "memory_bw_tb_s": bandwidth,
            "ridge_flop_per_byte": peak / bandwidth,
            "attainable_tflops": attainable,
            "percent_of_peak": 100.0 * attainable / peak,
            "bound": "memory" if intensity < peak / bandwidth else "compute",
        })
    if not rows:
        raise ValueError(f"none of the chips in chip_list ({', '.join(skipped)}) has a "
                         f"{precision} figure in the catalog; choose another precision or chip")
    return RooflineView(intensity, precision, label, pd.DataFrame(rows), tuple(skipped))


# --------------------------------------------------------------------------- measured peaks

@dataclass(frozen=True)
class RealisticPeak(Result):
    """A chip's datasheet BF16 peak beside the best matmul throughput measured on it."""

    _derived = ("efficiency",)

    chip: str
    datasheet_tflops: float
    measured_tflops: float  # best measured BF16 matmul (catalog measured_bf16_tflops)

    @property
    def efficiency(self) -> float:
        """Measured / datasheet, a fraction in (0, 1]."""
        return self.measured_tflops / self.datasheet_tflops



def realistic_peak(chip: str | catalog.Accelerator) -> RealisticPeak:
    """The realistic BF16 ceiling of ``chip``: best measured matmul TFLOP/s and its efficiency.

    Source of the measured figures: stas00/ml-engineering, compute/accelerator,
    "Maximum Achievable Matmul FLOPS" table (e.g. H100 SXM 794.5 of 989, 80.3 %).
    """
    accelerator = catalog.accelerator(chip)
    if accelerator.measured_bf16_tflops is None:
        have = ", ".join(realistic_peaks()["chip"])
        raise ValueError(f"no measured BF16 matmul throughput for {accelerator.name} in the "
                         f"catalog; chips that have one: {have}")
    return RealisticPeak(accelerator.name, peak_tflops(accelerator, "bf16"),
                         float(accelerator.measured_bf16_tflops))


def realistic_peaks() -> pd.DataFrame:
    """Every chip with a measured BF16 matmul figure: datasheet, measured, efficiency."""
    frame = catalog.accelerators().dropna(subset=["measured_bf16_tflops", "bf16_tflops"])
    out = pd.DataFrame({
        "chip": frame["name"],
        "vendor": frame["vendor"],
        "datasheet_tflops": frame["bf16_tflops"],
        "measured_tflops": frame["measured_bf16_tflops"],
    })
    out["efficiency"] = out["measured_tflops"] / out["datasheet_tflops"]
    return out.sort_values("efficiency", ascending=False).reset_index(drop=True)


# --------------------------------------------------------------------------- inference bounds

@dataclass(frozen=True)
class StepBound(Result):
    """Lower bound on the time of one inference step: the slower of compute and memory.

    time = max(FLOPs / (n_chips · peak), bytes / (n_chips · bandwidth)); the
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
    n_chips: int
    flops: float
    weight_bytes: float
    kv_bytes: float
    compute_time_s: float
    memory_time_s: float
    memory_needed_gb: float = 0.0  # resident: all the weights plus the batch's KV cache
    memory_capacity_gb: float = 0.0  # what the n_chips hold (off-chip memory, or SRAM)

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
        return self.tokens_per_s / self.n_chips



def _bytes_per_param(bytes_per_param: float | None, precision: str) -> float:
    if bytes_per_param is None:
        return BYTES_PER_ELEMENT[precision]
    return _checks.positive("bytes_per_param", bytes_per_param, high=_MAX_BYTES_PER_ELEMENT)


def _step(accelerator: catalog.Accelerator, spec: catalog.ModelSpec, phase: str,
          precision: str, batch_size: int, tokens: int, n_chips: int | None,
          bytes_per_param: float, work: transformer.StepWork) -> StepBound:
    flops, weight_bytes, kv_bytes = work.flops, work.weight_bytes, work.kv_bytes
    if n_chips is None:
        n_chips = chips_to_hold_weights(spec, accelerator, bytes_per_param)
    n_chips = _checks.positive_int("n_chips", n_chips)
    peak_flop_s = n_chips * _peak(accelerator, precision) * 1e12
    bandwidth_b_s = n_chips * float(accelerator.memory_bw_tb_s) * 1e12
    resident_bytes = transformer.weight_bytes(spec, bytes_per_param) + kv_bytes
    return _checks.finite(f"{phase} step", StepBound(
        chip=accelerator.name, model=spec.name, phase=phase, precision=precision,
        batch_size=batch_size, tokens=tokens, n_chips=n_chips, flops=flops,
        weight_bytes=weight_bytes, kv_bytes=kv_bytes,
        compute_time_s=flops / peak_flop_s,
        memory_time_s=(weight_bytes + kv_bytes) / bandwidth_b_s,
        memory_needed_gb=resident_bytes / 1e9,
        memory_capacity_gb=n_chips * accelerator.weight_capacity_gb,
    ), {"n_chips": n_chips, "bytes_per_param": bytes_per_param})


def decode_step(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                batch_size: int = 1, context_tokens: int = 0, precision: str = "bf16",
                bytes_per_param: float | None = None, kv_bytes_per_element: float = 2.0,
                n_chips: int | None = None) -> StepBound:
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
    n_chips : chips sharing the model; default the fewest that hold the weights
        (:func:`chips_to_hold_weights`), each contributing its bandwidth and peak.
    """
    accelerator, spec = catalog.accelerator(chip), transformer.spec(model)
    precision = _precision(precision)
    width = _bytes_per_param(bytes_per_param, precision)
    work = transformer.decode_work(spec, batch_size, context_tokens, width, kv_bytes_per_element)
    b = int(batch_size)
    return _step(accelerator, spec, "decode", precision, b, b, n_chips, width, work)


def prefill(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator, n_tokens: int,
            precision: str = "bf16", bytes_per_param: float | None = None,
            kv_bytes_per_element: float = 2.0, n_chips: int | None = None) -> StepBound:
    """Lower bound on the time to process a prompt of ``n_tokens`` tokens (one sequence).

    memory time  = (params · bytes_per_param + n · KV bytes per token) / bandwidth
    compute time = 2 · params · n / peak  (Kaplan et al. 2020, Table 1)

    Arguments as in :func:`decode_step`.
    """
    accelerator, spec = catalog.accelerator(chip), transformer.spec(model)
    precision = _precision(precision)
    width = _bytes_per_param(bytes_per_param, precision)
    work = transformer.prefill_work(spec, n_tokens, width, kv_bytes_per_element)
    n = int(n_tokens)
    return _step(accelerator, spec, "prefill", precision, 1, n, n_chips, width, work)


def decode_batch_curve(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                       batch_sizes: object = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024),
                       context_tokens: int = 0, precision: str = "bf16",
                       n_chips: int | None = None, within_memory: bool = False) -> pd.DataFrame:
    """:func:`decode_step` over batch sizes: time per step, tokens/s, the bound, and whether
    the weights and the batch's KV cache fit (``fits_in_memory``).

    ``within_memory=True`` keeps only the batch sizes that fit, so a curve stops at the
    memory limit instead of promising throughput no chip can hold; a ``context_tokens``
    column records the context each sequence carries.
    """
    sizes = [_checks.positive_int("batch_sizes", b)
             for b in _checks.sequence("batch_sizes", batch_sizes, single=Real, max_len=10_000)]
    accelerator, spec = catalog.accelerator(chip), transformer.spec(model)  # once, not per row
    frames = [decode_step(spec, accelerator, b, context_tokens, precision,
                          n_chips=n_chips).to_frame() for b in sizes]
    frame = pd.concat(frames, ignore_index=True).assign(context_tokens=int(context_tokens))
    if _checks.boolean("within_memory", within_memory):
        frame = frame[frame["fits_in_memory"]].reset_index(drop=True)
    return frame


def max_batch_in_memory(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                        context_tokens: int = 0, precision: str = "bf16",
                        bytes_per_param: float | None = None,
                        kv_bytes_per_element: float = 2.0, n_chips: int | None = None) -> int:
    """The most sequences of ``context_tokens`` tokens whose KV cache fits beside the weights.

    B_max = floor((n_chips · capacity − weight bytes) / ((c + 1) · KV bytes per token)),
    0 when the weights alone do not fit. KV bytes per token = 2 · layers · kv_heads ·
    head_dim · bytes (the K and V of every layer; for Llama 2 7B at 4,096 tokens, batch 1,
    about 2 GB, as NVIDIA's "Mastering LLM Techniques: Inference Optimization" works out).
    Activations and framework overhead are left out, so real servers fit fewer.
    """
    accelerator, spec = catalog.accelerator(chip), transformer.spec(model)
    precision = _precision(precision)
    width = _bytes_per_param(bytes_per_param, precision)
    c = _checks.non_negative_int("context_tokens", context_tokens)
    if n_chips is None:
        n_chips = chips_to_hold_weights(spec, accelerator, width)
    n = _checks.positive_int("n_chips", n_chips)
    free = n * accelerator.weight_capacity_gb * 1e9 - transformer.weight_bytes(spec, width)
    kv_width = _checks.positive("kv_bytes_per_element", kv_bytes_per_element,
                                high=_MAX_BYTES_PER_ELEMENT)
    per_sequence = (c + 1) * transformer.kv_cache_bytes_per_token(spec, kv_width)
    return max(0, math.floor(round(free / per_sequence, 9)))


def fit_warning(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                batch_size: int = 1, context_tokens: int = 0, precision: str = "bf16",
                phase: str = "decode", n_tokens: int = 1) -> str | None:
    """A sentence when the weights and the KV cache do not fit in one chip's memory, else None.

    A roofline says how fast an operation could run; it does not say whether the data fits.
    Decode holds ``batch_size`` sequences of ``context_tokens`` + 1 tokens of KV cache; a
    prefill holds ``n_tokens`` of them. Weights at the width of ``precision``.
    """
    phase = _checks.one_of("phase", phase, ("decode", "prefill"))
    if phase == "decode":
        step = decode_step(model, chip, batch_size, context_tokens, precision, n_chips=1)
        what = (f"{step.batch_size:,} sequence(s) × {int(context_tokens) + 1:,} tokens of "
                "KV cache")
    else:
        step = prefill(model, chip, n_tokens, precision, n_chips=1)
        what = f"a {step.tokens:,}-token prompt's KV cache"
    if step.fits_in_memory:
        return None
    weights_gb = transformer.weight_bytes(step.model, BYTES_PER_ELEMENT[step.precision]) / 1e9
    limit = ""
    if phase == "decode" and weights_gb < step.memory_capacity_gb:
        most = max_batch_in_memory(model, chip, context_tokens, precision, n_chips=1)
        limit = f"; at this context at most {most:,} sequence(s) fit"
    elif weights_gb >= step.memory_capacity_gb:
        limit = (f"; the weights alone need "
                 f"{chips_to_hold_weights(model, chip, BYTES_PER_ELEMENT[step.precision])} chips")
    return (f"Does not fit on one {step.chip}: {step.model} weights ({weights_gb:,.1f} GB) + "
            f"{what} need {step.memory_needed_gb:,.1f} GB, the chip holds "
            f"{step.memory_capacity_gb:,.3g} GB{limit}.")


def compute_bound_batch(model: str | catalog.ModelSpec, chip: str | catalog.Accelerator,
                        context_tokens: int = 0, precision: str = "bf16",
                        bytes_per_param: float | None = None,
                        kv_bytes_per_element: float = 2.0,
                        n_chips: int | None = None) -> int | None:
    """The smallest batch at which a decode step turns compute-bound, or None if it never does.

    Each sequence adds 2 · N FLOPs but also (c + 1) · KV bytes per token, so the step's
    intensity levels off at 2 · N / ((c + 1) · KV bytes per token) as the batch grows. When
    that ceiling is below the chip's ridge point, no batch is compute-bound (Llama 3 8B at
    2,048 tokens of context: about 60 FLOP per byte against the H100's 295). Memory is not
    checked here: compare with :func:`max_batch_in_memory`.
    """
    def compute_bound(b: int) -> bool:
        return decode_step(model, chip, b, context_tokens, precision, bytes_per_param,
                           kv_bytes_per_element, n_chips).bound == "compute"

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
    width = _checks.positive("bytes_per_param", bytes_per_param)
    if isinstance(model, Real) and not isinstance(model, bool):
        weights = _checks.positive("model (parameter count)", model) * width
    else:
        weights = transformer.weight_bytes(model, width)
    capacity_bytes = catalog.accelerator(chip).weight_capacity_gb * 1e9
    # round first so that an exact fit (80 GB on 80 GB) is not pushed up by float error
    return max(1, math.ceil(round(weights / capacity_bytes, 9)))


# --------------------------------------------------------------------------- value for money

#: Cost metrics :func:`rank_chips` knows: name -> (numerator column, denominator, description).
COST_METRICS: dict[str, tuple[str, str, str]] = {
    "tflops_per_kusd": ("peak_tflops", "price_kusd",
                        "dense TFLOP/s per $1,000 of chip price (price an estimate)"),
    "gflops_per_w": ("peak_gflops", "tdp_w", "dense GFLOP/s per watt of board power"),
    "memory_gb_per_kusd": ("weight_capacity_gb", "price_kusd",
                           "GB of memory per $1,000 of chip price (price an estimate)"),
    "bandwidth_gb_s_per_kusd": ("bandwidth_gb_s", "price_kusd",
                                "GB/s of memory bandwidth per $1,000 (price an estimate)"),
}


def _weight_capacity_gb(name: str) -> float:
    """Accelerator.weight_capacity_gb (the one definition), NaN where the catalog has neither
    memory nor SRAM for the chip (left out of the ranking, never guessed)."""
    accelerator = catalog.accelerator(name)
    if accelerator.memory_gb is None and accelerator.sram_mb is None:
        return float("nan")
    return float(accelerator.weight_capacity_gb)


def rank_chips(metric: str = "tflops_per_kusd", precision: str = "bf16") -> pd.DataFrame:
    """Chips ranked by a value-for-money metric, best first.

    Metrics (:data:`COST_METRICS`): ``tflops_per_kusd``, ``gflops_per_w``,
    ``memory_gb_per_kusd``, ``bandwidth_gb_s_per_kusd``. Chips without the
    figures a metric needs (no price, no TDP, no peak at ``precision``) are left
    out, never shown as NaN. Prices in the catalog are estimates (``price_note``
    says from where); the ``as_of`` column dates each row.
    """
    metric = _checks.one_of("metric", metric, COST_METRICS)
    precision = _precision(precision)
    numerator, denominator, _ = COST_METRICS[metric]
    frame = catalog.accelerators()
    table = pd.DataFrame({
        "chip": frame["name"],
        "vendor": frame["vendor"],
        "peak_tflops": frame[_PEAK_COLUMNS[precision]],
        "bandwidth_gb_s": frame["memory_bw_tb_s"] * 1e3,
        "weight_capacity_gb": frame["name"].map(_weight_capacity_gb),
        "tdp_w": frame["tdp_w"],
        "price_usd": frame["price_usd"],
        "price_note": frame["price_note"],
        "as_of": frame["as_of"],
    })
    table["peak_gflops"] = table["peak_tflops"] * 1e3
    table["price_kusd"] = table["price_usd"] / 1e3
    table = table.dropna(subset=[numerator, denominator])
    if table.empty:
        raise ValueError(f"no chip in the catalog has the figures for {metric} at {precision}")
    table[metric] = table[numerator] / table[denominator]
    keep = ["chip", "vendor", metric, numerator if numerator != "peak_gflops" else "peak_tflops",
            "tdp_w" if denominator == "tdp_w" else "price_usd"]
    if denominator == "price_kusd":
        keep.append("price_note")
    keep.append("as_of")
    return (table.sort_values(metric, ascending=False, kind="stable")[keep]
            .reset_index(drop=True))
