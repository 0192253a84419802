"""Lesson 00's tool: browse any catalog table."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import ipywidgets as widgets
import pandas as pd

from .. import catalog, plots
from .._results import Result
from ._base import Chart, Explorer, render_table

__all__ = ["catalog_view", "explore_catalog"]

ALL = "all rows"


def _filter_options(table: str) -> list[tuple[str, str]]:
    frame = catalog.query(table)
    options = [(ALL, "")]
    for column in catalog.filter_columns(table):
        for value in sorted(frame[column].dropna().astype(str).unique()):
            options.append((f"{column} = {value}", f"{column}={value}"))
    return options


@dataclass(frozen=True)
class CatalogView(Result):
    """A filtered, sorted slice of one catalog table and how to chart it."""

    table: str
    metric: str
    label: str  # the column that names a row
    color_by: str  # the category that colours the bars
    log_scale: bool
    frame: pd.DataFrame = field(repr=False, compare=False)


def catalog_view(table: str, filter: str, metric: str, largest_first: bool,
                 top_n: int, log_scale: bool = False) -> CatalogView:
    """The explorer's view: a filtered, sorted slice of one table and how to chart it."""
    where = dict([filter.split("=", 1)]) if filter else None
    frame = catalog.query(table, where=where, sort_by=metric, ascending=not largest_first,
                          limit=top_n)
    if frame.empty:
        raise ValueError(f"no rows of {table} with {filter.replace('=', ' = ')} "
                         f"have a value for {metric}")
    return CatalogView(table=table, metric=metric, label=catalog.label_column(table),
                       color_by=catalog.filter_columns(table)[0], log_scale=bool(log_scale),
                       frame=frame)


def _render(view: CatalogView) -> str:
    frame = view.frame
    columns = list(dict.fromkeys([view.label, view.metric, *catalog.filter_columns(view.table),
                                  "as_of"]))
    dates = f"{frame['as_of'].min():%Y-%m-%d} to {frame['as_of'].max():%Y-%m-%d}"
    caption = (f"{len(frame)} rows of <code>{html.escape(view.table)}</code>, figures dated "
               f"{dates}. Sources: <code>catalog.{view.table}()['source']</code>")
    return f"<div>{caption}</div>" + render_table(frame[columns])


class CatalogChart(Chart):
    """Bars of one metric, one per row: the axes is kept, the bars are redrawn."""

    figsize = (7.5, 4.2)
    rect = (0.3, 0.12, 0.67, 0.8)

    def update(self, view: CatalogView) -> None:
        self.clear()
        # Fixed margins sized to the longest row label, instead of a layout pass.
        longest = view.frame[view.label].astype(str).str.len().max()
        left = min(0.5, 0.03 + 0.0088 * longest)
        self.ax.set_position((left, 0.12, 0.97 - left, 0.8))
        if not view.log_scale and self.ax.get_xscale() != "linear":
            self.ax.set_xscale("linear")
        plots.catalog_bars(view.frame, view.label, view.metric, color_by=view.color_by,
                           log=view.log_scale, ax=self.ax)
        self.fixed_title(f"{view.table}: {view.metric}")


def explore_catalog(table: str = "accelerators", metric: str = "bf16_tflops",
                    top_n: int = 12) -> Explorer:
    """Choose a table, filter it, sort by a metric; see the rows (with dates) and a bar chart."""
    table_control = widgets.Dropdown(options=list(catalog.table_names()), value=table,
                                     description="table")
    filter_control = widgets.Dropdown(options=_filter_options(table), value="",
                                      description="filter")
    metric_control = widgets.Dropdown(options=list(catalog.numeric_columns(table)), value=metric,
                                      description="sort by")
    order_control = widgets.ToggleButton(value=True, description="largest first",
                                         tooltip="sort order")
    top_control = widgets.IntSlider(value=top_n, min=1, max=30, description="rows shown")
    log_control = widgets.Checkbox(value=False, description="log scale")
    built: list[Explorer] = []

    def _new_table(change: dict) -> None:
        # Runs before the explorer's own observer (registered first), so the filter
        # and metric already fit the new table when it recomputes.
        with built[0].hold():
            filter_control.options = _filter_options(change["new"])
            filter_control.value = ""
            metrics = list(catalog.numeric_columns(change["new"]))
            metric_control.options = metrics
            metric_control.value = metrics[0]

    table_control.observe(_new_table, names="value")
    explorer = Explorer(
        {"table": table_control, "filter": filter_control, "metric": metric_control,
         "largest_first": order_control, "top_n": top_control, "log_scale": log_control},
        compute=catalog_view, render=_render, chart=CatalogChart,
        title="<b>Catalog explorer</b> — every row has a source and an <code>as_of</code> date",
    )
    built.append(explorer)
    return explorer
