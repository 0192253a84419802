"""Weight-only quantization's own cost: a kernel that reads int8 or int4 weights and computes
in bf16 turns each weight back into bf16 on the SMs' ordinary cores before the matrix units
see it (:func:`dequant_kernel`, :func:`dequant_weights_per_s`).

That work does not shrink with the bytes. gpt-fast's Llama 2 7B on an A100 ran int4 at 1.9×
its bf16 speed where the bytes say 3.2× (E. Frantar on why: the A100 pairs high bandwidth
with little non-tensor-core compute, IST-DASLab/gptq issue #13). So a weight-only step reads
its weights no faster than its SMs can dequantize them:

    weights time = max(weight bytes / bandwidth, weights / dequantization rate)

The rate is measured, not assumed: ``tools/gpu_check.py`` times gpt-fast's two kernels at
batch 1 (int8: ``F.linear(x, w.to(bf16)) * scales`` as Inductor compiles it; int4: tinygemm's
``aten._weight_int4pack_mm``, groups of 32) over every linear map of Llama 2 7B and 16
layers of Llama 2 70B (``data/gpu_measurements.csv``, rows ``weight_only_gemv_gb_s``). Per
SM and per GHz of SM clock, the median of those runs carries to other chips: a
dequantization is integer and logic work (unpacking nibbles, shifting, masking) before a
multiply-add, and an SM has 64 INT32 cores on both Ampere and Hopper where its FP32 cores
doubled (NVIDIA H100 whitepaper, Table 3); and the int4 kernel's rate on the H200 over
gpt-fast's on an A100 (1.74× for the 70B, 1.88× for the 7B) is the ratio of their SMs ×
clocks (132 × 1,980 MHz over 108 × 1,410 MHz: 1.72×), not of their bandwidths (2.35×) or
FP32 peaks (3.4×). An AMD compute unit is counted as an SM; no AMD kernel was measured.
The rate is for batch 1 (a GEMV): a larger batch dequantizes each weight once per tile of
rows, so there it is a lower bound on the time.
"""

from __future__ import annotations

import json
import statistics

from .. import catalog
from ..units import BYTES_PER_ELEMENT

#: Bytes per weight each measured kernel reads: int8 with one bf16 scale per output row
#: (k = 4,096 or more weights a row: 0.05 % more, left out); int4 in gpt-fast's layout, two
#: weights a byte and a bf16 scale and zero per group of 32 weights (quantize.py).
KERNEL_BYTES_PER_WEIGHT = {"int8": 1.0, "int4": 0.5 + 4 / 32}


def dequant_kernel(bytes_per_param: float, compute_bytes: float) -> str | None:
    """Which measured kernel dequantizes weights of ``bytes_per_param`` for compute in a
    format of ``compute_bytes``: None when the weights are as wide as the compute (nothing to
    dequantize, FP8 weights on FP8 tensor cores too), "int8" from one byte up, "int4" below."""
    if bytes_per_param >= compute_bytes:
        return None
    return "int8" if bytes_per_param >= 1.0 else "int4"


def measured_runs(kernel: str) -> list[tuple[str, str, float]]:
    """(accelerator, model, weights dequantized per second) of each measured ``kernel`` run
    in ``data/gpu_measurements.csv``."""
    frame = catalog.gpu_measurements()
    runs = []
    for row in frame[frame["measurement"] == "weight_only_gemv_gb_s"].itertuples():
        detail = json.loads(row.detail)
        if detail["format"] == kernel:
            weights = detail["bytes"] / KERNEL_BYTES_PER_WEIGHT[kernel]
            runs.append((row.accelerator, row.model, weights / (detail["step_ms"] * 1e-3)))
    if not runs:
        raise ValueError(f"data/gpu_measurements.csv has no {kernel} weight-only measurement")
    return runs


def _sm_ghz(chip: catalog.Accelerator) -> float:
    return chip.sm_count * chip.max_clock_mhz * 1e-3


def _per_sm_ghz(kernel: str) -> float:
    """Weights dequantized per second per SM per GHz: the median of the measured runs."""
    return statistics.median(per_s / _sm_ghz(catalog.accelerator(chip))
                             for chip, _, per_s in measured_runs(kernel))


def dequant_weights_per_s(chip: catalog.Accelerator, bytes_per_param: float,
                          precision: str) -> float:
    """Weights one ``chip`` dequantizes per second when weights of ``bytes_per_param`` feed
    compute in ``precision``: 0.0 when they are as wide as it (nothing to dequantize), else
    the measured kernel's rate per SM per GHz × the chip's SMs × its highest SM clock.

    Raises ``ValueError`` for a chip the catalog gives no SM count or clock (TPUs and other
    ASICs have no SMs; no dequantizing kernel was measured on them)."""
    compute_bytes = BYTES_PER_ELEMENT[precision]
    kernel = dequant_kernel(bytes_per_param, compute_bytes)
    if kernel is None:
        return 0.0
    if chip.sm_count is None or chip.max_clock_mhz is None:
        raise ValueError(
            f"bytes_per_param={bytes_per_param:g} is narrower than precision={precision!r} "
            f"({compute_bytes:g} bytes), so the expected estimate charges dequantizing the "
            f"weights on the chip's SMs, and the catalog has no SM count or clock for "
            f"{chip.name}; pass estimate='bound' (the bytes only) or "
            f"bytes_per_param={compute_bytes:g}")
    return _per_sm_ghz(kernel) * _sm_ghz(chip)
