"""`camrelay serve`: run the relay server."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..settings import Settings, SettingsError, load_settings
from .main import COMMANDS

if TYPE_CHECKING:
    from ..server.core.relay import Relay


def add_common(parser: argparse.ArgumentParser) -> None:
    """--data, --config and --store, shared by every command that opens the store."""
    parser.add_argument("--data", type=Path, help="data directory (SQLite file, certificate)")
    parser.add_argument("--config", type=Path, help="TOML settings file")
    parser.add_argument(
        "--store",
        metavar="URL",
        help="sqlite:///PATH, sqlite:////ABSOLUTE/PATH or postgresql://USER@HOST:PORT/DB "
        "(default: the SQLite file in the data directory; [store] url)",
    )


def settings_from(args: argparse.Namespace, **server: Any) -> Settings:
    """Settings from defaults, --config, CAMRELAY_* variables and command-line flags."""
    overrides = {k: v for k, v in server.items() if v is not None}
    if getattr(args, "data", None) is not None:
        overrides["data_dir"] = args.data
    sections: dict[str, dict[str, Any]] = {"server": overrides}
    if getattr(args, "store", None) is not None:
        sections["store"] = {"url": args.store}
    if getattr(args, "bus", None) is not None:
        sections["bus"] = {"url": args.bus}
    try:
        return load_settings(args.config, os.environ, sections)
    except SettingsError as exc:
        sys.exit(f"camrelay: bad settings: {exc}")


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `serve`."""
    parser = commands.add_parser("serve", help=COMMANDS["serve"][1])
    add_common(parser)
    parser.add_argument("--listen", help="TLS HOST:PORT (HTTP/2 and HTTP/1.1)")
    parser.add_argument("--h2c-listen", help="cleartext h2c HOST:PORT (prior knowledge)")
    add_access_log(parser, "- (the terminal; [server] access_log_file)")
    parser.add_argument(
        "--proxy-protocol",
        action="store_const",
        const=True,
        help="every connection starts with a PROXY header (v2 or v1) from a trusted load "
        "balancer (HAProxy send-proxy-v2); [server] proxy_protocol",
    )
    parser.add_argument(
        "--bus",
        metavar="URL",
        help="nats://HOST:PORT: join the other nodes on that NATS server; [bus] url",
    )
    parser.set_defaults(run=run)


def add_access_log(parser: argparse.ArgumentParser, default: str) -> None:
    """--access-log FILE|-."""
    parser.add_argument(
        "--access-log",
        metavar="FILE|-",
        help=f"one line per request into FILE (relative: in the data directory), "
        f"- for the terminal (default {default})",
    )


def announce(relay: Relay, urls: list[str]) -> None:
    """Print where the server listens (tests and scripts read these lines)."""
    for url in urls:
        print(f"camrelay: listening on {url}", flush=True)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    # The server (Quart, Hypercorn, python-socketio) is imported here, not with this module:
    # `camrelay user|key|migrate|export|import` share the flags above and start in a blink.
    from ..server.core.store_url import StoreError
    from ..server.serving import serve
    from ..server.transport import TransportMismatch

    settings = settings_from(
        args,
        listen=args.listen,
        h2c_listen=args.h2c_listen,
        access_log_file=args.access_log,
        proxy_protocol=args.proxy_protocol,
    )
    try:
        asyncio.run(serve(settings, announce))
    except (TransportMismatch, StoreError) as exc:
        print(f"camrelay serve: {exc}", file=sys.stderr)
        return 2
    return 0
