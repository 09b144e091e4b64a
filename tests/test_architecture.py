"""The structure of docs/architecture.md, checked: the layers and edges (import-linter, with no
exemption), no private name across modules, modules and functions of a readable size, and no
command-line flag spelled below the command line."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "jaccli"
MAX_MODULE_LINES = 450


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imported(module: str, path: Path, node: ast.ImportFrom) -> list[tuple[str, str, str]]:
    """``(module, name, bound as)`` for what a ``from … import`` inside ``module`` names."""
    if not node.level:
        base = node.module or ""
        if not base.startswith("jaccli"):
            return []
        base = base.removeprefix("jaccli").lstrip(".")
    else:
        parts = module.split(".") if module else []
        keep = len(parts) - node.level + (1 if path.name == "__init__.py" else 0)
        base = ".".join(parts[:keep] + ([node.module] if node.module else []))
    return [(base, alias.name, alias.asname or alias.name) for alias in node.names]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_the_import_contracts_hold() -> None:
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def test_no_import_is_exempt_from_the_contracts() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert [c["name"] for c in config["contracts"] if c.get("ignore_imports")] == []


def test_no_private_name_crosses_a_module() -> None:
    modules = _modules()
    crossings = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        bound: dict[str, str] = {}
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            for base, name, alias in _imported(module, path, node):
                full = f"{base}.{name}" if base else name
                if full in modules:
                    bound[alias] = full
                elif _private(name) and base in modules and base != module:
                    crossings.append(f"{module} imports {base}.{name}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and bound.get(node.value.id, module) != module
                and _private(node.attr)
            ):
                crossings.append(f"{module} uses {bound[node.value.id]}.{node.attr}")
    assert sorted(set(crossings)) == []


@pytest.mark.parametrize("module", sorted(_modules()))
def test_modules_stay_readable(module: str) -> None:
    lines = len(_modules()[module].read_text().splitlines())
    assert lines <= MAX_MODULE_LINES


def test_the_layer_contract_names_every_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = config["contracts"][0]["layers"]
    named = {name.strip() for layer in layers for name in layer.split("|")}
    packages = {
        path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").exists()
    }
    assert packages <= named


# The packages that speak the command line's language: the CLI itself, and the renderers only
# it uses. Everything below names options as its caller does (`Problem.labels`).
SPEAK_FLAGS = ("_cli", "_render")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]+")


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """The string constants of a module (f-string parts included), docstrings left out."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_lower_layers_never_spell_a_flag() -> None:
    spelled = []
    for module, path in _modules().items():
        if module.split(".")[0] in SPEAK_FLAGS:
            continue
        for line, text in _strings(ast.parse(path.read_text(), str(path))):
            spelled += [f"{module}:{line} {flag}" for flag in FLAG.findall(text)]
    assert spelled == []


MAX_FUNCTION_LINES = 60
# Functions that are tables (one entry a line) rather than logic.
TABLES: set[str] = set()


def _function_lengths() -> dict[str, int]:
    """Each function's length in lines, its docstring left out."""
    lengths = {}
    for module, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                first = node.body[0]
                docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                skipped = first.end_lineno - first.lineno + 1 if docstring else 0
                lengths[f"{module}.{node.name}"] = node.end_lineno - node.lineno + 1 - skipped
    return lengths


def test_functions_stay_short() -> None:
    too_long = {
        name: lines
        for name, lines in _function_lengths().items()
        if name not in TABLES and lines > MAX_FUNCTION_LINES
    }
    assert too_long == {}


def _import_graph() -> dict[str, set[str]]:
    """Which jaccli modules each module imports, at the top or inside a function."""
    modules = _modules()
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                for base, name, _ in _imported(module, path, node):
                    full = f"{base}.{name}" if base else name
                    target = full if full in modules else base
                    if target in modules and target != module:
                        graph[module].add(target)
    return graph


def _reaches(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in graph[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def test_no_import_cycle() -> None:
    """Not even through an import inside a function: hiding a cycle there does not fix it. A
    package's __init__ importing its own modules is no cycle unless one of them imports it back."""
    graph = _import_graph()
    cycles = sorted(
        module
        for module in graph
        if module in _reaches(graph, module)
        and not any(module.startswith(f"{other}.") for other in _reaches(graph, module))
    )
    assert cycles == []
