"""Ownership: what one owned GPU costs per hour — server, network, facility, power, staff."""

from __future__ import annotations

from dataclasses import dataclass

from .. import _checks, catalog
from .._declare import declared, fraction, non_negative, optional, positive
from .._results import Result
from ..units import HOURS_PER_YEAR
from ._specs import CHIP, PRICE_PER_KWH, PUE
from .power import _pue, _tdp_w, default_usd_per_kwh, host_overhead_w_per_gpu

_DGX_H100_GPUS = 8
_DGX_A100_GPUS = 8


def _server_prices() -> dict[str, tuple[str, float]]:
    return {
        "H100 SXM": ("dgx_h100_price_usd", _DGX_H100_GPUS),
        "A100 SXM 40GB": ("dgx_a100_price_usd", _DGX_A100_GPUS),
    }


@declared(chip=CHIP)
def server_price_usd_per_gpu(chip: str | catalog.Accelerator) -> float:
    """An 8-GPU server's price divided by its GPUs (USD), where a sourced price exists.

    H100 SXM: DGX H100 ≈ $270,000 (SemiAnalysis estimate, May 2023, as used by
    Epoch AI) → $33,750. A100 SXM 40GB: DGX A100 launch price $199,000 (GTC
    2020) → $24,875. Other chips raise ``ValueError``: pass a price yourself.
    """
    accelerator = catalog.accelerator(chip)
    known = _server_prices()
    if accelerator.name not in known:
        raise ValueError(f"no sourced server price for chip {accelerator.name!r}; known: "
                         f"{', '.join(map(repr, known))}. Pass capital_usd_per_gpu yourself")
    key, gpus = known[accelerator.name]
    return catalog.assumption(key).value / gpus


@dataclass(frozen=True)
class OwnedCost(Result):
    """What one owned GPU costs per hour, split into its parts (USD per GPU-hour).

    One basis for every lesson: the server, its share of the cluster network, the facility
    (space, power and cooling infrastructure, priced as wholesale colocation per kW), the
    electricity, and any operations.
    """

    _derived = ("fixed_usd_per_gpu_hour", "usd_per_gpu_hour")

    chip: str
    capital_usd_per_gpu_hour: float  # server purchase spread over every hour of its life
    power_usd_per_gpu_hour: float  # electricity while running: GPU + host, times PUE
    ops_usd_per_gpu_hour: float  # staff, maintenance
    amortization_years: float
    pue: float
    usd_per_kwh: float
    network_usd_per_gpu_hour: float = 0.0  # the GPU's share of the cluster network
    facility_usd_per_gpu_hour: float = 0.0  # data-centre space, power and cooling per kW

    @property
    def fixed_usd_per_gpu_hour(self) -> float:
        """Paid whether or not the GPU is busy: server, network, facility and operations."""
        return (self.capital_usd_per_gpu_hour + self.network_usd_per_gpu_hour
                + self.facility_usd_per_gpu_hour + self.ops_usd_per_gpu_hour)

    @property
    def usd_per_gpu_hour(self) -> float:
        """Total cost of a GPU-hour at 100 % utilization."""
        return self.fixed_usd_per_gpu_hour + self.power_usd_per_gpu_hour

    def usd_per_used_gpu_hour(self, utilization: float) -> float:
        """Cost per *useful* GPU-hour when the GPU is busy a fraction ``utilization`` of the time.

        Fixed costs are spread over fewer useful hours; power is paid only when busy.
        """
        u = _checks.in_range("utilization", utilization, 0.0, 1.0, low_open=True)
        return self.fixed_usd_per_gpu_hour / u + self.power_usd_per_gpu_hour


@declared()
def network_cost_fraction() -> float:
    """The cluster network's share of total cluster hardware cost: 0.19.

    Epoch AI's training-cost model (Cottier et al. 2024, "The rising costs of training frontier
    AI models", arXiv 2405.21015; ``CLUSTER_INTERCONNECT_COST_FRACTION``): server cost is
    multiplied by 1 / (1 − 0.19) to include switches, NICs, cables and optics.
    """
    return catalog.assumption("cluster_network_cost_fraction").value


@declared()
def colocation_usd_per_kw_month() -> float:
    """Wholesale colocation, per kW of IT load per month: $184.06 (CBRE, H2 2024 average
    asking rate for 250–500 kW across North American primary markets)."""
    return catalog.assumption("colocation_usd_per_kw_month").value


@declared(chip=CHIP, capital_usd_per_gpu=optional(positive(examples=(33_750.0, 25_000.0))),
          amortization_years=positive(examples=(4.0, 3.0, 6.0)), pue=PUE,
          usd_per_kwh=PRICE_PER_KWH, ops_usd_per_gpu_hour=non_negative(examples=(0.0, 0.5)),
          network_fraction=optional(fraction(high_open=True, examples=(0.19, 0.0, 0.5))),
          facility_usd_per_kw_month=optional(non_negative(examples=(184.06, 0.0))))
def owned_cost(chip: str | catalog.Accelerator, capital_usd_per_gpu: float | None = None,
               amortization_years: float = 4.0, pue: float | None = None,
               usd_per_kwh: float | None = None, ops_usd_per_gpu_hour: float = 0.0,
               network_fraction: float | None = None,
               facility_usd_per_kw_month: float | None = None) -> OwnedCost:
    """Cost per GPU-hour of owning ``chip`` rather than renting it.

    server per hour   = capital_usd_per_gpu / (amortization_years · 8,760 h)
    network per hour  = server per hour · f / (1 − f), f the network's share of cluster cost
    facility per hour = (TDP + host overhead) in kW · colocation $ per kW-month / 730 h
    power per hour    = (TDP + host overhead) · PUE · price per kWh (only while busy)

    Parameters
    ----------
    chip : catalog name or Accelerator (needs a published TDP).
    capital_usd_per_gpu : purchase price of the server divided by its GPUs (USD);
        default :func:`server_price_usd_per_gpu` (H100 SXM and A100 SXM 40GB only).
    amortization_years : straight-line depreciation period of server and network.
    pue : facility power / IT power; default the Uptime Institute 2024 industry average.
    usd_per_kwh : electricity price; default the 2023 US industrial average (EIA).
    ops_usd_per_gpu_hour : staff and maintenance per GPU-hour.
    network_fraction : the network's share of cluster hardware cost; default
        :func:`network_cost_fraction` (0.19, Epoch AI); 0 leaves the network out.
    facility_usd_per_kw_month : data-centre space, power and cooling infrastructure, priced
        as wholesale colocation; default :func:`colocation_usd_per_kw_month` (CBRE); 0 leaves
        the building out.
    """
    accelerator, tdp = _tdp_w(chip)
    capital = (server_price_usd_per_gpu.unchecked(accelerator) if capital_usd_per_gpu is None
               else capital_usd_per_gpu)
    years, p, ops = amortization_years, _pue(pue), ops_usd_per_gpu_hour
    price = default_usd_per_kwh() if usd_per_kwh is None else usd_per_kwh
    f = network_cost_fraction() if network_fraction is None else network_fraction
    colo = (colocation_usd_per_kw_month() if facility_usd_per_kw_month is None
            else facility_usd_per_kw_month)
    it_kw = (tdp + host_overhead_w_per_gpu()) / 1e3
    server_per_hour = capital / (years * HOURS_PER_YEAR)
    return OwnedCost(
        chip=accelerator.name,
        capital_usd_per_gpu_hour=server_per_hour,
        power_usd_per_gpu_hour=it_kw * p * price,
        ops_usd_per_gpu_hour=ops,
        amortization_years=years,
        pue=p,
        usd_per_kwh=price,
        network_usd_per_gpu_hour=server_per_hour * f / (1 - f),
        facility_usd_per_gpu_hour=it_kw * colo / (HOURS_PER_YEAR / 12),
    )
