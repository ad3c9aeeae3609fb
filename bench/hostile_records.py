"""Issue 9 items 2 and 4: what hostile record traffic costs the server in memory.

- 20 getRecordData streams on connections that grant no flow-control window, asking for a
  30 MiB record (5 sessions x 4, the per-session cap): RSS growth per stalled stream.
- 12 concurrent 32 MiB addRecord bodies with the body budget at 64 MiB: RSS growth, and how
  many were stored or answered code 5.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bench.verdict import judged
from tests.support.api import Api
from tests.support.record_attacks import concurrent_bodies, stall_record_reads
from tests.support.relay_server import RelayServer

MIB = 1 << 20
STALLED_SESSIONS = 5
READS_PER_SESSION = 4
RECORD_BYTES = 30 * MIB
BODIES = 12
BODY_BYTES = 32 * MIB
BODY_BUDGET = 64 * MIB
T = TypeVar("T")
QUIET = {"CAMRELAY_SERVER_ACCESS_LOG": "false", "CAMRELAY_SERVER_LOG_LEVEL": "warning"}


async def stalled_reads_growth_kib(server: RelayServer) -> tuple[int, int]:
    """(RSS growth in KiB, streams stalled) for the stalled getRecordData attack."""
    await server.add_account("bench", "bench-pw")
    async with httpx.AsyncClient(http2=True, verify=False, timeout=60) as http:
        api = Api(http, server.url)
        cam = await api.login("bench", "bench-pw", "cam")
        rid = (await cam.add_record(os.urandom(RECORD_BYTES), meta="MJPEG"))["rid"]
        readers = [await api.login("bench", "bench-pw", f"phone{i}") for i in range(5)]
        before = server.rss_kib()
        clients = await stall_record_reads(
            server.url, [r.shash for r in readers], rid, READS_PER_SESSION
        )
        try:
            growth = server.rss_kib() - before
            streams = sum(len(c.responses) for c in clients)
        finally:
            for client in clients:
                await client.close()
    return growth, streams


async def large_bodies(server: RelayServer) -> tuple[int, int, int]:
    """(RSS growth in KiB, bodies stored, bodies answered code 5) for 12 concurrent bodies."""
    await server.add_account("bench", "bench-pw")
    async with httpx.AsyncClient(http2=True, verify=False, timeout=60) as http:
        cam = await Api(http, server.url).login("bench", "bench-pw", "cam")
    growth, answers = await concurrent_bodies(server, cam.shash, os.urandom(BODY_BYTES), BODIES)
    busy = sum(1 for a in answers if a == {"result": "BAD", "code": 5})
    return growth, sum(1 for a in answers if a.get("result") == "OK"), busy


def run_on_own_server(
    folder: Path, env: dict[str, str], attack: Callable[[RelayServer], Coroutine[Any, Any, T]]
) -> T:
    """Start a server of its own, run `attack` on it, stop it."""
    server = RelayServer(folder, env={**QUIET, **env}).start()
    try:
        return asyncio.run(attack(server))
    finally:
        server.stop()


def main() -> None:
    print("\n== hostile records (RSS growth of the server)")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        growth, streams = run_on_own_server(root / "reads", {}, stalled_reads_growth_kib)
        print(
            judged(
                f"{streams} stalled getRecordData streams on a {RECORD_BYTES // MIB} MiB record:"
                f" +{growth / 1024:.1f} MiB, {growth / streams:.0f} KiB per stream",
                "< 512 KiB per stream; was ~53 MB",
                growth / streams < 512,
            )
        )
        env = {"CAMRELAY_LIMITS_MAX_BODY_BYTES_IN_FLIGHT": str(BODY_BUDGET)}
        growth, stored, busy = run_on_own_server(root / "bodies", env, large_bodies)
        print(
            judged(
                f"{BODIES} concurrent {BODY_BYTES // MIB} MiB addRecord bodies, budget"
                f" {BODY_BUDGET // MIB} MiB: +{growth / 1024:.0f} MiB, {stored} stored,"
                f" {busy} code 5",
                "< 150 MiB; was +655 MB",
                growth / 1024 < 150,
            )
        )


if __name__ == "__main__":
    main()
