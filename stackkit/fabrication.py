"""Layer 1 — from wafer to chip: dies per wafer, yield, what a chip costs to make, and
how many chips the packaging chokepoint lets through.

Pure functions: numbers in, numbers or small frozen dataclasses out.

The chain (Hennessy & Patterson, *Computer Architecture: A Quantitative Approach*,
section 1.6 "Trends in Cost"):

    dies per wafer   = π (d/2)² / A − π d / √(2 A)        (the gross-die formula)
    die yield        = Y(D₀ · A)                           (Poisson, Murphy, negative binomial)
    cost of a die    = wafer price / (dies per wafer × die yield)
    cost of a chip   = logic dies + HBM (GB × $/GB) + packaging + test and assembly

``d`` is the usable wafer diameter (the diameter less twice the edge exclusion) and
``A`` a die's footprint on the wafer, the die plus one scribe line on each axis.
Units: mm and mm² for geometry, defects per cm² for defect density (so D₀·A uses
the die area in cm²), US dollars for prices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from . import catalog
from ._declare import (
    choice,
    count,
    custom,
    declared,
    fraction,
    non_negative,
    number,
    optional,
    positive,
)
from ._results import Result

__all__ = [
    "YIELD_MODELS",
    "ChipCost",
    "PackagingCapacity",
    "chip_cost",
    "chip_cost_estimate",
    "die_yield",
    "dies_per_wafer",
    "packaging_capacity",
]

#: The defect-yield models :func:`die_yield` knows.
YIELD_MODELS = ("poisson", "murphy", "negative_binomial")

#: Largest wafer the functions accept (450 mm is the largest ever standardised).
MAX_WAFER_DIAMETER_MM = 1000.0


def _chip_cost_row(name: str, value: object) -> catalog.ChipCostRow:
    """A row of ``data/chip_costs.csv`` by chip name (KeyError with the nearest names)."""
    return catalog.chip_cost(value)


_AREA = positive(high=MAX_WAFER_DIAMETER_MM ** 2, examples=(814.0, 100.0, 1.0))
_DEFECTS = non_negative(high=1e6, examples=(0.1, 0.0, 0.05))
_WAFER = positive(high=MAX_WAFER_DIAMETER_MM, examples=(300.0, 200.0))


@declared(die_area_mm2=_AREA, wafer_diameter_mm=_WAFER,
          edge_exclusion_mm=non_negative(high=MAX_WAFER_DIAMETER_MM / 2, examples=(3.0, 0.0)),
          scribe_mm=non_negative(high=MAX_WAFER_DIAMETER_MM, examples=(0.1, 0.0)))
def dies_per_wafer(die_area_mm2: float, wafer_diameter_mm: float = 300.0,
                   edge_exclusion_mm: float = 3.0, scribe_mm: float = 0.1) -> int:
    """Gross dies on a round wafer: ⌊π d²/(4A) − π d/√(2A)⌋, never below 0.

    The first term is the wafer's usable area over a die's footprint; the second the
    partial dies lost around the edge (Hennessy & Patterson, *Computer Architecture: A
    Quantitative Approach*, section 1.6; the same formula with edge exclusion and
    scribe lines as in the calculator.academy "Die Per Wafer Calculator").

    Parameters
    ----------
    die_area_mm2 : the die's area; it is taken as square, so its footprint on the wafer
        is ``(√die_area_mm2 + scribe_mm)²``.
    wafer_diameter_mm : 300 for today's wafers.
    edge_exclusion_mm : the ring at the wafer's edge where no good die is printed;
        ``d = wafer_diameter_mm − 2·edge_exclusion_mm``.
    scribe_mm : the saw street between dies, added once to each side length.
    """
    area, wafer, edge, scribe = die_area_mm2, wafer_diameter_mm, edge_exclusion_mm, scribe_mm
    if 2 * edge >= wafer:
        raise ValueError(f"edge_exclusion_mm ({edge:g}) must be less than half of "
                         f"wafer_diameter_mm ({wafer:g}): nothing of the wafer is left")
    usable = wafer - 2 * edge
    footprint = (math.sqrt(area) + scribe) ** 2
    gross = math.pi * usable ** 2 / (4 * footprint) - math.pi * usable / math.sqrt(2 * footprint)
    return max(0, math.floor(gross))


@declared(die_area_mm2=_AREA, defects_per_cm2=_DEFECTS, model=choice(YIELD_MODELS),
          clustering=number(low=0.01, high=1e6, examples=(2.0, 4.0, 0.5)))
def die_yield(die_area_mm2: float, defects_per_cm2: float, model: str = "murphy",
              clustering: float = 2.0) -> float:
    """The fraction of dies with no killer defect, for a defect density D₀ and die area A.

    With λ = D₀·A (the mean number of defects on a die, A in cm²):

    - ``"poisson"``: Y = e^(−λ), defects scattered at random (Poisson statistics);
    - ``"murphy"``: Y = ((1 − e^(−λ)) / λ)², Murphy's triangular spread of defect
      density across wafers (B. T. Murphy, "Cost-size optima of monolithic integrated
      circuits", Proc. IEEE 52(12), 1964);
    - ``"negative_binomial"``: Y = (1 + λ/α)^(−α), defects that cluster, with the
      clustering parameter α = ``clustering`` (Stapper's model; Hennessy & Patterson
      use α = 4, Patterson & Hennessy's exercises α = 2). Large α tends to Poisson.

    All three agree when λ is small (Y ≈ 1 − λ) and part as λ grows: clustering
    leaves more dies clean than scattered defects do.
    """
    kind, alpha = model, clustering
    mean_defects = defects_per_cm2 * die_area_mm2 / 100.0  # mm² → cm²
    if mean_defects == 0:
        return 1.0
    if kind == "poisson":
        return math.exp(-mean_defects)
    if kind == "murphy":
        return (-math.expm1(-mean_defects) / mean_defects) ** 2
    return math.exp(-alpha * math.log1p(mean_defects / alpha))


@dataclass(frozen=True)
class ChipCost(Result):
    """What one packaged accelerator costs to make, part by part, beside its price."""

    dies_per_wafer: int  # gross dies of one logic die
    die_yield: float  # fraction of those with no killer defect
    good_dies_per_wafer: float
    logic_die_usd: float  # one good logic die
    logic_usd: float  # all the package's logic dies
    hbm_usd: float
    packaging_usd: float  # interposer / CoWoS assembly
    test_assembly_usd: float
    total_usd: float
    list_price_usd: float | None
    _derived: ClassVar[tuple[str, ...]] = ("margin_usd", "gross_margin")

    @property
    def margin_usd(self) -> float | None:
        """List price less the cost to make (None when no price is known)."""
        return None if self.list_price_usd is None else self.list_price_usd - self.total_usd

    @property
    def gross_margin(self) -> float | None:
        """Margin as a fraction of the list price."""
        if self.list_price_usd is None:
            return None
        return (self.list_price_usd - self.total_usd) / self.list_price_usd

    def parts(self) -> dict[str, float]:
        """The cost build-up, bottom to top, in USD (for a stacked bar)."""
        return {"logic dies": self.logic_usd, "HBM": self.hbm_usd,
                "packaging": self.packaging_usd, "test and assembly": self.test_assembly_usd}


@declared(die_area_mm2=_AREA, wafer_usd=positive(high=1e9, examples=(20_000.0, 17_000.0)),
          defects_per_cm2=_DEFECTS, hbm_gb=non_negative(high=1e6, examples=(80.0, 0.0)),
          hbm_usd_per_gb=non_negative(high=1e6, examples=(15.0, 0.0)),
          packaging_usd=non_negative(high=1e9, examples=(700.0, 0.0)),
          test_assembly_usd=non_negative(high=1e9, examples=(0.0, 150.0)),
          list_price_usd=optional(positive(high=1e12, examples=(30_000.0,))),
          logic_dies=count(high=64, examples=(1, 2)), yield_model=choice(YIELD_MODELS),
          wafer_diameter_mm=_WAFER)
def chip_cost(die_area_mm2: float, wafer_usd: float, defects_per_cm2: float,
              hbm_gb: float, hbm_usd_per_gb: float, packaging_usd: float,
              test_assembly_usd: float = 0.0, list_price_usd: float | None = None,
              logic_dies: int = 1, yield_model: str = "murphy",
              wafer_diameter_mm: float = 300.0) -> ChipCost:
    """The cost build-up of one accelerator: logic + HBM + packaging + test = total.

    A good logic die costs ``wafer_usd / (dies_per_wafer × die_yield)``
    (Hennessy & Patterson, section 1.6); a package holds ``logic_dies`` of them. HBM is
    bought by the gigabyte; packaging (interposer, CoWoS) and test are per package.
    Partial-die harvesting (selling a die with a few disabled cores) is ignored, so
    the logic cost is an upper estimate for chips that ship with units fused off.
    """
    gross = dies_per_wafer.unchecked(die_area_mm2, wafer_diameter_mm, 3.0, 0.1)
    wafer, memory, per_gb = wafer_usd, hbm_gb, hbm_usd_per_gb
    package, test, price, count = packaging_usd, test_assembly_usd, list_price_usd, logic_dies
    y = die_yield.unchecked(die_area_mm2, defects_per_cm2, yield_model, 2.0)
    good = gross * y
    if good < 1e-9:
        raise ValueError(f"die_area_mm2={die_area_mm2!r} with defects_per_cm2="
                         f"{defects_per_cm2!r} leaves no good die on a "
                         f"{wafer_diameter_mm:g} mm wafer ({gross} gross dies, yield {y:.3g})")
    die = wafer / good
    logic = count * die
    hbm = memory * per_gb
    total = logic + hbm + package + test
    return ChipCost(dies_per_wafer=gross, die_yield=y, good_dies_per_wafer=good,
                    logic_die_usd=die, logic_usd=logic, hbm_usd=hbm, packaging_usd=package,
                    test_assembly_usd=test, total_usd=total, list_price_usd=price)


@declared(name=custom(_chip_cost_row, examples=("H100 SXM", "B200", "MI300X"),
                      bad=(None, 3, "no such chip"), kind="chip"),
          defects_per_cm2=optional(_DEFECTS), hbm_usd_per_gb=optional(non_negative(high=1e6)),
          yield_model=choice(YIELD_MODELS), die_area_mm2=optional(_AREA))
def chip_cost_estimate(name: str, defects_per_cm2: float | None = None,
                       hbm_usd_per_gb: float | None = None,
                       yield_model: str = "murphy",
                       die_area_mm2: float | None = None) -> ChipCost:
    """:func:`chip_cost` for a row of ``data/chip_costs.csv`` (H100 SXM, B200, MI300X).

    Where the row gives a die area, the logic dies are modelled from its wafer price
    and defect density (override ``defects_per_cm2``, ``hbm_usd_per_gb`` or
    ``die_area_mm2`` to ask "what if"); where it does not (MI300X: chiplets on two
    nodes, and no ``die_area_mm2`` is given), the row's
    published logic cost is used as it stands. Every row is an estimate; see its source.
    """
    row = name  # the table's row (the declaration looked the name up)
    area = row.die_area_mm2 if die_area_mm2 is None else die_area_mm2
    density = row.defects_per_cm2 if defects_per_cm2 is None else defects_per_cm2
    per_gb = row.hbm_usd_per_gb if hbm_usd_per_gb is None else hbm_usd_per_gb
    packaging = row.packaging_usd
    test = row.test_assembly_usd or 0.0
    if area is None or row.wafer_usd is None or density is None:
        memory = per_gb * row.hbm_gb
        logic = row.logic_die_usd
        return ChipCost(dies_per_wafer=0, die_yield=1.0, good_dies_per_wafer=0.0,
                        logic_die_usd=logic, logic_usd=logic, hbm_usd=memory,
                        packaging_usd=packaging, test_assembly_usd=test,
                        total_usd=logic + memory + packaging + test,
                        list_price_usd=row.list_price_usd)
    return chip_cost(area, row.wafer_usd, density, row.hbm_gb, per_gb,
                     packaging, test, row.list_price_usd, row.logic_dies or 1, yield_model)


@dataclass(frozen=True)
class PackagingCapacity(Result):
    """Accelerators a packaging line can finish in a year, and what that builds."""

    wafers_per_month: float
    packages_per_wafer: float
    share: float  # of the capacity given to this chip
    chips_per_year: float
    cluster_gpus: int
    clusters_per_year: float


@declared(wafers_per_month=positive(high=1e9, examples=(35_000.0, 1.0)),
          packages_per_wafer=positive(high=1e6, examples=(29.0, 1.0)),
          share=fraction(low_open=True, examples=(1.0, 0.5)),
          cluster_gpus=count(examples=(100_000, 1)))
def packaging_capacity(wafers_per_month: float, packages_per_wafer: float,
                       share: float = 1.0, cluster_gpus: int = 100_000) -> PackagingCapacity:
    """Chips per year = wafers/month × 12 × packages per wafer × share; and clusters of
    ``cluster_gpus`` that makes. The worked question of lesson 1: with CoWoS as the
    chokepoint, how many H100-class chips a year, and how many 100k-GPU clusters?"""
    wafers, per_wafer, part, size = wafers_per_month, packages_per_wafer, share, cluster_gpus
    chips = wafers * 12 * per_wafer * part
    return PackagingCapacity(wafers_per_month=wafers, packages_per_wafer=per_wafer,
                             share=part, chips_per_year=chips, cluster_gpus=size,
                             clusters_per_year=chips / size)
