"""Nodes of a cluster on this machine: camrelay servers sharing one store and one NATS."""

from __future__ import annotations

from pathlib import Path

from tests.support.api import Api, Device
from tests.support.nats import NatsServer
from tests.support.relay_server import RelayServer

ROOMY = [{"kind": 3, "fv": 10_000}, {"kind": 4, "fv": 200}]  # request caps out of the way


def start_nodes(folder: Path, nats: NatsServer, count: int = 2) -> list[RelayServer]:
    """`count` nodes on the data directory `folder` (one SQLite file in WAL mode), joined
    through `nats`."""
    return [RelayServer(folder, bus_url=nats.url, name=f"node{i}").start() for i in range(count)]


async def sign_in(api: Api, account: tuple[str, str], device: str) -> Device:
    """A device of the account signed in on the node `api` talks to, its caps roomy."""
    who = await api.login(*account, device=device)
    answer = await who.call("setConfig", config=ROOMY)
    assert answer["result"] == "OK", answer
    return who
