"""Load-test the class hub: N students log in, start servers, run a lesson and move a widget.

    python tools/class_load.py --users N [--lesson 00_overview] [--timeout-s 900]

Starts its own hub (``tools/hub.py``'s ``start_hub``: the configuration of ``make hub``, on
free ports of 127.0.0.1, in a temporary folder), then, for every student at once, as a class
arrives together:

1. logs in through the hub's login form with the class password, and asks the hub's REST API
   for an API token (``POST /hub/api/users/<name>/tokens``);
2. starts the student's server (``POST /hub/api/users/<name>/server``) and waits until the hub
   reports it ready: the *spawn time*;
3. opens a session on the lesson copied into the student's home (``POST /user/<name>/api/
   sessions``) and runs every code cell through the kernel protocol over the server's
   websocket, as JupyterLab would; then moves one of the lesson's widgets (a ``comm_msg``
   update of a slider or a drop-down, as a browser sends) and checks the kernel's widget took
   the new value: the *notebook time*, from opening the session to the widget check;
4. measures the memory of every student's server and kernel (PSS, so shared pages are counted
   once) while all are running.

Then it stops the servers and the hub. Traffic stays on 127.0.0.1; at most 50 students; every
request and cell has a timeout and the whole run a deadline (``--timeout-s``). The last line is
(one line, wrapped here)::

    N users: spawned N, notebooks run N, errors 0, spawn p95 X s, notebook p95 Y s,
    memory per user Z MB
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import hub as class_hub  # noqa: E402

MAX_USERS = 50
REQUEST_TIMEOUT_S = 60
CELL_TIMEOUT_S = 180
SLIDERS = {"IntSliderModel", "FloatSliderModel", "FloatLogSliderModel"}
DROPDOWNS = {"DropdownModel", "SelectModel", "ToggleButtonsModel", "RadioButtonsModel"}


@dataclass
class Student:
    name: str
    spawn_s: float | None = None
    notebook_s: float | None = None
    cells: int = 0
    widget: str = ""
    errors: list[str] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


# ------------------------------------------------------------------------ the hub's API

def log_in(hub, name: str):
    """A logged-in browser session for ``name`` and an API token from the REST API."""
    import requests

    session = requests.Session()
    session.get(f"{hub.url}/hub/login", timeout=REQUEST_TIMEOUT_S).raise_for_status()
    xsrf = session.cookies.get("_xsrf", "")
    response = session.post(f"{hub.url}/hub/login",
                            data={"username": name, "password": hub.password, "_xsrf": xsrf},
                            allow_redirects=False, timeout=REQUEST_TIMEOUT_S)
    if response.status_code != 302:
        raise RuntimeError(f"login refused ({response.status_code})")
    xsrf = session.cookies.get("_xsrf", xsrf)
    response = session.post(f"{hub.url}/hub/api/users/{name}/tokens",
                            json={"note": "class_load", "expires_in": 3600},
                            headers={"X-XSRFToken": xsrf}, timeout=REQUEST_TIMEOUT_S)
    response.raise_for_status()
    session.headers["Authorization"] = f"token {response.json()['token']}"
    return session


def spawn(hub, session, name: str, deadline: float) -> float:
    start = time.perf_counter()
    response = session.post(f"{hub.url}/hub/api/users/{name}/server", timeout=REQUEST_TIMEOUT_S)
    if response.status_code not in (201, 202):
        raise RuntimeError(f"spawn refused ({response.status_code}: {response.text[:200]})")
    while time.monotonic() < deadline:
        model = session.get(f"{hub.url}/hub/api/users/{name}", timeout=REQUEST_TIMEOUT_S).json()
        server = model.get("servers", {}).get("")
        if server and server.get("ready"):
            return time.perf_counter() - start
        if not server and model.get("pending") is None:
            raise RuntimeError("the server stopped while starting")
        time.sleep(0.5)
    raise TimeoutError("the server was not ready before the deadline")


# ------------------------------------------------------------------- the kernel protocol

class Kernel:
    """A kernel's websocket (``/api/kernels/<id>/channels``), one message at a time."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.session = uuid.uuid4().hex
        self.comms: dict[str, dict] = {}  # widget models the kernel opened: comm id -> state

    def _message(self, channel: str, msg_type: str, content: dict) -> dict:
        return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": msg_type, "username": "",
                           "session": self.session, "date": "", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "content": content, "channel": channel,
                "buffers": []}

    async def request(self, channel: str, msg_type: str, content: dict,
                      timeout_s: float = CELL_TIMEOUT_S) -> list[str]:
        """Send one message; the errors it caused, once the kernel is idle after it."""
        message = self._message(channel, msg_type, content)
        await self.connection.write_message(json.dumps(message))
        msg_id, errors = message["header"]["msg_id"], []
        end = time.monotonic() + timeout_s
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{msg_type}: no answer in {timeout_s:.0f} s")
            raw = await asyncio.wait_for(self.connection.read_message(), left)
            if raw is None:
                raise RuntimeError("the kernel's websocket closed")
            if not isinstance(raw, str):
                continue  # a binary frame (widget buffers): nothing to check in it
            reply = json.loads(raw)
            kind = reply.get("msg_type") or reply["header"]["msg_type"]
            if kind == "comm_open" and reply["content"].get("target_name") == "jupyter.widget":
                state = reply["content"].get("data", {}).get("state", {})
                self.comms[reply["content"]["comm_id"]] = state
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if kind == "error":
                errors.append(f"{reply['content']['ename']}: {reply['content']['evalue']}"[:200])
            if kind == "status" and reply["content"]["execution_state"] == "idle":
                return errors

    async def execute(self, code: str) -> list[str]:
        return await self.request("shell", "execute_request", {
            "code": code, "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": False})

    async def output_of(self, code: str) -> str:
        """The stdout of ``code``."""
        message = self._message("shell", "execute_request", {
            "code": code, "silent": False, "store_history": False, "user_expressions": {},
            "allow_stdin": False, "stop_on_error": False})
        await self.connection.write_message(json.dumps(message))
        msg_id, text = message["header"]["msg_id"], []
        end = time.monotonic() + CELL_TIMEOUT_S
        while time.monotonic() < end:
            raw = await asyncio.wait_for(self.connection.read_message(), end - time.monotonic())
            if not isinstance(raw, str):
                continue
            reply = json.loads(raw)
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if reply["msg_type"] == "stream":
                text.append(reply["content"]["text"])
            if reply["msg_type"] == "status" and reply["content"]["execution_state"] == "idle":
                return "".join(text)
        raise TimeoutError("no answer")

    async def move_a_widget(self) -> str:
        """Move the first slider (else drop-down) the lesson displayed; what was moved."""
        chosen = None
        for comm_id, state in self.comms.items():
            if state.get("_model_name") in SLIDERS and state.get("max") != state.get("min"):
                value = state["max"] if state.get("value") != state["max"] else state["min"]
                chosen = comm_id, "value", value
                break
        if chosen is None:
            for comm_id, state in self.comms.items():
                labels = state.get("_options_labels") or []
                if state.get("_model_name") in DROPDOWNS and len(labels) > 1:
                    index = 1 if state.get("index") != 1 else 0
                    chosen = comm_id, "index", index
                    break
        if chosen is None:
            raise RuntimeError(f"the lesson displayed no slider or drop-down "
                               f"({len(self.comms)} widget models)")
        comm_id, name, value = chosen
        errors = await self.request("shell", "comm_msg", {
            "comm_id": comm_id, "data": {"method": "update", "state": {name: value},
                                         "buffer_paths": []}}, timeout_s=60)
        if errors:
            raise RuntimeError(f"moving the widget raised {errors}")
        seen = await self.output_of(
            "from ipywidgets.widgets.widget import _instances as _sk_w\n"
            f"print(repr(getattr(_sk_w[{comm_id!r}], {name!r})))")
        if seen.strip() != repr(value):
            raise RuntimeError(f"the widget's {name} is {seen.strip()}, not {value!r}")
        model = self.comms[comm_id].get("_model_name")
        return f"{model}.{name} -> {value!r}"


async def run_lesson(hub, session, name: str, lesson: Path, student: Student) -> None:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    start = time.perf_counter()
    base = f"{hub.url}/user/{name}"
    response = session.post(f"{base}/api/sessions", timeout=REQUEST_TIMEOUT_S, json={
        "path": lesson.name, "type": "notebook", "name": lesson.name,
        "kernel": {"name": "python3"}})
    response.raise_for_status()
    kernel_id = response.json()["kernel"]["id"]
    url = f"{base.replace('http://', 'ws://')}/api/kernels/{kernel_id}/channels"
    request = HTTPRequest(url, headers={"Authorization": session.headers["Authorization"]},
                          request_timeout=REQUEST_TIMEOUT_S, connect_timeout=REQUEST_TIMEOUT_S)
    connection = await websocket_connect(request, max_message_size=256 * 2**20)
    try:
        kernel = Kernel(connection)
        cells = json.loads(lesson.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"]) if isinstance(cell["source"], list) \
                else cell["source"]
            errors = await kernel.execute(source)
            student.cells += 1
            if errors:
                student.errors.append(f"cell {student.cells}: {errors[0]}")
        student.widget = await kernel.move_a_widget()
    finally:
        connection.close()
    student.notebook_s = time.perf_counter() - start


# ------------------------------------------------------------------------------ memory

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _pss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def student_processes(hub_pid: int) -> list[int]:
    """The students' servers (children of the hub) and everything they started (kernels)."""
    tree = _children()
    servers = [p for p in tree.get(hub_pid, []) if "jupyterhub-singleuser" in _cmdline(p)]
    found, stack = [], list(servers)
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(tree.get(pid, []))
    return found


# ---------------------------------------------------------------------------- the run

def run_class(n_users: int, lesson_stem: str, timeout_s: float, log=print) -> list[str]:
    if not 1 <= n_users <= MAX_USERS:
        raise SystemExit(f"--users must be between 1 and {MAX_USERS}; got {n_users}")
    deadline = time.monotonic() + timeout_s
    with tempfile.TemporaryDirectory(prefix="stackkit-class-") as folder:
        hub = class_hub.start_hub(Path(folder) / "hub")
        lesson = Path(folder) / "hub" / "student" / f"{lesson_stem}.ipynb"
        if not lesson.exists():
            hub.stop()
            raise SystemExit(f"no lesson {lesson_stem!r} among the student notebooks")
        students = [Student(f"student{i:02d}") for i in range(1, n_users + 1)]
        log(f"hub on {hub.url}; {n_users} students run {lesson.name}")
        memory_mb = [0.0]
        all_ran = threading.Barrier(n_users + 1, timeout=max(1.0, timeout_s))
        pids: set[int] = set()

        def one(student: Student) -> None:
            try:
                session = log_in(hub, student.name)
                student.spawn_s = spawn(hub, session, student.name, deadline)
                loop = asyncio.new_event_loop()
                try:
                    left = max(1.0, deadline - time.monotonic())
                    loop.run_until_complete(asyncio.wait_for(
                        run_lesson(hub, session, student.name, lesson, student), left))
                finally:
                    loop.close()
            except Exception as error:
                student.errors.append(f"{type(error).__name__}: {error}"[:300])
            finally:
                try:
                    all_ran.wait()  # everyone's kernel is alive while memory is measured
                except threading.BrokenBarrierError:
                    pass

        try:
            with ThreadPoolExecutor(max_workers=n_users) as pool:
                futures = [pool.submit(one, s) for s in students]
                try:
                    all_ran.wait()
                except threading.BrokenBarrierError:
                    log("deadline: not every student finished")
                procs = student_processes(hub.process.pid)
                pids.update(procs)
                memory_mb[0] = sum(_pss_mb(p) for p in procs)
                for future in futures:
                    future.result()
        finally:
            hub.stop()
            for pid in pids:  # a server the hub did not stop on its way out
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
    spawned = [s for s in students if s.spawn_s is not None]
    ran = [s for s in students if s.notebook_s is not None and not s.errors]
    errors = sum(len(s.errors) for s in students)
    for s in students:
        status = "; ".join(s.errors) if s.errors else f"ok ({s.cells} cells, {s.widget})"
        spawn_text = f"{s.spawn_s:.1f} s" if s.spawn_s is not None else "-"
        run_text = f"{s.notebook_s:.1f} s" if s.notebook_s is not None else "-"
        log(f"  {s.name}: spawn {spawn_text}, notebook {run_text}: {status}")
    spawn_times = [s.spawn_s for s in spawned] or [math.nan]
    run_times = [s.notebook_s for s in students if s.notebook_s is not None] or [math.nan]
    per_user_mb = memory_mb[0] / max(1, len(spawned))
    log(f"spawn p50 {percentile(spawn_times, 50):.1f} s, notebook p50 "
        f"{percentile(run_times, 50):.1f} s; memory of all servers and kernels "
        f"{memory_mb[0]:.0f} MB (PSS)")
    last = (f"{n_users} users: spawned {len(spawned)}, notebooks run {len(ran)}, "
            f"errors {errors}, spawn p95 {percentile(spawn_times, 95):.1f} s, "
            f"notebook p95 {percentile(run_times, 95):.1f} s, "
            f"memory per user {per_user_mb:.0f} MB")
    log(last)
    return [last]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--lesson", default="00_overview", help="a lesson's file name, no .ipynb")
    parser.add_argument("--timeout-s", type=float, default=900, help="deadline of the whole run")
    args = parser.parse_args(argv)
    last = run_class(args.users, args.lesson, args.timeout_s)[-1]
    return 0 if " errors 0," in last else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
