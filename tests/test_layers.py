"""The layer order, enforced: a module imports only modules below it (docs/architecture.md).

Reads every module under stackkit/ with ``ast`` (no import, no new dependency) and
checks each ``import`` of a stackkit module, at the top or inside a function, against
the order below. A module not yet written is simply absent; a new module must be
given a place here (and in docs/architecture.md) before its first test passes.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "stackkit"

#: Lowest first. A module may import a module of a lower rank only; modules that share
#: a rank are independent of each other, except inside one lesson's group (data, vectors).
ORDER: tuple[tuple[str, ...], ...] = (
    ("units", "_checks", "_declare", "_results", "exercises", "lessons"),
    ("catalog",),
    ("transformer", "reliability", "bench"),
    ("chips", "fabrication"),
    ("clusters",),
    ("cloud", "trends"),
    ("data", "vectors", "pipeline"),
    ("training",),
    ("serving", "frameworks"),
    ("stack",),
    ("plots",),
    ("widgets",),
)
RANK = {name: rank for rank, names in enumerate(ORDER) for name in names}
SAME_LESSON = ({"data", "vectors", "pipeline"},)

#: Deferred imports that go upward on purpose, each with its reason. Keep this short.
ALLOWED_UPWARD = {
    # Same rank: units formats only finite numbers; _declare imports only _checks.
    ("units", "_declare"): "units declares its formatters' parameters (finite numbers only)",
    ("_declare", "_checks"): "declarations run the shared argument checks",
    ("lessons", "_declare"): "the lesson registry declares its functions' parameters",
}

#: Third-party packages only the front ends (plots, widgets) may import.
FRONT_END_ONLY = ("ipywidgets", "matplotlib", "IPython")


def _unit(path: Path, root: Path = PACKAGE) -> str:
    """The layer a file belongs to: its module name, or its package (plots, widgets)."""
    return path.relative_to(root).with_suffix("").parts[0]


def _package_parts(path: Path, root: Path) -> list[str]:
    parts = ["stackkit", *path.relative_to(root).with_suffix("").parts]
    return parts[:-1]  # the package the file is in (for __init__ too: the package itself)


def imports(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of everything ``path`` imports, anywhere in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_parts(path, root)
                base = package[:len(package) - node.level + 1]
            else:
                base = []
            module = ".".join([*base, *([node.module] if node.module else [])])
            # ``from . import a, b`` imports modules a and b; ``from .x import y`` module x
            if node.module is None:
                found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, module))
    return found


def _stackkit_unit(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "stackkit" or len(parts) < 2:
        return None
    return parts[1]


def violations(root: Path = PACKAGE) -> list[str]:
    """Every import that breaks the layer order, as 'file:line: message'."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        if path == root / "__init__.py":
            continue  # the lazy package entry point names every module on purpose
        unit = _unit(path, root)
        where = path.relative_to(root.parent)
        if unit not in RANK:
            problems.append(f"{where}: module {unit!r} has no place in the layer order "
                            "(add it to tests/test_layers.py ORDER and docs/architecture.md)")
            continue
        for line, name in imports(path, root):
            top = name.split(".")[0]
            if top in FRONT_END_ONLY and unit not in ("plots", "widgets"):
                problems.append(f"{where}:{line}: {unit} imports {top}; only plots and "
                                "widgets may (layer modules stay pure)")
            target = _stackkit_unit(name)
            if target is None or target == unit:
                continue
            if target not in RANK:
                problems.append(f"{where}:{line}: imports unknown stackkit module {target!r}")
                continue
            below = RANK[target] < RANK[unit]
            peers = any({unit, target} <= group for group in SAME_LESSON)
            if not (below or peers or (unit, target) in ALLOWED_UPWARD):
                problems.append(f"{where}:{line}: {unit} (rank {RANK[unit]}) imports {target} "
                                f"(rank {RANK[target]}); a module may import only lower layers")
    return problems


def test_every_import_goes_down_the_layer_order():
    assert violations() == []


def test_the_allowed_exceptions_are_still_needed():
    """An exception that no longer occurs is removed, so the list cannot only grow."""
    used = set()
    for path in PACKAGE.rglob("*.py"):
        unit = _unit(path)
        for _, name in imports(path):
            used.add((unit, _stackkit_unit(name)))
    assert set(ALLOWED_UPWARD) <= used, set(ALLOWED_UPWARD) - used


def test_a_planted_upward_import_is_caught(tmp_path):
    """The checker itself: copy two modules, plant an upward import, see it reported."""
    fake = tmp_path / "stackkit"
    (fake / "plots").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "units.py").write_text("from . import catalog\n")
    (fake / "chips.py").write_text("def f():\n    from .cloud import spot_job\n")
    (fake / "catalog.py").write_text("import matplotlib.pyplot as plt\n")
    (fake / "plots" / "chips.py").write_text("from .. import chips, cloud\nimport matplotlib\n")
    (fake / "newthing.py").write_text("")
    found = "\n".join(violations(fake))
    assert "units (rank 0) imports catalog" in found
    assert "chips (rank 3) imports cloud" in found
    assert "catalog imports matplotlib" in found
    assert "'newthing' has no place" in found
    assert "plots/chips.py" not in found


@pytest.mark.parametrize("module", sorted(RANK))
def test_every_module_in_the_order_is_a_real_name(module):
    """Names in ORDER are modules that exist or lessons that are planned, not typos."""
    planned = {"data", "vectors", "training", "serving", "lessons"}
    exists = (PACKAGE / f"{module}.py").exists() or (PACKAGE / module).is_dir()
    assert exists or module in planned, module


def test_the_architecture_document_places_every_module():
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name in RANK:
        assert name in text, f"docs/architecture.md does not mention {name}"


def test_every_public_module_is_reachable_from_the_package():
    """``import stackkit; stackkit.stack`` works for every module (the package loads lazily
    from ``_SUBMODULES``; a module missing there raised AttributeError)."""
    import stackkit

    public = sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_"))
    public += sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    for name in public:
        assert getattr(stackkit, name).__name__ == f"stackkit.{name}"
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        stackkit.nonesuch  # noqa: B018
