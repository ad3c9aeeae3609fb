"""`camrelay serve` with Granian in place of Hypercorn, for running the test suite against it
(CAMRELAY_TEST_SERVER=granian, tests/support/relay_server.py): a measurement, not a supported
way to run the relay. Run: python -m bench.granian_relay MODULE serve ARGS (MODULE: camrelay, or
a test variant of it such as tests.support.held_relay).

Everything `camrelay serve` does around the server (housekeeping, store follower, cluster,
shutdown of endless streams) is camrelay.server.serving.serve itself; only its Hypercorn run is
replaced by two embedded Granian servers on the same event loop, so both ports share the one
relay as they do in `camrelay serve`: TLS (h2 and HTTP/1.1 by ALPN) on --listen, cleartext
(h2c prior knowledge and HTTP/1.1) on --h2c-listen. None of camrelay/server/transport's
Hypercorn fixes, the accept-time connection cap nor the PROXY header reader apply here.
"""

from __future__ import annotations

import asyncio
import logging
import runpy
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from granian.constants import HTTPModes, Interfaces, SSLProtocols
from granian.http import HTTP2Settings
from granian.log import LogLevels
from granian.server.embed import Server
from hypercorn.config import Config, Sockets

from camrelay.server import serving
from camrelay.server.transport.h2_windows import CONNECTION_WINDOW, MAX_FRAME, STREAM_WINDOW

# How long Granian may take to accept on its ports before the start counts as failed.
READY_S = 20.0
# Granian's graceful stop waits for every kept-alive connection to be closed by its client
# (granian issues #568, #611); camrelay serve's Hypercorn closes idle ones at once.
STOP_S = 2.0
# camrelay serve's access log line, without the query string (it may carry a shash or a
# password); Granian has no size atom.
ACCESS_FORMAT = '%(addr)s "%(method)s %(path)s %(protocol)s" %(status)d %(dt_ms).0fms'


def _address(bind: str) -> tuple[str, int]:
    """HOST and PORT of a HOST:PORT bind; port 0 becomes a free port (Granian binds in Rust and
    does not tell which port it got)."""
    host, _, port = bind.rpartition(":")
    host = host.strip("[]")
    if int(port):
        return host, int(port)
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.bind((host, 0))
        return host, int(sock.getsockname()[1])


def headers_at_once(app: Any) -> Any:
    """The app with an empty body chunk after the headers of every response without a length:
    Granian, as the ASGI spec allows, holds the headers until the first body chunk, and a
    viewer of a stream with no frame yet would see nothing (camrelay's Hypercorn sends them at
    once)."""

    async def app_with_headers_at_once(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def sending(message: dict[str, Any]) -> None:
            await send(message)
            if message["type"] == "http.response.start" and not any(
                name.lower() == b"content-length" for name, _ in message.get("headers", ())
            ):
                await send({"type": "http.response.body", "body": b"", "more_body": True})

        await app(scope, receive, sending)

    return app_with_headers_at_once


def _granian(app: Any, config: Config, bind: str, tls: bool) -> tuple[Server, str]:
    """One embedded Granian server (no lifespan: the caller runs it once for both) and its URL."""
    host, port = _address(bind)
    server = Server(
        app,
        address=host,
        port=port,
        interface=Interfaces.ASGINL,
        http=HTTPModes.auto,
        websockets=True,
        backlog=max(config.backlog, 128),
        # The windows and frame size camrelay serve's Hypercorn announces (h2_windows.py).
        http2_settings=HTTP2Settings(
            initial_connection_window_size=CONNECTION_WINDOW,
            initial_stream_window_size=STREAM_WINDOW,
            max_concurrent_streams=max(config.h2_max_concurrent_streams, 10),
            max_frame_size=MAX_FRAME,
        ),
        log_level=LogLevels.warning,
        log_access=config.accesslog is not None,
        log_access_format=ACCESS_FORMAT,
        ssl_cert=Path(config.certfile) if tls else None,
        ssl_key=Path(config.keyfile) if tls else None,
        # camrelay serve accepts TLS 1.2 (Python's default), Granian only 1.3 unless told.
        ssl_protocol_min=SSLProtocols.tls12,
    )
    shown = f"[{host}]" if ":" in host else host
    return server, f"{'https' if tls else 'http'}://{shown}:{port}"


async def _accepting(url: str) -> None:
    """Wait until the server behind `url` accepts connections."""
    host, _, port = url.split("://", 1)[1].rpartition(":")
    deadline = asyncio.get_running_loop().time() + READY_S
    while True:
        try:
            _, writer = await asyncio.open_connection(host.strip("[]"), int(port))
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.02)
            continue
        writer.close()
        return


async def serve_on_granian(
    wrapped: Any,
    config: Config,
    *,
    sockets: Sockets,
    shutdown_trigger: Callable[[], Awaitable[None]],
) -> None:
    """hypercorn.asyncio.run.worker_serve's place in serving.serve: Granian on the TLS and the
    h2c binds, the app's startup and shutdown run once, until shutdown_trigger returns."""
    app = wrapped.app  # hypercorn's ASGIWrapper around the Quart app
    served = headers_at_once(app)
    servers = [_granian(served, config, bind, tls=True) for bind in config.bind]
    servers += [_granian(served, config, bind, tls=False) for bind in config.insecure_bind]
    if config.accesslog is not None:  # where serving.serve sends it: a file, or the terminal
        granian_access = logging.getLogger("granian.access")
        granian_access.handlers = list(config.accesslog.handlers)
        granian_access.propagate = config.accesslog.propagate
    await app.startup()
    running = [asyncio.create_task(server.serve()) for server, _ in servers]
    try:
        for _, url in servers:
            await _accepting(url)
        for _, url in servers:
            print(f"camrelay: listening on {url}", flush=True)
        await shutdown_trigger()
    finally:
        for server, _ in servers:
            server.stop()
        _, held = await asyncio.wait(running, timeout=STOP_S)
        for task in held:  # kept-alive connections: stop waiting for their clients
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await app.shutdown()


def _no_sockets(*_: Any) -> Sockets:
    """Granian binds its own ports: serving.serve must not hold them first."""
    return Sockets([], [], [])


def main() -> None:
    """Put Granian in serving.serve's place, then run MODULE as `python -m MODULE` would."""
    serving.worker_serve = serve_on_granian  # type: ignore[assignment]
    serving.listening = _no_sockets  # type: ignore[assignment]
    module, sys.argv = sys.argv[1], [sys.argv[1], *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
