"""Interactive front ends, one ``explore_*`` function per lesson tool.

Each returns an :class:`Explorer` (an ``ipywidgets.VBox``) whose ``controls``,
``result`` (HTML) and ``plot`` (PNG) a test can drive without a browser. One
module per lesson; all their tools are available here.
"""

from ._base import Explorer, error_html, table_html
from .chips import *
from .cloud import *
from .clusters import *
from .overview import catalog_view, explore_catalog
