"""docs/architecture.md is checked against the code, so it cannot drift out of date.

- every name in its public-API block exists, with the parameters it shows;
- its module map lists every module and package of ``stackkit/`` (and no other), as a
  file (``x.py``) or a package (``x/``) as it really is;
- its layer diagram names the same layers, in the same order, as tests/test_layers.py;
- its glossary's retired names appear in no public signature or result field.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
PACKAGE = ROOT / "stackkit"


def _section(title: str) -> str:
    start = DOC.index(f"## {title}")
    end = DOC.find("\n## ", start + 1)
    return DOC[start:end if end != -1 else None]


def _layers_order() -> tuple[tuple[str, ...], ...]:
    spec = importlib.util.spec_from_file_location("_test_layers", ROOT / "tests" / "test_layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ORDER


LAYER_NAMES = {name for rank in _layers_order() for name in rank}


def _api_calls() -> list[tuple[str, str, list[str]]]:
    """(module, name, parameters shown) of every ``module.name(...)`` in the API block."""
    block = _section("The public API (a contract)")
    code = block[block.index("```python"):block.rindex("```")]
    code = "\n".join(line.split("#", 1)[0] for line in code.splitlines())
    code = re.sub(r"\s+", " ", code)
    found = []
    for match in re.finditer(r"\b([a-z_]+)\.([A-Za-z_]\w*)(?:\(([^()]*(?:\([^()]*\)[^()]*)*)\))?",
                             code):
        module, name, args = match.groups()
        if module not in LAYER_NAMES:
            continue
        params = []
        for arg in (args or "").split(","):
            arg = arg.strip().split("=", 1)[0].strip().lstrip("*")
            if re.fullmatch(r"[a-z_]\w*", arg):
                params.append(arg)
        found.append((module, name, params))
    return found


API = _api_calls()


def test_the_api_block_is_read():
    assert len(API) > 60, f"only {len(API)} names read from the API block"


@pytest.mark.parametrize("module,name,params", API, ids=[f"{m}.{n}" for m, n, _ in API])
def test_every_contract_name_exists_with_its_parameters(module, name, params):
    target = getattr(importlib.import_module(f"stackkit.{module}"), name, None)
    assert target is not None, f"stackkit.{module}.{name} is in docs/architecture.md, not in code"
    if not params or not callable(target):
        return
    signature = inspect.signature(target)
    if any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values()):
        known = set(signature.parameters)
        missing = [p for p in params if p not in known and p != "params"]
    else:
        missing = [p for p in params if p not in signature.parameters]
    assert not missing, f"{module}.{name} has no parameter {missing}"


def _map_entries() -> dict[str, str]:
    """module name → how the map writes it (``x.py`` or ``x/``)."""
    rows = re.findall(r"^\| `([\w]+)(\.py|/)` \|", _section("Module map"), flags=re.M)
    return {name: suffix for name, suffix in rows}


def test_the_module_map_lists_every_module_as_it_is():
    listed = _map_entries()
    real = {}
    for path in PACKAGE.iterdir():
        if path.name.startswith("__") or path.name.startswith("."):
            continue
        if path.is_dir() and (path / "__init__.py").exists():
            real[path.name] = "/"
        elif path.suffix == ".py":
            real[path.stem] = ".py"
    kind = [k for k in real.keys() & listed.keys() if real[k] != listed[k]]
    assert listed == real, (f"docs/architecture.md's module map is out of date: "
                            f"missing {sorted(real.keys() - listed.keys())}, "
                            f"no such module {sorted(listed.keys() - real.keys())}, "
                            f"a file shown as a package or back {kind}")


def test_the_layer_diagram_follows_test_layers_order():
    block = _section("The layers")
    diagram = block[block.index("```"):block.index("```", block.index("```") + 3)]
    order = [name for rank in _layers_order() for name in rank
             if name not in ("plots", "widgets")]
    positions = {}
    for line_no, line in enumerate(diagram.splitlines()):
        for name in re.findall(r"\b[a-z_]+\b", line.split("  ")[0] if line.startswith(" ") else ""):
            positions.setdefault(name, line_no)
    missing = [name for name in order if name not in positions]
    assert not missing, f"the layer diagram does not show {missing}"
    # The diagram runs top (highest) to bottom (lowest): a higher rank sits higher up.
    ranks = {name: rank for rank, names in enumerate(_layers_order()) for name in names}
    for a in order:
        for b in order:
            if ranks[a] > ranks[b]:
                assert positions[a] <= positions[b], f"{a} is drawn below {b}"


def _glossary_retired() -> dict[str, str]:
    """retired name → the kit's name, from the glossary table."""
    table = _section("Vocabulary: one name per quantity")
    rows = re.findall(r"^\| ([^|]+) \| `([\w.]+)` \| ([^|]+) \|", table, flags=re.M)
    retired = {}
    for _concept, name, old in rows:
        for item in re.findall(r"`([\w.]+)`", old):
            retired[item] = name
    return retired


RETIRED = _glossary_retired()


def test_the_glossary_is_read():
    assert len(RETIRED) >= 5, RETIRED


def _public_names() -> list[tuple[str, str]]:
    """(where, name) of every parameter of a public function and field of a result."""
    found = []
    for name in LAYER_NAMES - {"plots", "widgets", "_checks", "_results", "exercises"}:
        try:
            module = importlib.import_module(f"stackkit.{name}")
        except ModuleNotFoundError:
            continue
        for attr, obj in vars(module).items():
            if attr.startswith("_"):
                continue
            where = f"{name}.{attr}"
            found.append((where, attr))
            if inspect.isfunction(obj):
                found += [(where, p) for p in inspect.signature(obj).parameters]
            elif dataclasses.is_dataclass(obj):
                found += [(where, f.name) for f in dataclasses.fields(obj)]
    return found


def test_no_public_signature_uses_a_retired_name():
    suffixes = tuple(old for old in RETIRED if old.startswith("_"))
    used = sorted({(where, name) for where, name in _public_names()
                   if name in RETIRED or where in RETIRED or name.endswith(suffixes)})
    assert not used, "retired names (docs/architecture.md's glossary) still in use: " + \
        ", ".join(f"{where}: {name} (use "
                  f"{RETIRED.get(name) or RETIRED.get(where) or 'the glossary name'})"
                  for where, name in used)


#: A file holds one idea: at most this many lines (issue 22).
MAX_FILE_LINES = 600
#: A function reads top to bottom on a screen or two; a longer one says why beside it, in a
#: comment starting "# Long" just above it (above its decorators).
MAX_FUNCTION_LINES = 80


def _sources() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_no_file_holds_more_than_one_screenful_of_ideas():
    long = {str(p.relative_to(ROOT)): n for p in _sources()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES}
    assert not long, f"files over {MAX_FILE_LINES} lines (split them by idea): {long}"


def test_a_long_function_says_why():
    unexplained = []
    for path in _sources():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if node.end_lineno - node.lineno + 1 <= MAX_FUNCTION_LINES:
                continue
            top = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            above = lines[max(0, top - 4):top - 1]
            if not any(line.strip().startswith("# Long") for line in above):
                unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not unexplained, f"functions over {MAX_FUNCTION_LINES} lines without a '# Long' " \
                            f"reason above them: {unexplained}"


def _constant(node: ast.AST) -> bool:
    """A literal, a module constant (UPPER_CASE) or arithmetic of them: a bound that depends
    on no other argument."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.Attribute):
        return node.attr.isupper()
    if isinstance(node, ast.BinOp):
        return _constant(node.left) and _constant(node.right)
    if isinstance(node, ast.UnaryOp):
        return _constant(node.operand)
    return False


def test_a_declared_parameter_is_not_checked_again_in_the_body():
    """Checks are declared once: the body of a ``@declared`` function re-checks a declared
    parameter only against bounds that depend on another argument (``k`` at most the number
    of vectors), never with constant bounds the declaration could state."""
    again = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            declaration = [d for d in node.decorator_list if isinstance(d, ast.Call)
                           and getattr(d.func, "id", None) == "declared"]
            if not declaration:
                continue
            params = {k.arg for k in declaration[0].keywords if k.arg}
            for call in ast.walk(node):
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                        and getattr(call.func.value, "id", None) == "_checks"
                        and len(call.args) >= 2 and isinstance(call.args[0], ast.Constant)
                        and call.args[0].value in params
                        and isinstance(call.args[1], ast.Name)
                        and call.args[1].id == call.args[0].value):
                    continue
                bounds = [*call.args[2:], *(k.value for k in call.keywords)]
                if all(_constant(b) for b in bounds):
                    again.append(f"{path.relative_to(ROOT)}:{call.lineno} {node.name}: "
                                 f"_checks.{call.func.attr}({call.args[0].value!r}, ...)")
    assert not again, "declared parameters checked again in the body (state the range in " \
                      "the declaration instead): " + "; ".join(again)
