"""`make lab` starts JupyterLab on 127.0.0.1 with token authentication, opening the overview."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _status(url: str, token: str | None = None) -> int:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"token {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_serves_jupyterlab_with_a_token(tmp_path):
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), BROWSER="true")
    log = tmp_path / "lab.log"
    with log.open("w") as out:
        process = subprocess.Popen(["make", "lab", f"PORT={port}"], cwd=ROOT, stdout=out,
                                   stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        token = None
        deadline = time.monotonic() + 120  # includes a first-time `pip install -e .[lab]`
        while time.monotonic() < deadline and token is None:
            match = re.search(rf"127\.0\.0\.1:{port}/\S*[?&]token=([0-9a-f]+)", log.read_text())
            token = match.group(1) if match else None
            if process.poll() is not None:
                pytest.fail(f"make lab exited early:\n{log.read_text()[-2000:]}")
            time.sleep(0.5)
        assert token, f"no tokenised URL printed:\n{log.read_text()[-2000:]}"
        base = f"http://127.0.0.1:{port}"
        assert _status(f"{base}/api/status", token) == 200
        assert _status(f"{base}/api/status") == 403, "the server must require its token"
        assert "/lab/tree/notebooks/00_overview.ipynb" in log.read_text()
        with socket.socket() as sock:  # bound to loopback only, not to every interface
            assert sock.connect_ex((socket.gethostbyname(socket.gethostname()), port)) != 0 \
                or socket.gethostbyname(socket.gethostname()).startswith("127.")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
