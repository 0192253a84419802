"""Edge cases of ``stackkit.chips``: each defect a hostile input once found (issues 11
and 21), pinned by a test."""

from __future__ import annotations

import pytest

from stackkit import chips


def test_decode_step_on_absurdly_many_chips():
    """Was a ZeroDivisionError in .tokens_per_s."""
    with pytest.raises(ValueError, match="n_gpus must be a whole number"):
        chips.decode_step("Llama 3 8B", "H100 SXM", n_gpus=1e308)


def test_matmul_intensity_of_absurd_shapes():
    """Was inf."""
    with pytest.raises(ValueError, match="m must be a whole number"):
        chips.matmul_intensity(1e103, 1e103, 1e103)
    with pytest.raises(ValueError, match="bytes_per_element must be at least 1e-30"):
        chips.matmul_intensity(4, 1, 14, bytes_per_element=5e-324)


def test_prefill_intensity_of_absurd_prompts():
    """Was NaN."""
    with pytest.raises(ValueError, match="n_tokens must be a whole number"):
        chips.prefill_intensity("Llama 3 8B", 1e308)
