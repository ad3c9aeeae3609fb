"""A bare Quart hello-world on plain Hypercorn with its default settings (the baseline camrelay
is measured against: only the address and camrelay's self-signed certificate are set).

Run: python -m bench.hello_app DATA_DIR; prints its URL.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config
from hypercorn.utils import wrap_app
from quart import Quart, Response

from camrelay.server.tls import ensure_self_signed

app = Quart("hello")


@app.route("/hello.json", methods=["GET", "POST"])
async def hello() -> Response:
    return Response('{"result":"OK"}', content_type="application/json")


async def main(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    cert, key = ensure_self_signed(data_dir)
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.certfile, config.keyfile = str(cert), str(key)
    sockets = config.create_sockets()
    sock = sockets.secure_sockets[0]
    sock.listen(config.backlog)
    print(f"camrelay: listening on https://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    await worker_serve(wrap_app(app, None, None), config, sockets=sockets)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
