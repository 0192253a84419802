"""Lesson 5 tools, driven headless: set a control, read the result box."""

from __future__ import annotations

import pytest

from stackkit import training, widgets


@pytest.fixture(scope="module")
def run():
    return widgets.explore_training_run()


@pytest.fixture(scope="module")
def memory():
    return widgets.explore_memory()


@pytest.fixture(scope="module")
def planner():
    return widgets.explore_parallelism()


def test_training_run_defaults(run):
    assert run.error is None
    for words in ("training compute", "wall-clock time", "GPU-hours", "energy", "p5"):
        assert words in run.result.value
    assert run.plot.value
    expected = training.training_run("Llama 3 70B", 15e12, "H100 SXM", 4096, 0.40)
    assert run.value.days == pytest.approx(expected.days)


def test_training_run_follows_controls_and_explains_bad_input(run):
    with run.hold():
        run.controls["price_mode"].value = "reserved"
        run.controls["reserved_discount"].value = 0.5
    assert run.error is None and run.value.price_mode == "reserved"
    run.controls["chip"].value = "MI300X"  # no instance in the catalog
    assert run.error is not None and "no cloud instance" in run.result.value
    run.controls["price_mode"].value = "owned"  # owned needs a sourced server price
    run.controls["chip"].value = "H100 SXM"
    assert run.error is None
    run.controls["n_gpus"].value = -4
    assert "n_gpus" in run.result.value and "sk-error" in run.result.value
    run.controls["n_gpus"].value = 4096


def test_memory_explorer_says_what_would_fit(memory):
    assert memory.error is None
    memory.controls["model"].value = "Llama 3 70B"
    assert not memory.value.fits and "fits with" in memory.result.value
    with memory.hold():
        memory.controls["zero_stage"].value = 3
        memory.controls["tp"].value = 8
    assert memory.value.fits
    memory.controls["pp"].value = 3  # 80 layers do not split in 3
    assert "pp=3 does not divide n_layers=80" in memory.result.value


def test_planner_explorer_shows_the_top_layouts(planner):
    assert planner.error is None
    assert "fit in memory" in planner.result.value and "<table" in planner.result.value
    assert planner.value.best is not None and planner.value.best.fits
    planner.controls["model"].value = "Llama 3.1 405B"
    planner.controls["n_gpus"].value = 8
    assert planner.value.best is None and "no factorisation" in planner.result.value


def test_updates_are_fast_enough(run, memory, planner):
    # widget budget (docs/architecture.md): under 100 ms per update; generous on a shared machine
    run.controls["mfu"].value = 0.35
    memory.controls["micro_batch"].value = 2
    planner.controls["model"].value = "Llama 3 70B"
    planner.controls["n_gpus"].value = 4096
    assert max(run.last_update_s, memory.last_update_s, planner.last_update_s) < 2.0
