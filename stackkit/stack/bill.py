"""The trace: one scenario through the six layers, line by line, with every price dated.

The stack adds no physics of its own: each figure is a layer function called directly
(chips, clusters, cloud, data/vectors, training, serving); what the stack adds is
bookkeeping — how many of each thing the product needs, and how the monthly bills add
up. The bookkeeping is written once, in :func:`_lines`, over a scenario's *values*
(numbers, or numpy arrays of draws): :func:`trace` runs it on the scenario's numbers,
the Monte Carlo (:mod:`.monte_carlo`) and the break-even band on arrays of draws.

Layer functions check scalar arguments, so on arrays :func:`_each` calls them element
by element; ``serving.serving_cost`` (most of a millisecond a call) is tabulated
instead (:meth:`.replica.Replica.seconds`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from .. import _checks, catalog, cloud, clusters, data, training, vectors
from .. import _declare as d
from ..units import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    GB,
    HOURS_PER_DAY,
    HOURS_PER_YEAR,
    SECONDS_PER_HOUR,
    TB,
)
from . import replica as _replica
from .result import StackResult, _Price
from .scenario import (
    _MONTHS_PER_YEAR,
    _MTOK,
    _TRAINING_FUNCTION,
    SCENARIO,
    Scenario,
    _accelerator,
    _api_price,
    _assumption,
    _dataset,
    _date,
    _instance,
    _llm_scenario,
    _model,
    _rent_usd_per_gpu_hour,
    _retrieved_tokens,
)
from .six_layers import LAYERS

#: The scenario's numbers the bill reads from its values (the Monte Carlo draws these).
VALUE_FIELDS = ("users_per_day", "requests_per_user", "input_tokens", "output_tokens",
                "utilization", "serving_efficiency", "reserved_discount", "pue", "usd_per_kwh",
                "amortization_years", "vector_store_usd_per_gb_month", "model_life_months",
                "api_price_factor", "retrieved_chunks")
_MONTH_H = HOURS_PER_YEAR / _MONTHS_PER_YEAR


def _each(fn, *args):
    """``fn(*args)``; over numpy arrays (broadcast together), ``fn`` called element by
    element (the layer functions check scalar arguments). Results that are numbers come
    back as a float array; others (a layer's result object) as an object array."""
    if not any(isinstance(a, np.ndarray) for a in args):
        return fn(*args)
    out = np.frompyfunc(fn, len(args), 1)(*np.broadcast_arrays(*args))
    return out.astype(float) if isinstance(out.flat[0], (float, int)) else out


# ----------------------------------------------------------------------------- the plan

@dataclass
class _Plan:
    """What a scenario fixes before any value is drawn: catalog rows, the replica, the
    layer figures no drawn value moves, and the dated prices the bill uses."""

    s: Scenario
    row: catalog.Instance
    chip: catalog.Accelerator
    spec: catalog.ModelSpec
    prices: dict[str, _Price]
    api: catalog.ApiPrice | None = None
    replica: _replica.Replica | None = None
    index_gb: float = 0.0  # the flat vector index
    corpus: tuple[str, float, float, str] | None = None  # name, stored GB, TB, function
    training: tuple[float, float, float] | None = None  # FLOP, days, GPU-hours


def _plan(s: Scenario) -> _Plan:
    row = _instance(s.instance, as_of=s.price_as_of)
    p = _Plan(s, row, _accelerator(row.accelerator), _model(s.model), {})
    if s.hosting == "api":
        p.api = _api_price(s.api_model)
    else:
        p.replica = _replica.Replica(_llm_scenario(s), p.spec, p.chip, row)
    if s.rag_chunks > 0:
        p.index_gb = vectors.index_bytes(int(s.rag_chunks), s.embedding_dim, "flat") / GB
    if s.training_corpus is not None:
        p.corpus = _corpus(s)
    if s.train_tokens > 0:
        flops = training.flops(p.spec.params, s.train_tokens)
        days = training.days(flops, s.train_gpus, s.train_achieved_tflops)
        p.training = (flops, days, days * HOURS_PER_DAY * s.train_gpus)
    _date_prices(p)
    return p


def _corpus(s: Scenario) -> tuple[str, float, float, str]:
    """The training corpus as stored: lesson 4's copies (raw, cleaned, tokenized,
    erasure-coded) where the catalog gives its tokens, else its published size on disk."""
    corpus = _dataset(s.training_corpus)
    if corpus.tokens:
        stored = data.dataset_storage(corpus.tokens).stored_bytes
        return corpus.name, stored / GB, stored / TB, "data.dataset_storage"
    if corpus.size_tb is None:
        raise ValueError(f"training_corpus {corpus.name!r} has no published size; "
                         "choose a dataset with size_tb in the catalog")
    return corpus.name, corpus.size_tb * TB / GB, corpus.size_tb, "catalog.dataset"


def _date_prices(p: _Plan) -> None:
    """Every dated price the bill will use, with its date and source."""
    s, prices = p.s, p.prices
    if s.hosting == "owned":
        electricity = _assumption("electricity_usd_per_kwh")
        prices["electricity"] = _Price("electricity", s.usd_per_kwh, "USD/kWh",
                                       electricity.as_of, electricity.source)
        if s.capital_usd_per_gpu is None:
            server = _assumption(clusters._server_prices()[p.chip.name][0])
            prices["server"] = _Price(f"server price ({p.chip.name})",
                                      clusters.server_price_usd_per_gpu(p.chip),
                                      "USD per GPU", server.as_of, server.source)
    elif s.hosting != "api" or s.train_tokens:
        rent = _rent(s, p.row)
        prices["instance"] = _Price(f"{p.row.instance} {rent.mode}",
                                    _rent_usd_per_gpu_hour(s), "USD per GPU-hour",
                                    rent.as_of, rent.source)
    if p.api is not None:
        prices["api"] = _Price(f"{p.api.model} API",
                               p.api.output_usd_per_mtok * s.api_price_factor,
                               "USD per 1e6 output tokens", p.api.as_of, p.api.source)
    for key, name, value, unit, used in (
            ("embedding", "openai_embedding_3_small_usd_per_mtok", s.embedding_usd_per_mtok,
             "USD per 1e6 tokens", s.embedding_usd_per_mtok > 0),
            ("vector_store", "s3_vectors_usd_per_gb_month", s.vector_store_usd_per_gb_month,
             "USD per GB-month", s.rag_chunks > 0),
            ("storage", "s3_standard_usd_per_gb_month", s.storage_usd_per_gb_month,
             "USD per GB-month", s.training_corpus is not None)):
        if used:
            basis = _assumption(name)
            label = {"embedding": "embedding API", "vector_store": "vector store",
                     "storage": "object storage"}[key]
            prices[key] = _Price(label, value, unit, basis.as_of, basis.source)


def _rent(s: Scenario, row: catalog.Instance, reserved_discount: float | None = None):
    """``cloud.gpu_hour_price`` in the scenario's mode (on-demand for an API's training)."""
    mode = "on-demand" if s.hosting in ("api", "owned") else s.hosting
    discount = s.reserved_discount if reserved_discount is None else reserved_discount
    return cloud.gpu_hour_price(row, mode, reserved_discount=discount
                                if mode == "reserved" else None)


# ----------------------------------------------------------------------------- the values

def _values(s: Scenario) -> dict:
    """The scenario's numbers the bill reads, by name (the Monte Carlo replaces some with
    arrays of draws): its :data:`VALUE_FIELDS`, the rented GPU-hour and the capital per
    GPU (the server's price when owned and none is given)."""
    v = {name: float(getattr(s, name)) for name in VALUE_FIELDS}
    v["usd_per_gpu_hour"] = _rent_usd_per_gpu_hour(s)
    capital = s.capital_usd_per_gpu
    if capital is None and s.hosting == "owned":
        capital = clusters.server_price_usd_per_gpu(
            _accelerator(_instance(s.instance).accelerator))
    v["capital_usd_per_gpu"] = float(capital or 1.0)
    return v


def _requests_per_month(v: dict):
    return v["users_per_day"] * v["requests_per_user"] * DAYS_PER_MONTH


def _mtok_per_month(v: dict):
    return _requests_per_month(v) * (v["input_tokens"] + v["output_tokens"]) / _MTOK


# ----------------------------------------------------------------------------- the fleet

@dataclass
class _Fleet:
    """The serving fleet for some values: lesson 6's replica time, lesson 3's GPU count."""

    replica_s: object  # replica-seconds per request, after efficiency
    context_share: object  # the share of it spent reading retrieved chunks
    tokens_per_s_per_gpu: object
    n_gpus: object
    busy: object  # share of the fleet doing work
    rent_usd_per_gpu_hour: object
    owned: object  # clusters.owned_cost (or an array of them), when owned


def _fleet(p: _Plan, v: dict, itemised: bool = True) -> _Fleet:
    """``itemised``: also the share of replica time spent reading retrieved chunks (a
    split of the bill, not part of its total)."""
    s = p.s
    i, o = v["input_tokens"], v["output_tokens"]
    retrieved = _retrieved_tokens(s, v["retrieved_chunks"], i, o)
    # the replica sized for each request: the scenario's own, or each draw's
    g = p.replica.g if not isinstance(i + retrieved + o, np.ndarray) \
        else p.replica.chips(i + retrieved + o)
    full_load_s = p.replica.seconds(i + retrieved, o, g)
    plain_s = full_load_s if not itemised or np.all(retrieved == 0) \
        else p.replica.seconds(i, o, g)
    replica_s = full_load_s / v["serving_efficiency"]
    tokens_per_s_per_gpu = (i + o) / replica_s / g
    tokens_per_day = v["users_per_day"] * v["requests_per_user"] * (i + o)
    # GPUs: lesson 3's fleet bill at $1 per GPU-hour over 24 h counts them
    n_gpus = np.round(_each(lambda t, x, chips: cloud.self_hosting_daily_usd.unchecked(t, x, 1.0,
                                                                              int(chips)),
                            tokens_per_day, tokens_per_s_per_gpu * v["utilization"], g)
                      / HOURS_PER_DAY)
    if not np.all(n_gpus <= _checks.COUNT_LIMIT):
        raise ValueError(f"this scenario needs {np.max(n_gpus):.3g} GPUs, more than any fleet "
                         f"(the kit counts up to {_checks.COUNT_LIMIT:.0e}): "
                         f"serving_efficiency={s.serving_efficiency!r}, utilization="
                         f"{s.utilization!r} and users_per_day={s.users_per_day!r} set "
                         "it; bring them into a realistic range")
    busy = tokens_per_day / (n_gpus * tokens_per_s_per_gpu * HOURS_PER_DAY * SECONDS_PER_HOUR)
    rent, owned = v["usd_per_gpu_hour"], None
    if s.hosting == "reserved" and s.usd_per_gpu_hour is None:
        rent = _each(lambda d: _rent(s, p.row, d).usd_per_gpu_hour, v["reserved_discount"])
    if s.hosting == "owned":
        owned = _owned(p, v)
    return _Fleet(replica_s, np.maximum(0.0, 1.0 - plain_s / full_load_s),
                  tokens_per_s_per_gpu, n_gpus, busy, rent, owned)


def _owned(p: _Plan, v: dict):
    """Lesson 2's cost per GPU-hour of owning the chips (``clusters.owned_cost``)."""
    # The formula is arithmetic in its four drawn inputs: arrays of draws pass straight
    # through it (one call, not one per draw).
    return clusters.owned_cost.unchecked(p.chip, v["capital_usd_per_gpu"],
                                         v["amortization_years"], v["pue"], v["usd_per_kwh"],
                                         p.s.ops_usd_per_gpu_hour)


# ----------------------------------------------------------------------------- the bill

def _row(layer: int, item: str, usd_per_month, function: str,
         prices: tuple[str, ...] = (), note: str = "") -> dict:
    return {"layer": layer, "layer_name": LAYERS[layer - 1].name, "item": item,
            "usd_per_month": usd_per_month, "function": function, "prices": prices,
            "note": note}


def _lines(p: _Plan, v: dict, fleet: _Fleet | None, itemised: bool = True) -> list[dict]:
    """The monthly bill, line by line, for values ``v`` (numbers or arrays of draws).
    ``itemised``: the retrieved chunks' part split out to layer 4 (the same total)."""
    rows = _api_rows(p, v, itemised) if fleet is None else _fleet_rows(p, v, fleet)
    return rows + _data_rows(p, v) + _training_rows(p, v, fleet)


def _api_rows(p: _Plan, v: dict, itemised: bool = True) -> list[dict]:
    """Layer 6 on an API: requests × ``cloud.api_bill``'s price per request; the retrieved
    chunks are input tokens like any other, priced the same (their part shown in layer 4)."""
    s = p.s
    i, o = v["input_tokens"], v["output_tokens"]
    retrieved = _retrieved_tokens(s, v["retrieved_chunks"], i, o)

    def per_request(tokens_in, tokens_out):
        return cloud.api_bill(p.api, 1, 1, tokens_in, tokens_out,
                              s.cached_input_share).usd_per_request

    scale = _requests_per_month(v) * v["api_price_factor"]
    monthly = scale * _each(per_request, i + retrieved, o)
    rows = []
    if itemised and s.rag_chunks > 0 and np.any(retrieved > 0):
        context_usd = monthly - scale * _each(per_request, i, o)
        rows.append(_row(4, "retrieved chunks in the prompt (API input tokens)", context_usd,
                         "cloud.api_bill (retrieved tokens)", ("api",)))
        monthly = monthly - context_usd
    return [*rows, _row(6, f"API tokens ({p.api.model})", monthly, "cloud.api_bill", ("api",))]


def _fleet_rows(p: _Plan, v: dict, fleet: _Fleet) -> list[dict]:
    """Layers 1-3 self-hosted: the fleet, owned (lesson 2) or rented (lesson 3), less the
    share of its time spent reading retrieved chunks (moved to layer 4)."""
    s, n = p.s, fleet.n_gpus
    if fleet.owned is not None:
        server = ("server",) if "server" in p.prices else ()
        # lesson 2's electricity for one GPU (and its host) busy a year, per hour, times
        # the fleet's busy GPU-hours (a call per GPU count would cost seconds in a band);
        # arithmetic in PUE and price, so arrays of draws pass straight through
        per_busy_gpu_hour = clusters.cluster_power.unchecked(
            1, p.chip, pue=v["pue"], usd_per_kwh=v["usd_per_kwh"]
        ).annual_electricity_usd / HOURS_PER_YEAR
        rows = [
            _row(1, f"{p.chip.name} servers, bought (capital)",
                 n * fleet.owned.capital_usd_per_gpu_hour * _MONTH_H,
                 "clusters.owned_cost", server),
            _row(2, "cluster network (its share of the hardware)",
                 n * fleet.owned.network_usd_per_gpu_hour * _MONTH_H,
                 "clusters.owned_cost", server),
            _row(2, "data-centre space, power and cooling plant",
                 n * fleet.owned.facility_usd_per_gpu_hour * _MONTH_H,
                 "clusters.owned_cost"),
            _row(2, "electricity and cooling (PUE)", n * fleet.busy * _MONTH_H * per_busy_gpu_hour,
                 "clusters.cluster_power", ("electricity",)),
            _row(3, "operations", n * fleet.owned.ops_usd_per_gpu_hour * _MONTH_H,
                 "clusters.owned_cost"),
        ]
    else:
        rows = [_row(3, f"{p.row.instance} rented, {s.hosting}",
                     n * fleet.rent_usd_per_gpu_hour * HOURS_PER_DAY * DAYS_PER_MONTH,
                     "cloud.self_hosting_daily_usd", ("instance",))]
    if s.rag_chunks > 0 and np.any(fleet.context_share > 0):
        moved = 0.0
        for r in rows:
            part = r["usd_per_month"] * fleet.context_share
            r["usd_per_month"] = r["usd_per_month"] - part
            moved = moved + part
        rows.append(_row(4, "retrieved chunks in the prompt (fleet time to read them)", moved,
                         _replica.FUNCTIONS["capacity"],
                         tuple(k for k in ("instance", "server", "electricity")
                               if k in p.prices)))
    return rows


def _data_rows(p: _Plan, v: dict) -> list[dict]:
    """Layer 4: embedding each request, the vector store, the training corpus stored."""
    s, rows = p.s, []
    if s.embedding_usd_per_mtok > 0:
        rows.append(_row(4, "embedding each request's input",
                         _requests_per_month(v) * v["input_tokens"]
                         * s.embedding_usd_per_mtok / _MTOK,
                         "bookkeeping: tokens × price", ("embedding",)))
    if s.rag_chunks > 0:
        rows.append(_row(4, "vector store", p.index_gb * v["vector_store_usd_per_gb_month"],
                         "vectors.index_bytes", ("vector_store",)))
    if p.corpus is not None:
        name, stored_gb, _, function = p.corpus
        rows.append(_row(4, f"training corpus in object storage ({name})",
                         stored_gb * s.storage_usd_per_gb_month, function, ("storage",)))
    return rows


def _gpu_hour_usd(v: dict, fleet: _Fleet | None):
    """What an hour of the chips costs: owned (lesson 2), rented, or on demand beside an API."""
    if fleet is None:
        return v["usd_per_gpu_hour"]
    if fleet.owned is not None:
        return fleet.owned.usd_per_gpu_hour
    return fleet.rent_usd_per_gpu_hour


def _training_rows(p: _Plan, v: dict, fleet: _Fleet | None) -> list[dict]:
    """Layer 5: the run's GPU-hours (``training.flops``, ``training.days``) at the
    chips' GPU-hour price, spread over the model's life."""
    if p.training is None:
        return []
    s = p.s
    return [_row(5, f"training {p.spec.name}, spread over {s.model_life_months:g} months",
                 p.training[2] * _gpu_hour_usd(v, fleet) / v["model_life_months"],
                 _TRAINING_FUNCTION,
                 tuple(k for k in ("server", "electricity", "instance") if k in p.prices))]


def _usd_per_mtok(p: _Plan, v: dict):
    """The bill's total per million tokens for values ``v`` (numbers or arrays of draws)."""
    fleet = _fleet(p, v, itemised=False) if p.replica is not None else None
    total = sum(r["usd_per_month"] for r in _lines(p, v, fleet, itemised=False))
    return total / _mtok_per_month(v)


# ----------------------------------------------------------------------------- the trace

def _figure_row(layer: int, figure: str, value: float, unit: str, function: str) -> dict:
    return {"layer": layer, "layer_name": LAYERS[layer - 1].name, "figure": figure,
            "value": float(value), "unit": unit, "function": function}


def _figures(p: _Plan, v: dict, fleet: _Fleet | None) -> list[dict]:
    """Each layer's headline figures, with the function that gave each."""
    s, out = p.s, []
    if fleet is None:
        i, o = v["input_tokens"], v["output_tokens"]
        prompt = i + _retrieved_tokens(s, v["retrieved_chunks"], i, o)
        price = cloud.api_bill(p.api, 1, 1, prompt, o, s.cached_input_share)
        out.append(_figure_row(6, "API price, blended over this request",
                               price.usd_per_request * s.api_price_factor / (prompt + o)
                               * _MTOK, "USD per 1e6 tokens", "cloud.api_bill"))
    else:
        out += _fleet_figures(p, v, fleet)
    if s.rag_chunks > 0:
        out.append(_figure_row(4, "vector index (flat)", p.index_gb, "GB", "vectors.index_bytes"))
    if p.corpus is not None:
        name, _, tb, function = p.corpus
        label = f"{name}, every copy stored" if function == "data.dataset_storage" \
            else f"{name} on disk"
        out.append(_figure_row(4, label, tb, "TB", function))
    if p.training is not None:
        flops, days, gpu_hours = p.training
        out += [
            _figure_row(5, "training compute", flops, "FLOP", "training.flops"),
            _figure_row(5, "training time", days, "days", "training.days"),
            _figure_row(5, "training GPU-hours", gpu_hours, "GPU-hours", "training.days"),
            _figure_row(5, "training cost", gpu_hours * _gpu_hour_usd(v, fleet), "USD",
                        "training.days × GPU-hour price"),
        ]
    return out


def _fleet_figures(p: _Plan, v: dict, fleet: _Fleet) -> list[dict]:
    s, used = p.s, _replica.FUNCTIONS
    power = clusters.cluster_power(int(fleet.n_gpus), p.chip, pue=s.pue,
                                   usd_per_kwh=s.usd_per_kwh, utilization=fleet.busy)
    ttft_s, tpot_s = (x / s.serving_efficiency for x in p.replica.latency_s())
    out = [
        _figure_row(1, f"{p.chip.name} per replica", p.replica.g, "chips", used["chips"]),
        _figure_row(1, "serving chips provisioned", fleet.n_gpus, "chips",
                    "cloud.self_hosting_daily_usd"),
        _figure_row(2, "serving fleet from the grid", power.facility_mw, "MW",
                    "clusters.cluster_power"),
        _figure_row(6, "throughput per chip, achieved", fleet.tokens_per_s_per_gpu,
                    "tokens/s", used["capacity"]),
        _figure_row(6, "time to first token", ttft_s, "s", used["ttft"]),
        _figure_row(6, "time per output token", tpot_s, "s", used["tpot"]),
        _figure_row(6, "busy share of the fleet", fleet.busy, "fraction",
                    "cloud.self_hosting_daily_usd"),
    ]
    if fleet.owned is None:
        out.append(_figure_row(3, f"{p.row.instance} {s.hosting}",
                               fleet.rent_usd_per_gpu_hour, "USD per GPU-hour",
                               "cloud.gpu_hour_price"))
    return out


def _dated(p: _Plan, rows: list[dict], today: dt.date) -> tuple[list[dict], set[str]]:
    """Every price with its age and a stale flag; each row dated by its oldest price."""
    s = p.s
    limit_days = s.stale_after_months * DAYS_PER_YEAR / _MONTHS_PER_YEAR
    items = []
    for key, price in p.prices.items():
        age = (today - price.as_of).days
        items.append({"key": key, "figure": price.figure, "value": price.value,
                      "unit": price.unit, "as_of": price.as_of, "age_days": age,
                      "stale": age > limit_days, "source": price.source})
    stale = {item["key"] for item in items if item["stale"]}
    for r in rows:
        used = [p.prices[k].as_of for k in r["prices"] if k in p.prices]
        r["as_of"] = min(used) if used else None
        r["stale"] = any(k in stale for k in r["prices"])
    return items, stale


@d.declared(scenario=SCENARIO)
def trace(scenario: Scenario) -> StackResult:
    """Run ``scenario`` through the six layers: what it needs from each and what it costs.

    Every figure is the layer's own function called directly:

    - layer 1, chips: replica size (``serving.chips_for_batch``);
    - layer 2, clusters: the serving fleet's power and electricity
      (``clusters.cluster_power``) and, when owned, its capital
      (``clusters.owned_cost``);
    - layer 3, cloud: GPU-hour prices (``cloud.gpu_hour_price``), the fleet's size
      (``cloud.self_hosting_daily_usd``) and API bills (``cloud.api_bill``);
    - layer 4, data: the vector store (``vectors.index_bytes``) and the training
      corpus (``data.dataset_storage``) at storage prices;
    - layer 5, training: ``training.flops`` and ``training.days``, amortised over
      the model's life;
    - layer 6, serving: capacity (``serving.serving_cost``), time to first token and
      per output token (``serving.latency``).

    The stack's own arithmetic is bookkeeping: requests × tokens, chips × hours × price,
    a bill spread over the tokens it buys.
    """
    s = scenario
    today = dt.date.today() if s.today is None else _date(s.today, "today")
    p = _plan(s)
    v = _values(s)
    fleet = _fleet(p, v) if p.replica is not None else None
    rows = [{**r, "usd_per_month": float(r["usd_per_month"])} for r in _lines(p, v, fleet)]
    figures = _figures(p, v, fleet)
    price_items, stale = _dated(p, rows, today)
    total = _checks.finite("trace total", float(sum(r["usd_per_month"] for r in rows)),
                           {"users_per_day": s.users_per_day, "input_tokens": s.input_tokens,
                            "output_tokens": s.output_tokens})
    by_name = {f["figure"]: f["value"] for f in figures}
    return StackResult(
        scenario_name=s.name, hosting=s.hosting, usd_per_month=total,
        mtok_per_month=float(_mtok_per_month(v)),
        n_gpus=int(fleet.n_gpus) if fleet is not None else 0,
        facility_mw=by_name.get("serving fleet from the grid", 0.0),
        ttft_s=by_name.get("time to first token"), tpot_s=by_name.get("time per output token"),
        training_gpu_hours=p.training[2] if p.training is not None else 0.0,
        n_stale_prices=len(stale), line_items=tuple(rows), figure_items=tuple(figures),
        price_items=tuple(price_items), scenario=s)
