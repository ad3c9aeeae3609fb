"""Three nodes behind HAProxy, on each store the machine can run (STORE_KINDS)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from importlib.util import find_spec

import httpx
import pytest

from tests.support.cluster import STORE_KINDS, Cluster, store_url
from tests.support.haproxy import haproxy_or_skip


@pytest.fixture(scope="module", params=STORE_KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    """The store the module's clusters share (each test module runs once per kind)."""
    haproxy_or_skip()
    return str(request.param)


@pytest.fixture(scope="module")
def bus_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The NATS server of the module's nodes; "" (no bus: the store is all the nodes share)
    until the NATS harness (tests/support/nats.py, nats branch) is there."""
    if find_spec("tests.support.nats") is None:
        yield ""
        return
    from tests.support.nats import NatsServer, nats_server_or_skip

    nats_server_or_skip()
    server = NatsServer(tmp_path_factory.mktemp("nats")).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def cluster(
    store_kind: str, bus_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Three nodes with --proxy-protocol on one store and bus, HAProxy (round robin) in front."""
    folder = tmp_path_factory.mktemp("cluster")
    with Cluster(folder, store_url=store_url(store_kind), bus_url=bus_url) as nodes:
        yield nodes


@pytest.fixture
async def h2c() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP/2 client with prior knowledge, for the h2c ports."""
    async with httpx.AsyncClient(http1=False, http2=True, timeout=30) as client:
        yield client
