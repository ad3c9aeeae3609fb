"""Issue 9's figures for hostile clients at the transport: the server's memory before and after
a connect-and-close churn, and a bystander's heartBit latency while a deflate bomb goes off on
input.raw. A fresh `camrelay serve` subprocess for each."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
import zlib
from pathlib import Path

import httpx

from bench.core_api import BENCH_ENV
from bench.h2load import percentile
from bench.server_probe import memory_mib
from bench.verdict import judged
from camrelay.protocol.framing import encode_frame
from tests.support.api import Api
from tests.support.h2_client import H2Client
from tests.support.hostile import churn
from tests.support.metrics import metric
from tests.support.relay_server import RelayServer
from tests.support.until import until

CHURN = int(os.environ.get("BENCH_CHURN", "1500"))
BOMB_FRAMES = 8_000_000
USER, PASSWORD = "bench", "bench-pw"


async def churn_figures(server: RelayServer) -> tuple[float, float, float, float]:
    """(RSS before, RSS after the tasks ended and 5 s more, connections per second, seconds
    until the connection tasks were back to idle)."""
    assert server.process is not None
    pid = server.process.pid
    idle = await metric(server.url, "camrelay_connection_tasks")
    before = memory_mib(pid)[0]
    started = time.monotonic()
    await churn(server.url, CHURN)
    rate = CHURN / (time.monotonic() - started)
    churned = time.monotonic()

    async def ended() -> bool:
        return await metric(server.url, "camrelay_connection_tasks") <= idle

    with contextlib.suppress(AssertionError):  # a slow settle shows in the figure
        await until(ended, timeout=60)
    settle = time.monotonic() - churned
    await asyncio.sleep(5)
    return before, memory_mib(pid)[0], rate, settle


async def bomb_figures(server: RelayServer) -> tuple[list[float], str]:
    """Bystander heartBit latencies (ms) while a deflate bomb is uploaded; the bomb's answer."""
    await server.add_account(USER, PASSWORD)
    async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as http:
        api = Api(http, server.url)
        cam = await api.login(USER, PASSWORD, "cam")
        bystander = await api.login(USER, PASSWORD, "phone")
        bomb = zlib.compress(encode_frame(b"") * BOMB_FRAMES, 9)
        client = await H2Client.connect(server.url)
        query = httpx.QueryParams({"shash": cam.shash, "subproto": "RAW_JPEG"})
        upload = await client.request(
            "PUT", f"/input.raw?{query}", end=False, headers=[("content-encoding", "deflate")]
        )
        sending = asyncio.create_task(client.send(upload, bomb))
        waits = []
        deadline = time.monotonic() + 3  # the bomb and a little after it
        try:
            while time.monotonic() < deadline:
                started = time.perf_counter()
                await bystander.call("heartBit")
                waits.append(1000 * (time.perf_counter() - started))
            answer = (await client.response(upload, timeout=60)).body.decode()
        finally:
            sending.cancel()
            await client.close()
    return waits, answer


def main() -> None:
    print(
        f"\n== hostile transport (issue 9): {CHURN} TLS connect+preface+close; a"
        f" {BOMB_FRAMES // 1_000_000} M-frame deflate bomb on input.raw"
    )
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        server = RelayServer(root / "churn", env=BENCH_ENV).start()
        try:
            before, after, rate, settle = asyncio.run(churn_figures(server))
        finally:
            server.stop()
        print(
            judged(
                f"churn: RSS {before:.0f} MiB before, {after:.0f} MiB after"
                f" ({after - before:+.0f} MiB; {rate:.0f} connections/s; tasks back to idle"
                f" {settle:.1f} s after the last)",
                "within 50 MiB, tasks end within 1 s",
                after - before < 50 and settle <= 1.0,
            )
        )
        server = RelayServer(root / "bomb", env=BENCH_ENV).start()
        try:
            waits, answer = asyncio.run(bomb_figures(server))
        finally:
            server.stop()
        p99 = percentile(waits, 0.99)
        print(
            judged(
                f"deflate bomb: bystander heartBit p50 {percentile(waits, 0.5):.1f} ms,"
                f" p99 {p99:.1f} ms, max {max(waits):.1f} ms over"
                f" {len(waits)} requests; the bomb's answer {answer}",
                "p99 < 50 ms",
                p99 < 50,
            )
        )


if __name__ == "__main__":
    main()
