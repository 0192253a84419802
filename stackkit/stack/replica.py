"""One replica of the self-hosted model: its chips, a request's replica time, its latency."""

from __future__ import annotations

import importlib

import numpy as np

from .. import catalog, chips, transformer
from .scenario import Scenario


def _optional_module(name: str):
    """A layer module that another engineer may not have landed yet (None if absent)."""
    try:
        return importlib.import_module(f"stackkit.{name}")
    except ImportError:
        return None



def _gpus_per_replica(s: Scenario, spec: catalog.ModelSpec, chip: catalog.Accelerator) -> int:
    """The fewest chips (a power of two, for tensor parallelism) holding weights and KV cache.

    Memory = weights + batch × (input + output) tokens × KV bytes per token, the
    figures lesson 1 and the catalog give; the capacity is the chip's memory.
    """
    if s.gpus_per_replica is not None:
        return int(s.gpus_per_replica)
    kv_bytes = (s.decode_batch_size * (s.input_tokens + s.output_tokens)
                * transformer.kv_cache_bytes_per_token(spec, 2.0))
    weights_equivalent_params = (transformer.weight_bytes(spec, 2.0) + kv_bytes) / 2.0
    chips_needed = chips.chips_to_hold_weights(weights_equivalent_params, chip, 2.0)
    return 1 << (chips_needed - 1).bit_length()


_SERVING_FUNCTIONS = ("chips_for_batch", "serving_cost", "latency", "step_time")


def _serving_layer():
    """Lesson 6's module when it is present with the functions the stack composes."""
    serving = _optional_module("serving")
    if serving is not None and all(hasattr(serving, f) for f in _SERVING_FUNCTIONS):
        return serving
    return None


class _Replica:
    """One replica of the model: its chips, how long a request occupies it, its latency.

    With lesson 6 present: ``serving.chips_for_batch`` (the fewest chips, a power of two,
    holding the weights and a full batch's KV), ``serving.serving_cost`` (replica-seconds
    per request at full load: its prefill plus its share of batched decode steps) and
    ``serving.latency`` (TTFT and TPOT). Without it, lesson 1's roofline
    (``chips.prefill``, ``chips.decode_step``) and the same bookkeeping.
    """

    def __init__(self, s: Scenario, spec: catalog.ModelSpec, chip: catalog.Accelerator,
                 row: catalog.Instance) -> None:
        self.s, self.spec, self.chip, self.row = s, spec, chip, row
        request = round(s.input_tokens) + round(s.output_tokens)
        if request > spec.context_length:
            raise ValueError(f"input_tokens + output_tokens = {request:,} is longer than "
                             f"{spec.name}'s context of {spec.context_length:,} tokens: a "
                             "self-hosted request must fit the model; shorten it")
        self.serving = _serving_layer()
        self.g = self._chips()

    def _chips(self) -> int:
        s = self.s
        if s.gpus_per_replica is not None:
            return int(s.gpus_per_replica)
        if self.serving is not None:
            # the request fits (checked above, each count rounded); their rounded sum may
            # still exceed the context by one token (4096.5 + 4096.5 rounds to 8193)
            context = min(self.spec.context_length, max(1, round(s.input_tokens
                                                                 + s.output_tokens)))
            return self.serving.chips_for_batch(self.spec, self.chip, s.decode_batch_size,
                                                context)
        return _gpus_per_replica(s, self.spec, self.chip)

    @property
    def functions(self) -> dict[str, str]:
        if self.serving is not None:
            return {"chips": "serving.chips_for_batch", "capacity": "serving.serving_cost",
                    "ttft": "serving.latency", "tpot": "serving.latency"}
        return {"chips": "chips.chips_to_hold_weights",
                "capacity": "chips.prefill + chips.decode_step",
                "ttft": "chips.prefill", "tpot": "chips.decode_step"}

    def request(self) -> tuple[float, float, float]:
        """(replica-seconds per request at full load, TTFT s, TPOT s), before efficiency."""
        s, i, o = self.s, max(1, round(self.s.input_tokens)), max(1, round(self.s.output_tokens))
        if self.serving is not None:
            cost = self.serving.serving_cost(self.spec, self.row, s.decode_batch_size, i, o,
                                             utilization=1.0, n_chips=self.g)
            # TTFT of one request's prompt; TPOT inside a full batch
            first = self.serving.latency(self.spec, self.chip, 1, i, o, n_chips=self.g)
            batch = self.serving.latency(self.spec, self.chip, s.decode_batch_size, i, o,
                                         n_chips=self.g)
            return cost.gpu_s_per_request, first.ttft_s, batch.tpot_s
        pre = chips.prefill(self.spec, self.chip, i, n_chips=self.g).time_s
        step = chips.decode_step(self.spec, self.chip, s.decode_batch_size,
                                 round(s.input_tokens + s.output_tokens / 2),
                                 n_chips=self.g).time_s
        return pre + s.output_tokens * step / s.decode_batch_size, pre, step

    def vectorised(self, i_span: tuple[float, float], o_span: tuple[float, float]):
        """Replica-seconds per request as a function of arrays of input and output tokens,
        from the same layer functions evaluated on a grid of token counts (interpolated)."""
        b = self.s.decode_batch_size
        i_grid = _grid(max(1, round(i_span[0])), max(1, round(i_span[1])) + 1)
        if self.serving is not None:
            c_grid = _grid(max(1, round(i_span[0]) + round(o_span[0]) // 2),
                           round(i_span[1]) + round(o_span[1]) // 2 + 1, 65)
            steps = [self.serving.step_time(self.spec, self.chip, self.g,
                                            context_tokens=int(c)) for c in c_grid]
            prefill = np.array([np.asarray(st(i_grid, 0), dtype=float) for st in steps])
            decode = np.array([st(0, b) / b for st in steps])

            def replica_s(i, o):
                ir, orr = np.maximum(1, np.round(i)), np.maximum(1, np.round(o))
                c = np.maximum(1, ir + np.floor(orr / 2))
                # bilinear in (context, prompt tokens) on the grid of step times
                k = np.clip(np.searchsorted(c_grid, c, side="right") - 1, 0, len(c_grid) - 1)
                k1 = np.minimum(k + 1, len(c_grid) - 1)
                wc = np.where(k1 > k, (c - c_grid[k]) / np.maximum(c_grid[k1] - c_grid[k], 1),
                              0.0)
                m = np.clip(np.searchsorted(i_grid, ir, side="right") - 1, 0, len(i_grid) - 1)
                m1 = np.minimum(m + 1, len(i_grid) - 1)
                wi = np.where(m1 > m, (ir - i_grid[m]) / np.maximum(i_grid[m1] - i_grid[m], 1),
                              0.0)
                low = prefill[k, m] + wi * (prefill[k, m1] - prefill[k, m])
                high = prefill[k1, m] + wi * (prefill[k1, m1] - prefill[k1, m])
                pre = low + wc * (high - low)
                return pre + (orr - 1) * np.interp(c, c_grid, decode)
            return replica_s
        c_grid = _grid(i_span[0] + o_span[0] / 2 - 1, i_span[1] + o_span[1] / 2 + 1)
        pre = np.array([chips.prefill(self.spec, self.chip, int(i), n_chips=self.g).time_s
                        for i in i_grid])
        step = np.array([chips.decode_step(self.spec, self.chip, b, max(0, int(c)),
                                           n_chips=self.g).time_s for c in c_grid])

        def replica_s(i, o):
            return (np.interp(np.maximum(1, np.round(i)), i_grid, pre)
                    + o * np.interp(np.round(i + o / 2), c_grid, step) / b)
        return replica_s


def _grid(low: float, high: float, n: int = 129) -> np.ndarray:
    return np.unique(np.round(np.linspace(low, high, n)))


_REPLICA_FUNCTIONS: dict[tuple, object] = {}


def _replica_function(replica: _Replica, i_span: tuple[float, float],
                      o_span: tuple[float, float]):
    """:meth:`_Replica.vectorised`, kept for the same model, chips and token ranges (a widget
    moving a price or the utilization reuses it)."""
    s = replica.s
    key = (replica.spec.name, replica.chip.name, replica.g, s.decode_batch_size,
           replica.serving is not None, tuple(map(float, i_span)), tuple(map(float, o_span)))
    if key not in _REPLICA_FUNCTIONS:
        if len(_REPLICA_FUNCTIONS) > 64:
            _REPLICA_FUNCTIONS.clear()
        _REPLICA_FUNCTIONS[key] = replica.vectorised(i_span, o_span)
    return _REPLICA_FUNCTIONS[key]

