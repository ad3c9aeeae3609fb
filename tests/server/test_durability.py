"""An acknowledged write survives `kill -9` of the server in the middle of a load."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

import httpx

from tests.support.api import Api, Device
from tests.support.relay_server import RelayServer
from tests.support.stored import all_messages, all_records


async def writer(
    device: Device, number: int, rids: list[int], msgs: list[str], stop: float
) -> None:
    """Add records and messages until `stop`, remembering each acknowledged one."""
    n = 0
    # The kill breaks the connection mid-request; httpx/httpcore may surface that as
    # httpx.HTTPError or as anyio's EndOfStream, so any exception ends this writer.
    with contextlib.suppress(Exception):
        while time.monotonic() < stop:
            answer = await device.add_record(b"frame %d-%d " % (number, n) * 500)
            rids.append(answer["rid"])
            name = f"w{number}-{n}"
            if (await device.call("addMsgs", msg=name, target="reader"))["result"] == "OK":
                msgs.append(name)
            n += 1


async def test_acknowledged_writes_survive_kill_9(data_dir: Path) -> None:
    server = RelayServer(data_dir).start()
    await server.add_account("owner", "pw")
    rids: list[int] = []
    msgs: list[str] = []
    async with httpx.AsyncClient(http2=True, verify=False, timeout=10) as http:
        api = Api(http, server.url)
        cam = await api.login("owner", "pw", "cam")
        await cam.call("setConfig", config=[{"kind": 3, "fv": 10000}, {"kind": 4, "fv": 200}])
        devices = [await api.login("owner", "pw", f"cam{i}") for i in range(3)]
        stop = time.monotonic() + 30
        tasks = [asyncio.create_task(writer(d, i, rids, msgs, stop)) for i, d in enumerate(devices)]
        while len(rids) < 60:
            await asyncio.sleep(0.05)
        server.kill()
        await asyncio.gather(*tasks)
    server.start()
    async with httpx.AsyncClient(http2=True, verify=False, timeout=10) as http:
        api = Api(http, server.url)
        reader = await api.login("owner", "pw", "reader")
        stored = await all_records(reader)
        got = await all_messages(reader)
    server.stop()
    assert len(rids) >= 60
    assert set(rids) <= set(stored)
    assert set(msgs) <= set(got)
    assert stored == sorted(stored)
