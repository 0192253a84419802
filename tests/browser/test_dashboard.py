"""The Voila dashboard: served on 127.0.0.1 with a token, code hidden, and its tools respond."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import jupyter_browser as jb
import pytest

pytestmark = pytest.mark.browser

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "tools.ipynb"


@pytest.fixture(scope="module")
def voila(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[jb.Server]:
    server = jb.start_voila(DASHBOARD, tmp_path_factory.mktemp("voila-state"))
    yield server
    server.stop()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_voila_sends_a_request_without_the_token_to_its_login_page(voila: jb.Server) -> None:
    assert voila.base_url.startswith("http://127.0.0.1:")
    opener = urllib.request.build_opener(_NoRedirect)
    for url in (f"{voila.base_url}/", f"{voila.base_url}/?token=not-the-token"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(url, timeout=10)
        assert refused.value.code == 302
        assert refused.value.headers["Location"].startswith("/login")
        refused.value.close()


def test_dashboard_renders_hides_code_and_responds(voila: jb.Server, page,
                                                   screenshots: Path) -> None:
    report = jb.check_dashboard(page, voila, DASHBOARD, screenshots / "dashboard_tools.png")
    assert not report.problems, str(report)
    assert report.control and report.after != report.before


def test_checker_reports_a_dashboard_that_shows_its_code(
        browser, page, tmp_path_factory: pytest.TempPathFactory) -> None:
    server = jb.start_voila(DASHBOARD, tmp_path_factory.mktemp("voila-code"),
                            strip_sources=False)
    try:
        report = jb.check_dashboard(page, server, DASHBOARD)
    finally:
        server.stop()
    assert any("shows its code" in p for p in report.problems), str(report)
