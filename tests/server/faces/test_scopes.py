"""Camera scopes (CONTRACT §4): a viewer and an operator limited to camera door, next to cameras
door and yard, find nothing of yard anywhere (records, messages from or to it, the online list,
streams, output.raw), exactly as if it did not exist; the unscoped admin sees both."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.api import Api, Device
from tests.support.h2_client import H2Client
from tests.support.people import Team, form_team
from tests.support.relay_server import RelayServer
from tests.support.until import until

OK = {"result": "OK"}
REFUSED = {"result": "BAD", "code": 16}
NO_RECORD = {"result": "BAD", "code": 9}
NO_DEVICE = {"result": "BAD", "code": 15}
DOOR = frozenset({"door"})
MEMBERS = ("viewer", "operator", "admin")  # the first two see only door
_unique = itertools.count(1)


@pytest.fixture(scope="module")
def team(server: RelayServer) -> Team:
    return form_team(
        server,
        viewer=("viewer", DOOR),
        operator=("operator", DOOR),
        door=("key", DOOR),
        yard=("key", frozenset({"yard"})),
    )


def seen_by(member: str) -> list[str]:
    """The cameras the member sees, in the order they were signed in."""
    return ["door"] if member != "admin" else ["door", "yard"]


async def records(team: Team, api: Api) -> dict[str, int]:
    """A fresh record of each camera: rid by camera."""
    return {
        camera: (await team.device(api, camera).add_record(camera.encode(), "JPEG"))["rid"]
        for camera in ("door", "yard")
    }


@pytest.mark.parametrize("member", MEMBERS)
async def test_records_of_other_cameras_do_not_exist(api: Api, team: Team, member: str) -> None:
    made = await records(team, api)
    me = team.device(api, member)
    listed = (await me.call("getRecordCount"))["records"]
    mine = [(r["device"], r["rid"]) for r in listed if r["rid"] in made.values()]
    metas = {c: (await me.call("getRecordMeta", rid=rid))["result"] for c, rid in made.items()}
    yard_meta = await me.call("getRecordMeta", rid=made["yard"])
    yard_data = await api.http.post(
        f"{api.url}/getRecordData.json", json={"shash": me.shash, "rid": made["yard"]}
    )
    door_data = await api.http.post(
        f"{api.url}/getRecordData.json", json={"shash": me.shash, "rid": made["door"]}
    )
    assert mine == [(camera, made[camera]) for camera in seen_by(member)]
    assert metas == {camera: "OK" if camera in seen_by(member) else "BAD" for camera in made}
    assert door_data.content == b"door"
    if member == "admin":
        assert yard_data.content == b"yard"
    else:
        assert (yard_meta, yard_data.json()) == (NO_RECORD, NO_RECORD)


@pytest.mark.parametrize(
    ("member", "answer", "kept"),
    [("viewer", REFUSED, True), ("operator", OK, True), ("admin", OK, False)],
)
async def test_deleting_a_record_of_another_camera_does_nothing(
    api: Api, team: Team, member: str, answer: dict[str, Any], kept: bool
) -> None:
    made = await records(team, api)
    deleted = await team.device(api, member).call("deleteRecords", records=[made["yard"]])
    found = await team.device(api, "admin").call("getRecordMeta", rid=made["yard"])
    assert (deleted, found["result"] == "OK") == (answer, kept)


@pytest.mark.parametrize("member", MEMBERS)
async def test_messages_from_other_cameras_do_not_exist(api: Api, team: Team, member: str) -> None:
    me = team.device(api, member)
    names = {}
    for camera in ("door", "yard"):
        names[camera] = f"from-{camera}-{next(_unique)}"
        sent = await team.device(api, camera).call(
            "addMsgs", msgs=[{"msg": names[camera], "target": me.name}, {"msg": names[camera]}]
        )
        assert sent == OK  # a camera answers whoever asks it
    got = (await me.call("getMsgs"))["msgs"]
    heard = [(m["msg"], m["device"]) for m in got if m["msg"] in names.values()]
    assert heard == [(names[c], c) for c in seen_by(member) for _ in range(2)]


@pytest.mark.parametrize(
    ("member", "to_door", "to_yard"),
    [("viewer", REFUSED, REFUSED), ("operator", OK, REFUSED), ("admin", OK, OK)],
)
async def test_messages_to_other_cameras_are_refused(
    api: Api, team: Team, member: str, to_door: dict[str, Any], to_yard: dict[str, Any]
) -> None:
    me = team.device(api, member)
    name = f"to-{next(_unique)}"
    door = await me.call("addMsgs", msg=name, target="door")
    yard = await me.call(
        "addMsgs", msgs=[{"msg": name, "target": "door"}, {"msg": name, "target": "yard"}]
    )
    delivered = (await team.device(api, "yard").call("getMsgs"))["msgs"]
    assert (door, yard) == (to_door, to_yard)
    assert [m["device"] for m in delivered if m["msg"] == name] == (
        [me.name] if to_yard == OK else []
    )


@pytest.fixture
async def streaming(team: Team, api: Api, server: RelayServer) -> AsyncIterator[None]:
    """door and yard upload (no frames yet) for the test's length."""
    client = await H2Client.connect(server.url)
    for camera in ("door", "yard"):
        query = httpx.QueryParams(shash=team.shashes[camera], subproto="RAW_JPEG")
        await client.request("PUT", f"/input.raw?{query}", end=False)
    admin = team.device(api, "admin")

    async def both() -> bool:
        listed = (await admin.call("getStreams"))["devices"]
        return {d["device"] for d in listed} >= {"door", "yard"}

    await until(both, timeout=10, what="door and yard stream")
    yield
    await client.close()


async def watch(api: Api, me: Device, camera: str) -> Any:
    """What output.raw of `camera` answers: its JSON error, or the stream's content type."""
    query = httpx.QueryParams(shash=me.shash, device=camera)
    async with api.http.stream("GET", f"{api.url}/output.raw?{query}") as response:
        kind = response.headers["content-type"]
        if kind == "application/json":
            return json.loads(await response.aread())
        return kind


@pytest.mark.parametrize("member", MEMBERS)
async def test_other_cameras_are_not_online_not_streaming_not_watchable(
    api: Api, team: Team, member: str, streaming: None
) -> None:
    me = team.device(api, member)
    online = [d["device"] for d in (await me.call("getDevicesOnline"))["devices"]]
    streams = [d["device"] for d in (await me.call("getStreams"))["devices"]]
    watched = {camera: await watch(api, me, camera) for camera in ("door", "yard", "nosuch")}
    if member == "admin":
        assert online == [m.device for m in team.members.values()]
    else:
        assert online == [me.name, "door"]  # itself and its camera, in the order signed in
    assert streams == seen_by(member)
    stream = "application/octet-stream"
    nothing = NO_DEVICE
    assert watched == {
        "door": stream,
        "yard": stream if member == "admin" else nothing,
        "nosuch": nothing,
    }
