"""Hostile input to lesson 5 (issue 21): no bill at the wrong chip's price, no argument
silently ignored, no utilization above 1, and a warning for a unit slip."""

from __future__ import annotations

import warnings

import pytest

from stackkit import _checks, catalog, cloud, training


def test_an_instance_sets_the_chip_it_rents():
    """p4d.24xlarge rents 8 A100 40GB (AWS's instance page): its price is for A100 hours."""
    run = training.training_run(70e9, 2e12, instance="p4d.24xlarge")
    assert run.chip == catalog.instance("p4d.24xlarge").accelerator == "A100 SXM 40GB"
    h100 = training.training_run(70e9, 2e12)
    assert run.days > 2 * h100.days  # 312 vs 989 dense BF16 TFLOP/s (datasheets)
    with pytest.raises(ValueError, match=r"instance='p4d.24xlarge' rents A100 SXM 40GB GPUs, "
                                         r"but chip='H100 SXM'"):
        training.training_run(70e9, 2e12, chip="H100 SXM", instance="p4d.24xlarge")


@pytest.mark.parametrize("kwargs, words", [
    ({"gpu_mtbf_hours": 1}, r"gpu_mtbf_hours=1 only acts with checkpoint_s"),
    ({"restart_s": 3600}, r"restart_s=3600 only acts with checkpoint_s"),
    ({"price_mode": "owned", "reserved_discount": 0.4},
     r"reserved_discount=0.4 prices a rented instance"),
    ({"price_mode": "owned", "instance": "p5.48xlarge"}, r"instance='p5.48xlarge' prices"),
    ({"reserved_discount": 0.4}, r"reserved_discount=0.4 applies to mode='reserved' only"),
    ({"usd_per_gpu_hour": 2.0, "instance": "p5.48xlarge"}, r"would be ignored"),
])
def test_an_argument_that_cannot_apply_is_refused(kwargs, words):
    with pytest.raises(ValueError, match=words):
        training.training_run(70e9, 2e12, **kwargs)


def test_failure_arguments_act_with_checkpoints():
    """With checkpoints, a shorter GPU MTBF and a longer restart both cost goodput."""
    base = training.training_run(70e9, 2e12, checkpoint_s=60)
    flaky = training.training_run(70e9, 2e12, checkpoint_s=60, gpu_mtbf_hours=1e4)
    slow = training.training_run(70e9, 2e12, checkpoint_s=60, restart_s=3600)
    assert flaky.goodput < base.goodput and slow.goodput < base.goodput


def test_reserved_discount_is_refused_where_it_would_be_ignored():
    with pytest.raises(ValueError, match=r"applies to mode='reserved' only"):
        cloud.gpu_hour_price("p5.48xlarge", "on-demand", reserved_discount=0.4)


def test_utilization_cannot_exceed_the_peak():
    with pytest.raises(ValueError, match=r"more than the chip.s peak of 989"):
        training.utilization(1e12, "Llama 3 70B", 1, "H100 SXM")
    with pytest.raises(ValueError, match=r"is an MFU of 2.36e\+05"):
        training.implied_mfu(8.4e23, 1, 989)
    # DeepSeek-V3's published run stays a fraction (arXiv 2412.19437, Table 1)
    assert 0 < training.implied_mfu(6 * 37e9 * 14.8e12, 2.788e6, 989) < 1


def test_tensor_parallel_degree_must_divide_the_heads_everywhere():
    with pytest.raises(ValueError, match=r"tp=3 must divide n_heads=64"):
        training.activation_bytes_per_layer(2048, 1, 8192, 64, tp=3)


def test_a_model_of_70_parameters_warns_of_a_unit_slip():
    with pytest.warns(_checks.PlausibilityWarning, match=r"70e9 parameters, not 70"):
        training.training_run(70, 2e12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        training.training_run(70e9, 2e12)  # a real size: silent
