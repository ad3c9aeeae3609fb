"""bench core's loads on camrelay served by Granian (bench/granian_app.py) beside the same hello
world on Hypercorn: `python -m bench.granian_core` (needs `pip install granian`; a measurement
for bench/README.md only)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.core_api import BENCH_ENV, SECONDS, alternating, prepare, report, start_hello
from bench.h2load import run_h2load
from camrelay.server.tls import ensure_self_signed
from tests.support.relay_server import RelayServer, free_port


def start_granian(data_dir: Path) -> tuple[subprocess.Popen[bytes], RelayServer]:
    """Granian serving camrelay on a free port, with the bench account made before it starts
    (the relay reads its accounts at startup); a RelayServer that only names its address."""
    data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(RelayServer(data_dir).add_account("bench", "bench-pw"))
    cert, key = ensure_self_signed(data_dir)
    port = free_port()
    env = {**os.environ, **BENCH_ENV, "CAMRELAY_SERVER_DATA_DIR": str(data_dir)}
    command = [
        *(sys.executable, "-m", "granian", "--interface", "asgi", "--http", "2"),
        *("--loop", "auto", "--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
        *("--ssl-certificate", str(cert), "--ssl-keyfile", str(key), "--log-level", "warning"),
        "bench.granian_app:app",
    ]
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    url = f"https://127.0.0.1:{port}"
    with httpx.Client(http2=True, verify=False, timeout=1) as http:
        for _ in range(200):
            try:
                http.get(f"{url}/getServerTime.json")
                return process, RelayServer(data_dir, url=url)
            except httpx.HTTPError:
                time.sleep(0.1)
    process.kill()
    raise RuntimeError("granian did not start")


def main() -> None:
    print("\n== core API on Granian (h2load over TLS, 10 x 10, alternating runs, median)")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        granian, server = start_granian(root / "relay")
        hello, hello_url = start_hello(root / "hello")
        try:
            shash = asyncio.run(prepare(server, add_account=False))
            quoted = httpx.QueryParams({"shash": shash})
            blob = root / "frame40k.bin"
            blob.write_bytes(os.urandom(40_000))
            add_url = f"{server.url}/addRecord.json?{quoted}&meta=JPEG"
            runs = alternating(
                {
                    "hello": lambda: run_h2load(f"{hello_url}/hello.json", SECONDS),
                    "beat": lambda: run_h2load(f"{server.url}/heartBit.json?{quoted}", SECONDS),
                    "msgs": lambda: run_h2load(f"{server.url}/getMsgs.json?{quoted}", SECONDS),
                    "add": lambda: run_h2load(add_url, SECONDS, body=blob),
                }
            )
        finally:
            hello.kill()
            granian.terminate()
            granian.wait(timeout=20)
    report("hello-world (Hypercorn)", runs["hello"])
    report("heartBit.json (Granian)", runs["beat"])
    report("getMsgs.json (Granian)", runs["msgs"])
    report("addRecord.json (Granian)", runs["add"])


if __name__ == "__main__":
    main()
