"""Lesson 7's widget, driven headless: set a control, read the result box."""

from __future__ import annotations

import pytest

from stackkit import stack, widgets

TODAY = "2026-11-28"


@pytest.fixture(scope="module")
def explorer():
    return widgets.explore_stack(today=TODAY)


def test_starts_with_the_self_hosting_preset(explorer):
    assert explorer.error is None
    expected = stack.trace(stack.preset("self-host-llama3-70b", today=TODAY))
    assert f"${expected.usd_per_mtok:.3g}" in explorer.result.value
    assert "P10" in explorer.result.value and "serving chips" in explorer.result.value
    assert explorer.plot.value[:4] == b"\x89PNG"


def test_utilization_moves_the_total_as_the_trace_does(explorer):
    explorer.controls["utilization"].value = 0.8
    expected = stack.trace(stack.preset("self-host-llama3-70b", today=TODAY, utilization=0.8))
    assert explorer.error is None
    assert explorer.value.result.usd_per_mtok == expected.usd_per_mtok
    band = explorer.value.band
    assert band.p10_usd_per_mtok <= band.p50_usd_per_mtok <= band.p90_usd_per_mtok


def test_choosing_a_preset_sets_its_controls(explorer):
    explorer.controls["preset"].value = "startup-chatbot-api"
    assert explorer.controls["hosting"].value == "api"
    assert explorer.controls["users_per_day"].value == pytest.approx(10_000)
    assert explorer.error is None
    assert "GPT-5 mini" in explorer.result.value  # its stale API price is named
    assert "serving chips" not in explorer.result.value


def test_the_lab_preset_shows_its_training_and_owned_fleet(explorer):
    """Every layer composes: the lab preset's table names its serving chips and its price dates,
    and its total is the trace's."""
    explorer.controls["preset"].value = "lab-train-and-serve"
    assert explorer.error is None
    result = explorer.value.result
    assert result.training_gpu_hours > 0 and result.n_gpus > 0
    assert "serving chips" in explorer.result.value
    assert result.usd_per_mtok == stack.trace(result.scenario).usd_per_mtok


def test_updates_arriving_at_once_do_not_collide():
    """ipykernel 7 can handle a control change and a slider's echo at the same time; without
    a lock one update cleared the figure while another drew into it (seen in JupyterLab)."""
    import threading

    explorer = widgets.explore_stack(today=TODAY)
    errors = []

    def change(value: float) -> None:
        explorer.controls["utilization"].value = value
        if explorer.error is not None:
            errors.append(repr(explorer.error))

    threads = [threading.Thread(target=change, args=(0.3 + 0.05 * i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
