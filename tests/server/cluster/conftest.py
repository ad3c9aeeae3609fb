"""Two camrelay nodes sharing one store (one SQLite file in WAL mode) and one real NATS server:
a cluster on this machine before PostgreSQL, for the bus, session, stream and state tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.support.nats import NatsServer, own_nats
from tests.support.node_pair import start_nodes
from tests.support.relay_server import RelayServer

_names = itertools.count(1)


@pytest.fixture(scope="module")
def nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A NATS server of the module's own (a fault test may stop it)."""
    yield from own_nats(tmp_path_factory)


@pytest.fixture(scope="module")
def nodes(
    tmp_path_factory: pytest.TempPathFactory, nats: NatsServer
) -> Iterator[list[RelayServer]]:
    """Two nodes, A and B, on one store and one NATS."""
    started = start_nodes(tmp_path_factory.mktemp("cluster"), nats)
    yield started
    for node in started:
        node.stop()


@pytest.fixture
async def account(nodes: list[RelayServer]) -> tuple[str, str]:
    """A new account (name, password) in the nodes' store."""
    name, password = f"acct{next(_names)}", f"pw-{next(_names)}"
    await nodes[0].add_account(name, password)
    return name, password
