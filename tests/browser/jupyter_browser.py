"""Drive JupyterLab and Voila in headless Chromium, and say what a reader would see go wrong.

The servers bind 127.0.0.1 on a free port with a random token, and keep every file
they write (settings, workspaces, runtime files, IPython profile) in a temporary
folder. Chromium is Debian's (``/usr/bin/chromium``) driven by Playwright from PyPI
through ``executable_path``: no browser is ever downloaded.

The check functions return a :class:`Report` listing problems instead of asserting,
so a test can also prove that a broken notebook is reported (tests/browser/test_checker.py).

Waits are for a condition, bounded by a timeout that only guards against a hang: the
tests run on a loaded two-core machine and CI must never flake, so the bounds are
generous (:data:`HANG_S`) and a passing run never waits for them.
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = os.environ.get("STACKKIT_CHROMIUM", "/usr/bin/chromium")
# Headless on a machine with a closed network: no GPU, no background connections.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT = {"width": 1366, "height": 1000}
# Bound on one wait (a click, a page load, a kernel start) that only guards against a hang.
HANG_S = 180.0

# JupyterLab settings for the test server: no autosave (the notebooks are copies anyway),
# no news or update checks (no network), every cell kept in the DOM so all can be checked.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

WIDGET_ERRORS = ("Error displaying widget", "model not found", "Error rendering",
                 "Failed to load model class", "Could not create a model")
# Text that shows a traceback or a warning in a stderr output.
STDERR_PROBLEM = re.compile(r"Traceback|\b\w*(Error|Exception|Warning)\b")
BUG_HEADING = "Something went wrong inside stackkit"  # the Explorer's message for a kit bug


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    for module, package in (("playwright", "playwright"), ("jupyterlab", "jupyterlab"),
                            ("voila", "voila")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed (pip install -e '.[browser]')"
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        return (f"no Chromium at {CHROMIUM} (apt-get install -y chromium, "
                "or set STACKKIT_CHROMIUM)")
    return None


def isolated_env(state: Path) -> dict[str, str]:
    """Environment for a server whose files all land under ``state``."""
    env = dict(os.environ)
    for name, sub in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_DATA_DIR", "data"),
                      ("JUPYTER_RUNTIME_DIR", "runtime"), ("IPYTHONDIR", "ipython")):
        env[name] = str(state / sub)
        (state / sub).mkdir(parents=True, exist_ok=True)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["MPLBACKEND"] = "Agg"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


@dataclass
class Server:
    """A Jupyter-family server on 127.0.0.1 with a token, started by :func:`start_server`."""

    name: str
    base_url: str
    token: str
    process: subprocess.Popen
    log_path: Path

    def url(self, path: str, token: bool = True) -> str:
        sep = "&" if "?" in path else "?"
        return f"{self.base_url}{path}" + (f"{sep}token={self.token}" if token else "")

    def api(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"token {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method,
                                         headers=headers)
        with urllib.request.urlopen(request, timeout=60) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_server(name: str, args: list[str], cwd: Path, state: Path, ready_path: str,
                 token: str, port: int, timeout_s: float = HANG_S, any_answer: bool = False
                 ) -> Server:
    """Start ``python -m <args>`` and wait until ``ready_path`` answers with the token.

    ``any_answer``: an HTTP error status also means the server is up (Voila has no
    ``/api/status``, and a GET of its page would run the notebook).
    """
    log_path = state / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen([sys.executable, "-m", *args], cwd=cwd, env=isolated_env(state),
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    server = Server(name, f"http://127.0.0.1:{port}", token, process, log_path)
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.log()[-3000:]}")
        try:
            server.api("GET", ready_path)
            return server
        except urllib.error.HTTPError:
            if any_answer:
                return server
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.25)
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            if time.monotonic() > deadline:
                server.stop()
                raise TimeoutError(f"{name} did not answer {ready_path} in {timeout_s:.0f} s:\n"
                                   f"{server.log()[-3000:]}") from None
            time.sleep(0.25)


def root_flags() -> list[str]:
    return ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


def start_jupyterlab(root_dir: Path, state: Path) -> Server:
    """JupyterLab serving ``root_dir``; settings and workspaces live under ``state``."""
    settings = state / "lab-settings"
    for relative, values in LAB_SETTINGS.items():
        path = settings / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    token, port = secrets.token_hex(24), free_port()
    args = ["jupyter", "lab", "--ip=127.0.0.1", f"--port={port}", "--no-browser",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
            "--ServerApp.port_retries=0",
            f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={state / 'lab-workspaces'}",
            "--LabApp.news_url=", *root_flags()]
    return start_server("jupyterlab", args, root_dir, state, "/api/status", token, port)


def start_voila(notebook: Path, state: Path, strip_sources: bool = True) -> Server:
    """Voila serving one notebook as an app, code hidden (unless a test asks otherwise)."""
    token, port = secrets.token_hex(24), free_port()
    args = ["voila", notebook.name, "--no-browser", "--Voila.ip=127.0.0.1", f"--port={port}",
            "--Voila.port_retries=0", f"--token={token}", f"--strip_sources={strip_sources}"]
    return start_server("voila", args, notebook.parent, state, "/voila/api/ready", token, port,
                        any_answer=True)


def launch_browser(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                      headless=True)


@dataclass
class Report:
    """What the check of one page found. ``problems`` empty means it passed."""

    name: str
    problems: list[str] = field(default_factory=list)
    control: str | None = None  # the control that changed the main widget's result
    before: str = ""
    after: str = ""
    seconds: float = 0.0
    screenshot: Path | None = None
    dialogs: list[str] = field(default_factory=list)  # what JupyterLab asked (and was accepted)

    def __str__(self) -> str:
        lines = [f"{self.name}: {len(self.problems)} problem(s) in {self.seconds:.1f} s"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


# -- what the page shows ---------------------------------------------------------------------

_ERRORS_JS = r"""
(root) => {
  const found = [];
  const text = (el) => (el.innerText || el.textContent || '').trim();
  for (const el of root.querySelectorAll('.jp-OutputArea-output')) {
    const mime = el.getAttribute('data-mime-type') || '';
    if (mime.includes('error')) found.push(['error', text(el)]);
    else if (mime.includes('stderr')) found.push(['stderr', text(el)]);
  }
  for (const el of root.querySelectorAll('.voila-error, .jp-voila-error'))
    found.push(['error', text(el)]);
  return found;
}
"""

_RESULT_JS = r"""
(el, bugHeading) => {
  const parts = [...el.children].filter(c => c.classList.contains('widget-html'));
  const result = parts.length ? parts[parts.length - 1] : null;
  return {text: result ? result.innerText.trim() : '',
          error: !!(result && result.querySelector('.sk-error')),
          bug: result ? result.innerText.includes(bugHeading) : false};
}
"""
_ERROR_LINE = re.compile(r"\b(\w*(?:Error|Exception|Warning)\b.*)$", re.MULTILINE)


def _summary(text: str) -> str:
    """The line of a traceback or warning that says what happened."""
    lines = _ERROR_LINE.findall(text)
    if lines:
        return lines[-1].strip()[:300]
    return next((line for line in reversed(text.splitlines()) if line.strip()), text)[:300]


def page_problems(root: Any, grace_s: float = 30.0) -> list[str]:
    """Error outputs and widgets that did not render, inside the element ``root``."""
    problems = []
    for kind, text in root.evaluate(_ERRORS_JS):
        if kind == "error" or STDERR_PROBLEM.search(text):
            problems.append(f"{kind} output: {_summary(text)}")
    # A widget view whose model never arrives stays at "Loading widget..." (or, once the
    # manager gives up, "Error displaying widget: model not found"); give it a moment.
    deadline = time.monotonic() + grace_s
    while True:
        text = root.evaluate("(el) => el.innerText || ''")
        shown = [m for m in (*WIDGET_ERRORS, "Loading widget") if m.lower() in text.lower()]
        if not shown or time.monotonic() > deadline or shown != ["Loading widget"]:
            break
        time.sleep(0.2)
    problems += [f"a widget shows {m!r}" + (" (it never rendered)" if m == "Loading widget"
                                            else "") for m in shown]
    return problems


def _result(explorer: Any) -> dict:
    return explorer.evaluate(_RESULT_JS, BUG_HEADING)


def _wait_for_change(explorer: Any, before: str, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    now = _result(explorer)
    while now["text"] == before and time.monotonic() < deadline:
        time.sleep(0.1)
        now = _result(explorer)
    return now


def _actions(control: Any) -> list[tuple[str, Any]]:
    """Ways to change one control with the keyboard or the mouse, by kind of control."""
    classes = control.get_attribute("class") or ""
    label = control.evaluate("(el) => (el.querySelector('label, .widget-label')||{}).innerText"
                             " || el.innerText || ''").strip().splitlines()
    name = label[0] if label else "?"
    acts: list[tuple[str, Any]] = []
    if control.locator("select").count():  # Dropdown, Select, SelectMultiple
        select = control.locator("select").first

        def pick() -> None:
            n = select.locator("option").count()
            chosen = select.evaluate("(s) => [...s.options].map(o => o.selected)")
            current = chosen.index(True) if True in chosen else -1
            if select.get_attribute("multiple") is not None and False in chosen:
                keep = [i for i, on in enumerate(chosen) if on]
                select.select_option(index=[*keep, chosen.index(False)])
            else:
                select.select_option(index=(current + 1) % n if n > 1 else 0)
        acts.append((f"list {name!r}: choose another option", pick))
    elif "widget-slider" in classes:
        handle = control.locator(".noUi-handle").first

        def nudge() -> None:
            value, top = (handle.get_attribute("aria-valuenow"),
                          handle.get_attribute("aria-valuemax"))
            handle.focus()
            key = "ArrowLeft" if value is not None and value == top else "ArrowRight"
            handle.press(key)
        acts.append((f"slider {name!r}: focus and press an arrow key", nudge))
    elif "widget-toggle-button" in classes or "widget-checkbox" in classes:
        target = control.locator("input").first if "widget-checkbox" in classes else control
        acts.append((f"{name!r}: click", target.click))
    elif "widget-toggle-buttons" in classes or "widget-radio" in classes:
        def other() -> None:
            options = control.locator("button:not(.mod-active), input:not(:checked)")
            options.first.click()
        acts.append((f"{name!r}: click another option", other))
    elif control.locator("input[type=number], input[type=text]").count():
        box = control.locator("input").first

        def type_new() -> None:
            old = box.input_value()
            try:
                new = f"{float(old) * 2 if float(old) else 1:g}"
            except ValueError:
                new = old + "x"
            box.fill(new)
            box.press("Enter")
        acts.append((f"input {name!r}: type a new value and press Enter", type_new))
    return acts


def interact_with_main_widget(page: Any, report: Report, settle_s: float = 15.0) -> None:
    """Change the controls of the first explorer one by one until its result changes."""
    explorer = page.locator(".sk-explorer").first
    explorer.scroll_into_view_if_needed()
    start = _result(explorer)
    report.before = start["text"]
    if start["bug"]:
        report.problems.append(f"main widget shows a kit bug before any change: {start['text']}")
    grid = explorer.locator(".widget-gridbox").first
    controls = grid.locator(":scope > *")
    tried = []
    for i in range(controls.count()):
        for description, act in _actions(controls.nth(i)):
            before = _result(explorer)["text"]
            act()
            now = _wait_for_change(explorer, before, settle_s)
            tried.append(description)
            if now["bug"]:
                report.problems.append(f"after {description}, the main widget shows: "
                                       f"{now['text'][:300]}")
                report.after = now["text"]
                return
            if now["text"] != before and not now["error"]:
                report.control, report.after = description, now["text"]
                return
    report.after = _result(explorer)["text"]
    report.problems.append("changing the main widget's controls did not change its result "
                           f"(tried: {'; '.join(tried) or 'no control found'})")


def _playwright_timeout() -> type[Exception]:
    try:
        from playwright.sync_api import TimeoutError as timeout_error
    except ImportError:  # pragma: no cover - only used once a browser runs
        return TimeoutError
    return timeout_error


PlaywrightTimeout = _playwright_timeout()


def _playwright_error() -> type[Exception]:
    try:
        from playwright.sync_api import Error as error
    except ImportError:  # pragma: no cover - only used once a browser runs
        return RuntimeError
    return error


PlaywrightError = _playwright_error()  # a timeout is one too


# -- JupyterLab --------------------------------------------------------------------------------

_PROMPTS_JS = r"""() => {
  const prompts = [...document.querySelectorAll(
      '.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')].map(p => p.innerText.trim());
  const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
  return {prompts, status: ind ? ind.getAttribute('data-status') : null,
          started: !!window.__skRunStarted};
}"""

# Notes when a run starts: a cell shows [*] (queued or running) or a prompt changes. Polling
# the prompts cannot tell: a saved notebook already shows [1], [2], ... and a fresh kernel
# numbers the cells the same way, so a Run All that never started looks like one that finished.
_WATCH_RUN_JS = r"""() => {
  const prompts = () => [...document.querySelectorAll(
      '.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')].map(p => p.innerText.trim());
  const before = prompts().join('|');
  window.__skRunStarted = false;
  if (window.__skRunObserver) window.__skRunObserver.disconnect();
  const observer = new MutationObserver(() => {
    const now = prompts();
    if (now.some(p => p.includes('*')) || now.join('|') !== before) {
      window.__skRunStarted = true;
      observer.disconnect();
    }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  window.__skRunObserver = observer;
}"""

DIALOG = ".jp-Dialog"
KERNEL_DIALOG = "Select Kernel"  # the title of JupyterLab's kernel chooser


def _answer_dialogs(page: Any, report: Report) -> None:
    """Accept every JupyterLab dialog on the page, noting what each asked in ``report``.

    Called from every wait and, through a Playwright locator handler, before every
    action, so a dialog that shows up late never blocks Run All or a click.
    """
    for _ in range(10):
        dialog = page.query_selector(DIALOG)  # no wait: a locator would run the handler
        if dialog is None:
            return
        try:
            report.dialogs.append(" ".join(dialog.inner_text().split())[:200])
            # A click in the page, not a Playwright action: an action would run this
            # function again as the locator handler, answering the dialog under it.
            accepted = dialog.evaluate("(d) => { const b = d.querySelector('.jp-mod-accept');"
                                       " if (b) b.click(); return !!b; }")
            if not accepted:
                page.keyboard.press("Escape")
            dialog.wait_for_element_state("hidden", timeout=HANG_S * 1000)  # or removed
        except PlaywrightError:
            continue  # it closed by itself meanwhile; look again


def _session_kernel(server: Server, path: str) -> dict | None:
    """The kernel of the server's session for the notebook ``path`` (None if it has none)."""
    for session in server.api("GET", "/api/sessions"):
        if session.get("path") == path and session.get("kernel"):
            return session["kernel"]
    return None


def start_notebook_kernel(server: Server, path: str) -> tuple[str | None, str | None]:
    """Start the kernel the notebook names, in a session for ``path``, before Lab opens it.

    JupyterLab then connects to that session instead of choosing a kernel itself (which,
    on a loaded machine, can end in its "Select Kernel" dialog). Returns the kernel's
    name and, if it could not be started, why.
    """
    model = server.api("GET", f"/api/contents/{urllib.parse.quote(path)}?content=1")
    name = ((model.get("content") or {}).get("metadata", {}).get("kernelspec") or {}).get("name")
    if not name:
        return None, "the notebook names no kernel (metadata.kernelspec.name)"
    specs = server.api("GET", "/api/kernelspecs")["kernelspecs"]
    if name not in specs:
        return name, f"the notebook's kernel {name!r} is not installed (have: {sorted(specs)})"
    server.api("POST", "/api/sessions", {"path": path, "name": Path(path).name,
                                         "type": "notebook", "kernel": {"name": name}})
    return name, None


def _wait_for_kernel(page: Any, server: Server, path: str, report: Report,
                     timeout_s: float) -> None:
    """Wait until Lab is connected to the notebook's kernel and both say it is idle."""
    deadline = time.monotonic() + timeout_s
    while True:
        _answer_dialogs(page, report)
        kernel = _session_kernel(server, path)
        status = page.evaluate(_PROMPTS_JS)["status"]
        if (kernel and kernel.get("connections", 1) >= 1
                and kernel.get("execution_state") == "idle" and status == "idle"):
            return
        # Lab's indicator says idle without a kernel too; once its kernel chooser was
        # answered with "No Kernel" (its choice when the notebook's kernel is unknown),
        # no kernel is coming.
        if (not kernel and any(a.startswith(KERNEL_DIALOG) for a in report.dialogs)
                and not page.locator(DIALOG).count()
                and page.locator(".jp-KernelName").first.inner_text().strip() == "No Kernel"):
            raise TimeoutError("JupyterLab started no kernel for the notebook "
                               "(its kernel chooser offered 'No Kernel')")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the kernel was not ready in {timeout_s:.0f} s: "
                               f"server says {kernel}, JupyterLab says {status!r}")
        time.sleep(0.25)


def _run_all(page: Any, report: Report, attempts: int = 3, start_s: float = 60.0) -> bool:
    """Run > Run All Cells until a cell starts (a click can land before Lab is ready)."""
    for _ in range(attempts):
        _answer_dialogs(page, report)
        page.evaluate(_WATCH_RUN_JS)
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        deadline = time.monotonic() + start_s
        while time.monotonic() < deadline:
            _answer_dialogs(page, report)
            if page.evaluate(_PROMPTS_JS)["started"]:
                return True
            time.sleep(0.2)
        page.keyboard.press("Escape")
    return False


def _wait_until_run(page: Any, report: Report, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    state = None
    while time.monotonic() < deadline:
        _answer_dialogs(page, report)
        state = page.evaluate(_PROMPTS_JS)
        busy = any("*" in p for p in state["prompts"])
        ran = any(re.search(r"\d", p) for p in state["prompts"])
        if state["started"] and ran and not busy and state["status"] in (None, "idle"):
            return
        time.sleep(0.2)
    raise TimeoutError(f"the notebook did not finish running in {timeout_s:.0f} s: {state}")


def _show_main_widget(page: Any) -> None:
    """Scroll so the screenshot starts at the main widget (or the last error, if none)."""
    page.evaluate("""() => {
      const errors = document.querySelectorAll('.jp-OutputArea-output[data-mime-type*="stderr"]');
      const el = document.querySelector('.sk-explorer') || [...errors].pop();
      if (el) el.scrollIntoView({block: 'start'});
    }""")


def check_notebook(page: Any, server: Server, path: str, screenshot: Path | None = None,
                   expect_explorer: bool = True, run_timeout_s: float = 300.0) -> Report:
    """Open ``path`` (relative to the server's root) in JupyterLab, Run All, check, interact.

    The notebook's own kernel is started first; a dialog JupyterLab shows at any point is
    accepted (a kernel chooser is not a problem in itself: the notebook must then still run
    in its own kernel; any other dialog is reported).
    """
    report = Report(path)
    start = time.monotonic()
    kernel_name, why = start_notebook_kernel(server, path)
    if why:
        report.problems.append(why)
    dialog = page.locator(DIALOG)
    page.add_locator_handler(dialog, lambda: _answer_dialogs(page, report))
    try:
        _open_run_and_check(page, server, path, report, expect_explorer, run_timeout_s)
    finally:
        page.remove_locator_handler(dialog)
    report.problems[:0] = [f"JupyterLab asked: {asked!r}" for asked in report.dialogs
                           if not asked.startswith(KERNEL_DIALOG)]
    if kernel_name and not why:
        ran_in = (_session_kernel(server, path) or {}).get("name")
        if ran_in != kernel_name:
            report.problems.append(f"the notebook ran in kernel {ran_in!r}, not in the "
                                   f"kernel it names ({kernel_name!r})")
    if screenshot is not None:
        _show_main_widget(page)
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot))
        report.screenshot = screenshot
    report.seconds = time.monotonic() - start
    return report


def _open_run_and_check(page: Any, server: Server, path: str, report: Report,
                        expect_explorer: bool, run_timeout_s: float) -> None:
    page.goto(server.url(f"/lab/tree/{path}?reset"), timeout=HANG_S * 1000)
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    notebook.first.wait_for(state="visible", timeout=HANG_S * 1000)
    try:
        _wait_for_kernel(page, server, path, report, HANG_S)
    except TimeoutError as exc:
        report.problems.append(str(exc))
        return
    if not _run_all(page, report):
        report.problems.append("Run > Run All Cells did not start any cell")
        return
    try:
        _wait_until_run(page, report, run_timeout_s)
    except TimeoutError as exc:
        report.problems.append(str(exc))
    root = notebook.first.element_handle()
    if expect_explorer:  # widget views render after the kernel is idle (first time: JS loads)
        try:
            page.locator(".sk-explorer").first.wait_for(state="visible", timeout=HANG_S * 1000)
        except PlaywrightTimeout:
            pass
    report.problems += page_problems(root)
    if expect_explorer:
        if page.locator(".sk-explorer").count() == 0:
            report.problems.append("no explore_* widget (.sk-explorer) was displayed")
        else:
            interact_with_main_widget(page, report)
            report.problems += [f"after the change: {p}" for p in page_problems(root, 0)
                                if p not in report.problems]
    # Output of a widget callback (an exception, a warning) goes to the log console.
    logged = page.locator(".jp-LogConsoleStatusItem:not(.lm-mod-hidden)")
    if logged.count() and logged.first.inner_text().strip() not in ("", "0"):
        report.problems.append(f"the log console holds {logged.first.inner_text().strip()} "
                               "message(s): output from a widget callback (e.g. a traceback)")


def shutdown_kernels(server: Server) -> None:
    for session in server.api("GET", "/api/sessions"):
        server.api("DELETE", f"/api/sessions/{session['id']}")


# -- Voila -------------------------------------------------------------------------------------

def code_lines(notebook: Path) -> list[str]:
    """The code of a notebook, line by line (blank lines and comments left out)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    lines = ["".join(c["source"]).splitlines() for c in cells if c["cell_type"] == "code"]
    return [line.strip() for cell in lines for line in cell
            if line.strip() and not line.strip().startswith("#") and len(line.strip()) > 12]


def check_dashboard(page: Any, server: Server, notebook: Path, screenshot: Path | None = None,
                    timeout_s: float = HANG_S) -> Report:
    """Open the Voila app of ``notebook``: its tools render, no code shows, the first responds."""
    report = Report("voila")
    start = time.monotonic()
    page.goto(server.url("/"), timeout=timeout_s * 1000)
    page.locator(".sk-explorer").first.wait_for(state="visible", timeout=timeout_s * 1000)
    # Voila renders cell by cell; wait until the kernel is done (the spinner is gone).
    page.wait_for_function(
        "() => !document.querySelector('#loading, .voila-spinner-container') && "
        "document.readyState === 'complete'", timeout=timeout_s * 1000)
    body = page.locator("body").element_handle()
    report.problems += page_problems(body)
    errors = page.locator(".sk-error")
    for i in range(errors.count()):
        report.problems.append(f"a tool shows an error: {errors.nth(i).inner_text()[:300]}")
    shown = page.content()
    leaked = [line for line in code_lines(notebook) if html.escape(line, quote=False) in shown]
    if leaked:
        report.problems.append(f"the dashboard shows its code (e.g. {leaked[0]!r})")
    interact_with_main_widget(page, report)
    report.problems += [f"after the change: {p}" for p in page_problems(body, 0)
                        if p not in report.problems]
    if screenshot is not None:
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.evaluate("() => document.querySelectorAll('*').forEach(e => { e.scrollTop = 0; })")
        page.screenshot(path=str(screenshot))
        report.screenshot = screenshot
    report.seconds = time.monotonic() - start
    return report


def copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(
        ".ipynb_checkpoints", "__pycache__"), dirs_exist_ok=True)
