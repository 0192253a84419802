"""The kit's data: sourced, dated tables loaded from ``data/*.csv`` and validated.

Every row carries a ``source`` (a citation a reader can follow) and an
``as_of`` date. Tables load once per process and are cached; each call returns
a fresh copy, so a notebook that edits a table cannot change what the next
cell sees.

    >>> from stackkit import catalog
    >>> catalog.accelerator("h100-sxm").memory_bw_tb_s
    3.35

Look-ups by name ignore case and treat spaces, hyphens and underscores alike;
an unknown name raises ``KeyError`` that lists the closest known names.

One declaration per table: a frozen record dataclass, registered with
:func:`table`, *is* the table's schema. Its fields are the CSV's columns (in
order), their annotations the types (``str``, ``float``, ``int``, ``bool``,
``datetime.date``; ``X | None`` marks a column that may be empty), and
``field(metadata=column(...))`` adds what a type cannot say (allowed values, the key, the label,
the filter columns). The same rules check every record, whether the loader
builds it from a file or code builds it by hand (``bench.run().as_accelerator()``).
``data/README.md`` says how to add a table.

The package, one idea per file:

- ``schema.py``  declaring a table: :class:`Record`, :func:`table`, :func:`column`, the rules
- ``load.py``    where the files are (:func:`data_dir`) and strict loading (:func:`load_table`)
- ``names.py``   matching names as typed; :class:`UnknownNameError` with the closest names
- ``lookup.py``  :func:`lookup` one record, :func:`query` a filtered, sorted table, and
                 :func:`known_name`, the declaration of a parameter that names a row
- ``tables.py``  the tables' record classes and their accessors (``accelerator(name)``, …)
"""

from __future__ import annotations

from .load import FUTURE_GRACE_DAYS, CatalogError, data_dir, load_table
from .lookup import known_name, lookup, query
from .names import UnknownNameError, _find  # _find: stack.py matches preset names with it
from .schema import (
    MAX_NUMBER,
    Record,
    column,
    filter_columns,
    label_column,
    numeric_columns,
    table,
    table_names,
)
from .tables import (
    Accelerator,
    ApiPrice,
    Assumption,
    ChipCostRow,
    Chokepoint,
    Dataset,
    GpuMeasurement,
    Instance,
    Interconnect,
    ModelSpec,
    StorageTier,
    accelerator,
    accelerators,
    api_price,
    api_prices,
    assumption,
    assumptions,
    chip_cost,
    chip_costs,
    chokepoint,
    chokepoints,
    dataset,
    datasets,
    gpu_measurements,
    instance,
    instances,
    interconnect,
    interconnects,
    model,
    models,
    storage_tier,
    storage_tiers,
)

__all__ = [
    "Accelerator",
    "ApiPrice",
    "Assumption",
    "CatalogError",
    "Dataset",
    "GpuMeasurement",
    "Instance",
    "Interconnect",
    "ModelSpec",
    "Record",
    "StorageTier",
    "UnknownNameError",
    "accelerator",
    "accelerators",
    "api_price",
    "api_prices",
    "assumption",
    "assumptions",
    "column",
    "data_dir",
    "dataset",
    "datasets",
    "gpu_measurements",
    "instance",
    "instances",
    "interconnect",
    "interconnects",
    "known_name",
    "load_table",
    "lookup",
    "model",
    "models",
    "numeric_columns",
    "query",
    "storage_tier",
    "storage_tiers",
    "table",
    "table_names",
]
