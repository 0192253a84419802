"""What a figure drew, read back from its artists: for tests that a plotted number is the
layer function's number (tests/test_plots_*.py)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle


def points(figure: Figure) -> list[tuple[float, float]]:
    """Every (x, y) drawn as a line or a marker, on every axes."""
    found = []
    for ax in figure.axes:
        for line in ax.get_lines():
            xs = np.asarray(line.get_xdata(), dtype=float)
            ys = np.asarray(line.get_ydata(), dtype=float)
            found += list(zip(xs.tolist(), ys.tolist(), strict=True))
    return found


def bars(figure: Figure) -> list[tuple[float, float, float, float]]:
    """Every bar as (x, y, width, height): a horizontal bar's value is its width."""
    return [(p.get_x(), p.get_y(), p.get_width(), p.get_height())
            for ax in figure.axes for p in ax.patches if isinstance(p, Rectangle)]


def has_point(figure: Figure, x: float, y: float, rel: float = 1e-9) -> bool:
    return any(np.isclose(px, x, rtol=rel) and np.isclose(py, y, rtol=rel)
               for px, py in points(figure))


def texts(figure: Figure) -> list[str]:
    return [t.get_text() for ax in figure.axes for t in ax.texts] + [
        ax.get_title(loc) for ax in figure.axes for loc in ("left", "center")]
