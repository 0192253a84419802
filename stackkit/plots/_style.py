"""One look for every figure the kit draws."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

# Colour-blind-safe palette (Okabe & Ito 2008), one colour per vendor/provider.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000"]
VENDOR_COLORS = {
    "NVIDIA": "#76B900", "AMD": "#ED1C24", "Google": "#4285F4", "AWS": "#FF9900",
    "Intel": "#17BECF", "Groq": "#F55036", "Tenstorrent": "#7B3FA0", "Cerebras": "#555555",
    "Anthropic": "#D97757", "OpenAI": "#10A37F", "DeepSeek": "#4D6BFE", "Mistral": "#FA520F",
    "GCP": "#4285F4", "Azure": "#0078D4",
}
INK = "#222222"
GRID = "#DDDDDD"


def color_for(key: str, index: int = 0) -> str:
    """A stable colour for a vendor or provider, else one from the palette."""
    return VENDOR_COLORS.get(str(key), PALETTE[index % len(PALETTE)])


def new_axes(ax: Axes | None = None, figsize: tuple[float, float] = (7.5, 4.0)) -> Axes:
    """``ax`` itself, or the axes of a new figure (not registered with pyplot)."""
    if ax is not None:
        return ax
    figure = Figure(figsize=figsize, layout="constrained")
    return figure.add_subplot()


def tidy(ax: Axes, title: str | None = None, xlabel: str | None = None,
         ylabel: str | None = None) -> Axes:
    """Light grid, no top/right spines, labels with units."""
    ax.grid(True, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, loc="left", fontsize=11, color=INK)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    return ax


def source_note(ax: Axes, text: str) -> None:
    """A small grey source line under the axes: below the x-axis label, so that the
    constrained layout makes room for it instead of drawing it over the label."""
    ax.annotate(text, xy=(0, 0), xycoords=("axes fraction", ax.xaxis.label), xytext=(0, -3),
                textcoords="offset points", fontsize=7, color="#777777", va="top", ha="left")


def gpu_rows(measured, measurement: str):
    """``measured``'s rows of one ``catalog.gpu_measurements()`` measurement, checked: a
    figure of a lent GPU's run needs at least one, and nothing else mixed in."""
    columns = {"measurement", "accelerator", "value", "as_of"}
    if not hasattr(measured, "columns") or not columns <= set(measured.columns):
        raise ValueError(f"measured must be rows of catalog.gpu_measurements() (columns "
                         f"{sorted(columns)}), got {type(measured).__name__}")
    kinds = set(measured["measurement"])
    if not len(measured) or kinds != {measurement}:
        raise ValueError(f"measured must hold only {measurement!r} rows of "
                         f"catalog.gpu_measurements(), got {sorted(kinds) or 'no rows'}")
    return measured
