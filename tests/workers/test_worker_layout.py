"""The workers' modules import each other in one direction: no module imports its own
importer, and the routes know the worker only through their own Protocol (the composition
root, app.py, builds the worker and the apps on it)."""

from __future__ import annotations

import pytest

from tests.support.imports import ROOT, import_cycle, imported_modules, module_graph

ROUTES = ("alarm.feed_routes", "alarm.page_routes", "counter.feed_routes")


def test_no_import_cycle_between_worker_modules() -> None:
    graph = module_graph("camrelay.workers")
    assert "camrelay.workers.alarm.worker" in graph["camrelay.workers.alarm.app"]
    assert import_cycle(graph) == []


def test_a_cycle_is_found_with_its_path() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_cycle(graph) in (["a", "b", "c", "a"], ["b", "c", "a", "b"], ["c", "a", "b", "c"])
    assert import_cycle({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("routes", ROUTES)
def test_routes_never_import_the_worker_or_its_app(routes: str) -> None:
    kind = routes.split(".")[0]
    path = ROOT / "camrelay" / "workers" / f"{routes.replace('.', '/')}.py"
    forbidden = {f"camrelay.workers.{kind}.worker", f"camrelay.workers.{kind}.app"}
    assert imported_modules(path) & forbidden == set()
