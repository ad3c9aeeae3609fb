"""`camrelay alarm`: the motion alarm worker on one camera's relayed stream."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from pathlib import Path

from ..clients.worker.alarm.config import AlarmConfig, ConfigError, apply_update, load_config
from ..clients.worker.alarm.worker import AlarmWorker
from ..clients.worker.stream_source import StreamSource
from ..server.core.errors import NoSuchUser
from .client_args import add_client_options, relay_client

# The document's log levels, as Python's.
LOG_LEVELS = {"critical": "CRITICAL", "error": "ERROR", "warning": "WARNING", "warn": "WARNING",
              "info": "INFO", "debug": "DEBUG", "trace": "DEBUG"}


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `alarm`."""
    parser = commands.add_parser("alarm", help="run the motion alarm worker on a camera")
    add_client_options(parser)
    parser.add_argument("--camera", required=True, help="the camera's device name on the relay")
    parser.add_argument("--device", default=None,
                        help="this worker's own device name (default alarm-CAMERA)")
    parser.add_argument("--config", type=Path, default=None,
                        help="alarm TOML settings (see alarm.example.toml); "
                             "config_update writes back to it")
    parser.set_defaults(run=run)


def alarm_config(args: argparse.Namespace) -> AlarmConfig:
    """Defaults or the --config file, which then is where config_update writes back."""
    if args.config is None:
        return AlarmConfig()
    try:
        config = load_config(args.config)
        return apply_update(config, {"flags": {"config_path": str(args.config)}})
    except FileNotFoundError:
        sys.exit(f"camrelay alarm: no such file {args.config}")
    except ConfigError as exc:
        sys.exit(f"camrelay alarm: bad settings in {args.config}: {exc}")


async def serve(args: argparse.Namespace, config: AlarmConfig) -> None:
    """Run the worker until a shutdown command or a signal."""
    client = relay_client(args, args.device or f"alarm-{args.camera}", meta="camrelay alarm")
    worker = AlarmWorker(config, StreamSource(client, args.camera))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, worker.request_stop)
    try:
        await worker.run(on_ready=announce)
    finally:
        await client.close()


def announce(worker: AlarmWorker) -> None:
    """Where the feed and the page listen (the ports may be 0 in the settings)."""
    print(f"camrelay alarm: feed on ws://{worker.feed.host}:{worker.feed.port}", flush=True)
    print(f"camrelay alarm: page on {worker.web.url}", flush=True)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; a wrong name or password ends with a message."""
    config = alarm_config(args)
    logging.basicConfig(level=LOG_LEVELS[config.flags.log_level],
                        format="%(asctime)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(args, config))
    except NoSuchUser:
        sys.exit("camrelay alarm: wrong user name or password")
    return 0
