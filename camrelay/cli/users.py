"""`camrelay user add|list|passwd|del`: accounts and their users (CONTRACT §4)."""

from __future__ import annotations

import argparse
import getpass
import sys

from ..server.core.identity import Role
from ..server.core.users import UserInfo
from .identity_store import IdentityStore, Refused, run_on_store
from .main import COMMANDS
from .serve import add_common


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `user` and its actions."""
    parser = commands.add_parser("user", help=COMMANDS["user"][1])
    actions = parser.add_subparsers(dest="action", required=True)
    add_action = actions.add_parser(
        "add",
        help="create an account with its admin NAME, or with --account a user of an account "
        "(password from stdin or a prompt)",
    )
    add_action.add_argument("--account", help="add the user to this existing account")
    add_action.add_argument(
        "--role", choices=[r.value for r in (Role.ADMIN, Role.OPERATOR, Role.VIEWER)]
    )
    add_action.add_argument("--cameras", help="limit the user to these cameras: CAM1,CAM2")
    add_action.add_argument(
        "--server-admin", action="store_true", help="may read every account's logs"
    )
    for name, runner, needs_name, text in (
        ("add", add, True, ""),
        ("list", list_users, False, "list users: account, role, camera scope"),
        ("passwd", passwd, True, "change a password and end the user's sessions and tokens"),
        ("del", delete, True, "delete a user (an account's only user: the whole account)"),
    ):
        action = add_action if name == "add" else actions.add_parser(name, help=text)
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


def cameras_of(text: str | None) -> frozenset[str] | None:
    """A --cameras list; None (every camera) when not given."""
    if text is None:
        return None
    names = frozenset(name.strip() for name in text.split(",") if name.strip())
    if not names:
        raise Refused("--cameras names at least one camera")
    return names


def add(args: argparse.Namespace) -> int:
    """Create an account, or a user of one."""
    if args.account is None and (args.role or args.cameras):
        sys.exit("camrelay: --role and --cameras need --account (a new account's user is admin)")
    password = read_password()

    async def job(store: IdentityStore) -> None:
        if args.account is None:
            await store.accounts.add(args.name, password, server_admin=args.server_admin)
            print(f"account {args.name} created")
            return
        user = await store.users.add(
            await store.account_id(args.account),
            args.name,
            password,
            args.role or Role.VIEWER,
            cameras_of(args.cameras),
            server_admin=args.server_admin,
        )
        print(f"user {user.name} added to {user.account} as {user.role.value}")

    return run_on_store(args, job)


def describe(user: UserInfo) -> str:
    """One line of `user list`."""
    scope = "all" if user.cameras is None else ",".join(sorted(user.cameras))
    admin = "\tserver-admin" if user.server_admin else ""
    return f"{user.name}\taccount={user.account}\trole={user.role.value}\tcameras={scope}{admin}"


def list_users(args: argparse.Namespace) -> int:
    """Print every user with its account, role and scope."""

    async def job(store: IdentityStore) -> None:
        for user in await store.users.list():
            print(describe(user))

    return run_on_store(args, job)


def passwd(args: argparse.Namespace) -> int:
    """Change a password."""
    password = read_password()

    async def job(store: IdentityStore) -> None:
        await store.users.set_password(args.name, password)
        print(f"password of {args.name} changed")

    return run_on_store(args, job)


def delete(args: argparse.Namespace) -> int:
    """Delete a user, or the account whose only user it is."""

    async def job(store: IdentityStore) -> None:
        user = await store.users.find(args.name)
        if user is None:
            raise Refused(f"no user {args.name}")
        if len(await store.users.list(user.account_id)) == 1:
            await store.accounts.delete(user.account)
            print(f"account {user.account} deleted")
            return
        await store.users.delete(user.account_id, user.name)
        print(f"user {user.name} deleted")

    return run_on_store(args, job)
