"""Issue 14's figures for the .json requests: h2load on heartBit, getMsgs and addRecord (40 KB)
beside a bare Quart hello-world on plain Hypercorn, 10 connections x 10 streams, the runs of
each alternating (hello, heartBit, getMsgs, addRecord, hello, ...) so the machine's noise falls
on all alike; then heartBit and getMsgs at 1 x 1 for the latency of a lone request.

Each figure is the median of BENCH_RUNS runs, printed beside its target with PASS or FAIL.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.h2load import LoadResult, median_run, run_h2load, spread
from bench.verdict import judged
from tests.support.api import Api
from tests.support.relay_server import LISTEN_RE, RelayServer

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
BENCH_ENV = {
    "CAMRELAY_SESSIONS_ENFORCE_REQUEST_CAPS": "false",
    "CAMRELAY_SERVER_ACCESS_LOG": "false",
    "CAMRELAY_SERVER_LOG_LEVEL": "warning",
}
TIMES_HELLO = 1.5  # heartBit and getMsgs against the bare hello-world
P99_LOADED_MS = 50.0  # at 100 in flight
P99_ALONE_MS = 3.0  # at 1 x 1
RECORDS_PER_S = 2_000


def start_hello(folder: Path) -> tuple[subprocess.Popen[str], str]:
    # Its stderr is dropped: bare Hypercorn logs a traceback for each connection h2load ends.
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.hello_app", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    match = LISTEN_RE.search(process.stdout.readline())
    assert match, "hello app did not start"
    return process, match.group(1)


async def prepare(server: RelayServer, add_account: bool = True) -> str:
    """An account with a session and a few messages waiting for it; returns the shash."""
    if add_account:
        await server.add_account("bench", "bench-pw")
    async with httpx.AsyncClient(http2=True, verify=False) as http:
        api = Api(http, server.url)
        sender = await api.login("bench", "bench-pw", "camera")
        for i in range(5):
            await sender.call("addMsgs", msg=f"event {i}", params={"n": i})
        return (await api.login("bench", "bench-pw", "phone")).shash


def rss_kib(pid: int) -> tuple[int, int]:
    """(current, peak) resident memory of a process in KiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def alternating(loads: dict[str, Callable[[], LoadResult]]) -> dict[str, list[LoadResult]]:
    """RUNS runs of each load, taken in turn."""
    runs: dict[str, list[LoadResult]] = {name: [] for name in loads}
    for _ in range(RUNS):
        for name, load in loads.items():
            runs[name].append(load())
    return runs


def report(name: str, runs: list[LoadResult]) -> LoadResult:
    best = median_run(runs)
    p99 = statistics.median(r.p99_ms for r in runs)
    print(
        f"  {name:<28} {best.rps:>8.0f} req/s   p50 {best.p50_ms:6.2f} ms"
        f"   p99 {p99:6.2f} ms   failed {sum(r.failed for r in runs)}   runs {spread(runs)}",
        flush=True,
    )
    return best


def verdicts(name: str, runs: list[LoadResult], base: LoadResult, alone: list[LoadResult]) -> None:
    """The targets of one request kind: rate against hello, p99 loaded and alone, failures."""
    rate = median_run(runs).rps
    loaded = statistics.median(r.p99_ms for r in runs)
    lone = statistics.median(r.p99_ms for r in alone)
    failed = sum(r.failed for r in runs + alone)
    print(
        judged(
            f"{name} / hello-world: {rate / base.rps:.2f} x",
            f">= {TIMES_HELLO} x",
            rate >= TIMES_HELLO * base.rps,
        )
    )
    print(
        judged(
            f"{name} p99 at 100 in flight: {loaded:.1f} ms",
            f"< {P99_LOADED_MS:.0f} ms",
            loaded < P99_LOADED_MS,
        )
    )
    print(
        judged(
            f"{name} p99 at 1 x 1: {lone:.2f} ms", f"< {P99_ALONE_MS:.0f} ms", lone < P99_ALONE_MS
        )
    )
    print(judged(f"{name} failed requests: {failed}", "0", failed == 0))


def main() -> None:
    print(
        f"\n== core API (h2load over TLS, 10 connections x 10 streams, {RUNS} alternating runs"
        f" of {SECONDS:.0f} s, median)"
    )
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        server = RelayServer(root / "relay", env=BENCH_ENV).start()
        hello, hello_url = start_hello(root / "hello")
        try:
            shash = asyncio.run(prepare(server))
            quoted = httpx.QueryParams({"shash": shash})
            blob = root / "frame40k.bin"
            blob.write_bytes(os.urandom(40_000))
            beat_url = f"{server.url}/heartBit.json?{quoted}"
            msgs_url = f"{server.url}/getMsgs.json?{quoted}"
            add_url = f"{server.url}/addRecord.json?{quoted}&meta=JPEG"
            runs = alternating(
                {
                    "hello": lambda: run_h2load(f"{hello_url}/hello.json", SECONDS),
                    "beat": lambda: run_h2load(beat_url, SECONDS),
                    "msgs": lambda: run_h2load(msgs_url, SECONDS),
                    "add": lambda: run_h2load(add_url, SECONDS, body=blob),
                }
            )
            lone = alternating(
                {
                    "beat": lambda: run_h2load(beat_url, SECONDS, connections=1, streams=1),
                    "msgs": lambda: run_h2load(msgs_url, SECONDS, connections=1, streams=1),
                }
            )
            current, peak = rss_kib(server.process.pid)  # type: ignore[union-attr]
        finally:
            hello.kill()
            server.stop()
    base = report("hello-world (bare Quart)", runs["hello"])
    report("heartBit.json", runs["beat"])
    report("getMsgs.json (5 waiting)", runs["msgs"])
    add = report("addRecord.json (40 KB)", runs["add"])
    report("heartBit.json at 1 x 1", lone["beat"])
    report("getMsgs.json at 1 x 1", lone["msgs"])
    verdicts("heartBit", runs["beat"], base, lone["beat"])
    verdicts("getMsgs", runs["msgs"], base, lone["msgs"])
    print(
        judged(
            f"addRecord: {add.rps:.0f} records/s = {add.rps * 40_000 / 1e6:.1f} MB/s",
            f">= {RECORDS_PER_S:,}",
            add.rps >= RECORDS_PER_S,
        )
    )
    print(
        judged(
            f"addRecord failed requests: {sum(r.failed for r in runs['add'])}",
            "0",
            not any(r.failed for r in runs["add"]),
        )
    )
    print(f"  server RSS after the runs: {current / 1024:.0f} MiB (peak {peak / 1024:.0f} MiB)")
