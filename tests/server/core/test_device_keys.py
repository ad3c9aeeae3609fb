"""Device keys (CONTRACT §4): made for one camera, checked by secret, expiring and revoked, each
use and refusal published on the bus; the secret is never stored."""

from __future__ import annotations

import pytest

from camrelay.protocol.errors import MalformedRequest, NoSuchKey, NoSuchSession
from camrelay.server.core.accounts import Account
from camrelay.server.core.bus import KeyRefused, KeyUsed, LocalSubscription
from camrelay.server.core.clock import ManualClock
from camrelay.server.core.identity import Identity, Role
from camrelay.server.core.relay import Relay
from tests.support.bus_events import queued

ADDRESS = "127.0.0.1"


@pytest.fixture
def key_events(relay: Relay) -> LocalSubscription:
    subscription = relay.bus.subscribe(KeyUsed, KeyRefused)
    assert isinstance(subscription, LocalSubscription)
    return subscription


async def test_a_key_verifies_as_its_camera_and_says_when_it_was_first_used(
    relay: Relay, owner: Account, key_events: LocalSubscription
) -> None:
    key, secret = await relay.keys.create(owner.id, "door")
    assert key.id.startswith("key_") and len(key.id) == 4 + 16
    assert len(secret) == 43  # 32 bytes, url-safe base64 without padding
    first = await relay.keys.verify(key.id, secret)
    second = await relay.keys.verify(key.id, secret)
    assert (
        first
        == second
        == Identity(owner.id, "owner", key.id, Role.DEVICE, frozenset({"door"}), key_id=key.id)
    )
    assert await queued(key_events) == [
        KeyUsed(owner.id, "door", key.id, first=True),
        KeyUsed(owner.id, "door", key.id, first=False),
    ]
    listed = await relay.keys.find(owner.id, key.id)
    assert listed is not None and listed.uses == 2 and listed.last_used == relay.clock.now()


async def test_refusals_say_why_on_the_bus_only(
    relay: Relay, owner: Account, clock: ManualClock, key_events: LocalSubscription
) -> None:
    revoked, revoked_secret = await relay.keys.create(owner.id, "door")
    short, short_secret = await relay.keys.create(owner.id, "yard", expires_in=60)
    await relay.keys.revoke(owner.id, revoked.id)
    assert await relay.keys.verify(short.id, short_secret)
    clock.advance(60)
    attempts = [
        (revoked.id, revoked_secret),
        (short.id, short_secret),
        (short.id, "wrong secret"),
        (revoked.id, "wrong too"),  # a wrong secret says nothing of the key's state
        ("key_nosuchkey000000", "x"),
    ]
    for key_id, secret in attempts:
        with pytest.raises(NoSuchKey) as refused:
            await relay.keys.verify(key_id, secret)
        assert refused.value.code == 7
    assert await queued(key_events) == [
        KeyUsed(owner.id, "yard", short.id, first=True),
        KeyRefused(owner.id, "door", revoked.id, "revoked"),
        KeyRefused(owner.id, "yard", short.id, "expired"),
        KeyRefused(owner.id, "yard", short.id, "wrong secret"),
        KeyRefused(owner.id, "door", revoked.id, "wrong secret"),
    ]


async def test_revoking_ends_the_keys_sessions_and_no_other(relay: Relay, owner: Account) -> None:
    key, secret = await relay.keys.create(owner.id, "door")
    other, other_secret = await relay.keys.create(owner.id, "yard")
    session = await relay.sign_in.authorize(key.id, secret, "anything", "", ADDRESS)
    kept = await relay.sign_in.authorize(other.id, other_secret, "door", "", ADDRESS)
    assert (session.device, kept.device) == ("door", "yard")  # the key's device, whatever sent
    revoked = await relay.keys.revoke(owner.id, key.id)
    assert revoked.revoked == relay.clock.now() and not revoked.usable(relay.clock.now())
    with pytest.raises(NoSuchSession):
        await relay.sessions.use(session.shash, ADDRESS)
    assert await relay.sessions.use(kept.shash, ADDRESS) is kept
    again = await relay.keys.revoke(None, key.id)  # twice: the first date stays
    assert again.revoked == revoked.revoked


async def test_keys_belong_to_their_account(relay: Relay, owner: Account) -> None:
    other = await relay.accounts.add("other", "pw")
    key, _ = await relay.keys.create(owner.id, "door")
    assert await relay.keys.find(other.id, key.id) is None
    assert await relay.keys.list(other.id) == []
    with pytest.raises(NoSuchKey):
        await relay.keys.revoke(other.id, key.id)
    with pytest.raises(NoSuchKey):
        await relay.keys.revoke(None, "key_nosuchkey000000")
    assert [k.id for k in await relay.keys.list(owner.id)] == [key.id]
    assert [k.id for k in await relay.keys.list()] == [key.id]


@pytest.mark.parametrize(
    ("device", "expires_in"), [("", None), ("d" * 129, None), ("door", 0), ("door", -1)]
)
async def test_bad_keys_are_refused(
    relay: Relay, owner: Account, device: str, expires_in: float | None
) -> None:
    with pytest.raises(MalformedRequest):
        await relay.keys.create(owner.id, device, expires_in)


async def test_the_secret_is_not_stored(relay: Relay, owner: Account) -> None:
    _, secret = await relay.keys.create(owner.id, "door")
    path = relay.db.path
    assert path is not None
    stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert secret.encode() not in stored and b"key_" in stored


async def test_a_live_session_ends_when_its_key_expires(
    relay: Relay, owner: Account, clock: ManualClock
) -> None:
    key, secret = await relay.keys.create(owner.id, "door", expires_in=60)
    session = await relay.sessions.open(await relay.keys.verify(key.id, secret), "x", "", ADDRESS)
    clock.advance(59)
    await relay.sessions.load()  # a restart: the stored session is held to the expiry too
    assert (await relay.sessions.use(session.shash, ADDRESS)).device == "x"
    clock.advance(1)
    with pytest.raises(NoSuchSession):
        await relay.sessions.use(session.shash, ADDRESS)
