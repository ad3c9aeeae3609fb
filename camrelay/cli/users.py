"""`camrelay user add|list|passwd|del`: manage accounts in the data directory's store."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable

from camrelay.protocol.errors import MalformedRequest, NoSuchUser

from ..server.core.accounts import AccountExists, Accounts
from ..server.core.clock import SystemClock
from ..server.core.db import Database
from ..server.core.relay import database_path
from .main import COMMANDS
from .serve import add_common, settings_from


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `user` and its actions."""
    parser = commands.add_parser("user", help=COMMANDS["user"][1])
    actions = parser.add_subparsers(dest="action", required=True)
    for name, runner, needs_name, text in (
        ("add", add, True, "create an account (password from stdin or a prompt)"),
        ("list", list_accounts, False, "list accounts"),
        ("passwd", passwd, True, "change a password and end the account's sessions"),
        ("del", delete, True, "delete an account and everything it holds"),
    ):
        action = actions.add_parser(name, help=text)
        add_common(action)
        if needs_name:
            action.add_argument("name")
        action.set_defaults(run=runner)


def read_password(confirm: bool = True) -> str:
    """One line of stdin when it is not a terminal; else a prompt, asked twice."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if confirm and getpass.getpass("Again: ") != first:
        sys.exit("camrelay: the passwords differ")
    return first


def _with_accounts(args: argparse.Namespace, job: Callable[[Accounts], Awaitable[None]]) -> int:
    settings = settings_from(args)

    async def main() -> None:
        db = await Database.open(database_path(settings.server.data_dir))
        try:
            await job(Accounts(db, SystemClock()))
        finally:
            await db.close()

    try:
        asyncio.run(main())
    except AccountExists as exc:
        sys.exit(f"camrelay: account {exc} exists already")
    except NoSuchUser:
        sys.exit(f"camrelay: no account {args.name}")
    except MalformedRequest as exc:
        sys.exit(f"camrelay: {exc.detail}")
    return 0


def add(args: argparse.Namespace) -> int:
    """Create an account."""
    password = read_password()

    async def job(accounts: Accounts) -> None:
        await accounts.add(args.name, password)
        print(f"account {args.name} created")

    return _with_accounts(args, job)


def list_accounts(args: argparse.Namespace) -> int:
    """Print every account with its counts."""

    async def job(accounts: Accounts) -> None:
        for summary in await accounts.summaries():
            print(f"{summary.name}\trecords={summary.records}\tsessions={summary.sessions}")

    return _with_accounts(args, job)


def passwd(args: argparse.Namespace) -> int:
    """Change a password."""
    password = read_password()

    async def job(accounts: Accounts) -> None:
        await accounts.set_password(args.name, password)
        print(f"password of {args.name} changed")

    return _with_accounts(args, job)


def delete(args: argparse.Namespace) -> int:
    """Delete an account."""

    async def job(accounts: Accounts) -> None:
        await accounts.delete(args.name)
        print(f"account {args.name} deleted")

    return _with_accounts(args, job)
