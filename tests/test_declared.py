"""Every public function declares its parameters once, and the declaration holds.

For each declared function (``stackkit._declare``), calls are generated from the
declaration alone, never guessed from parameter names:

- the **base call**: every parameter at its default, or at its spec's first valid
  example. It must return a result with no NaN, infinity or "nan" text (a table may
  have missing cells, NaN in pandas, but no infinity).
- **valid examples**: the base call with one parameter set to each of its spec's
  examples. Each returns a clean result, or refuses with an error that names one of
  the function's parameters (a check that combines parameters, ``nprobe > nlist``).
- **bad values**: the base call with one parameter set to each value its spec must
  refuse (NaN, ``"3"``, a value beyond a bound, an unknown option ...). Each must
  raise ``ValueError`` (or the catalog's ``KeyError`` for an unknown name) whose
  message names that parameter; a result, or any other exception, fails.

Functions that measure this machine or touch files the caller names run only the
bad-value half (their checks refuse before any work starts).
"""

from __future__ import annotations

import importlib
import inspect
import math
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from stackkit import _checks
from stackkit._declare import is_declared

#: Every layer module or package, lowest first (docs/architecture.md's order).
LAYERS = ("units", "catalog", "transformer", "reliability", "bench", "chips", "fabrication",
          "clusters", "cloud", "trends", "data", "pipeline", "vectors", "training", "serving",
          "frameworks", "stack", "lessons")

#: Layers whose public functions are not all declared yet (issue 22): each is a strict
#: xfail, so declaring the last function turns its mark into a failure to remove.
PENDING: set[str] = set()

#: Functions whose valid calls do real work on this machine or on caller-named files:
#: only their bad values are tried (the checks refuse before the body starts).
BAD_VALUES_ONLY = {
    "bench.measure_matmul", "bench.measure_bandwidth", "bench.measure_cuda_copy",
    "bench.measure_cuda_matmul", "bench.run", "serving.machine_roofline",
    "serving.decode_step_measurements", "vectors.choose_index", "catalog.load_table",
    "data.run_pipeline", "pipeline.run_pipeline", "pipeline.read_lineage",
    "pipeline.read_output", "pipeline.stale_inputs", "vectors.lesson_chunks",
    "vectors.retrieval_recall",  # embeds every lesson section: ~3 min of valid calls, loaded
    "training.sweep", "training.read_sweep", "training.tiny_train", "frameworks.train",
    "training.peer_figures_live",
    "frameworks.sharded_step", "frameworks.collective_sweep", "frameworks.corpus_text",
}




def _module(layer: str) -> Any:
    return importlib.import_module(f"stackkit.{layer}")


def _defined_in(func: Callable[..., Any], module_name: str) -> bool:
    return func.__module__ == module_name or func.__module__.startswith(module_name + ".")


def public_functions(layer: str) -> list[tuple[str, Callable[..., Any]]]:
    """(qualified name, function) of every public function a layer defines."""
    module = _module(layer)
    found = []
    for name, func in sorted(vars(module).items()):
        if name.startswith("_") or not inspect.isfunction(func):
            continue
        if _defined_in(func, module.__name__):
            found.append((f"{layer}.{name}", func))
    return found


def _declared() -> list[tuple[str, Callable[..., Any]]]:
    return [(q, f) for layer in LAYERS for q, f in public_functions(layer) if is_declared(f)]


@pytest.mark.parametrize("layer", [
    pytest.param(layer, marks=pytest.mark.xfail(strict=True, reason="not declared yet"))
    if layer in PENDING else layer for layer in LAYERS])
def test_every_public_function_is_declared(layer):
    missing = [q for q, f in public_functions(layer) if not is_declared(f)]
    assert not missing, f"public functions without a declaration: {missing}"


def _bad_text(value: object) -> bool:
    return isinstance(value, str) and re.search(r"\b(nan|inf)\b", value.lower()) is not None


def _clean(result: object) -> None:
    """Fail if ``result`` holds NaN, infinity or "nan"/"inf" text (tables, arrays, objects)."""
    if isinstance(result, pd.DataFrame):  # a missing cell is NaN in pandas; inf never is
        numeric = result.select_dtypes("number")
        assert not np.isinf(numeric.to_numpy(dtype=float)).any(), "inf in a table"
        return
    if isinstance(result, (list, tuple)):
        for item in result:
            _clean(item)
        return
    if isinstance(result, dict):
        for item in result.values():
            _clean(item)
        return
    assert not _bad_text(result), f"text {result!r}"
    bad = _checks._offenders(result, None)
    assert not bad, f"not finite: {bad}"


def _base(func: Callable[..., Any]) -> dict[str, Any]:
    kwargs = {}
    signature = inspect.signature(func)
    for param, spec in func.declaration.items():
        default = signature.parameters[param].default
        if default is inspect.Parameter.empty:
            examples = spec.valid_examples()
            assert examples, f"{param}: its spec gives no valid example; give examples="
            kwargs[param] = examples[0]
    return kwargs


def _call(func: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _checks.PlausibilityWarning)
        return func(**kwargs)


def _names_a_parameter(exc: BaseException, params: list[str]) -> bool:
    return any(p in str(exc) for p in params)


DECLARED = _declared()

#: Functions whose valid calls take a second or more together (Monte Carlo draws, index
#: sweeps, a corpus): their valid half runs in make test, not make quick.
HEAVY = {"stack.breakeven_band", "stack.uncertainty", "stack.build_vs_buy",
         "vectors.compare_indexes", "vectors.benchmark_index", "vectors.embed",
         "pipeline.make_corpus", "serving.disaggregation", "cloud.plan_gpu_hours",
         "training.plan"}


@pytest.mark.parametrize("qualname,func", [
    pytest.param(q, f, id=q, marks=[pytest.mark.slow] if q in HEAVY else [])
    for q, f in DECLARED if q not in BAD_VALUES_ONLY])
def test_declared_valid_calls_give_clean_results(qualname, func):
    base = _base(func)
    _clean(_call(func, base))
    params = list(func.declaration)
    for param, spec in func.declaration.items():
        for example in spec.valid_examples():
            try:
                result = _call(func, {**base, param: example})
            except (ValueError, KeyError) as exc:
                assert _names_a_parameter(exc, params), \
                    f"{param}={example!r}: {type(exc).__name__} names no parameter: {exc}"
                continue
            _clean(result)


@pytest.mark.parametrize("qualname,func", [pytest.param(q, f, id=q) for q, f in DECLARED])
def test_every_default_meets_its_spec(qualname, func):
    """A default the declaration refuses would make the plain call fail (a ``None`` default
    needs ``optional``); the decorator leaves this to the test so importing stays cheap."""
    signature = inspect.signature(func)
    for param, spec in func.declaration.items():
        default = signature.parameters[param].default
        if default is not inspect.Parameter.empty:
            spec.check(param, default)


@pytest.mark.parametrize("qualname,func", [pytest.param(q, f, id=q) for q, f in DECLARED])
def test_declared_bad_values_are_refused_by_name(qualname, func):
    base = _base(func)
    for param, spec in func.declaration.items():
        for bad in spec.bad:
            if isinstance(bad, float) and math.isnan(bad) and spec.kind == "value":
                continue
            with pytest.raises((ValueError, KeyError)) as caught:
                _call(func, {**base, param: bad})
            if isinstance(caught.value, ValueError):
                assert param in str(caught.value), \
                    f"{param}={bad!r}: the error does not name {param}: {caught.value}"
