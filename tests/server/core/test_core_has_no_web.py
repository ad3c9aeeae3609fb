"""The core imports no web framework: it is usable and testable without a server."""

from __future__ import annotations

from tests.support.imports import ROOT, offenders

FORBIDDEN = ("quart", "hypercorn", "camrelay.server.faces", "h2", "httpx")


def test_core_modules_import_no_web_framework() -> None:
    assert offenders("camrelay.server.core", FORBIDDEN) == set()
    assert len(list((ROOT / "camrelay/server/core").glob("*.py"))) >= 10
