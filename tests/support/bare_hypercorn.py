"""A bare Quart app on Hypercorn with its defaults, to show the traps camrelay works around.

Run: python -m tests.support.bare_hypercorn [--fixed]; prints its h2c URL.
`/early` answers without reading the request body; `/` answers hello.
"""

from __future__ import annotations

import asyncio
import sys

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config
from hypercorn.utils import wrap_app
from quart import Quart

from camrelay.server import h2_late_data

app = Quart("bare")


@app.route("/", methods=["GET", "POST"])
async def hello() -> str:
    return "hello"


@app.route("/early", methods=["POST"])
async def early() -> str:
    return "answered before the upload ended"


async def main() -> None:
    if "--fixed" in sys.argv:
        h2_late_data.install()
    config = Config()
    config.bind = ["127.0.0.1:0"]
    sockets = config.create_sockets()
    sockets.insecure_sockets[0].listen(config.backlog)
    host, port = sockets.insecure_sockets[0].getsockname()[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    await worker_serve(wrap_app(app, None, None), config, sockets=sockets)


if __name__ == "__main__":
    asyncio.run(main())
