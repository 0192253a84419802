"""What chips' functions take, declared once (``stackkit._declare``): a chip, a model, a
precision, a width in bytes. Each function's ``@declared(...)`` uses these."""

from __future__ import annotations

from .. import catalog
from .._declare import choice, positive

#: Precision -> the catalog column that holds the chip's dense peak for it.
#: FP16 shares the BF16 column (vendors give one figure for both, or only FP16).
PEAK_COLUMNS = {
    "bf16": "bf16_tflops",
    "fp16": "bf16_tflops",
    "fp8": "fp8_tflops",
    "fp32": "fp32_tflops",
    "tf32": "tf32_tflops",
    "int8": "int8_tops",
}
PRECISIONS: tuple[str, ...] = tuple(PEAK_COLUMNS)

#: Ceiling on a width in bytes per weight or cache element: 16 bytes per parameter covers
#: a mixed-precision Adam state (ZeRO paper); 64 leaves room and stops typos.
MAX_BYTES_PER_ELEMENT = 64.0

#: A catalog chip by name, or an Accelerator (a machine measured by ``stackkit.bench`` too).
#: The examples span HBM (H100), a TPU without FP8, and an SRAM-only chip (Groq).
CHIP = catalog.known_name("accelerators", examples=("H100 SXM", "TPU v5e", "Groq LPU"))
#: A catalog model by name, or a ModelSpec: dense, mixture-of-experts, latent attention.
MODEL = catalog.known_name("models", examples=("Llama 3 8B", "Mixtral 8x7B", "DeepSeek-V3"))
PRECISION = choice(PRECISIONS)
#: Bytes per weight or per KV-cache element (bf16 2, fp8 1, int4 0.5).
WIDTH = positive(high=MAX_BYTES_PER_ELEMENT, examples=(2.0, 1.0, 0.5))
