"""Arithmetic intensity (FLOP per byte) of real operations: element-wise, matmul, a decode
step and a prefill."""

from __future__ import annotations

from .. import _checks, catalog, transformer
from .._declare import choice, count, declared, optional, positive
from ..units import BYTES_PER_ELEMENT
from ._params import MODEL, PRECISION

#: A matmul side: one row, a tile, a big square.
_SIDE = count(examples=(1, 64, 4096))
#: Tokens in a prompt or a context.
_TOKENS = count(examples=(1, 512, 8192))
_CONTEXT = count(low=0, examples=(0, 1024, 32_768))


@declared(flops_per_element=positive(examples=(1.0, 2.0)), n_inputs=count(), n_outputs=count(),
          bytes_per_element=positive(examples=(2.0, 4.0, 1.0)))
def elementwise_intensity(flops_per_element: float = 1.0, n_inputs: int = 2,
                          n_outputs: int = 1, bytes_per_element: float = 2.0) -> float:
    """FLOP per byte of an element-wise operation that streams its operands once.

    intensity = flops_per_element / ((n_inputs + n_outputs) · bytes_per_element).
    A BF16 vector add (c = a + b): 1 / (3 · 2) = 1/6 FLOP per byte.
    """
    intensity = flops_per_element / ((n_inputs + n_outputs) * bytes_per_element)
    return _checks.finite("elementwise intensity", intensity,
                          {"flops_per_element": flops_per_element,
                           "bytes_per_element": bytes_per_element})


@declared(m=_SIDE, n=_SIDE, k=_SIDE, bytes_per_element=positive(examples=(2.0, 4.0, 1.0)))
def matmul_intensity(m: int, n: int, k: int, bytes_per_element: float = 2) -> float:
    """FLOP per byte of C (m×n) = A (m×k) · B (k×n), reading A and B and writing C once.

    intensity = 2mnk / ((mk + kn + mn) · bytes_per_element). A square BF16 matmul
    of side s has intensity s/3; 4096³ gives ≈ 1365 FLOP per byte.
    """
    return _checks.finite("matmul intensity", 2.0 * m * n * k / ((m * k + k * n + m * n)
                                                                 * bytes_per_element),
                          {"m": m, "n": n, "k": k, "bytes_per_element": bytes_per_element})


@declared(model=MODEL, batch_size=count(examples=(1, 64, 1024)), context_tokens=_CONTEXT,
          bytes_per_param=positive(examples=(2.0, 1.0, 0.5)),
          kv_bytes_per_element=positive(examples=(2.0, 1.0)))
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


@declared(model=MODEL, n_tokens=_TOKENS, bytes_per_param=positive(examples=(2.0, 1.0, 0.5)),
          kv_bytes_per_element=positive(examples=(2.0, 1.0)))
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
#: The model :func:`operation_intensity` decodes and prefills unless told (lesson 1's).
_LESSON_MODEL = "Llama 3 8B"


@declared(operation=choice(OPERATIONS), m=_SIDE, n=_SIDE, k=_SIDE, model=optional(MODEL),
          batch_size=count(examples=(1, 64, 1024)), context_tokens=_CONTEXT, n_tokens=_TOKENS,
          precision=PRECISION)
def operation_intensity(operation: str, *, m: int = 4096, n: int = 4096, k: int = 4096,
                        model: str | catalog.ModelSpec | None = None, batch_size: int = 1,
                        context_tokens: int = 0, n_tokens: int = 2048,
                        precision: str = "bf16") -> float:
    """Intensity (FLOP per byte) of one of :data:`OPERATIONS`, with operands in ``precision``.

    ``m, n, k`` shape the matmul; ``model``, ``batch_size`` and ``context_tokens``
    the decode step; ``model`` and ``n_tokens`` the prefill. Weights, activations
    and KV cache are stored at ``precision``'s width (``units.BYTES_PER_ELEMENT``).
    ``model=None`` is lesson 1's Llama 3 8B (a default the declaration need not look up
    when the module is imported).
    """
    size = BYTES_PER_ELEMENT[precision]
    model = _LESSON_MODEL if model is None else model
    if operation == "elementwise add":
        return elementwise_intensity.unchecked(1.0, 2, 1, size)
    if operation == "matmul":
        return matmul_intensity.unchecked(m, n, k, size)
    if operation == "decode step":
        return decode_intensity.unchecked(model, batch_size, context_tokens, size, size)
    return prefill_intensity.unchecked(model, n_tokens, size, size)
