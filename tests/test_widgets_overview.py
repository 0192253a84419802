"""Lesson 00's catalog explorer (``widgets.explore_catalog``): filters, metrics, scales and
empty results, driven without a browser."""

from __future__ import annotations

import pandas as pd
import pytest

from stackkit import catalog, widgets


@pytest.fixture
def explorer():
    return widgets.explore_catalog()


def test_explorer_starts_with_a_table_and_a_chart(explorer):
    assert explorer.error is None
    assert "H100 SXM" in explorer.result.value and "as_of" in explorer.result.value
    assert explorer.plot.value[:4] == b"\x89PNG"


def test_changing_the_metric_reorders_the_table(explorer):
    explorer.controls["metric"].value = "memory_gb"
    first = explorer.value.frame.index[0]
    assert first == catalog.accelerators()["memory_gb"].idxmax()
    assert explorer.error is None


def test_filter_by_vendor(explorer):
    explorer.controls["filter"].value = "vendor=AMD"
    assert set(explorer.value.frame["vendor"]) == {"AMD"}
    assert "MI300X" in explorer.result.value and "H100 SXM" not in explorer.result.value


@pytest.mark.slow  # draws every catalog table in turn
def test_switching_table_resets_filter_and_metric(explorer):
    explorer.controls["filter"].value = "vendor=AMD"
    explorer.controls["table"].value = "api_prices"
    assert explorer.error is None
    assert explorer.controls["filter"].value == ""
    assert explorer.controls["metric"].value in catalog.numeric_columns("api_prices")
    assert "Claude Sonnet 4.5" in explorer.result.value or "GPT-5" in explorer.result.value
    for table in catalog.table_names():
        explorer.controls["table"].value = table
        assert explorer.error is None, (table, explorer.error)


def test_order_and_limit(explorer):
    explorer.controls["largest_first"].value = False
    explorer.controls["top_n"].value = 3
    frame: pd.DataFrame = explorer.value.frame
    assert len(frame) == 3 and list(frame["bf16_tflops"]) == sorted(frame["bf16_tflops"])


def test_no_rows_gives_a_readable_message_not_a_traceback(explorer):
    explorer.controls["metric"].value = "tdp_w"
    explorer.controls["filter"].value = "vendor=Google"  # Google publishes no TPU TDP
    assert isinstance(explorer.error, ValueError)
    assert "sk-error" in explorer.result.value
    assert "no rows of accelerators with vendor = Google have a value for tdp_w" in (
        explorer.result.value)
    assert "Traceback" not in explorer.result.value
    explorer.controls["filter"].value = ""
    assert explorer.error is None and "sk-error" not in explorer.result.value


def test_log_scale_redraws(explorer):
    before = explorer.plot.value
    explorer.controls["log_scale"].value = True
    assert explorer.error is None and explorer.plot.value != before


def test_error_html_escapes_and_labels():
    text = widgets.error_html(ValueError("n_gpus must be greater than 0; got <0>"))
    assert "Check the inputs" in text and "&lt;0&gt;" in text
    bug = widgets.error_html(ZeroDivisionError("division by zero"))
    assert "Something went wrong inside stackkit" in bug
