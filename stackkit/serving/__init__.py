"""Layer 6 — serving: KV cache, latency from the roofline, a batching simulator, capacity, cost.

Pure functions: numbers in, numbers or small frozen dataclasses out. A ``model``
argument is a catalog name or :class:`~stackkit.catalog.ModelSpec`; a ``chip``
a catalog name or :class:`~stackkit.catalog.Accelerator`. Lesson 6
(``06_serving.ipynb``) introduces every function here.

- Memory: weights plus the KV cache (:func:`kv_cache_bytes_per_token`,
  :func:`memory_plan`), paged vs contiguous allocation (:func:`kv_waste`),
  quantization (:func:`quantization_table`).
- Latency: the roofline bound of one engine step (:func:`step_time`, the callable
  the simulator uses), TTFT and TPOT at a batch size (:func:`latency`), tensor
  parallelism with lesson 2's all-reduce.
- Batching: an event-driven simulator (:func:`simulate`) of static, continuous
  (Orca, vLLM) and chunked-prefill (Sarathi) scheduling.
- Capacity and cost: replicas for a p99 SLO (:func:`replicas_for_slo`), $ per
  million tokens self-hosted vs an API (:func:`serving_cost`, :func:`breakeven_vs_api`).

Where each idea lives (one file per idea; everything is re-exported here, so
``from stackkit import serving; serving.simulate(...)`` is the way to call it; the latency
file is not called ``latency.py`` so that it never shadows the function :func:`latency`):

- ``memory.py`` — weights, KV cache per token and per attention variant, memory plan,
  paged-allocation waste, quantization.
- ``step_latency.py`` — :class:`StepTimeModel` (one engine step on the roofline), :func:`latency`.
- ``arrivals.py`` — arrival processes and the Azure trace's request lengths.
- ``simulator.py`` — :func:`simulate` and its static / continuous / chunked engines.
- ``capacity.py`` — :func:`naive_replicas`, :func:`replicas_for_slo`.
- ``cost.py`` — :func:`serving_cost`, :func:`breakeven_vs_api`, :func:`cost_comparison`.
- ``speculative.py``, ``prefix_cache.py``, ``disaggregation.py`` — three techniques of
  today's servers: speculative decoding, prefix caching, prefill/decode disaggregation.
- ``measured.py`` — a decode step timed on this machine against the roofline.
"""

from __future__ import annotations

from .arrivals import ARRIVALS, BURSTY_CV, arrival_times, request_trace, trace_lengths
from .capacity import MAX_SLO_REQUESTS, Capacity, naive_replicas, replicas_for_slo
from .cost import ServingCost, breakeven_vs_api, cost_comparison, serving_cost
from .disaggregation import Disaggregation, best_prefill_decode_mix, disaggregation
from .measured import decode_step_measurements, machine_roofline, predicted_decode_step_s
from .memory import (
    ATTENTION_KINDS,
    MAX_REQUESTS,
    KvWaste,
    MemoryPlan,
    chips_for_batch,
    kv_bytes_by_attention,
    kv_cache_bytes_per_token,
    kv_waste,
    max_concurrency,
    memory_plan,
    quantization_table,
    weight_bytes,
)
from .prefix_cache import PrefixCaching, prefix_caching
from .simulator import POLICIES, SimResult, SimSummary, simulate
from .speculative import Speculation, speculative_decoding
from .step_latency import ESTIMATES, Latency, StepTimeModel, latency, step_time

__all__ = [
    "ATTENTION_KINDS",
    "ESTIMATES",
    "POLICIES",
    "Capacity",
    "Disaggregation",
    "KvWaste",
    "Latency",
    "MemoryPlan",
    "PrefixCaching",
    "ServingCost",
    "SimResult",
    "SimSummary",
    "Speculation",
    "StepTimeModel",
    "arrival_times",
    "best_prefill_decode_mix",
    "breakeven_vs_api",
    "chips_for_batch",
    "cost_comparison",
    "decode_step_measurements",
    "disaggregation",
    "kv_bytes_by_attention",
    "kv_cache_bytes_per_token",
    "kv_waste",
    "latency",
    "machine_roofline",
    "max_concurrency",
    "memory_plan",
    "naive_replicas",
    "predicted_decode_step_s",
    "prefix_caching",
    "quantization_table",
    "replicas_for_slo",
    "request_trace",
    "serving_cost",
    "simulate",
    "speculative_decoding",
    "step_time",
    "trace_lengths",
    "weight_bytes",
]
