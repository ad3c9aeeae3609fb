"""`camrelay counter`: the people counter worker on one camera's relayed stream."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from ..clients.worker.counter.config import CounterSettings, SettingsError, load_settings
from ..clients.worker.counter.worker import CounterWorker
from ..clients.worker.stream_source import StreamSource
from ..server.core.errors import NoSuchUser
from .client_args import add_client_options, relay_client


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `counter`."""
    parser = commands.add_parser("counter", help="run the people counter worker on a camera")
    add_client_options(parser)
    parser.add_argument("--camera", required=True, help="the camera's device name on the relay")
    parser.add_argument(
        "--device", default=None, help="this worker's own device name (default counter-CAMERA)"
    )
    parser.add_argument(
        "--config", type=Path, default=None, help="counter TOML settings (see counter.example.toml)"
    )
    parser.add_argument(
        "--port", type=int, default=None, help="WebSocket feed port (default [feed] port, 8765)"
    )
    parser.set_defaults(run=run)


def counter_settings(args: argparse.Namespace) -> CounterSettings:
    """Defaults, the --config file, CAMRELAY_COUNTER_* variables, then --port."""
    try:
        settings = load_settings(args.config, os.environ)
    except SettingsError as exc:
        sys.exit(f"camrelay counter: bad settings: {exc}")
    if args.port is None:
        return settings
    if not 0 <= args.port <= 65535:
        sys.exit(f"camrelay counter: --port {args.port} is not a TCP port")
    feed = settings.feed.model_copy(update={"port": args.port})
    return settings.model_copy(update={"feed": feed})


async def serve(args: argparse.Namespace, settings: CounterSettings) -> None:
    """Run the worker until a signal."""
    client = relay_client(args, args.device or f"counter-{args.camera}", meta="camrelay counter")
    worker = CounterWorker(settings, StreamSource(client, args.camera))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, worker.request_stop)
    try:
        await worker.run(on_ready=announce)
    finally:
        await client.close()


def announce(worker: CounterWorker) -> None:
    """Where the feed listens (the port may be 0 in the settings)."""
    print(f"camrelay counter: feed on ws://{worker.feed.host}:{worker.feed.port}", flush=True)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; a wrong name or password ends with a message."""
    settings = counter_settings(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    # httpx logs request URLs at INFO, and output.raw's carries the session's shash.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        asyncio.run(serve(args, settings))
    except NoSuchUser:
        sys.exit("camrelay counter: wrong user name or password")
    return 0
