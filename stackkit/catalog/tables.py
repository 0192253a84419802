"""The tables: one record class per ``data/<table>.csv`` (the class is the schema) and
the accessors lessons read them with (``accelerators()`` the table, ``accelerator(name)``
one row). The order of the declarations is the order of :func:`table_names`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .._declare import Spec, custom, date, declared, flag, optional
from ..units import GIB, MB
from .load import _cached, _table
from .lookup import _record, known_name, lookup
from .names import UnknownNameError, _find
from .schema import Record, column, table

# --------------------------------------------------------------------------- the tables
# One declaration per table: the record class is the schema of data/<table>.csv.
# The order of the declarations is the order of table_names().

@table("accelerators")
@dataclass(frozen=True)
class Accelerator(Record):
    """One chip from ``data/accelerators.csv``; ``None`` marks a figure not published."""

    name: str = field(metadata=column(key=True, label=True))
    vendor: str = field(metadata=column(filter=True))
    # 'cpu' rows are machines measured by stackkit.bench (bench.run().as_accelerator());
    # the CSV holds accelerators only.
    kind: str = field(metadata=column(allowed=("gpu", "tpu", "asic", "wafer", "cpu"),
                                      filter=True))
    bf16_tflops: float | None  # dense BF16 (FP16 where the vendor gives only that)
    fp8_tflops: float | None
    fp32_tflops: float | None
    tf32_tflops: float | None
    int8_tops: float | None
    # off-chip DRAM as the datasheet prints it, in the vendor's binary GB (GiB): see
    # memory_bytes; None for SRAM-only chips
    memory_gb: float | None
    memory_type: str | None
    memory_bw_tb_s: float  # off-chip bandwidth, or on-chip SRAM bandwidth for SRAM-only chips
    sram_mb: float | None
    tdp_w: float | None
    price_usd: float | None  # an estimate where known; see price_note
    price_note: str | None
    scaleup_link: str | None
    scaleup_bw_gb_s: float | None  # per chip, one direction
    measured_bf16_tflops: float | None  # best measured matmul throughput
    # streaming multiprocessors (NVIDIA) or compute units (AMD), and their highest clock:
    # what sets the rate of work done outside the matrix units (weight dequantization)
    sm_count: int | None
    max_clock_mhz: float | None
    year: int = field(metadata=column(metric=False))
    source: str
    as_of: dt.date  # when the figure was true
    retrieved: dt.date | None = None  # when the figure was read from its source

    @property
    def memory_bytes(self) -> int | None:
        """The off-chip memory in bytes: ``memory_gb`` × 2**30, or None when there is none.

        ``memory_gb`` is the figure the datasheet prints ("80GB"), and vendors print HBM,
        GDDR and LPDDR capacity in binary units: DRAM dies and HBM stacks come in powers of
        two (JEDEC HBM stacks of 8, 16, 24 GiB; GDDR6 chips of 1 or 2 GiB), so an "80GB"
        A100 holds five 16 GiB stacks, 80 GiB = 85.9e9 bytes. PyTorch reports
        ``total_memory`` = 85,056,798,720 bytes (79.21 GiB) on an A100-SXM4-80GB, the driver
        keeping a little; nvidia-smi shows 143,771 MiB on an H200 "141GB" and about 46,068
        MiB on an L40S "48GB" with ECC on. AWS's Trainium and Inferentia pages write GiB
        outright (the rows' sources). Every ``memory_gb`` in the catalog is such off-chip
        DRAM (``memory_type`` HBM*/GDDR* or unstated): SRAM-only chips leave it empty and
        give ``sram_mb``. This is the one place the datasheet figure turns into bytes.
        """
        if self.memory_gb is None:
            return None
        if self.memory_type == "SRAM":
            raise ValueError(f"{self.name}: memory_gb is off-chip DRAM, but memory_type says "
                             "SRAM (on-chip SRAM belongs in sram_mb)")
        return round(self.memory_gb * GIB)

    @property
    def weight_capacity_bytes(self) -> int:
        """Where weights can live, in bytes: the off-chip memory (:attr:`memory_bytes`), or
        on chips that have none the SRAM, ``sram_mb`` × 1e6: the column is decimal MB, and
        no SRAM-only vendor (Groq's 230 MB, Cerebras's 44 GB) says its figure is binary."""
        if self.memory_bytes is not None:
            return self.memory_bytes
        if self.sram_mb is not None:
            return round(self.sram_mb * MB)
        raise ValueError(f"{self.name} has neither memory_gb nor sram_mb in the catalog")

    @property
    def weight_capacity_gb(self) -> float:
        """:attr:`weight_capacity_bytes` in decimal GB (1e9 bytes), the kit's unit.

        Not the datasheet figure: an "80GB" A100 holds 80 GiB of HBM (JEDEC and vendor
        stacks are 8, 16 or 24 GiB), so this is 85.9 for it, and 85,056,798,720 bytes, what
        PyTorch reports as the A100-SXM4-80GB's total memory, fit inside. Capacity limits
        read this (or the bytes); a table of the catalog shows ``memory_gb``.
        """
        return self.weight_capacity_bytes / 1e9


@table("interconnects")
@dataclass(frozen=True)
class Interconnect(Record):
    """One link type from ``data/interconnects.csv``."""

    name: str = field(metadata=column(key=True, label=True))
    kind: str = field(metadata=column(allowed=("memory", "scale-up", "host", "scale-out"),
                                      filter=True))
    generation: str | None
    bandwidth_gb_s: float  # one direction, per GPU / slot / port
    latency_us: float | None
    links: int | None
    year: int | None = field(metadata=column(metric=False))
    source: str
    as_of: dt.date  # when the figure was true
    retrieved: dt.date | None = None  # when the figure was read from its source


@table("instances", indexed=False)
@dataclass(frozen=True)
class Instance(Record):
    """One cloud instance price from ``data/instances.csv`` (one row per price date)."""

    instance: str = field(metadata=column(key=True, label=True))
    provider: str = field(metadata=column(key=True, filter=True))
    region: str = field(metadata=column(key=True))
    accelerator: str = field(metadata=column(filter=True))
    accelerator_count: int
    usd_per_hour: float  # on-demand, the whole instance
    spot_usd_per_hour: float | None
    pricing_note: str | None
    source: str
    as_of: dt.date = field(metadata=column(key=True))
    retrieved: dt.date | None = None  # when the figure was read from its source

    @property
    def usd_per_gpu_hour(self) -> float:
        """On-demand price per accelerator-hour (GPU, TPU or other chip: "GPU" in the kit's
        names means any accelerator, docs/architecture.md's glossary)."""
        return self.usd_per_hour / self.accelerator_count


@table("api_prices", indexed=False)
@dataclass(frozen=True)
class ApiPrice(Record):
    """One model's API price from ``data/api_prices.csv`` (USD per million tokens; a price
    that changed has one row per date, as for instances)."""

    provider: str = field(metadata=column(filter=True))
    model: str = field(metadata=column(key=True, label=True))
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    cached_input_usd_per_mtok: float | None
    source: str
    as_of: dt.date = field(metadata=column(key=True))  # when the price was in effect
    retrieved: dt.date | None = None  # when the figure was read from its source


@table("models")
@dataclass(frozen=True)
class ModelSpec(Record):
    """A transformer architecture from ``data/models.csv``.

    Its arithmetic (parameters from the architecture, active parameters, KV cache bytes per
    token) is :mod:`stackkit.transformer`'s: ``transformer.param_count(spec)``.
    """

    name: str = field(metadata=column(key=True, label=True))
    family: str = field(metadata=column(filter=True))
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    d_ff: int
    vocab_size: int
    ffn_kind: str = field(metadata=column(allowed=("gelu", "relu", "swiglu"), filter=True))
    n_experts: int
    experts_per_token: int
    tied_embeddings: bool
    context_length: int
    params: int  # the published total parameter count
    source: str
    as_of: dt.date  # when the figure was true
    retrieved: dt.date | None = None  # when the figure was read from its source
    # Multi-head latent attention and fine-grained MoE (DeepSeek-V2/V3); empty for the rest.
    attention: str | None = field(default=None, metadata=column(allowed=("gqa", "mla")))
    kv_latent_dim: int | None = None  # MLA: compressed K/V latent d_c, the cached part
    q_latent_dim: int | None = None  # MLA: compressed query d_c' (None: no query compression)
    rope_head_dim: int | None = None  # MLA: decoupled RoPE key per head (one cached per token)
    attn_head_dim: int | None = None  # MLA: per-head width of queries, keys and values
    n_shared_experts: int | None = None  # always-on experts beside the routed ones
    first_dense_layers: int | None = None  # leading layers with a dense FFN instead of MoE
    dense_d_ff: int | None = None  # those layers' FFN width (d_ff is then an expert's)
    head_dim: int = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "head_dim", self.d_model // self.n_heads)
        if self.attention == "mla" and (self.kv_latent_dim is None or self.rope_head_dim is None
                                        or self.attn_head_dim is None):
            raise ValueError(f"ModelSpec {self.name!r}: attention 'mla' needs kv_latent_dim, "
                             "rope_head_dim and attn_head_dim")
        if self.first_dense_layers is not None and self.first_dense_layers >= self.n_layers:
            raise ValueError(f"ModelSpec {self.name!r}: first_dense_layers="
                             f"{self.first_dense_layers} must be fewer than n_layers="
                             f"{self.n_layers}")


@table("assumptions", folder=True)
@dataclass(frozen=True)
class Assumption(Record):
    """One sourced default from ``data/assumptions/<layer>.csv``."""

    key: str = field(metadata=column(key=True, label=True))
    value: float
    unit: str
    description: str
    source: str
    as_of: dt.date  # when the figure was true
    retrieved: dt.date | None  # when it was read from its source
    layer: str = field(metadata=column(in_file=False, filter=True))  # the file it came from


@table("datasets")
@dataclass(frozen=True)
class Dataset(Record):
    """One training corpus from ``data/datasets.csv``."""

    name: str = field(metadata=column(key=True, label=True))
    kind: str = field(metadata=column(filter=True))
    tokens: float | None
    size_tb: float | None
    size_basis: str | None  # what size_tb measures: compressed (which codec) or not
    tokenizer: str | None  # the tokenizer ``tokens`` was counted with
    licence: str | None
    source: str
    as_of: dt.date  # when the figure was true
    retrieved: dt.date | None = None  # when the figure was read from its source


@table("storage_tiers")
@dataclass(frozen=True)
class StorageTier(Record):
    """Throughput of one unit of a storage tier from ``data/storage_tiers.csv`` (lesson 4)."""

    name: str = field(metadata=column(key=True, label=True))
    kind: str = field(metadata=column(
        allowed=("object", "parallel-fs", "distributed-fs", "local-nvme"), filter=True))
    scope: str = field(metadata=column(
        allowed=("per prefix", "per node", "per TiB", "per drive", "per cluster"), filter=True))
    read_gb_s: float | None
    write_gb_s: float | None
    requests_per_s: float | None
    source: str
    as_of: dt.date


# --------------------------------------------------------------------------- what chips cost

@table("chip_costs")
@dataclass(frozen=True)
class ChipCostRow(Record):
    """One accelerator's estimated cost build-up from ``data/chip_costs.csv`` (lesson 1).

    Every row is an estimate (``estimate`` is True) with its source; empty cells are
    figures no public estimate gives (MI300X's chiplets have no single die area).
    """

    name: str = field(metadata=column(key=True, label=True))
    accelerator: str  # the row of data/accelerators.csv it prices
    node: str = field(metadata=column(filter=True))
    die_area_mm2: float | None  # one logic die
    logic_dies: int | None  # logic dies in one package
    wafer_usd: float | None  # foundry price of one 300 mm wafer at the node
    defects_per_cm2: float | None  # the node's defect density
    hbm_gb: float
    hbm_usd_per_gb: float
    packaging_usd: float  # interposer / CoWoS assembly, per package
    test_assembly_usd: float | None
    logic_die_usd: float  # the published estimate for all the package's logic
    total_cost_usd: float  # the published estimate of the whole build-up
    list_price_usd: float  # estimated selling price
    estimate: bool
    source: str
    as_of: dt.date
    retrieved: dt.date | None = None


@table("chokepoints")
@dataclass(frozen=True)
class Chokepoint(Record):
    """One sourced supply figure from ``data/chokepoints.csv`` (CoWoS, HBM, foundry share)."""

    key: str = field(metadata=column(key=True, label=True))
    value: float
    unit: str = field(metadata=column(filter=True))
    description: str
    estimate: bool
    source: str
    as_of: dt.date
    retrieved: dt.date | None = None


@declared()
def chip_costs() -> pd.DataFrame:
    """Estimated cost build-ups of accelerators (die, HBM, packaging, test), indexed by name."""
    return _table("chip_costs")


@table("gpu_measurements", indexed=False)
@dataclass(frozen=True)
class GpuMeasurement(Record):
    """One figure measured on a lent GPU by ``tools/gpu_check.py`` (``data/gpu_measurements.csv``):
    the card's memory, its matmul ceiling, a layer's GEMMs, a training step, decode steps and
    a prefill, each with the framework that ran it and the date."""

    measurement: str = field(metadata=column(key=True, label=True, filter=True))
    accelerator: str = field(metadata=column(key=True, filter=True))  # a data/accelerators.csv row
    model: str | None = field(metadata=column(key=True))  # a data/models.csv shape, random weights
    batch_size: int | None = field(metadata=column(key=True))
    tokens: int | None = field(metadata=column(key=True))  # sequence, context or GEMM side
    value: float
    unit: str
    repeats: int | None  # timed runs behind the median
    framework: str = field(metadata=column(filter=True))
    detail: str | None = field(metadata=column(key=True))  # shape, layout, versions
    source: str
    as_of: dt.date = field(metadata=column(key=True))  # the day it was measured
    retrieved: dt.date | None = None


@declared(name=known_name("chip_costs"))
def chip_cost(name: str | ChipCostRow) -> ChipCostRow:
    """One accelerator's estimated cost build-up by name (``"H100 SXM"``)."""
    return lookup.unchecked("chip_costs", name)


@declared()
def gpu_measurements() -> pd.DataFrame:
    """What a lent GPU measured with ``tools/gpu_check.py``: one row per figure, dated."""
    return _table("gpu_measurements")


@declared()
def chokepoints() -> pd.DataFrame:
    """Sourced supply figures: CoWoS wafers/month, packages per wafer, HBM, foundry share."""
    return _table("chokepoints")


@declared(key=known_name("chokepoints"))
def chokepoint(key: str | Chokepoint) -> Chokepoint:
    """One supply figure by key, e.g. ``chokepoint("cowos_wafers_per_month_2025").value``."""
    return lookup.unchecked("chokepoints", key)


# --------------------------------------------------------------------------- whole tables

@declared()
def accelerators() -> pd.DataFrame:
    """One row per chip, indexed by name: dense BF16/FP8/FP32 TFLOP/s, memory, bandwidth, power."""
    return _table("accelerators")


@declared()
def interconnects() -> pd.DataFrame:
    """Links between chips and machines: NVLink, PCIe, InfiniBand, Ethernet, TPU ICI."""
    return _table("interconnects")


@declared()
def instances() -> pd.DataFrame:
    """Cloud instances with on-demand and spot $/hour; a price that changed has one row per date."""
    return _table("instances")


@declared(history=flag())
def api_prices(history: bool = False) -> pd.DataFrame:
    """LLM API prices in USD per million tokens (input, output, cached input).

    A price that changed has one row per date in ``data/api_prices.csv``; by default only each
    model's newest row is returned, ``history=True`` returns them all.
    """
    frame = _table("api_prices")
    if history:
        return frame
    newest = frame.sort_values("as_of", kind="stable").groupby("model", sort=False).tail(1)
    return frame.loc[frame.index.isin(newest.index)]


@declared()
def models() -> pd.DataFrame:
    """Transformer architectures with their published parameter counts."""
    return _table("models")


@declared()
def assumptions() -> pd.DataFrame:
    """Sourced default figures (PUE, electricity price, failure rates, ...), indexed by key."""
    return _table("assumptions")


@declared()
def datasets() -> pd.DataFrame:
    """Training corpora: tokens and size on disk."""
    return _table("datasets")


@declared()
def storage_tiers() -> pd.DataFrame:
    """Storage throughput per unit of scale (a prefix, a TiB, a node, a drive, a cluster)."""
    return _table("storage_tiers")


# --------------------------------------------------------------------------- look-up by name

@declared(key=known_name("assumptions"))
def assumption(key: str | Assumption) -> Assumption:
    """One sourced default by key, e.g. ``assumption("pue_industry_average").value``."""
    return lookup.unchecked("assumptions", key)


@declared(name=known_name("accelerators"))
def accelerator(name: str | Accelerator) -> Accelerator:
    """One chip by name (``"h100 sxm"``, ``"H100-SXM"``); an ``Accelerator`` passes through."""
    return lookup.unchecked("accelerators", name)


@declared(name=known_name("interconnects"))
def interconnect(name: str | Interconnect) -> Interconnect:
    """One link type by name, e.g. ``"NVLink 4"`` or ``"InfiniBand NDR"``."""
    return lookup.unchecked("interconnects", name)


@declared(name=known_name("models"))
def model(name: str | ModelSpec) -> ModelSpec:
    """One transformer architecture by name, e.g. ``"llama-3-8b"``."""
    return lookup.unchecked("models", name)


@declared(name=known_name("storage_tiers"))
def storage_tier(name: str | StorageTier) -> StorageTier:
    """One storage tier by name, e.g. ``"Tectonic (Llama 3 cluster) peak"``."""
    return lookup.unchecked("storage_tiers", name)


@declared(name=known_name("datasets"))
def dataset(name: str | Dataset) -> Dataset:
    """One training corpus by name, e.g. ``"FineWeb"``."""
    return lookup.unchecked("datasets", name)


def _dated_name(noun: str, record: type, examples: tuple[str, ...]) -> Spec:
    """A name of a table with one row per price date: the look-up picks the row by date, so
    the check takes text or the record and leaves the look-up to the function."""
    def check(param: str, value: object) -> object:
        if isinstance(value, (str, record)):
            return value
        raise UnknownNameError(f"{noun} name must be a string; got {value!r}")

    return custom(check, examples=examples, bad=(None, 3, "", f"no such {noun}", [noun]),
                  kind="catalog name", detail=f"of a {noun}")


@declared(name=_dated_name("API model", ApiPrice, ("GPT-5 mini", "o3")), as_of=optional(date()))
def api_price(name: str | ApiPrice, as_of: str | dt.date | None = None) -> ApiPrice:
    """One model's API price by model name, e.g. ``"GPT-4o mini"``.

    With several dated rows (a price that changed, like o3's 80 % cut in June 2025), the latest
    on or before ``as_of`` is returned; ``as_of=None`` means the latest row.
    """
    if isinstance(name, ApiPrice):
        return name
    frame = _cached("api_prices")
    found = _find(list(dict.fromkeys(frame["model"])), name, "API model")
    rows = frame[frame["model"] == found].sort_values("as_of", kind="stable")
    if as_of is not None:
        earlier = rows[rows["as_of"] <= pd.Timestamp(as_of)]
        if earlier.empty:
            first = rows["as_of"].min().date()
            raise ValueError(f"as_of={as_of!s} is before the first price of {found} ({first})")
        rows = earlier
    return _record(ApiPrice, rows.iloc[-1])


def _provider(param: str, value: object) -> str:
    if isinstance(value, str):
        return value
    raise UnknownNameError(f"provider name must be a string; got {value!r}")


@declared(name=_dated_name("instance", Instance, ("p5.48xlarge", "a3-highgpu-8g")),
          as_of=optional(date()),
          provider=optional(custom(_provider, examples=("AWS", "GCP"), bad=(3, "", "no such cloud"),
                                   kind="provider name")))
def instance(name: str | Instance, as_of: str | dt.date | None = None,
             provider: str | None = None) -> Instance:
    """One cloud instance's price by instance name.

    With several dated rows (a price that changed), the latest on or before
    ``as_of`` is returned; ``as_of=None`` means the latest row.
    """
    if isinstance(name, Instance):
        return name
    frame = _cached("instances")
    if provider is not None:
        providers = list(dict.fromkeys(frame["provider"]))
        chosen = _find(providers, provider, "provider")
        frame = frame[frame["provider"] == chosen]
    found = _find(list(dict.fromkeys(frame["instance"])), name, "instance")
    rows = frame[frame["instance"] == found].sort_values("as_of")
    if as_of is not None:
        when = pd.Timestamp(as_of)
        earlier = rows[rows["as_of"] <= when]
        if earlier.empty:
            first = rows["as_of"].min().date()
            raise ValueError(f"as_of={as_of!s} is before the first price of {found} ({first})")
        rows = earlier
    return _record(Instance, rows.iloc[-1])
