"""A bare Quart hello-world served with camrelay's own Hypercorn settings (the baseline).

Run: python -m bench.hello_app DATA_DIR; prints its URL.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from hypercorn.asyncio.run import worker_serve
from hypercorn.utils import wrap_app
from quart import Quart, Response

from camrelay.server.serving import hypercorn_config
from camrelay.settings import load_settings

app = Quart("hello")


@app.route("/hello.json", methods=["GET", "POST"])
async def hello() -> Response:
    return Response('{"result":"OK"}', content_type="application/json")


async def main(data_dir: Path) -> None:
    settings = load_settings(
        overrides={"server": {"data_dir": data_dir, "listen": "127.0.0.1:0", "access_log": False}}
    )
    config = hypercorn_config(settings)
    sockets = config.create_sockets()
    sock = sockets.secure_sockets[0]
    sock.listen(config.backlog)
    print(f"camrelay: listening on https://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    await worker_serve(wrap_app(app, None, None), config, sockets=sockets)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
