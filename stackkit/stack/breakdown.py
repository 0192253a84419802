"""Beneath a price: a rented GPU-hour and an API's token price, split by layer."""

from __future__ import annotations

import pandas as pd

from .. import _declare as d
from .. import cloud, clusters
from ..units import HOURS_PER_YEAR
from .bill import trace
from .scenario import MAX_TOKENS_PER_REQUEST, Scenario, _accelerator, _api_price, _assumed

# ----------------------------------------------------------------------------- beneath a price

@d.declared(instance=d.name(examples=("p5.48xlarge",)), mode=d.choice(cloud.MODES),
            amortization_years=d.positive(high=50, examples=(4.0, 1.0, 6.0)),
            reserved_discount=d.optional(d.fraction(high_open=True)))
def gpu_hour_breakdown(instance: str = "p5.48xlarge", mode: str = "on-demand",
                       amortization_years: float = 4.0,
                       reserved_discount: float | None = None) -> pd.DataFrame:
    """What lies beneath a rented GPU-hour, on lesson 2's owned-cost basis (estimates).

    ``clusters.owned_cost`` gives the owner's cost per GPU-hour: the server (split here
    into the chip's catalog price, layer 1, and the rest of the server, layer 2), its
    share of the network and of the building (layer 2) and electricity at full load
    (layer 2). What the renter pays above that is the cloud's margin (layer 3):
    ``cloud.gpu_hour_price`` − owned cost (negative where the hour sells below it, as spot
    may). Returns layer, item, cost_or_margin_usd_per_gpu_hour, share_or_margin and function;
    rows sum to the rented price.
    """
    years = amortization_years
    rent = cloud.gpu_hour_price(instance, mode, reserved_discount=reserved_discount)
    chip = _accelerator(rent.accelerator)
    if chip.price_usd is None:
        raise ValueError(f"instance {rent.instance!r}'s chip {chip.name!r} has no catalog "
                         "price; choose an instance whose chip has price_usd")
    owned = clusters.owned_cost(chip, amortization_years=years)
    chip_h = min(chip.price_usd / (years * HOURS_PER_YEAR), owned.capital_usd_per_gpu_hour)
    parts = [
        (1, f"{chip.name} chip, amortized over {years:g} years", chip_h, "catalog.accelerator"),
        (2, "rest of the server (CPUs, memory, board, NICs)",
         owned.capital_usd_per_gpu_hour - chip_h, "clusters.owned_cost"),
        (2, "cluster network", owned.network_usd_per_gpu_hour, "clusters.owned_cost"),
        (2, "data-centre space, power and cooling plant", owned.facility_usd_per_gpu_hour,
         "clusters.owned_cost"),
        (2, "electricity at full load (PUE included)", owned.power_usd_per_gpu_hour,
         "clusters.owned_cost"),
    ]
    cost = sum(p[2] for p in parts)
    parts.append((3, f"cloud margin ({rent.instance} {rent.mode} − owned cost)",
                  rent.usd_per_gpu_hour - cost, "cloud.gpu_hour_price − clusters.owned_cost"))
    frame = pd.DataFrame(parts, columns=["layer", "item", "cost_or_margin_usd_per_gpu_hour",
                                         "function"])
    frame["share_or_margin"] = frame["cost_or_margin_usd_per_gpu_hour"] / rent.usd_per_gpu_hour
    return frame


@d.declared(api_model=d.name(examples=("GPT-5 mini",)),
            model=d.name(examples=("Llama 3 70B",)), instance=d.name(examples=("p5.48xlarge",)),
            input_tokens=d.optional(d.positive(high=MAX_TOKENS_PER_REQUEST,
                                               examples=(100.0, 2000.0))),
            output_tokens=d.optional(d.positive(high=MAX_TOKENS_PER_REQUEST,
                                                examples=(100.0, 1000.0))))
def api_price_breakdown(api_model: str, model: str = "Llama 3 70B",
                        instance: str = "p5.48xlarge", input_tokens: float | None = None,
                        output_tokens: float | None = None) -> pd.DataFrame:
    """An API's price per million tokens split into an estimated serving cost and margin.

    The cost is an estimate: ``model`` served by a provider on owned ``instance`` chips
    at the high ends of lesson 7's ranges (utilization and share of the roofline 0.8:
    a provider pools many customers' traffic), at 10 million users a day, no RAG; the
    margin is the list price minus it (negative: the provider sells below this cost, or
    serves faster hardware or lower precision than assumed). Rows: item,
    cost_or_margin_usd_per_mtok, share_or_margin (of the price), basis.
    """
    price = _api_price(api_model)
    base = Scenario()
    i = base.input_tokens if input_tokens is None else input_tokens
    o = base.output_tokens if output_tokens is None else output_tokens
    high = _assumed("serving_utilization_high")
    provider = Scenario(name=f"{price.model}, estimated", hosting="owned",
                        model=model,
                        instance=instance, users_per_day=1e7,
                        input_tokens=i, output_tokens=o, rag_chunks=0.0,
                        embedding_usd_per_mtok=0.0, utilization=high,
                        serving_efficiency=_assumed("serving_efficiency_high"))
    cost = trace(provider).usd_per_mtok
    list_price = (i * price.input_usd_per_mtok + o * price.output_usd_per_mtok) / (i + o)
    return pd.DataFrame([
        {"item": "estimated serving cost", "cost_or_margin_usd_per_mtok": cost,
         "basis": f"estimate: {model} on owned {instance} chips at utilization {high:g} "
                  "and 80 % of the roofline (stack.trace)"},
        {"item": "estimated margin", "cost_or_margin_usd_per_mtok": list_price - cost,
         "basis": f"estimate: {price.model} list price (as of {price.as_of}) − the cost"},
    ]).assign(share_or_margin=lambda f: f["cost_or_margin_usd_per_mtok"] / list_price)
