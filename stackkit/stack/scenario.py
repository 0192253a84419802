"""One AI product as a :class:`Scenario`: every assumption a named field; the presets."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from dataclasses import dataclass, field

import numpy as np

from .. import _checks, catalog, cloud
from .. import _declare as d
from ..units import DAYS_PER_MONTH

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
        return float(_retrieved_tokens(self, self.retrieved_chunks, self.input_tokens,
                                       self.output_tokens))

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

def _check_scenario(scenario: object, name: str = "scenario") -> Scenario:
    if not isinstance(scenario, Scenario):
        raise ValueError(f"{name} must be a stack.Scenario (see stack.preset); "
                         f"got {type(scenario).__name__}")
    return scenario


def _self_hosted(name: str, scenario: object) -> Scenario:
    s = _check_scenario(scenario, name)
    if not s.self_hosted:
        raise ValueError(f"{name} must be self-hosted (hosting 'on-demand', 'reserved', "
                         f"'spot' or 'owned'); got hosting={s.hosting!r}")
    return s


#: A scenario parameter: a :class:`Scenario` (the presets are its examples).
SCENARIO = d.custom(lambda name, value: _check_scenario(value, name), kind="scenario",
                    examples=lambda: [preset(name) for name in PRESET_NAMES],
                    bad=(None, 3, "startup-chatbot-api", {"users_per_day": 1.0}))
#: A self-hosted scenario parameter (the self-hosted presets are its examples).
SELF_HOSTED = d.custom(_self_hosted, kind="self-hosted scenario",
                       examples=lambda: [preset(name) for name in PRESET_NAMES[1:]],
                       bad=(None, "self-host-llama3-70b"))


def _retrieved_tokens(s: Scenario, retrieved_chunks, input_tokens, output_tokens):
    """:attr:`Scenario.retrieved_tokens` for these chunk and token counts (numbers or numpy
    arrays: the Monte Carlo draws them)."""
    if s.rag_chunks <= 0:
        return 0.0
    wanted = retrieved_chunks * s.chunk_tokens
    if not s.self_hosted:
        return wanted
    room = _model(s.model).context_length - (np.floor(input_tokens + 0.5)
                                             + np.floor(output_tokens + 0.5))
    return np.minimum(wanted, np.maximum(0.0, room))

def _rent_usd_per_gpu_hour(s: Scenario) -> float:
    """The GPU-hour price a rented scenario pays: its override, else the catalog's."""
    if s.usd_per_gpu_hour is not None:
        return float(s.usd_per_gpu_hour)
    row = _instance(s.instance, as_of=s.price_as_of)
    mode = "on-demand" if s.hosting in ("api", "owned") else s.hosting
    return cloud.gpu_hour_price(row, mode, reserved_discount=s.reserved_discount
                                if mode == "reserved" else None).usd_per_gpu_hour

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


def _preset_name(param: str, value: object) -> str:
    """A preset's name (an unknown one is a KeyError with the nearest names)."""
    return catalog._find(list(PRESET_NAMES), _checks.text(param, value), "preset")


@d.declared(name=d.custom(_preset_name, kind="preset", examples=PRESET_NAMES,
                          bad=(None, 3, "", "no such preset")))
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
    return table[name].replace(**changes) if changes else table[name]


@d.declared()
def presets(**changes: object) -> dict[str, Scenario]:
    """All presets by name (``changes`` applied to each, e.g. ``today=...``)."""
    return {name: preset(name, **changes) for name in PRESET_NAMES}

