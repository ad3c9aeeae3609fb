"""A node of a bus is started when it has joined (RelayServer.start): a test acting at once
never acts before the node hears the others; one that never joins fails its start, saying why."""

from __future__ import annotations

import pytest

from tests.support.metrics import metric
from tests.support.nats import NatsServer
from tests.support.relay_server import RelayServer, free_port


async def test_a_started_node_is_on_the_bus_at_once(
    nodes: list[RelayServer], nats: NatsServer
) -> None:
    node = RelayServer(nodes[0].data_dir, bus_url=nats.url, name="joining").start()
    try:
        assert await metric(node.url, "camrelay_bus_connected") == 1
    finally:
        assert node.stop() == 0


async def test_a_node_that_cannot_join_fails_naming_itself_and_showing_its_log(
    nodes: list[RelayServer],
) -> None:
    nowhere = f"nats://127.0.0.1:{free_port()}"
    node = RelayServer(nodes[0].data_dir, bus_url=nowhere, name="lonely").launch()
    try:
        with pytest.raises(RuntimeError) as failed:
            node.wait_joined(timeout=1)
        message = str(failed.value)
        assert message.startswith(f"lonely did not join the bus {nowhere} within 1 s:\n")
        assert "does not answer" in message  # the node's own log says what it met
    finally:
        assert node.stop() == 0
