"""Start JupyterHub for a class on this machine, on 127.0.0.1 (``make hub``).

    python tools/hub.py [--port 8000] [--state build/hub]

Writes the student notebooks (solutions removed, as ``make student`` does) to
``STATE/student``, then runs ``jupyterhub -f deploy/jupyterhub_config.py`` (see that file for
the authenticator, spawner and culling, and docs/instructors.md for running the class). The
class password and the admin's password come from ``STACKKIT_HUB_PASSWORD`` and
``STACKKIT_HUB_ADMIN_PASSWORD``; unset, fresh random ones are made and printed. Stop with
Ctrl-C: the hub stops every student's server on the way out.

``start_hub`` is what tools/class_load.py uses: the same configuration on free ports, in a
folder of its own, as a child process it stops itself.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_student import write_student_copies  # noqa: E402

CONFIG = ROOT / "deploy" / "jupyterhub_config.py"
PROXY = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Hub:
    process: subprocess.Popen
    url: str
    state: Path
    password: str
    admin: str
    admin_password: str
    log_path: Path

    def stop(self, timeout_s: float = 60) -> None:
        """SIGTERM (the hub stops the students' servers first), then SIGKILL if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def prepare(state: Path) -> Path:
    """The student notebooks every home starts with; their folder."""
    student = state / "student"
    if student.exists():
        shutil.rmtree(student)
    write_student_copies(sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), student)
    return student


def hub_env(state: Path, port: int, password: str, admin: str, admin_password: str,
            cull_s: int, internal_ports: tuple[int, int] | None = None) -> dict[str, str]:
    if not PROXY.exists():
        raise SystemExit(f"{PROXY} is missing: run `npm ci` (make hub does) first")
    env = dict(os.environ, STACKKIT_HUB_DIR=str(state), STACKKIT_HUB_PORT=str(port),
               STACKKIT_HUB_STUDENT=str(state / "student"), STACKKIT_HUB_PASSWORD=password,
               STACKKIT_HUB_ADMIN=admin, STACKKIT_HUB_ADMIN_PASSWORD=admin_password,
               STACKKIT_HUB_CULL_S=str(cull_s), STACKKIT_HUB_PROXY=str(PROXY),
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if internal_ports:
        env["STACKKIT_HUB_INTERNAL_PORT"] = str(internal_ports[0])
        env["STACKKIT_HUB_PROXY_API_PORT"] = str(internal_ports[1])
    return env


def start_hub(state: Path, cull_s: int = 3600, ready_timeout_s: float = 120) -> Hub:
    """The class hub on free ports of 127.0.0.1, running in the background, ready to log in."""
    state.mkdir(parents=True, exist_ok=True)
    prepare(state)
    port = free_port()
    password, admin_password = secrets.token_urlsafe(12), secrets.token_urlsafe(32)
    env = hub_env(state, port, password, "instructor", admin_password, cull_s,
                  (free_port(), free_port()))
    log_path = state / "jupyterhub.log"
    log = log_path.open("w", encoding="utf-8")
    process = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(CONFIG)], cwd=state, env=env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    hub = Hub(process, f"http://127.0.0.1:{port}", state, password, "instructor",
              admin_password, log_path)
    deadline = time.monotonic() + ready_timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyterhub exited ({process.returncode}):\n"
                               + log_path.read_text(encoding="utf-8")[-3000:])
        try:
            with urllib.request.urlopen(f"{hub.url}/hub/api/", timeout=5) as response:
                if response.status == 200:
                    return hub
        except OSError:
            time.sleep(0.5)
    hub.stop()
    raise RuntimeError(f"jupyterhub did not answer in {ready_timeout_s:.0f} s:\n"
                       + log_path.read_text(encoding="utf-8")[-3000:])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--state", default=str(ROOT / "build" / "hub"))
    parser.add_argument("--cull-s", type=int, default=int(os.environ.get(
        "STACKKIT_HUB_CULL_S", "3600")), help="stop servers idle this long (seconds)")
    args = parser.parse_args(argv)
    state = Path(args.state).resolve()
    state.mkdir(parents=True, exist_ok=True)
    prepare(state)
    password = os.environ.get("STACKKIT_HUB_PASSWORD") or secrets.token_urlsafe(9)
    admin_password = os.environ.get("STACKKIT_HUB_ADMIN_PASSWORD") or secrets.token_urlsafe(32)
    admin = os.environ.get("STACKKIT_HUB_ADMIN", "instructor")
    env = hub_env(state, args.port, password, admin, admin_password, args.cull_s)
    print(f"JupyterHub for the class on http://127.0.0.1:{args.port}\n"
          f"  students: any user name, the class password {password!r}\n"
          f"  admin:    {admin!r}, password {admin_password!r}\n"
          f"  homes:    {state / 'home'} (the lessons are copied in on a first start)\n"
          f"  idle servers stop after {args.cull_s} s; Ctrl-C stops the hub", flush=True)
    return subprocess.call([str(BIN / "jupyterhub"), "-f", str(CONFIG)], cwd=state, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
