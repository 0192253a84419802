"""The roofline of one chip (Williams, Waterman & Patterson 2009, CACM 52(4), Figure 1):
peak, memory bandwidth, the ridge point and the attainable throughput at an intensity."""

from __future__ import annotations

import numpy as np

from .. import _checks, catalog

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
