"""Prices: what an accelerator-hour costs on a catalog instance, on-demand, reserved or spot."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .. import catalog
from .._declare import choice, declared, flag, fraction, optional, positive
from .._declare import date as a_date
from .._results import Result
from ..clusters._specs import catalog_name
from ..units import DAYS_PER_MONTH, HOURS_PER_DAY

#: The ways to pay for a cloud GPU that the kit models.
MODES = ("on-demand", "reserved", "spot")

INSTANCE = catalog_name(catalog.Instance, "instance", ("p5.48xlarge", "p4d.24xlarge",
                                                       "tpu-v6e (per chip)"))
AS_OF = optional(a_date())
#: Saved by a 1- or 3-year commitment: a fraction in [0, 1).
RESERVED_DISCOUNT = fraction(high_open=True, examples=(0.4, 0.0, 0.72))


@dataclass(frozen=True)
class GpuHourPrice(Result):
    """What one accelerator-hour costs on one instance in one pricing mode."""

    instance: str
    provider: str
    region: str
    accelerator: str
    mode: str  # 'on-demand', 'reserved' or 'spot'
    usd_per_gpu_hour: float  # per accelerator: GPU, TPU or other chip (the glossary's "GPU")
    usd_per_instance_hour: float
    discount_vs_on_demand: float  # fraction of the on-demand price saved
    as_of: dt.date
    source: str


@declared(as_of=AS_OF, history=flag())
def gpu_hour_prices(as_of: str | dt.date | None = None, history: bool = False) -> pd.DataFrame:
    """Every catalog instance's price per accelerator-hour, on-demand and spot, with its date.

    Parameters
    ----------
    as_of : keep, per instance, the latest price on or before this date (default: the latest).
    history : keep every dated row instead (e.g. p5.48xlarge before and after the June 2025
        AWS price cut).

    Returns
    -------
    DataFrame with instance, provider, region, accelerator, accelerator_count,
    on_demand_usd_per_gpu_hour, spot_usd_per_gpu_hour (NaN where the catalog has no spot
    price), spot_discount, as_of and source, cheapest on-demand first.
    """
    frame = catalog.instances()
    if as_of is not None:
        frame = frame[frame["as_of"] <= pd.Timestamp(as_of)]
        if frame.empty:
            raise ValueError(f"as_of={as_of!s} is before every price in the catalog")
    if not history:
        frame = frame.sort_values("as_of").groupby(["instance", "provider", "region"]).tail(1)
    out = frame[["instance", "provider", "region", "accelerator", "accelerator_count"]].copy()
    out["on_demand_usd_per_gpu_hour"] = frame["usd_per_hour"] / frame["accelerator_count"]
    out["spot_usd_per_gpu_hour"] = frame["spot_usd_per_hour"] / frame["accelerator_count"]
    out["spot_discount"] = 1 - frame["spot_usd_per_hour"] / frame["usd_per_hour"]
    out["as_of"] = frame["as_of"]
    out["source"] = frame["source"]
    return out.sort_values(["on_demand_usd_per_gpu_hour", "as_of"]).reset_index(drop=True)


@declared(instance=INSTANCE, mode=choice(MODES), reserved_discount=optional(RESERVED_DISCOUNT),
          as_of=AS_OF)
def gpu_hour_price(instance: str | catalog.Instance, mode: str = "on-demand",
                   reserved_discount: float | None = None,
                   as_of: str | dt.date | None = None) -> GpuHourPrice:
    """The price of one accelerator-hour on ``instance`` in one pricing mode.

    on-demand: the catalog's list price ÷ accelerators per instance.
    spot: the catalog's spot price (lowest over the region's zones) ÷ accelerators.
    reserved: on-demand × (1 − reserved_discount). The discount is an input with no
    default: providers publish only ceilings — AWS EC2 Instance Savings Plans "up to
    72 %", Compute Savings Plans "up to 66 %" (AWS Savings Plans FAQs), Google Cloud
    resource-based commitments "up to 57 %" for GPUs (Compute Engine CUD docs); see
    ``catalog.assumptions()`` keys ``*_max_discount`` — not the rate for a given GPU
    instance and term, which comes from a quote.

    Parameters
    ----------
    instance : catalog instance name (``"p5.48xlarge"``) or an ``Instance`` row.
    mode : 'on-demand', 'reserved' or 'spot'.
    reserved_discount : fraction in [0, 1) saved by a 1- or 3-year commitment (reserved only).
    as_of : price on this date (the latest row on or before it); default the latest.
    """
    row = catalog.instance(instance, as_of=as_of)
    on_demand = row.usd_per_hour
    if mode != "reserved" and reserved_discount is not None:
        raise ValueError(f"reserved_discount={reserved_discount!r} applies to mode='reserved' "
                         f"only; mode={mode!r} would ignore it")
    if mode == "on-demand":
        per_instance, discount = on_demand, 0.0
    elif mode == "spot":
        if row.spot_usd_per_hour is None:
            raise ValueError(f"the catalog has no spot price for {row.instance} "
                             f"({row.provider} {row.region}, {row.as_of}); choose another "
                             "instance or mode")
        per_instance = row.spot_usd_per_hour
        discount = 1 - per_instance / on_demand
    else:
        if reserved_discount is None:
            raise ValueError("reserved_discount is required for mode='reserved' (a fraction, "
                             "e.g. 0.4): providers publish ceilings such as AWS 'up to 72%' "
                             "and GCP 'up to 57%', not a rate for each GPU instance")
        discount = reserved_discount
        per_instance = on_demand * (1 - discount)
    return GpuHourPrice(
        instance=row.instance, provider=row.provider, region=row.region,
        accelerator=row.accelerator, mode=mode,
        usd_per_gpu_hour=per_instance / row.accelerator_count,
        usd_per_instance_hour=per_instance, discount_vs_on_demand=discount,
        as_of=row.as_of, source=row.source,
    )


@declared()
def reserved_discount_ceiling() -> float:
    """The largest reserved discount a provider quotes: AWS EC2 Instance Savings Plans,
    "up to 72 %" (AWS Savings Plans FAQs). No commitment saves more."""
    return catalog.assumption("aws_ec2_instance_savings_plan_max_discount").value


@declared()
def gpu_commitment_discount() -> float:
    """Google Cloud's quoted ceiling for GPU commitments, "up to 57 %" (Compute Engine
    committed-use discount docs): the kit's reserved-discount scenario. A quote is
    usually lower."""
    return catalog.assumption("gcp_resource_cud_max_discount").value


@declared(instance=INSTANCE, reserved_discount=RESERVED_DISCOUNT,
          hours_per_month=positive(examples=(HOURS_PER_DAY * DAYS_PER_MONTH, 100.0)), as_of=AS_OF)
def pricing_modes(instance: str | catalog.Instance, reserved_discount: float,
                  hours_per_month: float = HOURS_PER_DAY * DAYS_PER_MONTH,
                  as_of: str | dt.date | None = None) -> pd.DataFrame:
    """On-demand, reserved and spot side by side for one instance: per GPU-hour and per month.

    ``hours_per_month`` defaults to running all month (730 h). Spot is left out when the
    catalog has no spot price for the instance. See :func:`gpu_hour_price` for each mode.
    """
    hours = hours_per_month
    rows = []
    for mode in MODES:
        try:
            price = gpu_hour_price.unchecked(
                instance, mode, reserved_discount if mode == "reserved" else None, as_of)
        except ValueError:
            if mode == "spot":
                continue
            raise
        rows.append({"mode": mode, "usd_per_gpu_hour": price.usd_per_gpu_hour,
                     "usd_per_instance_hour": price.usd_per_instance_hour,
                     "usd_per_instance_month": price.usd_per_instance_hour * hours,
                     "discount_vs_on_demand": price.discount_vs_on_demand,
                     "instance": price.instance, "accelerator": price.accelerator,
                     "as_of": pd.Timestamp(price.as_of)})
    return pd.DataFrame(rows)
