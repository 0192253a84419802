"""Capacity: replicas by throughput alone (:func:`naive_replicas`) and the fewest that meet
p99 TTFT and TPOT targets in simulation (:func:`replicas_for_slo`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import _checks
from .._declare import choice, count, declared, positive, seed
from .._results import Result
from ._specs import RATE, TOKENS
from .simulator import POLICIES, STEP, _check_context, _step_s, _tokens, simulate

# --------------------------------------------------------------------------- capacity

#: Most requests :func:`replicas_for_slo` simulates per try (it makes ~2·log2(replicas)
#: tries; 5,000 requests keep a search well under a second on a laptop core).
MAX_SLO_REQUESTS = 5_000



@declared(arrival_rate_per_s=RATE, step_time_s=STEP, prompt_tokens=count(examples=(512, 1)),
          output_tokens=count(examples=(256, 1)), max_batch=count(examples=(64, 1)))
def naive_replicas(arrival_rate_per_s: float, step_time_s: Callable[[float, float], float],
                   prompt_tokens: int, output_tokens: int, max_batch: int = 64) -> int:
    """Replicas by output throughput alone: ⌈λ · output / (B / step(0, B))⌉.

    The usual back-of-envelope: output tokens per second needed, over the tokens per
    second one replica decodes at its largest batch B. It ignores the prefills, the
    queueing (no headroom for bursts) and the latency a full batch costs.
    """
    rate, o, b, step = arrival_rate_per_s, output_tokens, max_batch, step_time_s
    # prompt_tokens is declared but unused: the naive estimate leaves the prefill out
    needed = rate * o * _step_s(step, 0, b) / b
    if needed > _checks.COUNT_LIMIT:
        raise ValueError(f"arrival_rate_per_s={rate:g} × output_tokens={o:,} needs "
                         f"{needed:.3g} replicas (step_time_s at max_batch={b}): more than "
                         f"the {_checks.COUNT_LIMIT:.0e} the kit counts")
    return max(1, math.ceil(needed - 1e-9))


@dataclass(frozen=True)
class Capacity(Result):
    """Replicas that meet p99 TTFT and TPOT targets at a request rate, beside the naive count."""

    arrival_rate_per_s: float
    replicas: int  # the fewest that meet both targets (simulated)
    naive_replicas: int  # by throughput alone
    ttft_p99_target_s: float
    tpot_p99_target_s: float
    p99_ttft_s: float  # simulated, at ``replicas``
    p99_tpot_s: float
    per_replica_rate_per_s: float


@declared(arrival_rate_per_s=RATE, step_time_s=STEP, prompt_tokens=TOKENS, output_tokens=TOKENS,
          ttft_p99_s=positive(high=1e6, examples=(1.0, 10.0)),
          tpot_p99_s=positive(high=1e6, examples=(0.05, 1.0)), policy=choice(POLICIES),
          max_batch=count(examples=(64, 8)),
          n_requests=count(high=MAX_SLO_REQUESTS, examples=(200, 50)), seed=seed(),
          max_replicas=count(examples=(4096, 16)),
          warmup_requests=count(low=0, high=MAX_SLO_REQUESTS, examples=(0, 20)))
def replicas_for_slo(arrival_rate_per_s: float, step_time_s: Callable[[float, float], float],
                     prompt_tokens: object, output_tokens: object, ttft_p99_s: float,
                     tpot_p99_s: float, policy: str = "continuous", max_batch: int = 64,
                     n_requests: int = 2000, seed: int = 0,
                     max_replicas: int = 4096, warmup_requests: int = 0) -> Capacity:
    """The fewest replicas whose simulated p99 TTFT and p99 TPOT meet the targets.

    The load is split evenly: each of r replicas sees Poisson arrivals at λ / r (a
    random split of a Poisson stream is Poisson). One replica is simulated with
    :func:`simulate` for ``n_requests`` requests; the count is found by doubling,
    then bisection (the same seed at every r, so the arrival pattern only stretches).
    ``n_requests`` is at most :data:`MAX_SLO_REQUESTS` (5,000). The p99s are taken over
    the requests after the first ``warmup_requests`` (an empty server at the start makes
    them look better than the steady state). Raises ``ValueError`` when even an idle
    replica misses a target.
    """
    rate, ttft_target, tpot_target = arrival_rate_per_s, ttft_p99_s, tpot_p99_s
    # each try simulates n_requests, and the search makes up to ~2·log2(replicas) tries
    cap, n, warm = max_replicas, n_requests, warmup_requests
    if warm >= n:
        raise ValueError(f"warmup_requests={warm:,} leaves none of n_requests={n:,} to measure")
    prompt_tokens = _tokens("prompt_tokens", prompt_tokens, n)  # one per request, or one for all
    output_tokens = _tokens("output_tokens", output_tokens, n)
    _check_context(step_time_s, prompt_tokens, output_tokens)

    def run(r: int) -> tuple[bool, float, float]:
        result = simulate.unchecked(rate / r, n, prompt_tokens, output_tokens, step_time_s,
                                    policy, max_batch, seed)
        ttft = float(np.percentile(result.ttft_s[warm:], 99))
        tpot = float(np.percentile(result.tpot_s[warm:], 99))
        return ttft <= ttft_target and tpot <= tpot_target, ttft, tpot

    mean_prompt = float(np.mean(prompt_tokens))
    mean_output = float(np.mean(output_tokens))
    naive = naive_replicas.unchecked(rate, step_time_s, max(1, round(mean_prompt)),
                           max(1, round(mean_output)), max_batch)
    alone_ttft = _step_s(step_time_s, float(np.max(prompt_tokens)), 0)
    alone_tpot = _step_s(step_time_s, 0, 1)
    if alone_ttft > ttft_target or alone_tpot > tpot_target:
        raise ValueError(f"the targets cannot be met at any number of replicas: one request "
                         f"alone (prompt_tokens={int(np.max(prompt_tokens)):,}) has TTFT "
                         f"{alone_ttft:.3g} s and TPOT {alone_tpot:.3g} s "
                         f"(ttft_p99_s={ttft_target:g}, tpot_p99_s={tpot_target:g})")
    low, high = 0, max(1, naive)
    ok, ttft, tpot = run(high)
    while not ok:
        if high >= cap:
            raise ValueError(f"more than max_replicas={cap} replicas would be needed to meet "
                             f"ttft_p99_s={ttft_target:g} and tpot_p99_s={tpot_target:g} at "
                             f"arrival_rate_per_s={rate:g}, with requests of "
                             f"{mean_prompt:,.0f} prompt_tokens and {mean_output:,.4g} "
                             "output_tokens on average")
        low, high = high, min(cap, 2 * high)
        ok, ttft, tpot = run(high)
    best = (high, ttft, tpot)
    while high - low > 1:
        middle = (low + high) // 2
        ok, ttft, tpot = run(middle)
        if ok:
            high, best = middle, (middle, ttft, tpot)
        else:
            low = middle
    replicas, ttft, tpot = best
    return Capacity(rate, replicas, naive, ttft_target, tpot_target, ttft, tpot, rate / replicas)
