"""Issue 11's figures for the Socket.IO admin API: events from the core to 1, 100 and 500 admin
sockets (latency from the request that publishes the event to its receipt on each socket), and
request round trips per second on one socket.

The server is a `camrelay serve` subprocess; the sockets are clients over WebSocket on the
h2c port, spread over BENCH_ADMIN_PROCESSES (4) processes of their own (bench/admin_receivers.py),
so the figure is the relay's, not one client process's queue. Each row runs twice
(BENCH_ADMIN_CLIENTS): with a lean client speaking Engine.IO/Socket.IO on a plain WebSocket
(bench/lean_receivers.py, stamped where the bytes are read), which the target is judged on, and
with the official socket.io-client (bench/js/admin_receivers.mjs), what admin pages run. The
receivers share the machine's two cores with the relay, where real admins bring their own
machines: the CPU each spends on an event is printed beside its row (socket.io-client decodes
each event's four packets on each socket: at 100 sockets several times the relay's CPU).
Each event is a viewer asking for a camera that is
not streaming (output.raw answers 13 at once and the core publishes `camera:demand`), so the
figure holds the HTTP request, the bus, the face and the Socket.IO send: an upper bound of
publish → receipt."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import socketio

from bench.admin_receivers import AdminReceivers
from bench.core_api import BENCH_ENV
from bench.h2load import percentile
from bench.server_probe import CpuSplit, settled
from bench.verdict import judged
from tests.support.relay_server import RelayServer

USER, PASSWORD = "benchadmin", "bench-admin-pw"
EVENTS = int(os.environ.get("BENCH_ADMIN_EVENTS", "50"))
ROUND_TRIPS = int(os.environ.get("BENCH_ADMIN_ROUND_TRIPS", "2000"))
SOCKET_COUNTS = (1, 100, 500)
PROCESSES = int(os.environ.get("BENCH_ADMIN_PROCESSES", "4"))  # the sockets' processes
CLIENTS = os.environ.get("BENCH_ADMIN_CLIENTS", "lean,socket.io-client").split(",")
JUDGED = "lean"  # the client whose row carries the target
TARGET_SOCKETS, TARGET_P99_MS = 100, 20.0
ADMIN_ENV = {
    **BENCH_ENV,
    "CAMRELAY_ADMIN_SIO_MAX_SOCKETS_PER_ACCOUNT": "1000",
    "CAMRELAY_ADMIN_SIO_MAX_SOCKETS_PER_ADDRESS": "1000",
    "CAMRELAY_SERVER_MAX_CONNECTIONS_PER_ADDRESS": "2000",  # every socket is from 127.0.0.1
}


async def token_of(http: httpx.AsyncClient, url: str) -> str:
    answer = await http.post(f"{url}/api/login", json={"username": USER, "password": PASSWORD})
    answer.raise_for_status()
    return str(answer.json()["token"])


async def shash_of(http: httpx.AsyncClient, url: str) -> str:
    body = {"name": USER, "pass": PASSWORD, "device": "bench-viewer"}
    answer = (await http.post(f"{url}/authorize.json", json=body)).json()
    return str(answer["shash"])


@dataclass(frozen=True)
class Events:
    """EVENTS events to every socket: milliseconds from each triggering request and from each
    event's `at` to each socket's receipt; CPU of one event (ms) in the server and in the
    receiving processes (they share the machine's two cores)."""

    from_request: list[float]
    from_at: list[float]
    server_ms: float
    receivers_ms: float


async def event_latencies(
    url: str, token: str, shash: str, count: int, server_pid: int, client: str
) -> Events:
    """EVENTS events, each to `count` sockets of the `client` kind."""
    receivers = AdminReceivers(url, token, count, PROCESSES, client)
    await receivers.ready()
    sent: list[float] = []
    cpu = CpuSplit(server_pid, receivers.pids)
    cpu.start()
    async with httpx.AsyncClient(http2=True, timeout=30) as http:
        params = {"shash": shash, "device": "no-such-camera"}
        for index in range(EVENTS):
            sent.append(time.monotonic())
            await http.get(f"{url}/output.raw", params=params)
            await receivers.received(index)
    cpu.stop()
    arrivals = await receivers.arrivals()
    await settled()
    latencies = [(times[i] - sent[i]) * 1000 for times in arrivals.times for i in range(EVENTS)]
    per_event = 1000 / EVENTS
    return Events(latencies, arrivals.since_at, cpu.server_s * per_event, cpu.clients_s * per_event)


async def round_trips(url: str, token: str) -> float:
    """Requests answered per second on one socket, one at a time."""
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(url, auth={"token": token}, transports=["websocket"])
    try:
        start = time.perf_counter()
        for index in range(ROUND_TRIPS):
            assert await _one(client, index)
        return ROUND_TRIPS / (time.perf_counter() - start)
    finally:
        await client.disconnect()


async def _one(client: socketio.AsyncClient, index: int) -> object:
    """One request, answered on its own requestId."""
    done: asyncio.Future[object] = asyncio.get_running_loop().create_future()
    request_id = f"r{index}"
    client.on(request_id, lambda data: done.set_result(data))
    await client.emit("request", {"command": "list", "module": "health", "requestId": request_id})
    answer = await asyncio.wait_for(done, 10)
    client.handlers["/"].pop(request_id, None)
    return answer


async def measure(server: RelayServer) -> None:
    async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as http:
        token = await token_of(http, server.url)
        shash = await shash_of(http, server.h2c_url)
    print(f"  machine load average (1 min) before: {os.getloadavg()[0]:.1f}")
    assert server.process is not None
    for count, client in ((n, c) for n in SOCKET_COUNTS for c in CLIENTS):
        found = await event_latencies(
            server.h2c_url, token, shash, count, server.process.pid, client
        )
        p50, p99 = percentile(found.from_request, 0.5), percentile(found.from_request, 0.99)
        figure = f"{count:>4} sockets {client:>16}: p50 {p50:7.2f} ms  p99 {p99:7.2f} ms"
        at50, at99 = percentile(found.from_at, 0.5), percentile(found.from_at, 0.99)
        figure += f"  (from `at`: p50 {at50:7.2f} ms  p99 {at99:7.2f} ms; CPU an event: server"
        figure += f" {found.server_ms:.2f} ms, receivers {found.receivers_ms:.2f} ms)"
        if count == TARGET_SOCKETS and client == JUDGED:
            print(judged(figure, f"p99 < {TARGET_P99_MS:.0f} ms", p99 < TARGET_P99_MS))
        else:
            print(f"  {figure}")
    rate = await round_trips(server.h2c_url, token)
    print(f"  request round trips on one socket: {rate:,.0f}/s (list health, one at a time)")


def main() -> None:
    print(
        f"\n== admin API over Socket.IO (WebSocket, h2c port, sockets in {PROCESSES} processes;"
        f" {EVENTS} events per row: request"
        " publishing camera:demand -> receipt on every socket; `at` is stamped when the face"
        " takes the event from the bus, 1 ms resolution)"
    )
    with tempfile.TemporaryDirectory() as folder:
        server = RelayServer(Path(folder) / "relay", env=ADMIN_ENV).start()
        try:
            asyncio.run(server.add_account(USER, PASSWORD))
            asyncio.run(measure(server))
        finally:
            server.stop()
