"""Three nodes behind HAProxy on real PostgreSQL and real NATS: one cluster per test process
(xdist worker) for the tests that leave it whole; the fault tests start their own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support.cluster import Cluster, store_url
from tests.support.haproxy import haproxy_or_skip
from tests.support.nats import NatsServer, nats_server_or_skip


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Three nodes with --proxy-protocol on a fresh PostgreSQL database and a NATS server of
    their own, HAProxy (round robin) in front. Each test makes its own account."""
    haproxy_or_skip()
    nats_server_or_skip()
    nats = NatsServer(tmp_path_factory.mktemp("nats")).start()
    folder = tmp_path_factory.mktemp("cluster")
    try:
        with Cluster(folder, store_url=store_url("postgresql"), bus_url=nats.url) as nodes:
            yield nodes
    finally:
        nats.stop()


@pytest.fixture
async def h2c() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP/2 client with prior knowledge, for the h2c ports."""
    async with httpx.AsyncClient(http1=False, http2=True, timeout=30) as client:
        yield client
