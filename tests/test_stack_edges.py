"""Edge cases of ``stackkit.stack``: each defect a hostile input once found (issues 11
and 21), pinned by a test."""

from __future__ import annotations

import pytest

from stackkit import (
    stack,
)


def test_a_scenario_bounds_its_product_figures():
    with pytest.raises(ValueError, match="users_per_day must be at most 1e"):
        stack.preset("startup-chatbot-api", users_per_day=1e30)
    with pytest.raises(ValueError, match="users_per_day must be at most 1e"):
        stack.build_vs_buy(stack.preset("startup-chatbot-api"), users_per_day=[1e30])


def test_a_self_hosted_request_must_fit_the_model_and_its_ranges_stay_inside():
    """The stack's input-token slider at 8,000 made the uncertainty's ×2 range pass Llama 3
    70B's 8,192-token context ('context_tokens=8380 ...', naming no control)."""
    s = stack.preset("self-host-llama3-70b", input_tokens=8000)
    by_field = {k.field: k for k in stack.knobs(s)}
    assert by_field["input_tokens"].high + by_field["output_tokens"].high <= 8192
    assert "within the model's context" in by_field["input_tokens"].basis
    assert stack.uncertainty(s, 500).p90_usd_per_mtok > 0
    with pytest.raises(ValueError, match=r"input_tokens \+ output_tokens = 10,000 is longer "
                                         r"than Llama 3 70B's context of 8,192"):
        stack.trace(stack.preset("self-host-llama3-70b", input_tokens=8000,
                                 output_tokens=2000))


def test_uncertainty_seed_is_bounded():
    with pytest.raises(ValueError, match="seed"):
        stack.uncertainty(stack.preset("startup-chatbot-api"), 100, seed=10**40)


def test_six_layers_each_with_a_lesson():
    table = stack.layers()
    assert list(table.index) == [1, 2, 3, 4, 5, 6]
    assert table["lesson"].str.match(r"0[1-6]_\w+\.ipynb").all()


def test_every_layer_has_dated_sourced_figures():
    figures = stack.key_figures()
    assert set(figures["layer"]) == {1, 2, 3, 4, 5, 6}
    assert figures["as_of"].notna().all() and (figures["source"].str.len() > 5).all()
    assert (figures["value"] > 0).all()


def test_key_figures_show_the_june_2025_aws_cut():
    """AWS announced up to 45 % lower P5 on-demand prices in June 2025 (AWS News Blog);
    p5.48xlarge went from $98.32 to $55.04 an hour, a 44 % cut."""
    figures = stack.key_figures().set_index("figure")
    now = figures.loc["on-demand price", "value"]
    before = figures.loc["the same, before the June 2025 cut", "value"]
    assert 1 - now / before == pytest.approx(0.44, abs=0.01)
