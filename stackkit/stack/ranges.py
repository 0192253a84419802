"""Each assumption's sourced range (:func:`knobs`) and the tornado (:func:`sensitivity`)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import pandas as pd

from .. import _declare as d
from .. import catalog, cloud, clusters
from .._results import Result
from . import bill
from .scenario import (
    SCENARIO,
    Scenario,
    _accelerator,
    _assumed,
    _instance,
    _rent_usd_per_gpu_hour,
)


@dataclass(frozen=True)
class Knob(Result):
    """One assumption with its range: the field it sets, its low and high, and why."""

    field: str
    label: str
    unit: str
    value: float
    low: float
    high: float
    basis: str  # where the range comes from


def _factor_knob(s: Scenario, name: str, label: str, unit: str, low_key: str, high_key: str,
                 basis: str) -> Knob:
    value = float(getattr(s, name))
    return Knob(name, label, unit, value, value * _assumed(low_key), value * _assumed(high_key),
                basis)


def _capped(k: Knob, ceiling: float) -> Knob:
    """``k`` with its high end at most ``ceiling`` (a self-hosted request must fit the
    model's context)."""
    if k.high <= ceiling:
        return k
    return dataclasses.replace(k, high=ceiling, basis=f"{k.basis}, within the model's context")


def _abs_knob(s: Scenario, name: str, label: str, unit: str, low: float, high: float,
              basis: str) -> Knob:
    value = float(getattr(s, name))
    return Knob(name, label, unit, value, min(low, value), max(high, value), basis)


@d.declared(scenario=SCENARIO)
def knobs(scenario: Scenario) -> tuple[Knob, ...]:
    """The assumptions that move this scenario's total, each with its sourced low and high.

    Product figures (tokens, requests, users) vary by the factors in
    ``data/assumptions/stack.csv`` around the scenario's own value; the others
    between sourced (or declared teaching) bounds. Only assumptions the scenario
    uses are listed (PUE matters only when the chips are owned, and so on).
    """
    s = scenario
    return (*_product_knobs(s), *_hosting_knobs(s), *_data_knobs(s))


def _product_knobs(s: Scenario) -> list[Knob]:
    """Tokens per request, requests per user, users: factors around the scenario's own."""
    tokens = [
        _factor_knob(s, "input_tokens", "input tokens per request", "tokens",
                     "chat_tokens_range_low_factor", "chat_tokens_range_high_factor",
                     "×0.5–×2 the Splitwise conversation median"),
        _factor_knob(s, "output_tokens", "output tokens per request", "tokens",
                     "chat_tokens_range_low_factor", "chat_tokens_range_high_factor",
                     "×0.5–×2 the Splitwise conversation median"),
    ]
    if s.self_hosted:  # a self-hosted request must fit the model: share out the headroom
        context = catalog.model(s.model).context_length - s.retrieved_tokens
        request = s.input_tokens + s.output_tokens
        share = max(0.0, context - request) / request
        tokens = [_capped(k, max(k.value, math.floor(k.value * (1 + share)))) for k in tokens]
    out = [
        *tokens,
        _factor_knob(s, "requests_per_user", "requests per user per day", "requests",
                     "requests_per_user_range_low_factor", "requests_per_user_range_high_factor",
                     "×0.5–×2 ChatGPT's average (Axios, July 2025)"),
        _factor_knob(s, "users_per_day", "users per day", "users",
                     "demand_forecast_low_factor", "demand_forecast_high_factor",
                     "demand ×0.5–×2 the forecast"),
    ]
    return out


def _hosting_knobs(s: Scenario) -> list[Knob]:
    """How the model is had: utilization and efficiency, the price of a token or an hour,
    and, when owned, power and capital."""
    out = []
    if s.self_hosted:
        out += [
            _abs_knob(s, "utilization", "utilization of serving chips", "fraction",
                      _assumed("serving_utilization_low"), _assumed("serving_utilization_high"),
                      "teaching range"),
            _abs_knob(s, "serving_efficiency", "achieved share of the expected", "fraction",
                      _assumed("serving_efficiency_low"), _assumed("serving_efficiency_high"),
                      "teaching low; best matmul on an H100 (80 %) high"),
        ]
    if s.hosting == "api":
        out.append(_abs_knob(s, "api_price_factor", "API price (× today's list)", "ratio",
                             _assumed("api_price_cut_factor_low"), 1.0,
                             "o3's June 2025 cut to 0.2× – today's list"))
    if s.hosting in ("on-demand", "spot"):
        low, high, basis = _gpu_hour_range(s)
        value = _rent_usd_per_gpu_hour(s)
        out.append(Knob("usd_per_gpu_hour", "GPU-hour price (mode and provider)",
                        "USD per GPU-hour", value, min(low, value), max(high, value), basis))
    if s.hosting == "reserved":
        out.append(_abs_knob(s, "reserved_discount", "reserved discount", "fraction",
                             _assumed("reserved_discount_low"),
                             _assumed("aws_ec2_instance_savings_plan_max_discount"),
                             "teaching low; AWS's 'up to 72 %' ceiling high"))
    if s.hosting == "owned":
        chip = _accelerator(_instance(s.instance).accelerator)
        capital = (s.capital_usd_per_gpu if s.capital_usd_per_gpu is not None
                   else clusters.server_price_usd_per_gpu(chip))
        out += [
            _abs_knob(s, "pue", "PUE", "ratio", _assumed("pue_google_fleet"),
                      _assumed("pue_uptime_2023_average"), "Google fleet 1.10 – Uptime 2023 1.58"),
            _abs_knob(s, "usd_per_kwh", "electricity price", "USD/kWh",
                      _assumed("electricity_usd_per_kwh_low"),
                      _assumed("electricity_usd_per_kwh_high"), "US states, EIA 2023"),
            Knob("capital_usd_per_gpu", "capital per GPU", "USD", capital,
                 min(capital, _assumed("h100_capital_usd_per_gpu_low")),
                 capital * _assumed("owned_capital_overhead_factor_high"),
                 "chip alone – server +30 % for network and building"),
            _abs_knob(s, "amortization_years", "years to write the servers off", "years",
                      _assumed("server_useful_life_years_low"),
                      _assumed("server_useful_life_years_high"),
                      "teaching low; Microsoft's 6 years high"),
        ]
    return out


def _data_knobs(s: Scenario) -> list[Knob]:
    """Retrieval, the vector store's price, and the model's life when it is trained."""
    out = []
    if s.rag_chunks > 0 and s.chunk_tokens > 0:
        high = _assumed("rag_retrieved_chunks_high")
        low = _assumed("rag_retrieved_chunks_low")
        if s.self_hosted:  # the chunks must fit in the model's context beside the request
            room = (catalog.model(s.model).context_length - s.input_tokens
                    - s.output_tokens) / s.chunk_tokens
            high = min(high, max(0, math.floor(room)))
            low = min(low, high)
        if high > 0:
            value = min(float(s.retrieved_chunks), high)
            out.append(Knob("retrieved_chunks", "retrieved chunks per prompt", "chunks",
                            value, min(low, value), high,
                            f"teaching range, {s.chunk_tokens:,.0f}-token chunks "
                            "(OpenAI's default), within the model's context"))
    if s.rag_chunks > 0:
        out.append(Knob("vector_store_usd_per_gb_month", "vector store price", "USD/GB-month",
                        s.vector_store_usd_per_gb_month, s.vector_store_usd_per_gb_month,
                        s.vector_store_usd_per_gb_month
                        * _assumed("vector_store_in_memory_factor_high"),
                        "S3 Vectors – ×10 for an index held in RAM"))
    if s.train_tokens > 0:
        out.append(_abs_knob(s, "model_life_months", "months the model serves", "months",
                             _assumed("model_life_months_low"),
                             _assumed("model_life_months_high"),
                             "Llama 3 → 3.1 in 3 months; teaching high"))
    return out




def _gpu_hour_range(s: Scenario) -> tuple[float, float, str]:
    """Cheapest and dearest current catalog price of an hour of the scenario's chip, any
    provider and mode (spot to on-demand): the price a buyer could find."""
    chip = _instance(s.instance, as_of=s.price_as_of).accelerator
    table = cloud.gpu_hour_prices()
    table = table[table["accelerator"] == chip]
    spot = table["spot_usd_per_gpu_hour"].dropna()
    low_row = table.loc[table["on_demand_usd_per_gpu_hour"].idxmin()]
    low, low_what = float(low_row["on_demand_usd_per_gpu_hour"]), \
        f"{low_row['provider']} {low_row['instance']} on-demand"
    if len(spot) and spot.min() < low:
        spot_row = table.loc[spot.idxmin()]
        low, low_what = float(spot.min()), f"{spot_row['provider']} {spot_row['instance']} spot"
    high_row = table.loc[table["on_demand_usd_per_gpu_hour"].idxmax()]
    high = float(high_row["on_demand_usd_per_gpu_hour"])
    return low, high, (f"catalog {chip}: {low_what} ${low:.2f} – {high_row['provider']} "
                       f"{high_row['instance']} on-demand ${high:.2f}")


def _set(s: Scenario, name: str, value: float) -> Scenario:
    if name in ("decode_batch_size", "embedding_dim", "train_gpus", "gpus_per_replica"):
        value = round(value)
    return dataclasses.replace(s, **{name: value})


@d.declared(scenario=SCENARIO)
def sensitivity(scenario: Scenario) -> pd.DataFrame:
    """Each assumption at its low and its high (the others at their values), ranked (a tornado).

    Returns one row per :func:`knobs` entry, largest swing first: field, label, unit,
    value, low, high, usd_per_mtok_low and usd_per_mtok_high (the total at each end),
    swing_usd_per_mtok (their difference, absolute) and basis. The first row is the
    assumption to research first.
    """
    base = bill.trace(scenario).usd_per_mtok
    rows = []
    for k in knobs(scenario):
        at_low = bill.trace.unchecked(_set(scenario, k.field, k.low)).usd_per_mtok
        at_high = bill.trace.unchecked(_set(scenario, k.field, k.high)).usd_per_mtok
        rows.append({"field": k.field, "label": k.label, "unit": k.unit, "value": k.value,
                     "low": k.low, "high": k.high, "usd_per_mtok_low": at_low,
                     "usd_per_mtok_high": at_high, "swing_usd_per_mtok": abs(at_high - at_low),
                     "base_usd_per_mtok": base, "basis": k.basis})
    frame = pd.DataFrame(rows)
    return frame.sort_values("swing_usd_per_mtok", ascending=False,
                             kind="stable").reset_index(drop=True)

