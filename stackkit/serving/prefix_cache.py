"""Prefix caching: a prompt's prefix seen before (a system prompt, a document, earlier turns)
keeps its KV cache, so only the new tokens are prefilled (:func:`prefix_caching`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .._declare import count, declared, fraction, non_negative, positive
from .._results import Result
from .simulator import STEP, _step_s


@dataclass(frozen=True)
class PrefixCaching(Result):
    """Time to first token and input price of one request, with and without a cached prefix."""

    _derived = ("ttft_ratio", "input_cost_ratio")

    prompt_tokens: int
    hit_rate: float  # share of the prompt's tokens found in the cache
    ttft_uncached_s: float  # the whole prompt prefilled (an idle server)
    ttft_s: float  # only the uncached tokens prefilled
    input_usd_per_mtok_uncached: float
    input_usd_per_mtok: float  # cached tokens at the cached price

    @property
    def ttft_ratio(self) -> float:
        return self.ttft_s / self.ttft_uncached_s

    @property
    def input_cost_ratio(self) -> float:
        return self.input_usd_per_mtok / self.input_usd_per_mtok_uncached


@declared(step_time_s=STEP, prompt_tokens=count(examples=(1000, 1)),
          hit_rate=fraction(examples=(0.9, 0.0, 1.0)),
          input_usd_per_mtok=positive(high=1e6, examples=(1.0, 3.0)),
          cached_input_usd_per_mtok=non_negative(high=1e6, examples=(0.1, 0.0)))
def prefix_caching(step_time_s: Callable[[float, float], float], prompt_tokens: int,
                   hit_rate: float, input_usd_per_mtok: float,
                   cached_input_usd_per_mtok: float) -> PrefixCaching:
    """TTFT and input $/Mtok when a share ``hit_rate`` of the prompt is already cached.

    TTFT = step((1 − h) · P, 0) on an idle server (at least one token is always
    prefilled: the last one yields the first output); price = (1 − h) · p + h · p_cached.
    Providers price a cached read at a tenth of the input price (Anthropic, "Prompt
    caching with Claude", 2024-08-14: reads 10 % of the base price, writes 125 %; the
    catalog's ``cached_input_usd_per_mtok``). vLLM's automatic prefix caching and SGLang's
    RadixAttention (Zheng et al. 2024, arXiv 2312.07104) do the same on a self-hosted server,
    where the saving is the prefill's GPU time.
    """
    step, p, h = step_time_s, prompt_tokens, hit_rate
    price, cached = input_usd_per_mtok, cached_input_usd_per_mtok
    if cached > price:
        raise ValueError(f"cached_input_usd_per_mtok={cached:g} is above input_usd_per_mtok="
                         f"{price:g}: a cached read is never dearer than recomputing")
    limit = getattr(step, "max_context_tokens", None)  # any callable works; StepTimeModel knows it
    if limit is not None and p > limit:
        raise ValueError(f"prompt_tokens={p:,} is longer than the model's context of "
                         f"{limit:,} tokens")
    uncached = _step_s(step, float(p), 0)
    ttft = _step_s(step, max(1.0, (1.0 - h) * p), 0)
    return PrefixCaching(p, h, uncached, ttft, price, (1.0 - h) * price + h * cached)
