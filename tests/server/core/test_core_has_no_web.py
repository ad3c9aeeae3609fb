"""The core imports no web framework: it is usable and testable without a server."""

from __future__ import annotations

import ast
from pathlib import Path

import camrelay.server.core as core_package

FORBIDDEN = ("quart", "hypercorn", "camrelay.server.faces", "h2", "httpx")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            prefix = "." * node.level
            names.add(prefix + node.module)
    return names


def test_core_modules_import_no_web_framework() -> None:
    folder = Path(core_package.__file__).parent
    offenders = {
        f"{path.name}: {name}"
        for path in folder.glob("*.py")
        for name in imported_modules(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
        or name.startswith("..faces")
    }
    assert offenders == set()
    assert len(list(folder.glob("*.py"))) >= 10
