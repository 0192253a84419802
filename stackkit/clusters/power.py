"""Power: from the chips to the server to the building's grid connection, and a year of it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import catalog
from .._declare import count, declared, fraction, non_negative, optional
from .._results import Result
from ..units import HOURS_PER_YEAR
from ._specs import CHIP, HOST_W, PRICE_PER_KWH, PUE

_DGX_H100_GPUS = 8
_MAX_PER_RACK = 10_000  # nodes in a rack, GPUs in a node: a typo guard (NVL72 racks hold 72)


@declared()
def host_overhead_w_per_gpu() -> float:
    """Server power beyond the GPUs, per GPU: CPUs, memory, NICs, fans, power-supply losses.

    Derived from the DGX H100's 10.2 kW maximum system power (NVIDIA DGX H100
    User Guide) minus its eight 700 W H100 SXM boards: (10,200 − 8·700) / 8 = 575 W.
    """
    system_w = catalog.assumption("dgx_h100_system_power_w").value
    gpu_w = catalog.accelerator("H100 SXM").tdp_w
    return (system_w - _DGX_H100_GPUS * gpu_w) / _DGX_H100_GPUS


def _tdp_w(chip: str | catalog.Accelerator) -> tuple[catalog.Accelerator, float]:
    accelerator = catalog.accelerator(chip)
    if accelerator.tdp_w is None:
        raise ValueError(f"chip {accelerator.name!r} has no published TDP, so its power "
                         "is unknown; choose a chip with tdp_w in the catalog")
    return accelerator, accelerator.tdp_w


@declared()
def default_pue() -> float:
    """The PUE the kit assumes unless told otherwise: 1.56, the average data centre in the
    Uptime Institute Global Data Center Survey 2024 (``pue_industry_average``)."""
    return catalog.assumption("pue_industry_average").value


@declared()
def default_usd_per_kwh() -> float:
    """The electricity price the kit assumes unless told otherwise: $0.0806/kWh, the 2023 US
    industrial average (US EIA, Electric Power Monthly, Table 5.6.A)."""
    return catalog.assumption("electricity_usd_per_kwh").value


def _pue(pue: float | None) -> float:
    """``pue`` (checked by the caller's declaration), or the default."""
    return default_pue() if pue is None else pue


def _host_w(host_w_per_gpu: float | None) -> float:
    """``host_w_per_gpu`` (checked by the caller's declaration), or the default."""
    return host_overhead_w_per_gpu() if host_w_per_gpu is None else host_w_per_gpu


@declared(n_gpus=count(), chip=CHIP)
def gpu_power_mw(n_gpus: int, chip: str | catalog.Accelerator) -> float:
    """The chips alone at TDP, in MW: n · TDP / 10⁶ (10,000 H100 SXM → 7 MW)."""
    _, tdp = _tdp_w(chip)
    return n_gpus * tdp / 1e6


@declared(n_gpus=count(), chip=CHIP, host_w_per_gpu=HOST_W)
def it_power_mw(n_gpus: int, chip: str | catalog.Accelerator,
                host_w_per_gpu: float | None = None) -> float:
    """Chips plus their servers, in MW: n · (TDP + host overhead) / 10⁶.

    ``host_w_per_gpu`` defaults to :func:`host_overhead_w_per_gpu` (575 W, from
    the DGX H100's 10.2 kW); network switches and storage are not included.
    """
    _, tdp = _tdp_w(chip)
    return n_gpus * (tdp + _host_w(host_w_per_gpu)) / 1e6


@declared(n_gpus=count(), chip=CHIP, pue=PUE, host_w_per_gpu=HOST_W)
def facility_power_mw(n_gpus: int, chip: str | catalog.Accelerator, pue: float | None = None,
                      host_w_per_gpu: float | None = None) -> float:
    """What the building draws from the grid, in MW: IT power × PUE.

    PUE (power usage effectiveness, The Green Grid 2007) = facility / IT power;
    default the Uptime Institute 2024 survey average, 1.56. It must lie in [1, 3].
    """
    return it_power_mw.unchecked(n_gpus, chip, host_w_per_gpu) * _pue(pue)


@declared(power_mw=non_negative(examples=(10.0, 0.0, 150.0)), utilization=fraction())
def annual_energy_mwh(power_mw: float, utilization: float = 1.0) -> float:
    """Energy in a year at ``power_mw``, busy a fraction ``utilization``: P · 8,760 h · u."""
    return power_mw * HOURS_PER_YEAR * utilization


@declared(chip=CHIP, nodes_per_rack=count(high=_MAX_PER_RACK, examples=(4, 9, 1)),
          gpus_per_node=count(high=_MAX_PER_RACK, examples=(8, 4)), host_w_per_gpu=HOST_W)
def rack_power_kw(chip: str | catalog.Accelerator, nodes_per_rack: int, gpus_per_node: int = 8,
                  host_w_per_gpu: float | None = None) -> float:
    """IT power of one rack in kW: nodes · GPUs per node · (TDP + host overhead)."""
    return it_power_mw.unchecked(nodes_per_rack * gpus_per_node, chip, host_w_per_gpu) * 1e3


@dataclass(frozen=True)
class ClusterPower(Result):
    """A cluster's power from the chips to the grid, and a year of it in MWh and dollars."""

    chip: str
    n_gpus: int
    gpus_per_node: int
    n_nodes: int
    node_power_kw: float  # one server: its GPUs at TDP plus host overhead
    chips_mw: float
    it_mw: float
    facility_mw: float
    pue: float
    utilization: float
    annual_mwh: float  # facility energy over a year at this utilization
    usd_per_kwh: float
    annual_electricity_usd: float
    grid_kg_co2_per_kwh: float | None  # None: CO2 not computed
    annual_co2_tonnes: float | None

    @property
    def host_mw(self) -> float:
        """Servers beyond the chips: CPUs, memory, NICs, fans, supply losses."""
        return self.it_mw - self.chips_mw

    @property
    def facility_overhead_mw(self) -> float:
        """Cooling and power distribution: facility − IT."""
        return self.facility_mw - self.it_mw


@declared(n_gpus=count(examples=(1024, 8, 1)), chip=CHIP, gpus_per_node=count(examples=(8, 4)),
          pue=PUE, usd_per_kwh=PRICE_PER_KWH, utilization=fraction(), host_w_per_gpu=HOST_W,
          grid_kg_co2_per_kwh=optional(non_negative(examples=(0.4, 0.0))))
def cluster_power(n_gpus: int, chip: str | catalog.Accelerator = "H100 SXM",
                  gpus_per_node: int = 8, pue: float | None = None,
                  usd_per_kwh: float | None = None, utilization: float = 1.0,
                  host_w_per_gpu: float | None = None,
                  grid_kg_co2_per_kwh: float | None = None) -> ClusterPower:
    """Power at each level (chips, IT, facility) and a year's energy, bill and optional CO2.

    annual MWh = facility MW · 8,760 h · utilization; bill = MWh · 1,000 · $/kWh;
    CO2 = MWh · 1,000 · kg/kWh / 1,000 (only if ``grid_kg_co2_per_kwh`` is given;
    the kit ships no default grid intensity). Defaults: PUE 1.56 (Uptime 2024),
    $0.0806/kWh (EIA 2023 US industrial average), host overhead 575 W per GPU.
    """
    accelerator, tdp = _tdp_w(chip)
    n, g = n_gpus, gpus_per_node
    price = default_usd_per_kwh() if usd_per_kwh is None else usd_per_kwh
    host = _host_w(host_w_per_gpu)
    p = _pue(pue)
    facility = facility_power_mw.unchecked(n, accelerator, p, host)
    mwh = annual_energy_mwh.unchecked(facility, utilization)
    co2 = None if grid_kg_co2_per_kwh is None else mwh * grid_kg_co2_per_kwh  # MWh·kg/kWh = t
    return ClusterPower(
        chip=accelerator.name, n_gpus=n, gpus_per_node=g, n_nodes=math.ceil(n / g),
        node_power_kw=g * (tdp + host) / 1e3, chips_mw=gpu_power_mw.unchecked(n, accelerator),
        it_mw=it_power_mw.unchecked(n, accelerator, host), facility_mw=facility, pue=p,
        utilization=utilization, annual_mwh=mwh, usd_per_kwh=price,
        annual_electricity_usd=mwh * 1e3 * price, grid_kg_co2_per_kwh=grid_kg_co2_per_kwh,
        annual_co2_tonnes=co2,
    )
