"""Figures. Every function returns a matplotlib ``Figure`` and takes ``ax=`` to draw into one.

Figures are created without pyplot, so nothing is shown twice in a notebook
and widgets can redraw without leaking figures. One module per lesson, found
from :data:`stackkit.lessons.LESSONS`; all their public functions (each
module's ``__all__``) are available here (``stackkit.plots.roofline``).
"""

import importlib as _importlib

from .. import lessons as _lessons
from ._style import PALETTE, VENDOR_COLORS, color_for, new_axes, source_note, tidy

for _name in _lessons.modules("plots"):
    _module = _importlib.import_module(f"{__name__}.{_name}")
    globals().update({_n: getattr(_module, _n) for _n in _module.__all__})
