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

The package, one idea per file:

- ``roofline.py``   one chip's roofline: peak, bandwidth, ridge point, attainable TFLOP/s
- ``intensity.py``  FLOP per byte of element-wise ops, matmuls, decode steps and prefills
- ``compare.py``    an operation on several chips' rooflines; chips ranked by value for money
- ``measured.py``   datasheet peaks beside the best measured matmul throughput
- ``inference.py``  lower bounds on a decode step or prefill, memory fit, chips to hold a model
- ``_params.py``    what the functions take, declared once: a chip, a model, a precision, a width

Every public function declares its parameters (``stackkit._declare``): a call is checked
before the formula runs, and ``f.unchecked`` is the formula alone, for callers that have
checked already.
"""

from __future__ import annotations

from ._params import PRECISIONS
from .compare import COST_METRICS, RooflineView, rank_chips, roofline_view
from .inference import (
    StepBound,
    chips_to_hold_weights,
    compute_bound_batch,
    decode_batch_curve,
    decode_step,
    fit_warning,
    max_batch_in_memory,
    prefill,
)
from .intensity import (
    OPERATIONS,
    decode_intensity,
    elementwise_intensity,
    matmul_intensity,
    operation_intensity,
    prefill_intensity,
)
from .measured import RealisticPeak, realistic_peak, realistic_peaks
from .roofline import (
    attainable_tflops,
    bound,
    memory_bw_tb_s,
    peak_tflops,
    precisions,
    ridge_point,
    roofline_curve,
)

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
