"""Running the server: Hypercorn on the TLS port (h2 + http/1.1) and the optional h2c port."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config as HypercornConfig
from hypercorn.config import Sockets
from hypercorn.utils import wrap_app

from ..settings import Settings
from .access_log import access_logger
from .app import FAST_PATH, create_app
from .core.relay import Relay, open_relay
from .faces.admin_sio import AdminSio
from .memory_trim import trim_after_closes
from .request_count import RequestCount
from .tls import ensure_self_signed
from .transport import install_all
from .transport.h2_inline_answers import set_responder
from .transport.listener import gated
from .transport.proxy_listener import proxied

# The path without the query string: a shash or password in a query must never be logged.
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(D)sus'
# Hypercorn ends an HTTP/2 connection after keep_alive_max_requests requests (default 1000);
# a camera or app keeps one connection for days.
UNLIMITED_REQUESTS = 2**62
# A revocation or password change made by `camrelay key|user` ends live sessions within this.
STORE_FOLLOW_S = 0.25
# A stopping node's last events (its streams ended) get this long to reach the other nodes.
CLUSTER_DRAIN_S = 1.0


def hypercorn_config(settings: Settings) -> HypercornConfig:
    """Hypercorn's settings from ours, with a certificate made if none is configured."""
    server = settings.server
    certfile, keyfile = server.certfile, server.keyfile
    if not certfile:
        cert, key = ensure_self_signed(Path(server.data_dir))
        certfile, keyfile = str(cert), str(key)
    config = HypercornConfig()
    config.bind = [server.listen]
    config.insecure_bind = [server.h2c_listen] if server.h2c_listen else []
    config.certfile, config.keyfile = certfile, keyfile
    config.keep_alive_max_requests = UNLIMITED_REQUESTS
    config.keep_alive_timeout = server.keep_alive_timeout_s
    config.h2_max_concurrent_streams = server.h2_max_concurrent_streams
    # A state-sync message over state.max_message_bytes is answered; one far over it is not
    # worth reading (Hypercorn closes with 1009).
    config.websocket_max_message_size = settings.state.max_message_bytes * 16
    # Loggers, not "-": records go through the root handler once, not twice.
    config.accesslog = access_logger(server) if server.access_log else None
    config.access_log_format = ACCESS_LOG_FORMAT
    config.errorlog = logging.getLogger("hypercorn.error")
    config.loglevel = server.log_level.upper()
    return config


def describe(sockets: Sockets) -> list[str]:
    """The URLs the server listens on: https:// for TLS, http:// for h2c."""
    urls = []
    for scheme, group in (("https", sockets.secure_sockets), ("http", sockets.insecure_sockets)):
        for sock in group:
            host, port = sock.getsockname()[:2]
            host = f"[{host}]" if ":" in host else host
            urls.append(f"{scheme}://{host}:{port}")
    return urls


def listening(settings: Settings, config: HypercornConfig, relay: Relay) -> Sockets:
    """The bound sockets, capping connections at accept; with server.proxy_protocol each
    connection's PROXY header is read before Hypercorn (and TLS) sees it."""
    server = settings.server
    if server.proxy_protocol:
        return proxied(config.create_sockets(), relay.connections, server.proxy_header_timeout_s)
    return gated(config.create_sockets(), relay.connections)


async def serve(
    settings: Settings,
    on_ready: Callable[[Relay, list[str]], None] | None = None,
    stop: asyncio.Event | None = None,
    requests: RequestCount | None = None,
) -> None:
    """Open the relay, listen, call `on_ready(relay, urls)`, serve until `stop` or a signal;
    `requests` counts the requests served (for a caller that reports them)."""
    logging.basicConfig(level=settings.server.log_level.upper(), format="%(name)s: %(message)s")
    install_all()  # TransportMismatch on libraries the fixes were not written for
    _quiet_cancelled_connections(asyncio.get_running_loop())
    relay = await open_relay(settings)
    stop = stop or _stop_on_signals()
    config = hypercorn_config(settings)
    sockets = listening(settings, config, relay)
    for sock in sockets.secure_sockets + sockets.insecure_sockets:
        sock.listen(config.backlog)  # so clients may connect as soon as on_ready announces
    sweeper = asyncio.create_task(relay.housekeeping.run(settings.housekeeping.interval_s))
    trimmer = asyncio.create_task(trim_after_closes(lambda: relay.connections.closed))
    follower = asyncio.create_task(relay.sessions.follow_store(STORE_FOLLOW_S))
    cluster = asyncio.create_task(relay.cluster.run()) if relay.cluster else None
    admin = AdminSio(relay, settings.admin_sio)
    state = asyncio.create_task(relay.state.follow())
    await relay.recording.resume()  # cameras recording when the server stopped go on
    recording = asyncio.create_task(relay.recording.follow())

    async def shutdown() -> None:
        await stop.wait()
        # Endless uploads, viewers, admin and state sockets would hold Hypercorn's graceful shutdown
        # forever.
        relay.streams.close_all()
        await admin.close()
        relay.state.close_all()

    try:
        if on_ready:
            on_ready(relay, describe(sockets))
        quart_app = create_app(relay, settings, requests or RequestCount(), admin)
        set_responder(config, quart_app.extensions[FAST_PATH])
        app = wrap_app(quart_app, config.wsgi_max_body_size, None)
        try:
            await worker_serve(app, config, sockets=sockets, shutdown_trigger=shutdown)
        except (OSError, ExceptionGroup) as exc:
            if not stop.is_set():
                raise
            # A connection that fails while closing (e.g. a TLS peer sending data after its
            # close_notify) is no reason for a failed exit once everything else has stopped.
            logging.getLogger("camrelay").warning("while shutting down: %r", exc)
    finally:
        sweeper.cancel()
        trimmer.cancel()
        follower.cancel()
        state.cancel()
        recording.cancel()
        if cluster is not None and relay.cluster is not None:
            await relay.cluster.bus.drain(CLUSTER_DRAIN_S)  # e.g. the StreamGone of close_all
            cluster.cancel()
            await asyncio.gather(cluster, return_exceptions=True)
        await relay.close()


def _quiet_cancelled_connections(loop: asyncio.AbstractEventLoop) -> None:
    """Python 3.11.7's stream callback crashes on a connection task cancelled at shutdown and
    logs a traceback for it (CPython gh-113538, fixed in 3.11.8): nothing failed, so say
    nothing; every other loop error is reported as before."""

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), asyncio.CancelledError):
            return
        loop.default_exception_handler(context)

    loop.set_exception_handler(handle)


def _stop_on_signals() -> asyncio.Event:
    event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, event.set)
    return event
