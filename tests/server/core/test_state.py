"""Camera state without a server (CONTRACT §5): keys, rights, broadcasts, persistence, the
camera's messages and reports, and the merging outbox."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from camrelay.server.core.accounts import Account
from camrelay.server.core.bus import StateChanged, StreamGone, StreamReady
from camrelay.server.core.clock import ManualClock
from camrelay.server.core.identity import Identity, Role
from camrelay.server.core.messages import NewMessage
from camrelay.server.core.relay import Relay, open_relay
from camrelay.server.core.state_keys import KEYS, InvalidValue, judge, judge_reads, writable_keys
from camrelay.server.core.state_outbox import Outbox, OutboxClosed
from camrelay.settings import load_settings
from tests.support.until import until

PERCENT_KEYS = [
    "brightness",
    "contrast",
    "sharpness",
    "saturation",
    "gain",
    "red-gain",
    "blue-gain",
    "jpeg-quality",
]


def person(role: Role, account: Account, cameras: frozenset[str] | None = None) -> Identity:
    return Identity(account.id, account.name, f"{role}-user", role, cameras, user_id=1)


def device_key(account: Account, device: str) -> Identity:
    return Identity(account.id, account.name, "key_x", Role.DEVICE, frozenset({device}))


@pytest.mark.parametrize("name", PERCENT_KEYS)
def test_percent_keys_take_0_to_100_integers(name: str) -> None:
    parse = KEYS[name].parse
    assert (parse(0), parse(100)) == (0, 100)
    for wrong in (-1, 101, 50.0, "50", True, None):
        with pytest.raises(InvalidValue, match="^Value must be between 0 and 100$"):
            parse(wrong)


def test_the_other_ranges() -> None:
    assert KEYS["fps"].parse(5) == 5 and KEYS["fps"].parse(60) == 60
    for name, low, high in (("fps", 5, 60), ("cam1-sensor", 1, 4), ("cam2-sensor", 1, 4)):
        for wrong in (low - 1, high + 1):
            with pytest.raises(InvalidValue, match=f"between {low} and {high}"):
                KEYS[name].parse(wrong)
    assert KEYS["main-camera"].parse(2) == 2
    for wrong in (0, 3, True, 1.0, "1"):
        with pytest.raises(InvalidValue, match="^Value must be one of 1, 2$"):
            KEYS["main-camera"].parse(wrong)
    assert KEYS["resolution"].parse("640x480") == "640x480"
    with pytest.raises(InvalidValue, match='one of "1920x1080", "1280x720"'):
        KEYS["resolution"].parse("800x600")
    with pytest.raises(InvalidValue, match='one of "off", "pip", "side-by-side"'):
        KEYS["pip-mode"].parse("mosaic")
    with pytest.raises(InvalidValue, match="^Value must be true or false$"):
        KEYS["cam1-light"].parse(1)


def test_auto_modes_record_and_snap_are_stored_in_one_form() -> None:
    auto = KEYS["auto-exposure"].parse
    assert [auto(v) for v in (True, False, "auto", "manual")] == [True, False, True, False]
    with pytest.raises(InvalidValue):
        auto("on")
    record = KEYS["record"].parse
    written = (True, False, "on", "off", "pause", "pause_release")
    assert [record(v) for v in written] == ["on", "off", "on", "off", "pause", "on"]
    with pytest.raises(InvalidValue):
        record("start")
    assert KEYS["snap"].parse(True) is True
    with pytest.raises(InvalidValue, match="trigger"):
        KEYS["snap"].parse(False)


def test_rights_per_role(owner: Account) -> None:
    admin, operator = person(Role.ADMIN, owner), person(Role.OPERATOR, owner)
    viewer, key = person(Role.VIEWER, owner), device_key(owner, "cam")
    writable = [name for name, key in KEYS.items() if key.writable]
    assert writable_keys(admin) == writable_keys(operator) == writable
    assert writable_keys(viewer) == writable_keys(None) == []
    assert writable_keys(key) == ["cam1-exists", "cam2-exists"]
    everything = list(KEYS)
    assert judge_reads(viewer, everything) == (everything, [])
    public = ["cam1-exists", "cam2-exists", "main-camera", "resolution", "fps", "record"]
    readable, refused = judge_reads(None, everything)
    assert readable == public
    assert refused[0] == {"error": "Permission denied", "key": "cam1-light"}


def test_each_key_is_judged_alone(owner: Account) -> None:
    writes = {"brightness": 75, "contrast": 101, "cam1-exists": True, "zoom": 2, "record": True}
    accepted, refused = judge(person(Role.OPERATOR, owner), writes)
    assert accepted == {"brightness": 75, "record": "on"}
    assert refused == [
        {"error": "Invalid value", "key": "contrast", "message": "Value must be between 0 and 100"},
        {"error": "Permission denied", "key": "cam1-exists"},
        {"error": "Unknown key", "key": "zoom"},
    ]
    _, refused = judge(None, {"brightness": 500})
    assert refused == [{"error": "Permission denied", "key": "brightness"}]


async def drain(box: Outbox) -> list[dict[str, object]]:
    taken = []
    while len(box):
        taken.append(await box.next())
    return taken


async def test_a_write_reaches_every_other_watcher_once_filtered_by_role(
    relay: Relay, owner: Account
) -> None:
    camera, other = (owner.id, "cam"), (owner.id, "cam2")
    writer_box, viewer_box, anon_box, far_box = (relay.state.outbox() for _ in range(4))
    writer = relay.state.watch(camera, person(Role.OPERATOR, owner), writer_box)
    relay.state.watch(camera, person(Role.VIEWER, owner), viewer_box)
    relay.state.watch(camera, None, anon_box)
    relay.state.watch(other, person(Role.VIEWER, owner), far_box)
    await writer_box.room()
    await relay.state.write(camera, {"brightness": 80, "fps": 30}, writer)
    assert await drain(writer_box) == [{"brightness": 80, "fps": 30, "info": ["brightness", "fps"]}]
    assert await drain(viewer_box) == [{"brightness": 80, "fps": 30}]
    assert await drain(anon_box) == [{"fps": 30}]
    assert await drain(far_box) == []
    # An unchanged value is confirmed to its writer but not broadcast again.
    await relay.state.write(camera, {"brightness": 80}, writer)
    assert await drain(writer_box) == [{"brightness": 80, "info": ["brightness"]}]
    assert await drain(viewer_box) == []


async def test_state_persists_but_live_keys_and_triggers_do_not(
    tmp_path: Path, clock: ManualClock
) -> None:
    settings = load_settings(overrides={"server": {"data_dir": tmp_path}})
    relay = await open_relay(settings, clock)
    account = await relay.accounts.add("owner", "secret")
    camera = (account.id, "cam")
    changes = {"brightness": 10, "record": "pause", "resolution": "320x240", "snap": True}
    await relay.state.write(camera, changes, None)
    await relay.state.write(camera, {"cam1-exists": True}, None, "relay")
    await relay.close()  # stores what is still pending
    relay = await open_relay(settings, clock)
    try:
        values = await relay.state.values(camera)
        assert (values["brightness"], values["record"], values["resolution"]) == (
            10,
            "pause",
            "320x240",
        )
        assert (values["snap"], values["cam1-exists"], values["contrast"]) == (False, False, 50)
        assert (await relay.state.values((account.id, "other")))["brightness"] == 50
    finally:
        await relay.close()


async def test_the_camera_gets_the_keys_it_applies_and_its_reports_become_the_state(
    relay: Relay, owner: Account
) -> None:
    await relay.cameras.create(owner.id, "cam")
    camera = (owner.id, "cam")
    box = relay.state.outbox()
    relay.state.watch(camera, person(Role.VIEWER, owner), box)
    follower = asyncio.create_task(relay.state.follow())
    try:
        async with relay.bus.subscribe(StateChanged) as changes:
            await relay.state.write(camera, {"brightness": 90, "record": "on"}, None)
            await relay.state.write(camera, {"brightness": 90, "contrast": 1}, None)
            await relay.state.write(camera, {"contrast": 2}, None)
            await relay.state.flush()
            sent = await relay.messages.fetch(owner.id, "cam", None)
            # What changes while one message is stored is merged into the next one.
            assert {(m.msg, m.device) for m in sent} == {("state", "camrelay")}
            merged: dict[str, object] = {}
            for message in sent:
                merged.update(json.loads(message.params))
            assert merged == {"brightness": 90, "contrast": 2}
            assert len(sent) < 3 and "contrast" in json.loads(sent[-1].params)
            event = await anext(aiter(changes))
            assert event == StateChanged(
                owner.id, "cam", (("brightness", 90), ("record", "on")), "socket"
            )
            report = json.dumps({"brightness": 88, "gain": 500, "record": "off", "fps": 30})
            await until(lambda: relay.bus.subscribers >= 2)  # type: ignore[attr-defined]
            await relay.messages.add(owner.id, "cam", [NewMessage("state-report", "", report)])
            await until(lambda: len(box) == 4)
            assert await drain(box) == [
                {"brightness": 90, "record": "on"},
                {"contrast": 1},
                {"contrast": 2},
                {"brightness": 88, "fps": 30},
            ]
            assert relay.state.reports_refused == 2  # gain out of range, record is the relay's
            # The camera is not told again what it reported.
            await relay.state.flush()
            assert len(await relay.messages.fetch(owner.id, "cam", None, sync=True)) == len(sent)
            relay.bus.publish(StreamReady(owner.id, "cam", "", 0))
            await until(lambda: len(box) == 1)
            relay.bus.publish(StreamGone(owner.id, "cam"))
            await until(lambda: len(box) == 2)
            assert await drain(box) == [{"cam1-exists": True}, {"cam1-exists": False}]
    finally:
        follower.cancel()


async def test_a_full_outbox_merges_its_oldest_changes_and_keeps_replies_in_place() -> None:
    box = Outbox(8)
    await box.reply({"authenticated": True})
    for value in range(20):
        box.change({"brightness": value, f"k{value % 3}": value})
    box.reply_now({"brightness": 99, "info": ["brightness"]})
    box.change({"contrast": 1})
    assert len(box) <= 9 and box.merged > 0
    taken = await drain(box)
    assert taken[0] == {"authenticated": True}
    assert {"brightness": 99, "info": ["brightness"]} in taken
    final: dict[str, object] = {}
    for message in taken:
        final.update({k: v for k, v in message.items() if k != "info"})
    assert final == {
        "authenticated": True,
        "brightness": 99,
        "k0": 18,
        "k1": 19,
        "k2": 17,
        "contrast": 1,
    }


async def test_a_reader_waits_for_room_when_its_replies_are_not_read() -> None:
    box = Outbox(8)
    for _ in range(box.reply_room):
        await box.reply({"error": "x"})
    blocked = asyncio.create_task(box.reply({"error": "y"}))
    await asyncio.sleep(0)
    assert not blocked.done()
    await box.next()
    await blocked
    box.close()
    with pytest.raises(OutboxClosed):
        await box.next()


async def test_an_idle_outbox_writes_directly_and_a_refused_write_keeps_the_order() -> None:
    box = Outbox(8)
    wire: list[str] = []
    open_ = [True]

    def direct(text: str) -> bool:
        if open_[0]:
            wire.append(text)
        return open_[0]

    box.direct = direct
    box.change({"brightness": 1}, '{"brightness":1}')
    box.reply_now({"info": ["fps"], "fps": 2})
    assert (wire, len(box), box.sent_direct) == (
        ['{"brightness":1}', '{"info":["fps"],"fps":2}'],
        0,
        2,
    )
    open_[0] = False  # the connection backs up: the outbox keeps the message
    box.change({"brightness": 3})
    open_[0] = True  # writable again, but a message waits: the next one queues behind it
    box.change({"brightness": 4}, '{"brightness":4}')
    assert len(box) == 2 and len(wire) == 2
    assert [await box.next_text(), await box.next_text()] == [
        '{"brightness":3}',
        '{"brightness":4}',
    ]
    box.change({"brightness": 5})
    assert wire[-1] == '{"brightness":5}' and box.sent_direct == 3
