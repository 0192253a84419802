"""Edge cases of ``stackkit.catalog``: each defect a hostile input once found (issues 11
and 21), pinned by a test."""

from __future__ import annotations

import pytest

from stackkit import catalog


def test_query_where_must_be_a_dict():
    """Was AttributeError: 'str' object has no attribute 'items'."""
    with pytest.raises(ValueError, match="where must be a dict"):
        catalog.query("accelerators", where="vendor")


def test_instance_with_an_unknown_provider_lists_the_providers():
    """Listed no known names."""
    with pytest.raises(KeyError, match="unknown provider 'Azure'; known names: 'AWS'"):
        catalog.instance("p5.48xlarge", provider="Azure")
