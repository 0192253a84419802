"""Edge cases of ``stackkit.training``: each defect a hostile input once found (issues 11
and 21), pinned by a test."""

from __future__ import annotations

import math

import numpy as np
import pytest

from stackkit import training


@pytest.mark.parametrize("call, words", [
    (lambda: training.schedule(2.5), "jobs must be a table"),
    (lambda: training.schedule({"a": 1}), "jobs must be a table"),
    (lambda: training.schedule([1, 2]), "jobs must have a 'arrival_h' column"),
    (lambda: training.schedule({"arrival_h": [0, 1], "gpus": [1, 2.5], "duration_h": [1, 1]}),
     r"jobs.gpus\[1\]"),
    (lambda: training.schedule(training.synthetic_jobs(2000), n_nodes=100_000),
     "jobs × n_nodes=100,000"),
    (lambda: training.schedule(training.synthetic_jobs(5), n_nodes=1, gpus_per_node=2),
     r"n_nodes=1 × gpus_per_node=2"),
    (lambda: training.synthetic_jobs(sizes=1), "size_weights"),
    (lambda: training.synthetic_jobs(size_weights=None), "size_weights must be a list"),
    (lambda: training.synthetic_jobs(seed={}), "seed"),
    (lambda: training.synthetic_jobs(sizes=np.array([1.0, 2.0])), "same length"),
    (lambda: training.tiny_train(steps=10_000, batch_size=4096),
     r"matmul FLOPs and .* element-wise values; a tiny run allows 1e\+11 and 2e\+08"),
    (lambda: training.tiny_train(context=4096, embed=12, hidden=1, batch_size=1000, steps=333),
     r"1.64e\+10 element-wise values"),
    (lambda: training.training_run("Llama 2 7B", 1e9, checkpoint_s=14, gpu_mtbf_hours=1e30),
     "gpu_mtbf_hours must be at most"),
    (lambda: training.tiny_train(hidden=10**9), "hidden="),
    (lambda: training.tiny_train(batch_size=10**6), "batch_size must be a whole number"),
    (lambda: training.tiny_train(context=10**5),
     "context must be a whole number of at least 1 and at most 4,096"),
    (lambda: training.tiny_train(steps=3, learning_rate=1e30), "learning_rate=1e"),
    (lambda: training.tiny_train(steps=3, callback=7), "callback must be None or a function"),
    (lambda: training.tiny_train(steps=3, blas_threads=10**4),
     "blas_threads must be a whole number of at least 1 and at most"),
])
def test_training_reproducers_name_their_parameter(call, words):
    with pytest.raises(ValueError, match=words):
        call()


def test_a_diverging_run_is_an_error_not_nan_losses():
    """Adam at learning rate 1e30 overflowed float32 and returned NaN losses, with warnings."""
    with pytest.raises(ValueError, match=r"diverged at step 2 of 3 .* learning_rate=1e\+30"):
        training.tiny_train(steps=3, learning_rate=1e30)
    assert math.isfinite(training.tiny_train(steps=3, learning_rate=1.0).last_loss)


def test_training_run_does_not_ask_an_array_for_its_truth_value():
    """training_run(instance=<array>) raised numpy's 'truth value ... is ambiguous'."""
    with pytest.raises(ValueError, match="instance must be a name"):
        training.training_run("Llama 2 7B", 1e9, instance=np.array([1.0, 2.0]))


def test_training_run_names_n_gpus_when_failures_outrun_checkpoints():
    with pytest.raises(ValueError, match=r"with n_gpus=1,000,000,000,000,000 failures come"):
        training.training_run("Mistral 7B", 209, n_gpus=10**15, checkpoint_s=0.15,
                              restart_s=0.6, gpu_mtbf_hours=8048.7, usd_per_gpu_hour=43.1)
