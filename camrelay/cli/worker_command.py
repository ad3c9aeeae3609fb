"""What the worker commands (`camrelay alarm`, `camrelay counter`) share: their options, their
data directory, and running a worker on a camera's relayed stream until a signal or its own
shutdown."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from camrelay.protocol.errors import NoSuchUser
from camrelay.workers.common.stream_source import StreamSource

from .client_args import add_client_options, relay_client


class Worker(Protocol):
    """A worker served with its apps (a ServedWorker), as its command drives it."""

    def request_stop(self) -> None:
        """Stop soon (a signal)."""

    def run(self, on_ready: Callable[[Any], None]) -> Awaitable[None]:
        """Serve until stopped; call `on_ready(self)` once listening."""
        ...


def add_worker_options(parser: argparse.ArgumentParser, kind: str, settings_help: str) -> None:
    """The relay options, --camera, --device, --config and --data."""
    add_client_options(parser)
    parser.add_argument("--camera", required=True, help="the camera's device name on the relay")
    parser.add_argument(
        "--device", default=None, help=f"this worker's own device name (default {kind}-CAMERA)"
    )
    parser.add_argument("--config", type=Path, default=None, help=settings_help)
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help=f"directory of this worker's files (default ./data/{kind}-CAMERA/)",
    )


def worker_data(args: argparse.Namespace, kind: str) -> Path:
    """The worker's data directory: --data, else ./data/KIND-CAMERA/ (as the server keeps its
    files in ./data/), never the bare working directory."""
    if args.data is not None:
        return Path(args.data)
    return Path("data") / f"{kind}-{args.camera.replace('/', '_')}"


def inside(folder: Path, path: Path) -> Path:
    """`path` as it is when absolute, else within the data directory."""
    return path if path.is_absolute() else folder / path


def run_worker(
    args: argparse.Namespace,
    kind: str,
    make: Callable[[StreamSource], Worker],
    announce: Callable[[Any], None],
    log_level: str = "INFO",
) -> int:
    """Run the worker made by `make` on the camera's stream; a wrong password ends with a
    message. httpx logs request URLs at INFO, and output.raw's carries the session's shash."""
    folder = worker_data(args, kind)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        sys.exit(f"camrelay {kind}: cannot make the data directory {folder}: {exc}")
    print(f"camrelay {kind}: files in {folder.resolve()}", flush=True)
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
