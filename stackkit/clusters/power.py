"""Power: from the chips to the server to the building's grid connection, and a year of it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import _checks, catalog
from .._results import Result
from ..units import HOURS_PER_YEAR

_DGX_H100_GPUS = 8
_PUE_MAX = 3.0  # no surveyed data centre is worse; a typo guard, not physics
_MAX_PER_RACK = 10_000  # nodes in a rack, GPUs in a node: a typo guard (NVL72 racks hold 72)


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


def default_pue() -> float:
    """The PUE the kit assumes unless told otherwise: 1.56, the average data centre in the
    Uptime Institute Global Data Center Survey 2024 (``pue_industry_average``)."""
    return catalog.assumption("pue_industry_average").value


def default_usd_per_kwh() -> float:
    """The electricity price the kit assumes unless told otherwise: $0.0806/kWh, the 2023 US
    industrial average (US EIA, Electric Power Monthly, Table 5.6.A)."""
    return catalog.assumption("electricity_usd_per_kwh").value


def _pue(pue: float | None) -> float:
    if pue is None:
        pue = default_pue()
    return _checks.in_range("pue", pue, 1.0, _PUE_MAX)


def _host_w(host_w_per_gpu: float | None) -> float:
    if host_w_per_gpu is None:
        return host_overhead_w_per_gpu()
    return _checks.non_negative("host_w_per_gpu", host_w_per_gpu)


def gpu_power_mw(n_gpus: int, chip: str | catalog.Accelerator) -> float:
    """The chips alone at TDP, in MW: n · TDP / 10⁶ (10,000 H100 SXM → 7 MW)."""
    n = _checks.positive_int("n_gpus", n_gpus)
    _, tdp = _tdp_w(chip)
    return n * tdp / 1e6


def it_power_mw(n_gpus: int, chip: str | catalog.Accelerator,
                host_w_per_gpu: float | None = None) -> float:
    """Chips plus their servers, in MW: n · (TDP + host overhead) / 10⁶.

    ``host_w_per_gpu`` defaults to :func:`host_overhead_w_per_gpu` (575 W, from
    the DGX H100's 10.2 kW); network switches and storage are not included.
    """
    n = _checks.positive_int("n_gpus", n_gpus)
    _, tdp = _tdp_w(chip)
    return n * (tdp + _host_w(host_w_per_gpu)) / 1e6


def facility_power_mw(n_gpus: int, chip: str | catalog.Accelerator, pue: float | None = None,
                      host_w_per_gpu: float | None = None) -> float:
    """What the building draws from the grid, in MW: IT power × PUE.

    PUE (power usage effectiveness, The Green Grid 2007) = facility / IT power;
    default the Uptime Institute 2024 survey average, 1.56. It must lie in [1, 3].
    """
    return it_power_mw(n_gpus, chip, host_w_per_gpu) * _pue(pue)


def annual_energy_mwh(power_mw: float, utilization: float = 1.0) -> float:
    """Energy in a year at ``power_mw``, busy a fraction ``utilization``: P · 8,760 h · u."""
    p = _checks.non_negative("power_mw", power_mw)
    u = _checks.in_range("utilization", utilization, 0.0, 1.0)
    return p * HOURS_PER_YEAR * u


def rack_power_kw(chip: str | catalog.Accelerator, nodes_per_rack: int, gpus_per_node: int = 8,
                  host_w_per_gpu: float | None = None) -> float:
    """IT power of one rack in kW: nodes · GPUs per node · (TDP + host overhead)."""
    nodes = _checks.positive_int("nodes_per_rack", nodes_per_rack, high=_MAX_PER_RACK)
    g = _checks.positive_int("gpus_per_node", gpus_per_node, high=_MAX_PER_RACK)
    return it_power_mw(nodes * g, chip, host_w_per_gpu) * 1e3


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
    n = _checks.positive_int("n_gpus", n_gpus)
    g = _checks.positive_int("gpus_per_node", gpus_per_node)
    if usd_per_kwh is None:
        usd_per_kwh = default_usd_per_kwh()
    price = _checks.non_negative("usd_per_kwh", usd_per_kwh)
    host = _host_w(host_w_per_gpu)
    p = _pue(pue)
    facility = facility_power_mw(n, accelerator, p, host)
    mwh = annual_energy_mwh(facility, utilization)
    co2 = None
    if grid_kg_co2_per_kwh is not None:
        intensity = _checks.non_negative("grid_kg_co2_per_kwh", grid_kg_co2_per_kwh)
        co2 = mwh * intensity  # MWh · kg/kWh = tonnes
    return ClusterPower(
        chip=accelerator.name, n_gpus=n, gpus_per_node=g, n_nodes=math.ceil(n / g),
        node_power_kw=g * (tdp + host) / 1e3, chips_mw=gpu_power_mw(n, accelerator),
        it_mw=it_power_mw(n, accelerator, host), facility_mw=facility, pue=p,
        utilization=float(utilization), annual_mwh=mwh, usd_per_kwh=price,
        annual_electricity_usd=mwh * 1e3 * price,
        grid_kg_co2_per_kwh=None if grid_kg_co2_per_kwh is None else float(grid_kg_co2_per_kwh),
        annual_co2_tonnes=co2,
    )
