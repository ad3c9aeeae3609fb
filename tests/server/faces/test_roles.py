"""Every core request × every role (CONTRACT §4): the role's answer is the normal one where the
contract allows it and exactly {"result":"BAD","code":16} where it does not."""

from __future__ import annotations

import itertools
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.api import Api, Device
from tests.support.people import Team, form_team
from tests.support.relay_server import RelayServer

OK = {"result": "OK"}
REFUSED = {"result": "BAD", "code": 16}
ROLES = ("admin", "operator", "viewer", "key")
CAMERA = "cam"  # the key's device
_unique = itertools.count(1)


@pytest.fixture(scope="module")
def team(server: RelayServer) -> Team:
    """An admin, an operator, a viewer and a key for CAMERA, every one unscoped but the key."""
    return form_team(
        server,
        operator=("operator", None),
        viewer=("viewer", None),
        key=("key", frozenset({CAMERA})),
    )


@dataclass
class Asked:
    """What a role got (`got`), what the answer is where allowed (`normal`) and where refused
    (`refused`): a request that changes something shows whether it did beside its answer."""

    got: Any
    normal: Any
    refused: Any = None

    def __post_init__(self) -> None:
        self.refused = REFUSED if self.refused is None else self.refused


@dataclass
class Ask:
    """One role's requests, with the admin at hand to prepare and to check."""

    api: Api
    team: Team
    role: str

    @property
    def me(self) -> Device:
        return self.team.device(self.api, self.role)

    @property
    def admin(self) -> Device:
        return self.team.device(self.api, "admin")

    @property
    def other(self) -> Device:
        """Someone else with every right a message needs (a device hears no message of its own)."""
        return self.team.device(self.api, "operator" if self.role == "admin" else "admin")

    async def a_record(self) -> tuple[int, dict[str, Any]]:
        """A record the admin adds for the role to read or delete: its rid and meta answer."""
        rid = (await self.admin.add_record(b"jpeg bytes", "JPEG"))["rid"]
        return rid, await self.admin.call("getRecordMeta", rid=rid)


def hidden(answer: dict[str, Any], key: str, keep: Callable[[Any], bool] = bool) -> dict[str, Any]:
    """The answer with `key`'s value replaced by "…" when `keep` accepts it (a fresh shash,
    rid or stamp)."""
    return {**answer, key: "…"} if key in answer and keep(answer[key]) else answer


async def authorize(ask: Ask) -> Asked:
    member = ask.team.members[ask.role]
    body = {"name": member.name, "pass": member.secret, "device": member.device}
    answer = await ask.api.call("authorize", body)
    return Asked(hidden(answer, "shash"), {"result": "OK", "shash": "…"})


async def heart_bit(ask: Ask) -> Asked:
    return Asked(await ask.me.call("heartBit"), OK)


async def server_time(ask: Ask) -> Asked:
    answer = await ask.me.call("getServerTime")
    clock = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").fullmatch
    return Asked(hidden(answer, "stamp", clock), {"result": "OK", "stamp": "…"})


async def get_config(ask: Ask) -> Asked:
    return Asked(await ask.me.call("getConfig"), await ask.admin.call("getConfig"))


async def set_config(ask: Ask) -> Asked:
    answer = await ask.me.call("setConfig", config=[{"kind": 4, "fv": 200}])  # as it was
    return Asked(answer, OK)


async def add_record(ask: Ask) -> Asked:
    answer = await ask.me.add_record(b"frame", "image/jpeg")
    return Asked(hidden(answer, "rid", lambda rid: isinstance(rid, int)), {**OK, "rid": "…"})


async def record_count(ask: Ask) -> Asked:
    rid, meta = await ask.a_record()
    answer = await ask.me.call("getRecordCount")
    if "records" in answer:
        answer["records"] = [r for r in answer["records"] if r["rid"] == rid]
    listed = {"rid": rid, "device": meta["device"], "stamp": meta["stamp"]}
    return Asked(answer, {**OK, "records": [listed]})


async def record_meta(ask: Ask) -> Asked:
    rid, meta = await ask.a_record()
    expected = {**OK, "device": ask.team.members["admin"].device, "meta": "JPEG"}
    assert meta == {**expected, "stamp": meta["stamp"]}
    return Asked(await ask.me.call("getRecordMeta", rid=rid), meta)


async def record_data(ask: Ask) -> Asked:
    rid, _ = await ask.a_record()
    response = await ask.api.http.post(
        f"{ask.api.url}/getRecordData.json", json={"shash": ask.me.shash, "rid": rid}
    )
    kind = response.headers["content-type"]
    got = response.json() if kind == "application/json" else (kind, response.content)
    return Asked(got, ("image/jpeg", b"jpeg bytes"))


async def delete_records(ask: Ask) -> Asked:
    rid, _ = await ask.a_record()
    answer = await ask.me.call("deleteRecords", records=[rid])
    kept = (await ask.admin.call("getRecordMeta", rid=rid))["result"] == "OK"
    return Asked((answer, kept), (OK, False), (REFUSED, True))


async def sync(ask: Ask) -> Asked:
    return Asked(await ask.me.call("addMsgs", msgs=[{"msg": "sync"}]), OK)


async def send(ask: Ask) -> Asked:
    return Asked(await ask.me.call("addMsgs", msg="hello", params={"n": 1}), OK)


async def fetched(ask: Ask, request: str) -> Asked:
    """The role reads a message someone sent it just now."""
    name = f"note{next(_unique)}"
    await ask.other.call("addMsgs", msg=name, target=ask.me.name, params={"a": 1})
    answer = await ask.me.call(request)
    if "msgs" in answer:
        answer["msgs"] = [hidden(m, "stamp") for m in answer["msgs"] if m["msg"] == name]
    sent = {"msg": name, "device": ask.other.name, "params": {"a": 1}, "stamp": "…"}
    return Asked(answer, {**OK, "msgs": [sent]})


async def get_msgs(ask: Ask) -> Asked:
    return await fetched(ask, "getMsgs")


async def get_msgs_and_sync(ask: Ask) -> Asked:
    return await fetched(ask, "getMsgsAndSync")


async def devices_online(ask: Ask) -> Asked:
    """In any order: the authorize case signs the members in again."""
    answer = await ask.me.call("getDevicesOnline")
    if "devices" in answer:
        answer["devices"] = sorted(answer["devices"], key=lambda d: d["device"])
    everyone = sorted(m.device for m in ask.team.members.values())
    return Asked(answer, {**OK, "devices": [{"device": d, "meta": ""} for d in everyone]})


async def get_streams(ask: Ask) -> Asked:
    return Asked(await ask.me.call("getStreams"), {**OK, "devices": []})


async def input_raw(ask: Ask) -> Asked:
    """An upload of no frames: it ends at once."""
    url = f"{ask.api.url}/input.raw?{httpx.QueryParams(shash=ask.me.shash)}"
    return Asked((await ask.api.http.put(url, content=b"")).json(), OK)


async def output_raw(ask: Ask) -> Asked:
    """The camera exists but does not stream: code 13 is the normal answer."""
    query = httpx.QueryParams(shash=ask.me.shash, device=CAMERA)
    answer = (await ask.api.http.get(f"{ask.api.url}/output.raw?{query}")).json()
    return Asked(answer, {"result": "BAD", "code": 13})


ANYONE = set(ROLES)
PEOPLE = {"admin", "operator", "viewer"}
WRITERS = {"admin", "operator", "key"}
# Who may make each request: CONTRACT §4, written out here rather than read from the code.
ALLOWED: dict[str, tuple[Callable[[Ask], Awaitable[Asked]], set[str]]] = {
    "authorize": (authorize, ANYONE),
    "heartBit": (heart_bit, ANYONE),
    "getServerTime": (server_time, ANYONE),
    "getConfig": (get_config, ANYONE),
    "setConfig": (set_config, {"admin"}),
    "addRecord": (add_record, WRITERS),
    "getRecordCount": (record_count, PEOPLE),
    "getRecordMeta": (record_meta, PEOPLE),
    "getRecordData": (record_data, PEOPLE),
    "deleteRecords": (delete_records, {"admin", "operator"}),
    "addMsgs sync": (sync, ANYONE),
    "addMsgs": (send, WRITERS),
    "getMsgs": (get_msgs, ANYONE),
    "getMsgsAndSync": (get_msgs_and_sync, ANYONE),
    "getDevicesOnline": (devices_online, PEOPLE),
    "getStreams": (get_streams, PEOPLE),
    "input.raw": (input_raw, WRITERS),
    "output.raw": (output_raw, PEOPLE),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("request_name", list(ALLOWED))
async def test_each_role_gets_its_answer(
    api: Api, team: Team, request_name: str, role: str
) -> None:
    ask, allowed = ALLOWED[request_name]
    asked = await ask(Ask(api, team, role))
    assert asked.got == (asked.normal if role in allowed else asked.refused)
