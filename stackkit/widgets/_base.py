"""The pattern every lesson's tool follows: controls -> pure function -> HTML result + figure.

An :class:`Explorer` holds no model logic. It reads its controls, calls a pure
``compute`` function from a layer module, renders the result as HTML and,
optionally, draws a figure into a PNG image. Bad input (``ValueError``,
``KeyError``) becomes a readable message in the box, never a traceback.
"""

from __future__ import annotations

import contextlib
import html
import io
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import ipywidgets as widgets
from matplotlib.figure import Figure

ERROR_CLASS = "sk-error"
RESULT_CLASS = "sk-result"


def error_html(exc: BaseException) -> str:
    """A message a student can act on: what was wrong, without the traceback."""
    if isinstance(exc, (ValueError, KeyError)):
        message = str(exc.args[0]) if exc.args else type(exc).__name__
        heading = "Check the inputs"
    else:  # a bug in the kit, still shown politely
        message = f"{type(exc).__name__}: {exc}"
        heading = "Something went wrong inside stackkit"
    return (f"<div class='{ERROR_CLASS}' style='color:#8a1c1c;background:#fdecea;"
            f"padding:6px 10px;border-radius:4px'><b>{heading}:</b> {html.escape(message)}</div>")


def table_html(rows: Mapping[str, Any], caption: str | None = None) -> str:
    """A two-column result table (quantity, value)."""
    body = "".join(
        f"<tr><td style='text-align:left;padding-right:14px'>{html.escape(str(k))}</td>"
        f"<td style='text-align:right'><b>{html.escape(str(v))}</b></td></tr>"
        for k, v in rows.items()
    )
    head = f"<caption style='text-align:left'>{html.escape(caption)}</caption>" if caption else ""
    return f"<table class='{RESULT_CLASS}'>{head}{body}</table>"


def figure_png(figure: Figure, dpi: int = 90) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


class Explorer(widgets.VBox):
    """A box of labelled controls, a result (HTML) and a figure (PNG), kept in step.

    Parameters
    ----------
    controls : name -> control; ``compute`` is called with these names as keywords.
    compute : pure function returning a result object.
    render : result -> HTML string.
    draw : optional ``(result, figure) -> None`` that draws into the (cleared) figure.
    title : a line of HTML shown above the controls.
    layout : the figure's layout engine; ``None`` for fixed margins that ``draw`` sets
        itself (a constrained-layout pass costs 15–35 ms of the 100 ms budget).
    """

    def __init__(self, controls: Mapping[str, widgets.ValueWidget], compute: Callable[..., Any],
                 render: Callable[[Any], str],
                 draw: Callable[[Any, Figure], None] | None = None,
                 title: str | None = None, figsize: tuple[float, float] = (7.5, 3.8),
                 columns: int = 2, layout: str | None = "constrained") -> None:
        self.controls = dict(controls)
        self._compute, self._render, self._draw = compute, render, draw
        self.result = widgets.HTML()
        self.plot = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        self.figure = Figure(figsize=figsize, layout=layout) if draw else None
        self.value: Any = None  # the last good result
        self.error: BaseException | None = None  # the last error, if the inputs were bad
        self.last_update_s = 0.0
        self._held = False
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
        if draw:
            parts.append(self.plot)
        super().__init__(parts)
        self.add_class("sk-explorer")
        self.update()

    def inputs(self) -> dict[str, Any]:
        """The controls' current values, by name."""
        return {name: control.value for name, control in self.controls.items()}

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
        start = time.perf_counter()
        try:
            value = self._compute(**self.inputs())
            text = self._render(value)
            if self._draw is not None:
                self.figure.clear()
                self._draw(value, self.figure)
                png = figure_png(self.figure)
        except Exception as exc:  # shown to the reader instead of a traceback
            self.error = exc
            self.result.value = error_html(exc)
            self.plot.layout.visibility = "hidden"
        else:
            self.error, self.value = None, value
            self.result.value = text
            if self._draw is not None:
                self.plot.value = png
                self.plot.layout.visibility = "visible"
        self.last_update_s = time.perf_counter() - start
