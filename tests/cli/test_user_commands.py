"""`camrelay user add|list|passwd|del` against a data directory, while a server runs on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.support.api import Api, Device, post_raw
from tests.support.cli import camrelay
from tests.support.relay_server import RelayServer
from tests.support.until import until


def test_user_commands_walk(data_dir: Path) -> None:
    data = ["--data", str(data_dir)]
    added = camrelay("user", "add", "alice", *data, stdin="s3cret pass\n")
    assert (added.returncode, added.stdout) == (0, "account alice created\n")
    again = camrelay("user", "add", "alice", *data, stdin="x\n")
    assert (again.returncode, again.stderr) == (1, "camrelay: the name alice is taken\n")
    bad = camrelay("user", "add", "bad name!", *data, stdin="x\n")
    assert bad.returncode == 1 and "names are 1-64 of" in bad.stderr
    camrelay("user", "add", "bob", *data, stdin="pw\n")
    listed = camrelay("user", "list", *data)
    assert listed.stdout == (
        "alice\taccount=alice\trole=admin\tcameras=all\nbob\taccount=bob\trole=admin\tcameras=all\n"
    )
    assert camrelay("user", "passwd", "alice", *data, stdin="new pass\n").returncode == 0
    assert camrelay("user", "del", "bob", *data).stdout == "account bob deleted\n"
    missing = camrelay("user", "del", "bob", *data)
    assert (missing.returncode, missing.stderr) == (1, "camrelay: no user bob\n")
    assert (
        camrelay("user", "list", *data).stdout == "alice\taccount=alice\trole=admin\tcameras=all\n"
    )
    raw = (data_dir / "camrelay.sqlite3").read_bytes()
    assert b"new pass" not in raw and b"$argon2id$" in raw


def test_users_of_an_account_with_roles_and_scopes(data_dir: Path) -> None:
    data = ["--data", str(data_dir)]
    camrelay("user", "add", "site", "--server-admin", *data, stdin="pw\n")
    added = camrelay(
        "user",
        "add",
        "guard",
        "--account",
        "site",
        "--role",
        "viewer",
        "--cameras",
        "door,yard",
        *data,
        stdin="pw2\n",
    )
    assert added.stdout == "user guard added to site as viewer\n"
    camrelay("user", "add", "tech", "--account", "site", "--role", "operator", *data, stdin="p\n")
    nowhere = camrelay("user", "add", "x", "--account", "nosuch", *data, stdin="p\n")
    assert (nowhere.returncode, nowhere.stderr) == (1, "camrelay: no account nosuch\n")
    loose = camrelay("user", "add", "y", "--role", "viewer", *data, stdin="p\n")
    assert loose.returncode == 1 and "need --account" in loose.stderr
    assert camrelay("user", "list", *data).stdout == (
        "guard\taccount=site\trole=viewer\tcameras=door,yard\n"
        "site\taccount=site\trole=admin\tcameras=all\tserver-admin\n"
        "tech\taccount=site\trole=operator\tcameras=all\n"
    )
    last_admin = camrelay("user", "del", "site", *data)
    assert (last_admin.returncode, last_admin.stderr) == (
        1,
        "camrelay: an account keeps at least one admin\n",
    )
    assert camrelay("user", "del", "guard", *data).stdout == "user guard deleted\n"


async def ended(device: Device) -> dict[str, Any] | None:
    """heartBit's answer once it is no longer OK (the session ended), else None."""
    answer = await device.call("heartBit")
    return None if answer == {"result": "OK"} else answer


async def test_passwd_and_del_end_sessions_of_a_running_server(data_dir: Path) -> None:
    server = RelayServer(data_dir, env={"CAMRELAY_HOUSEKEEPING_INTERVAL_S": "0.2"}).start()
    data = ["--data", str(data_dir)]
    camrelay("user", "add", "carol", *data, stdin="old\n")
    async with httpx.AsyncClient(http2=True, verify=False) as http:
        api = Api(http, server.url)
        device = await api.login("carol", "old", "phone")
        camrelay("user", "passwd", "carol", *data, stdin="new\n")
        after_passwd = await until(lambda: ended(device), what="the session ends")
        old_login = await post_raw(api, "authorize", b'{"name":"carol","pass":"old","device":"p"}')
        device = await api.login("carol", "new", "phone")
        camrelay("user", "del", "carol", *data)
        after_del = await until(lambda: ended(device), what="the session ends")
    server.stop()
    assert after_passwd == {"result": "BAD", "code": 6}
    assert old_login == {"result": "BAD", "code": 7}
    assert after_del == {"result": "BAD", "code": 6}
