"""API bills: what a month of LLM API usage costs, per model and per request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .. import catalog
from .._declare import declared, fraction, non_negative, optional, positive
from .._results import Result
from ..clusters._specs import catalog_name, catalog_names
from ..units import DAYS_PER_MONTH

_TOKENS_PER_MTOK = 1e6

MODEL = catalog_name(catalog.ApiPrice, "API model", ("GPT-5", "Claude Sonnet 4.5", "o3"))
#: One request's mix of tokens, declared once for every API function.
TOKENS = {"input_tokens": non_negative(examples=(2000.0, 0.0, 1e5)),
          "output_tokens": non_negative(examples=(500.0, 0.0, 8000.0)),
          "cached_input_share": fraction(examples=(0.0, 0.5, 1.0))}
WORKLOAD = {"users_per_day": non_negative(examples=(1000.0, 0.0, 1e6)),
            "requests_per_user": non_negative(examples=(5.0, 0.0, 50.0)), **TOKENS}
DAYS = positive(examples=(DAYS_PER_MONTH, 30.0, 1.0))


@dataclass(frozen=True)
class ApiBill(Result):
    """A month of API usage and what it costs."""

    model: str
    provider: str
    as_of: dt.date
    requests_per_month: float
    input_tokens_per_month: float
    output_tokens_per_month: float
    input_usd: float  # uncached input tokens
    cached_input_usd: float
    output_usd: float
    monthly_usd: float
    usd_per_request: float
    cached_price_known: bool  # False: cached tokens were billed at the full input price


@declared(model=MODEL, **WORKLOAD, days_per_month=DAYS)
def api_bill(model: str | catalog.ApiPrice, users_per_day: float, requests_per_user: float,
             input_tokens: float, output_tokens: float, cached_input_share: float = 0.0,
             days_per_month: float = DAYS_PER_MONTH) -> ApiBill:
    """Monthly bill for an LLM API: users × requests × tokens × price per million tokens.

    requests/month = users_per_day · requests_per_user · days_per_month
    cost/request   = [(1 − c)·input·p_in + c·input·p_cached + output·p_out] / 10⁶

    with c the share of input tokens served from the provider's prompt cache.

    Parameters
    ----------
    model : API model in ``catalog.api_prices()`` (name or ``ApiPrice``; build an
        ``ApiPrice`` for a price of your own).
    users_per_day : active users per day.
    requests_per_user : requests each user makes per day.
    input_tokens, output_tokens : tokens per request (prompt; completion).
    cached_input_share : fraction of input tokens billed at the cached-input price. When
        the catalog has no cached price for the model they are billed at the full input
        price (an upper bound) and ``cached_price_known`` is False.
    days_per_month : default 365/12.
    """
    price = catalog.api_price(model)
    users, per_user, days = users_per_day, requests_per_user, days_per_month
    tokens_in, tokens_out, share = input_tokens, output_tokens, cached_input_share
    requests = users * per_user * days
    cached_known = price.cached_input_usd_per_mtok is not None
    cached_price = price.cached_input_usd_per_mtok if cached_known else price.input_usd_per_mtok
    input_usd = requests * tokens_in * (1 - share) * price.input_usd_per_mtok / _TOKENS_PER_MTOK
    cached_usd = requests * tokens_in * share * cached_price / _TOKENS_PER_MTOK
    output_usd = requests * tokens_out * price.output_usd_per_mtok / _TOKENS_PER_MTOK
    total = input_usd + cached_usd + output_usd
    per_request = ((tokens_in * ((1 - share) * price.input_usd_per_mtok + share * cached_price)
                    + tokens_out * price.output_usd_per_mtok) / _TOKENS_PER_MTOK)
    return ApiBill(
        model=price.model, provider=price.provider, as_of=price.as_of,
        requests_per_month=requests, input_tokens_per_month=requests * tokens_in,
        output_tokens_per_month=requests * tokens_out, input_usd=input_usd,
        cached_input_usd=cached_usd, output_usd=output_usd, monthly_usd=total,
        usd_per_request=per_request, cached_price_known=cached_known,
    )


@declared(model=MODEL, **WORKLOAD, days_per_month=DAYS)
def api_monthly_cost(model: str | catalog.ApiPrice, users_per_day: float,
                     requests_per_user: float, input_tokens: float, output_tokens: float,
                     cached_input_share: float = 0.0,
                     days_per_month: float = DAYS_PER_MONTH) -> float:
    """Monthly API bill in USD; :func:`api_bill` has the breakdown and the formula."""
    return api_bill.unchecked(model, users_per_day, requests_per_user, input_tokens,
                              output_tokens, cached_input_share, days_per_month).monthly_usd


def _api_price_record(row: object) -> catalog.ApiPrice:
    """An ``ApiPrice`` from one row of ``catalog.api_prices()`` (empty cells -> None)."""
    cached = row.cached_input_usd_per_mtok
    return catalog.ApiPrice(
        provider=row.provider, model=row.model, input_usd_per_mtok=row.input_usd_per_mtok,
        output_usd_per_mtok=row.output_usd_per_mtok,
        cached_input_usd_per_mtok=None if pd.isna(cached) else float(cached),
        source=row.source, as_of=pd.Timestamp(row.as_of).date(),
    )


@declared(**WORKLOAD, models=optional(catalog_names(catalog.ApiPrice, "API model",
                                                    (("GPT-5", "o3"), ("Claude Haiku 4.5",)))),
          days_per_month=DAYS)
def compare_api_bills(users_per_day: float, requests_per_user: float, input_tokens: float,
                      output_tokens: float, cached_input_share: float = 0.0,
                      models: list[str] | None = None,
                      days_per_month: float = DAYS_PER_MONTH) -> pd.DataFrame:
    """The same workload priced on every catalog model (or ``models``), cheapest first."""
    if models is None:  # every row, read once (a look-up by name per model is slower)
        prices = [_api_price_record(row) for row in catalog.api_prices().itertuples()]
    else:
        prices = [catalog.api_price(name) for name in models]
    rows = []
    for price in prices:
        bill = api_bill.unchecked(price, users_per_day, requests_per_user, input_tokens,
                                  output_tokens, cached_input_share, days_per_month)
        rows.append({"model": bill.model, "provider": bill.provider,
                     "monthly_usd": bill.monthly_usd, "usd_per_request": bill.usd_per_request,
                     "cached_price_known": bill.cached_price_known,
                     "as_of": pd.Timestamp(bill.as_of)})
    return pd.DataFrame(rows).sort_values("monthly_usd", kind="stable").reset_index(drop=True)


@declared(model=MODEL, **TOKENS)
def blended_usd_per_mtok(model: str | catalog.ApiPrice, input_tokens: float,
                         output_tokens: float, cached_input_share: float = 0.0) -> float:
    """Average price per million tokens (input and output together) of one request's mix."""
    bill = api_bill.unchecked(model, 1.0, 1.0, input_tokens, output_tokens, cached_input_share,
                              1.0)
    tokens = bill.input_tokens_per_month + bill.output_tokens_per_month
    if tokens == 0:
        raise ValueError("input_tokens + output_tokens must be greater than 0")
    return bill.usd_per_request / tokens * _TOKENS_PER_MTOK
