"""The argon2id cost of new hashes ([passwords] settings): what is stored, what still verifies."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from camrelay.server.core.passwords import Passwords
from camrelay.server.core.relay import open_relay
from camrelay.server.core.store_url import database_path
from camrelay.settings import PasswordSettings, SettingsError, load_settings
from tests.support.cli import camrelay


def cost(memory_kib: int, passes: int, lanes: int) -> PasswordSettings:
    return PasswordSettings(
        argon2_memory_kib=memory_kib, argon2_time_cost=passes, argon2_parallelism=lanes
    )


PARAMS = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def cost_of(pw_hash: str) -> tuple[int, int, int]:
    """(memory KiB, passes, lanes) as the hash records them."""
    found = PARAMS.match(pw_hash)
    assert found, pw_hash
    memory, passes, lanes = found.groups()
    return int(memory), int(passes), int(lanes)


async def test_the_default_cost_is_pwdlibs_recommended() -> None:
    pw_hash = await Passwords().hash("pw")
    assert cost_of(pw_hash) == (65536, 3, 4)


async def test_a_hash_of_any_cost_verifies_whatever_the_cost_now() -> None:
    old = await Passwords(cost=cost(256, 2, 2)).hash("old pw")
    now = Passwords(cost=cost(64, 1, 1))
    new = await now.hash("new pw")
    assert cost_of(old) == (256, 2, 2) and cost_of(new) == (64, 1, 1)
    assert await now.verify("old pw", old) and await now.verify("new pw", new)
    assert not await now.verify("new pw", old)


async def test_an_unknown_name_still_costs_a_check_and_fails() -> None:
    passwords = Passwords(cost=cost(64, 1, 1))
    assert not await passwords.verify("anything", None)
    assert not await passwords.verify("anything", None)
    assert passwords.checks == 2


def test_lanes_need_eight_kib_each() -> None:
    env = {
        "CAMRELAY_PASSWORDS_ARGON2_MEMORY_KIB": "16",
        "CAMRELAY_PASSWORDS_ARGON2_PARALLELISM": "4",
    }
    with pytest.raises(SettingsError, match="at least 8 x argon2_parallelism"):
        load_settings(env=env)
    with pytest.raises(SettingsError, match="argon2_time_cost"):
        load_settings(env={"CAMRELAY_PASSWORDS_ARGON2_TIME_COST": "0"})


async def test_the_servers_core_hashes_at_the_settings_cost(tmp_path: Path) -> None:
    settings = load_settings(
        overrides={
            "server": {"data_dir": tmp_path},
            "passwords": {"argon2_memory_kib": 128, "argon2_time_cost": 2, "argon2_parallelism": 1},
        }
    )
    core = await open_relay(settings)
    try:
        account = await core.accounts.add("owner", "secret")
        row = await core.db.fetchone(
            "SELECT pw_hash FROM users WHERE account_id = ?", (account.id,)
        )
    finally:
        await core.close()
    assert row is not None and cost_of(row[0]) == (128, 2, 1)


def test_camrelay_user_add_hashes_at_the_settings_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMRELAY_PASSWORDS_ARGON2_TIME_COST", "2")
    added = camrelay("user", "add", "alice", "--data", str(tmp_path), stdin="s3cret\n")
    assert added.returncode == 0, added.stderr
    with sqlite3.connect(database_path(tmp_path)) as conn:
        (pw_hash,) = conn.execute("SELECT pw_hash FROM users WHERE name = 'alice'").fetchone()
    assert cost_of(pw_hash) == (64, 2, 1)
