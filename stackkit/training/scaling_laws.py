"""Scaling laws: Chinchilla's loss law, compute-optimal models, IsoFLOP curves.

Hoffmann et al. 2022, eq. 4, eq. 10 and Table 3; Besiroglu et al. 2024, eq. 4.
"""

from __future__ import annotations

import math

from .. import _checks, catalog
from .._declare import choice, declared, positive
from ._specs import MODEL_OR_PARAMS, NUMBERS

#: Hoffmann et al. 2022, eq. 10: L(N, D) = E + A / N^alpha + B / D^beta (fit of approach 3).
CHINCHILLA = {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}

#: The same law refitted by Besiroglu et al. 2024 ("Chinchilla scaling: a replication
#: attempt", arXiv 2404.10102, eq. 4) on data reconstructed from Hoffmann et al.'s Figure 4:
#: it agrees with Hoffmann's approaches 1 and 2 (about 20 tokens per parameter), which the
#: rounded eq. 10 constants do not.
BESIROGLU = {"E": 1.8172, "A": 482.01, "B": 2085.43, "alpha": 0.3478, "beta": 0.3658}

#: The fits :func:`compute_optimal` knows.
SCALING_FITS = {"hoffmann2022": CHINCHILLA, "besiroglu2024": BESIROGLU}


@declared(compute_flops=positive(examples=(5.76e23, 1e20)), tokens_per_param=positive())
def chinchilla_optimal(compute_flops: float, tokens_per_param: float = 20) -> tuple[float, float]:
    """Compute-optimal (parameters, tokens) for a budget, by the 20-tokens-per-parameter rule.

    With C = 6·N·D and D = k·N: N = sqrt(C / 6k), D = k·N. Hoffmann et al.
    2022, Table 3, give about 20 tokens per parameter at every scale (67B:
    1.5T tokens for 5.76e23 FLOPs).
    """
    n = math.sqrt(compute_flops / (6.0 * tokens_per_param))
    return n, tokens_per_param * n


@declared(n_params=positive(examples=(70e9, 1e6)), n_tokens=positive(examples=(1.4e12, 1e9)))
def chinchilla_loss(n_params: float, n_tokens: float) -> float:
    """Predicted pre-training loss (nats per token): E + A / N^α + B / D^β.

    Hoffmann et al. 2022, eq. 10 (approach 3 fit): E = 1.69, A = 406.4,
    B = 410.7, α = 0.34, β = 0.28. E is the irreducible loss of the text.
    """
    p = CHINCHILLA
    return p["E"] + p["A"] / n_params ** p["alpha"] + p["B"] / n_tokens ** p["beta"]


@declared(compute_flops=positive(examples=(5.76e23, 1e20)))
def compute_optimal_loss(compute_flops: float) -> tuple[float, float, float]:
    """(N, D, loss) minimising eq. 10 under C = 6·N·D: ``compute_optimal(C, "hoffmann2022")``.

    With the paper's rounded constants the optimum leans to data: at Chinchilla's own budget
    (5.76e23 FLOPs) it is 32B parameters on 3.0T tokens, 93 tokens per parameter, where the
    paper trained 70B on 1.4T (Besiroglu et al. 2024 trace this to the rounding).
    """
    return compute_optimal(compute_flops, "hoffmann2022")


@declared(compute_flops=positive(examples=(5.76e23, 1e20)), fit=choice(tuple(SCALING_FITS)))
def compute_optimal(compute_flops: float,
                    fit: str = "besiroglu2024") -> tuple[float, float, float]:
    """(n_params, n_tokens, loss) minimising L = E + A/N^α + B/D^β under C = 6·N·D.

    N_opt = G · (C/6)^(β/(α+β)), D_opt = G⁻¹ · (C/6)^(α/(α+β)), G = (αA / βB)^(1/(α+β))
    (Hoffmann et al. 2022, eq. 4). ``fit`` picks the constants: "besiroglu2024" (default,
    Besiroglu et al. 2024, eq. 4: 72B on 1.3T tokens at 5.76e23 FLOPs, about 18 tokens per
    parameter, as Hoffmann's approaches 1 and 2 find) or "hoffmann2022" (eq. 10 as printed,
    whose rounding moves the optimum to 32B on 3.0T, 93 tokens per parameter). The loss is
    the chosen fit's own.
    """
    c = compute_flops
    p = SCALING_FITS[fit]
    a, b = p["alpha"], p["beta"]
    g = (a * p["A"] / (b * p["B"])) ** (1 / (a + b))
    n = g * (c / 6) ** (b / (a + b))
    d = (c / 6) ** (a / (a + b)) / g
    return n, d, p["E"] + p["A"] / n ** a + p["B"] / d ** b


@declared(compute_flops=positive(examples=(1e22, 1e20)), n_params=NUMBERS)
def isoflop_curve(compute_flops: float, n_params: object) -> list[dict[str, float]]:
    """Loss along one compute budget: for each N, D = C / 6N and eq. 10's loss.

    The valley of each curve is the compute-optimal model (Hoffmann et al.
    2022, Figure 3, "IsoFLOP profiles"). Returns rows of n_params, n_tokens,
    tokens_per_param and loss.
    """
    c = compute_flops
    rows = []
    for value in n_params:
        n = _checks.positive("n_params", value)
        d = c / (6 * n)
        if d > _checks.LIMIT:
            raise ValueError(f"n_params={value!r} leaves {d:.3g} tokens of compute_flops="
                             f"{compute_flops!r}, beyond the kit's ceiling; choose larger models")
        rows.append({"compute_flops": c, "n_params": n, "n_tokens": d,
                     "tokens_per_param": d / n, "loss": chinchilla_loss.unchecked(n, d)})
    return rows


@declared(model=MODEL_OR_PARAMS, n_tokens=positive(examples=(15e12, 1e9)))
def tokens_per_param(model: str | catalog.ModelSpec | float, n_tokens: float) -> float:
    """Training tokens per parameter: 20 is Chinchilla-optimal; Llama 3 8B saw ≈ 1,900."""
    return n_tokens / (model if isinstance(model, float) else float(model.params))
