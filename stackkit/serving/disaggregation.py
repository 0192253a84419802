"""Prefill/decode disaggregation: prompts on some replicas, decoding on others, each sized to
its own latency target (:func:`disaggregation`; DistServe, Zhong et al. OSDI 2024;
Splitwise, Patel et al. ISCA 2024)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import _checks
from .._declare import count, declared, fraction, non_negative, positive, seed
from .._results import Result
from .capacity import MAX_SLO_REQUESTS
from .simulator import STEP, _check_context, _step_s, _tokens, simulate

#: Highest request rate (per second, per replica) the goodput search tries.
MAX_RATE_PER_S = 1e4


@dataclass(frozen=True)
class Disaggregation(Result):
    """Goodput per replica colocated, of each phase alone, and of the best prefill:decode mix."""

    ttft_slo_s: float
    tpot_slo_s: float
    attainment: float  # share of requests that must meet their target
    colocated_rate_per_s: float  # one replica doing both phases
    prefill_rate_per_s: float  # one replica that only prefills (TTFT target)
    decode_rate_per_s: float  # one replica that only decodes (TPOT target)
    n_prefill: int  # the best mix, replicas of each kind
    n_decode: int
    disaggregated_rate_per_s: float  # per replica: min(n_p · prefill, n_d · decode) / (n_p + n_d)
    gain: float  # disaggregated over colocated


def _max_rate(meets: Callable[[float], bool], start: float) -> float:
    """The highest rate at which ``meets`` holds: doubling, then 12 bisections (0.03 %)."""
    low, high = 0.0, start
    while meets(high):
        low, high = high, 2.0 * high
        if high > MAX_RATE_PER_S:
            return MAX_RATE_PER_S
    for _ in range(12):
        middle = 0.5 * (low + high)
        low, high = (middle, high) if meets(middle) else (low, middle)
    return low


@declared(prefill_rate_per_s=non_negative(high=1e6, examples=(5.6, 0.0)),
          decode_rate_per_s=non_negative(high=1e6, examples=(10.0, 0.0)),
          max_replicas=count(low=2, high=64, examples=(8, 3)))
def best_prefill_decode_mix(prefill_rate_per_s: float, decode_rate_per_s: float,
             max_replicas: int = 8) -> tuple[float, int, int]:
    """(rate per replica, n_prefill, n_decode) of the best mix of prefill-only and decode-only
    replicas: max over n_p + n_d ≤ ``max_replicas`` of min(n_p · prefill, n_d · decode) /
    (n_p + n_d). DistServe's example (§1): prefill 5.6 and decode 10 requests/s per GPU
    give 2 prefill + 1 decode GPUs, 10 requests/s on 3 GPUs, 3.3 per GPU."""
    prefill, decode, cap = prefill_rate_per_s, decode_rate_per_s, max_replicas
    return max((min(i * prefill, j * decode) / (i + j), i, j)
               for i in range(1, cap) for j in range(1, cap - i + 1))


@declared(step_time_s=STEP, prompt_tokens=count(examples=(512, 1)),
          output_tokens=count(low=2, examples=(64, 2)),
          ttft_slo_s=positive(high=1e6, examples=(1.0, 10.0)),
          tpot_slo_s=positive(high=1e6, examples=(0.1, 1.0)),
          attainment=fraction(low_open=True, examples=(0.9, 1.0)),
          max_batch=count(examples=(64, 8)),
          n_requests=count(low=10, high=MAX_SLO_REQUESTS, examples=(100, 10)),
          max_replicas=count(low=2, high=64, examples=(8, 3)), seed=seed())
def disaggregation(step_time_s: Callable[[float, float], float], prompt_tokens: int,
                   output_tokens: int, ttft_slo_s: float, tpot_slo_s: float,
                   attainment: float = 0.9, max_batch: int = 64, n_requests: int = 400,
                   max_replicas: int = 8, seed: int = 0) -> Disaggregation:
    """Goodput (the highest request rate at which ``attainment`` of requests meet their
    targets) of a colocated replica against replicas that only prefill or only decode.

    DistServe (Zhong et al., OSDI 2024, arXiv 2401.09670, §1 and Figure 1) defines goodput
    per GPU this way and shows the gap: colocated, every long prefill step stalls the
    running decodes (TPOT) and every decode batch delays the prefills (TTFT). Each kind is
    simulated with :func:`simulate` (continuous batching, Poisson arrivals): colocated
    against both targets; a prefill replica with one-token outputs against TTFT; a decode
    replica, whose requests arrive with their KV cache (transfer time left out: DistServe
    measured it under 0.1 % of latency over NVLink), against TPOT. The best mix of up to
    ``max_replicas`` replicas serves min(n_p · prefill, n_d · decode) on n_p + n_d replicas.
    """
    step, p, o, ttft, tpot = step_time_s, prompt_tokens, output_tokens, ttft_slo_s, tpot_slo_s
    share, batch, n, cap = attainment, max_batch, n_requests, max_replicas
    prompts, outputs = _tokens("prompt_tokens", p, n), _tokens("output_tokens", o, n)
    _check_context(step, prompts, outputs)
    if _step_s(step, float(p), 0) > ttft or _step_s(step, 0, 1) > tpot:
        raise ValueError(f"one request alone misses the targets (ttft_slo_s={ttft:g}, "
                         f"tpot_slo_s={tpot:g}): no replica of any kind meets them")

    def decode_step(joining: float, decoding: float) -> float:
        return step(0, joining + decoding)  # a newcomer brings its KV: it only decodes

    def colocated(rate: float) -> bool:
        run = simulate(rate, n, prompts, outputs, step, max_batch=batch, seed=seed)
        return float(np.mean(run.slo_met(ttft, tpot))) >= share

    def prefill(rate: float) -> bool:
        run = simulate(rate, n, prompts, 1, step, max_batch=batch, seed=seed)
        return float(np.mean(run.ttft_s <= ttft)) >= share

    def decode(rate: float) -> bool:  # the o − 1 tokens after the first; waiting counts
        run = simulate(rate, n, 1, outputs - 1, decode_step, max_batch=batch, seed=seed)
        return float(np.mean(run.e2e_s / (o - 1) <= tpot)) >= share

    start = 0.5 / _step_s(step, float(p), 0)  # half what back-to-back prefills could serve
    both, alone_p, alone_d = _max_rate(colocated, start), _max_rate(prefill, start), \
        _max_rate(decode, start)
    best, n_p, n_d = best_prefill_decode_mix.unchecked(alone_p, alone_d, cap)
    gain = best / both if both > 0 else float("inf")
    return Disaggregation(ttft, tpot, share, both, alone_p, alone_d, n_p, n_d, best,
                          _checks.finite("gain", gain, {"colocated_rate_per_s": both}))
