"""What the worker commands (`camrelay alarm`, `camrelay counter`) share: their options, and
running a worker on a camera's relayed stream until a signal or its own shutdown."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from ..clients.worker.stream_source import StreamSource
from ..server.core.errors import NoSuchUser
from .client_args import add_client_options, relay_client


class Worker(Protocol):
    """A worker as its command drives it."""

    def request_stop(self) -> None:
        """Stop soon (a signal)."""

    def run(self, on_ready: Callable[[Any], None]) -> Awaitable[None]:
        """Serve until stopped; call `on_ready(worker)` once listening."""
        ...


def add_worker_options(parser: argparse.ArgumentParser, kind: str, settings_help: str) -> None:
    """The relay options, --camera, --device and --config."""
    add_client_options(parser)
    parser.add_argument("--camera", required=True, help="the camera's device name on the relay")
    parser.add_argument(
        "--device", default=None, help=f"this worker's own device name (default {kind}-CAMERA)"
    )
    parser.add_argument("--config", type=Path, default=None, help=settings_help)


def run_worker(
    args: argparse.Namespace,
    kind: str,
    make: Callable[[StreamSource], Worker],
    announce: Callable[[Any], None],
    log_level: str = "INFO",
) -> int:
    """Run the worker made by `make` on the camera's stream; a wrong password ends with a
    message. httpx logs request URLs at INFO, and output.raw's carries the session's shash."""
    logging.basicConfig(level=log_level, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        asyncio.run(_serve(args, kind, make, announce))
    except NoSuchUser:
        sys.exit(f"camrelay {kind}: wrong user name or password")
    return 0


async def _serve(
    args: argparse.Namespace,
    kind: str,
    make: Callable[[StreamSource], Worker],
    announce: Callable[[Any], None],
) -> None:
    client = relay_client(args, args.device or f"{kind}-{args.camera}", meta=f"camrelay {kind}")
    worker = make(StreamSource(client, args.camera))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, worker.request_stop)
    try:
        await worker.run(on_ready=announce)
    finally:
        await client.close()
