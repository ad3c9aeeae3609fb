"""What a module imports, read from its source: absolute module names, relative ones resolved."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    """camrelay/server/core/db.py -> camrelay.server.core.db."""
    parts = list(path.resolve().relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports (each `from X import a` also as X.a, which may be one)."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def offenders(package: str, forbidden: tuple[str, ...]) -> set[str]:
    """`file: module` for every import under `package` of a forbidden module or its children."""
    folder = ROOT.joinpath(*package.split("."))
    return {
        f"{path.relative_to(ROOT)}: {name}"
        for path in folder.rglob("*.py")
        for name in imported_modules(path)
        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
    }


def module_graph(package: str) -> dict[str, set[str]]:
    """Each module under `package` and the modules under it that it imports, at any depth of
    its source (TYPE_CHECKING blocks and function bodies included)."""
    folder = ROOT.joinpath(*package.split("."))
    files = {module_name(path): path for path in folder.rglob("*.py")}
    return {name: imported_modules(path) & files.keys() for name, path in files.items()}


def import_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the import graph as [a, b, …, a] (a imports b, …), or [] when none."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return list(reversed(error.args[1]))
    return []
