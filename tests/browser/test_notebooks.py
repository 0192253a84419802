"""Every lesson notebook, run in JupyterLab in a real browser, as a student would.

The notebooks are found when the tests are collected, so each lesson is covered
as soon as its notebook lands in notebooks/.
"""

from __future__ import annotations

import urllib.error
from pathlib import Path

import jupyter_browser as jb
import pytest

pytestmark = pytest.mark.browser

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9]*.ipynb"))


def test_server_binds_loopback_and_needs_its_token(lab: jb.Server) -> None:
    assert lab.base_url.startswith("http://127.0.0.1:")
    assert lab.api("GET", "/api/status")["kernels"] >= 0
    stranger = jb.Server("stranger", lab.base_url, "not-the-token", lab.process, lab.log_path)
    with pytest.raises(urllib.error.HTTPError, match="403"):
        stranger.api("GET", "/api/contents/notebooks")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_its_widgets_work_in_jupyterlab(
        notebook: Path, lab: jb.Server, page, screenshots: Path) -> None:
    """Run All: no error output, every widget renders, the main explorer responds."""
    expect_explorer = any("explore_" in line for line in jb.code_lines(notebook))
    report = jb.check_notebook(page, lab, f"notebooks/{notebook.name}",
                               screenshots / f"{notebook.stem}.png",
                               expect_explorer=expect_explorer)
    assert not report.problems, str(report)
    if expect_explorer:
        assert report.control and report.after != report.before
