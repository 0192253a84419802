"""deploy/: the Zero to JupyterHub values use only documented chart keys, sized from the load test.

The list of documented keys ships in deploy/z2jh-schema-keys.txt (transcribed from the chart's
values.schema.yaml, source and commit in its header). The memory sizing is checked against the
figure deploy/README.md records from tools/class_load.py, so re-measuring and not re-sizing
fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")

DEPLOY = Path(__file__).parents[1] / "deploy"


def _documented() -> tuple[set[str], list[str]]:
    exact, free_form = set(), []
    for line in (DEPLOY / "z2jh-schema-keys.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith(".*"):
            free_form.append(line[:-2])
        else:
            exact.add(line)
    return exact, free_form


def _leaves(node, prefix=""):
    """Dotted paths of the values file's settings (a list or a scalar ends a path)."""
    if isinstance(node, dict) and node:
        for key, value in node.items():
            yield from _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix


def _values() -> dict:
    return yaml.safe_load((DEPLOY / "z2jh-values.yaml").read_text(encoding="utf-8"))


def test_the_key_list_names_its_source():
    header = (DEPLOY / "z2jh-schema-keys.txt").read_text(encoding="utf-8")
    assert re.search(r"github\.com/jupyterhub/zero-to-jupyterhub-k8s/blob/[0-9a-f]{40}/"
                     r"jupyterhub/values\.schema\.yaml", header)
    assert "Chart:" in header


def test_every_value_is_a_documented_chart_key():
    exact, free_form = _documented()
    assert len(exact) > 50 and "cull.timeout" in exact
    unknown = [path for path in _leaves(_values())
               if path not in exact
               and not any(path == f or path.startswith(f + ".") for f in free_form)]
    assert unknown == []


def test_a_misspelt_key_would_be_caught():
    exact, free_form = _documented()
    for wrong in ("singleuser.memory.limits", "cull.timeout_s", "singleuser.image.version"):
        assert wrong not in exact and not any(wrong.startswith(f + ".") for f in free_form)


def test_the_class_configuration_matches_make_hub():
    values = _values()
    assert values["cull"]["enabled"] is True and values["cull"]["timeout"] == 3600
    assert values["singleuser"]["defaultUrl"] == "/lab/tree/00_overview.ipynb"
    hook = " ".join(values["singleuser"]["lifecycleHooks"]["postStart"]["exec"]["command"])
    assert "tools/make_student.py" in hook  # students get the lessons without solutions
    assert "stackkit-lessons-copied" in hook  # once, on the first start
    auth = values["hub"]["config"]["JupyterHub"]["authenticator_class"]
    assert auth == "nativeauthenticator.NativeAuthenticator"
    assert values["hub"]["config"]["Authenticator"]["admin_users"] == ["instructor"]


def _bytes(quantity: str) -> float:
    units = {"K": 1e3, "M": 1e6, "G": 1e9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    number, unit = re.fullmatch(r"([\d.]+)([KMG]i?)", str(quantity)).groups()
    return float(number) * units[unit]


def test_memory_is_sized_from_the_measured_memory_per_student():
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    measured = re.findall(r"(\d+) users: spawned \1, notebooks run \1, errors 0, spawn p95 "
                          r"[\d.]+ s, notebook p95 [\d.]+ s, memory per user (\d+) MB", readme)
    assert measured, "deploy/README.md records no clean class_load.py run"
    heaviest = max(int(mb) for _, mb in measured) * 1e6
    memory = _values()["singleuser"]["memory"]
    guarantee, limit = _bytes(memory["guarantee"]), _bytes(memory["limit"])
    assert heaviest <= guarantee <= 1.5 * heaviest  # a server and the heaviest lesson's kernel
    assert 2 * heaviest <= limit  # room for a second lesson open beside it
    per_node = re.search(r"about (\d+) students per node", readme)
    assert per_node, "deploy/README.md does not say how many students fit on a node"
    node_gb = float(re.search(r"([\d.]+) GB allocatable", readme).group(1))
    assert int(per_node.group(1)) == int(node_gb * 1e9 // guarantee)
