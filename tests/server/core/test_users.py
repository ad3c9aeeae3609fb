"""Users of an account (CONTRACT §4): the last admin stays, a change of password, role or scope
ends the user's sessions and tokens at once, names are unique across the server, and a store of
schema 3 keeps its accounts' passwords as their admins'."""

from __future__ import annotations

from pathlib import Path

import pytest

from camrelay.protocol.errors import LastAdmin, MalformedRequest, NoSuchSession, NoSuchUser
from camrelay.server.core.accounts import Account, AccountExists
from camrelay.server.core.clock import ManualClock
from camrelay.server.core.db import migration_scripts
from camrelay.server.core.identity import Identity, Role
from camrelay.server.core.passwords import Passwords
from camrelay.server.core.relay import Relay, database_path, open_relay
from camrelay.settings import load_settings
from tests.support.old_store import old_store

ADDRESS = "127.0.0.1"


async def test_the_last_admin_can_be_neither_deleted_nor_demoted(
    relay: Relay, owner: Account
) -> None:
    users = relay.users
    with pytest.raises(LastAdmin):
        await users.delete(owner.id, "owner")
    with pytest.raises(LastAdmin):
        await users.update(owner.id, "owner", role="viewer")
    await users.add(owner.id, "second", "pw", "admin")
    demoted = await users.update(owner.id, "owner", role="operator")
    assert demoted.role == Role.OPERATOR
    with pytest.raises(LastAdmin):
        await users.delete(owner.id, "second")
    await users.delete(owner.id, "owner")
    assert [u.name for u in await users.list(owner.id)] == ["second"]


async def test_a_viewer_can_go_while_the_admin_stays(relay: Relay, owner: Account) -> None:
    await relay.users.add(owner.id, "guest", "pw", "viewer")
    await relay.users.delete(owner.id, "guest")
    with pytest.raises(NoSuchUser):
        await relay.users.delete(owner.id, "guest")
    assert [u.name for u in await relay.users.list(owner.id)] == ["owner"]


@pytest.mark.parametrize(
    "change",
    [{"password": "new pw"}, {"role": "viewer"}, {"cameras": frozenset({"door"})}],
    ids=["password", "role", "scope"],
)
async def test_a_change_ends_the_users_sessions_and_tokens(
    relay: Relay, owner: Account, change: dict[str, object]
) -> None:
    await relay.users.add(owner.id, "op", "pw", "operator")
    who = await relay.users.verify("op", "pw")
    session = await relay.sessions.open(who, "phone", "", ADDRESS)
    grant = await relay.tokens.issue(who)
    bystander = await relay.sessions.open(
        await relay.users.verify("owner", "secret"), "tablet", "", ADDRESS
    )
    assert await relay.tokens.identify(grant.token) == who

    changed = await relay.users.update(owner.id, "op", **change)  # type: ignore[arg-type]

    with pytest.raises(NoSuchSession):
        await relay.sessions.use(session.shash, ADDRESS)
    assert await relay.tokens.identify(grant.token) is None
    assert await relay.sessions.use(bystander.shash, ADDRESS) is bystander
    again = await relay.users.verify("op", str(change.get("password", "pw")))
    assert again == changed.identity()


async def test_deleting_a_user_ends_its_sessions_and_tokens(relay: Relay, owner: Account) -> None:
    await relay.users.add(owner.id, "op", "pw", "operator")
    who = await relay.users.verify("op", "pw")
    session = await relay.sessions.open(who, "phone", "", ADDRESS)
    grant = await relay.tokens.issue(who)
    await relay.users.delete(owner.id, "op")
    with pytest.raises(NoSuchSession):
        await relay.sessions.use(session.shash, ADDRESS)
    assert await relay.tokens.identify(grant.token) is None
    with pytest.raises(NoSuchUser):
        await relay.users.verify("op", "pw")


async def test_names_are_unique_across_the_server(relay: Relay, owner: Account) -> None:
    other = await relay.accounts.add("other", "pw")
    await relay.users.add(other.id, "guard", "pw", "viewer")
    for name in ("owner", "other", "guard"):
        with pytest.raises(AccountExists):
            await relay.users.add(owner.id, name, "pw", "viewer")
        with pytest.raises(AccountExists):
            await relay.accounts.add(name, "pw")
    for name in ("key_camera", "key_", "bad name", "", "x" * 65):
        with pytest.raises(MalformedRequest):
            await relay.users.add(owner.id, name, "pw", "viewer")
        with pytest.raises(MalformedRequest):
            await relay.accounts.add(name, "pw")
    with pytest.raises(MalformedRequest):
        await relay.users.add(owner.id, "boss", "pw", "device")  # a key's role, not a user's


async def test_verify_gives_the_users_role_scope_and_account(relay: Relay, owner: Account) -> None:
    added = await relay.users.add(owner.id, "guard", "pw", "viewer", frozenset({"door", "yard"}))
    who = await relay.users.verify("guard", "pw")
    assert who == Identity(
        owner.id, "owner", "guard", Role.VIEWER, frozenset({"door", "yard"}), user_id=added.id
    )
    assert who.public() == {
        "user": "guard",
        "account": "owner",
        "role": "viewer",
        "cameras": ["door", "yard"],
    }
    for name, password in (("guard", "wrong"), ("nobody", "pw"), ("g" * 65, "pw")):
        with pytest.raises(NoSuchUser):
            await relay.users.verify(name, password)


async def test_a_schema_3_store_migrates_and_the_old_password_is_the_admins(
    tmp_path: Path, clock: ManualClock
) -> None:
    """Its sessions live on, held by the admin."""
    path = database_path(tmp_path)
    pw_hash = await Passwords().hash("old password")
    conn = old_store(path, 3)
    with conn:
        conn.execute(
            "INSERT INTO accounts(name, pw_hash, created) VALUES('legacy', ?, 1.0)", (pw_hash,)
        )
        conn.execute(
            "INSERT INTO sessions(shash, account_id, device, address, created, last_seen) "
            "VALUES('live-before', 1, 'cam', ?, ?, ?)",
            (ADDRESS, clock.now(), clock.now()),
        )
    conn.close()

    settings = load_settings(overrides={"server": {"data_dir": tmp_path}})
    relay = await open_relay(settings, clock)
    try:
        who = await relay.users.verify("legacy", "old password")
        kept = await relay.sessions.use("live-before", ADDRESS)
        columns = [row[1] for row in await relay.db.fetchall("PRAGMA table_info(accounts)")]
        version = (await relay.db.fetchone("PRAGMA user_version"))[0]
        session = await relay.sign_in.authorize("legacy", "old password", "cam", "", ADDRESS)
    finally:
        await relay.close()
    assert (who.account, who.name, who.role, who.cameras) == ("legacy", "legacy", Role.ADMIN, None)
    assert session.identity == kept.identity == who
    assert "pw_hash" not in columns
    assert version == max(number for number, _ in migration_scripts())
