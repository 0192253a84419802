"""JupyterHub configuration for a class on one machine (`make hub`, `tools/class_load.py`).

Read by ``jupyterhub -f deploy/jupyterhub_config.py``; ``tools/hub.py`` sets the environment:

STACKKIT_HUB_DIR        state: database, cookie secret, the students' homes (``home/<name>``)
STACKKIT_HUB_PORT       the public port on 127.0.0.1 (default 8000)
STACKKIT_HUB_STUDENT    folder of the student notebooks copied into each home on first start
STACKKIT_HUB_PASSWORD   the class's shared password (8 characters or more)
STACKKIT_HUB_ADMIN      the admin's user name (default ``instructor``)
STACKKIT_HUB_ADMIN_PASSWORD   the admin's own password (32 characters or more)
STACKKIT_HUB_CULL_S     idle seconds before a server is stopped (default 3600)
STACKKIT_HUB_PROXY      the configurable-http-proxy executable (node_modules/.bin)

Choices, and why:

- ``SharedPasswordAuthenticator`` (built into JupyterHub 5+): one password for the class,
  told in the room; each student picks a user name. No sign-up step and no password database,
  which is what a workshop or a lab session needs. Admins log in with a separate, long password.
  A term-long course where each student keeps a private password would use NativeAuthenticator
  or the university's OAuth instead (deploy/z2jh-values.yaml shows where).
- ``SimpleLocalProcessSpawner``: each student's server is a process of the user that runs the
  hub, with its own home folder. It needs no Unix accounts, so it runs as root in CI and in a
  container; it does not isolate students from each other (one machine you trust, a workshop).
  Past one machine, deploy/ runs a container per student on Kubernetes.
"""

# ruff: noqa: F821 - `c` is the config object JupyterHub passes to this file
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

STATE = Path(os.environ.get("STACKKIT_HUB_DIR", "build/hub")).resolve()
PORT = int(os.environ.get("STACKKIT_HUB_PORT", "8000"))
STUDENT = Path(os.environ.get("STACKKIT_HUB_STUDENT", "build/hub/student")).resolve()
ADMIN = os.environ.get("STACKKIT_HUB_ADMIN", "instructor")
BIN = Path(sys.executable).parent
STATE.mkdir(parents=True, exist_ok=True)

c = get_config()

c.JupyterHub.bind_url = f"http://127.0.0.1:{PORT}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("STACKKIT_HUB_INTERNAL_PORT", "0")) or PORT + 1
c.ConfigurableHTTPProxy.api_url = (
    f"http://127.0.0.1:{int(os.environ.get('STACKKIT_HUB_PROXY_API_PORT', '0')) or PORT + 2}")
c.ConfigurableHTTPProxy.command = [os.environ.get("STACKKIT_HUB_PROXY",
                                                  "configurable-http-proxy")]
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")

c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = os.environ["STACKKIT_HUB_PASSWORD"]
c.SharedPasswordAuthenticator.admin_password = os.environ["STACKKIT_HUB_ADMIN_PASSWORD"]
c.Authenticator.admin_users = {ADMIN}
c.Authenticator.allow_all = True  # anyone with the class password is a student

c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "home" / "{username}")
c.Spawner.cmd = [str(BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab/tree/00_overview.ipynb"
c.Spawner.args = ["--allow-root"] if os.geteuid() == 0 else []
c.Spawner.environment = {"MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
# A class starts together: on two cores twenty servers take a minute or more to answer.
c.Spawner.start_timeout = 600
c.Spawner.http_timeout = 600
c.JupyterHub.concurrent_spawn_limit = 100


def copy_lessons(spawner) -> None:
    """On a student's first start, copy the student notebooks into their home (never again)."""
    home = Path(spawner.home_dir)
    home.mkdir(parents=True, exist_ok=True)
    marker = home / ".stackkit-lessons-copied"
    if marker.exists():
        return
    for notebook in sorted(STUDENT.glob("*.ipynb")):
        if not (home / notebook.name).exists():
            shutil.copy(notebook, home / notebook.name)
    marker.write_text("the lessons were copied here on the first start\n", encoding="utf-8")


c.Spawner.pre_spawn_hook = copy_lessons

cull_s = int(os.environ.get("STACKKIT_HUB_CULL_S", "3600"))
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={cull_s}",
                f"--cull-every={max(10, min(300, cull_s // 2))}"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]
