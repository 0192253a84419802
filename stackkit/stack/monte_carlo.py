"""A seeded Monte Carlo over every assumption's range at once (:func:`uncertainty`).

The draws go through the trace's own bill (:func:`.bill._usd_per_mtok`) on numpy arrays:
no second copy of the bookkeeping, and every layer figure from the layer's function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import _declare as d
from .._results import Result
from . import bill
from .ranges import Knob, knobs
from .scenario import SCENARIO, Scenario

# ----------------------------------------------------------------------------- Monte Carlo

@dataclass(frozen=True, eq=False)
class Uncertainty(Result):
    """The total $ per million tokens under every assumption drawn from its range at once."""

    n: int
    seed: int
    point_usd_per_mtok: float  # the scenario as given
    p10_usd_per_mtok: float
    p50_usd_per_mtok: float
    p90_usd_per_mtok: float
    mean_usd_per_mtok: float
    samples_usd_per_mtok: np.ndarray = field(repr=False)
    draws: pd.DataFrame = field(repr=False)  # the assumptions drawn, one column per field


_MAX_DRAWS = 200_000  # more adds digits, not insight


def _draw(rng: np.random.Generator, k: Knob, n: int) -> np.ndarray:
    if k.high <= k.low:
        return np.full(n, k.value)
    return rng.triangular(k.low, min(max(k.value, k.low), k.high), k.high, size=n)


@d.declared(scenario=SCENARIO, n=d.count(high=_MAX_DRAWS, examples=(1, 2, 500)), seed=d.seed())
def uncertainty(scenario: Scenario, n: int = 10_000, seed: int = 0) -> Uncertainty:
    """A seeded Monte Carlo: every :func:`knobs` assumption drawn at once from its range.

    Each assumption is drawn from a triangular distribution (low, the scenario's
    value, high) — the usual choice when only a range and a best guess are known —
    independently of the others. The same ``seed`` gives the same draws. The
    draws go through the trace's bill on arrays (:func:`.bill._usd_per_mtok`), so
    10,000 take well under a second.
    """
    s, count = scenario, n
    ks = knobs(s)
    rng = np.random.default_rng(seed)
    v = bill._values(s)
    for k in ks:
        v[k.field] = _draw(rng, k, count)
    samples = np.broadcast_to(bill._usd_per_mtok(bill._plan(s), v), (count,)).astype(float)
    p10, p50, p90 = np.percentile(samples, [10, 50, 90])
    draws = pd.DataFrame({k.field: np.asarray(v[k.field]) for k in ks})
    return Uncertainty(n=count, seed=int(seed), point_usd_per_mtok=bill.trace(s).usd_per_mtok,
                       p10_usd_per_mtok=float(p10), p50_usd_per_mtok=float(p50),
                       p90_usd_per_mtok=float(p90), mean_usd_per_mtok=float(samples.mean()),
                       samples_usd_per_mtok=samples, draws=draws)

