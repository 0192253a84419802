"""The built book in a real browser: two lesson pages show a figure and their exercises."""

from __future__ import annotations

import functools
import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "screenshots"


@pytest.fixture(scope="module")
def book_url(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`tools/book.py` builds the site; a static file server on 127.0.0.1 serves it."""
    if not (REPO / "node_modules" / ".bin" / "myst").exists():
        pytest.fail("mystmd is missing: run `npm ci` (make book and .ci/run do)")
    out = tmp_path_factory.mktemp("book")
    subprocess.run([sys.executable, str(REPO / "tools" / "book.py"), "--out", str(out)],
                   check=True, capture_output=True, timeout=300)
    handler = functools.partial(_QuietHandler, directory=str(out / "html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.mark.parametrize("lesson", ["Lesson 1", "Lesson 2"])
def test_a_lesson_page_shows_a_figure_and_its_exercises(page, book_url: str, lesson: str):
    page.goto(f"{book_url}/index.html")
    page.locator("nav.toc a", has_text=f"{lesson} —").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().startswith(f"{lesson} —")
    figure = page.locator(".cell-output img").first
    figure.scroll_into_view_if_needed()
    assert figure.is_visible()
    width = figure.evaluate("img => img.complete ? img.naturalWidth : 0")
    assert width > 200, f"{lesson}: the first figure did not load ({width} px)"
    heading = page.get_by_role("heading", name="Check your understanding").first
    heading.scroll_into_view_if_needed()
    assert heading.is_visible()
    hint = page.locator(".cell-output", has_text="no answer yet. Hint:").first
    assert hint.is_visible()
    assert page.locator("text=assert ex1.check").count() == 0  # no worked solutions
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"book-{lesson.replace(' ', '-').lower()}.png"))
