"""Edge cases of ``stackkit.transformer``: each defect a hostile input once found (issues 11
and 21), pinned by a test."""

from __future__ import annotations

import pytest

from stackkit import transformer


def test_kv_cache_with_a_negative_width():
    """Was −65,536 bytes per token."""
    with pytest.raises(ValueError, match="bytes_per_element must be greater than 0; got -1"):
        transformer.kv_cache_bytes_per_token("Llama 3 8B", -1)
