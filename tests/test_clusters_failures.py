"""Lesson 2, failures in hours: the Llama 3 record (arXiv 2407.21783, Table 5), Young-Daly,
goodput.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackkit import clusters

FAST = settings(max_examples=40, deadline=None)


def test_llama3_per_gpu_mtbf():
    # Llama 3 paper (arXiv 2407.21783, section 3.3.4): 419 unexpected interruptions in
    # 54 days on 16,384 GPUs -> 16,384 · 54 · 24 / 419 = 50,677 GPU-hours per failure.
    assert clusters.llama3_gpu_mtbf_hours() == pytest.approx(16_384 * 54 * 24 / 419)
    assert clusters.llama3_gpu_mtbf_hours() == pytest.approx(50_677, rel=1e-4)


def test_llama3_cluster_fails_about_every_3_hours():
    # The paper: "about one every three hours" on the 16K-GPU job
    hours = clusters.mtbf_hours(16_384, clusters.llama3_gpu_mtbf_hours())
    assert 2.5 < hours < 3.5
    assert clusters.expected_interruptions(16_384, 54 * 24) == pytest.approx(419)


def test_young_daly_against_hand_calculation():
    # delta = 60 s, M = 3 h = 10,800 s: sqrt(2 · 60 · 10,800) = sqrt(1,296,000) = 1,138.42 s
    assert clusters.young_daly_interval_s(60, 10_800) == pytest.approx(1138.42, abs=0.01)


def test_goodput_against_hand_calculation():
    # tau = 1,200 s, delta = 60 s, R = 600 s, M = 10,800 s:
    # 1 - 60/1200 - (600 + 600)/10800 = 1 - 0.05 - 0.11111 = 0.83889
    assert clusters.goodput(60, 600, 10_800, 1200) == pytest.approx(0.838889, abs=1e-6)
    # failures faster than recovery: clipped at zero, never negative
    assert clusters.goodput(600, 3600, 1800, 100) == 0.0


@FAST
@given(delta=st.floats(1, 3600), m=st.floats(3600, 1e7), factor=st.floats(0.2, 5))
def test_young_daly_interval_maximises_goodput(delta, m, factor):
    best = clusters.young_daly_interval_s(delta, m)
    worse = clusters.goodput(delta, 0, m, best * factor)
    assert clusters.goodput(delta, 0, m, best) >= worse - 1e-12
    assert 0 <= clusters.goodput(delta, 0, m) <= 1


@FAST
@given(n=st.integers(1, 10**6))
def test_cluster_mtbf_falls_as_one_over_n(n):
    assert clusters.mtbf_hours(n, 50_000) == pytest.approx(50_000 / n)


def test_cluster_reliability_bundles_the_pieces():
    r = clusters.cluster_reliability(16_384, 54, checkpoint_s=60, restart_s=600)
    assert r.expected_interruptions == pytest.approx(419)
    assert r.interval_s == pytest.approx(math.sqrt(2 * 60 * r.cluster_mtbf_hours * 3600))
    assert 0 < r.goodput < 1
    assert "goodput" in r._repr_html_()
