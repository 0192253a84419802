"""The load: arrival processes (:func:`arrival_times`) and the Azure LLM trace's request
lengths (:func:`trace`, :func:`trace_lengths`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import _checks, catalog
from .._declare import choice, count, declared, optional, positive, seed
from ._specs import RATE
from .memory import MAX_REQUESTS

# --------------------------------------------------------------------------- arrivals, lengths

#: Arrival processes :func:`arrival_times` draws.
ARRIVALS = ("poisson", "bursty")


#: The bursty process's default coefficient of variation of the gaps (AlpaServe, section 6.1).
BURSTY_CV = 3.0


def _arrival_cv(process: str, cv: object) -> float:
    """The gaps' coefficient of variation: ``cv`` for "bursty" (default :data:`BURSTY_CV`);
    1 for "poisson", which has no other (a cv given with it would be silently ignored)."""
    if process == "poisson":
        if cv is not None and _checks.positive("cv", cv) != 1.0:
            raise ValueError(f"cv={cv:g} applies to the 'bursty' process; Poisson gaps have a "
                             "cv of 1 by definition (pass process='bursty' to set it)")
        return 1.0
    return BURSTY_CV if cv is None else _checks.positive("cv", cv, high=1e3)


@declared(arrival_rate_per_s=RATE, n_requests=count(high=MAX_REQUESTS, examples=(100, 1)),
          process=choice(ARRIVALS), cv=optional(positive(high=1e3, examples=(3.0, 1.0))),
          seed=seed())
def arrival_times(arrival_rate_per_s: float, n_requests: int, process: str = "poisson",
                  cv: float | None = None, seed: int = 0) -> np.ndarray:
    """Arrival times (s, from 0) of ``n_requests`` at a mean rate.

    "poisson": exponential gaps of mean 1/λ. "bursty": gamma-distributed gaps with
    the same mean and coefficient of variation ``cv`` (default 3; shape 1/cv²), the bursty
    arrival model of AlpaServe (Li et al., OSDI 2023, section 6.1) and DistServe.
    """
    rate, n, kind = arrival_rate_per_s, n_requests, process
    cv = _arrival_cv(kind, cv)  # a cv given with "poisson" is refused
    rng = np.random.default_rng(seed)
    if kind == "poisson":
        gaps = rng.exponential(1.0 / rate, n)
    else:
        shape = 1.0 / cv ** 2
        gaps = rng.gamma(shape, 1.0 / (rate * shape), n)
    return np.cumsum(gaps)


_TRACE_FILE = "traces/azure_llm_conv_2023_sample.csv"


@declared()
def request_trace() -> pd.DataFrame:
    """A sample of a real LLM-serving trace: arrival time, prompt and output tokens.

    The first 174 requests of the Azure LLM inference trace 2023, conversation
    service (Azure/AzurePublicDataset, data/AzureLLMInferenceTrace_conv.csv,
    2023-11-16, CC-BY 4.0; Patel et al., Splitwise, ISCA 2024). Columns:
    ``arrival_s`` (from the first request), ``prompt_tokens``, ``output_tokens``.
    """
    raw = pd.read_csv(catalog.data_dir() / _TRACE_FILE)
    stamps = pd.to_datetime(raw["TIMESTAMP"])
    return pd.DataFrame({"arrival_s": (stamps - stamps.iloc[0]).dt.total_seconds(),
                         "prompt_tokens": raw["ContextTokens"].astype(int),
                         "output_tokens": raw["GeneratedTokens"].astype(int)})


@declared(n_requests=count(high=MAX_REQUESTS, examples=(100, 1)), seed=seed())
def trace_lengths(n_requests: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(prompt, output) token counts for ``n_requests``, drawn with replacement from the trace."""
    sample = request_trace.unchecked()
    picks = np.random.default_rng(seed).integers(0, len(sample), n_requests)
    return (sample["prompt_tokens"].to_numpy()[picks].astype(np.int64),
            sample["output_tokens"].to_numpy()[picks].astype(np.int64))
