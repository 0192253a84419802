"""Lesson 3, API bills by hand and self-hosting's break-even against an API."""

from __future__ import annotations

import datetime as dt

import pytest

from stackkit import catalog, cloud


def test_api_bill_by_hand():
    """Claude Haiku 4.5: $1 input, $5 output, $0.10 cached input per million tokens
    (models.dev, anthropic/claude-haiku-4-5). 1,000 users × 10 requests × 30 days =
    300,000 requests; 2,000 input tokens half cached: 300 M × $1 + 300 M × $0.10 = $330;
    500 output tokens: 150 M × $5 = $750; total $1,080."""
    bill = cloud.api_bill("Claude Haiku 4.5", 1000, 10, 2000, 500, cached_input_share=0.5,
                          days_per_month=30)
    assert bill.requests_per_month == 300_000
    assert bill.input_usd == pytest.approx(300.0)
    assert bill.cached_input_usd == pytest.approx(30.0)
    assert bill.output_usd == pytest.approx(750.0)
    assert bill.monthly_usd == pytest.approx(1080.0)
    assert bill.usd_per_request == pytest.approx(1080.0 / 300_000)
    assert cloud.api_monthly_cost("claude-haiku-4.5", 1000, 10, 2000, 500, 0.5, 30) == \
        pytest.approx(1080.0)


def test_api_bill_default_month_and_missing_cached_price():
    assert cloud.api_monthly_cost("GPT-5 mini", 100, 1, 1_000_000, 0) == pytest.approx(
        100 * 365 / 12 * 0.25)
    # Mistral Large has no cached price in the catalog: cached tokens bill at full price.
    bill = cloud.api_bill("Mistral Large (latest)", 10, 1, 1000, 0, cached_input_share=1.0)
    assert not bill.cached_price_known
    assert bill.monthly_usd == pytest.approx(cloud.api_monthly_cost(
        "Mistral Large (latest)", 10, 1, 1000, 0))


def test_custom_price_worked_example():
    """A model at a flat $5 per million tokens: 5,000 users × 10 requests × 2,500 tokens
    × 30 days = 3.75 billion tokens = $18,750 a month."""
    flat = catalog.ApiPrice(provider="example", model="flat $5", input_usd_per_mtok=5.0,
                            output_usd_per_mtok=5.0, cached_input_usd_per_mtok=None,
                            source="worked example", as_of=dt.date(2026, 1, 1))
    assert cloud.api_monthly_cost(flat, 5000, 10, 2000, 500, days_per_month=30) == \
        pytest.approx(18_750.0)
    assert cloud.blended_usd_per_mtok(flat, 2000, 500) == pytest.approx(5.0)
    # Haiku's mix: (2,000 × $1 + 500 × $5) / 2,500 tokens = $1.80 per million.
    assert cloud.blended_usd_per_mtok("Claude Haiku 4.5", 2000, 500) == pytest.approx(1.8)


def test_compare_api_bills_is_sorted_and_dated():
    table = cloud.compare_api_bills(1000, 5, 1500, 300)
    assert table["monthly_usd"].is_monotonic_increasing
    assert len(table) == len(catalog.api_prices())
    assert table["as_of"].notna().all()


def test_api_bad_input():
    with pytest.raises(KeyError, match="unknown API model"):
        cloud.api_bill("GPT-9 ultra", 10, 1, 100, 100)
    with pytest.raises(ValueError, match="users_per_day must be 0 or more"):
        cloud.api_bill("GPT-5", -10, 1, 100, 100)
    with pytest.raises(ValueError, match=r"cached_input_share must be at most 1; got 1\.5"):
        cloud.api_bill("GPT-5", 10, 1, 100, 100, cached_input_share=1.5)
    with pytest.raises(ValueError, match="input_tokens must be 0 or more"):
        cloud.api_bill("GPT-5", 10, 1, -100, 100)


def test_self_hosting_breakeven_by_hand():
    """One H100 at $6.88/h all day = $165.12; an API at $5 per million tokens costs the
    same at 165.12 / 5 × 10⁶ = 33.024 M tokens/day. At 1,000 tokens/s the GPU serves
    86.4 M tokens/day, so it is 38 % busy at break-even."""
    hosting = cloud.self_hosting_breakeven(5.0, 1000, 6.88)
    assert hosting.replica_usd_per_day == pytest.approx(165.12)
    assert hosting.breakeven_tokens_per_day == pytest.approx(33.024e6)
    assert hosting.breakeven_utilization == pytest.approx(33.024 / 86.4)
    assert hosting.full_load_usd_per_mtok == pytest.approx(165.12 / 86.4)
    assert cloud.self_hosting_daily_usd(33.024e6, 1000, 6.88) == pytest.approx(
        33.024e6 * 5.0 / 1e6)
    assert cloud.self_hosting_daily_usd(100e6, 1000, 6.88) == pytest.approx(2 * 165.12)


def test_self_hosting_never_wins_when_the_api_is_cheaper_than_a_busy_gpu():
    hosting = cloud.self_hosting_breakeven(0.5, 1000, 6.88, gpus_per_replica=2)
    assert hosting.breakeven_tokens_per_day is None
    assert "flat out" in hosting.never_reason
    with pytest.raises(ValueError, match="tokens_per_second_per_gpu must be greater than 0"):
        cloud.self_hosting_breakeven(5, 0, 6.88)
    with pytest.raises(ValueError, match="gpus_per_replica must be a whole number"):
        cloud.self_hosting_breakeven(5, 100, 6.88, gpus_per_replica=1.5)
