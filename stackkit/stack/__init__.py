"""The six layers of the AI infrastructure stack, and the numbers that drive each one's cost.

Lesson 00 draws this; lesson 07 (the capstone) runs one scenario through it. One idea
per file:

- ``six_layers``: the six layers as a table (:data:`LAYERS`, :func:`layers`) and a few
  dated catalog figures per layer (:func:`key_figures`);
- ``scenario``: one product as a :class:`Scenario`, its ceilings and the presets
  (:func:`preset`, :func:`presets`);
- ``replica``: one replica of a self-hosted model (its chips, a request's replica time,
  its latency), from lesson 6's functions;
- ``bill``: :func:`trace`, the scenario through the six layers, line by line, with every
  price dated — the bookkeeping written once, run on numbers by the trace and on arrays
  of draws by the Monte Carlo and the break-even band;
- ``result``: what a trace returns (:class:`StackResult`: rows, figures, prices, the
  waterfall);
- ``ranges``: each assumption's sourced range (:func:`knobs`, :class:`Knob`) and the
  tornado (:func:`sensitivity`);
- ``monte_carlo``: every assumption drawn at once (:func:`uncertainty`,
  :class:`Uncertainty`);
- ``breakeven``: build or buy across scale (:func:`build_vs_buy`,
  :func:`breakeven_users_per_day`, :func:`breakeven_band`, :class:`BreakevenBand`);
- ``breakdown``: what lies beneath a GPU-hour and an API's price
  (:func:`gpu_hour_breakdown`, :func:`api_price_breakdown`).
"""

from __future__ import annotations

from .bill import StackResult, trace
from .breakdown import api_price_breakdown, gpu_hour_breakdown
from .breakeven import BreakevenBand, breakeven_band, breakeven_users_per_day, build_vs_buy
from .monte_carlo import Uncertainty, uncertainty
from .ranges import Knob, knobs, sensitivity
from .scenario import (
    HOSTING,
    MAX_REQUESTS_PER_USER,
    MAX_TOKENS_PER_REQUEST,
    MAX_USERS_PER_DAY,
    PRESET_NAMES,
    Scenario,
    preset,
    presets,
)
from .six_layers import LAYERS, Layer, key_figures, layers

__all__ = ["HOSTING", "LAYERS", "MAX_REQUESTS_PER_USER", "MAX_TOKENS_PER_REQUEST",
           "MAX_USERS_PER_DAY", "PRESET_NAMES", "BreakevenBand", "Knob", "Layer", "Scenario",
           "StackResult", "Uncertainty", "api_price_breakdown", "breakeven_band",
           "breakeven_users_per_day", "build_vs_buy", "gpu_hour_breakdown", "key_figures",
           "knobs", "layers", "preset", "presets", "sensitivity", "trace", "uncertainty"]
