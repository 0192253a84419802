"""Measured peaks: a chip's datasheet BF16 peak beside the best matmul throughput measured
on it (stas00/ml-engineering's "Maximum Achievable Matmul FLOPS" table)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .. import catalog
from .._declare import declared
from .._results import Result
from ._params import CHIP
from .roofline import peak_tflops


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



@declared(chip=CHIP)
def realistic_peak(chip: str | catalog.Accelerator) -> RealisticPeak:
    """The realistic BF16 ceiling of ``chip``: best measured matmul TFLOP/s and its efficiency.

    Source of the measured figures: stas00/ml-engineering, compute/accelerator,
    "Maximum Achievable Matmul FLOPS" table (e.g. H100 SXM 794.5 of 989, 80.3 %).
    """
    accelerator = catalog.accelerator.unchecked(chip)
    if accelerator.measured_bf16_tflops is None:
        have = ", ".join(realistic_peaks.unchecked()["chip"])
        raise ValueError(f"chip {accelerator.name!r} has no measured BF16 matmul throughput "
                         f"in the catalog; chips that have one: {have}")
    return RealisticPeak(accelerator.name, peak_tflops.unchecked(accelerator, "bf16"),
                         float(accelerator.measured_bf16_tflops))


@declared()
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
