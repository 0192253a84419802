"""Lesson 3, prices: catalog prices against their sources (skypilot catalogs; AWS and GCP
discount ceilings)."""

from __future__ import annotations

import datetime as dt

import pytest

from stackkit import catalog, cloud


def test_p5_price_before_and_after_the_june_2025_cut():
    """skypilot-org/skypilot-catalog catalogs/v7/aws/vms.csv (before the cut) lists
    p5.48xlarge in us-east-1 at $98.32/h and catalogs/v8 (after it) at $55.04/h:
    8 H100s, so $12.29 and $6.88 per GPU-hour, a 44 % cut."""
    before = cloud.gpu_hour_price("p5.48xlarge", as_of="2025-05-31")
    after = cloud.gpu_hour_price("p5.48xlarge")
    assert before.usd_per_instance_hour == pytest.approx(98.32)
    assert after.usd_per_instance_hour == pytest.approx(55.04)
    assert before.usd_per_gpu_hour == pytest.approx(12.29)
    assert after.usd_per_gpu_hour == pytest.approx(6.88)
    assert 1 - after.usd_per_gpu_hour / before.usd_per_gpu_hour == pytest.approx(0.44, abs=0.005)
    assert before.as_of < dt.date(2025, 6, 1) <= after.as_of


def test_single_h100_instance_costs_one_eighth_of_the_eight_gpu_one():
    """AWS lists p5.4xlarge (1 × H100) at $6.88/h (skypilot-catalog v8), the same per GPU
    as p5.48xlarge's $55.04 / 8."""
    assert cloud.gpu_hour_price("p5.4xlarge").usd_per_gpu_hour == pytest.approx(
        cloud.gpu_hour_price("p5.48xlarge").usd_per_gpu_hour)


def test_spot_and_reserved_prices():
    """p5.48xlarge spot, lowest us-east-1 zone: $10.2397/h (skypilot-catalog v8)."""
    spot = cloud.gpu_hour_price("p5.48xlarge", "spot")
    assert spot.usd_per_instance_hour == pytest.approx(10.2397)
    assert spot.discount_vs_on_demand == pytest.approx(1 - 10.2397 / 55.04)
    reserved = cloud.gpu_hour_price("p5.48xlarge", "reserved", reserved_discount=0.4)
    assert reserved.usd_per_gpu_hour == pytest.approx(6.88 * 0.6)


def test_price_table_history_has_both_p5_rows():
    history = cloud.gpu_hour_prices(history=True)
    p5 = history[history["instance"] == "p5.48xlarge"]
    # launch (2023-07-26) and before the June 2025 cut at $12.29, after it $6.88
    assert sorted(p5["on_demand_usd_per_gpu_hour"].round(2)) == [6.88, 12.29, 12.29]
    latest = cloud.gpu_hour_prices()
    assert (latest["instance"] == "p5.48xlarge").sum() == 1
    assert latest["as_of"].notna().all() and latest["source"].str.len().gt(0).all()
    early = cloud.gpu_hour_prices(as_of="2025-05-15")
    assert float(early.loc[early["instance"] == "p5.48xlarge",
                           "on_demand_usd_per_gpu_hour"].iloc[0]) == pytest.approx(12.29)


def test_pricing_modes_table():
    modes = cloud.pricing_modes("p5.48xlarge", reserved_discount=0.3, hours_per_month=100)
    assert list(modes["mode"]) == ["on-demand", "reserved", "spot"]
    assert modes.loc[0, "usd_per_instance_month"] == pytest.approx(5504.0)
    no_spot = cloud.pricing_modes("p5.4xlarge", reserved_discount=0.3)
    assert "spot" not in set(no_spot["mode"])


def test_sourced_discount_ceilings():
    """AWS Savings Plans FAQs: EC2 Instance Savings Plans up to 72 %, Compute Savings
    Plans up to 66 %; Google Cloud resource-based CUDs up to 57 % for GPUs."""
    assert catalog.assumption("aws_ec2_instance_savings_plan_max_discount").value == 0.72
    assert catalog.assumption("aws_compute_savings_plan_max_discount").value == 0.66
    assert catalog.assumption("gcp_resource_cud_max_discount").value == 0.57


def test_price_errors():
    with pytest.raises(KeyError, match="unknown instance"):
        cloud.gpu_hour_price("p9.huge")
    with pytest.raises(ValueError, match="mode must be one of"):
        cloud.gpu_hour_price("p5.48xlarge", "cheap")
    with pytest.raises(ValueError, match="reserved_discount is required"):
        cloud.gpu_hour_price("p5.48xlarge", "reserved")
    with pytest.raises(ValueError, match=r"reserved_discount must be less than 1; got 1\.2"):
        cloud.gpu_hour_price("p5.48xlarge", "reserved", reserved_discount=1.2)
    with pytest.raises(ValueError, match="no spot price"):
        cloud.gpu_hour_price("p5.4xlarge", "spot")
    with pytest.raises(ValueError, match="before the first price"):
        cloud.gpu_hour_price("p5.48xlarge", as_of="2020-01-01")


def test_price_per_accelerator_hour_names_tpus_too():
    """TPU rows are priced per accelerator-hour, under the kit's one name usd_per_gpu_hour."""
    tpus = cloud.gpu_hour_prices()
    tpu = tpus[tpus["accelerator"].str.contains("TPU")]
    for name in (tpu["instance"].iloc[0] if len(tpu) else "p5.48xlarge", "p5.48xlarge"):
        price = cloud.gpu_hour_price(name)
        row = catalog.instance(name)
        assert price.usd_per_gpu_hour == row.usd_per_gpu_hour
        assert row.usd_per_gpu_hour == row.usd_per_hour / row.accelerator_count
