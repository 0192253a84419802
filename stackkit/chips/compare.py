"""Chips side by side: one operation on several rooflines, and chips ranked by value for
money (TFLOP/s per dollar, per watt)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .. import _checks, catalog
from .._declare import choice, custom, declared
from .._results import Result
from ._params import PEAK_COLUMNS, PRECISION
from .roofline import (
    INTENSITY,
    attainable_tflops,
    bound,
    memory_bw_tb_s,
    peak_tflops,
    precisions,
    ridge_point,
)

# --------------------------------------------------------------------------- several chips

@dataclass(frozen=True, eq=False)
class RooflineView(Result):
    """Where one operation lands on several chips' rooflines."""

    intensity_flop_per_byte: float
    precision: str
    label: str  # what the operation is, for titles
    rows: pd.DataFrame  # one row per chip: peak, bandwidth, ridge, attainable, bound
    skipped: tuple[str, ...] = field(default=())  # chips without a figure at this precision
    warnings: tuple[str, ...] = field(default=())  # e.g. the model and its KV cache do not fit

    def to_frame(self) -> pd.DataFrame:
        return self.rows.copy()

    def _repr_html_(self) -> str:
        return self.rows.to_html(index=False, float_format=lambda x: f"{x:,.4g}")


def _chip_list(param: str, value: object) -> list[object]:
    return _checks.sequence(param, value, single=(str, catalog.Accelerator))


def _label(param: str, value: object) -> str:
    if isinstance(value, str):
        return value
    raise ValueError(f"{param} must be a string (a title for the operation); got {value!r}")


@declared(chip_list=custom(_chip_list, examples=(["H100 SXM", "TPU v5e", "Groq LPU"], "MI300X"),
                           bad=(None, 3, [], {"H100 SXM": 1}), kind="chips"),
          intensity=INTENSITY, precision=PRECISION,
          label=custom(_label, examples=("", "decode step"), bad=(None, 3), kind="label"))
def roofline_view(chip_list: object, intensity: float, precision: str = "bf16",
                  label: str = "") -> RooflineView:
    """Attainable TFLOP/s and the bound of an operation of ``intensity`` on each chip.

    ``chip_list`` holds names or Accelerators (one chip alone is accepted too).
    Chips with no figure at ``precision`` are listed in ``skipped``; if none has
    one, ``ValueError``.
    """
    rows, skipped = [], []
    for name in chip_list:
        accelerator = catalog.accelerator.unchecked(name)
        if precision not in precisions.unchecked(accelerator):
            skipped.append(accelerator.name)
            continue
        peak = peak_tflops.unchecked(accelerator, precision)
        attainable = attainable_tflops.unchecked(accelerator, intensity, precision)
        rows.append({
            "chip": accelerator.name,
            "vendor": accelerator.vendor,
            "peak_tflops": peak,
            "memory_bw_tb_s": memory_bw_tb_s.unchecked(accelerator),
            "ridge_flop_per_byte": ridge_point.unchecked(accelerator, precision),
            "attainable_tflops": attainable,
            "percent_of_peak": 100.0 * attainable / peak,
            "bound": bound.unchecked(accelerator, intensity, precision),
        })
    if not rows:
        raise ValueError(f"none of the chips in chip_list ({', '.join(skipped)}) has a "
                         f"{precision} figure in the catalog; choose another precision or chip")
    return RooflineView(intensity, precision, label, pd.DataFrame(rows), tuple(skipped))


# --------------------------------------------------------------------------- value for money

#: Cost metrics :func:`rank_chips` knows: name -> (numerator column, denominator, description).
COST_METRICS: dict[str, tuple[str, str, str]] = {
    "tflops_per_kusd": ("peak_tflops", "price_kusd",
                        "dense TFLOP/s per $1,000 of chip price (price an estimate)"),
    "gflops_per_w": ("peak_gflops", "tdp_w", "dense GFLOP/s per watt of board power"),
    "memory_gb_per_kusd": ("weight_capacity_gb", "price_kusd",
                           "GB of memory per $1,000 of chip price (price an estimate)"),
    "bandwidth_gb_s_per_kusd": ("bandwidth_gb_s", "price_kusd",
                                "GB/s of memory bandwidth per $1,000 (price an estimate)"),
}


def _weight_capacity_gb(name: str) -> float:
    """Accelerator.weight_capacity_gb (the one definition), NaN where the catalog has neither
    memory nor SRAM for the chip (left out of the ranking, never guessed)."""
    accelerator = catalog.accelerator.unchecked(name)
    if accelerator.memory_gb is None and accelerator.sram_mb is None:
        return float("nan")
    return float(accelerator.weight_capacity_gb)


@declared(metric=choice(tuple(COST_METRICS)), precision=PRECISION)
def rank_chips(metric: str = "tflops_per_kusd", precision: str = "bf16") -> pd.DataFrame:
    """Chips ranked by a value-for-money metric, best first.

    Metrics (:data:`COST_METRICS`): ``tflops_per_kusd``, ``gflops_per_w``,
    ``memory_gb_per_kusd``, ``bandwidth_gb_s_per_kusd``. Chips without the
    figures a metric needs (no price, no TDP, no peak at ``precision``) are left
    out, never shown as NaN. Prices in the catalog are estimates (``price_note``
    says from where); the ``as_of`` column dates each row.
    """
    numerator, denominator, _ = COST_METRICS[metric]
    frame = catalog.accelerators()
    table = pd.DataFrame({
        "chip": frame["name"],
        "vendor": frame["vendor"],
        "peak_tflops": frame[PEAK_COLUMNS[precision]],
        "bandwidth_gb_s": frame["memory_bw_tb_s"] * 1e3,
        "weight_capacity_gb": frame["name"].map(_weight_capacity_gb),
        "tdp_w": frame["tdp_w"],
        "price_usd": frame["price_usd"],
        "price_note": frame["price_note"],
        "as_of": frame["as_of"],
    })
    table["peak_gflops"] = table["peak_tflops"] * 1e3
    table["price_kusd"] = table["price_usd"] / 1e3
    table = table.dropna(subset=[numerator, denominator])
    if table.empty:
        raise ValueError(f"no chip in the catalog has the figures for {metric} at {precision}")
    table[metric] = table[numerator] / table[denominator]
    keep = ["chip", "vendor", metric, numerator if numerator != "peak_gflops" else "peak_tflops",
            "tdp_w" if denominator == "tdp_w" else "price_usd"]
    if denominator == "price_kusd":
        keep.append("price_note")
    keep.append("as_of")
    return (table.sort_values(metric, ascending=False, kind="stable")[keep]
            .reset_index(drop=True))
