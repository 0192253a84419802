"""The six layers of the AI infrastructure stack, and the numbers that drive each one's cost.

Lesson 00 draws this; lesson 07 (the capstone) runs one scenario through it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _checks, catalog, chips, cloud, clusters, lessons, transformer
from ._results import Result
from .units import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    GB,
    HOURS_PER_DAY,
    HOURS_PER_YEAR,
    SECONDS_PER_HOUR,
    TB,
)


def _notebook(layer: int) -> str:
    """The lesson that teaches ``layer``, from the lesson registry."""
    return next(item.notebook for item in lessons.LESSONS if item.layer == layer)


@dataclass(frozen=True)
class Layer:
    number: int  # 1 = bottom of the stack
    name: str
    what: str
    cost_drivers: str
    notebook: str


LAYERS: tuple[Layer, ...] = (
    Layer(1, "Silicon", "GPUs, TPUs and other accelerators that do the arithmetic",
          "peak FLOP/s, memory bandwidth, memory size, price per chip", _notebook(1)),
    Layer(2, "Servers and clusters", "nodes, NVLink and InfiniBand fabrics, power and cooling",
          "link bandwidth, megawatts, failures per day", _notebook(2)),
    Layer(3, "Cloud compute", "renting GPUs by the hour, reserved, spot, or owning them",
          "$ per GPU-hour, discounts, utilization", _notebook(3)),
    Layer(4, "Data infrastructure", "training corpora, storage that feeds GPUs, vector search",
          "terabytes, storage throughput, tokens", _notebook(4)),
    Layer(5, "Training frameworks", "parallelism and memory management for large runs",
          "FLOPs = 6 · params · tokens, GPU-hours, memory per GPU", _notebook(5)),
    Layer(6, "Serving and APIs", "turning a trained model into tokens for users",
          "$ per million tokens, latency, KV-cache memory", _notebook(6)),
)


def _figure(layer: Layer, what: str, value: float, unit: str, row_name: str,
            source: str, as_of) -> dict:
    return {
        "layer": layer.number,
        "layer_name": layer.name,
        "figure": what,
        "value": float(value),
        "unit": unit,
        "from": row_name,
        "as_of": pd.Timestamp(as_of),
        "source": source,
    }


def key_figures() -> pd.DataFrame:
    """A few catalog numbers per layer, each with the row it comes from and its date."""
    chip = catalog.accelerator("H100 SXM")
    nvlink = catalog.interconnect("NVLink 4")
    infiniband = catalog.interconnect("InfiniBand NDR 4x")
    p5_now = catalog.instance("p5.48xlarge")
    p5_before = catalog.instance("p5.48xlarge", as_of="2025-05-01")
    corpus = catalog.dataset("FineWeb")
    big = catalog.model("Llama 3.1 405B")
    api = catalog.api_price("GPT-5 mini")
    s1, s2, s3, s4, s5, s6 = LAYERS
    rows = [
        _figure(s1, "dense BF16 compute", chip.bf16_tflops, "TFLOP/s", chip.name,
                chip.source, chip.as_of),
        _figure(s1, "memory bandwidth", chip.memory_bw_tb_s, "TB/s", chip.name,
                chip.source, chip.as_of),
        _figure(s2, "scale-up link, per GPU", nvlink.bandwidth_gb_s, "GB/s", nvlink.name,
                nvlink.source, nvlink.as_of),
        _figure(s2, "scale-out link, per port", infiniband.bandwidth_gb_s, "GB/s",
                infiniband.name, infiniband.source, infiniband.as_of),
        _figure(s2, "board power", chip.tdp_w, "W", chip.name, chip.source, chip.as_of),
        _figure(s3, "on-demand price", p5_now.usd_per_gpu_hour, "USD per GPU-hour",
                p5_now.instance, p5_now.source, p5_now.as_of),
        _figure(s3, "the same, before the June 2025 cut", p5_before.usd_per_gpu_hour,
                "USD per GPU-hour",
                p5_before.instance, p5_before.source, p5_before.as_of),
        _figure(s4, "web text for pre-training", corpus.tokens / 1e12, "trillion tokens",
                corpus.name, corpus.source, corpus.as_of),
        _figure(s4, "the same on disk", corpus.size_tb, "TB", corpus.name, corpus.source,
                corpus.as_of),
        _figure(s5, "parameters of a frontier open model", big.params / 1e9, "billion parameters",
                big.name, big.source, big.as_of),
        _figure(s6, "API price, input", api.input_usd_per_mtok, "USD per million tokens",
                api.model, api.source, api.as_of),
        _figure(s6, "API price, output", api.output_usd_per_mtok, "USD per million tokens",
                api.model, api.source, api.as_of),
    ]
    return pd.DataFrame(rows)


def layers() -> pd.DataFrame:
    """The six layers as a table: what each is, what drives its cost, which lesson covers it."""
    return pd.DataFrame(
        [{"layer": x.number, "name": x.name, "what it is": x.what,
          "what drives its cost": x.cost_drivers, "lesson": x.notebook} for x in LAYERS]
    ).set_index("layer")


# ----------------------------------------------------------------------------- lesson 7
#
# One product traced through every layer. The stack adds no physics of its own:
# each figure below is a layer function called directly (chips, clusters, cloud,
# data/vectors, training, serving); what the stack adds is bookkeeping — how many
# of each thing the product needs, and how the monthly bills add up.

HOSTING = ("api", "on-demand", "reserved", "spot", "owned")
_MTOK = 1e6
_MONTHS_PER_YEAR = 12.0
_TRAINING_FUNCTION = "training.flops + training.days"
_CORPUS_FUNCTIONS = ("data.dataset_storage", "catalog.dataset")


@functools.lru_cache(maxsize=256)
def _assumption(key: str) -> catalog.Assumption:
    return catalog.assumption(key)


def _assumed(key: str) -> float:
    return _assumption(key).value


# Look-ups by name scan the catalog each time; a trace makes a dozen, a tornado hundreds.
_instance = functools.lru_cache(maxsize=64)(catalog.instance)
_accelerator = functools.lru_cache(maxsize=64)(catalog.accelerator)
_model = functools.lru_cache(maxsize=64)(catalog.model)
_api_price = functools.lru_cache(maxsize=64)(catalog.api_price)
_dataset = functools.lru_cache(maxsize=64)(catalog.dataset)


def _date(value: object, name: str) -> dt.date:
    return _checks.date(name, value)


def _optional_module(name: str):
    """A layer module that another engineer may not have landed yet (None if absent)."""
    try:
        return importlib.import_module(f"stackkit.{name}")
    except ImportError:
        return None


@dataclass(frozen=True)
class Scenario:
    """One AI product, from the chip to the token; every assumption is a named field.

    Defaults come from ``data/assumptions/stack.csv`` (and the other layers'
    files) with a source and a low/high range each; :func:`knobs` lists the
    ranges. Token counts are per request; prices come from the catalog with
    their dates.

    Product: ``users_per_day``, ``requests_per_user`` (per user per day),
    ``input_tokens`` and ``output_tokens`` (per request), ``cached_input_share``.

    How the model is had: ``hosting`` — ``"api"`` (pay ``api_model``'s price per
    token), ``"on-demand"``, ``"reserved"`` or ``"spot"`` (rent ``instance``),
    or ``"owned"`` (buy ``instance``'s chip: capital, power, operations).

    Self-hosting: ``model`` (catalog architecture) served on ``instance``'s chip,
    ``gpus_per_replica`` chips per copy of the model (None: the fewest whose
    memory holds the weights and a full batch's KV cache, rounded up to a power
    of two), ``decode_batch_size``, ``serving_efficiency`` (achieved share of lesson
    6's expected estimate), ``utilization`` (busy share of provisioned capacity).

    Owning: ``capital_usd_per_gpu`` (None: lesson 2's server price per GPU),
    ``amortization_years``, ``pue``, ``usd_per_kwh``, ``ops_usd_per_gpu_hour``.

    Data: ``rag_chunks`` vectors of ``embedding_dim`` in a vector store at
    ``vector_store_usd_per_gb_month``; each request's input embedded at
    ``embedding_usd_per_mtok``; ``training_corpus`` (a catalog dataset, or None)
    kept in object storage at ``storage_usd_per_gb_month``.

    Training: ``train_tokens`` (0: the product trains nothing) on ``train_gpus``
    chips at ``train_achieved_tflops`` each, paid like the serving chips and
    spread over ``model_life_months``.

    Dates: ``price_as_of`` picks the instance price in force on a date (None:
    the latest); prices older than ``stale_after_months`` before ``today``
    (None: the computer's date) are flagged stale.
    """

    name: str = "custom"
    # the product
    users_per_day: float = field(default_factory=lambda: _assumed("stack_users_per_day"))
    requests_per_user: float = field(default_factory=lambda: _requests_per_user())
    input_tokens: float = field(default_factory=lambda: _assumed("chat_prompt_tokens_median"))
    output_tokens: float = field(default_factory=lambda: _assumed("chat_output_tokens_median"))
    cached_input_share: float = 0.0
    # how the model is had
    hosting: str = "api"
    api_model: str = "GPT-5 mini"
    model: str = "Llama 3 70B"
    instance: str = "p5.48xlarge"
    gpus_per_replica: int | None = None
    decode_batch_size: int = field(default_factory=lambda: int(_assumed("decode_batch_size")))
    serving_efficiency: float = field(default_factory=lambda: _assumed("serving_efficiency"))
    utilization: float = field(default_factory=lambda: _assumed("serving_utilization"))
    reserved_discount: float = field(default_factory=lambda: _assumed("reserved_discount"))
    usd_per_gpu_hour: float | None = None  # None: the catalog's price for the hosting mode
    api_price_factor: float = 1.0  # the API's list price × this (1: today's list)
    # owning the chips
    capital_usd_per_gpu: float | None = None
    amortization_years: float = 4.0
    pue: float = field(default_factory=lambda: _assumed("pue_industry_average"))
    usd_per_kwh: float = field(default_factory=lambda: _assumed("electricity_usd_per_kwh"))
    ops_usd_per_gpu_hour: float = 0.0
    # data
    rag_chunks: float = field(default_factory=lambda: _assumed("rag_chunks"))
    retrieved_chunks: float = field(
        default_factory=lambda: _assumed("rag_retrieved_chunks_per_request"))
    chunk_tokens: float = field(default_factory=lambda: _assumed("rag_chunk_tokens"))
    embedding_dim: int = field(
        default_factory=lambda: int(_assumed("openai_embedding_3_small_dim")))
    vector_store_usd_per_gb_month: float = field(
        default_factory=lambda: _assumed("s3_vectors_usd_per_gb_month"))
    embedding_usd_per_mtok: float = field(
        default_factory=lambda: _assumed("openai_embedding_3_small_usd_per_mtok"))
    training_corpus: str | None = None
    storage_usd_per_gb_month: float = field(
        default_factory=lambda: _assumed("s3_standard_usd_per_gb_month"))
    # training
    train_tokens: float = 0.0
    train_gpus: int = field(default_factory=lambda: int(_assumed("llama3_gpus")))
    train_achieved_tflops: float = field(
        default_factory=lambda: _assumed("llama3_achieved_bf16_tflops_per_gpu"))
    model_life_months: float = field(default_factory=lambda: _assumed("model_life_months"))
    # dates
    price_as_of: str | None = None
    today: str | dt.date | None = None
    stale_after_months: float = 12.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise ValueError(f"name must be a string; got {self.name!r}")
        for name in ("api_model", "model", "instance"):
            _checks.text(name, getattr(self, name))
        if self.training_corpus is not None:
            _checks.text("training_corpus", self.training_corpus)
        _checks.positive("users_per_day", self.users_per_day, high=MAX_USERS_PER_DAY)
        _checks.positive("requests_per_user", self.requests_per_user,
                         high=MAX_REQUESTS_PER_USER)
        _checks.positive("input_tokens", self.input_tokens, high=MAX_TOKENS_PER_REQUEST)
        _checks.positive("output_tokens", self.output_tokens, high=MAX_TOKENS_PER_REQUEST)
        _checks.in_range("cached_input_share", self.cached_input_share, 0.0, 1.0)
        object.__setattr__(self, "hosting", _checks.one_of("hosting", self.hosting, HOSTING))
        if self.gpus_per_replica is not None:
            _checks.positive_int("gpus_per_replica", self.gpus_per_replica)
        _checks.positive_int("decode_batch_size", self.decode_batch_size)
        _checks.in_range("serving_efficiency", self.serving_efficiency, 0.0, 1.0, low_open=True)
        _checks.in_range("utilization", self.utilization, 0.0, 1.0, low_open=True)
        _checks.in_range("reserved_discount", self.reserved_discount, 0.0, 1.0, high_open=True)
        if self.usd_per_gpu_hour is not None:
            _checks.positive("usd_per_gpu_hour", self.usd_per_gpu_hour, high=1e4)
        _checks.positive("api_price_factor", self.api_price_factor, high=1e3)
        if self.capital_usd_per_gpu is not None:
            _checks.positive("capital_usd_per_gpu", self.capital_usd_per_gpu)
        _checks.positive("amortization_years", self.amortization_years)
        _checks.in_range("pue", self.pue, 1.0, 3.0)
        _checks.non_negative("usd_per_kwh", self.usd_per_kwh)
        _checks.non_negative("ops_usd_per_gpu_hour", self.ops_usd_per_gpu_hour)
        _checks.non_negative("rag_chunks", self.rag_chunks)
        _checks.non_negative("retrieved_chunks", self.retrieved_chunks, high=1e3)
        _checks.non_negative("chunk_tokens", self.chunk_tokens, high=1e5)
        _checks.positive_int("embedding_dim", self.embedding_dim)
        _checks.non_negative("vector_store_usd_per_gb_month", self.vector_store_usd_per_gb_month)
        _checks.non_negative("embedding_usd_per_mtok", self.embedding_usd_per_mtok)
        _checks.non_negative("storage_usd_per_gb_month", self.storage_usd_per_gb_month)
        # 1e16 tokens: a hundred times the largest training set yet (Llama 4, ~40T)
        _checks.non_negative("train_tokens", self.train_tokens, high=1e16)
        _checks.positive_int("train_gpus", self.train_gpus)
        _checks.positive("train_achieved_tflops", self.train_achieved_tflops)
        _checks.positive("model_life_months", self.model_life_months)
        _checks.positive("stale_after_months", self.stale_after_months)
        if self.today is not None:
            _date(self.today, "today")
        if self.price_as_of is not None:
            _date(self.price_as_of, "price_as_of")

    @property
    def self_hosted(self) -> bool:
        return self.hosting != "api"

    @property
    def retrieved_tokens(self) -> float:
        """Tokens of retrieved chunks added to each prompt (0 without a RAG store); a
        self-hosted model reads at most what fits beside the request in its context."""
        wanted = self.retrieved_chunks * self.chunk_tokens if self.rag_chunks > 0 else 0.0
        if wanted > 0 and self.self_hosted:
            room = _model(self.model).context_length - (math.floor(self.input_tokens + 0.5)
                                                         + math.floor(self.output_tokens + 0.5))
            wanted = min(wanted, max(0.0, float(room)))
        return wanted

    @property
    def requests_per_day(self) -> float:
        return self.users_per_day * self.requests_per_user

    @property
    def tokens_per_month(self) -> float:
        """Input plus output tokens a month (365/12 days)."""
        return self.requests_per_day * DAYS_PER_MONTH * (self.input_tokens + self.output_tokens)

    def replace(self, **changes: object) -> Scenario:
        """A copy with some fields changed (checked like a new scenario)."""
        return dataclasses.replace(self, **changes)


def _requests_per_user() -> float:
    """Messages per weekly user per day, from one dated pair: 18 billion messages a week
    from 700 million weekly users, July 2025 (Chatterji et al., NBER w34255)."""
    return (_assumed("chatgpt_messages_per_week_jul2025") / 7.0
            / _assumed("chatgpt_weekly_active_users_jul2025"))


def _llm_scenario(s: Scenario) -> Scenario:
    """The request the model actually reads: the user's prompt plus the retrieved chunks."""
    r = s.retrieved_tokens
    return dataclasses.replace(s, input_tokens=s.input_tokens + r, retrieved_chunks=0.0) \
        if r > 0 else s


# ----------------------------------------------------------------------------- presets

def _presets() -> dict[str, Scenario]:
    tokens = _assumed("llama3_pretraining_tokens")
    return {
        "startup-chatbot-api": Scenario(
            name="A startup's chatbot on an API", hosting="api", api_model="GPT-5 mini"),
        "self-host-llama3-70b": Scenario(
            name="A company self-hosting Llama 3 70B on rented H100s",
            hosting="on-demand", model="Llama 3 70B", instance="p5.48xlarge",
            api_model="GPT-5", users_per_day=1_000_000, rag_chunks=1_000_000),
        "lab-train-and-serve": Scenario(
            name="A lab that trains Llama 3 70B and serves it at scale",
            hosting="owned", model="Llama 3 70B", instance="p5.48xlarge",
            users_per_day=50_000_000, rag_chunks=0.0, embedding_usd_per_mtok=0.0,
            train_tokens=tokens,
            training_corpus="FineWeb"),
    }


#: Ceilings on a scenario's product figures: more users than people on Earth, more
#: than a request a second all day, or a longer request than any model's context
#: (10M tokens, Llama 4 Scout) describe no product, and their products would pass
#: the kit's float ceiling further down.
MAX_USERS_PER_DAY = 1e10
MAX_REQUESTS_PER_USER = 1e5
MAX_TOKENS_PER_REQUEST = 1e7


#: The three presets' names: a startup's chatbot on an API; a company self-hosting
#: Llama 3 70B on rented H100s; a lab training and serving its own model.
PRESET_NAMES = ("startup-chatbot-api", "self-host-llama3-70b", "lab-train-and-serve")


def preset(name: str, **changes: object) -> Scenario:
    """One of :data:`PRESET_NAMES` as a :class:`Scenario`, with optional changes.

    - ``startup-chatbot-api``: 10,000 users a day, ChatGPT's 5 requests per user
      (Axios, July 2025), the Splitwise conversation trace's median request
      (1,020 tokens in, 129 out), on GPT-5 mini's API, with a 100k-chunk RAG store.
    - ``self-host-llama3-70b``: a million users a day on Llama 3 70B, rented
      p5.48xlarge (8 × H100) on demand, a million-chunk RAG store; the API it
      would otherwise buy is GPT-5.
    - ``lab-train-and-serve``: Llama 3 70B pre-trained on 15T tokens (the Llama 3
      model card) on owned H100s at Llama 3's achieved TFLOP/s, FineWeb kept in
      object storage, serving 50 million users a day.
    """
    table = _presets()
    key = catalog._find(list(table), name, "preset")
    return table[key].replace(**changes) if changes else table[key]


def presets(**changes: object) -> dict[str, Scenario]:
    """All presets by name (``changes`` applied to each, e.g. ``today=...``)."""
    return {name: preset(name, **changes) for name in PRESET_NAMES}


# ----------------------------------------------------------------------------- the trace

@dataclass(frozen=True)
class _Price:
    figure: str
    value: float
    unit: str
    as_of: dt.date
    source: str


@dataclass(frozen=True, eq=False)
class StackResult(Result):
    """One scenario traced through the six layers: the bill, what it buys, and its dates.

    ``rows`` holds the monthly bill line by line (each from one layer function);
    :meth:`waterfall` turns it into $ per million tokens that sum to the total.
    ``figures`` holds each layer's headline figures and the function that gave
    them; ``prices`` every dated price used, with its age and a stale flag;
    ``not_composed`` names any layer piece that could not be computed because
    its module is missing.
    """

    _derived = ("usd_per_mtok",)

    scenario_name: str
    hosting: str
    usd_per_month: float
    mtok_per_month: float
    n_gpus: int  # serving chips provisioned (0 on an API)
    facility_mw: float  # their draw from the grid (0 on an API)
    ttft_s: float | None  # time to first token, self-hosted (None on an API)
    tpot_s: float | None  # time per output token, self-hosted
    training_gpu_hours: float
    n_stale_prices: int
    line_items: tuple[dict, ...] = field(default=(), repr=False)
    figure_items: tuple[dict, ...] = field(default=(), repr=False)
    price_items: tuple[dict, ...] = field(default=(), repr=False)
    not_composed: tuple[str, ...] = ()
    scenario: Scenario | None = field(default=None, repr=False)

    @property
    def usd_per_mtok(self) -> float:
        """Total cost per million tokens (input plus output)."""
        return self.usd_per_month / self.mtok_per_month

    @property
    def rows(self) -> pd.DataFrame:
        """The monthly bill, one line item per row, with the layer function that gave it."""
        return pd.DataFrame(list(self.line_items), columns=[
            "layer", "layer_name", "item", "usd_per_month", "function", "prices", "note",
            "as_of", "stale"])

    @property
    def figures(self) -> pd.DataFrame:
        """Each layer's headline figures: value, unit and the function that computed it."""
        return pd.DataFrame(list(self.figure_items), columns=[
            "layer", "layer_name", "figure", "value", "unit", "function"])

    @property
    def prices(self) -> pd.DataFrame:
        """Every dated price the trace used: value, as_of, age in days, stale flag, source."""
        frame = pd.DataFrame(list(self.price_items), columns=[
            "key", "figure", "value", "unit", "as_of", "age_days", "stale", "source"])
        frame["as_of"] = pd.to_datetime(frame["as_of"])
        return frame

    def figure(self, name: str) -> float:
        """One headline figure by its name in :attr:`figures` (e.g. "time to first token")."""
        for item in self.figure_items:
            if item["figure"] == name:
                return item["value"]
        known = ", ".join(repr(i["figure"]) for i in self.figure_items)
        raise KeyError(f"no figure {name!r} in this trace; known: {known}")

    def waterfall(self) -> pd.DataFrame:
        """The bill as $ per million tokens, one row per line item, bottom layer first.

        Columns: layer, layer_name, item, usd_per_month, usd_per_mtok, share,
        start and end (the bar's extent in a waterfall), function, as_of (the
        oldest price the row uses) and stale. ``usd_per_mtok`` sums to
        :attr:`usd_per_mtok`.
        """
        frame = self.rows[self.rows["usd_per_month"] > 0].copy()
        frame = frame.sort_values("layer", kind="stable").reset_index(drop=True)
        frame["usd_per_mtok"] = frame["usd_per_month"] / self.mtok_per_month
        frame["share"] = frame["usd_per_month"] / self.usd_per_month
        frame["end"] = frame["usd_per_mtok"].cumsum()
        frame["start"] = frame["end"] - frame["usd_per_mtok"]
        return frame[["layer", "layer_name", "item", "usd_per_month", "usd_per_mtok", "share",
                      "start", "end", "function", "as_of", "stale"]]

    def sensitivity(self) -> pd.DataFrame:
        """Each assumption at its low and its high, ranked by how far it moves the total."""
        return sensitivity(self._scenario())

    def uncertainty(self, n: int = 10_000, seed: int = 0) -> Uncertainty:
        """A seeded Monte Carlo over the assumptions' ranges: P10, P50, P90 of $/Mtok."""
        return uncertainty(self._scenario(), n=n, seed=seed)

    def _scenario(self) -> Scenario:
        if self.scenario is None:
            raise ValueError("this result was built without its scenario; call trace(scenario)")
        return self.scenario


def _check_scenario(scenario: object) -> Scenario:
    if not isinstance(scenario, Scenario):
        raise ValueError(f"scenario must be a stack.Scenario (see stack.preset); "
                         f"got {type(scenario).__name__}")
    return scenario


def _gpus_per_replica(s: Scenario, spec: catalog.ModelSpec, chip: catalog.Accelerator) -> int:
    """The fewest chips (a power of two, for tensor parallelism) holding weights and KV cache.

    Memory = weights + batch × (input + output) tokens × KV bytes per token, the
    figures lesson 1 and the catalog give; the capacity is the chip's memory.
    """
    if s.gpus_per_replica is not None:
        return int(s.gpus_per_replica)
    kv_bytes = (s.decode_batch_size * (s.input_tokens + s.output_tokens)
                * transformer.kv_cache_bytes_per_token(spec, 2.0))
    weights_equivalent_params = (transformer.weight_bytes(spec, 2.0) + kv_bytes) / 2.0
    chips_needed = chips.chips_to_hold_weights(weights_equivalent_params, chip, 2.0)
    return 1 << (chips_needed - 1).bit_length()


_SERVING_FUNCTIONS = ("chips_for_batch", "serving_cost", "latency", "step_time")


def _serving_layer():
    """Lesson 6's module when it is present with the functions the stack composes."""
    serving = _optional_module("serving")
    if serving is not None and all(hasattr(serving, f) for f in _SERVING_FUNCTIONS):
        return serving
    return None


class _Replica:
    """One replica of the model: its chips, how long a request occupies it, its latency.

    With lesson 6 present: ``serving.chips_for_batch`` (the fewest chips, a power of two,
    holding the weights and a full batch's KV), ``serving.serving_cost`` (replica-seconds
    per request at full load: its prefill plus its share of batched decode steps) and
    ``serving.latency`` (TTFT and TPOT). Without it, lesson 1's roofline
    (``chips.prefill``, ``chips.decode_step``) and the same bookkeeping.
    """

    def __init__(self, s: Scenario, spec: catalog.ModelSpec, chip: catalog.Accelerator,
                 row: catalog.Instance) -> None:
        self.s, self.spec, self.chip, self.row = s, spec, chip, row
        request = round(s.input_tokens) + round(s.output_tokens)
        if request > spec.context_length:
            raise ValueError(f"input_tokens + output_tokens = {request:,} is longer than "
                             f"{spec.name}'s context of {spec.context_length:,} tokens: a "
                             "self-hosted request must fit the model; shorten it")
        self.serving = _serving_layer()
        self.g = self._chips()

    def _chips(self) -> int:
        s = self.s
        if s.gpus_per_replica is not None:
            return int(s.gpus_per_replica)
        if self.serving is not None:
            # the request fits (checked above, each count rounded); their rounded sum may
            # still exceed the context by one token (4096.5 + 4096.5 rounds to 8193)
            context = min(self.spec.context_length, max(1, round(s.input_tokens
                                                                 + s.output_tokens)))
            return self.serving.chips_for_batch(self.spec, self.chip, s.decode_batch_size,
                                                context)
        return _gpus_per_replica(s, self.spec, self.chip)

    @property
    def functions(self) -> dict[str, str]:
        if self.serving is not None:
            return {"chips": "serving.chips_for_batch", "capacity": "serving.serving_cost",
                    "ttft": "serving.latency", "tpot": "serving.latency"}
        return {"chips": "chips.chips_to_hold_weights",
                "capacity": "chips.prefill + chips.decode_step",
                "ttft": "chips.prefill", "tpot": "chips.decode_step"}

    def request(self) -> tuple[float, float, float]:
        """(replica-seconds per request at full load, TTFT s, TPOT s), before efficiency."""
        s, i, o = self.s, max(1, round(self.s.input_tokens)), max(1, round(self.s.output_tokens))
        if self.serving is not None:
            cost = self.serving.serving_cost(self.spec, self.row, s.decode_batch_size, i, o,
                                             utilization=1.0, n_chips=self.g)
            # TTFT of one request's prompt; TPOT inside a full batch
            first = self.serving.latency(self.spec, self.chip, 1, i, o, n_chips=self.g)
            batch = self.serving.latency(self.spec, self.chip, s.decode_batch_size, i, o,
                                         n_chips=self.g)
            return cost.gpu_s_per_request, first.ttft_s, batch.tpot_s
        pre = chips.prefill(self.spec, self.chip, i, n_chips=self.g).time_s
        step = chips.decode_step(self.spec, self.chip, s.decode_batch_size,
                                 round(s.input_tokens + s.output_tokens / 2),
                                 n_chips=self.g).time_s
        return pre + s.output_tokens * step / s.decode_batch_size, pre, step

    def vectorised(self, i_span: tuple[float, float], o_span: tuple[float, float]):
        """Replica-seconds per request as a function of arrays of input and output tokens,
        from the same layer functions evaluated on a grid of token counts (interpolated)."""
        b = self.s.decode_batch_size
        i_grid = _grid(max(1, round(i_span[0])), max(1, round(i_span[1])) + 1)
        if self.serving is not None:
            c_grid = _grid(max(1, round(i_span[0]) + round(o_span[0]) // 2),
                           round(i_span[1]) + round(o_span[1]) // 2 + 1, 65)
            steps = [self.serving.step_time(self.spec, self.chip, self.g,
                                            context_tokens=int(c)) for c in c_grid]
            prefill = np.array([np.asarray(st(i_grid, 0), dtype=float) for st in steps])
            decode = np.array([st(0, b) / b for st in steps])

            def replica_s(i, o):
                ir, orr = np.maximum(1, np.round(i)), np.maximum(1, np.round(o))
                c = np.maximum(1, ir + np.floor(orr / 2))
                # bilinear in (context, prompt tokens) on the grid of step times
                k = np.clip(np.searchsorted(c_grid, c, side="right") - 1, 0, len(c_grid) - 1)
                k1 = np.minimum(k + 1, len(c_grid) - 1)
                wc = np.where(k1 > k, (c - c_grid[k]) / np.maximum(c_grid[k1] - c_grid[k], 1),
                              0.0)
                m = np.clip(np.searchsorted(i_grid, ir, side="right") - 1, 0, len(i_grid) - 1)
                m1 = np.minimum(m + 1, len(i_grid) - 1)
                wi = np.where(m1 > m, (ir - i_grid[m]) / np.maximum(i_grid[m1] - i_grid[m], 1),
                              0.0)
                low = prefill[k, m] + wi * (prefill[k, m1] - prefill[k, m])
                high = prefill[k1, m] + wi * (prefill[k1, m1] - prefill[k1, m])
                pre = low + wc * (high - low)
                return pre + (orr - 1) * np.interp(c, c_grid, decode)
            return replica_s
        c_grid = _grid(i_span[0] + o_span[0] / 2 - 1, i_span[1] + o_span[1] / 2 + 1)
        pre = np.array([chips.prefill(self.spec, self.chip, int(i), n_chips=self.g).time_s
                        for i in i_grid])
        step = np.array([chips.decode_step(self.spec, self.chip, b, max(0, int(c)),
                                           n_chips=self.g).time_s for c in c_grid])

        def replica_s(i, o):
            return (np.interp(np.maximum(1, np.round(i)), i_grid, pre)
                    + o * np.interp(np.round(i + o / 2), c_grid, step) / b)
        return replica_s


def _row(layer: int, item: str, usd_per_month: float, function: str,
         prices: tuple[str, ...] = (), note: str = "") -> dict:
    return {"layer": layer, "layer_name": LAYERS[layer - 1].name, "item": item,
            "usd_per_month": float(usd_per_month), "function": function,
            "prices": prices, "note": note}


def _figure_row(layer: int, figure: str, value: float, unit: str, function: str) -> dict:
    return {"layer": layer, "layer_name": LAYERS[layer - 1].name, "figure": figure,
            "value": float(value), "unit": unit, "function": function}


def trace(scenario: Scenario) -> StackResult:
    """Run ``scenario`` through the six layers: what it needs from each and what it costs.

    Every figure is the layer's own function called directly:

    - layer 1, chips: replica size (``chips.chips_to_hold_weights``) and the roofline
      bounds on prefill and decode (``chips.prefill``, ``chips.decode_step``);
    - layer 2, clusters: the serving fleet's power and electricity
      (``clusters.cluster_power``) and, when owned, its capital
      (``clusters.owned_cost``);
    - layer 3, cloud: GPU-hour prices (``cloud.gpu_hour_price``), the fleet's bill
      (``cloud.self_hosting_daily_usd``) and API bills (``cloud.api_bill``);
    - layer 4, data: the vector store (``vectors.index_bytes``) and the training
      corpus (``catalog.dataset``) at storage prices;
    - layer 5, training: ``training.flops`` and ``training.days``, amortised over
      the model's life;
    - layer 6, serving: capacity, time to first token and per output token from the
      bounds above (lesson 6's simulator refines them).

    The stack's own arithmetic is bookkeeping: requests × tokens, chips × hours × price,
    a bill spread over the tokens it buys.
    """
    s = _check_scenario(scenario)
    today = dt.date.today() if s.today is None else _date(s.today, "today")
    rows: list[dict] = []
    figures: list[dict] = []
    prices: dict[str, _Price] = {}
    not_composed: list[str] = []
    tokens_per_day = s.requests_per_day * (s.input_tokens + s.output_tokens)
    requests_per_month = s.requests_per_day * DAYS_PER_MONTH
    n_gpus, facility_mw, ttft_s, tpot_s, train_gpu_hours = 0, 0.0, None, None, 0.0

    row = _instance(s.instance, as_of=s.price_as_of)
    chip = _accelerator(row.accelerator)
    spec = _model(s.model)
    owned = None
    if s.hosting == "owned" or (s.train_tokens > 0 and s.hosting == "owned"):
        owned = clusters.owned_cost(chip, s.capital_usd_per_gpu, s.amortization_years, s.pue,
                                    s.usd_per_kwh, s.ops_usd_per_gpu_hour)
        electricity = _assumption("electricity_usd_per_kwh")
        prices["electricity"] = _Price("electricity", s.usd_per_kwh, "USD/kWh",
                                       electricity.as_of, electricity.source)
        if s.capital_usd_per_gpu is None:
            server = _assumption(clusters._server_prices()[chip.name][0])
            prices["server"] = _Price(f"server price ({chip.name})",
                                      clusters.server_price_usd_per_gpu(chip), "USD per GPU",
                                      server.as_of, server.source)
    rent = None
    if s.hosting in ("on-demand", "reserved", "spot") or (s.hosting == "api" and s.train_tokens):
        mode = "on-demand" if s.hosting == "api" else s.hosting
        rent = cloud.gpu_hour_price(row, mode, reserved_discount=s.reserved_discount
                                    if mode == "reserved" else None)
        if s.usd_per_gpu_hour is not None:  # a quote or a what-if instead of the list price
            rent = dataclasses.replace(rent, usd_per_gpu_hour=float(s.usd_per_gpu_hour))
        prices["instance"] = _Price(f"{row.instance} {mode}", rent.usd_per_gpu_hour,
                                    "USD per GPU-hour", rent.as_of, rent.source)

    # ---- layer 6 (API) or layers 1-3 and 6 (self-hosted): the tokens themselves
    retrieved = s.retrieved_tokens
    if s.hosting == "api":
        api = _api_price(s.api_model)
        bill = cloud.api_bill(api, s.users_per_day, s.requests_per_user,
                              s.input_tokens + retrieved, s.output_tokens, s.cached_input_share)
        prices["api"] = _Price(f"{api.model} API", api.output_usd_per_mtok * s.api_price_factor,
                               "USD per 1e6 output tokens", api.as_of, api.source)
        monthly = bill.monthly_usd * s.api_price_factor
        context_usd = 0.0
        if retrieved > 0:  # the chunks are input tokens like any other: priced the same
            plain = cloud.api_bill(api, s.users_per_day, s.requests_per_user, s.input_tokens,
                                   s.output_tokens, s.cached_input_share)
            context_usd = monthly - plain.monthly_usd * s.api_price_factor
            rows.append(_row(4, "retrieved chunks in the prompt (API input tokens)",
                             context_usd, "cloud.api_bill (retrieved tokens)", ("api",)))
        rows.append(_row(6, f"API tokens ({bill.model})", monthly - context_usd,
                         "cloud.api_bill", ("api",)))
        figures.append(_figure_row(6, "API price, blended over this request",
                                   bill.usd_per_request * s.api_price_factor
                                   / (s.input_tokens + retrieved + s.output_tokens)
                                   * _MTOK, "USD per 1e6 tokens", "cloud.api_bill"))
    else:
        replica = _Replica(_llm_scenario(s), spec, chip, row)
        g, used = replica.g, replica.functions
        if replica.serving is None:
            not_composed.append("serving: stackkit.serving." + "/".join(_SERVING_FUNCTIONS)
                                + " is not available; capacity and latency come from "
                                "lesson 1's roofline instead")
        full_load_s, ttft_bound_s, tpot_bound_s = replica.request()
        replica_s = full_load_s / s.serving_efficiency
        # the share of each request's replica time spent reading the retrieved chunks
        context_share = 0.0
        if retrieved > 0:
            plain = _Replica(s.replace(gpus_per_replica=g), spec, chip, row).request()[0]
            context_share = max(0.0, 1.0 - plain / full_load_s)
        tokens_per_s_per_gpu = (s.input_tokens + s.output_tokens) / replica_s / g
        # chips needed: the fleet bill at $1 per GPU-hour over 24 h counts the GPUs
        n_gpus = round(cloud.self_hosting_daily_usd(tokens_per_day,
                                                    tokens_per_s_per_gpu * s.utilization, 1.0, g)
                       / HOURS_PER_DAY)
        if not n_gpus <= _checks.COUNT_LIMIT:
            raise ValueError(f"this scenario needs {n_gpus:.3g} GPUs, more than any fleet "
                             f"(the kit counts up to {_checks.COUNT_LIMIT:.0e}): "
                             f"serving_efficiency={s.serving_efficiency!r}, utilization="
                             f"{s.utilization!r} and users_per_day={s.users_per_day!r} set "
                             "it; bring them into a realistic range")
        busy = tokens_per_day / (n_gpus * tokens_per_s_per_gpu * HOURS_PER_DAY
                                 * SECONDS_PER_HOUR)
        power = clusters.cluster_power(n_gpus, chip, pue=s.pue, usd_per_kwh=s.usd_per_kwh,
                                       utilization=busy)
        facility_mw = power.facility_mw
        ttft_s = ttft_bound_s / s.serving_efficiency
        tpot_s = tpot_bound_s / s.serving_efficiency
        figures += [
            _figure_row(1, f"{chip.name} per replica", g, "chips", used["chips"]),
            _figure_row(1, "serving chips provisioned", n_gpus, "chips",
                        "cloud.self_hosting_daily_usd"),
            _figure_row(2, "serving fleet from the grid", facility_mw, "MW",
                        "clusters.cluster_power"),
            _figure_row(6, "throughput per chip, achieved", tokens_per_s_per_gpu, "tokens/s",
                        used["capacity"]),
            _figure_row(6, "time to first token", ttft_s, "s", used["ttft"]),
            _figure_row(6, "time per output token", tpot_s, "s", used["tpot"]),
            _figure_row(6, "busy share of the fleet", busy, "fraction",
                        "cloud.self_hosting_daily_usd"),
        ]
        first_row = len(rows)
        if owned is not None:
            hours = HOURS_PER_YEAR / _MONTHS_PER_YEAR
            rows.append(_row(1, f"{chip.name} servers, bought (capital)",
                             n_gpus * owned.capital_usd_per_gpu_hour * hours,
                             "clusters.owned_cost", ("server",) if "server" in prices else ()))
            rows.append(_row(2, "cluster network (its share of the hardware)",
                             n_gpus * getattr(owned, "network_usd_per_gpu_hour", 0.0) * hours,
                             "clusters.owned_cost", ("server",) if "server" in prices else ()))
            rows.append(_row(2, "data-centre space, power and cooling plant",
                             n_gpus * getattr(owned, "facility_usd_per_gpu_hour", 0.0) * hours,
                             "clusters.owned_cost"))
            rows.append(_row(2, "electricity and cooling (PUE)",
                             power.annual_electricity_usd / _MONTHS_PER_YEAR,
                             "clusters.cluster_power", ("electricity",)))
            rows.append(_row(3, "operations", n_gpus * owned.ops_usd_per_gpu_hour * hours,
                             "clusters.owned_cost"))
        else:
            monthly = cloud.self_hosting_daily_usd(tokens_per_day,
                                                   tokens_per_s_per_gpu * s.utilization,
                                                   rent.usd_per_gpu_hour, g) * DAYS_PER_MONTH
            rows.append(_row(3, f"{row.instance} rented, {s.hosting}", monthly,
                             "cloud.self_hosting_daily_usd", ("instance",)))
            figures.append(_figure_row(3, f"{row.instance} {s.hosting}", rent.usd_per_gpu_hour,
                                       "USD per GPU-hour", "cloud.gpu_hour_price"))
        if context_share > 0:  # move the chunks' share of the fleet's bill to layer 4
            moved = 0.0
            for r in rows[first_row:]:
                part = r["usd_per_month"] * context_share
                r["usd_per_month"] -= part
                moved += part
            rows.append(_row(4, "retrieved chunks in the prompt (fleet time to read them)",
                             moved, used["capacity"],
                             tuple(k for k in ("instance", "server", "electricity")
                                   if k in prices)))

    # ---- layer 4: data
    if s.embedding_usd_per_mtok > 0:
        embed = _assumption("openai_embedding_3_small_usd_per_mtok")
        prices["embedding"] = _Price("embedding API", s.embedding_usd_per_mtok,
                                     "USD per 1e6 tokens", embed.as_of, embed.source)
        rows.append(_row(4, "embedding each request's input",
                         requests_per_month * s.input_tokens * s.embedding_usd_per_mtok / _MTOK,
                         "bookkeeping: tokens × price", ("embedding",)))
    if s.rag_chunks > 0:
        vectors = _optional_module("vectors")
        vs = _assumption("s3_vectors_usd_per_gb_month")
        prices["vector_store"] = _Price("vector store", s.vector_store_usd_per_gb_month,
                                        "USD per GB-month", vs.as_of, vs.source)
        if vectors is None or not hasattr(vectors, "index_bytes"):
            not_composed.append("vector store: stackkit.vectors.index_bytes is not available")
        else:
            index_gb = vectors.index_bytes(int(s.rag_chunks), s.embedding_dim, "flat") / GB
            rows.append(_row(4, "vector store", index_gb * s.vector_store_usd_per_gb_month,
                             "vectors.index_bytes", ("vector_store",)))
            figures.append(_figure_row(4, "vector index (flat)", index_gb, "GB",
                                       "vectors.index_bytes"))
    if s.training_corpus is not None:
        corpus = _dataset(s.training_corpus)
        storage = _assumption("s3_standard_usd_per_gb_month")
        prices["storage"] = _Price("object storage", s.storage_usd_per_gb_month,
                                   "USD per GB-month", storage.as_of, storage.source)
        data = _optional_module("data")
        if data is not None and hasattr(data, "dataset_storage") and corpus.tokens:
            # lesson 4: raw, cleaned and tokenized copies, erasure-coded
            stored = data.dataset_storage(corpus.tokens)
            stored_gb, function = stored.stored_bytes / GB, "data.dataset_storage"
            figures.append(_figure_row(4, f"{corpus.name}, every copy stored",
                                       stored.stored_bytes / TB, "TB", function))
        else:
            if corpus.size_tb is None:
                raise ValueError(f"training_corpus {corpus.name!r} has no published size; "
                                 "choose a dataset with size_tb in the catalog")
            stored_gb, function = corpus.size_tb * TB / GB, "catalog.dataset"
            not_composed.append("corpus storage: stackkit.data.dataset_storage is not "
                                "available; the catalog's size on disk is used instead")
            figures.append(_figure_row(4, f"{corpus.name} on disk", corpus.size_tb, "TB",
                                       function))
        rows.append(_row(4, f"training corpus in object storage ({corpus.name})",
                         stored_gb * s.storage_usd_per_gb_month, function, ("storage",)))

    # ---- layer 5: training, spread over the model's life
    if s.train_tokens > 0:
        training = _optional_module("training")
        if training is None or not all(hasattr(training, f) for f in ("flops", "days")):
            not_composed.append("training: stackkit.training.flops/days are not available")
        else:
            flops = training.flops(spec.params, s.train_tokens)
            days = training.days(flops, s.train_gpus, s.train_achieved_tflops)
            train_gpu_hours = days * HOURS_PER_DAY * s.train_gpus
            usd_per_gpu_hour = owned.usd_per_gpu_hour if owned is not None \
                else rent.usd_per_gpu_hour
            cost = train_gpu_hours * usd_per_gpu_hour
            rows.append(_row(5, f"training {spec.name}, spread over "
                                f"{s.model_life_months:g} months",
                             cost / s.model_life_months, _TRAINING_FUNCTION,
                             tuple(k for k in ("server", "electricity", "instance")
                                   if k in prices)))
            figures += [
                _figure_row(5, "training compute", flops, "FLOP", "training.flops"),
                _figure_row(5, "training time", days, "days", "training.days"),
                _figure_row(5, "training GPU-hours", train_gpu_hours, "GPU-hours",
                            "training.days"),
                _figure_row(5, "training cost", cost, "USD", "training.days × GPU-hour price"),
            ]

    # ---- dates: every price with its age
    limit_days = s.stale_after_months * DAYS_PER_YEAR / _MONTHS_PER_YEAR
    price_items = []
    for key, p in prices.items():
        age = (today - p.as_of).days
        price_items.append({"key": key, "figure": p.figure, "value": p.value, "unit": p.unit,
                            "as_of": p.as_of, "age_days": age, "stale": age > limit_days,
                            "source": p.source})
    stale_keys = {p["key"] for p in price_items if p["stale"]}
    for r in rows:
        used = [prices[k].as_of for k in r["prices"] if k in prices]
        r["as_of"] = min(used) if used else None
        r["stale"] = any(k in stale_keys for k in r["prices"])
    total = _checks.finite("trace total", float(sum(r["usd_per_month"] for r in rows)),
                           {"users_per_day": s.users_per_day, "input_tokens": s.input_tokens,
                            "output_tokens": s.output_tokens})
    return StackResult(
        scenario_name=s.name, hosting=s.hosting, usd_per_month=total,
        mtok_per_month=s.tokens_per_month / _MTOK, n_gpus=int(n_gpus), facility_mw=facility_mw,
        ttft_s=ttft_s, tpot_s=tpot_s, training_gpu_hours=train_gpu_hours,
        n_stale_prices=len(stale_keys), line_items=tuple(rows), figure_items=tuple(figures),
        price_items=tuple(price_items), not_composed=tuple(not_composed), scenario=s)


# ----------------------------------------------------------------------------- ranges

@dataclass(frozen=True)
class Knob(Result):
    """One assumption with its range: the field it sets, its low and high, and why."""

    field: str
    label: str
    unit: str
    value: float
    low: float
    high: float
    basis: str  # where the range comes from


def _factor_knob(s: Scenario, name: str, label: str, unit: str, low_key: str, high_key: str,
                 basis: str) -> Knob:
    value = float(getattr(s, name))
    return Knob(name, label, unit, value, value * _assumed(low_key), value * _assumed(high_key),
                basis)


def _capped(k: Knob, ceiling: float) -> Knob:
    """``k`` with its high end at most ``ceiling`` (a self-hosted request must fit the
    model's context)."""
    if k.high <= ceiling:
        return k
    return dataclasses.replace(k, high=ceiling, basis=f"{k.basis}, within the model's context")


def _abs_knob(s: Scenario, name: str, label: str, unit: str, low: float, high: float,
              basis: str) -> Knob:
    value = float(getattr(s, name))
    return Knob(name, label, unit, value, min(low, value), max(high, value), basis)


def knobs(scenario: Scenario) -> tuple[Knob, ...]:
    """The assumptions that move this scenario's total, each with its sourced low and high.

    Product figures (tokens, requests, users) vary by the factors in
    ``data/assumptions/stack.csv`` around the scenario's own value; the others
    between sourced (or declared teaching) bounds. Only assumptions the scenario
    uses are listed (PUE matters only when the chips are owned, and so on).
    """
    s = _check_scenario(scenario)
    tokens = [
        _factor_knob(s, "input_tokens", "input tokens per request", "tokens",
                     "chat_tokens_range_low_factor", "chat_tokens_range_high_factor",
                     "×0.5–×2 the Splitwise conversation median"),
        _factor_knob(s, "output_tokens", "output tokens per request", "tokens",
                     "chat_tokens_range_low_factor", "chat_tokens_range_high_factor",
                     "×0.5–×2 the Splitwise conversation median"),
    ]
    if s.self_hosted:  # a self-hosted request must fit the model: share out the headroom
        context = catalog.model(s.model).context_length - s.retrieved_tokens
        request = s.input_tokens + s.output_tokens
        share = max(0.0, context - request) / request
        tokens = [_capped(k, max(k.value, math.floor(k.value * (1 + share)))) for k in tokens]
    out = [
        *tokens,
        _factor_knob(s, "requests_per_user", "requests per user per day", "requests",
                     "requests_per_user_range_low_factor", "requests_per_user_range_high_factor",
                     "×0.5–×2 ChatGPT's average (Axios, July 2025)"),
        _factor_knob(s, "users_per_day", "users per day", "users",
                     "demand_forecast_low_factor", "demand_forecast_high_factor",
                     "demand ×0.5–×2 the forecast"),
    ]
    if s.self_hosted:
        out += [
            _abs_knob(s, "utilization", "utilization of serving chips", "fraction",
                      _assumed("serving_utilization_low"), _assumed("serving_utilization_high"),
                      "teaching range"),
            _abs_knob(s, "serving_efficiency", "achieved share of the expected", "fraction",
                      _assumed("serving_efficiency_low"), _assumed("serving_efficiency_high"),
                      "teaching low; best matmul on an H100 (80 %) high"),
        ]
    if s.hosting == "api":
        out.append(_abs_knob(s, "api_price_factor", "API price (× today's list)", "ratio",
                             _assumed("api_price_cut_factor_low"), 1.0,
                             "o3's June 2025 cut to 0.2× – today's list"))
    if s.hosting in ("on-demand", "spot"):
        low, high, basis = _gpu_hour_range(s)
        value = _rent_usd_per_gpu_hour(s)
        out.append(Knob("usd_per_gpu_hour", "GPU-hour price (mode and provider)",
                        "USD per GPU-hour", value, min(low, value), max(high, value), basis))
    if s.hosting == "reserved":
        out.append(_abs_knob(s, "reserved_discount", "reserved discount", "fraction",
                             _assumed("reserved_discount_low"),
                             _assumed("aws_ec2_instance_savings_plan_max_discount"),
                             "teaching low; AWS's 'up to 72 %' ceiling high"))
    if s.hosting == "owned":
        chip = _accelerator(_instance(s.instance).accelerator)
        capital = (s.capital_usd_per_gpu if s.capital_usd_per_gpu is not None
                   else clusters.server_price_usd_per_gpu(chip))
        out += [
            _abs_knob(s, "pue", "PUE", "ratio", _assumed("pue_google_fleet"),
                      _assumed("pue_uptime_2023_average"), "Google fleet 1.10 – Uptime 2023 1.58"),
            _abs_knob(s, "usd_per_kwh", "electricity price", "USD/kWh",
                      _assumed("electricity_usd_per_kwh_low"),
                      _assumed("electricity_usd_per_kwh_high"), "US states, EIA 2023"),
            Knob("capital_usd_per_gpu", "capital per GPU", "USD", capital,
                 min(capital, _assumed("h100_capital_usd_per_gpu_low")),
                 capital * _assumed("owned_capital_overhead_factor_high"),
                 "chip alone – server +30 % for network and building"),
            _abs_knob(s, "amortization_years", "years to write the servers off", "years",
                      _assumed("server_useful_life_years_low"),
                      _assumed("server_useful_life_years_high"),
                      "teaching low; Microsoft's 6 years high"),
        ]
    if s.rag_chunks > 0 and s.chunk_tokens > 0:
        high = _assumed("rag_retrieved_chunks_high")
        low = _assumed("rag_retrieved_chunks_low")
        if s.self_hosted:  # the chunks must fit in the model's context beside the request
            room = (catalog.model(s.model).context_length - s.input_tokens
                    - s.output_tokens) / s.chunk_tokens
            high = min(high, max(0, math.floor(room)))
            low = min(low, high)
        if high > 0:
            value = min(float(s.retrieved_chunks), high)
            out.append(Knob("retrieved_chunks", "retrieved chunks per prompt", "chunks",
                            value, min(low, value), high,
                            f"teaching range, {s.chunk_tokens:,.0f}-token chunks "
                            "(OpenAI's default), within the model's context"))
    if s.rag_chunks > 0:
        out.append(Knob("vector_store_usd_per_gb_month", "vector store price", "USD/GB-month",
                        s.vector_store_usd_per_gb_month, s.vector_store_usd_per_gb_month,
                        s.vector_store_usd_per_gb_month
                        * _assumed("vector_store_in_memory_factor_high"),
                        "S3 Vectors – ×10 for an index held in RAM"))
    if s.train_tokens > 0:
        out.append(_abs_knob(s, "model_life_months", "months the model serves", "months",
                             _assumed("model_life_months_low"),
                             _assumed("model_life_months_high"),
                             "Llama 3 → 3.1 in 3 months; teaching high"))
    return tuple(out)


def _rent_usd_per_gpu_hour(s: Scenario) -> float:
    """The GPU-hour price a rented scenario pays: its override, else the catalog's."""
    if s.usd_per_gpu_hour is not None:
        return float(s.usd_per_gpu_hour)
    row = _instance(s.instance, as_of=s.price_as_of)
    mode = "on-demand" if s.hosting in ("api", "owned") else s.hosting
    return cloud.gpu_hour_price(row, mode, reserved_discount=s.reserved_discount
                                if mode == "reserved" else None).usd_per_gpu_hour


def _gpu_hour_range(s: Scenario) -> tuple[float, float, str]:
    """Cheapest and dearest current catalog price of an hour of the scenario's chip, any
    provider and mode (spot to on-demand): the price a buyer could find."""
    chip = _instance(s.instance, as_of=s.price_as_of).accelerator
    table = cloud.gpu_hour_prices()
    table = table[table["accelerator"] == chip]
    spot = table["spot_usd_per_gpu_hour"].dropna()
    low_row = table.loc[table["on_demand_usd_per_gpu_hour"].idxmin()]
    low, low_what = float(low_row["on_demand_usd_per_gpu_hour"]), \
        f"{low_row['provider']} {low_row['instance']} on-demand"
    if len(spot) and spot.min() < low:
        spot_row = table.loc[spot.idxmin()]
        low, low_what = float(spot.min()), f"{spot_row['provider']} {spot_row['instance']} spot"
    high_row = table.loc[table["on_demand_usd_per_gpu_hour"].idxmax()]
    high = float(high_row["on_demand_usd_per_gpu_hour"])
    return low, high, (f"catalog {chip}: {low_what} ${low:.2f} – {high_row['provider']} "
                       f"{high_row['instance']} on-demand ${high:.2f}")


def _set(s: Scenario, name: str, value: float) -> Scenario:
    if name in ("decode_batch_size", "embedding_dim", "train_gpus", "gpus_per_replica"):
        value = round(value)
    return dataclasses.replace(s, **{name: value})


def sensitivity(scenario: Scenario) -> pd.DataFrame:
    """Each assumption at its low and its high (the others at their values), ranked (a tornado).

    Returns one row per :func:`knobs` entry, largest swing first: field, label, unit,
    value, low, high, usd_per_mtok_low and usd_per_mtok_high (the total at each end),
    swing_usd_per_mtok (their difference, absolute) and basis. The first row is the
    assumption to research first.
    """
    base = trace(_check_scenario(scenario)).usd_per_mtok
    rows = []
    for k in knobs(scenario):
        at_low = trace(_set(scenario, k.field, k.low)).usd_per_mtok
        at_high = trace(_set(scenario, k.field, k.high)).usd_per_mtok
        rows.append({"field": k.field, "label": k.label, "unit": k.unit, "value": k.value,
                     "low": k.low, "high": k.high, "usd_per_mtok_low": at_low,
                     "usd_per_mtok_high": at_high, "swing_usd_per_mtok": abs(at_high - at_low),
                     "base_usd_per_mtok": base, "basis": k.basis})
    frame = pd.DataFrame(rows)
    return frame.sort_values("swing_usd_per_mtok", ascending=False,
                             kind="stable").reset_index(drop=True)


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


_MAX_DRAWS = 200_000  # about a third of a second; more adds digits, not insight


def _grid(low: float, high: float, n: int = 129) -> np.ndarray:
    return np.unique(np.round(np.linspace(low, high, n)))


class _Vectorised:
    """The trace's bookkeeping evaluated on arrays of assumptions (for the Monte Carlo).

    Layer functions are called at the scenario's values (and, for the roofline
    bounds, on a grid of token counts that is then interpolated); each quantity is
    scaled the way its layer function says it scales (bills linear in price, power
    in PUE × $/kWh, capital in price ÷ years). ``tests/test_stack.py`` checks that
    these arrays equal :func:`trace` run draw by draw.
    """

    def __init__(self, s: Scenario, spans: dict[str, tuple[float, float]]) -> None:
        self.s = s
        row = _instance(s.instance, as_of=s.price_as_of)
        self.chip = _accelerator(row.accelerator)
        self.spec = _model(s.model)
        self.base = trace(s)
        if s.hosting == "api":
            unit_in = cloud.api_bill(_api_price(s.api_model), 1, 1, 1, 0, s.cached_input_share, 1)
            unit_out = cloud.api_bill(_api_price(s.api_model), 1, 1, 0, 1, s.cached_input_share, 1)
            self.usd_per_input, self.usd_per_output = (unit_in.usd_per_request,
                                                       unit_out.usd_per_request)
        else:
            replica = _Replica(_llm_scenario(s), self.spec, self.chip, row)
            self.g = replica.g
            per = s.chunk_tokens if s.rag_chunks > 0 else 0.0
            _, r_hi = spans.get("retrieved_chunks", (s.retrieved_chunks, s.retrieved_chunks))
            i_lo, i_hi = spans.get("input_tokens", (s.input_tokens, s.input_tokens))
            # the grids stay inside the context (a draw near its edge is clamped to the grid)
            room = self.spec.context_length - 1 - max(1, round(
                spans.get("output_tokens", (s.output_tokens, s.output_tokens))[1]))
            self.replica_s = _replica_function(
                replica, (i_lo, max(i_lo, min(i_hi + r_hi * per, room))),
                spans.get("output_tokens", (s.output_tokens, s.output_tokens)))
            if s.hosting == "owned":
                self.owned = clusters.owned_cost(self.chip, s.capital_usd_per_gpu,
                                                 s.amortization_years, s.pue, s.usd_per_kwh,
                                                 s.ops_usd_per_gpu_hour)
                self.capital0 = (s.capital_usd_per_gpu if s.capital_usd_per_gpu is not None
                                 else clusters.server_price_usd_per_gpu(self.chip))
                power = clusters.cluster_power(1, self.chip, pue=s.pue, usd_per_kwh=s.usd_per_kwh)
                self.usd_per_busy_gpu_hour = power.annual_electricity_usd / HOURS_PER_YEAR
            else:
                d_lo, d_hi = spans.get("reserved_discount",
                                       (s.reserved_discount, s.reserved_discount))
                self.d_grid = np.linspace(d_lo, d_hi, 2) if d_hi > d_lo else np.array([d_lo])
                self.rent = np.array([cloud.gpu_hour_price(
                    row, s.hosting, reserved_discount=float(d) if s.hosting == "reserved"
                    else None).usd_per_gpu_hour for d in self.d_grid])
        self.fixed = {key: sum(r["usd_per_month"] for r in self.base.line_items
                               if r["function"] in function)
                      for key, function in (("vector store", ("vectors.index_bytes",)),
                                            ("training corpus", _CORPUS_FUNCTIONS),
                                            ("training ", (_TRAINING_FUNCTION,)))}

    def _capital_h(self, v: dict[str, np.ndarray]) -> np.ndarray:
        """Server and network per GPU-hour (linear in the price, inverse in the years) plus
        the facility's fixed charge and operations: clusters.owned_cost's fixed part."""
        o0 = self.owned
        ratio = (v["capital_usd_per_gpu"] / self.capital0) * (
            self.s.amortization_years / v["amortization_years"])
        return ((o0.capital_usd_per_gpu_hour + getattr(o0, "network_usd_per_gpu_hour", 0.0))
                * ratio + getattr(o0, "facility_usd_per_gpu_hour", 0.0))

    def usd_per_mtok(self, v: dict[str, np.ndarray]) -> np.ndarray:
        s = self.s
        i, o = v["input_tokens"], v["output_tokens"]
        r = v["retrieved_chunks"] * s.chunk_tokens if s.rag_chunks > 0 else 0.0
        if s.hosting != "api" and s.rag_chunks > 0:  # what fits beside the request
            room = self.spec.context_length - (np.floor(i + 0.5) + np.floor(o + 0.5))
            r = np.minimum(r, np.maximum(0.0, room))
        requests_per_day = v["users_per_day"] * v["requests_per_user"]
        requests_per_month = requests_per_day * DAYS_PER_MONTH
        mtok = requests_per_month * (i + o) / _MTOK
        if s.hosting == "api":
            total = requests_per_month * ((i + r) * self.usd_per_input
                                          + o * self.usd_per_output) * v["api_price_factor"]
        else:
            replica_s = self.replica_s(i + r, o) / v["serving_efficiency"]
            busy_s_per_day = requests_per_day * replica_s
            replicas = np.maximum(1, np.ceil(busy_s_per_day / (
                v["utilization"] * HOURS_PER_DAY * SECONDS_PER_HOUR) - 1e-12))
            n_gpus = replicas * self.g
            month_h = HOURS_PER_YEAR / _MONTHS_PER_YEAR
            if s.hosting == "owned":
                o0 = self.owned
                capital_h = self._capital_h(v)
                busy_gpu_h = busy_s_per_day * self.g / SECONDS_PER_HOUR * DAYS_PER_MONTH
                power = (self.usd_per_busy_gpu_hour * (v["pue"] / s.pue)
                         * (v["usd_per_kwh"] / s.usd_per_kwh if s.usd_per_kwh else 0.0))
                total = n_gpus * (capital_h + o0.ops_usd_per_gpu_hour) * month_h \
                    + busy_gpu_h * power
            else:
                if s.hosting == "reserved" and s.usd_per_gpu_hour is None:
                    rent = np.interp(v["reserved_discount"], self.d_grid, self.rent) \
                        if len(self.d_grid) > 1 else self.rent[0]
                else:
                    rent = v["usd_per_gpu_hour"]
                total = n_gpus * rent * HOURS_PER_DAY * DAYS_PER_MONTH
        total = total + requests_per_month * i * s.embedding_usd_per_mtok / _MTOK
        total = total + self.fixed["vector store"] * (v["vector_store_usd_per_gb_month"]
                                                      / s.vector_store_usd_per_gb_month
                                                      if s.vector_store_usd_per_gb_month else 0)
        total = total + self.fixed["training corpus"]
        total = total + self.fixed["training "] * (s.model_life_months / v["model_life_months"])
        if s.hosting == "owned" and self.fixed["training "]:
            # training is paid at the owned GPU-hour price, which the draws move too
            o0 = self.owned
            capital_h = self._capital_h(v)
            power_h = o0.power_usd_per_gpu_hour * (v["pue"] / s.pue) * (
                v["usd_per_kwh"] / s.usd_per_kwh if s.usd_per_kwh else 0.0)
            ratio = (capital_h + o0.ops_usd_per_gpu_hour + power_h) / o0.usd_per_gpu_hour
            # (capital_h holds server, network and facility: owned_cost's fixed part)
            total = total + self.fixed["training "] * (s.model_life_months
                                                       / v["model_life_months"]) * (ratio - 1)
        return total / mtok


_REPLICA_FUNCTIONS: dict[tuple, object] = {}


def _replica_function(replica: _Replica, i_span: tuple[float, float],
                      o_span: tuple[float, float]):
    """:meth:`_Replica.vectorised`, kept for the same model, chips and token ranges (a widget
    moving a price or the utilization reuses it)."""
    s = replica.s
    key = (replica.spec.name, replica.chip.name, replica.g, s.decode_batch_size,
           replica.serving is not None, tuple(map(float, i_span)), tuple(map(float, o_span)))
    if key not in _REPLICA_FUNCTIONS:
        if len(_REPLICA_FUNCTIONS) > 64:
            _REPLICA_FUNCTIONS.clear()
        _REPLICA_FUNCTIONS[key] = replica.vectorised(i_span, o_span)
    return _REPLICA_FUNCTIONS[key]


#: The scenario fields a vectorised draw starts from (each then replaced by its knob's draws).
_DRAWN_FIELDS = ("input_tokens", "output_tokens", "requests_per_user", "utilization",
                 "serving_efficiency", "reserved_discount", "pue", "usd_per_kwh",
                 "amortization_years", "vector_store_usd_per_gb_month", "model_life_months",
                 "api_price_factor", "retrieved_chunks")


def _draw_base(s: Scenario, extra: tuple[str, ...] = ()) -> dict[str, np.ndarray | float]:
    """The scenario's values for a vectorised draw: its fields, the rented GPU-hour and the
    capital per GPU (the server's price when owned and none is given)."""
    v: dict[str, np.ndarray | float] = {name: float(getattr(s, name))
                                        for name in _DRAWN_FIELDS + extra}
    v["usd_per_gpu_hour"] = _rent_usd_per_gpu_hour(s)
    capital = s.capital_usd_per_gpu
    if capital is None and s.hosting == "owned":
        capital = clusters.server_price_usd_per_gpu(
            _accelerator(_instance(s.instance).accelerator))
    v["capital_usd_per_gpu"] = float(capital or 1.0)
    return v


def _draw(rng: np.random.Generator, k: Knob, n: int) -> np.ndarray:
    if k.high <= k.low:
        return np.full(n, k.value)
    return rng.triangular(k.low, min(max(k.value, k.low), k.high), k.high, size=n)


def uncertainty(scenario: Scenario, n: int = 10_000, seed: int = 0) -> Uncertainty:
    """A seeded Monte Carlo: every :func:`knobs` assumption drawn at once from its range.

    Each assumption is drawn from a triangular distribution (low, the scenario's
    value, high) — the usual choice when only a range and a best guess are known —
    independently of the others. The same ``seed`` gives the same draws. The
    draws are evaluated on arrays (see ``_Vectorised``), so 10,000 take well under
    a second.
    """
    s = _check_scenario(scenario)
    count = _checks.positive_int("n", n)
    if count > _MAX_DRAWS:
        raise ValueError(f"n must be at most {_MAX_DRAWS:,}; got {n!r}")
    seed = _checks.seed("seed", seed)
    ks = knobs(s)
    rng = np.random.default_rng(seed)
    v = _draw_base(s, ("users_per_day",))
    for k in ks:
        v[k.field] = _draw(rng, k, count)
    spans = {k.field: (k.low, k.high) for k in ks}
    model = _Vectorised(s, spans)
    samples = np.broadcast_to(model.usd_per_mtok(v), (count,)).astype(float)
    p10, p50, p90 = np.percentile(samples, [10, 50, 90])
    draws = pd.DataFrame({k.field: np.asarray(v[k.field]) for k in ks})
    return Uncertainty(n=count, seed=int(seed), point_usd_per_mtok=model.base.usd_per_mtok,
                       p10_usd_per_mtok=float(p10), p50_usd_per_mtok=float(p50),
                       p90_usd_per_mtok=float(p90), mean_usd_per_mtok=float(samples.mean()),
                       samples_usd_per_mtok=samples, draws=draws)


# ----------------------------------------------------------------------------- build vs buy

def build_vs_buy(scenario: Scenario, users_per_day: object = None,
                 self_hosting: str = "on-demand") -> pd.DataFrame:
    """The same product on ``scenario.api_model``'s API and self-hosted, across scale.

    For each users-per-day value (default 31 values from 100 to 10 million, log-spaced)
    both are traced; columns: users_per_day, api_usd_per_mtok, self_usd_per_mtok,
    api_usd_per_month, self_usd_per_month, n_gpus, busy (share of the fleet doing
    work) and cheaper ("api" or "self-hosted"). Small products pay for idle chips
    (at least one replica runs all day); large ones fill them, and the API's margin
    becomes the cost of not building.
    """
    _check_scenario(scenario)
    mode = _checks.one_of("self_hosting", self_hosting, HOSTING[1:])
    if users_per_day is None:
        values = np.logspace(2, 7, 31)
    else:
        items = _checks.sequence("users_per_day", users_per_day, single=(int, float),
                                 max_len=1000)
        values = np.array([_checks.positive("users_per_day", u, high=MAX_USERS_PER_DAY)
                           for u in items])
    rows = []
    for users in values:
        api = trace(scenario.replace(users_per_day=float(users), hosting="api"))
        own = trace(scenario.replace(users_per_day=float(users), hosting=mode))
        rows.append({"users_per_day": float(users), "api_usd_per_mtok": api.usd_per_mtok,
                     "self_usd_per_mtok": own.usd_per_mtok,
                     "api_usd_per_month": api.usd_per_month,
                     "self_usd_per_month": own.usd_per_month, "n_gpus": own.n_gpus,
                     "busy": own.figure("busy share of the fleet"),
                     "cheaper": "self-hosted" if own.usd_per_mtok < api.usd_per_mtok else "api"})
    return pd.DataFrame(rows)


def breakeven_users_per_day(table: pd.DataFrame) -> float | None:
    """Users per day from which self-hosting wins at every larger scale in a
    :func:`build_vs_buy` table (whole replicas can make it win, lose, then win again
    just above one replica), or None if it never wins at the largest scale."""
    if not isinstance(table, pd.DataFrame) or not {"users_per_day", "cheaper"} <= set(table):
        raise ValueError("table must be the DataFrame that stack.build_vs_buy returns")
    _checks.array("table.users_per_day", table["users_per_day"].to_numpy(dtype=float,
                                                                          na_value=np.nan),
                  low=0, low_open=True)
    odd = set(table["cheaper"]) - {"api", "self-hosted"}
    if odd:
        raise ValueError(f"table.cheaper must hold 'api' or 'self-hosted'; got "
                         f"{sorted(map(str, odd))}")
    cheaper = list(table.sort_values("users_per_day")["cheaper"])
    users = list(table.sort_values("users_per_day")["users_per_day"])
    if not cheaper or cheaper[-1] != "self-hosted":
        return None
    i = len(cheaper) - 1
    while i > 0 and cheaper[i - 1] == "self-hosted":
        i -= 1
    return float(users[i])


@dataclass(frozen=True, eq=False)
class BreakevenBand(Result):
    """Where self-hosting starts to win, under the assumptions' uncertainty.

    Each draw sets every assumption from its range (as :func:`uncertainty` does, users
    per day aside: that is the axis) and finds the users per day from which
    self-hosting is cheaper than ``api_model`` at every larger scale in the grid.
    ``p10/p50/p90_users_per_day`` are None where that share of draws never crosses
    inside the grid; ``share_never`` says how many.
    """

    api_model: str
    n: int
    seed: int
    max_users_per_day: float  # the grid's top
    p10_users_per_day: float | None
    p50_users_per_day: float | None
    p90_users_per_day: float | None
    share_never: float  # draws with no crossing inside the grid
    point_users_per_day: float | None  # the scenario as given
    users_per_day: np.ndarray = field(default=None, repr=False)  # the grid
    self_p10_usd_per_mtok: np.ndarray = field(default=None, repr=False)  # per grid point
    self_p90_usd_per_mtok: np.ndarray = field(default=None, repr=False)
    api_usd_per_mtok: np.ndarray = field(default=None, repr=False)  # the list price's line


def breakeven_band(scenario: Scenario, api_model: str | None = None, n: int = 2000,
                   seed: int = 0) -> BreakevenBand:
    """The build-vs-buy crossing as a band: P10, P50, P90 over seeded draws of every
    assumption of the self-hosted scenario and of the API (its price factor), on the
    :func:`build_vs_buy` grid of 100 to 10 million users a day."""
    s = _check_scenario(scenario)
    if not s.self_hosted:
        raise ValueError("scenario must be self-hosted (hosting 'on-demand', 'reserved', "
                         f"'spot' or 'owned'); got hosting={s.hosting!r}")
    if api_model is not None:
        s = s.replace(api_model=_checks.text("api_model", api_model))
    _api_price(s.api_model)  # an unknown name raises KeyError with the nearest names
    count = _checks.positive_int("n", n)
    if count > 20_000:
        raise ValueError(f"n must be at most 20,000; got {n!r}")
    seed = _checks.seed("seed", seed)
    api = s.replace(hosting="api")
    grid = np.logspace(2, 7, 31)
    ks = {k.field: k for k in (*knobs(s), *knobs(api)) if k.field != "users_per_day"}
    rng = np.random.default_rng(seed)
    v = _draw_base(s)
    for k in ks.values():
        v[k.field] = _draw(rng, k, count)[:, None]
    v["users_per_day"] = grid[None, :]
    spans = {k.field: (k.low, k.high) for k in ks.values()}
    own = np.broadcast_to(_Vectorised(s, spans).usd_per_mtok(v), (count, len(grid)))
    buy = np.broadcast_to(_Vectorised(api, spans).usd_per_mtok(v), (count, len(grid)))
    wins = own < buy
    # from the first grid point where self-hosting wins at every larger scale
    always = np.flip(np.logical_and.accumulate(np.flip(wins, axis=1), axis=1), axis=1)
    first = np.where(always.any(axis=1), always.argmax(axis=1), -1)
    users = np.where(first >= 0, grid[np.maximum(first, 0)], np.inf)
    p10, p50, p90 = np.percentile(users, [10, 50, 90], method="inverted_cdf")
    point = breakeven_users_per_day(build_vs_buy(s, list(grid), self_hosting=s.hosting))

    def finite(x: float) -> float | None:
        return float(x) if math.isfinite(x) else None

    return BreakevenBand(api_model=s.api_model, n=count, seed=int(seed),
                         max_users_per_day=float(grid[-1]), p10_users_per_day=finite(p10),
                         p50_users_per_day=finite(p50), p90_users_per_day=finite(p90),
                         share_never=float(np.mean(~np.isfinite(users))),
                         point_users_per_day=point, users_per_day=grid,
                         self_p10_usd_per_mtok=np.percentile(own, 10, axis=0),
                         self_p90_usd_per_mtok=np.percentile(own, 90, axis=0),
                         api_usd_per_mtok=np.array([trace(api.replace(
                             users_per_day=float(u))).usd_per_mtok for u in grid]))


# ----------------------------------------------------------------------------- beneath a price

def gpu_hour_breakdown(instance: str = "p5.48xlarge", mode: str = "on-demand",
                       amortization_years: float = 4.0,
                       reserved_discount: float | None = None) -> pd.DataFrame:
    """What lies beneath a rented GPU-hour, on lesson 2's owned-cost basis (estimates).

    ``clusters.owned_cost`` gives the owner's cost per GPU-hour: the server (split here
    into the chip's catalog price, layer 1, and the rest of the server, layer 2), its
    share of the network and of the building (layer 2) and electricity at full load
    (layer 2). What the renter pays above that is the cloud's margin (layer 3):
    ``cloud.gpu_hour_price`` − owned cost (negative where the hour sells below it, as spot
    may). Returns layer, item, cost_or_margin_usd_per_gpu_hour, share_or_margin and function;
    rows sum to the rented price.
    """
    years = _checks.positive("amortization_years", amortization_years, high=50)
    rent = cloud.gpu_hour_price(instance, mode, reserved_discount=reserved_discount)
    chip = _accelerator(rent.accelerator)
    if chip.price_usd is None:
        raise ValueError(f"instance {rent.instance!r}'s chip {chip.name!r} has no catalog "
                         "price; choose an instance whose chip has price_usd")
    owned = clusters.owned_cost(chip, amortization_years=years)
    chip_h = min(chip.price_usd / (years * HOURS_PER_YEAR), owned.capital_usd_per_gpu_hour)
    parts = [
        (1, f"{chip.name} chip, amortized over {years:g} years", chip_h, "catalog.accelerator"),
        (2, "rest of the server (CPUs, memory, board, NICs)",
         owned.capital_usd_per_gpu_hour - chip_h, "clusters.owned_cost"),
        (2, "cluster network", owned.network_usd_per_gpu_hour, "clusters.owned_cost"),
        (2, "data-centre space, power and cooling plant", owned.facility_usd_per_gpu_hour,
         "clusters.owned_cost"),
        (2, "electricity at full load (PUE included)", owned.power_usd_per_gpu_hour,
         "clusters.owned_cost"),
    ]
    cost = sum(p[2] for p in parts)
    parts.append((3, f"cloud margin ({rent.instance} {rent.mode} − owned cost)",
                  rent.usd_per_gpu_hour - cost, "cloud.gpu_hour_price − clusters.owned_cost"))
    frame = pd.DataFrame(parts, columns=["layer", "item", "cost_or_margin_usd_per_gpu_hour",
                                         "function"])
    frame["share_or_margin"] = frame["cost_or_margin_usd_per_gpu_hour"] / rent.usd_per_gpu_hour
    return frame


def api_price_breakdown(api_model: str, model: str = "Llama 3 70B",
                        instance: str = "p5.48xlarge", input_tokens: float | None = None,
                        output_tokens: float | None = None) -> pd.DataFrame:
    """An API's price per million tokens split into an estimated serving cost and margin.

    The cost is an estimate: ``model`` served by a provider on owned ``instance`` chips
    at the high ends of lesson 7's ranges (utilization and share of the roofline 0.8:
    a provider pools many customers' traffic), at 10 million users a day, no RAG; the
    margin is the list price minus it (negative: the provider sells below this cost, or
    serves faster hardware or lower precision than assumed). Rows: item,
    cost_or_margin_usd_per_mtok, share_or_margin (of the price), basis.
    """
    price = _api_price(_checks.text("api_model", api_model))
    base = Scenario()
    i = base.input_tokens if input_tokens is None else _checks.positive(
        "input_tokens", input_tokens, high=MAX_TOKENS_PER_REQUEST)
    o = base.output_tokens if output_tokens is None else _checks.positive(
        "output_tokens", output_tokens, high=MAX_TOKENS_PER_REQUEST)
    high = _assumed("serving_utilization_high")
    provider = Scenario(name=f"{price.model}, estimated", hosting="owned",
                        model=_checks.text("model", model),
                        instance=_checks.text("instance", instance), users_per_day=1e7,
                        input_tokens=i, output_tokens=o, rag_chunks=0.0,
                        embedding_usd_per_mtok=0.0, utilization=high,
                        serving_efficiency=_assumed("serving_efficiency_high"))
    cost = trace(provider).usd_per_mtok
    list_price = (i * price.input_usd_per_mtok + o * price.output_usd_per_mtok) / (i + o)
    return pd.DataFrame([
        {"item": "estimated serving cost", "cost_or_margin_usd_per_mtok": cost,
         "basis": f"estimate: {model} on owned {instance} chips at utilization {high:g} "
                  "and 80 % of the roofline (stack.trace)"},
        {"item": "estimated margin", "cost_or_margin_usd_per_mtok": list_price - cost,
         "basis": f"estimate: {price.model} list price (as of {price.as_of}) − the cost"},
    ]).assign(share_or_margin=lambda f: f["cost_or_margin_usd_per_mtok"] / list_price)
