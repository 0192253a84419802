"""Figures. Every function returns a matplotlib ``Figure`` and takes ``ax=`` to draw into one.

Figures are created without pyplot, so nothing is shown twice in a notebook
and widgets can redraw without leaking figures. One module per lesson; all
their functions are available here (``stackkit.plots.roofline``).
"""

from ._style import PALETTE, VENDOR_COLORS, color_for, new_axes, source_note, tidy
from .chips import *
from .cloud import *
from .clusters import *
from .overview import catalog_bars, stack_diagram
