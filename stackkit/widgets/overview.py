"""Lesson 00's tool: browse any catalog table."""

from __future__ import annotations

import html

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

from .. import catalog, plots
from ._base import Explorer

ALL = "all rows"


def _filter_options(table: str) -> list[tuple[str, str]]:
    frame = catalog.query(table)
    options = [(ALL, "")]
    for column in catalog.filter_columns(table):
        for value in sorted(frame[column].dropna().astype(str).unique()):
            options.append((f"{column} = {value}", f"{column}={value}"))
    return options


def catalog_view(table: str, filter: str, metric: str, largest_first: bool,
                 top_n: int, log_scale: bool = False) -> dict:
    """The explorer's view: a filtered, sorted slice of one table and how to chart it."""
    where = dict([filter.split("=", 1)]) if filter else None
    frame = catalog.query(table, where=where, sort_by=metric, ascending=not largest_first,
                          limit=top_n)
    if frame.empty:
        raise ValueError(f"no rows of {table} with {filter.replace('=', ' = ')} "
                         f"have a value for {metric}")
    return {"table": table, "frame": frame, "metric": metric,
            "label": catalog.label_column(table),
            "color_by": catalog.filter_columns(table)[0], "log_scale": log_scale}


def _render(view: dict) -> str:
    frame: pd.DataFrame = view["frame"]
    label, metric = view["label"], view["metric"]
    columns = list(dict.fromkeys([label, metric, *catalog.filter_columns(view["table"]),
                                  "as_of"]))
    shown = frame[columns].copy()
    shown["as_of"] = shown["as_of"].dt.strftime("%Y-%m-%d")
    dates = f"{frame['as_of'].min():%Y-%m-%d} to {frame['as_of'].max():%Y-%m-%d}"
    table = shown.to_html(index=False, float_format=lambda x: f"{x:,.4g}", border=0,
                          classes="sk-result")
    return (f"<div>{len(frame)} rows of <code>{html.escape(view['table'])}</code>, "
            f"figures dated {dates}. Sources: <code>catalog.{view['table']}()['source']</code>"
            f"</div>{table}")


def _draw(view: dict, figure: Figure) -> None:
    # Fixed margins sized to the longest row label, instead of a layout pass per update.
    longest = view["frame"][view["label"]].astype(str).str.len().max()
    figure.subplots_adjust(left=min(0.5, 0.03 + 0.0088 * longest), right=0.97, top=0.92,
                           bottom=0.12)
    ax = figure.add_subplot()
    plots.catalog_bars(view["frame"], view["label"], view["metric"], color_by=view["color_by"],
                       log=view["log_scale"], ax=ax)
    ax.set_title(f"{view['table']}: {view['metric']}", loc="left", fontsize=10)


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
        compute=catalog_view, render=_render, draw=_draw,
        title="<b>Catalog explorer</b> — every row has a source and an <code>as_of</code> date",
        figsize=(7.5, 4.2), layout=None,
    )
    built.append(explorer)
    return explorer
