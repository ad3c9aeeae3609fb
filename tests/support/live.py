"""Live streams over raw HTTP/2 (tests/support/h2_client.py): an input.raw upload and output.raw
viewers that open again when their stream ends (a viewer re-attaching after its node or its
camera's node went away)."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.h2_client import H2Client

OCTETS = "application/octet-stream"


def query(shash: str, **extra: str) -> str:
    return str(httpx.QueryParams({"shash": shash, **extra}))


async def start_upload(client: H2Client, shash: str) -> int:
    """PUT input.raw, left open for the frames."""
    return await client.request("PUT", f"/input.raw?{query(shash, subproto='RAW_JPEG')}", end=False)


async def open_viewer(client: H2Client, shash: str, device: str, attempts: int = 500) -> int:
    """GET output.raw of `device`, again while the stream is not there yet (its node may not
    know it yet); the stream id of the viewer that got the octet stream."""
    for _ in range(attempts):
        stream = await client.request("GET", f"/output.raw?{query(shash, device=device)}")
        response = client.responses[stream]
        await asyncio.wait_for(response.headers_seen.wait(), 10)
        if response.status == 200 and response.headers.get("content-type") == OCTETS:
            return stream
        await response.ended.wait()
        await asyncio.sleep(0.02)
    raise AssertionError(f"output.raw of {device} never started")


async def watch_until(url: str, shash: str, device: str, wanted: bytes) -> int:
    """A viewer on `url` that opens output.raw again each time its stream ends, until it has
    received `wanted`; returns how many times it opened it."""
    client = await H2Client.connect(url)
    try:
        opened = 0
        while True:
            stream = await open_viewer(client, shash, device)
            opened += 1
            response = client.responses[stream]
            while wanted not in response.body and not response.ended.is_set():
                response.data_seen.clear()
                ended = asyncio.create_task(response.ended.wait())
                data = asyncio.create_task(response.data_seen.wait())
                await asyncio.wait({ended, data}, return_when=asyncio.FIRST_COMPLETED)
                ended.cancel()
                data.cancel()
            if wanted in response.body:
                return opened
    finally:
        await client.close()
