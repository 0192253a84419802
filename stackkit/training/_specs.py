"""The training package's shared parameter declarations (``stackkit._declare``)."""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

from .. import _checks, catalog
from .._declare import choice, count, custom

RECOMPUTE = ("none", "selective", "full")


def _model_or_count(param: str, value: object) -> object:
    if isinstance(value, Real) and not isinstance(value, bool):
        return _checks.positive(param, value)
    return MODEL.check(param, value)


def _chip_or_peak(param: str, value: object) -> object:
    if isinstance(value, Real) and not isinstance(value, bool):
        return _checks.positive(f"{param} (peak TFLOP/s)", value)
    return CHIP.check(param, value)


def _link(param: str, value: object) -> object:
    if value is None or isinstance(value, catalog.Interconnect):
        return value
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{param} must be a catalog interconnect name (e.g. 'NVLink 4') or "
                         f"None; got {value!r:.60}")
    return catalog.interconnect(value)


def _numbers(param: str, value: object) -> list:
    return _checks.sequence(param, value, single=Real)


def _names(param: str, value: object) -> list:
    return _checks.sequence(param, value, single=str)


def _table(param: str, value: object) -> object:
    if isinstance(value, (str, bytes)) or (not isinstance(value, (Mapping, list, tuple)) \
            and type(value).__name__ != "DataFrame"):
        raise ValueError(f"{param} must be a table (a DataFrame, a dict of columns or a list "
                         "of rows) with arrival_h, gpus and duration_h columns, e.g. "
                         f"training.synthetic_jobs(); got {type(value).__name__} {value!r:.60}")
    return value


def _callback(param: str, value: object) -> object:
    if value is not None and not callable(value):
        raise ValueError(f"{param} must be None or a function callback(step, loss); got "
                         f"{value!r:.60}")
    return value


MODEL = catalog.known_name("models", examples=("Llama 3 8B", "Llama 3 70B"))
MOE_MODEL = catalog.known_name("models", examples=("DeepSeek-V3", "Mixtral 8x7B"))
MODEL_OR_PARAMS = custom(_model_or_count, examples=("Llama 3 8B", 8e9),
                         bad=(None, "", -1.0, float("nan"), True), kind="model")
CHIP = catalog.known_name("accelerators", examples=("H100 SXM", "A100 SXM 80GB"))
FP8_CHIP = catalog.known_name("accelerators", examples=("H100 SXM", "H800 SXM"))
CHIP_OR_PEAK = custom(_chip_or_peak, examples=("H100 SXM", 989.0), kind="chip")
LINK = custom(_link, examples=(None, "NVLink 4"), bad=(3, "no such link", ""), kind="link")
NUMBERS = custom(_numbers, examples=([1e9, 1e10], 7e9), bad=(None, "abc", [float("nan")]),
                 kind="numbers")
NUMBERS_OF_COUNTS = custom(_numbers, examples=((1, 2), 4), bad=(None, "abc", [float("nan")]),
                           kind="numbers")
NAMES = custom(_names, examples=(("none", "selective"), "full"), bad=(None, 3, []), kind="names")
JOBS = custom(_table, examples=({"arrival_h": [0.0, 1.0], "gpus": [8, 4],
                                 "duration_h": [2.0, 1.0]},), bad=(None, 3, "jobs"),
              kind="table")
CALLBACK = custom(_callback, examples=(None, lambda step, loss: None), bad=(3, "print"),
                  kind="function")
RECOMPUTE_MODE = choice(RECOMPUTE)
ZERO_STAGE = count(low=0, high=3, examples=(0, 1, 2, 3))
