"""Speculative decoding: a small draft model guesses γ tokens, the target model checks them
all in one step (:func:`speculative_decoding`, Leviathan et al. 2023; Chen et al. 2023)."""

from __future__ import annotations

from dataclasses import dataclass

from .._declare import count, declared, fraction, non_negative
from .._results import Result

#: Most draft tokens per step :func:`speculative_decoding` takes (systems use 1–10).
MAX_DRAFT_TOKENS = 64


@dataclass(frozen=True)
class Speculation(Result):
    """Tokens per target step and the walltime speed-up of speculative decoding."""

    acceptance_rate: float  # α: the chance the target accepts one drafted token
    draft_tokens: int  # γ: tokens drafted per target step
    draft_cost_ratio: float  # c: one draft step's time over one target step's
    tokens_per_target_step: float  # (1 − α^(γ+1)) / (1 − α)
    speedup: float  # tokens per step over the step's cost, (γ c + 1)


@declared(acceptance_rate=fraction(examples=(0.8, 0.0, 1.0)),
          draft_tokens=count(high=MAX_DRAFT_TOKENS, examples=(4, 1)),
          draft_cost_ratio=non_negative(high=1e3, examples=(0.05, 0.0)))
def speculative_decoding(acceptance_rate: float, draft_tokens: int,
                         draft_cost_ratio: float = 0.0) -> Speculation:
    """Expected tokens per target step and speed-up from acceptance rate α, draft length γ,
    draft cost c.

    Leviathan, Kalman and Matias, "Fast Inference from Transformers via Speculative
    Decoding" (ICML 2023, arXiv 2211.17192): equation 1, E[tokens] = (1 − α^(γ+1)) / (1 − α)
    (γ + 1 when α = 1), and Theorem 3.8, speed-up = E[tokens] / (γ c + 1). The target's
    check of γ + 1 tokens is priced as one decode step, which holds while decode is
    memory-bound (small batches); at large batch the step is compute-bound and the
    speed-up shrinks (Chen et al. 2023, arXiv 2302.01318, measured 2–2.5× on
    Chinchilla 70B at batch 1).
    """
    alpha, gamma, c = acceptance_rate, draft_tokens, draft_cost_ratio
    if alpha == 1.0:
        tokens = float(gamma + 1)
    else:
        tokens = (1.0 - alpha ** (gamma + 1)) / (1.0 - alpha)
    return Speculation(alpha, gamma, c, tokens, tokens / (gamma * c + 1.0))
