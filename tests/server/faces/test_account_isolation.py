"""Nothing of one account is visible to or changeable by another, request by request."""

from __future__ import annotations

import itertools

from tests.support.api import Api, Device
from tests.support.relay_server import RelayServer

_n = itertools.count(1)


async def two_accounts(server: RelayServer, api: Api) -> tuple[Device, Device, Device]:
    """Alice's camera and phone, and Mallory's device named like Alice's phone."""
    alice, mallory = f"alice{next(_n)}", f"mallory{next(_n)}"
    await server.add_account(alice, "alice-pw")
    await server.add_account(mallory, "mallory-pw")
    camera = await api.login(alice, "alice-pw", "camera")
    phone = await api.login(alice, "alice-pw", "phone")
    intruder = await api.login(mallory, "mallory-pw", "phone")
    return camera, phone, intruder


async def test_records_are_private(server: RelayServer, api: Api) -> None:
    camera, phone, intruder = await two_accounts(server, api)
    rid = (await camera.add_record(b"alice's snapshot"))["rid"]
    assert (await intruder.call("getRecordCount"))["records"] == []
    assert await intruder.call("getRecordMeta", rid=rid) == {"result": "BAD", "code": 9}
    assert await intruder.call("getRecordData", rid=rid) == {"result": "BAD", "code": 9}
    assert await intruder.call("deleteRecords", records=[-1, rid]) == {"result": "OK"}
    assert [r["rid"] for r in (await phone.call("getRecordCount"))["records"]] == [rid]
    own = (await intruder.add_record(b"mallory's"))["rid"]
    assert await intruder.call("deleteRecords", records=[-1, own]) == {"result": "OK"}
    assert [r["rid"] for r in (await phone.call("getRecordCount"))["records"]] == [rid]


async def test_messages_are_private(server: RelayServer, api: Api) -> None:
    camera, phone, intruder = await two_accounts(server, api)
    await camera.call("addMsgs", msg="for phone", target="phone")
    await camera.call("addMsgs", msg="broadcast")
    await intruder.call("addMsgs", msg="spoof", target="phone")
    assert (await intruder.call("getMsgsAndSync"))["msgs"] == []
    got = await phone.call("getMsgs")
    assert [(m["msg"], m["device"]) for m in got["msgs"]] == [
        ("for phone", "camera"),
        ("broadcast", "camera"),
    ]


async def test_sync_of_another_account_deletes_nothing(server: RelayServer, api: Api) -> None:
    camera, phone, intruder = await two_accounts(server, api)
    await camera.call("addMsgs", msg="hello", target="phone")
    await intruder.call("getMsgsAndSync")
    await intruder.call("addMsgs", msg="sync")
    assert [m["msg"] for m in (await phone.call("getMsgs"))["msgs"]] == ["hello"]


async def test_config_is_private(server: RelayServer, api: Api) -> None:
    camera, phone, intruder = await two_accounts(server, api)
    await intruder.call("setConfig", config=[{"kind": 1, "fv": 1}])
    assert [c["fv"] for c in (await phone.call("getConfig"))["config"]][0] == 30
    assert [c["fv"] for c in (await intruder.call("getConfig"))["config"]][0] == 1


async def test_devices_and_streams_are_private(server: RelayServer, api: Api) -> None:
    camera, phone, intruder = await two_accounts(server, api)
    online = (await intruder.call("getDevicesOnline"))["devices"]
    assert online == [{"device": "phone", "meta": ""}]
    assert [d["device"] for d in (await phone.call("getDevicesOnline"))["devices"]] == [
        "camera",
        "phone",
    ]
    assert (await intruder.call("getStreams"))["devices"] == []


async def test_a_shash_works_only_for_its_own_account(server: RelayServer, api: Api) -> None:
    camera, phone, intruder = await two_accounts(server, api)
    await intruder.call("addMsgs", msg="mine")
    # The session decides the account: the same device name elsewhere sees nothing of Alice.
    assert (await phone.call("getMsgs"))["msgs"] == []
