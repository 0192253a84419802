"""One replica of the self-hosted model: its chips, a request's replica time, its latency.

Every figure is lesson 6's own function: ``serving.chips_for_batch`` (the fewest chips,
a power of two, holding the weights and a full batch's KV cache),
``serving.serving_cost`` (replica-seconds per request at full load: its prefill plus
its share of batched decode steps) and ``serving.latency`` (TTFT and TPOT).
"""

from __future__ import annotations

import numpy as np

from .. import catalog, serving
from .scenario import Scenario

FUNCTIONS = {"chips": "serving.chips_for_batch", "capacity": "serving.serving_cost",
             "ttft": "serving.latency", "tpot": "serving.latency"}

#: Grid points per token axis when ``serving.serving_cost`` is tabulated for arrays of
#: requests (bilinear between them: within 0.1 % of the exact call on the presets' ranges,
#: checked by tests/test_stack.py draw by draw).
_GRID_POINTS = (17, 5)
_TABLES: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
_MOST_CONTEXT: dict[tuple, int] = {}


def _tokens(value):
    """A token count as serving reads it: whole, at least one."""
    return np.maximum(1, np.round(value)) if isinstance(value, np.ndarray) \
        else max(1, round(value))


class Replica:
    """One replica of ``s.model`` on ``row``'s chip: its size ``g`` and what a request costs it.

    ``s`` is the request the model reads (the prompt with its retrieved chunks).
    """

    def __init__(self, s: Scenario, spec: catalog.ModelSpec, chip: catalog.Accelerator,
                 row: catalog.Instance) -> None:
        self.s, self.spec, self.chip, self.row = s, spec, chip, row
        request = round(s.input_tokens) + round(s.output_tokens)
        if request > spec.context_length:
            raise ValueError(f"input_tokens + output_tokens = {request:,} is longer than "
                             f"{spec.name}'s context of {spec.context_length:,} tokens: a "
                             "self-hosted request must fit the model; shorten it")
        self.g = self.chips(s.input_tokens + s.output_tokens)

    def _chips(self, context: int) -> int:
        # the request fits (checked above, each count rounded); their rounded sum may
        # still exceed the context by one token (4096.5 + 4096.5 rounds to 8193)
        context = min(self.spec.context_length, max(1, int(context)))
        return serving.chips_for_batch(self.spec, self.chip, self.s.decode_batch_size, context)

    def _most_context(self, g: int) -> int:
        """The longest request (tokens) whose full batch ``g`` chips hold (bisected)."""
        key = (self.spec.name, self.chip.name, self.s.decode_batch_size, g)
        if key not in _MOST_CONTEXT:
            low, high = 1, self.spec.context_length
            if self._chips(high) <= g:
                low = high
            while low < high:
                mid = (low + high + 1) // 2
                low, high = (mid, high) if self._chips(mid) <= g else (low, mid - 1)
            _MOST_CONTEXT[key] = low
        return _MOST_CONTEXT[key]

    def chips(self, context_tokens):
        """Chips per replica holding the weights and a full batch at ``context_tokens``
        (``serving.chips_for_batch``; the scenario's ``gpus_per_replica`` if it sets one).
        On an array, the call is made at the smallest and largest context and, where they
        differ, bisected between (more context never needs fewer chips)."""
        if self.s.gpus_per_replica is not None:
            g = int(self.s.gpus_per_replica)
            return np.full(np.shape(context_tokens), g) \
                if isinstance(context_tokens, np.ndarray) else g
        if not isinstance(context_tokens, np.ndarray):
            return self._chips(round(context_tokens))
        values, where = np.unique(np.round(context_tokens), return_inverse=True)
        chips = np.zeros(len(values))

        def fill(low: int, high: int, g_low: int, g_high: int) -> None:
            if g_low == g_high or high - low <= 1:
                chips[low:high] = g_low
                chips[high] = g_high
                return
            mid = (low + high) // 2
            g_mid = self._chips(values[mid])
            fill(low, mid, g_low, g_mid)
            fill(mid, high, g_mid, g_high)

        fill(0, len(values) - 1, self._chips(values[0]), self._chips(values[-1]))
        return chips[where].reshape(np.shape(context_tokens))

    def latency_s(self) -> tuple[float, float]:
        """(TTFT of one request's prompt, TPOT inside a full batch), before efficiency."""
        i, o = _tokens(self.s.input_tokens), _tokens(self.s.output_tokens)
        first = serving.latency(self.spec, self.chip, 1, i, o, n_gpus=self.g)
        batch = serving.latency(self.spec, self.chip, self.s.decode_batch_size, i, o,
                                n_gpus=self.g)
        return first.ttft_s, batch.tpot_s

    def _seconds(self, i: int, o: int, g: int) -> float:
        # a grid corner past what g chips hold is read at the edge (the draws lie inside)
        i = max(1, min(int(i), self._most_context(int(g)) - int(o)))
        return serving.serving_cost(self.spec, self.row, self.s.decode_batch_size, i, int(o),
                                    utilization=1.0, n_gpus=int(g)).gpu_s_per_request

    def seconds(self, input_tokens, output_tokens, chips):
        """Replica-seconds per request at full load (``serving.serving_cost``) on replicas of
        ``chips``, before efficiency. Numbers: the exact call. Arrays: the same call
        tabulated, per replica size, on a grid spanning the arrays' whole token counts,
        bilinear between grid points (a call takes most of a millisecond; a Monte Carlo
        has thousands of requests)."""
        i, o = _tokens(input_tokens), _tokens(output_tokens)
        if not any(isinstance(x, np.ndarray) for x in (i, o, chips)):
            return self._seconds(i, o, chips)
        i, o, g = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (i, o, chips)))
        out = np.empty(i.shape)
        for size in np.unique(g):
            at = g == size
            i_grid, o_grid, table = self._table(int(size), i[at].min(), i[at].max(),
                                                o[at].min(), o[at].max())
            out[at] = _bilinear(i_grid, o_grid, table, i[at], o[at])
        return out

    def _table(self, g: int, i_low: float, i_high: float, o_low: float, o_high: float):
        key = (self.spec.name, self.row.instance, g, self.s.decode_batch_size,
               i_low, i_high, o_low, o_high)
        if key not in _TABLES:
            if len(_TABLES) > 64:
                _TABLES.clear()
            i_grid = np.unique(np.round(np.linspace(i_low, i_high, _GRID_POINTS[0])))
            o_grid = np.unique(np.round(np.linspace(o_low, o_high, _GRID_POINTS[1])))
            table = np.array([[self._seconds(i, o, g) for o in o_grid] for i in i_grid])
            _TABLES[key] = (i_grid, o_grid, table)
        return _TABLES[key]


def _bilinear(x_grid: np.ndarray, y_grid: np.ndarray, table: np.ndarray, x: np.ndarray,
              y: np.ndarray) -> np.ndarray:
    """``table[x_grid, y_grid]`` read at (x, y), linear along each axis (either axis may
    have one point)."""
    def corner(grid, value):
        k = np.clip(np.searchsorted(grid, value, side="right") - 1, 0, len(grid) - 1)
        k1 = np.minimum(k + 1, len(grid) - 1)
        w = np.where(k1 > k, (value - grid[k]) / np.maximum(grid[k1] - grid[k], 1), 0.0)
        return k, k1, w

    a, a1, wa = corner(x_grid, x)
    b, b1, wb = corner(y_grid, y)
    low = table[a, b] + wa * (table[a1, b] - table[a, b])
    high = table[a, b1] + wa * (table[a1, b1] - table[a, b1])
    return low + wb * (high - low)
