"""Hostile input to lesson 7 (issue 21): errors name the scenario field that causes them."""

from __future__ import annotations

import numpy as np
import pytest

from stackkit import stack


def test_an_impossible_fleet_names_the_fields_that_drive_it():
    with pytest.raises(ValueError, match=r"serving_efficiency=1e-30"):
        stack.trace(stack.Scenario(serving_efficiency=1e-30, hosting="on-demand"))


def test_train_tokens_beyond_any_training_set_is_named_at_once():
    with pytest.raises(ValueError, match=r"train_tokens must be at most 1e\+16"):
        stack.Scenario(train_tokens=1e30)


@pytest.fixture(scope="module")
def table():
    return stack.build_vs_buy(stack.preset("self-host-llama3-70b"), users_per_day=[1e3, 1e7])


def test_breakeven_refuses_a_table_with_nan(table):
    with pytest.raises(ValueError, match=r"table.users_per_day\[0\] must be a finite number"):
        stack.breakeven_users_per_day(table.assign(users_per_day=np.nan))
    with pytest.raises(ValueError, match=r"table.cheaper must hold"):
        stack.breakeven_users_per_day(table.assign(cheaper="maybe"))


def test_a_numpy_scalar_is_one_value_not_a_list():
    one = stack.build_vs_buy(stack.preset("self-host-llama3-70b"), users_per_day=np.array(2e3))
    assert one["users_per_day"].tolist() == [2e3]
