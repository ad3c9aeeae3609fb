"""Issue 12's figures for the state-sync socket (/api/v1): broadcast latency from one write to
10, 100 and 500 sockets on one camera (p50/p99), the writes one socket sustains, and the
server's RSS growth with 500 sockets open.

The reading sockets are on the h2c port (ws), logged in with one token, in RECEIVER_PROCS node
processes, so the clients' own parsing does not sit in the measured time more than it must; the
writer is a Python `websockets` client. Each broadcast is timed from just before its write is
sent to its arrival at each socket, on the system-wide monotonic clock. Each row runs twice
(BENCH_STATE_CLIENTS): with the lean client (bench/lean_receivers.py: plain sockets on one
epoll loop, stamped where the bytes are read), which the target is judged on, and with node's `ws`
(the client of the document's own examples, bench/js/state_receivers.mjs). The readers share
the machine's two cores with the relay, where real clients bring their own machines: the CPU
each spends on a write is printed beside its row (with `ws`, 100 readers take more than the
relay itself)."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import websockets

from bench.client_processes import ClientProcesses, lean, node
from bench.core_api import BENCH_ENV
from bench.h2load import percentile
from bench.server_probe import CpuSplit, memory_mib, settled
from bench.verdict import judged
from tests.support.relay_server import RelayServer

USER, PASSWORD, CAMERA = "bench", "bench-pw", "cam"
WRITES = int(os.environ.get("BENCH_STATE_WRITES", "50"))  # timed broadcasts per socket count
WARM_UP = 5  # untimed writes opening each row
THROUGHPUT_WRITES = int(os.environ.get("BENCH_STATE_THROUGHPUT_WRITES", "2000"))
RECEIVER_PROCS = int(os.environ.get("BENCH_STATE_PROCS", "2"))
READERS = {"lean": lean("state"), "ws": node("state_receivers.mjs")}
CLIENTS = os.environ.get("BENCH_STATE_CLIENTS", "lean,ws").split(",")
JUDGED = "lean"  # the client whose rows carry the targets
SOCKET_COUNTS = (10, 100, 500)
TARGET_P99_MS = {100: 10.0, 500: 100.0}
TARGET_RSS_MIB = 100.0
STATE_ENV = {
    **BENCH_ENV,
    "CAMRELAY_STATE_RATE_PER_S": "1000000",
    "CAMRELAY_SERVER_MAX_CONNECTIONS_PER_ADDRESS": "4096",
}


async def logged_in(url: str, token: str) -> websockets.ClientConnection:
    """A socket on the camera, past its login answer and snapshot."""
    ws = await websockets.connect(url, max_queue=None, compression=None)
    await ws.send(json.dumps({"token": token}))
    answer = json.loads(await ws.recv())
    assert answer.get("authenticated") is True, answer
    await ws.recv()  # the snapshot
    return ws


@dataclass(frozen=True)
class Broadcasts:
    """WRITES broadcasts: each reader's latencies (ms), and the CPU of one (ms) in the server
    and in the reading processes (they share the machine's two cores)."""

    latencies: list[float]
    server_ms: float
    readers_ms: float


async def broadcast_latency(
    url: str, token: str, sockets: int, server_pid: int, client: str
) -> Broadcasts:
    """WRITES writes, each to every one of `sockets` readers of the `client` kind."""
    readers = ClientProcesses(READERS[client], url, token, sockets, RECEIVER_PROCS)
    await readers.start()
    sent: dict[int, int] = {}
    writer = await logged_in(url, token)
    cpu = CpuSplit(server_pid, readers.pids)
    for i in range(WARM_UP + WRITES):
        value = i % 101  # every write differs from the one before
        if i == WARM_UP:
            cpu.start()
        if i >= WARM_UP:  # the first few, after the last row's sockets went, are not timed
            sent[value] = time.monotonic_ns()
        await writer.send(json.dumps({"brightness": value}))
        await writer.recv()  # the confirmation: the broadcast is on its way
        # A pause, so each write meets idle readers rather than the last write's queue.
        await asyncio.sleep(0.02 + sockets * 0.0004)
    cpu.stop()
    await writer.close()
    latencies: list[float] = []
    stopped = await readers.stop()
    await settled()
    for arrivals in stopped:
        for seen in arrivals:
            latencies.extend((int(ns) - sent[value]) / 1e6 for value, ns in seen if value in sent)
    return Broadcasts(latencies, 1000 * cpu.server_s / WRITES, 1000 * cpu.clients_s / WRITES)


async def writes_per_s(url: str, token: str) -> float:
    """Writes one socket gets confirmed per second, pipelined."""
    ws = await logged_in(url, token)
    started = time.perf_counter()

    async def confirmations() -> None:
        for _ in range(THROUGHPUT_WRITES):
            await ws.recv()

    reading = asyncio.create_task(confirmations())
    for i in range(THROUGHPUT_WRITES):
        await ws.send(json.dumps({"contrast": i % 101}))
    await reading
    elapsed = time.perf_counter() - started
    await ws.close()
    return THROUGHPUT_WRITES / elapsed


async def rss_growth(server: RelayServer, url: str, token: str, sockets: int) -> float:
    """MiB the server's RSS grows by with `sockets` logged-in sockets open."""
    assert server.process is not None
    before, _ = memory_mib(server.process.pid)
    held = [await logged_in(url, token) for _ in range(sockets)]
    after, _ = memory_mib(server.process.pid)
    for ws in held:
        await ws.close()
    await settled()
    return after - before


async def prepare(server: RelayServer) -> tuple[str, str]:
    """The account, its camera and a token; the ws URL of the camera."""
    await server.add_account(USER, PASSWORD)
    await server.add_camera(USER, CAMERA)
    async with httpx.AsyncClient(verify=False) as http:
        answer = await http.post(
            f"{server.url}/api/login", json={"username": USER, "password": PASSWORD}
        )
    token = answer.json()["token"]
    url = server.h2c_url.replace("http://", "ws://") + f"/api/v1?device={CAMERA}"
    return url, token


async def measure(server: RelayServer) -> None:
    url, token = await prepare(server)
    growth = await rss_growth(server, url, token, 500)
    assert server.process is not None
    for sockets, client in ((s, c) for s in SOCKET_COUNTS for c in CLIENTS):
        found = await broadcast_latency(url, token, sockets, server.process.pid, client)
        latencies, expected = found.latencies, WRITES * sockets
        p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
        line = f"{sockets:4d} sockets {client:>4}  p50 {p50:6.2f} ms  p99 {p99:7.2f} ms"
        line += f"  ({len(latencies)}/{expected} received; CPU a write: server"
        line += f" {found.server_ms:.2f} ms, readers {found.readers_ms:.2f} ms)"
        target = TARGET_P99_MS.get(sockets)
        if target is None or client != JUDGED:
            print(f"  {line}")
        else:
            met = p99 < target and len(latencies) == expected
            print(judged(line, f"p99 < {target:g} ms, all received", met))
    print(f"  one socket: {await writes_per_s(url, token):8.0f} confirmed writes/s")
    print(
        judged(f"server RSS growth with 500 sockets {growth:6.1f} MiB", "< 100 MiB", growth < 100)
    )


def main() -> None:
    print(f"\n== state sync (/api/v1 over ws, {WRITES} writes per socket count)")
    with tempfile.TemporaryDirectory() as folder:
        server = RelayServer(Path(folder) / "relay", env=STATE_ENV).start()
        try:
            asyncio.run(measure(server))
        finally:
            server.stop()
