"""Nodes on this machine sharing one store and one NATS, and the stream helpers their tests use."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from camrelay.protocol.framing import encode_frame
from tests.support.api import Api, Device
from tests.support.h2_client import H2Client
from tests.support.nats import NatsServer
from tests.support.relay_server import RelayServer
from tests.support.until import until

ROOMY = [{"kind": 3, "fv": 10_000}, {"kind": 4, "fv": 200}]  # request caps out of the way


def start_nodes(
    folder: Path, nats: NatsServer, count: int = 2, env: dict[str, str] | None = None
) -> list[RelayServer]:
    """`count` nodes on the data directory `folder` (one SQLite file in WAL mode), joined
    through `nats` (each on the bus once started), with `env` added to their environment."""
    return [
        RelayServer(folder, env=dict(env or {}), bus_url=nats.url, name=f"node{i}").start()
        for i in range(count)
    ]


async def sign_in(api: Api, account: tuple[str, str], device: str) -> Device:
    """A device of the account signed in on the node `api` talks to, its caps roomy."""
    who = await api.login(*account, device=device)
    answer = await who.call("setConfig", config=ROOMY)
    assert answer["result"] == "OK", answer
    return who


def q(who: Device, **extra: str) -> str:
    return str(httpx.QueryParams({"shash": who.shash, **extra}))


async def start_upload(client: H2Client, cam: Device, subproto: str = "RAW_JPEG") -> int:
    """An input.raw of `cam` left open for frames."""
    return await client.request("PUT", f"/input.raw?{q(cam, subproto=subproto)}", end=False)


async def open_viewer(client: H2Client, viewer: Device, device: str = "cam") -> int:
    stream = await client.request("GET", f"/output.raw?{q(viewer, device=device)}")
    await asyncio.wait_for(client.responses[stream].headers_seen.wait(), 5)
    return stream


async def listed(viewer: Device, name: str = "cam") -> None:
    """Wait until getStreams on the viewer's node lists the device."""

    async def found() -> bool:
        return any(d["device"] == name for d in (await viewer.call("getStreams"))["devices"])

    await until(found, timeout=5, every=0.01, what=f"getStreams lists {name}")


@contextlib.asynccontextmanager
async def pushing(node: RelayServer, cam: Device, payload: bytes = b"") -> AsyncIterator[H2Client]:
    """An upload of `cam` to `node` sending a small frame (`payload`, else 500 random bytes)
    every 20 ms until the block ends."""
    client = await H2Client.connect(node.url)
    upload = await start_upload(client, cam)

    async def frames() -> None:
        while True:
            await client.send(upload, encode_frame(payload or os.urandom(500)))
            await asyncio.sleep(0.02)

    sender = asyncio.create_task(frames())
    try:
        yield client
    finally:
        sender.cancel()
        with contextlib.suppress(Exception):
            await client.close()


async def growing(client: H2Client, stream: int) -> None:
    """Wait until the viewer receives more frames."""
    size = len(client.responses[stream].body)
    await until(lambda: len(client.responses[stream].body) > size, timeout=10, what="frames")


async def per_minute(device: Device) -> float:
    """The account's kind 4 (requests per minute) as the device's node has it."""
    answer = await device.call("getConfig")
    return next(float(c["fv"]) for c in answer["config"] if c["kind"] == 4)
