"""The batching simulator: static, continuous (Orca, vLLM) and chunked-prefill (Sarathi)
scheduling, event by event (:func:`simulate`)."""

from __future__ import annotations

import heapq
import inspect
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from numbers import Real

import numpy as np
import pandas as pd

from .. import _checks
from .._declare import Spec, array, choice, count, custom, declared, optional, positive, seed
from .._results import Result
from ._specs import RATE, TOKENS
from .arrivals import ARRIVALS, _arrival_cv, arrival_times
from .memory import MAX_REQUESTS
from .step_latency import StepTimeModel, step_time

# --------------------------------------------------------------------------- the simulator

#: Scheduling policies :func:`simulate` knows.
POLICIES = ("static", "continuous", "chunked")


@dataclass(frozen=True)
class SimSummary(Result):
    """Throughput and latency percentiles of one simulation."""

    policy: str
    n_requests: int
    duration_s: float  # first arrival to last completion
    throughput_requests_per_s: float
    throughput_tokens_per_s: float  # output tokens
    mean_in_system: float  # time-average requests waiting or running (Little: λ · W)
    mean_ttft_s: float
    p50_ttft_s: float
    p99_ttft_s: float
    mean_tpot_s: float
    p50_tpot_s: float
    p99_tpot_s: float
    mean_e2e_s: float
    p50_e2e_s: float
    p99_e2e_s: float


@dataclass(frozen=True, eq=False)
class SimResult(Result):
    """Per-request times of one simulated serving run (arrays in arrival order)."""

    policy: str
    max_batch: int
    n_steps: int  # engine steps run
    busy_s: float  # time the engine was running a step
    arrival_s: np.ndarray = field(repr=False)
    ttft_s: np.ndarray = field(repr=False)  # arrival -> first token
    tpot_s: np.ndarray = field(repr=False)  # mean time per later token (0 for one-token outputs)
    e2e_s: np.ndarray = field(repr=False)  # arrival -> last token
    prompt_tokens: np.ndarray = field(repr=False)
    output_tokens: np.ndarray = field(repr=False)

    @property
    def finish_s(self) -> np.ndarray:
        return self.arrival_s + self.e2e_s

    @property
    def duration_s(self) -> float:
        return float(self.finish_s.max() - self.arrival_s.min())

    def summary(self) -> SimSummary:
        """Throughput, time-average requests in the system, and TTFT/TPOT/E2E percentiles."""
        duration = self.duration_s
        q = np.percentile
        n = len(self.arrival_s)
        return SimSummary(
            self.policy, n, duration, n / duration,
            float(self.output_tokens.sum()) / duration, float(self.e2e_s.sum()) / duration,
            float(self.ttft_s.mean()), float(q(self.ttft_s, 50)), float(q(self.ttft_s, 99)),
            float(self.tpot_s.mean()), float(q(self.tpot_s, 50)), float(q(self.tpot_s, 99)),
            float(self.e2e_s.mean()), float(q(self.e2e_s, 50)), float(q(self.e2e_s, 99)))

    def slo_met(self, ttft_slo_s: float, tpot_slo_s: float) -> np.ndarray:
        """Which requests met both targets."""
        ttft = _checks.positive("ttft_slo_s", ttft_slo_s)
        tpot = _checks.positive("tpot_slo_s", tpot_slo_s)
        return (self.ttft_s <= ttft) & (self.tpot_s <= tpot)

    def goodput(self, ttft_slo_s: float, tpot_slo_s: float) -> float:
        """Requests per second that met both SLOs (DistServe, Zhong et al., OSDI 2024)."""
        return float(self.slo_met(ttft_slo_s, tpot_slo_s).sum()) / self.duration_s

    def to_frame(self) -> pd.DataFrame:  # one row per request, unlike other results
        return pd.DataFrame({"arrival_s": self.arrival_s, "prompt_tokens": self.prompt_tokens,
                             "output_tokens": self.output_tokens, "ttft_s": self.ttft_s,
                             "tpot_s": self.tpot_s, "e2e_s": self.e2e_s})

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()


def _step_function(step_time_s: object) -> Callable[[float, float], float]:
    if not callable(step_time_s):
        raise ValueError(f"step_time_s must be a callable step_time_s(n_prefill_tokens, "
                         f"n_decoding_sequences) -> seconds, such as serving.step_time(model, "
                         f"chip); got {step_time_s!r}")
    if not isinstance(step_time_s, StepTimeModel):
        try:
            inspect.signature(step_time_s).bind(0.0, 0.0)
        except TypeError as exc:
            raise ValueError(f"step_time_s must take two arguments, step_time_s("
                             f"n_prefill_tokens, n_decoding_sequences); {step_time_s!r} "
                             f"cannot ({exc})") from exc
        except ValueError:  # a builtin without a signature: trust it
            pass
    return step_time_s



def _example_steps() -> list[object]:
    """Valid step functions for the generated tests: the roofline one and a constant."""
    return [step_time("Llama 3 8B", "H100 SXM"), lambda prefill, decoding: 0.01]


#: ``step_time_s(n_prefill_tokens, n_decoding_sequences) -> seconds``: a callable of two
#: arguments (:func:`step_time` gives the roofline one).
STEP: Spec = custom(lambda param, value: _step_function(value), examples=_example_steps,
                    bad=(None, 3, "step"), kind="step function")


def _step_s(step: Callable[[float, float], float], n_prefill: float, n_decoding: float) -> float:
    """``step(n_prefill, n_decoding)``, checked: a positive, finite number of seconds."""
    value = step(n_prefill, n_decoding)
    if isinstance(value, bool) or not isinstance(value, Real) or not (
            math.isfinite(value) and value > 0):
        raise ValueError(f"step_time_s({n_prefill:g}, {n_decoding:g}) must return a positive "
                         f"number of seconds; got {value!r}")
    return float(value)


def _tokens(name: str, value: object, n: int) -> np.ndarray:
    if isinstance(value, Real) and not isinstance(value, bool):
        return np.full(n, _checks.positive_int(name, value), dtype=np.int64)
    array = _checks.array(name, value, low=1, high=_checks.COUNT_LIMIT, whole=True,
                          max_len=MAX_REQUESTS)
    if array.shape != (n,):
        raise ValueError(f"{name} must be a whole number or one value per request ({n}); got "
                         f"{array.shape[0]} values")
    return array.astype(np.int64)


def _check_context(step_time_s: object, prompts: np.ndarray, outputs: np.ndarray) -> None:
    """Every request fits the model's context, when the step function knows it."""
    limit = getattr(step_time_s, "max_context_tokens", None)
    if limit is not None and int((prompts + outputs).max()) > limit:
        worst = int(np.argmax(prompts + outputs))
        raise ValueError(f"prompt_tokens + output_tokens of request {worst} "
                         f"({prompts[worst]} + {outputs[worst]}) is longer than the model's "
                         f"context of {limit} tokens")


@declared(arrival_rate_per_s=RATE, n_requests=count(high=MAX_REQUESTS, examples=(1, 200)),
          prompt_tokens=TOKENS, output_tokens=TOKENS, step_time_s=STEP,
          policy=choice(POLICIES), max_batch=count(examples=(64, 1)), seed=seed(),
          arrival=choice(ARRIVALS), cv=optional(positive(high=1e3, examples=(3.0, 1.0))),
          arrival_s=optional(array(low=0, max_len=MAX_REQUESTS, examples=([0.0],))),
          kv_capacity_tokens=optional(count(examples=(100_000, 4096))),
          chunk_tokens=count(examples=(512, 64)))
def simulate(arrival_rate_per_s: float, n_requests: int, prompt_tokens: object,
             output_tokens: object, step_time_s: Callable[[float, float], float],
             policy: str = "continuous", max_batch: int = 64, seed: int = 0, *,
             arrival: str = "poisson", cv: float | None = None, arrival_s: object = None,
             kv_capacity_tokens: int | None = None, chunk_tokens: int = 512) -> SimResult:
    """Simulate an LLM server: requests arrive, wait, are batched, prefilled and decoded.

    Parameters
    ----------
    arrival_rate_per_s, n_requests : mean arrival rate and how many requests.
    prompt_tokens, output_tokens : a whole number, or one value per request.
    step_time_s : ``step_time_s(n_prefill_tokens, n_decoding_sequences) -> seconds``;
        :func:`step_time` gives the roofline one; any callable (e.g. a constant) works,
        as long as its answer depends on its two arguments alone: the engines reuse an
        answer for a (prefill tokens, decodes) pair they have asked about before.
    policy : "static" — when the engine is idle it takes up to ``max_batch`` waiting
        requests, prefills them in one step and decodes until the longest is done
        (finished sequences keep their slot, as in a padded batch);
        "continuous" — iteration-level scheduling (Orca, Yu et al. OSDI 2022; vLLM):
        before every step, waiting requests join while slots and KV allow, and their
        whole prompts are prefilled in that step beside the running decodes;
        "chunked" — as continuous, but a step processes at most ``chunk_tokens``
        tokens (each decode counts one), so long prompts are split over several
        steps and never stall the decodes for long (Sarathi-Serve, Agrawal et al.
        OSDI 2024).
    max_batch : the most requests running at once.
    seed : seeds the arrival times.
    arrival : "poisson" or "bursty" (:func:`arrival_times`); ``cv`` sets the burstiness.
    arrival_s : explicit arrival times (s, one per request), e.g. from :func:`request_trace`.
    kv_capacity_tokens : KV slots of the server; a request is admitted only when its
        prompt plus output fit (reserved whole at admission: no preemption). None: no limit.

    A request's prefill step yields its first token, each later step one more.
    The engine is simulated event by event: between two events (an arrival that
    can join, a request finishing, a prefill) the batch is fixed, so the run of
    identical decode steps between them is advanced in one jump.
    """
    n, rate, kind, batch = n_requests, arrival_rate_per_s, policy, max_batch
    prompts = _tokens("prompt_tokens", prompt_tokens, n)
    outputs = _tokens("output_tokens", output_tokens, n)
    # each argument on its own first, then how they fit together (the model's context,
    # the KV capacity)
    if arrival_s is None:
        arrivals = None
        _arrival_cv(arrival, cv)
    else:
        arrivals = arrival_s
        if arrivals.shape != (n,):
            raise ValueError(f"arrival_s must hold one time per request (n_requests={n}); got "
                             f"{arrivals.shape[0]}")
        if np.any(np.diff(arrivals) < 0):
            raise ValueError("arrival_s must be sorted (requests are served first come, "
                             "first served)")
    capacity = math.inf if kv_capacity_tokens is None else kv_capacity_tokens
    chunk = chunk_tokens if kind == "chunked" else math.inf
    _check_context(step_time_s, prompts, outputs)
    need = prompts + outputs
    if need.max() > capacity:
        raise ValueError(f"kv_capacity_tokens={capacity} is less than the largest request's "
                         f"prompt_tokens + output_tokens ({int(need.max()):,} KV slots): it "
                         "could never be admitted")
    if arrivals is None:
        arrivals = arrival_times.unchecked(rate, n, arrival, cv, seed)
    _step_s(step_time_s, 1, 1)
    if kind == "static":
        first, finish, steps, busy = _run_static(arrivals, prompts, outputs, step_time_s, batch,
                                                 capacity)
    elif kind == "continuous":
        first, finish, steps, busy = _run_continuous(arrivals, prompts, outputs, step_time_s,
                                                     batch, capacity)
    else:
        first, finish, steps, busy = _run_iterative(arrivals, prompts, outputs, step_time_s,
                                                    batch, capacity, chunk)
    later = np.maximum(outputs - 1, 1)
    tpot = np.where(outputs > 1, (finish - first) / later, 0.0)
    return SimResult(kind, batch, steps, busy, arrivals, first - arrivals, tpot,
                     finish - arrivals, prompts, outputs)


def _run_static(arrivals, prompts, outputs, step, max_batch, capacity):
    n = len(arrivals)
    first = np.empty(n)
    finish = np.empty(n)
    need = (prompts + outputs).astype(float)
    t, q, steps, busy = 0.0, 0, 0, 0.0
    while q < n:
        if arrivals[q] > t:
            t = float(arrivals[q])
        # everyone who has arrived by t, up to max_batch and the KV capacity
        j = min(n, q + max_batch, int(np.searchsorted(arrivals, t, side="right")))
        if capacity != math.inf:
            fits = int(np.searchsorted(np.cumsum(need[q:j]), capacity, side="right"))
            j = q + max(1, fits)
        b = j - q
        prefill = float(step(float(prompts[q:j].sum()), 0.0))
        decode = float(step(0.0, float(b)))
        longest = int(outputs[q:j].max())
        first[q:j] = t + prefill
        finish[q:j] = t + prefill + (outputs[q:j] - 1) * decode
        t = t + prefill + (longest - 1) * decode
        steps += longest
        busy += prefill + (longest - 1) * decode
        q = j
    return first, finish, steps, busy


def _steps_to(arrival: float, t: float, dt: float) -> int:
    """Identical steps of ``dt`` from ``t`` until one ends at or after ``arrival`` (at least 1):
    the next request can join only then."""
    k = max(1, math.ceil((arrival - t) / dt))
    if t + k * dt < arrival:  # float rounding
        k += 1
    return k


def _prefilled(ids, index: int, t: float, n: int, output: list, need: list, first: list,
               finish: list, heap: list) -> tuple[int, int]:
    """The prefill-completion step both engines share: step ``index`` (ending at ``t``) gave
    requests ``ids`` their first token. One-token outputs finish now; the others join the
    decode ``heap`` keyed ``end_step · n + request`` (plain integers compare faster than
    tuples); then requests whose last decode was this step leave. Returns (KV slots freed,
    requests finished). Called once per prefill step, never in the decode jump loop; the
    continuous engine does the commonest step's part inline (one newcomer, nobody leaving)."""
    freed = ended = 0
    for i in ids:
        first[i] = t
        if output[i] == 1:
            finish[i] = t
            freed += need[i]
            ended += 1
        else:
            heapq.heappush(heap, (index + output[i] - 1) * n + i)
    limit = (index + 1) * n  # keys of requests whose last step has run
    while heap and heap[0] < limit:
        i = heapq.heappop(heap) % n
        finish[i] = t
        freed += need[i]
        ended += 1
    return freed, ended


def _run_continuous(arrivals, prompts, outputs, step, max_batch, capacity):
    """Continuous batching, event by event: :func:`_run_iterative` with no chunk limit,
    specialised because every admitted prompt is prefilled in one step.

    The running requests sit in a heap keyed by ``end_step · n + request`` (plain
    integers compare faster than tuples).
    """
    n = len(arrivals)
    first = [0.0] * n  # plain lists: setting a numpy element costs more than the rest of a step
    finish = [0.0] * n
    arrive = [*arrivals.tolist(), math.inf]  # a sentinel: no request arrives after the last
    prompt = prompts.tolist()
    output = outputs.tolist()
    need = (prompts + outputs).tolist()
    heap: list[int] = []
    pop, ceil = heapq.heappop, math.ceil
    decode_dt: dict[int, float] = {}  # a decode-only step's time depends on the batch alone
    # a mixed step's time depends on (prompt tokens, decodes) alone: keyed as one integer,
    # p · (max_batch + 1) + decodes, since decodes ≤ max_batch
    mixed_dt: dict[int, float] = {}
    stride = max_batch + 1
    t, done, busy = 0.0, 0, 0.0
    q, running, kv_used = 0, 0, 0
    while q < n or running:
        start, p_tokens = q, 0
        while arrive[q] <= t and running < max_batch and kv_used + need[q] <= capacity:
            p_tokens += prompt[q]
            kv_used += need[q]
            running += 1
            q += 1
        if q > start:  # one step: the newcomers' prompts beside the running decodes
            n_dec = len(heap)
            key = p_tokens * stride + n_dec
            dt = mixed_dt.get(key)
            if dt is None:
                dt = mixed_dt[key] = step(p_tokens, n_dec)
            t += dt
            busy += dt
            if q == start + 1 and output[start] > 1 and (not heap or heap[0] >= (done + 1) * n):
                # the common step, one newcomer and nobody leaving: _prefilled's work, inlined
                first[start] = t
                heapq.heappush(heap, (done + output[start] - 1) * n + start)
            else:
                freed, ended = _prefilled(range(start, q), done, t, n, output, need, first,
                                          finish, heap)
                kv_used -= freed
                running -= ended
            done += 1
            continue
        if not running:
            t = arrive[q]
            continue
        n_dec = len(heap)
        dt = decode_dt.get(n_dec)
        if dt is None:
            dt = decode_dt[n_dec] = step(0, n_dec)
        k = heap[0] // n - done + 1  # steps until the earliest request finishes
        if q < n and running < max_batch and kv_used + need[q] <= capacity:
            # _steps_to, inlined: this loop is the simulator's hot path
            k_arrival = ceil((arrive[q] - t) / dt)  # > 0, or it would have been admitted
            if k_arrival < 1:
                k_arrival = 1
            if t + k_arrival * dt < arrive[q]:  # float rounding
                k_arrival += 1
            if k_arrival < k:
                k = k_arrival
        t += k * dt
        busy += k * dt
        done += k
        limit = done * n
        while heap and heap[0] < limit:
            i = pop(heap) % n
            finish[i] = t
            kv_used -= need[i]
            running -= 1
    return np.array(first), np.array(finish), done, busy


def _run_iterative(arrivals, prompts, outputs, step, max_batch, capacity, chunk):
    """Continuous batching (chunk = inf) and chunked prefill, advanced event by event."""
    n = len(arrivals)
    first = [0.0] * n  # plain lists: setting a numpy element costs more than the rest of a step
    finish = [0.0] * n
    arrive = arrivals.tolist()
    prompt = prompts.tolist()
    output = outputs.tolist()
    need = (prompts + outputs).tolist()
    prefilling: deque[list[int]] = deque()  # [request, prompt tokens left], first come first
    decoding: list[int] = []  # heap of end_step · n + request, as in _run_continuous
    t, done_steps, busy = 0.0, 0, 0.0
    q, running, kv_used = 0, 0, 0
    decode_dt: dict[int, float] = {}  # a decode-only step's time depends on the batch alone
    while q < n or running:
        while (q < n and arrive[q] <= t and running < max_batch
               and kv_used + need[q] <= capacity):
            prefilling.append([q, prompt[q]])
            kv_used += need[q]
            running += 1
            q += 1
        if not running:
            t = arrive[q]
            continue
        n_dec = len(decoding)
        budget = chunk - n_dec
        if prefilling and budget > 0 and prefilling[0][1] <= budget:
            # a step that finishes the head's prompt (and maybe others): an event
            p_tokens, completed = 0, 0
            for entry in prefilling:
                if budget <= 0:
                    break
                take = entry[1] if entry[1] < budget else int(budget)
                entry[1] -= take
                budget -= take
                p_tokens += take
                if entry[1] == 0:
                    completed += 1
            dt = step(p_tokens, n_dec)
            t += dt
            busy += dt
            head = prefilling[0][0]  # prompts finish first come, first served: a run of ids
            for _ in range(completed):
                prefilling.popleft()
            freed, ended = _prefilled(range(head, head + completed), done_steps, t, n, output,
                                      need, first, finish, decoding)
            kv_used -= freed
            running -= ended
            done_steps += 1
            continue
        if prefilling and budget > 0:
            # the head's prompt fills whole steps: identical steps (same tokens, same
            # decodes), jumped like decode runs, so the work does not grow with
            # prompt_tokens / chunk_tokens
            taken = budget
            dt = step(budget, n_dec)
            k = (prefilling[0][1] - 1) // budget  # steps that leave the head unfinished
            if decoding and decoding[0] // n - done_steps + 1 < k:
                k = decoding[0] // n - done_steps + 1
        else:  # only decodes can progress: jump over the identical steps to the next event
            taken = 0
            dt = decode_dt.get(n_dec)
            if dt is None:
                dt = decode_dt[n_dec] = step(0, n_dec)
            k = decoding[0] // n - done_steps + 1  # steps until the earliest request finishes
        if q < n and running < max_batch and kv_used + need[q] <= capacity:
            k = min(k, _steps_to(arrive[q], t, dt))
        if taken:
            prefilling[0][1] -= k * taken
        t += k * dt
        busy += k * dt
        done_steps += k
        limit = done_steps * n  # keys of requests whose last step has run
        while decoding and decoding[0] < limit:
            i = heapq.heappop(decoding) % n
            finish[i] = t
            kv_used -= need[i]
            running -= 1
    return np.array(first), np.array(finish), done_steps, busy
