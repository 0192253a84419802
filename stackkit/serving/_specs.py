"""Declarations (:mod:`stackkit._declare`) shared by the serving package's public functions:
a model, a chip, a token count per request, a rate (the step-time callable's spec,
:data:`stackkit.serving.simulator.STEP`, lives beside the function that checks it)."""

from __future__ import annotations

from numbers import Real

import numpy as np

from .. import _checks, catalog, transformer
from .._declare import Spec, custom, positive

#: Most requests one simulation or trace draw takes (each is simulated one by one).
MAX_REQUESTS = 1_000_000


def _model(param: str, value: object) -> catalog.ModelSpec:
    if isinstance(value, catalog.ModelSpec):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{param} must be a model name from the catalog or a ModelSpec; got "
                         f"{_checks._show(value)}")
    return transformer.spec(value)  # an unknown name: KeyError with the nearest names


def _tokens(param: str, value: object) -> int | np.ndarray:
    if isinstance(value, Real) and not isinstance(value, bool):
        return _checks.positive_int(param, value)
    if isinstance(value, (str, bytes)) or value is None:
        raise ValueError(f"{param} must be a whole number of tokens or one per request; got "
                         f"{_checks._show(value)}")
    return _checks.array(param, value, low=1, high=_checks.COUNT_LIMIT, whole=True,
                         max_len=MAX_REQUESTS).astype(np.int64)


#: A catalog model name or :class:`~stackkit.catalog.ModelSpec`.
MODEL: Spec = custom(_model, examples=("Llama 3 8B", "Llama 3 70B"), kind="model")
#: A catalog chip name or :class:`~stackkit.catalog.Accelerator`.
CHIP: Spec = catalog.known_name("accelerators", examples=("H100 SXM", "A100 SXM 80GB"))
#: A whole number of tokens, or one per request.
TOKENS: Spec = custom(_tokens, examples=(16, 512), bad=(None, "3", 0, 2.5, [0], True),
                      kind="tokens")
#: A rate in requests per second.
RATE: Spec = positive(high=1e6, examples=(1.0, 20.0))
