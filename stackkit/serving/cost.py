"""Cost: $ per million tokens of a self-hosted replica (:func:`serving_cost`), against an
API (:func:`breakeven_vs_api`, :func:`cost_comparison`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .. import _checks, catalog, chips, cloud
from .._declare import (
    choice,
    count,
    custom,
    date,
    declared,
    fraction,
    optional,
    positive,
    sequence,
)
from .._results import Result
from ..units import SECONDS_PER_HOUR
from ._specs import MODEL
from .step_latency import ESTIMATES, latency, step_time

# --------------------------------------------------------------------------- cost

@dataclass(frozen=True)
class ServingCost(Result):
    """$ per million tokens of serving a model on rented GPUs, input and output priced apart."""

    model: str
    instance: str
    chip: str
    n_gpus: int  # GPUs per replica
    as_of: dt.date  # of the instance price
    replica_usd_per_hour: float
    batch_size: int
    prompt_tokens: int
    output_tokens: int
    utilization: float  # share of the time the replica is busy at this batch size
    gpu_s_per_request: float  # at full load
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    blended_usd_per_mtok: float  # over this request's mix of input and output tokens
    tokens_per_s_per_gpu: float  # input + output, at full load
    estimate: str = "expected"  # "expected" (measured efficiencies) or "bound" (roofline)


def _instance(param: str, value: object) -> object:
    if isinstance(value, catalog.Instance):
        return value
    return _checks.text(param, value)  # the name is looked up with its date, in the body


#: A cloud instance name from the catalog or an :class:`~stackkit.catalog.Instance`.
INSTANCE = custom(_instance, examples=("p5.48xlarge", "p4d.24xlarge"),
                  bad=(None, 3, ""), kind="instance")


@declared(model=MODEL, instance=INSTANCE,
          batch_size=count(examples=(64, 1)), prompt_tokens=count(examples=(512, 2000)),
          output_tokens=count(examples=(256, 1)),
          utilization=fraction(low_open=True, examples=(0.5, 1.0)),
          n_gpus=optional(count(high=1 << 20, examples=(8, 1))),
          precision=choice(chips.PRECISIONS),
          bytes_per_param=optional(positive(examples=(2.0, 1.0))),
          as_of=optional(date()), estimate=choice(ESTIMATES))
def serving_cost(model: str | catalog.ModelSpec, instance: str = "p5.48xlarge",
                 batch_size: int = 64, prompt_tokens: int = 512, output_tokens: int = 256,
                 utilization: float = 0.5, n_gpus: int | None = None,
                 precision: str = "bf16", bytes_per_param: float | None = None,
                 as_of: str | dt.date | None = None,
                 estimate: str = "expected") -> ServingCost:
    """Self-hosted $ per million input and output tokens, from the step time.

    A replica of n GPUs costs c = price per GPU-hour · n. Serving one request takes
    step(prompt, 0) for its prefill plus (output − 1) · step(0, B) / B of full-batch
    decode steps. So

        input  $/Mtok = c/3600 · step(prompt, 0) / prompt       · 10⁶ / utilization
        output $/Mtok = c/3600 · step(0, B) / B                 · 10⁶ / utilization

    ``estimate="expected"`` (default) prices the measured-efficiency step time;
    ``"bound"`` the roofline, whose prices are lower bounds. ``utilization`` is the share
    of paid hours the replica spends busy.
    """
    record = catalog.instance(instance, as_of)
    u = utilization
    timing = latency(model, record.accelerator, batch_size, prompt_tokens, output_tokens,
                     n_gpus, precision, bytes_per_param, estimate=estimate)
    step = step_time(model, record.accelerator, timing.n_gpus, precision, bytes_per_param,
                     context_tokens=max(1, prompt_tokens + output_tokens // 2),
                     estimate=estimate)
    usd_per_s = record.usd_per_gpu_hour * timing.n_gpus / SECONDS_PER_HOUR
    prefill_s = step(timing.prompt_tokens, 0)
    decode_s = step(0, timing.batch_size) / timing.batch_size
    per_request = prefill_s + (timing.output_tokens - 1) * decode_s
    input_price = usd_per_s * prefill_s / timing.prompt_tokens * 1e6 / u
    output_price = usd_per_s * decode_s * 1e6 / u
    tokens = timing.prompt_tokens + timing.output_tokens
    blended = (timing.prompt_tokens * input_price + timing.output_tokens * output_price) / tokens
    return ServingCost(timing.model, record.instance, timing.chip, timing.n_gpus, record.as_of,
                       record.usd_per_gpu_hour * timing.n_gpus, timing.batch_size,
                       timing.prompt_tokens, timing.output_tokens, u, per_request, input_price,
                       output_price, blended, tokens / per_request / timing.n_gpus,
                       step.estimate)


def _serving_cost(cost: object) -> ServingCost:
    if not isinstance(cost, ServingCost):
        raise ValueError(f"cost must be the ServingCost that serving.serving_cost(...) returns; "
                         f"got {cost!r}")
    return cost


def _api_model(param: str, value: object) -> catalog.ApiPrice:
    if isinstance(value, catalog.ApiPrice):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{param} must be an API model name from the catalog or an ApiPrice; "
                         f"got {value!r}")
    return catalog.api_price(value)  # an unknown name: KeyError with the nearest names


#: The :class:`ServingCost` that :func:`serving_cost` returns.
COST = custom(lambda param, value: _serving_cost(value),
              examples=lambda: [serving_cost("Llama 3 8B")], kind="serving cost")
#: An API model name from the catalog or an :class:`~stackkit.catalog.ApiPrice`.
API_MODEL = custom(_api_model, examples=("GPT-5 mini", "Claude Haiku 4.5"), kind="API model")


@declared(cost=COST, api_model=API_MODEL)
def breakeven_vs_api(cost: ServingCost, api_model: str | catalog.ApiPrice) -> cloud.SelfHosting:
    """Tokens per day above which the self-hosted replica of ``cost`` beats an API's price.

    The API's price is blended over the same mix of input and output tokens
    (:func:`cloud.blended_usd_per_mtok`); the replica's throughput is its full-load
    tokens per second; then lesson 3's :func:`cloud.self_hosting_breakeven`.
    """
    api = cloud.blended_usd_per_mtok(api_model, cost.prompt_tokens, cost.output_tokens)
    return cloud.self_hosting_breakeven(api, cost.tokens_per_s_per_gpu,
                                        cost.replica_usd_per_hour / cost.n_gpus, cost.n_gpus)



@declared(cost=COST, api_models=optional(sequence(examples=(["GPT-5 mini"],))))
def cost_comparison(cost: ServingCost, api_models: object = None) -> pd.DataFrame:
    """The self-hosted price of ``cost`` beside every catalog API (or ``api_models``).

    API prices are blended over the same request (``cost.prompt_tokens`` in,
    ``cost.output_tokens`` out); each row carries its price date.
    """
    frame = catalog.api_prices()
    if api_models is not None:
        names = [catalog.api_price(name).model
                 for name in api_models]
        frame = frame[frame["model"].isin(names)]
    p, o = cost.prompt_tokens, cost.output_tokens
    rows = [{"label": f"{cost.model} on {cost.n_gpus} × {cost.chip} ({cost.instance}, "
                      f"{cost.utilization:.0%} busy)",
             "kind": "self-hosted", "usd_per_mtok": cost.blended_usd_per_mtok,
             "as_of": pd.Timestamp(cost.as_of)}]
    for row in frame.itertuples():
        price = (p * row.input_usd_per_mtok + o * row.output_usd_per_mtok) / (p + o)
        rows.append({"label": f"{row.model} ({row.provider} API)", "kind": "API",
                     "usd_per_mtok": price, "as_of": pd.Timestamp(row.as_of)})
    return pd.DataFrame(rows)
