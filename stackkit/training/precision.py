"""FP8 training: what it changes in peak throughput and in the bytes each parameter holds.

Hopper and Blackwell tensor cores run FP8 matmuls at twice their BF16 rate (NVIDIA H100
datasheet: 1,979 vs 989 dense TFLOP/s). DeepSeek-V3 (arXiv 2412.19437, section 3.3) trained
its GEMMs in FP8 with fine-grained (1 × 128 and 128 × 128) scaling and kept the numerically
sensitive parts wide: FP32 master weights and gradients, BF16 Adam moments.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import catalog, chips
from .._declare import declared
from .._results import Result
from ._specs import FP8_CHIP
from .memory import _GRAD_BYTES, _OPTIMIZER_BYTES, _WEIGHT_BYTES

#: Bytes per parameter of DeepSeek-V3's FP8 recipe (section 3.3.3): FP32 master weights (4)
#: and gradients (4), BF16 first and second Adam moments (2 + 2), and a BF16 working copy of
#: the weights that the FP8 GEMMs quantize tile by tile (2; the kit's reading: the report
#: names the FP32 and BF16 states, not the working copy's width).
FP8_RECIPE_BYTES = {"master weights (fp32)": 4.0, "gradients (fp32)": 4.0,
                    "Adam moments (bf16)": 4.0, "working weights (bf16)": 2.0}


@dataclass(frozen=True)
class Fp8Training(Result):
    """A chip's FP8 and BF16 peaks, and model-state bytes per parameter under each recipe."""

    chip: str
    bf16_tflops: float
    fp8_tflops: float
    peak_ratio: float  # FP8 / BF16 dense peak
    bf16_state_bytes_per_param: float  # mixed-precision Adam (ZeRO paper): 2 + 2 + 12
    fp8_state_bytes_per_param: float  # DeepSeek-V3's recipe
    gemm_time_ratio: float  # FP8 GEMM time over BF16 at the same share of peak: 1 / ratio


@declared(chip=FP8_CHIP)
def fp8_training(chip: str | catalog.Accelerator = "H100 SXM") -> Fp8Training:
    """FP8 against BF16 training on ``chip``: peak (datasheet) and bytes per parameter.

    Peak: ``chips.peak_tflops(chip, "fp8") / chips.peak_tflops(chip, "bf16")`` (2 on
    Hopper and Blackwell); a chip without FP8 tensor cores (A100) raises. Bytes: 16 per
    parameter for mixed-precision Adam (Rajbhandari et al. 2020, section 3.1) against
    :data:`FP8_RECIPE_BYTES` (14) — FP8 speeds the matmuls up far more than it shrinks the
    model states, which stay wide for stability; activations saved for the backward of the
    linear layers can be cached in FP8 (DeepSeek-V3, section 3.3.4), which this leaves out.
    """
    accelerator = catalog.accelerator(chip)
    bf16 = chips.peak_tflops(accelerator, "bf16")
    fp8 = chips.peak_tflops(accelerator, "fp8")
    ratio = fp8 / bf16
    return Fp8Training(chip=accelerator.name, bf16_tflops=bf16, fp8_tflops=fp8,
                       peak_ratio=ratio,
                       bf16_state_bytes_per_param=_WEIGHT_BYTES + _GRAD_BYTES + _OPTIMIZER_BYTES,
                       fp8_state_bytes_per_param=sum(FP8_RECIPE_BYTES.values()),
                       gemm_time_ratio=1 / ratio)
