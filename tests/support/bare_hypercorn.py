"""A bare Quart app on Hypercorn with its defaults, to show the traps camrelay works around.

Run: python -m tests.support.bare_hypercorn [--fixed]; prints its h2c URL.
`/early` answers without reading the request body; `/` answers hello; `/stream` is a
long response under a shortened RESPONSE_TIMEOUT.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config
from hypercorn.utils import wrap_app
from quart import Quart, Response

from camrelay.server.transport import guard

app = Quart("bare")
# Quart's default is 60 s; one second shows the same cut without a minute's wait.
app.config["RESPONSE_TIMEOUT"] = 1


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


@app.route("/early", methods=["POST"])
async def early() -> str:
    return "answered before the upload ended"


async def main() -> None:
    if "--fixed" in sys.argv:
        guard.install(["h2_late_data"])
    config = Config()
    config.bind = ["127.0.0.1:0"]
    sockets = config.create_sockets()
    sockets.insecure_sockets[0].listen(config.backlog)
    host, port = sockets.insecure_sockets[0].getsockname()[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    await worker_serve(wrap_app(app, None, None), config, sockets=sockets)


if __name__ == "__main__":
    asyncio.run(main())
