"""Self-hosting: serving tokens on always-on rented GPUs against an API's price per token."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .._declare import count, declared, non_negative, positive
from .._results import Result
from ..units import HOURS_PER_DAY, SECONDS_PER_HOUR
from .api import _TOKENS_PER_MTOK


@dataclass(frozen=True)
class SelfHosting(Result):
    """Serving tokens on rented GPUs running all day, against an API's price per token."""

    api_usd_per_mtok: float
    tokens_per_second_per_gpu: float
    gpu_usd_per_hour: float
    gpus_per_replica: int
    replica_usd_per_day: float  # one always-on replica
    replica_capacity_tokens_per_day: float  # flat out
    full_load_usd_per_mtok: float  # self-hosting's price per token when the GPUs are busy
    breakeven_tokens_per_day: float | None  # None when self-hosting never wins
    breakeven_utilization: float | None  # of the first replica, at break-even
    never_reason: str | None


_SERVER = {"tokens_per_second_per_gpu": positive(examples=(1000.0, 50.0, 1e4)),
           "gpu_usd_per_hour": positive(examples=(2.0, 6.88, 0.5)),
           "gpus_per_replica": count(examples=(1, 8))}


@declared(tokens_per_day=non_negative(examples=(1e8, 0.0, 1e11)), **_SERVER)
def self_hosting_daily_usd(tokens_per_day: float, tokens_per_second_per_gpu: float,
                           gpu_usd_per_hour: float, gpus_per_replica: int = 1) -> float:
    """Daily cost of serving ``tokens_per_day`` on always-on replicas (at least one).

    replicas = max(1, ⌈tokens / (throughput · gpus · 86,400 s)⌉)
    cost     = replicas · gpus · 24 h · price
    """
    tokens, throughput = tokens_per_day, tokens_per_second_per_gpu
    price, gpus = gpu_usd_per_hour, gpus_per_replica
    capacity = throughput * gpus * HOURS_PER_DAY * SECONDS_PER_HOUR
    replicas = max(1, math.ceil(tokens / capacity - 1e-12))
    return replicas * gpus * HOURS_PER_DAY * price


@declared(api_usd_per_mtok=positive(examples=(10.0, 0.4, 75.0)), **_SERVER)
def self_hosting_breakeven(api_usd_per_mtok: float, tokens_per_second_per_gpu: float,
                           gpu_usd_per_hour: float, gpus_per_replica: int = 1) -> SelfHosting:
    """Tokens per day above which renting GPUs to serve a model beats paying an API.

    An always-on replica of g GPUs costs c = g · 24 · price per day and serves at most
    K = g · throughput · 86,400 tokens per day. The API costs T · p per day for T tokens.
    The first replica pays for itself at

        T* = c / p   (tokens per day),

    provided T* ≤ K, i.e. the API's price p exceeds self-hosting's full-load price c/K;
    otherwise self-hosting never wins. ``tokens_per_second_per_gpu`` is an input here
    (lesson 6 computes it from the model and the chip).
    """
    api, throughput = api_usd_per_mtok, tokens_per_second_per_gpu
    price, gpus = gpu_usd_per_hour, gpus_per_replica
    per_day = gpus * HOURS_PER_DAY * price
    capacity = gpus * throughput * HOURS_PER_DAY * SECONDS_PER_HOUR
    full_load = per_day / capacity * _TOKENS_PER_MTOK
    if api <= full_load:
        breakeven = utilization = None
        reason = (f"even flat out, self-hosting costs ${full_load:.3g} per million tokens, "
                  f"no less than the API's ${api:.3g}")
    else:
        breakeven = per_day / (api / _TOKENS_PER_MTOK)
        utilization, reason = breakeven / capacity, None
    return SelfHosting(
        api_usd_per_mtok=api, tokens_per_second_per_gpu=throughput, gpu_usd_per_hour=price,
        gpus_per_replica=gpus, replica_usd_per_day=per_day,
        replica_capacity_tokens_per_day=capacity, full_load_usd_per_mtok=full_load,
        breakeven_tokens_per_day=breakeven, breakeven_utilization=utilization,
        never_reason=reason,
    )
