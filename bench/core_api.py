"""Issue 2's figures: h2load on heartBit, getMsgs and addRecord (40 KB) beside a bare Quart
hello-world on the same Hypercorn settings, 10 connections x 10 streams, three runs each."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from bench.h2load import LoadResult, median_run, run_h2load, spread
from tests.support.api import Api
from tests.support.relay_server import LISTEN_RE, RelayServer

RUNS = int(os.environ.get("BENCH_RUNS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))
BENCH_ENV = {
    "CAMRELAY_SESSIONS_ENFORCE_REQUEST_CAPS": "false",
    "CAMRELAY_SERVER_ACCESS_LOG": "false",
    "CAMRELAY_SERVER_LOG_LEVEL": "warning",
}


def start_hello(folder: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.hello_app", str(folder)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    match = LISTEN_RE.search(process.stdout.readline())
    assert match, "hello app did not start"
    return process, match.group(1)


async def prepare(server: RelayServer) -> str:
    """An account with a session and a few messages waiting for it; returns the shash."""
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


def measure(url: str, body: Path | None = None) -> list[LoadResult]:
    return [run_h2load(url, SECONDS, body=body) for _ in range(RUNS)]


def report(name: str, runs: list[LoadResult]) -> LoadResult:
    best = median_run(runs)
    print(
        f"  {name:<28} {best.rps:>8.0f} req/s   p50 {best.p50_ms:6.2f} ms"
        f"   p99 {best.p99_ms:6.2f} ms   non-200 {best.failed}   runs {spread(runs)}",
        flush=True,
    )
    return best


def main() -> None:
    print(
        f"\n== core API (h2load, 10 connections x 10 streams, {RUNS} runs of {SECONDS:.0f} s,"
        " median)"
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
            base = report("hello-world (bare Quart)", measure(f"{hello_url}/hello.json"))
            beat = report("heartBit.json", measure(f"{server.url}/heartBit.json?{quoted}"))
            report("getMsgs.json (5 waiting)", measure(f"{server.url}/getMsgs.json?{quoted}"))
            add = report(
                "addRecord.json (40 KB)",
                measure(f"{server.url}/addRecord.json?{quoted}&meta=JPEG", body=blob),
            )
            current, peak = rss_kib(server.process.pid)  # type: ignore[union-attr]
        finally:
            hello.kill()
            server.stop()
    print(f"  heartBit / hello-world: {100 * beat.rps / base.rps:.0f} %   (target >= 70 %)")
    print(
        f"  addRecord: {add.rps:.0f} records/s = {add.rps * 40_000 / 1e6:.1f} MB/s"
        "   (target >= 1,000)"
    )
    print(f"  server RSS after the runs: {current / 1024:.0f} MiB (peak {peak / 1024:.0f} MiB)")
