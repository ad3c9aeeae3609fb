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


def add_key_options(parser: argparse.ArgumentParser) -> None:
    """--key-id and --key: authorize as a camera with a device key instead of a user."""
    parser.add_argument(
        "--key-id",
        default=os.environ.get("CAMRELAY_KEY_ID"),
        help="device key id (`camrelay key add`; default $CAMRELAY_KEY_ID); replaces --user",
    )
    parser.add_argument(
        "--key",
        default=None,
        help="the device key's secret (better: $CAMRELAY_KEY, which no process list shows)",
    )


def key_secret(args: argparse.Namespace) -> str:
    """--key, else CAMRELAY_KEY, else a prompt on the terminal."""
    value = args.key or os.environ.get("CAMRELAY_KEY")
    if value:
        return str(value)
    if not sys.stdin.isatty():
        sys.exit("camrelay: --key-id needs --key or CAMRELAY_KEY")
    return getpass.getpass("Device key secret: ")


def password() -> str:
    """CAMRELAY_PASSWORD, else a prompt on the terminal."""
    value = os.environ.get("CAMRELAY_PASSWORD")
    if value is not None:
        return value
    if not sys.stdin.isatty():
        sys.exit("camrelay: set CAMRELAY_PASSWORD or run on a terminal to be asked")
    return getpass.getpass("Password: ")


def relay_client(args: argparse.Namespace, device: str, meta: str = "") -> RelayClient:
    """A client for the relay named by the options, as `device` (with a device key when
    --key-id is given: the relay then holds the session to the key's own device)."""
    if getattr(args, "key_id", None):
        name, secret = args.key_id, key_secret(args)
    else:
        name, secret = args.user, password()
    return RelayClient(args.server, name, secret, device, meta, verify=not args.insecure)
