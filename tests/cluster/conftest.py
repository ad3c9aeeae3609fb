"""Three nodes behind HAProxy for the module, on each store the machine can run: one SQLite
file shared by the nodes today, PostgreSQL (and NATS) once their harnesses exist."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.cluster import Cluster
from tests.support.haproxy import haproxy_or_skip

# "sqlite": every node on the same SQLite file (WAL), no bus: the store is all they share.
STORES = ["sqlite"]


def store_url(kind: str) -> str:
    """The URL the nodes share for a store kind ("" = the shared SQLite file)."""
    if kind == "sqlite":
        return ""
    raise ValueError(f"no harness for the {kind} store yet")


@pytest.fixture(scope="module", params=STORES)
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Three nodes with --proxy-protocol on one store, HAProxy (round robin) in front."""
    haproxy_or_skip()
    nodes = Cluster(tmp_path_factory.mktemp("cluster"), store_url=store_url(request.param))
    try:
        yield nodes.start()
    finally:
        nodes.stop()


@pytest.fixture
async def h2c() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP/2 client with prior knowledge, for the h2c ports."""
    async with httpx.AsyncClient(http1=False, http2=True, timeout=30) as client:
        yield client
