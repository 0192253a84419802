"""A seeded Monte Carlo over every assumption's range at once (:func:`uncertainty`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import _checks, cloud, clusters
from .._results import Result
from ..units import DAYS_PER_MONTH, HOURS_PER_DAY, HOURS_PER_YEAR, SECONDS_PER_HOUR
from . import bill
from .ranges import Knob, _rent_usd_per_gpu_hour, knobs
from .replica import _Replica, _replica_function
from .scenario import (
    _CORPUS_FUNCTIONS,
    _MONTHS_PER_YEAR,
    _MTOK,
    _TRAINING_FUNCTION,
    Scenario,
    _accelerator,
    _api_price,
    _check_scenario,
    _instance,
    _llm_scenario,
    _model,
)

# ----------------------------------------------------------------------------- Monte Carlo

@dataclass(frozen=True, eq=False)
class Uncertainty(Result):
    """The total $ per million tokens under every assumption drawn from its range at once."""

    n: int
    seed: int
    point_usd_per_mtok: float  # the scenario as given
    p10_usd_per_mtok: float
    p50_usd_per_mtok: float
    p90_usd_per_mtok: float
    mean_usd_per_mtok: float
    samples_usd_per_mtok: np.ndarray = field(repr=False)
    draws: pd.DataFrame = field(repr=False)  # the assumptions drawn, one column per field


_MAX_DRAWS = 200_000  # about a third of a second; more adds digits, not insight


class _Vectorised:
    """The trace's bookkeeping evaluated on arrays of assumptions (for the Monte Carlo).

    Layer functions are called at the scenario's values (and, for the roofline
    bounds, on a grid of token counts that is then interpolated); each quantity is
    scaled the way its layer function says it scales (bills linear in price, power
    in PUE × $/kWh, capital in price ÷ years). ``tests/test_stack.py`` checks that
    these arrays equal :func:`trace` run draw by draw.
    """

    def __init__(self, s: Scenario, spans: dict[str, tuple[float, float]]) -> None:
        self.s = s
        row = _instance(s.instance, as_of=s.price_as_of)
        self.chip = _accelerator(row.accelerator)
        self.spec = _model(s.model)
        self.base = bill.trace(s)
        if s.hosting == "api":
            unit_in = cloud.api_bill(_api_price(s.api_model), 1, 1, 1, 0, s.cached_input_share, 1)
            unit_out = cloud.api_bill(_api_price(s.api_model), 1, 1, 0, 1, s.cached_input_share, 1)
            self.usd_per_input, self.usd_per_output = (unit_in.usd_per_request,
                                                       unit_out.usd_per_request)
        else:
            replica = _Replica(_llm_scenario(s), self.spec, self.chip, row)
            self.g = replica.g
            per = s.chunk_tokens if s.rag_chunks > 0 else 0.0
            _, r_hi = spans.get("retrieved_chunks", (s.retrieved_chunks, s.retrieved_chunks))
            i_lo, i_hi = spans.get("input_tokens", (s.input_tokens, s.input_tokens))
            # the grids stay inside the context (a draw near its edge is clamped to the grid)
            room = self.spec.context_length - 1 - max(1, round(
                spans.get("output_tokens", (s.output_tokens, s.output_tokens))[1]))
            self.replica_s = _replica_function(
                replica, (i_lo, max(i_lo, min(i_hi + r_hi * per, room))),
                spans.get("output_tokens", (s.output_tokens, s.output_tokens)))
            if s.hosting == "owned":
                self.owned = clusters.owned_cost(self.chip, s.capital_usd_per_gpu,
                                                 s.amortization_years, s.pue, s.usd_per_kwh,
                                                 s.ops_usd_per_gpu_hour)
                self.capital0 = (s.capital_usd_per_gpu if s.capital_usd_per_gpu is not None
                                 else clusters.server_price_usd_per_gpu(self.chip))
                power = clusters.cluster_power(1, self.chip, pue=s.pue, usd_per_kwh=s.usd_per_kwh)
                self.usd_per_busy_gpu_hour = power.annual_electricity_usd / HOURS_PER_YEAR
            else:
                d_lo, d_hi = spans.get("reserved_discount",
                                       (s.reserved_discount, s.reserved_discount))
                self.d_grid = np.linspace(d_lo, d_hi, 2) if d_hi > d_lo else np.array([d_lo])
                self.rent = np.array([cloud.gpu_hour_price(
                    row, s.hosting, reserved_discount=float(d) if s.hosting == "reserved"
                    else None).usd_per_gpu_hour for d in self.d_grid])
        self.fixed = {key: sum(r["usd_per_month"] for r in self.base.line_items
                               if r["function"] in function)
                      for key, function in (("vector store", ("vectors.index_bytes",)),
                                            ("training corpus", _CORPUS_FUNCTIONS),
                                            ("training ", (_TRAINING_FUNCTION,)))}

    def _capital_h(self, v: dict[str, np.ndarray]) -> np.ndarray:
        """Server and network per GPU-hour (linear in the price, inverse in the years) plus
        the facility's fixed charge and operations: clusters.owned_cost's fixed part."""
        o0 = self.owned
        ratio = (v["capital_usd_per_gpu"] / self.capital0) * (
            self.s.amortization_years / v["amortization_years"])
        return ((o0.capital_usd_per_gpu_hour + getattr(o0, "network_usd_per_gpu_hour", 0.0))
                * ratio + getattr(o0, "facility_usd_per_gpu_hour", 0.0))

    def usd_per_mtok(self, v: dict[str, np.ndarray]) -> np.ndarray:
        s = self.s
        i, o = v["input_tokens"], v["output_tokens"]
        r = v["retrieved_chunks"] * s.chunk_tokens if s.rag_chunks > 0 else 0.0
        if s.hosting != "api" and s.rag_chunks > 0:  # what fits beside the request
            room = self.spec.context_length - (np.floor(i + 0.5) + np.floor(o + 0.5))
            r = np.minimum(r, np.maximum(0.0, room))
        requests_per_day = v["users_per_day"] * v["requests_per_user"]
        requests_per_month = requests_per_day * DAYS_PER_MONTH
        mtok = requests_per_month * (i + o) / _MTOK
        if s.hosting == "api":
            total = requests_per_month * ((i + r) * self.usd_per_input
                                          + o * self.usd_per_output) * v["api_price_factor"]
        else:
            replica_s = self.replica_s(i + r, o) / v["serving_efficiency"]
            busy_s_per_day = requests_per_day * replica_s
            replicas = np.maximum(1, np.ceil(busy_s_per_day / (
                v["utilization"] * HOURS_PER_DAY * SECONDS_PER_HOUR) - 1e-12))
            n_gpus = replicas * self.g
            month_h = HOURS_PER_YEAR / _MONTHS_PER_YEAR
            if s.hosting == "owned":
                o0 = self.owned
                capital_h = self._capital_h(v)
                busy_gpu_h = busy_s_per_day * self.g / SECONDS_PER_HOUR * DAYS_PER_MONTH
                power = (self.usd_per_busy_gpu_hour * (v["pue"] / s.pue)
                         * (v["usd_per_kwh"] / s.usd_per_kwh if s.usd_per_kwh else 0.0))
                total = n_gpus * (capital_h + o0.ops_usd_per_gpu_hour) * month_h \
                    + busy_gpu_h * power
            else:
                if s.hosting == "reserved" and s.usd_per_gpu_hour is None:
                    rent = np.interp(v["reserved_discount"], self.d_grid, self.rent) \
                        if len(self.d_grid) > 1 else self.rent[0]
                else:
                    rent = v["usd_per_gpu_hour"]
                total = n_gpus * rent * HOURS_PER_DAY * DAYS_PER_MONTH
        total = total + requests_per_month * i * s.embedding_usd_per_mtok / _MTOK
        total = total + self.fixed["vector store"] * (v["vector_store_usd_per_gb_month"]
                                                      / s.vector_store_usd_per_gb_month
                                                      if s.vector_store_usd_per_gb_month else 0)
        total = total + self.fixed["training corpus"]
        total = total + self.fixed["training "] * (s.model_life_months / v["model_life_months"])
        if s.hosting == "owned" and self.fixed["training "]:
            # training is paid at the owned GPU-hour price, which the draws move too
            o0 = self.owned
            capital_h = self._capital_h(v)
            power_h = o0.power_usd_per_gpu_hour * (v["pue"] / s.pue) * (
                v["usd_per_kwh"] / s.usd_per_kwh if s.usd_per_kwh else 0.0)
            ratio = (capital_h + o0.ops_usd_per_gpu_hour + power_h) / o0.usd_per_gpu_hour
            # (capital_h holds server, network and facility: owned_cost's fixed part)
            total = total + self.fixed["training "] * (s.model_life_months
                                                       / v["model_life_months"]) * (ratio - 1)
        return total / mtok


#: The scenario fields a vectorised draw starts from (each then replaced by its knob's draws).
_DRAWN_FIELDS = ("input_tokens", "output_tokens", "requests_per_user", "utilization",
                 "serving_efficiency", "reserved_discount", "pue", "usd_per_kwh",
                 "amortization_years", "vector_store_usd_per_gb_month", "model_life_months",
                 "api_price_factor", "retrieved_chunks")


def _draw_base(s: Scenario, extra: tuple[str, ...] = ()) -> dict[str, np.ndarray | float]:
    """The scenario's values for a vectorised draw: its fields, the rented GPU-hour and the
    capital per GPU (the server's price when owned and none is given)."""
    v: dict[str, np.ndarray | float] = {name: float(getattr(s, name))
                                        for name in _DRAWN_FIELDS + extra}
    v["usd_per_gpu_hour"] = _rent_usd_per_gpu_hour(s)
    capital = s.capital_usd_per_gpu
    if capital is None and s.hosting == "owned":
        capital = clusters.server_price_usd_per_gpu(
            _accelerator(_instance(s.instance).accelerator))
    v["capital_usd_per_gpu"] = float(capital or 1.0)
    return v


def _draw(rng: np.random.Generator, k: Knob, n: int) -> np.ndarray:
    if k.high <= k.low:
        return np.full(n, k.value)
    return rng.triangular(k.low, min(max(k.value, k.low), k.high), k.high, size=n)


def uncertainty(scenario: Scenario, n: int = 10_000, seed: int = 0) -> Uncertainty:
    """A seeded Monte Carlo: every :func:`knobs` assumption drawn at once from its range.

    Each assumption is drawn from a triangular distribution (low, the scenario's
    value, high) — the usual choice when only a range and a best guess are known —
    independently of the others. The same ``seed`` gives the same draws. The
    draws are evaluated on arrays (see ``_Vectorised``), so 10,000 take well under
    a second.
    """
    s = _check_scenario(scenario)
    count = _checks.positive_int("n", n)
    if count > _MAX_DRAWS:
        raise ValueError(f"n must be at most {_MAX_DRAWS:,}; got {n!r}")
    seed = _checks.seed("seed", seed)
    ks = knobs(s)
    rng = np.random.default_rng(seed)
    v = _draw_base(s, ("users_per_day",))
    for k in ks:
        v[k.field] = _draw(rng, k, count)
    spans = {k.field: (k.low, k.high) for k in ks}
    model = _Vectorised(s, spans)
    samples = np.broadcast_to(model.usd_per_mtok(v), (count,)).astype(float)
    p10, p50, p90 = np.percentile(samples, [10, 50, 90])
    draws = pd.DataFrame({k.field: np.asarray(v[k.field]) for k in ks})
    return Uncertainty(n=count, seed=int(seed), point_usd_per_mtok=model.base.usd_per_mtok,
                       p10_usd_per_mtok=float(p10), p50_usd_per_mtok=float(p50),
                       p90_usd_per_mtok=float(p90), mean_usd_per_mtok=float(samples.mean()),
                       samples_usd_per_mtok=samples, draws=draws)

