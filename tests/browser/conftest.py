"""Fixtures for the browser tests: one JupyterLab server and one Chromium for the whole session.

Without Chromium or Playwright the tests skip and say why; with ``CI=true`` that is
a failure instead, so CI can never pass without having run them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jupyter_browser as jb
import pytest

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "screenshots"  # git-ignored; a person looks here


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    reason = jb.missing_browser()
    if reason:
        if jb.in_ci():
            pytest.fail(f"browser tests cannot run: {reason}; CI=true, so this is a failure")
        pytest.skip(f"browser tests need a browser: {reason}")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = jb.launch_browser(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def browser_context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=jb.VIEWPORT)
    # Clicks and page loads wait for their element; the bound only guards against a hang.
    context.set_default_timeout(jb.HANG_S * 1000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    tab = browser_context.new_page()
    yield tab
    tab.close()


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of notebooks/ to serve: running them in the browser never touches the repo."""
    root = tmp_path_factory.mktemp("lab-root")
    jb.copy_tree(REPO / "notebooks", root / "notebooks")
    return root


@pytest.fixture(scope="session")
def lab_server(browser: Any, lab_root: Path,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[jb.Server]:
    """JupyterLab on 127.0.0.1, a free port and a random token; stopped after the session."""
    server = jb.start_jupyterlab(lab_root, tmp_path_factory.mktemp("lab-state"))
    yield server
    server.stop()


@pytest.fixture
def lab(lab_server: jb.Server) -> Iterator[jb.Server]:
    """The session's server; the kernels a test started are shut down after it."""
    yield lab_server
    jb.shutdown_kernels(lab_server)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
