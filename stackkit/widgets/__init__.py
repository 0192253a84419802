"""Interactive front ends, one ``explore_*`` function per lesson tool.

Each returns an :class:`Explorer` (an ``ipywidgets.VBox``) whose ``controls``,
``result`` (HTML) and ``plot`` (PNG) a test can drive without a browser. One
module per lesson, found from :data:`stackkit.lessons.LESSONS`; all their tools
(each module's ``__all__``) are available here.
"""

import importlib as _importlib

from .. import lessons as _lessons
from ._base import Explorer, error_html, table_html

for _name in _lessons.modules("widgets"):
    _module = _importlib.import_module(f"{__name__}.{_name}")
    globals().update({_n: getattr(_module, _n) for _n in _module.__all__})
