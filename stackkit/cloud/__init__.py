"""Layer 3 — cloud compute: pricing modes, spot jobs, rent vs buy, API bills, planning.

Pure functions: numbers in, numbers or small frozen dataclasses out. Prices come
from :mod:`stackkit.catalog` with their ``as_of`` dates; ownership cost comes from
:func:`stackkit.clusters.owned_cost` (lesson 2). Lesson 3 (``03_cloud.ipynb``)
introduces every function here. One idea per file:

- :mod:`.prices` — an accelerator-hour on-demand, reserved or spot;
- :mod:`.spot` — a checkpointed job under interruptions, in hours (Daly 2006; Monte Carlo);
- :mod:`.rent_vs_buy` — the utilization above which owning beats renting;
- :mod:`.api` — monthly LLM API bills;
- :mod:`.self_hosting` — always-on rented GPUs against an API's price per token;
- :mod:`.planning` — the cheapest mode to finish some GPU-hours by a deadline.
"""

from __future__ import annotations

from .api import (
    ApiBill,
    api_bill,
    api_monthly_cost,
    blended_usd_per_mtok,
    compare_api_bills,
)
from .planning import GpuHourPlan, plan_gpu_hours
from .prices import (
    MODES,
    GpuHourPrice,
    gpu_commitment_discount,
    gpu_hour_price,
    gpu_hour_prices,
    pricing_modes,
    reserved_discount_ceiling,
)
from .rent_vs_buy import (
    OwningNeverPaysOff,
    RentVsBuy,
    breakeven_table,
    breakeven_utilization,
    rent_vs_buy,
)
from .self_hosting import SelfHosting, self_hosting_breakeven, self_hosting_daily_usd
from .spot import (
    SpotJob,
    SpotVsOnDemand,
    best_checkpoint_interval_hours,
    expected_runtime_hours,
    spot_breakeven_discount,
    spot_job,
    spot_vs_on_demand,
)

__all__ = [
    "MODES",
    "ApiBill",
    "GpuHourPlan",
    "GpuHourPrice",
    "OwningNeverPaysOff",
    "RentVsBuy",
    "SelfHosting",
    "SpotJob",
    "SpotVsOnDemand",
    "api_bill",
    "api_monthly_cost",
    "best_checkpoint_interval_hours",
    "blended_usd_per_mtok",
    "breakeven_table",
    "breakeven_utilization",
    "compare_api_bills",
    "expected_runtime_hours",
    "gpu_hour_price",
    "gpu_hour_prices",
    "plan_gpu_hours",
    "pricing_modes",
    "rent_vs_buy",
    "self_hosting_breakeven",
    "self_hosting_daily_usd",
    "spot_breakeven_discount",
    "spot_job",
    "spot_vs_on_demand",
]
