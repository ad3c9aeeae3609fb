"""Options shared by the commands that talk to a relay from outside (push, pull, workers)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from ..clients.relay import RelayClient

DEFAULT_SERVER = "https://127.0.0.1:8080"


def add_client_options(parser: argparse.ArgumentParser, device_help: str = "") -> None:
    """--server, --user, --insecure (and the password from CAMRELAY_PASSWORD or a prompt)."""
    parser.add_argument(
        "--server",
        default=os.environ.get("CAMRELAY_SERVER", DEFAULT_SERVER),
        help=f"relay URL (default $CAMRELAY_SERVER or {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--user",
        default=os.environ.get("CAMRELAY_USER", "demo"),
        help="account name (default $CAMRELAY_USER or demo)",
    )
    parser.add_argument(
        "--insecure",
        action="store_true",
        help="accept any TLS certificate (the self-signed one of `make run`)",
    )


def password() -> str:
    """CAMRELAY_PASSWORD, else a prompt on the terminal."""
    value = os.environ.get("CAMRELAY_PASSWORD")
    if value is not None:
        return value
    if not sys.stdin.isatty():
        sys.exit("camrelay: set CAMRELAY_PASSWORD or run on a terminal to be asked")
    return getpass.getpass("Password: ")


def relay_client(args: argparse.Namespace, device: str, meta: str = "") -> RelayClient:
    """A client for the relay named by the options, as `device`."""
    return RelayClient(args.server, args.user, password(), device, meta, verify=not args.insecure)
