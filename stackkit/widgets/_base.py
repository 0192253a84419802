"""The pattern every lesson's tool follows: controls -> pure function -> HTML result + figure.

An :class:`Explorer` holds no model logic. It reads its controls, calls a pure
``compute`` function (a layer module's, or a thin glue function beside the
explorer) that returns a :class:`~stackkit._results.Result`, renders it as HTML
with :func:`render_table` and shows a :class:`Chart` as a PNG image. Bad input
(``ValueError``, ``KeyError``) becomes a readable message in the box, never a
traceback.

The fast way to draw, and the default (an update has 100 ms, aim for 50, on a
2-core course machine): a :class:`Chart` builds its figure **once** with fixed
margins (no constrained or tight layout, which lays the figure out again on
every draw) and on each change only **moves its artists**: ``line.set_data``,
``bar.set_width``/``set_height``, ``text.set_text``/``set_position``,
``ax.set_xlim``/``set_ylim``. Building a new figure and its axes, or laying it
out, is most of what a redraw costs; drawing the text is the rest (the PNG is
compressed at zlib's fastest level). Keep tick labels plain (no mathtext ``10^n``, no minor
ticks on log axes) and legends at a fixed ``loc`` (``"best"`` searches).

    class PowerChart(Chart):
        figsize, rect = (7.0, 3.4), (0.09, 0.16, 0.88, 0.74)

        def build(self, ax):
            self.bars = ax.bar(range(4), [0] * 4)
            self.title = self.fixed_title("")

        def update(self, result):
            for bar, value in zip(self.bars, result.values):
                bar.set_height(value)
            self.ax.set_ylim(0, max(result.values) * 1.15)
            self.title.set_text(f"{result.n_gpus:,} GPUs")

    Explorer(controls, compute=clusters.cluster_power, render=..., chart=PowerChart)
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import html
import io
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import ipywidgets as widgets
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text

from .. import _checks
from .._results import Result

ERROR_CLASS = "sk-error"
RESULT_CLASS = "sk-result"

#: Resolution of an explorer's PNG (a 7.5-inch figure is 675 px wide). Lower draws only a
#: little faster (72 dpi: about 5 %) and makes 7-point labels hard to read.
DPI = 90
_PNG_OPTIONS = {"compress_level": 1}  # zlib's fastest level: 3–5× faster, files ~30 % larger


def error_html(exc: BaseException, label: str | None = None) -> str:
    """A message a student can act on: what was wrong, without the traceback.

    ``label``: the control the message is about, as the reader sees it (its
    description and, for a bounded control, its range).
    """
    if isinstance(exc, _checks.MissingExtra):
        message = str(exc)
        heading = "Install an optional part of the kit"
    elif isinstance(exc, (ValueError, KeyError)):
        message = str(exc.args[0]) if exc.args else type(exc).__name__
        heading = "Check the inputs" + (f" — {label}" if label else "")
    else:  # a bug in the kit, still shown politely
        message = f"{type(exc).__name__}: {exc}"
        heading = "Something went wrong inside stackkit"
    return (f"<div class='{ERROR_CLASS}' style='color:#8a1c1c;background:#fdecea;"
            f"padding:6px 10px;border-radius:4px'><b>{heading}:</b> {html.escape(message)}</div>")


def _cell(value: Any) -> str:
    """One cell as text: 4 significant figures, dates as YYYY-MM-DD, unknown as empty."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float):
        return "" if value != value else f"{value:,.4g}"  # NaN: unknown
    if isinstance(value, (pd.Timestamp, dt.date)):
        return f"{value:%Y-%m-%d}"
    return str(value)


def _frame_html(frame: pd.DataFrame, escape: bool) -> str:
    """A DataFrame as an HTML table, without ``DataFrame.to_html`` (20 ms for 30 rows)."""
    text = html.escape if escape else str
    head = "".join(f"<th>{text(str(name))}</th>" for name in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{text(_cell(value))}</td>" for value in row) + "</tr>"
                   for row in frame.itertuples(index=False, name=None))
    return (f"<table border='0' class='dataframe {RESULT_CLASS}'><thead><tr "
            f"style='text-align: right;'>{head}</tr></thead><tbody>{body}</tbody></table>")


def render_table(rows: Mapping[str, Any] | Result | pd.DataFrame, caption: str | None = None,
                 note: str | None = None, escape: bool = True) -> str:
    """The one table every explorer shows its result in.

    ``rows`` is a mapping (quantity -> value, shown as two columns), a ``Result``
    (its fields in ``to_frame`` order, each labelled by its ``field(metadata={"label":
    ...})`` or else its name) or a ``DataFrame``
    (one row per row; dates as YYYY-MM-DD, unknown cells empty). ``caption`` goes above
    it, ``note`` (HTML) below. ``escape=False`` keeps HTML in a frame's cells.
    """
    head = f"<caption style='text-align:left'>{html.escape(caption)}</caption>" if caption else ""
    tail = f"<div>{note}</div>" if note else ""
    if isinstance(rows, pd.DataFrame):
        table = _frame_html(rows, escape)
        return (f"<div>{html.escape(caption)}</div>" if caption else "") + table + tail
    if isinstance(rows, Result):
        labels = {f.name: f.metadata.get("label", f.name.replace("_", " "))
                  for f in dataclasses.fields(rows)}  # type: ignore[arg-type]
        rows = {labels.get(name, name.replace("_", " ")): _cell(value)
                for name, value in rows._rows().items()}
    body = "".join(
        f"<tr><td style='text-align:left;padding-right:14px'>{html.escape(str(k))}</td>"
        f"<td style='text-align:right'><b>{html.escape(str(v))}</b></td></tr>"
        for k, v in rows.items()
    )
    return f"<table class='{RESULT_CLASS}'>{head}{body}</table>{tail}"


def table_html(rows: Mapping[str, Any], caption: str | None = None) -> str:
    """A two-column result table (quantity, value); :func:`render_table` for a mapping."""
    return render_table(rows, caption)


def figure_png(figure: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes: no layout pass, fast compression."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, pil_kwargs=_PNG_OPTIONS)
    return buffer.getvalue()


class Chart:
    """An explorer's figure, built once and then updated in place (see the module docstring).

    Subclasses set ``figsize`` (inches) and ``rect`` (the axes' fixed place in the
    figure: left, bottom, width, height as fractions) and write :meth:`build` (once:
    make the artists, style the axes) and :meth:`update` (per change: move them).
    Where a result has a varying number of things to draw (one bar per row),
    :meth:`update` may call :meth:`clear` and add them again: the axes, its
    styling and what :meth:`build` made stay.
    """

    figsize: tuple[float, float] = (7.5, 3.8)
    rect: tuple[float, float, float, float] = (0.10, 0.15, 0.86, 0.75)

    def __init__(self) -> None:
        self.figure = Figure(figsize=self.figsize, dpi=DPI)  # no layout engine: fixed margins
        # its own Agg canvas, kept: savefig on a bare Figure makes a new canvas and renderer
        # each time, so every tick label's size is measured again (a third of a redraw)
        FigureCanvasAgg(self.figure)
        self.ax: Axes = self.figure.add_axes(self.rect)
        self.build(self.ax)
        self._built = set(self.ax.get_children())

    def build(self, ax: Axes) -> None:
        """Make the artists every update reuses and style the axes (called once)."""

    def update(self, result: Any) -> None:
        """Move the artists to show ``result`` (called on every change)."""
        raise NotImplementedError

    def clear(self) -> None:
        """Remove what updates added (lines, bars, texts, collections); keep what build made."""
        for artist in self.ax.get_children():
            if artist not in self._built and hasattr(artist, "remove"):
                with contextlib.suppress(NotImplementedError, ValueError):
                    artist.remove()
        legend = self.ax.get_legend()
        if legend is not None and legend not in self._built:
            legend.remove()
        # Scale to what is drawn next, not to everything drawn before.
        self.ax.ignore_existing_data_limits = True
        self.ax.set_autoscale_on(True)

    def fixed_title(self, text: str = "", fontsize: float = 10) -> Text:
        """A left title pinned just above the axes: matplotlib otherwise measures every
        tick label on each draw to place it."""
        return self.ax.set_title(text, loc="left", fontsize=fontsize, color="#222222", y=1.01)

    def png(self) -> bytes:
        return figure_png(self.figure)


class Explorer(widgets.VBox):
    """A box of labelled controls, a result (HTML) and a figure (PNG), kept in step.

    Parameters
    ----------
    controls : name -> control; ``compute`` is called with these names as keywords.
    compute : pure function returning a result object (a ``Result``).
    render : result -> HTML string (use :func:`render_table`).
    title : a line of HTML shown above the controls.
    columns : how many controls side by side.
    chart : a :class:`Chart` subclass (or a no-argument factory of one); ``None`` for a
        result without a figure.
    """

    def __init__(self, controls: Mapping[str, widgets.ValueWidget], compute: Callable[..., Any],
                 render: Callable[[Any], str], title: str | None = None, columns: int = 2,
                 chart: Callable[[], Chart] | None = None) -> None:
        self.controls = dict(controls)
        self._compute, self._render = compute, render
        self.chart: Chart | None = chart() if chart is not None else None
        self.figure = self.chart.figure if self.chart is not None else None
        self.result = widgets.HTML()
        self.plot = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.value: Any = None  # the last good result
        self.error: BaseException | None = None  # the last error, if the inputs were bad
        self.last_update_s = 0.0
        self._held = False
        # ipykernel 7 may handle two comm messages at once (a change and a slider's echo):
        # one update must not clear the figure while another draws into it.
        self._lock = threading.RLock()
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
            if getattr(control, "style", None) is not None and hasattr(control.style,
                                                                         "description_width"):
                control.style.description_width = "initial"
        grid = widgets.GridBox(
            list(self.controls.values()),
            layout=widgets.Layout(grid_template_columns=f"repeat({columns}, minmax(0, 1fr))",
                                  grid_gap="4px 16px"),
        )
        parts: list[widgets.Widget] = []
        if title:
            parts.append(widgets.HTML(title))
        parts += [grid, self.result]
        if self.chart is not None:
            parts.append(self.plot)
        super().__init__(parts)
        self.add_class("sk-explorer")
        self.update()

    def inputs(self) -> dict[str, Any]:
        """The controls' current values, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def control_label(self, exc: BaseException) -> str | None:
        """The label of the control an error message is about, found by its keyword
        (messages start with the parameter they blame), with a bounded control's range."""
        message = str(exc.args[0]) if exc.args else ""
        named = [name for name in self.controls
                 if re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", message)]
        named.sort(key=lambda name: not message.startswith(name))
        if not named:
            return None
        control = self.controls[named[0]]
        label = f"“{getattr(control, 'description', '') or named[0]}”"
        low, high = getattr(control, "min", None), getattr(control, "max", None)
        if isinstance(control, widgets.FloatLogSlider):
            low, high = control.base ** control.min, control.base ** control.max
        if low is not None and high is not None:
            label += f" (this control: {low:,.6g} to {high:,.6g})"
        return label

    def _on_change(self, _change: dict) -> None:
        if not self._held:
            self.update()

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls at once, then update once."""
        self._held = True
        try:
            yield
        finally:
            self._held = False
        self.update()

    def update(self) -> None:
        """Recompute and redraw from the controls (called on every change)."""
        with self._lock:
            self._update()

    def _update(self) -> None:
        start = time.perf_counter()
        try:
            value = self._compute(**self.inputs())
            text = self._render(value)
            if self.chart is not None:
                self.chart.update(value)
                png = self.chart.png()
        except Exception as exc:  # shown to the reader instead of a traceback
            self.error = exc
            self.result.value = error_html(exc, self.control_label(exc))
            self.plot.layout.visibility = "hidden"
        else:
            self.error, self.value = None, value
            self.result.value = text
            if self.chart is not None:
                self.plot.value = png
                self.plot.layout.visibility = "visible"
        self.last_update_s = time.perf_counter() - start
