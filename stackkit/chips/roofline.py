"""The roofline of one chip (Williams, Waterman & Patterson 2009, CACM 52(4), Figure 1):
peak, memory bandwidth, the ridge point and the attainable throughput at an intensity."""

from __future__ import annotations

import numpy as np

from .. import catalog
from .._declare import array, declared, positive
from ._params import CHIP, PEAK_COLUMNS, PRECISION

#: An arithmetic intensity in FLOP per byte: a vector add is 1/6, a big matmul over 1,000.
INTENSITY = positive(examples=(1.0, 295.0, 1e4))


@declared(chip=CHIP)
def precisions(chip: str | catalog.Accelerator) -> tuple[str, ...]:
    """The precisions for which the catalog has a dense peak figure for ``chip``."""
    accelerator = catalog.accelerator.unchecked(chip)
    return tuple(p for p, column in PEAK_COLUMNS.items()
                 if getattr(accelerator, column) is not None)


@declared(chip=CHIP, precision=PRECISION)
def peak_tflops(chip: str | catalog.Accelerator, precision: str = "bf16") -> float:
    """Dense datasheet peak of ``chip`` at ``precision`` in TFLOP/s (TOP/s for int8).

    Raises ``ValueError`` naming the precisions the chip has when it lacks this one.
    """
    accelerator = catalog.accelerator.unchecked(chip)
    value = getattr(accelerator, PEAK_COLUMNS[precision])
    if value is None:
        known = precisions.unchecked(accelerator)
        has = (f"it has: {', '.join(known)}" if known
               else "the catalog has no dense peak figure for it at any precision")
        raise ValueError(f"precision {precision!r} is not available for {accelerator.name}; "
                         f"{has}")
    return float(value)


@declared(chip=CHIP)
def memory_bw_tb_s(chip: str | catalog.Accelerator) -> float:
    """Memory bandwidth of ``chip`` in TB/s (on-chip SRAM bandwidth for SRAM-only chips)."""
    return float(catalog.accelerator.unchecked(chip).memory_bw_tb_s)


@declared(chip=CHIP, precision=PRECISION)
def ridge_point(chip: str | catalog.Accelerator, precision: str = "bf16") -> float:
    """Intensity (FLOP per byte) where ``chip`` turns from memory- to compute-bound.

    ridge = peak FLOP/s / memory bandwidth B/s (Williams et al. 2009, Figure 1).
    The H100 SXM at BF16: 989e12 / 3.35e12 ≈ 295 FLOP per byte.
    """
    return peak_tflops.unchecked(chip, precision) / memory_bw_tb_s.unchecked(chip)


@declared(chip=CHIP, intensity=INTENSITY, precision=PRECISION)
def attainable_tflops(chip: str | catalog.Accelerator, intensity: float,
                      precision: str = "bf16") -> float:
    """Best possible throughput (TFLOP/s) of a kernel of ``intensity`` FLOP per byte on ``chip``.

    attainable = min(peak, intensity · memory bandwidth) (Williams et al. 2009, eq. 1).
    """
    return min(peak_tflops.unchecked(chip, precision),
               intensity * memory_bw_tb_s.unchecked(chip))


@declared(chip=CHIP, intensity=INTENSITY, precision=PRECISION)
def bound(chip: str | catalog.Accelerator, intensity: float, precision: str = "bf16") -> str:
    """``"memory"`` if ``intensity`` is below the chip's ridge point, else ``"compute"``."""
    return "memory" if intensity < ridge_point.unchecked(chip, precision) else "compute"


@declared(chip=CHIP, intensities=array(low=0.0, low_open=True, examples=([0.1, 1.0, 1e4],)),
          precision=PRECISION)
def roofline_curve(chip: str | catalog.Accelerator, intensities: object,
                   precision: str = "bf16") -> np.ndarray:
    """:func:`attainable_tflops` over an array of intensities (FLOP per byte), for plotting."""
    return np.minimum(peak_tflops.unchecked(chip, precision),
                      intensities * memory_bw_tb_s.unchecked(chip))
