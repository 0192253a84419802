"""Fuzz every public function of every layer package: bad input gets a clear error, never a crash.

The driver finds the functions itself: every public function defined in each of
:data:`LAYER_MODULES` (a package's files count, through its ``__init__``). Every one
is declared (``stackkit._declare``), and its valid values come from its declaration:
its default, one of its specs' examples, or a number near them inside the declared range
(an object no spec can build, a ServingCost or a job table, comes from
:data:`_FACTORIES`). Nothing is guessed from a parameter's name. Each call then gets one
of four treatments:

- ``valid``: declared values throughout;
- ``edge``: one parameter set to an edge number (0, -1, 5e-324, 1e308, 10**400,
  NaN, inf, a huge Fraction ...);
- ``wrong``: one parameter set to a wrong type (None, "3", True, [1, 2], {} ...);
- ``extreme``: every number scaled by up to 1e±12.

A call passes if it returns a result with no NaN, no infinity, no negative where
a negative is impossible and no "nan"/"inf" in a string; or raises ``ValueError``
(or ``KeyError`` for an unknown name, or ``TypeError``) whose message names the
parameter that was broken (any parameter, for ``valid`` and ``extreme`` calls).
Anything else fails: another exception, a warning (the suite turns warnings into
errors), a bad result, or a call that takes over 1 s of CPU time (CPU time, not
wall time, so that a loaded machine does not make the test flaky; a generator whose
stated ceiling is seconds of real work has its own limit in :data:`SLOW_LIMIT_S`).
Functions doing real work (training, generating data) draw their valid sizes nearer
their declared examples (:data:`SPREAD`).

The run is seeded. ``make test`` runs :data:`CALLS` calls (10,000), ``make quick`` 2,000,
``make fuzz`` a longer one (``STACKKIT_FUZZ_CALLS``, default 100,000).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import importlib
import inspect
import math
import os
import random
import re
import time
import warnings
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest

from stackkit._declare import non_negative

#: The layer modules, lowest first (docs/architecture.md's order). Missing ones are skipped.
LAYER_MODULES = ("units", "catalog", "transformer", "reliability", "bench", "chips",
                 "fabrication", "clusters", "cloud", "trends", "data", "pipeline", "vectors",
                 "training", "serving", "frameworks", "stack")

#: Functions not fuzzed here, and why: only machine measurements (each is bounded by its
#: own ceilings, and run at them in tests/test_bench_inputs.py) and functions that read or
#: write files the caller names (their own tests break those files on purpose).
SKIP = {
    "bench.measure_matmul": "a measurement of this machine (run at its ceilings elsewhere)",
    "bench.measure_bandwidth": "a measurement of this machine (run at its ceilings elsewhere)",
    "bench.measure_cuda_copy": "a measurement of a GPU",
    "bench.measure_cuda_matmul": "a measurement of a GPU",
    "bench.run": "every measurement (run at its ceilings elsewhere)",
    "serving.machine_roofline": "a measurement of this machine (run at its ceilings elsewhere)",
    "serving.decode_step_measurements": "a measurement of this machine (ceilings elsewhere)",
    "vectors.choose_index": "reads the measured index sweep (a measurement of this machine)",
    "catalog.load_table": "reads a CSV from a directory the caller names (file I/O; the "
                          "loader's own tests break files on purpose)",
    "data.run_pipeline": "reads and writes files the caller names",
    "pipeline.run_pipeline": "reads and writes files the caller names",
    "pipeline.read_lineage": "reads a run's folder the caller names",
    "pipeline.read_output": "reads a run's folder the caller names",
    "pipeline.stale_inputs": "reads a run's folder the caller names",
    "vectors.lesson_chunks": "reads the notebooks from a folder the caller names",
    "training.sweep": "trains tiny models and writes them to a tracker store on disk",
    "training.read_sweep": "reads a tracker store from disk",
    "training.peer_figures_live": "runs installed third-party calculators, not the kit",
    "frameworks.train": "compiles and trains a transformer in JAX: a measurement of this "
                        "machine, bounded by its own ceilings (tests/test_frameworks.py)",
    "frameworks.sharded_step": "compiles and times a sharded JAX step: a measurement "
                               "(bounded; tests/test_frameworks.py)",
    "frameworks.collective_sweep": "times JAX collectives on host devices: a measurement",
    "frameworks.corpus_text": "reads the kit's docstrings (no arguments to fuzz)",
}

#: Functions backed by native libraries (faiss, tokenizers, onnxruntime), fuzzed in a
#: child process: an abort there (a Rust panic, a C++ bad_alloc) fails the test with the
#: call that caused it instead of killing the run.
NATIVE = ("vectors.build_index", "vectors.search", "vectors.benchmark_index",
          "vectors.compare_indexes", "vectors.embed", "vectors.retrieval_recall",
          "pipeline.train_bpe", "data.chars_per_token")
#: Calls the native child process makes (each native call costs milliseconds to seconds).
NATIVE_CALLS = int(os.environ.get("STACKKIT_FUZZ_NATIVE_CALLS", "400"))

#: Known defects, found by this test and not yet mended: each function's failures are
#: reported (and counted) but do not fail the run. Empty: every defect found so far is
#: fixed at its cause, with its reproducer in tests/test_<package>_edges.py.
KNOWN_DEFECTS: dict[str, str] = {}

#: Functions whose work is real (training, generating data) and grows with their sizes:
#: their valid values are drawn closer to their examples (10^±spread, not 10^±1) so
#: that a valid call stays well inside the time limit; edge and extreme values still
#: reach their stated ceilings, which must refuse them.
SPREAD = {
    "training.tiny_train": 0.3,
    "pipeline.make_corpus": 0.5,
    "vectors.make_vectors": 1.0,
}

#: Results whose numbers may be negative, and why.
SIGNED_RESULTS = {
    "vectors.exact_search": "inner products of vectors (scores) lie in [-1, 1] for unit vectors",
    "vectors.make_vectors": "vector components are signed",
    "vectors.embed": "embedding components are signed",
    "vectors.search": "inner products of vectors (scores) lie in [-1, 1] for unit vectors",
}

#: Per-call CPU-time ceiling (seconds).
CALL_LIMIT_S = 1.0
#: Functions allowed longer, and why: their stated ceiling is real work by design.
SLOW_LIMIT_S = {
    "vectors.make_vectors": (5.0, "its ceiling, 1e8 float32 values (400 MB), takes ~3.5 s; "
                                  "the ANN benchmark draws 100,000 × 384 (1.3 s)"),
    "training.tiny_train": (15.0, "trains for real; its ceilings (1e11 matmul FLOPs, 2e8 "
                                  "element-wise values) are a few seconds each"),
    "vectors.embed": (10.0, "its first call loads the embedding model (~2 s)"),
    "vectors.retrieval_recall": (30.0, "embeds every section of the eight lessons with MiniLM "
                                       "(about 11 s of CPU over both cores' threads)"),
    "vectors.compare_indexes": (5.0, "builds and times up to four indexes"),
}
#: Calls in the run that ``make test`` does.
CALLS = int(os.environ.get("STACKKIT_FUZZ_CALLS", "10000"))
SEED = int(os.environ.get("STACKKIT_FUZZ_SEED", "20261128"))

#: Numbers at the edges of what a float or a parameter allows.
EDGE_NUMBERS: tuple[Any, ...] = (
    0, 0.0, -0.0, -1, -1e-9, 5e-324, 1e-300, 1e-9, 1, 2, 3.5, 1e15, 1e30, 1e31, 1e100, 1e300,
    1e308, 2**63, 10**18, 10**400, -(10**400), Fraction(10**400, 3), Fraction(1, 3),
    Decimal("2.5"), Decimal("1e400"), Decimal("NaN"), math.nan, math.inf, -math.inf,
    np.float64(7.0), np.int64(7), np.float32(1e38),
)
#: Values of the wrong type for almost any parameter.
WRONG_VALUES: tuple[Any, ...] = (
    None, "3", "", "no", "NVLink 4", True, False, [1, 2], (), {}, {"a": 1}, b"x", 1 + 2j,
    object(), np.array([1.0, 2.0]), dt.date(2025, 1, 1), [None], ["no such"],
)





def _constant_step(n_prefill_tokens: float, n_decoding: float) -> float:
    """A hand-written step-time function (what a user may pass to the simulator)."""
    return 0.01 + 2e-5 * n_prefill_tokens + 1e-4 * n_decoding


_MADE: dict[tuple, Any] = {}


def _made(key: tuple, make: Callable[[], Any]) -> Any:
    """One object per key for the whole run (building some takes milliseconds)."""
    if key not in _MADE:
        _MADE[key] = make()
    return _MADE[key]


def _serving_cost(rng: random.Random) -> Any:
    from stackkit import serving

    model, batch = rng.choice(["Llama 3 8B", "Llama 3 70B"]), rng.choice([1, 8, 64])
    return _made(("cost", model, batch), lambda: serving.serving_cost(model, batch_size=batch))


def _step_time(rng: random.Random) -> Any:
    from stackkit import serving

    if rng.random() < 0.5:
        return _constant_step
    model = rng.choice(["Llama 3 8B", "Mistral 7B"])
    return _made(("step", model), lambda: serving.step_time(model, "H100 SXM"))


def _jobs(rng: random.Random) -> Any:
    from stackkit import training

    n, seed = rng.randint(1, 40), rng.randint(0, 3)
    return _made(("jobs", n, seed), lambda: training.synthetic_jobs(n, seed))


def _corpus(rng: random.Random) -> Any:
    from stackkit import pipeline

    n = rng.choice([20, 40, 100])
    return _made(("corpus", n), lambda: pipeline.make_corpus(n))


def _vectors(rng: random.Random, seed: int, sizes: tuple[int, ...]) -> Any:
    from stackkit import vectors

    n = rng.choice(sizes)
    return _made(("vectors", n, seed), lambda: vectors.make_vectors(n, dim=16, seed=seed))


def _ids(rng: random.Random) -> Any:
    return np.array([[rng.randrange(50) for _ in range(10)] for _ in range(4)])


def _scenario(rng: random.Random) -> Any:
    from stackkit import stack

    name = _preset_name(rng)
    return _made(("scenario", name), lambda: stack.preset(name))


def _preset_name(rng: random.Random) -> str:
    from stackkit import stack

    return rng.choice(stack.PRESET_NAMES)


def _build_vs_buy_table(rng: random.Random) -> Any:
    from stackkit import stack

    scenario = _scenario(rng)
    return _made(("build_vs_buy", scenario.name),
                 lambda: stack.build_vs_buy(scenario))


def _checkpointed_job(rng: random.Random) -> Any:
    from stackkit import reliability

    return reliability.CheckpointedJob(
        work_s=rng.uniform(3600, 1e6), interruptions_per_s=10 ** rng.uniform(-7, -4),
        interval_s=rng.uniform(600, 7200), checkpoint_s=rng.uniform(10, 300),
        restart_s=rng.uniform(60, 900))


def _table_frame(rng: random.Random) -> Any:
    from stackkit import catalog

    return _made(("frame",), catalog.accelerators)


_TEXTS = ("The H100 reads 3.35 TB of HBM a second.", "Tokens per second per GPU, at batch 8.",
          "KV cache grows with context length and batch size.", "Checkpoint every half hour.",
          "Spot instances cost less but are interrupted.", "α–β: latency plus bytes over ß.")


def _texts(rng: random.Random) -> list[str]:
    return rng.sample(_TEXTS, k=rng.randint(1, len(_TEXTS)))


def _index(rng: random.Random) -> Any:
    from stackkit import vectors

    kind, params = rng.choice([("flat", {}), ("hnsw", {"M": 8}), ("ivfflat", {"nlist": 8}),
                               ("ivfpq", {"nlist": 8, "m": 4, "nbits": 4})])
    base = _vectors(rng, 0, (300,))
    return _made(("index", kind), lambda: vectors.build_index(base, kind, **params))


def _tokenizer(rng: random.Random) -> Any:
    from stackkit import data

    return _made(("tokenizer",), lambda: data.train_bpe(list(_TEXTS) * 4, vocab_size=300))


def _chunks(rng: random.Random) -> Any:
    return pd.DataFrame({"notebook": ["01_chips.ipynb", "06_serving.ipynb"] * 2,
                         "section": ["Roofline", "KV cache", "Memory", "Batching"],
                         "text": list(_TEXTS[:4])})


def _questions(rng: random.Random) -> Any:
    return pd.DataFrame({"notebook": ["01_chips.ipynb", "06_serving.ipynb"],
                         "question": ["What limits a chip?", "What does the KV cache hold?"]})


#: Valid values that a parameter's name and annotation cannot describe (an object
#: another kit function returns, a callable), by ``module.function.parameter`` or
#: by parameter name. Without them those functions' valid paths would go untested.
_FACTORIES: dict[str, Callable[[random.Random], Any]] = {
    "cost": _serving_cost,
    "step_time_s": _step_time,
    "jobs": _jobs,
    "scenario": _scenario,
    "stack.preset.name": _preset_name,
    "reliability.simulate_runtime_s.job": _checkpointed_job,
    "catalog.lookup.table": lambda rng: "models",
    "catalog.lookup.name": lambda rng: rng.choice(_names("models")),
    "corpus": _corpus,
    "vectors.exact_search.vectors": lambda rng: _vectors(rng, 0, (10, 50, 300)),
    "vectors.exact_search.queries": lambda rng: _vectors(rng, 1, (1, 5, 20)),
    "found_ids": _ids,
    "true_ids": _ids,
    "stack.breakeven_users_per_day.table": _build_vs_buy_table,
    "units.iso_dates.frame": _table_frame,
    "lengths": lambda rng: [rng.randint(1, 2000) for _ in range(rng.randint(1, 50))],
    # the native functions' inputs (fuzzed in a child process)
    "vectors.build_index.vectors": lambda rng: _vectors(rng, 0, (50, 300, 600)),
    "vectors.benchmark_index.vectors": lambda rng: _vectors(rng, 0, (50, 300)),
    "vectors.compare_indexes.vectors": lambda rng: _vectors(rng, 0, (300,)),
    "vectors.search.queries": lambda rng: _vectors(rng, 1, (1, 5, 20)),
    "vectors.benchmark_index.queries": lambda rng: _vectors(rng, 1, (1, 5)),
    "vectors.compare_indexes.queries": lambda rng: _vectors(rng, 1, (5,)),
    "vectors.search.index": _index,
    "vectors.benchmark_index.index": lambda rng: None if rng.random() < 0.5 else _index(rng),
    "vectors.compare_indexes.configs": lambda rng: rng.choice(
        [None, [("flat", {})], [("hnsw", {"M": 8}), ("ivfflat", {"nlist": 8})]]),
    "texts": _texts,
    "tokenizer": _tokenizer,
    "chunks": _chunks,
    "questions": _questions,
}


def _index_params(rng: random.Random, kwargs: dict[str, Any]) -> None:
    """faiss' parameters ride in **params, which a signature does not list: add some, now
    and then at an edge (a huge M, ef_construction past 2**31, nbits past 16)."""
    from stackkit import vectors

    kind = str(kwargs.get("kind", "hnsw")).lower()
    names = {"flat": [], "hnsw": ["M", "ef_construction", "ef_search"],
             "ivfflat": ["nlist", "nprobe"], "ivfpq": ["nlist", "nprobe", "m", "nbits"]}
    for name in rng.sample(names.get(kind, []), k=rng.randint(0, len(names.get(kind, [])))):
        low, high = vectors.PARAM_RANGES[name]
        kwargs[name] = rng.choice([rng.randint(low, min(high, 16)), rng.choice(EDGE_NUMBERS),
                                   rng.choice(WRONG_VALUES), 10**6, 2**31, high + 1])


def _search_params(rng: random.Random, kwargs: dict[str, Any]) -> None:
    if rng.random() < 0.5:
        kwargs[rng.choice(["nprobe", "ef_search", "efs"])] = rng.choice(
            [1, 4, 8, 64, 10**6, rng.choice(EDGE_NUMBERS), rng.choice(WRONG_VALUES)])


def _step_time_callable() -> Any:
    from stackkit import serving

    return _made(("step-callable",), lambda: serving.step_time("Llama 3 8B", "H100 SXM"))


#: Callables and methods the kit returns: they check their own arguments too.
_RETURNED: dict[str, Callable[[], Callable[..., Any]]] = {
    "serving.step_time(...)": lambda: _step_time_callable().__call__,
    "serving.step_time(...).parts": lambda: _step_time_callable().parts,
    "serving.step_time(...).bound": lambda: _step_time_callable().bound,
}
#: Their two arguments, declared here as the kit's callable checks them: token and sequence
#: counts of one batching step (its own checks refuse what these specs do).
_RETURNED_DECLARATION = {"n_prefill_tokens": non_negative(examples=(0.0, 512.0, 4096.0)),
                         "n_decoding": non_negative(examples=(1.0, 0.0, 64.0))}

def _coherent_step_time(rng: random.Random, kwargs: dict[str, Any]) -> None:
    """Parallel degrees that multiply to n_gpus and a batch they divide (each alone is valid,
    together they rarely are)."""
    dp, tp, pp = rng.choice([1, 2, 4, 8]), rng.choice([1, 2, 4, 8]), rng.choice([1, 2])
    micro = kwargs.get("micro_batch", 1) if rng.random() < 0.5 else rng.choice([1, 2])
    kwargs.update(dp=dp, tp=tp, pp=pp, n_gpus=dp * tp * pp,
                  global_batch=dp * micro * pp * rng.choice([1, 4, 16]))
    if "micro_batch" in kwargs:
        kwargs["micro_batch"] = micro
    for name, choices in (("zero_stage", [0, 1, 2, 3]), ("ep", [1]), ("interleave", [1]),
                          ("gpus_per_node", [8]), ("seq_len", [None, 2048])):
        if name in kwargs:
            kwargs[name] = rng.choice(choices)


def _coherent_simulate(rng: random.Random, kwargs: dict[str, Any]) -> None:
    """Explicit arrival times: one per request, sorted (or none: drawn at the rate)."""
    if "arrival_s" in kwargs:
        n = kwargs["n_requests"]
        kwargs["arrival_s"] = (None if rng.random() < 0.3 or not isinstance(n, int) or n > 10**5
                               else np.sort(np.array([rng.uniform(0, 100) for _ in range(n)])))


#: Functions whose parameters constrain each other: the valid values are made coherent
#: after being drawn one by one (then one may be broken, as for any function).
_COHERENT: dict[str, Callable[[random.Random, dict[str, Any]], None]] = {
    "training.step_time": _coherent_step_time,
    "serving.simulate": _coherent_simulate,
    "vectors.build_index": _index_params,
    "vectors.benchmark_index": _index_params,
    "vectors.search": _search_params,
}

#: Results whose name says they are a share of a whole: a value above 1 is impossible.
_SHARE = re.compile(r"(^|_)(share|fraction|mfu|hfu|utilization|goodput|recall(_at_\d+)?|"
                    r"probability)$")

# Result names that may legitimately be negative (a change, a saving that can go either way).
_MAY_BE_NEGATIVE = re.compile(r"delta|change|diff|slope|log|error|residual|margin|offset")


def _names(table: str) -> list[str]:
    from stackkit import catalog

    if table == "tables":
        return list(catalog.table_names())
    if table == "assumptions":
        return list(catalog.assumptions().index)
    frame = getattr(catalog, table)()
    column = {"instances": "instance", "api_prices": "model"}.get(table)
    values = frame[column] if column else frame.index
    return list(dict.fromkeys(map(str, values)))


@dataclasses.dataclass
class Target:
    qualname: str
    func: Callable[..., Any]
    params: list[inspect.Parameter]
    declaration: dict[str, Any]  # parameter -> its Spec (stackkit._declare)


def _target(qualname: str, func: Callable[..., Any],
            declaration: dict[str, Any] | None = None) -> Target:
    params = [p for p in inspect.signature(func).parameters.values()
              if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    return Target(qualname, func, params,
                  getattr(func, "declaration", {}) if declaration is None else declaration)


@dataclasses.dataclass
class Tally:
    calls: int = 0
    clean: int = 0
    documented: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)
    known: list[str] = dataclasses.field(default_factory=list)  # in KNOWN_DEFECTS
    by_kind: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    slowest: tuple[float, str] = (0.0, "")
    per_target: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    cpu_s: collections.Counter = dataclasses.field(default_factory=collections.Counter)


class Fuzzer:
    def __init__(self, seed: int, native: bool = False,
                 log: Callable[[str], None] | None = None) -> None:
        """``native``: fuzz only :data:`NATIVE` (in the child process), else all the rest.
        ``log``: told of each call before it runs (the child's last word if it dies)."""
        self.rng = random.Random(seed)
        self.native = native
        self.log = log
        self._before_break: dict[str, Any] = {}
        self.targets = self._discover()

    # ------------------------------------------------------------------ discovery
    def _discover(self) -> list[Target]:
        targets = []
        for short in LAYER_MODULES:
            try:
                module = importlib.import_module(f"stackkit.{short}")
            except ModuleNotFoundError as exc:
                if exc.name == f"stackkit.{short}":
                    continue
                raise
            for name, func in sorted(vars(module).items()):
                if name.startswith("_") or not inspect.isfunction(func):
                    continue
                if not _defined_in(func, module.__name__):
                    continue  # an alias or an import: fuzzed in its own module
                qualname = f"{short}.{name}"
                if qualname in SKIP or _deprecated(func):
                    continue  # skipped, or an old name that warns and delegates
                if (qualname in NATIVE) != self.native:
                    continue  # native code runs in the child process, the rest here
                targets.append(_target(qualname, func))
        if not self.native:
            targets += [_target(name, make(), _RETURNED_DECLARATION)
                        for name, make in _RETURNED.items()]
        self.undeclared = [t.qualname for t in targets
                           if any(p.name not in t.declaration for p in t.params)]
        return targets

    def _valid(self, target: Target, param: inspect.Parameter) -> Any:
        """A valid value: from a factory for an object no spec can build (a ServingCost, a
        job table), otherwise from the function's declaration."""
        factory = (_FACTORIES.get(f"{target.qualname}.{param.name}")
                   or _FACTORIES.get(param.name))
        if factory is not None:
            return factory(self.rng)
        return self._declared_value(param, target.declaration[param.name],
                                    SPREAD.get(target.qualname, 1.0))

    def _declared_value(self, param: inspect.Parameter, spec: Any, spread: float) -> Any:
        """A valid value read from the function's declaration (stackkit._declare): its
        default, one of its spec's examples, or a number near them inside the spec's range."""
        rng = self.rng
        examples = spec.valid_examples()
        has_default = param.default is not inspect.Parameter.empty
        if has_default and (rng.random() < 0.3 or not examples):
            return param.default
        value = rng.choice(examples) if examples else None
        bounds = spec.bounds
        if spec.kind in ("number", "count") and isinstance(value, (int, float)) and \
                not isinstance(value, bool) and value and rng.random() < 0.5:
            scaled = value * 10 ** rng.uniform(-spread, spread)
            low, high = bounds.get("low"), bounds.get("high")
            if spec.kind == "count":
                scaled = max(low or 0, round(scaled))
            if (low is None or scaled > low or (scaled == low and not bounds.get("low_open")))\
                    and (high is None or scaled < high):
                return scaled
        return value

    def _edge(self) -> Any:
        return self.rng.choice(EDGE_NUMBERS)

    def _wrong(self) -> Any:
        return self.rng.choice(WRONG_VALUES)

    # ------------------------------------------------------------------ one call
    def arguments(self, target: Target) -> tuple[str, str | None, dict[str, Any]]:
        rng = self.rng
        kind = rng.choices(["valid", "edge", "wrong", "extreme"], [4, 3, 2, 1])[0]
        kwargs: dict[str, Any] = {}
        for p in target.params:
            optional = p.default is not inspect.Parameter.empty
            if optional and rng.random() < 0.4:
                continue  # leave the default
            kwargs[p.name] = self._valid(target, p)
        if target.qualname in _COHERENT:
            _COHERENT[target.qualname](rng, kwargs)
        broken = None
        if target.params and kind in ("edge", "wrong"):
            p = rng.choice(target.params)
            broken = p.name
            # what the call had before it was broken: the counterfactual for judging it
            self._before_break = {k: v for k, v in kwargs.items() if k == broken}
            kwargs[p.name] = self._edge() if kind == "edge" else self._wrong()
        elif kind == "extreme":
            for name, value in kwargs.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    try:
                        scaled = value * 10 ** rng.uniform(-12, 12)
                    except OverflowError:  # an edge int (10**400) a coherence step added
                        continue
                    kwargs[name] = round(scaled) if isinstance(value, int) else scaled
        return kind, broken, kwargs

    def call(self, target: Target, tally: Tally) -> None:
        kind, broken, kwargs = self.arguments(target)
        tally.calls += 1
        tally.per_target[target.qualname] += 1
        shown = ", ".join(f"{k}={_short(v)}" for k, v in kwargs.items())
        where = f"{target.qualname}({shown}) [{kind}]"
        if self.log is not None:
            self.log(where)
        start = time.process_time()
        try:
            result = target.func(**kwargs)
        except (ValueError, KeyError, TypeError) as exc:
            spent = time.process_time() - start
            problem = _judge_error(exc, target, broken, kwargs)
            if problem and broken is not None and self._same_error_without(target, broken,
                                                                           kwargs, exc):
                problem = _judge_error(exc, target, None, kwargs)  # not about `broken`
            if problem:
                tally.failures.append(f"{where}: {problem}: {type(exc).__name__}: {exc}")
            else:
                tally.documented += 1
                tally.by_kind[type(exc).__name__] += 1
        except Exception as exc:
            spent = time.process_time() - start
            tally.failures.append(f"{where}: undocumented {type(exc).__name__}: {exc}")
        else:
            spent = time.process_time() - start
            problem = _judge_result(result, target.qualname.split(".")[-1],
                                    signed=target.qualname in SIGNED_RESULTS)
            if problem:
                tally.failures.append(f"{where}: {problem}")
            else:
                tally.clean += 1
        tally.cpu_s[target.qualname] += spent
        if spent > tally.slowest[0]:
            tally.slowest = (spent, where)
        limit = SLOW_LIMIT_S.get(target.qualname, (CALL_LIMIT_S, ""))[0]
        if spent > limit:
            tally.failures.append(f"{where}: took {spent:.2f} s of CPU time "
                                  f"(limit {limit} s)")

    def _same_error_without(self, target: Target, broken: str, kwargs: dict[str, Any],
                            exc: Exception) -> bool:
        """Whether the call fails the same way with ``broken`` as it was before it was
        broken (or at its default, or another valid value): then the error is about
        another argument (an edge value such as 1 is often valid)."""
        param = next(p for p in target.params if p.name == broken)
        before = {k: v for k, v in kwargs.items() if k != broken}
        retries = []
        if self._before_break or param.default is not inspect.Parameter.empty:
            retries.append({**before, **self._before_break})
        retries.append({**kwargs, broken: self._valid(target, param)})
        if self._before_break and param.default is not inspect.Parameter.empty:
            retries.append(before)  # at its default
        for retry in retries:
            try:
                target.func(**retry)
            except Exception as again:
                if type(again) is type(exc) and str(again) == str(exc):
                    return True
        return False

    def call_or_known(self, target: Target, tally: Tally) -> None:
        before = len(tally.failures)
        self.call(target, tally)
        if target.qualname in KNOWN_DEFECTS and len(tally.failures) > before:
            tally.known += tally.failures[before:]
            del tally.failures[before:]

    def run(self, calls: int) -> Tally:
        tally = Tally()
        from stackkit import _checks

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            # a documented note on a valid input far off its usual range (tested on its own)
            warnings.simplefilter("ignore", _checks.PlausibilityWarning)
            while tally.calls < calls:
                for target in self.targets:
                    self.call_or_known(target, tally)
        return tally


def _defined_in(func: Callable[..., Any], module_name: str) -> bool:
    """Whether ``func`` belongs to the layer ``module_name``: defined in the module itself or,
    for a layer that is a package, in one of its files (re-exported by its ``__init__``)."""
    return func.__module__ == module_name or func.__module__.startswith(module_name + ".")


def _deprecated(func: Callable[..., Any]) -> bool:
    return (func.__doc__ or "").lstrip().lower().startswith("deprecated")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _mentions(message: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", message) is not None


def _judge_error(exc: Exception, target: Target, broken: str | None,
                 kwargs: dict[str, Any]) -> str | None:
    """Why this error is not a documented one, or None if it is."""
    message = str(exc.args[0]) if exc.args else ""
    if isinstance(exc, KeyError) and ("known" in message or "name must be a string" in message):
        return None  # an unknown catalog name, listed with the closest known names
    if type(exc).__module__.startswith("stackkit") and type(exc) not in (ValueError, KeyError):
        return None  # a documented outcome of the model (e.g. cloud.OwningNeverPaysOff)
    if broken is not None:
        if _mentions(message, broken):
            return None
        return f"does not name the parameter that was broken ({broken!r})"
    if any(_mentions(message, name) for name in [p.name for p in target.params] + list(kwargs)):
        return None
    if any(isinstance(v, str) and len(v) >= 2 and _mentions(message, v) for v in kwargs.values()):
        return None  # names the value it refuses (a chip without the figure asked for ...)
    return "names none of the function's parameters"


def _bad_number(value: Any, label: str, signed: bool = False) -> str | None:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        return None
    try:
        x = float(value)
    except OverflowError:
        return f"{label} is an integer too large for a float ({_short(value)})"
    if math.isnan(x) or math.isinf(x):
        return f"{label} is {x}"
    if x < 0 and not signed and not _MAY_BE_NEGATIVE.search(label):
        return f"{label} is negative ({x:g})"
    if x > 1 + 1e-9 and _SHARE.search(re.split(r"[.\[]", label)[-1]):
        return f"{label} is a share of a whole, yet {x:g}"
    return None


def _judge_result(result: Any, label: str, depth: int = 0, signed: bool = False) -> str | None:
    """Why this result is impossible (NaN, inf, a negative quantity), or None."""
    if depth > 3 or result is None:
        return None
    if isinstance(result, str):
        found = re.search(r"\bnan\b|\binf\b|-inf", result, re.IGNORECASE)
        return f"{label} shows {found.group(0)!r}: {result!r}" if found else None
    if isinstance(result, (int, float, np.number)):
        return _bad_number(result, label, signed)
    if isinstance(result, np.ndarray):
        if result.dtype.kind in "fiu":
            if not np.all(np.isfinite(result)):
                return f"{label} holds NaN or inf"
            if np.any(result < 0) and not signed and not _MAY_BE_NEGATIVE.search(label):
                return f"{label} holds a negative value"
        return None
    if isinstance(result, pd.DataFrame):
        numbers = result.select_dtypes("number")
        if np.isinf(numbers.to_numpy(dtype=float)).any():
            return f"{label} table holds inf"
        for column in numbers.columns:
            if ((numbers[column] < 0).any() and not signed
                    and not _MAY_BE_NEGATIVE.search(str(column))):
                return f"{label} column {column!r} holds a negative value"
            if _SHARE.search(str(column)) and (numbers[column] > 1 + 1e-9).any():
                return f"{label} column {column!r} is a share of a whole, yet above 1"
        return None
    if isinstance(result, (tuple, list)):
        for i, item in enumerate(result[:50]):
            problem = _judge_result(item, f"{label}[{i}]", depth + 1, signed)
            if problem:
                return problem
        return None
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        names = [f.name for f in dataclasses.fields(result)]
        names += list(getattr(result, "_derived", ()))
        for name in names:
            problem = _judge_result(getattr(result, name), f"{label}.{name}", depth + 1,
                                    signed)
            if problem:
                return problem
        return None
    return None


# ------------------------------------------------------------------------------ tests

def _report(tally: Tally) -> str:
    other = len(tally.failures)
    lines = [f"fuzz: {tally.calls} calls over {len(tally.per_target)} functions: "
             f"{tally.clean} clean, {tally.documented} documented errors "
             f"({dict(tally.by_kind)}), {other} failures, {len(tally.known)} in known "
             f"defects ({', '.join(KNOWN_DEFECTS)}); slowest call "
             f"{tally.slowest[0] * 1e3:.0f} ms CPU: {tally.slowest[1]}"]
    lines += tally.failures[:40]
    return "\n".join(lines)


def test_the_fuzzer_finds_every_layer_module():
    fuzzer = Fuzzer(SEED)
    targets = {t.qualname for t in fuzzer.targets}
    for expected in ("units.fmt_usd", "catalog.query", "chips.matmul_intensity",
                     "clusters.hierarchical_allreduce_seconds", "cloud.plan_gpu_hours"):
        assert expected in targets
    assert not targets & set(SKIP)
    assert not fuzzer.undeclared, f"public functions without a declaration: {fuzzer.undeclared}"


@pytest.mark.slow
def test_native_functions_are_fuzzed_in_a_child_process():
    """faiss, tokenizers and onnxruntime can abort the interpreter (issue 21: a BPE
    vocabulary of 10**9 did): their functions run in a child, which logs each call before
    making it, so a crash fails this test with the call that caused it."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    code = ("import json, sys\n"
            f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
            "import test_fuzz as f\n"
            "fuzzer = f.Fuzzer(f.SEED, native=True, "
            "log=lambda w: print(w[:300], file=sys.stderr, flush=True))\n"
            "tally = fuzzer.run(f.NATIVE_CALLS)\n"
            "print(json.dumps({'report': f._report(tally), 'failures': tally.failures[:40], "
            "'targets': sorted(tally.per_target)}))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600)
    last = done.stderr.strip().splitlines()[-3:]
    assert done.returncode == 0, (f"the child died (exit {done.returncode}) during: "
                                  + "\n".join(last))
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    print("\n" + outcome["report"].splitlines()[0])
    assert set(outcome["targets"]) == set(NATIVE)
    assert not outcome["failures"], outcome["report"]


def test_fuzz_every_public_function(capsys):
    fuzzer = Fuzzer(SEED)
    tally = fuzzer.run(CALLS)
    with capsys.disabled():
        print("\n" + _report(tally).splitlines()[0])
        for line in tally.known[:3]:
            print(f"  known defect (KNOWN_DEFECTS): {line[:300]}")
    assert tally.calls >= CALLS  # make test: 10,000 (make quick runs 2,000, make fuzz 100,000)
    assert not tally.failures, _report(tally)
