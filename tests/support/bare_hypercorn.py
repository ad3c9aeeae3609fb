"""A bare Quart app on Hypercorn with its defaults, to show the traps camrelay works around.

Run: python -m tests.support.bare_hypercorn [--as-camrelay] [--fixed NAME ...]; prints its h2c
URL. Each NAME is a module of camrelay.server.transport, installed as serve installs it;
--as-camrelay sets camrelay's keep-alive limits (300 s, no request cap).
`/early` answers without reading the request body; `/` answers hello; `/stream` is a long
response under a shortened RESPONSE_TIMEOUT; `/endless` streams 64 KiB chunks for ever and
`/produced` tells how many it made; `/reads` the largest socket read Hypercorn asked for;
`/tasks` how many asyncio tasks are alive.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config
from hypercorn.utils import wrap_app
from quart import Quart, Response

from camrelay.server.serving import UNLIMITED_REQUESTS
from camrelay.server.tls import ensure_self_signed
from camrelay.server.transport import guard

app = Quart("bare")
# Quart's default is 60 s; one second shows the same cut without a minute's wait.
app.config["RESPONSE_TIMEOUT"] = 1
CHUNK = b"x" * (64 << 10)
KEEP_ALIVE_TIMEOUT_S = 300  # camrelay's default
seen = {"produced": 0, "largest_read": 0}


@app.route("/", methods=["GET", "POST"])
async def hello() -> str:
    return "hello"


@app.route("/stream", methods=["GET"])
async def stream() -> Response:
    """Fifteen chunks, one every 0.2 s: longer than the shortened RESPONSE_TIMEOUT below."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(15):
            await asyncio.sleep(0.2)
            yield b"chunk"

    return Response(chunks())


@app.route("/endless", methods=["GET"])
async def endless() -> Response:
    async def chunks() -> AsyncIterator[bytes]:
        while True:
            seen["produced"] += 1
            yield CHUNK

    response = Response(chunks())
    response.timeout = None
    return response


@app.route("/produced", methods=["GET"])
async def produced() -> str:
    return str(seen["produced"])


@app.route("/reads", methods=["GET"])
async def reads() -> str:
    return str(seen["largest_read"])


@app.route("/tasks", methods=["GET"])
async def tasks() -> str:
    return str(len(asyncio.all_tasks()))


@app.route("/early", methods=["POST"])
async def early() -> str:
    return "answered before the upload ended"


def watch_reads() -> None:
    """Record the largest read size asked of a stream reader (Hypercorn's socket reads)."""
    original = asyncio.StreamReader.read

    async def read(self: asyncio.StreamReader, n: int = -1) -> bytes:
        seen["largest_read"] = max(seen["largest_read"], n)
        return await original(self, n)

    asyncio.StreamReader.read = read  # type: ignore[method-assign]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixed", action="append", default=[], choices=guard.FIXES)
    parser.add_argument("--as-camrelay", action="store_true", help="camrelay's keep-alive limits")
    parser.add_argument("--tls", type=Path, help="serve TLS with a certificate made in this folder")
    args = parser.parse_args()
    guard.install(args.fixed)
    watch_reads()
    config = Config()
    config.bind = ["127.0.0.1:0"]
    if args.as_camrelay:
        config.keep_alive_timeout = KEEP_ALIVE_TIMEOUT_S
        config.keep_alive_max_requests = UNLIMITED_REQUESTS
    if args.tls:
        config.certfile, config.keyfile = map(str, ensure_self_signed(args.tls))
    sockets = config.create_sockets()
    sock, scheme = (
        sockets.secure_sockets or sockets.insecure_sockets,
        "https" if args.tls else "http",
    )
    sock[0].listen(config.backlog)
    host, port = sock[0].getsockname()[:2]
    print(f"listening on {scheme}://{host}:{port}", flush=True)
    await worker_serve(wrap_app(app, None, None), config, sockets=sockets)


if __name__ == "__main__":
    asyncio.run(main())
