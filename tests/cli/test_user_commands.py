"""`camrelay user add|list|passwd|del` against a data directory, while a server runs on it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.support.api import Api, Device, post_raw
from tests.support.relay_server import RelayServer
from tests.support.until import until


def camrelay(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "camrelay", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_user_commands_walk(data_dir: Path) -> None:
    data = ["--data", str(data_dir)]
    added = camrelay("user", "add", "alice", *data, stdin="s3cret pass\n")
    assert (added.returncode, added.stdout) == (0, "account alice created\n")
    again = camrelay("user", "add", "alice", *data, stdin="x\n")
    assert again.returncode == 1 and "exists already" in again.stderr
    bad = camrelay("user", "add", "bad name!", *data, stdin="x\n")
    assert bad.returncode == 1 and "account names" in bad.stderr
    camrelay("user", "add", "bob", *data, stdin="pw\n")
    listed = camrelay("user", "list", *data)
    assert listed.stdout == "alice\trecords=0\tsessions=0\nbob\trecords=0\tsessions=0\n"
    assert camrelay("user", "passwd", "alice", *data, stdin="new pass\n").returncode == 0
    assert camrelay("user", "del", "bob", *data).stdout == "account bob deleted\n"
    missing = camrelay("user", "del", "bob", *data)
    assert missing.returncode == 1 and "no account bob" in missing.stderr
    assert camrelay("user", "list", *data).stdout == "alice\trecords=0\tsessions=0\n"
    raw = (data_dir / "camrelay.sqlite3").read_bytes()
    assert b"new pass" not in raw and b"$argon2id$" in raw


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
