"""The trace: one scenario through the six layers, line by line, with every price dated."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .. import _checks, cloud, clusters
from .._results import Result
from ..units import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    GB,
    HOURS_PER_DAY,
    HOURS_PER_YEAR,
    SECONDS_PER_HOUR,
    TB,
)
from . import monte_carlo, ranges
from .replica import _SERVING_FUNCTIONS, _optional_module, _Replica
from .scenario import (
    _MONTHS_PER_YEAR,
    _MTOK,
    _TRAINING_FUNCTION,
    Scenario,
    _accelerator,
    _api_price,
    _assumption,
    _check_scenario,
    _dataset,
    _date,
    _instance,
    _llm_scenario,
    _model,
)
from .six_layers import LAYERS

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
        return ranges.sensitivity(self._scenario())

    def uncertainty(self, n: int = 10_000, seed: int = 0) -> monte_carlo.Uncertainty:
        """A seeded Monte Carlo over the assumptions' ranges: P10, P50, P90 of $/Mtok."""
        return monte_carlo.uncertainty(self._scenario(), n=n, seed=seed)

    def _scenario(self) -> Scenario:
        if self.scenario is None:
            raise ValueError("this result was built without its scenario; call trace(scenario)")
        return self.scenario




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

