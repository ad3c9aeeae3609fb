"""`camrelay counter`: the people counter worker on one camera's relayed stream."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from camrelay.workers.counter.app import CounterApp
from camrelay.workers.counter.config import CounterSettings, SettingsError, load_settings
from camrelay.workers.counter.worker import CounterWorker

from .main import COMMANDS
from .worker_command import add_worker_options, inside, run_worker, worker_data


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `counter`."""
    parser = commands.add_parser("counter", help=COMMANDS["counter"][1])
    add_worker_options(parser, "counter", "counter TOML settings (see counter.example.toml)")
    parser.add_argument(
        "--port", type=int, default=None, help="WebSocket feed port (default [feed] port, 8765)"
    )
    parser.set_defaults(run=run)


def counter_settings(args: argparse.Namespace) -> CounterSettings:
    """Defaults, the --config file, CAMRELAY_COUNTER_* variables, then --port; relative file
    paths (the database, the faces directory) lie in the worker's data directory."""
    try:
        settings = load_settings(args.config, os.environ)
    except SettingsError as exc:
        sys.exit(f"camrelay counter: bad settings: {exc}")
    folder = worker_data(args, "counter")
    directory = inside(folder, settings.faces.directory)
    faces = settings.faces.model_copy(update={"directory": directory})
    update: dict[str, Any] = {"database": inside(folder, settings.database), "faces": faces}
    if args.port is not None:
        if not 0 <= args.port <= 65535:
            sys.exit(f"camrelay counter: --port {args.port} is not a TCP port")
        update["feed"] = settings.feed.model_copy(update={"port": args.port})
    return settings.model_copy(update=update)


def announce(app: CounterApp) -> None:
    """Where the feed listens (the port may be 0 in the settings)."""
    print(f"camrelay counter: feed on ws://{app.feed.host}:{app.feed.port}", flush=True)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped."""
    settings = counter_settings(args)
    return run_worker(
        args, "counter", lambda source: CounterApp(CounterWorker(settings, source)), announce
    )
