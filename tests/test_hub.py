"""`make hub` and tools/class_load.py: the class hub's configuration, and a small class run on it.

The configuration is read the way JupyterHub reads it (a traitlets config file); the slow test
starts a real hub on 127.0.0.1, logs two students in, runs a lesson in each through the kernel
protocol and moves a widget, and needs `npm ci` (configurable-http-proxy) and the `hub` extra.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).parents[1]
CONFIG = ROOT / "deploy" / "jupyterhub_config.py"
LAST_LINE = re.compile(
    r"^(\d+) users: spawned (\d+), notebooks run (\d+), errors (\d+), spawn p95 ([\d.]+) s, "
    r"notebook p95 ([\d.]+) s, memory per user (\d+) MB$")


def _load_config(tmp_path, monkeypatch):
    from traitlets.config import Config

    monkeypatch.setenv("STACKKIT_HUB_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("STACKKIT_HUB_STUDENT", str(tmp_path / "student"))
    monkeypatch.setenv("STACKKIT_HUB_PASSWORD", "class-password")
    monkeypatch.setenv("STACKKIT_HUB_ADMIN_PASSWORD", "a" * 32)
    monkeypatch.setenv("STACKKIT_HUB_PORT", "8123")
    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(CONFIG)}
    exec(compile(CONFIG.read_text(encoding="utf-8"), str(CONFIG), "exec"), namespace)
    return config


def test_the_hub_is_for_a_class_on_this_machine(tmp_path, monkeypatch):
    c = _load_config(tmp_path, monkeypatch)
    assert c.JupyterHub.bind_url == "http://127.0.0.1:8123"
    assert c.JupyterHub.hub_ip == "127.0.0.1"
    assert c.JupyterHub.authenticator_class == "shared-password"
    assert c.SharedPasswordAuthenticator.user_password == "class-password"
    assert c.Authenticator.admin_users == {"instructor"}
    assert c.JupyterHub.spawner_class == "simple"
    assert c.SimpleLocalProcessSpawner.home_dir_template.startswith(str(tmp_path / "state"))
    assert Path(c.Spawner.cmd[0]).name == "jupyterhub-singleuser"
    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")
    assert culler["command"][1:3] == ["-m", "jupyterhub_idle_culler"]
    assert "--timeout=3600" in culler["command"]
    role = next(r for r in c.JupyterHub.load_roles if r["name"] == "idle-culler")
    assert "delete:servers" in role["scopes"] and role["services"] == ["idle-culler"]


def test_the_lessons_are_copied_into_a_home_on_the_first_start_only(tmp_path, monkeypatch):
    c = _load_config(tmp_path, monkeypatch)
    student = tmp_path / "student"
    student.mkdir()
    (student / "00_overview.ipynb").write_text("{}", encoding="utf-8")
    home = tmp_path / "state" / "home" / "ada"
    spawner = SimpleNamespace(home_dir=str(home))
    c.Spawner.pre_spawn_hook(spawner)
    assert (home / "00_overview.ipynb").read_text() == "{}"
    (home / "00_overview.ipynb").write_text("my work", encoding="utf-8")
    (home / "00_overview.ipynb").unlink()  # even a deleted lesson is not put back
    c.Spawner.pre_spawn_hook(spawner)
    assert not (home / "00_overview.ipynb").exists()


def test_percentile_is_nearest_rank():
    spec = importlib.util.spec_from_file_location("class_load", ROOT / "tools" / "class_load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["class_load"] = module  # dataclasses look their module up there
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(ROOT / "tools"))
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert module.percentile(values, 95) == 19.0  # ceil(0.95 * 20) = 19th value
    assert module.percentile(values, 50) == 10.0
    assert module.percentile([7.0], 95) == 7.0
    with pytest.raises(SystemExit):
        module.run_class(0, "00_overview", 10)
    with pytest.raises(SystemExit):
        module.run_class(module.MAX_USERS + 1, "00_overview", 10)


@pytest.mark.slow
def test_a_class_of_two_runs_a_lesson_on_a_real_hub():
    if not (ROOT / "node_modules" / ".bin" / "configurable-http-proxy").exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("configurable-http-proxy is missing in CI: .ci/run must run `npm ci`")
        pytest.skip("configurable-http-proxy is missing: run `npm ci`")
    pytest.importorskip("jupyterhub", reason="the hub extra: pip install -e '.[hub]'")
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "class_load.py"), "--users", "2",
         "--lesson", "00_overview", "--timeout-s", "600"],
        capture_output=True, text=True, timeout=700, check=False)
    output = result.stdout + result.stderr
    last = result.stdout.strip().splitlines()[-1]
    match = LAST_LINE.match(last)
    assert match, output[-3000:]
    users, spawned, ran, errors = (int(match.group(i)) for i in range(1, 5))
    assert (users, spawned, ran, errors) == (2, 2, 2, 0), output[-3000:]
    assert 0 < float(match.group(5)) < 600 and 0 < float(match.group(6)) < 600
    assert 50 < int(match.group(7)) < 4000  # a server and a kernel: tens to hundreds of MB
    assert result.returncode == 0
    assert len(re.findall(r"ok \(\d+ cells, \w+Model\.\w+ -> ", output)) == 2, output[-2000:]
