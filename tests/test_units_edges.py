"""Edge cases of ``stackkit.units``: each defect a hostile input once found (issues 11
and 21), pinned by a test."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from stackkit import units


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("sNaN"), math.nan, math.inf])
def test_units_refuse_what_they_cannot_show(value):
    """Were decimal.InvalidOperation, "$nan" and "inf years"."""
    with pytest.raises(ValueError, match="seconds must be a finite number"):
        units.fmt_duration(value)
    with pytest.raises(ValueError, match="amount_usd must be a finite number"):
        units.fmt_usd(value)
