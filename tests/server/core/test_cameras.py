"""The camera registry: a device is a camera once registered, keyed or streamed; removing one
takes its keys (their sessions end) and, when asked, its records."""

from __future__ import annotations

import pytest

from camrelay.protocol.errors import MalformedRequest, NameTaken, NoSuchDevice, NoSuchSession
from camrelay.server.core.accounts import Account
from camrelay.server.core.bus import CameraChanged, LocalSubscription, RecordsDeleted
from camrelay.server.core.cameras import CameraInfo
from camrelay.server.core.relay import Relay
from tests.support.bus_events import queued

ADDRESS = "127.0.0.1"


@pytest.fixture
def camera_events(relay: Relay) -> LocalSubscription:
    subscription = relay.bus.subscribe(CameraChanged, RecordsDeleted)
    assert isinstance(subscription, LocalSubscription)
    return subscription


async def test_registered_keyed_and_streamed_devices_are_cameras(
    relay: Relay, owner: Account, camera_events: LocalSubscription
) -> None:
    now = relay.clock.now()
    await relay.cameras.create(owner.id, "door", "front door", public=True)
    await relay.keys.create(owner.id, "yard")
    await relay.keys.create(owner.id, "yard")  # two keys, one camera
    await relay.cameras.seen(owner.id, "garage")
    await relay.cameras.seen(owner.id, "door")  # streaming keeps what was registered
    other = await relay.accounts.add("other", "pw")
    await relay.cameras.create(other.id, "door")
    assert await relay.cameras.list(owner.id) == [
        CameraInfo("door", "front door", True, now),
        CameraInfo("garage", "", False, now),
        CameraInfo("yard", "", False, now),
    ]
    with pytest.raises(NameTaken):
        await relay.cameras.create(owner.id, "door")
    changed = await relay.cameras.update(owner.id, "yard", meta="back yard")
    assert changed == CameraInfo("yard", "back yard", False, now)
    assert await relay.cameras.find(owner.id, "yard") == changed
    assert await queued(camera_events) == [
        CameraChanged(owner.id, "door"),
        CameraChanged(other.id, "door"),
        CameraChanged(owner.id, "yard"),
    ]


@pytest.mark.parametrize(("name", "meta"), [("", ""), ("n" * 129, ""), ("door", "m" * 4097)])
async def test_bad_cameras_are_refused(relay: Relay, owner: Account, name: str, meta: str) -> None:
    with pytest.raises(MalformedRequest):
        await relay.cameras.create(owner.id, name, meta)


async def test_removing_a_camera_takes_its_keys_and_when_asked_its_records(
    relay: Relay, owner: Account, camera_events: LocalSubscription
) -> None:
    key, secret = await relay.keys.create(owner.id, "door")
    session = await relay.sign_in.authorize(key.id, secret, "door", "", ADDRESS)
    kept = await relay.records.add(owner.id, "door", "", b"kept")
    await relay.cameras.delete(owner.id, "door")
    with pytest.raises(NoSuchSession):
        await relay.sessions.use(session.shash, ADDRESS)
    assert await relay.keys.list(owner.id) == []
    assert await relay.cameras.list(owner.id) == []
    assert (await relay.records.meta(owner.id, kept.rid)).device == "door"
    with pytest.raises(NoSuchDevice):
        await relay.cameras.delete(owner.id, "door")

    await relay.cameras.create(owner.id, "door")
    await relay.cameras.delete(owner.id, "door", purge=True)
    assert await relay.records.since(owner.id, None) == []
    assert await queued(camera_events) == [
        CameraChanged(owner.id, "door", removed=True),
        CameraChanged(owner.id, "door"),
        RecordsDeleted(owner.id, (kept.rid,), "camera removed"),
        CameraChanged(owner.id, "door", removed=True),
    ]
