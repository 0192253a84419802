"""Binder launches: repo2docker accepts binder/, and its pins fit pyproject.toml's ranges.

repo2docker's ``--no-build --debug`` prints the Dockerfile it would build and exits,
without Docker: a cheap proof that the Binder configuration is valid.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _repo2docker() -> list[str] | None:
    if importlib.util.find_spec("repo2docker") is not None:
        return [sys.executable, "-m", "repo2docker"]
    found = shutil.which("repo2docker")
    return [found] if found else None


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line in {".", "-e ."}:
            continue
        requirement = Requirement(line)
        specs = list(requirement.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"binder/requirements.txt: {line!r} is not pinned with == "
            "(a Binder launch must be reproducible)")
        pins[canonicalize_name(requirement.name)] = Version(specs[0].version)
    return pins


def _pyproject_requirements() -> list[tuple[str, Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [("dependencies", Requirement(r)) for r in project["dependencies"]]
    for extra, requirements in project.get("optional-dependencies", {}).items():
        found += [(f"optional-dependencies.{extra}", Requirement(r)) for r in requirements]
    return found


def test_binder_requirements_install_the_kit_and_runtime_is_python_311() -> None:
    lines = [line.split("#", 1)[0].strip()
             for line in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines()]
    assert "." in lines or "-e ." in lines, (
        "binder/requirements.txt must install the kit itself ('.'): with binder/ present, "
        "repo2docker does not install pyproject.toml on its own")
    assert (BINDER / "runtime.txt").read_text(encoding="utf-8").strip() == "python-3.11"


def test_binder_pins_satisfy_pyproject_ranges() -> None:
    pins = _pins()
    runtime = {canonicalize_name(Requirement(r).name) for r in tomllib.loads(
        (ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]}
    # Binder needs every runtime dependency, JupyterLab to open the notebooks, Voila for dashboards.
    missing = sorted((runtime | {"jupyterlab", "voila"}) - pins.keys())
    assert not missing, f"binder/requirements.txt does not pin {missing}"
    clashes = [f"{where}: {req} but binder pins {req.name}=={pins[canonicalize_name(req.name)]}"
               for where, req in _pyproject_requirements()
               if canonicalize_name(req.name) in pins
               and not req.specifier.contains(pins[canonicalize_name(req.name)], prereleases=True)]
    assert not clashes, "binder pins outside pyproject.toml's ranges:\n" + "\n".join(clashes)


@pytest.mark.slow
def test_repo2docker_accepts_binder_config() -> None:
    command = _repo2docker()
    if command is None:
        message = "jupyter-repo2docker is not installed (pip install jupyter-repo2docker)"
        if IN_CI:
            pytest.fail(f"{message}; CI=true, so the Binder check must run")
        pytest.skip(message)
    run = subprocess.run([*command, "--no-build", "--debug", "."], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, check=False)
    assert run.returncode == 0, f"repo2docker exited {run.returncode}:\n{run.stderr[-3000:]}"
    dockerfile = run.stdout + run.stderr
    assert re.search(r"^FROM ", dockerfile, re.MULTILINE), "no Dockerfile printed"
    assert re.search(r"^RUN .*pip install .*-r \"?binder/requirements\.txt", dockerfile,
                     re.MULTILINE), "the Dockerfile does not pip install binder/requirements.txt"
    assert "python=3.11" in dockerfile, "repo2docker did not pick Python 3.11 from runtime.txt"
