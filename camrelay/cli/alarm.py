"""`camrelay alarm`: the motion alarm worker on one camera's relayed stream."""

from __future__ import annotations

import argparse
import os
import sys

from camrelay.workers.alarm.app import AlarmApp
from camrelay.workers.alarm.config import AlarmConfig, ConfigError, apply_update, load_config
from camrelay.workers.alarm.worker import AlarmWorker

from .main import COMMANDS
from .worker_command import add_worker_options, run_worker, worker_data

# Where config_update writes the settings when no --config is given, in the data directory.
SAVED_CONFIG = "alarm.toml"

# The document's log levels, as Python's.
LOG_LEVELS = {
    "critical": "CRITICAL",
    "error": "ERROR",
    "warning": "WARNING",
    "warn": "WARNING",
    "info": "INFO",
    "debug": "DEBUG",
    "trace": "DEBUG",
}


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `alarm`."""
    parser = commands.add_parser("alarm", help=COMMANDS["alarm"][1])
    add_worker_options(
        parser,
        "alarm",
        "alarm TOML settings (see alarm.example.toml); config_update writes back to it",
    )
    parser.set_defaults(run=run)


def alarm_config(args: argparse.Namespace) -> AlarmConfig:
    """The --config file, which then is where config_update writes back; without one, the
    data directory's alarm.toml (what config_update wrote there before), else the defaults."""
    path = args.config or worker_data(args, "alarm") / SAVED_CONFIG
    given = path if args.config or path.exists() else None
    try:
        config = load_config(given, os.environ)  # then CAMRELAY_ALARM_* over the file
        return apply_update(config, {"flags": {"config_path": str(path)}})
    except ConfigError as exc:
        sys.exit(f"camrelay alarm: {exc}")


def announce(app: AlarmApp) -> None:
    """Where the feed and the page listen (the ports may be 0 in the settings)."""
    print(f"camrelay alarm: feed on ws://{app.feed.host}:{app.feed.port}", flush=True)
    print(f"camrelay alarm: page on {app.web.url}", flush=True)


def run(args: argparse.Namespace) -> int:
    """Serve until stopped."""
    config = alarm_config(args)
    return run_worker(
        args,
        "alarm",
        lambda source: AlarmApp(AlarmWorker(config, source)),
        announce,
        LOG_LEVELS[config.flags.log_level],
    )
