"""A whole run: days (with failures), GPU-hours, dollars and MWh; the MFU a published run implies.

Lessons 2 and 3's prices, power and failures (``clusters``, ``cloud``, ``reliability``).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real

from .. import _checks, catalog, chips, cloud, clusters, reliability
from .._declare import (
    choice,
    count,
    declared,
    fraction,
    name,
    non_negative,
    number,
    optional,
    positive,
)
from .._results import Result
from ..units import HOURS_PER_DAY, SECONDS_PER_HOUR
from ._specs import CHIP, MODEL_OR_PARAMS
from .compute import _active_params, _spec, days, flops

PRICE_MODES = ("on-demand", "reserved", "spot", "owned")


@dataclass(frozen=True)
class TrainingRun(Result):
    """A whole training run: compute, time (with failures), GPU-hours, money and energy."""

    model: str
    chip: str
    n_gpus: int
    n_params: float  # parameters a token passes through (active for MoE)
    n_tokens: float
    flops: float  # 6·N·D (the convention of published figures)
    mfu: float
    achieved_tflops_per_gpu: float
    compute_days: float  # flops / (n · achieved), no failures
    goodput: float  # useful share of wall-clock time (reliability model; 1 = no failures)
    days: float  # wall clock: compute_days / goodput
    gpu_hours: float
    price_mode: str
    usd_per_gpu_hour: float
    price_source: str
    usd: float
    facility_mw: float
    energy_mwh: float  # facility energy: IT power · PUE · wall-clock hours


def _instance_for(chip: catalog.Accelerator, mode: str) -> str:
    """The catalog instance a run on ``chip`` would rent: each instance's latest price, the
    cheapest per GPU-hour (for spot, among those with a spot price); on a tie the larger
    server, as a training run rents whole 8-GPU nodes."""
    frame = catalog.instances()
    rows = frame[frame["accelerator"] == chip.name].sort_values("as_of")
    latest = rows.groupby("instance").tail(1)
    # Every mode prices the same offer: a cloud that sells on-demand, reserved and spot (a GPU
    # cloud or a capacity block in the catalog sells one mode only and has no spot price).
    all_modes = latest[latest["spot_usd_per_hour"].notna()]
    if mode == "spot" or not all_modes.empty:
        latest = all_modes
    if latest.empty:
        raise ValueError(f"the catalog has no cloud instance with {chip.name!r}"
                         + (" and a spot price" if mode == "spot" else "")
                         + "; pass usd_per_gpu_hour or use price_mode='owned'")
    column = "spot_usd_per_hour" if mode == "spot" else "usd_per_hour"
    best = latest.assign(per_gpu=latest[column] / latest["accelerator_count"]).sort_values(
        ["per_gpu", "accelerator_count"], ascending=[True, False])
    return str(best["instance"].iloc[0])


def _price(chip: catalog.Accelerator, mode: str, instance: str | None,
           reserved_discount: float | None, usd_per_gpu_hour: float | None) -> tuple[float, str]:
    if usd_per_gpu_hour is not None:
        for name, value in (("instance", instance), ("reserved_discount", reserved_discount)):
            if value is not None:
                raise ValueError(f"{name}={value!r} would be ignored: usd_per_gpu_hour sets the "
                                 "price outright; pass one or the other")
        return _checks.positive("usd_per_gpu_hour", usd_per_gpu_hour), "given"
    if mode == "owned":
        for name, value in (("instance", instance), ("reserved_discount", reserved_discount)):
            if value is not None:
                raise ValueError(f"{name}={value!r} prices a rented instance; price_mode="
                                 "'owned' costs the chip from lesson 2's ownership model instead")
        owned = clusters.owned_cost(chip)
        return owned.usd_per_gpu_hour, (f"owned {chip.name}: server and network over "
                                        f"{owned.amortization_years:g} years, facility, power")
    price = cloud.gpu_hour_price(_instance_for(chip, mode) if instance is None else instance, mode,
                                 reserved_discount=reserved_discount)
    return price.usd_per_gpu_hour, (f"{price.instance} {price.mode} ({price.provider}, "
                                    f"as of {price.as_of})")


#: The chip :func:`training_run` and the planner assume when none is named.
DEFAULT_CHIP = "H100 SXM"


def _run_chip(chip: object, instance: object) -> catalog.Accelerator:
    """The run's chip: ``chip``, else the ``instance``'s accelerator, else DEFAULT_CHIP; a
    chip that is not the instance's raises."""
    if instance is None:
        return catalog.accelerator(DEFAULT_CHIP if chip is None else chip)
    rented = catalog.accelerator(catalog.instance(instance).accelerator)
    if chip is None:
        return rented
    accelerator = catalog.accelerator(chip)
    if accelerator.name != rented.name:
        raise ValueError(f"instance={instance!r} rents {rented.name} GPUs, but chip="
                         f"{accelerator.name!r}; give the instance's chip or another instance")
    return accelerator


@declared(model=MODEL_OR_PARAMS, n_tokens=positive(examples=(15e12, 1e9)), chip=optional(CHIP),
          n_gpus=count(), mfu=fraction(low_open=True, examples=(0.4, 0.1)),
          price_mode=choice(PRICE_MODES), instance=optional(name(examples=("p5.48xlarge",))),
          reserved_discount=optional(fraction(high_open=True, examples=(0.4,))),
          usd_per_gpu_hour=optional(positive(examples=(2.0,))),
          checkpoint_s=optional(positive(examples=(120.0,))),
          restart_s=non_negative(examples=(0.0, 900.0)),
          gpu_mtbf_hours=optional(positive(high=_checks.LIMIT / SECONDS_PER_HOUR,
                                           examples=(50_000.0,))),
          pue=optional(number(low=1.0, high=10.0, examples=(1.08, 1.56))))
def training_run(model: str | catalog.ModelSpec | float, n_tokens: float,
                 chip: str | catalog.Accelerator | None = None, n_gpus: int = 1024,
                 mfu: float = 0.4, price_mode: str = "on-demand", instance: str | None = None,
                 reserved_discount: float | None = None, usd_per_gpu_hour: float | None = None,
                 checkpoint_s: float | None = None, restart_s: float = 0.0,
                 gpu_mtbf_hours: float | None = None, pue: float | None = None) -> TrainingRun:
    """FLOPs, days, GPU-hours, dollars and MWh of a training run.

    flops = 6·N·D (N active parameters); achieved = mfu · BF16 peak; compute
    time = flops / (n · achieved). With ``checkpoint_s`` given, failures at the
    Llama 3 rate (``reliability.llama3_gpu_mtbf_s``, unless ``gpu_mtbf_hours``)
    cost goodput (Young 1974, ``reliability.goodput``) and the
    wall clock is compute time / goodput; without it, no failures are modelled.
    Price per GPU-hour: the catalog instance for the chip (cheapest latest one
    unless ``instance``) on-demand, reserved (``reserved_discount`` required)
    or spot (lesson 3, ``cloud.gpu_hour_price``); "owned" uses lesson 2's
    ``clusters.owned_cost``; ``usd_per_gpu_hour`` overrides all. Energy =
    facility power (``clusters.facility_power_mw``, PUE default 1.56, the survey
    average; a hyperscaler's own fleet runs near 1.1: catalog assumption ``pue_meta_fleet``,
    Meta's 1.08 of 2023, for Llama 3's run) × wall hours.

    ``chip`` defaults to the ``instance``'s accelerator when one is given, else the
    H100 SXM; a chip that differs from the instance's is refused (an A100 instance's
    price for H100 hours would be a silently wrong bill). ``gpu_mtbf_hours`` and
    ``restart_s`` only act with ``checkpoint_s`` and are refused without it. A model
    of fewer than 10 million parameters warns (:class:`_checks.PlausibilityWarning`):
    ``70`` where ``70e9`` was meant.
    """
    if isinstance(model, Real) and not isinstance(model, bool):
        n_active, name = _checks.positive("model (parameter count)", model), "custom"
        _checks.plausible("model (parameter count)", n_active, 1e7, 1e14, "a trained "
                          "model's parameter count")
    else:
        spec = _spec(model)
        n_active, name = _active_params(spec), spec.name
    accelerator = _run_chip(chip, instance)
    if checkpoint_s is None:
        for what, value, unset in (("gpu_mtbf_hours", gpu_mtbf_hours, None),
                                   ("restart_s", restart_s, 0.0)):
            if value is not unset and value != unset:
                raise ValueError(f"{what}={value:g} only acts with checkpoint_s (failures are "
                                 "modelled only for a run that checkpoints); pass checkpoint_s "
                                 "too")
    n, u, mode, tokens = n_gpus, mfu, price_mode, n_tokens
    if 6 * n_active * tokens > _checks.LIMIT:
        raise ValueError(f"n_tokens={n_tokens!r} on a model of {n_active:.3g} active "
                         f"parameters needs {6 * n_active * tokens:.3g} FLOP, beyond the kit's "
                         f"ceiling of {_checks.LIMIT:g}; choose fewer tokens or a smaller model")
    c = flops(n_active, tokens)
    achieved = u * chips.peak_tflops(accelerator, "bf16")
    compute_days = days(c, n, achieved)
    good = 1.0
    if checkpoint_s is not None:
        gpu_mtbf_s = (reliability.llama3_gpu_mtbf_s() if gpu_mtbf_hours is None
                       else gpu_mtbf_hours * SECONDS_PER_HOUR)
        mtbf_s = reliability.mtbf_s(n, gpu_mtbf_s)
        good = reliability.goodput(checkpoint_s, restart_s, mtbf_s)
        if good <= 0:
            raise ValueError(f"with n_gpus={n:,} failures come every {mtbf_s:.3g} s "
                             f"(gpu_mtbf_hours={gpu_mtbf_hours!r}), faster than "
                             f"checkpoint_s={checkpoint_s!r} and restart_s={restart_s!r} let "
                             "the run progress; checkpoint faster or use fewer GPUs")
    wall_days = compute_days / good
    hours = wall_days * HOURS_PER_DAY
    price, source = _price(accelerator, mode, instance, reserved_discount, usd_per_gpu_hour)
    facility = clusters.facility_power_mw(n, accelerator, pue)
    return TrainingRun(
        model=name, chip=accelerator.name, n_gpus=n, n_params=n_active,
        n_tokens=float(n_tokens), flops=c, mfu=u, achieved_tflops_per_gpu=achieved,
        compute_days=compute_days, goodput=good, days=wall_days, gpu_hours=n * hours,
        price_mode=mode if usd_per_gpu_hour is None else "given", usd_per_gpu_hour=price,
        price_source=source, usd=n * hours * price, facility_mw=facility,
        energy_mwh=facility * hours,
    )


@declared(flops=positive(examples=(3.3e24,)), gpu_hours=positive(examples=(2.788e6,)),
          peak_tflops=positive(examples=(989.0,)))
def implied_mfu(flops: float, gpu_hours: float, peak_tflops: float) -> float:
    """The MFU a published run implies: C / (GPU-hours · 3,600 · peak).

    DeepSeek-V3 (arXiv 2412.19437, Table 1): 6 · 37e9 · 14.8e12 FLOPs in
    2.788M H800 GPU-hours at 989 dense BF16 TFLOP/s → about 0.33 (it trained in
    FP8, whose peak is twice that, so ≈ 0.17 of the FP8 peak).
    """
    c, h, peak = flops, gpu_hours, peak_tflops
    mfu = c / (h * SECONDS_PER_HOUR * peak * 1e12)
    if mfu > 1:
        raise ValueError(f"flops={flops!r} in gpu_hours={gpu_hours!r} at peak_tflops={peak:g} "
                         f"is an MFU of {mfu:.3g}: no run beats its chips' peak; check the "
                         "units (FLOPs, GPU-hours, TFLOP/s per GPU)")
    return mfu
