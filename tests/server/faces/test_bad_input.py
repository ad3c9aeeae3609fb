"""Every request with missing, empty, mistyped, oversized or hostile parameters gets its
documented code, over one HTTP/2 connection that stays up, and nothing stored changes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.api import Api, Device, post_raw

SHASH_NEEDED = [
    "heartBit",
    "getConfig",
    "setConfig",
    "addMsgs",
    "getMsgs",
    "getMsgsAndSync",
    "getRecordCount",
    "getRecordMeta",
    "getRecordData",
    "deleteRecords",
    "getDevicesOnline",
    "getStreams",
    "addRecord",
    "addRecordData",
]
HOSTILE_TEXT = "x'; DROP TABLE records; --"

# (body as JSON text or None, query, expected code). SHASH is replaced by the session's shash.
COMMON: list[tuple[str | None, dict[str, str], int]] = [
    (None, {}, 12),  # nothing at all
    ('{"shash":""}', {}, 12),  # empty
    ('{"shash":null}', {}, 12),
    ('{"shash":{"a":1}}', {}, 12),  # mistyped
    ('{"shash":["SHASH"]}', {}, 12),
    ('{"shash":"AAAAAAAAAAAAAAAAAAAAAAAAAAA="}', {}, 6),  # wrong
    ('{"shash":12345}', {}, 6),
    (json.dumps({"shash": HOSTILE_TEXT}), {}, 6),
    ('{"shash":"' + "A" * 100 + '"}', {}, 12),  # oversized
    ('{"shash":"a\\u0000b"}', {}, 12),  # NUL
    (None, {"shash": "not-a-session"}, 6),
]
JSON_BODY_ONLY = [
    ('{"shash":', {}, 4),  # not JSON
    ("shash=SHASH", {}, 4),  # a form, not JSON
    ("[1,2]", {}, 5),  # JSON, not an object
    ('"SHASH"', {}, 5),
    ("[" * 100_000 + "]" * 100_000, {}, 4),  # hostile nesting
]
PER_REQUEST: dict[str, list[tuple[dict[str, Any] | None, dict[str, str], int]]] = {
    "getRecordMeta": [
        ({}, {}, 12),
        ({"rid": ""}, {}, 12),
        ({"rid": "abc"}, {}, 12),
        ({"rid": 1.5}, {}, 12),
        ({"rid": True}, {}, 12),
        ({"rid": 10**30}, {}, 12),
        ({"rid": [1]}, {}, 12),
        ({"rid": 999999999}, {}, 9),
        ({"rid": -1}, {}, 9),
        (None, {"rid": "1 OR 1=1"}, 12),
    ],
    "getRecordCount": [
        ({"stamp": "yesterday"}, {}, 12),
        ({"stamp": 5}, {}, 12),
        ({"stamp": "2022-13-45 99:99:99"}, {}, 12),
        ({"stamp": HOSTILE_TEXT}, {}, 12),
    ],
    "getMsgs": [({"stamp": "yesterday"}, {}, 12), ({"stamp": [1]}, {}, 12)],
    "getMsgsAndSync": [({"stamp": "2022-02-07"}, {}, 12)],
    "deleteRecords": [
        ({}, {}, 12),
        ({"records": "x"}, {}, 12),
        ({"records": []}, {}, 12),
        ({"records": ["a"]}, {}, 12),
        ({"records": [-1]}, {}, 12),
        ({"records": [1.5]}, {}, 12),
        ({"records": {"a": 1}}, {}, 12),
        ({"records": [None]}, {}, 12),
    ],
    "addMsgs": [
        ({}, {}, 12),
        ({"msg": ""}, {}, 12),
        ({"msg": {"a": 1}}, {}, 12),
        ({"msg": "m", "target": {"a": 1}}, {}, 12),
        ({"msgs": "x"}, {}, 12),
        ({"msgs": [1]}, {}, 12),
        ({"msgs": [{"msg": "ok"}, {"target": "x"}]}, {}, 12),
        ({"msg": "m", "params": {"p": "x" * 70_000}}, {}, 12),
        ({"msg": "m" * 2000}, {}, 12),
    ],
    "setConfig": [
        ({}, {}, 12),
        ({"config": []}, {}, 12),
        ({"config": "x"}, {}, 12),
        ({"config": [{"kind": 9, "fv": 1}]}, {}, 12),
        ({"config": [{"kind": 7, "fv": 0}]}, {}, 12),
        ({"config": [{"kind": 7, "fv": 1_048_577}]}, {}, 12),
        ({"config": [{"kind": 8, "fv": 0.5}]}, {}, 12),
        ({"config": [{"kind": 8, "fv": 2}]}, {}, 12),
        ({"config": [{"kind": 1, "fv": 1000}]}, {}, 12),
        ({"config": [{"kind": 1, "fv": "abc"}]}, {}, 12),
        ({"config": [{"kind": 1}]}, {}, 12),
        ({"config": [5]}, {}, 12),
        ({"config": [{"kind": 2, "fv": 5}, {"kind": 3, "fv": 1}]}, {}, 12),
        (None, {"config": '[{"kind":1,"fv":NaN}]'}, 12),
    ],
}


@pytest.fixture
async def walker(api: Api, account: tuple[str, str]) -> Device:
    """A device with request caps raised so the walk itself is not capped."""
    device = await api.login(*account, device="walker")
    await device.call("setConfig", config=[{"kind": 3, "fv": 10000}, {"kind": 4, "fv": 200}])
    await device.add_record(b"kept record", meta="JPEG")
    await device.call("addMsgs", msg="kept", target="walker2")
    return device


async def snapshot(device: Device) -> list[Any]:
    """What the account holds, as its own device sees it."""
    return [await device.call("getRecordCount"), await device.call("getConfig")]


async def walk(device: Device, name: str, cases: list[Any]) -> list[str]:
    """Send every case; return a line for each answer that is not the expected code."""
    wrong = []
    for body, query, code in cases:
        text = body.replace("SHASH", device.shash) if isinstance(body, str) else None
        if isinstance(body, dict):
            text = json.dumps({"shash": device.shash, **body})
        query = {k: v.replace("SHASH", device.shash) for k, v in query.items()}
        if (
            body is None
            and name not in ("addRecord", "addRecordData")
            and query
            and "shash" not in query
        ):
            query = {"shash": device.shash, **query}
        answer = await post_raw(device.api, name, (text or "").encode(), query)
        if answer != {"result": "BAD", "code": code}:
            wrong.append(f"{name} body={str(body)[:60]} query={query}: {answer} (wanted {code})")
    return wrong


@pytest.mark.parametrize("name", SHASH_NEEDED)
async def test_session_parameter_cases(walker: Device, name: str) -> None:
    before = await snapshot(walker)
    cases = COMMON if name.startswith("addRecord") else COMMON + JSON_BODY_ONLY
    if name.startswith("addRecord"):
        cases = [(None, {}, 12), (None, {"shash": ""}, 12), (None, {"shash": "wrong"}, 6)]
    assert await walk(walker, name, cases) == []
    assert await walker.call("heartBit") == {"result": "OK"}
    assert await snapshot(walker) == before


@pytest.mark.parametrize("name", sorted(PER_REQUEST))
async def test_request_specific_cases(walker: Device, name: str) -> None:
    before = await snapshot(walker)
    assert await walk(walker, name, PER_REQUEST[name]) == []
    assert await snapshot(walker) == before


async def test_add_record_with_empty_body_is_11(walker: Device) -> None:
    answer = await post_raw(walker.api, "addRecord", b"", {"shash": walker.shash})
    assert answer == {"result": "BAD", "code": 11}


AUTH_CASES = [
    ({}, 12),
    ({"name": "", "pass": "p", "device": "d"}, 12),
    ({"name": "n", "pass": "", "device": "d"}, 12),
    ({"name": "n", "pass": "p"}, 12),
    ({"name": {"a": 1}, "pass": "p", "device": "d"}, 12),
    ({"name": "n", "pass": "p", "device": ["d"]}, 12),
    ({"name": "nobody", "pass": "p", "device": "d"}, 7),
    ({"name": HOSTILE_TEXT, "pass": "p", "device": "d"}, 7),
    ({"name": "n", "pass": "p", "device": "d" * 500}, 12),
]


async def test_authorize_cases(api: Api, account: tuple[str, str]) -> None:
    name, password = account
    wrong = []
    for body, code in AUTH_CASES + [({"name": name, "pass": password + "x", "device": "d"}, 7)]:
        answer = await post_raw(api, "authorize", json.dumps(body).encode())
        if answer != {"result": "BAD", "code": code}:
            wrong.append(f"{body}: {answer} (wanted {code})")
    assert wrong == []
    assert (await api.login(name, password, "d")).shash


async def test_message_walk_stored_nothing(api: Api, account: tuple[str, str]) -> None:
    sender = await api.login(*account, device="sender")
    receiver = await api.login(*account, device="receiver")
    bad = [{"msg": "first"}, {"msg": "second", "target": {"x": 1}}]
    assert await sender.call("addMsgs", msgs=bad) == {"result": "BAD", "code": 12}
    assert await receiver.call("getMsgs") == {"msgs": [], "result": "OK"}


async def test_unknown_path_is_404(api: Api) -> None:
    response = await api.http.post(f"{api.url}/noSuchRequest.json", content=b"{}")
    assert response.status_code == 404


async def test_deflate_bodies_are_accepted(walker: Device) -> None:
    import zlib

    body = json.dumps({"shash": walker.shash}).encode()
    for encoded in (zlib.compress(body), zlib.compress(body)[2:-4]):
        answer = await post_raw(
            walker.api, "heartBit", encoded, headers={"Content-Encoding": "deflate"}
        )
        assert answer == {"result": "OK"}
    garbage = await post_raw(
        walker.api, "heartBit", b"\x78\x9c garbage", headers={"Content-Encoding": "deflate"}
    )
    assert garbage == {"result": "BAD", "code": 12}
