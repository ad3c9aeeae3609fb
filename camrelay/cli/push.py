"""`camrelay push`: be a camera, streaming JPEG frames to a relay through input.raw."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from ..clients.camera import CameraPusher
from ..clients.progress import ProgressLine

try:  # the video sources read files and webcams through OpenCV, one of the workers' extras
    from ..clients.sources import open_source, parse_size
except ModuleNotFoundError as missing:  # pragma: no cover - the suite installs the extras
    raise SystemExit(
        f"camrelay push needs {missing.name}: pip install 'camrelay[workers]'"
    ) from missing
from .client_args import add_client_options, add_key_options, relay_client
from .main import COMMANDS


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `push`."""
    parser = commands.add_parser("push", help=COMMANDS["push"][1])
    add_client_options(parser)
    add_key_options(parser)
    parser.add_argument(
        "--device",
        help="this camera's device name (with --key-id: the key's device, whatever this says)",
    )
    parser.add_argument(
        "--source",
        default="synthetic",
        help="synthetic (default), a video FILE (loops) or /dev/videoN",
    )
    parser.add_argument("--fps", type=float, default=10.0, help="frames per second (default 10)")
    parser.add_argument(
        "--size",
        type=parse_size,
        default=None,
        help="WxH to scale frames to (default 640x480 for synthetic)",
    )
    parser.add_argument("--quality", type=int, default=80, help="JPEG quality 1-100")
    parser.set_defaults(run=run)


async def push(args: argparse.Namespace) -> None:
    """Run the pusher with its progress line until interrupted."""
    if not args.device and not args.key_id:
        sys.exit("camrelay push: --device is needed (or --key-id, whose key names the device)")
    source = open_source(args.source, args.size)
    client = relay_client(args, args.device or args.key_id, meta=f"camrelay push {source.name}")
    pusher = CameraPusher(client, source, args.fps, args.quality)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, pusher.stop)
    progress = ProgressLine(pusher.stats)
    reporter = asyncio.create_task(progress.run())
    try:
        await pusher.run()
    finally:
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
        progress.finish()
        await client.close()


def run(args: argparse.Namespace) -> int:
    """Entry point of `camrelay push`."""
    if not 0.1 <= args.fps <= 60 or not 1 <= args.quality <= 100:
        raise SystemExit("camrelay: --fps must be in [0.1, 60] and --quality in [1, 100]")
    try:
        asyncio.run(push(args))
    except ValueError as exc:
        raise SystemExit(f"camrelay: {exc}") from None
    return 0
