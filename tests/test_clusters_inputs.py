"""Lesson 2, bad input: every clusters function names the parameter it refuses."""

from __future__ import annotations

import pytest

from stackkit import clusters


@pytest.mark.parametrize("call, match", [
    (lambda: clusters.gpu_power_mw(0, "H100 SXM"), "n_gpus"),
    (lambda: clusters.gpu_power_mw(-8, "H100 SXM"), "n_gpus"),
    (lambda: clusters.allreduce_seconds(1e9, 0, 100.0), "n_ranks"),
    (lambda: clusters.allreduce_seconds(-1, 8, 100.0), "size_bytes"),
    (lambda: clusters.allreduce_seconds(1e9, 8, 0.0), "bandwidth_gb_s"),
    (lambda: clusters.allreduce_seconds(1e9, 8, 100.0, algorithm="star"), "algorithm"),
    (lambda: clusters.facility_power_mw(8, "H100 SXM", pue=0.9),
     r"pue must be at least 1; got 0\.9"),
    (lambda: clusters.cluster_power(8, "H100 SXM", pue=0.5), "pue"),
    (lambda: clusters.owned_cost("H100 SXM", 30_000, pue=0.95), "pue"),
    (lambda: clusters.gpu_power_mw(8, "TPU v5e"), "no published TDP"),
    (lambda: clusters.mtbf_hours(8, 0), "gpu_mtbf_hours"),
    (lambda: clusters.young_daly_interval_s(0, 3600), "checkpoint_s"),
    (lambda: clusters.server_price_usd_per_gpu("B200"), "no sourced server price"),
    (lambda: clusters.cluster_summary(network="NVLink 4"), "scale-out"),
    (lambda: clusters.collective(1e6, 8, "NVLink 4", efficiency=1.5), "efficiency"),
])
def test_bad_input_raises_clear_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
