"""`camrelay key add|list|revoke`: device keys, so cameras never carry a person's password."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime

from ..server.core.device_keys import KeyInfo
from ..server.core.tokens import iso_time
from .identity_store import IdentityStore, Refused, run_on_store
from .main import COMMANDS
from .serve import add_common

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
DURATION_RE = re.compile(r"^(\d{1,9})([smhdw]?)$")


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `key` and its actions."""
    parser = commands.add_parser("key", help=COMMANDS["key"][1])
    actions = parser.add_subparsers(dest="action", required=True)
    add_action = actions.add_parser("add", help="make a key for one camera; prints it once")
    add_action.add_argument("--account", required=True)
    add_action.add_argument("--device", required=True, help="the camera's device name")
    add_action.add_argument("--expires", help="lifetime: 3600, 90m, 12h, 30d, 8w")
    add_action.set_defaults(run=add)
    list_action = actions.add_parser("list", help="list keys (never their secrets)")
    list_action.add_argument("--account", help="only this account's keys")
    list_action.set_defaults(run=list_keys)
    revoke_action = actions.add_parser("revoke", help="revoke a key: its sessions end at once")
    revoke_action.add_argument("key_id")
    revoke_action.set_defaults(run=revoke)
    for action in (add_action, list_action, revoke_action):
        add_common(action)


def seconds_of(text: str | None) -> float | None:
    """A lifetime such as 30d in seconds; None when not given."""
    if text is None:
        return None
    match = DURATION_RE.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise Refused(f"--expires {text!r}: a positive number with s, m, h, d or w")
    return float(int(match.group(1)) * UNITS[match.group(2) or "s"])


def add(args: argparse.Namespace) -> int:
    """Make a key and print its id and secret, once."""

    async def job(store: IdentityStore) -> None:
        account_id = await store.account_id(args.account)
        key, secret = await store.keys.create(account_id, args.device, seconds_of(args.expires))
        print(f"id {key.id}\nsecret {secret}\ndevice {key.device}")
        print(f"expires {'never' if key.expires is None else iso_time(key.expires)}")
        print(f"# shown once: camrelay push --key-id {key.id} --key SECRET (or CAMRELAY_KEY)")

    return run_on_store(args, job)


def state_of(key: KeyInfo) -> str:
    """active, revoked or expired."""
    if key.revoked is not None:
        return "revoked"
    return "active" if key.usable(datetime.now(UTC).timestamp()) else "expired"


def list_keys(args: argparse.Namespace) -> int:
    """Print every key with its camera, account, dates and state."""

    async def job(store: IdentityStore) -> None:
        names = await store.accounts.names()
        account_id = await store.account_id(args.account) if args.account else None
        for key in await store.keys.list(account_id):
            expires = "never" if key.expires is None else iso_time(key.expires)
            print(
                f"{key.id}\taccount={names.get(key.account_id, '?')}\tdevice={key.device}\t"
                f"created={iso_time(key.created)}\texpires={expires}\tstate={state_of(key)}\t"
                f"uses={key.uses}"
            )

    return run_on_store(args, job)


def revoke(args: argparse.Namespace) -> int:
    """Revoke a key."""

    async def job(store: IdentityStore) -> None:
        await store.keys.revoke(None, args.key_id)
        print(f"key {args.key_id} revoked")

    return run_on_store(args, job)
