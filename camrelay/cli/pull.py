"""`camrelay pull`: read a device's live stream into frame files or an MJPEG file."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

from ..clients.progress import ProgressLine, Throughput
from ..clients.viewer import FrameFiles, MjpegFile, watch
from .client_args import add_client_options, relay_client
from .main import COMMANDS


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `pull`."""
    parser = commands.add_parser("pull", help=COMMANDS["pull"][1])
    add_client_options(parser)
    parser.add_argument("--device", required=True, help="the streaming device to read")
    parser.add_argument(
        "--as",
        dest="viewer",
        default="camrelay-pull",
        help="this viewer's own device name (default camrelay-pull)",
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="write DIR/frame_000001.jpg, ...")
    target.add_argument("--mjpeg", type=Path, help="append frames to one MJPEG file")
    parser.add_argument("--frames", type=int, default=0, help="stop after N frames (0: never)")
    parser.set_defaults(run=run)


async def pull(args: argparse.Namespace) -> None:
    """Watch the stream with the progress line."""
    client = relay_client(args, args.viewer)
    stats = Throughput()
    progress = ProgressLine(stats)
    reporter = asyncio.create_task(progress.run())
    with contextlib.ExitStack() as files:
        sink = (
            FrameFiles(args.out)
            if args.out
            else MjpegFile(files.enter_context(args.mjpeg.open("ab")))
        )
        try:
            await watch(client, args.device, sink, stats, args.frames)
        finally:
            reporter.cancel()
            progress.finish()
            await client.close()


def run(args: argparse.Namespace) -> int:
    """Entry point of `camrelay pull`."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(pull(args))
    return 0
