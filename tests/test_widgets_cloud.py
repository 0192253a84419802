"""Lesson 3's widgets, driven headless: set a control, read the result box."""

from __future__ import annotations

import pytest

from stackkit import cloud, widgets


@pytest.fixture(scope="module")
def pricing():
    return widgets.explore_gpu_pricing()


@pytest.fixture(scope="module")
def spot():
    return widgets.explore_spot_job()


@pytest.fixture(scope="module")
def api():
    return widgets.explore_api_bill()


def test_gpu_pricing_shows_the_price_and_its_date(pricing):
    with pricing.hold():
        pricing.controls["instance"].value = "p5.48xlarge"
        pricing.controls["price_date"].value = "latest"
        pricing.controls["reserved_discount"].value = 0.4
    assert pricing.error is None
    assert "$6.88 per GPU-hour" in pricing.result.value  # p5.48xlarge, skypilot-catalog v8
    assert "2025-06-01" in pricing.result.value
    assert "$4.13 per GPU-hour" in pricing.result.value  # reserved: 6.88 × 0.6
    assert list(pricing.value.frame["mode"]) == ["on-demand", "reserved", "spot"]
    assert pricing.plot.value  # a PNG was drawn


def test_gpu_pricing_before_the_cut(pricing):
    pricing.controls["price_date"].value = "2025-05-01"
    assert pricing.error is None
    assert "$12.29 per GPU-hour" in pricing.result.value  # skypilot-catalog v7: 98.32 / 8
    pricing.controls["price_date"].value = "latest"


def test_gpu_pricing_instance_without_spot_or_early_price(pricing):
    pricing.controls["instance"].value = "p5.4xlarge"
    assert pricing.error is None
    assert "no spot price" in pricing.result.value
    pricing.controls["price_date"].value = "2025-05-01"
    assert pricing.error is not None
    assert "sk-error" in pricing.result.value and "before the first price" in pricing.result.value
    with pricing.hold():
        pricing.controls["price_date"].value = "latest"
        pricing.controls["instance"].value = "p5.48xlarge"
    assert pricing.error is None


def test_spot_job_matches_the_library(spot):
    with spot.hold():
        spot.controls["instance"].value = "p5.48xlarge"
        spot.controls["work_hours"].value = 100.0
        spot.controls["interruptions_per_hour"].value = 0.1
        spot.controls["checkpoint_interval_hours"].value = 2.0
        spot.controls["checkpoint_minutes"].value = 6.0
        spot.controls["restart_minutes"].value = 15.0
    assert spot.error is None
    expected = cloud.expected_runtime_hours(100, 0.1, 2, 0.1, 0.25)
    assert spot.value.job.expected_hours == pytest.approx(expected)
    assert f"{expected:,.1f} h" in spot.result.value
    assert "$5,504" in spot.result.value  # on-demand: 100 h × $55.04
    assert spot.plot.value


def test_spot_job_bad_input_is_a_message(spot):
    spot.controls["work_hours"].value = 3000.0
    spot.controls["interruptions_per_hour"].value = 1.0
    spot.controls["checkpoint_interval_hours"].value = 30.0
    assert spot.error is not None
    assert "sk-error" in spot.result.value
    assert "interruptions" in spot.result.value
    with spot.hold():
        spot.controls["interruptions_per_hour"].value = 0.05
        spot.controls["checkpoint_interval_hours"].value = 2.0
        spot.controls["work_hours"].value = 100.0
    assert spot.error is None


def test_api_bill_by_hand(api):
    """Claude Haiku 4.5 ($1 in / $5 out per million tokens, models.dev): 1,000 users ×
    10 requests × 365/12 days × (2,000 × $1 + 500 × $5) / 10⁶ = $1,368.75 a month."""
    with api.hold():
        api.controls["model"].value = "Claude Haiku 4.5"
        api.controls["users_per_day"].value = 1000
        api.controls["requests_per_user"].value = 10.0
        api.controls["input_tokens"].value = 2000
        api.controls["output_tokens"].value = 500
        api.controls["cached_input_share"].value = 0.0
    assert api.error is None
    assert api.value.bill.monthly_usd == pytest.approx(1000 * 10 * 365 / 12 * 4.5e-3)
    assert "$1,369" in api.result.value
    assert "2026-11-01" in api.result.value  # the price's date
    assert api.plot.value


def test_api_bill_negative_users_is_a_message(api):
    api.controls["users_per_day"].value = -5
    assert api.error is not None
    assert "sk-error" in api.result.value and "users_per_day must be 0 or more" in \
        api.result.value
    api.controls["users_per_day"].value = 5000
    assert api.error is None


def test_api_model_without_cached_price_says_so(api):
    with api.hold():
        api.controls["model"].value = "Mistral Large (latest)"
        api.controls["cached_input_share"].value = 0.5
    assert api.error is None
    assert "no cached-input price" in api.result.value
    with api.hold():
        api.controls["model"].value = "Claude Haiku 4.5"
        api.controls["cached_input_share"].value = 0.0
