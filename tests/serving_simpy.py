"""A reference model of the serving engine in simpy, step by step, for the tests and the benchmark.

It simulates the same system as ``stackkit.serving.simulate`` (policies "continuous" and
"chunked"): a source process puts requests in a queue at their arrival times; the engine
process, before every step, admits waiting requests first come first served while slots
and KV allow, runs one step of ``step(prefill_tokens, decoding)`` seconds, and hands out
tokens. It never jumps: every step is one simpy timeout.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import simpy


def simulate_simpy(arrival_s, prompt_tokens, output_tokens, step, max_batch=64,
                   kv_capacity_tokens=math.inf, chunk_tokens=math.inf):
    arrival_s = list(map(float, arrival_s))
    prompt = list(map(int, prompt_tokens))
    output = list(map(int, output_tokens))
    n = len(arrival_s)
    need = [p + o for p, o in zip(prompt, output, strict=True)]
    first = np.zeros(n)
    finish = np.zeros(n)
    env = simpy.Environment()
    waiting: deque[int] = deque()
    wake = {"event": env.event()}

    def source():
        for i, at in enumerate(arrival_s):
            yield env.timeout(at - env.now)
            waiting.append(i)
            if not wake["event"].triggered:
                wake["event"].succeed()

    def engine():
        prefilling: deque[list[int]] = deque()
        decoding: list[list[int]] = []  # [request, tokens still to produce]
        kv, done = 0, 0
        while done < n:
            while (waiting and len(prefilling) + len(decoding) < max_batch
                   and kv + need[waiting[0]] <= kv_capacity_tokens):
                i = waiting.popleft()
                prefilling.append([i, prompt[i]])
                kv += need[i]
            if not prefilling and not decoding:
                wake["event"] = env.event()
                yield wake["event"]
                continue
            budget = chunk_tokens - len(decoding)
            tokens, completed = 0, []
            for entry in prefilling:
                if budget <= 0:
                    break
                take = min(entry[1], budget)
                entry[1] -= take
                budget -= take
                tokens += take
                if entry[1] == 0:
                    completed.append(entry)
            yield env.timeout(step(tokens, len(decoding)))
            still = []
            for entry in decoding:
                entry[1] -= 1
                if entry[1] == 0:
                    finish[entry[0]] = env.now
                    kv -= need[entry[0]]
                    done += 1
                else:
                    still.append(entry)
            decoding = still
            for entry in completed:
                prefilling.remove(entry)
                i = entry[0]
                first[i] = env.now
                if output[i] == 1:
                    finish[i] = env.now
                    kv -= need[i]
                    done += 1
                else:
                    decoding.append([i, output[i] - 1])

    env.process(source())
    env.process(engine())
    env.run()
    return first, finish
