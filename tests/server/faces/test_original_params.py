"""Each parameter spelled the ways clients spell it, against what the original server makes of it.

How the original (iLya2IK/wcwebcamserver, wcrestwebcamjobs.pas) reads parameters: every job calls
wcutils.DecodeParamsWithDefault(Request.QueryFields, [names], Request.Content, Params, [defaults]).
For each name it takes the body's JSON value if its kind matches the default's kind (a number
for `rid`, text for everything else; an object counts as text, its AsJSON), otherwise the query
value through StrToVariant (integer, then float, then boolean, else text) if *that* matches,
otherwise the default. It does not convert between numbers and text: a value of the other kind
is silently dropped. Only the addMsgs batch path reads `msg`/`target` with fpjson's .AsString
(numbers become text), and setConfig reads `kind` only from an integer and `fv` only from a
number (anything else becomes 0). `msgs`, `records` and `config` are read as text and parsed
with GetJSON. getMsgs treats a stamp starting with `{` as JSON: `{"msg":"sync"}` (SameText)
means the last sync point, anything else no stamp.

Where the original's answer is sane, camrelay answers the same. Where dropping a value makes
the original do something else than the client asked (a targeted message broadcast, a record
that exists reported missing, a config row for kind 0), camrelay keeps its documented reading:
a number given for text is its text (CONTRACT §1: `?pass=111` is the password "111") and the
text of a number given for a number is that number (`?rid=34` is 34), or code 12. Each row's
`original` says which, and why.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.api import Api, Device
from tests.support.relay_server import RelayServer

SYNC = '{"msg":"sync"}'
OK = {"result": "OK"}
PHONE_M0 = {"msg": "m0", "device": "cam", "params": {}, "stamp": "STAMP"}


def bad(code: int) -> dict[str, Any]:
    return {"result": "BAD", "code": code}


def msgs(*entries: dict[str, Any]) -> dict[str, Any]:
    return {"msgs": list(entries), "result": "OK"}


def from_cam(msg: str, params: Any = None) -> dict[str, Any]:
    return {
        "msg": msg,
        "device": "cam",
        "params": {} if params is None else params,
        "stamp": "STAMP",
    }


@dataclass(frozen=True)
class Row:
    """One request by `who` (None: no session) and the exact answer; `then` checks the effect.

    Placeholders: RID (the record id), RIDTEXT (its text), NAME/PASS (the account),
    NUMPASS_NAME (an account whose password is "111"), NUMNAME (the digits naming an account whose
    password is "p42")."""

    id: str
    request: str
    who: str | None
    body: dict[str, Any] | None
    answer: dict[str, Any]
    query: dict[str, str] = field(default_factory=dict)
    then: tuple[str, str, dict[str, Any], dict[str, Any]] | None = None
    original: str = field(kw_only=True)  # what the original server does with it, and why


RECORD = {"device": "cam", "meta": "JPEG", "stamp": "STAMP", "result": "OK"}
RECORDS = {"records": [{"rid": "RID", "device": "cam", "stamp": "STAMP"}], "result": "OK"}
NO_RECORDS = {"records": [], "result": "OK"}


def config_fv(kind: int, fv: float) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """A follow-up: getConfig shows `fv` for `kind` (checked by the runner)."""
    return ("cam", "getConfig", {}, {"kind": kind, "fv": fv})


# One row per spelling of a parameter: kept as a table, one request to a line or two.
# fmt: off
ROWS = [
    # --- rid: a number is meant -------------------------------------------------------------
    Row("rid-number", "getRecordMeta", "phone", {"rid": "RID"}, RECORD,
        original="integer matches the default 0: the record"),
    Row("rid-text", "getRecordMeta", "phone", {"rid": "RIDTEXT"}, RECORD,
        original="text is dropped for the default 0: code 9 for a record that exists (garbage); "
                 "camrelay reads it as ?rid= is read"),
    Row("rid-query", "getRecordMeta", "phone", None, RECORD,
        query={"rid": "RIDTEXT"},
        original="StrToVariant makes an integer: the record"),
    Row("rid-float", "getRecordMeta", "phone", {"rid": "RID.0"}, RECORD,
        original="a float is numeric and converts to the integer: the record"),
    Row("rid-not-a-number", "getRecordMeta", "phone", {"rid": "abc"}, bad(12),
        original="dropped for 0: code 9; camrelay keeps its documented 12"),
    # --- stamp: text is meant -----------------------------------------------------------------
    Row("count-sync-text", "getRecordCount", "phone", {"stamp": SYNC}, RECORDS,
        original="getRecordCount compares the text: '{' sorts after every stamp, so [] (garbage); "
                 "the contract makes it no stamp"),
    Row("count-sync-object", "getRecordCount", "phone", {"stamp": {"msg": "sync"}}, RECORDS,
        original="an object is taken as its JSON text: as above"),
    Row("count-stamp", "getRecordCount", "phone", {"stamp": "2000-01-01 00:00:00"}, RECORDS,
        original="a stamp: the records after it"),
    Row("count-stamp-number", "getRecordCount", "phone", {"stamp": 5}, bad(12),
        original="a number is dropped for '' (every record); camrelay keeps its documented 12: a "
                 "number is no stamp"),
    Row("msgs-sync-text", "getMsgs", "phone", {"stamp": SYNC}, msgs(PHONE_M0),
        original="REST_SYNC_MSG as text: from the last sync"),
    Row("msgs-sync-upper", "getMsgs", "phone", {"stamp": '{"msg":"SYNC"}'}, msgs(PHONE_M0),
        original="SameText(msg, 'sync'): from the last sync"),
    Row("msgs-sync-query", "getMsgs", "phone", None, msgs(PHONE_M0),
        query={"stamp": SYNC},
        original="query text: from the last sync"),
    Row("msgs-other-object", "getMsgs", "phone", {"stamp": '{"msg":"other"}'}, msgs(PHONE_M0),
        original="any other JSON object: no stamp"),
    Row("msgs-not-json", "getMsgs", "phone", {"stamp": "{not json"}, msgs(PHONE_M0),
        original="unparsable: compared as text, [] (garbage); the contract makes any text starting "
                 "with '{' no stamp"),
    Row("msgs-sync-and-sync", "getMsgsAndSync", "phone", {"stamp": SYNC}, msgs(PHONE_M0),
        then=("phone", "getMsgs", {"stamp": SYNC}, msgs()),
        original="REST_SYNC_MSG with getMsgsAndSync: from the last sync, then acknowledged"),
    Row("msgs-stamp-nul", "getMsgs", "phone", {"stamp": "{\x00"}, bad(12),
        original="(camrelay strictness: NUL is 12)"),
    # --- msg / target / params: text is meant -------------------------------------------------
    Row("msg-number", "addMsgs", "cam", {"msg": 5, "target": "phone"}, OK,
        then=("phone", "getMsgs", {}, msgs(PHONE_M0, from_cam("5"))),
        original="single path drops it for '' (a nameless message, garbage); the batch path's "
                 ".AsString makes it '5', as camrelay does"),
    Row("target-number", "addMsgs", "cam", {"msg": "m", "target": 3}, OK,
        then=("3", "getMsgs", {}, msgs(from_cam("m"))),
        original="single path drops it for '': a broadcast, leaking the message (garbage); the "
                 "batch path's .AsString makes it '3', as camrelay does"),
    Row("batch-numbers", "addMsgs", "cam", {"msgs": [{"msg": 5, "target": 3}]}, OK,
        then=("3", "getMsgs", {}, msgs(from_cam("5"))),
        original="batch path: .AsString makes msg '5' and target '3'"),
    Row("msgs-as-text", "addMsgs", "cam", {"msgs": '[{"msg":"t","target":"phone"}]'}, OK,
        then=("phone", "getMsgs", {}, msgs(PHONE_M0, from_cam("t"))),
        original="msgs is read as text and parsed with GetJSON: the batch"),
    Row("params-number", "addMsgs", "cam", {"msg": "p", "target": "phone", "params": 5}, OK,
        then=("phone", "getMsgs", {}, msgs(PHONE_M0, from_cam("p", 5))),
        original="single path drops it for '{}'; the batch path's AsJSON keeps 5, as "
                 "camrelay does"),
    Row("params-text", "addMsgs", "cam", {"msg": "p", "target": "phone", "params": "plain"}, OK,
        then=("phone", "getMsgs", {}, msgs(PHONE_M0, from_cam("p", "plain"))),
        original="stores the raw text, and the receiver's getMsgs fails on it with 4 (garbage); "
                 "camrelay stores it as a JSON string"),
    Row("msgs-text-nan", "addMsgs", "cam", {"msgs": '[{"msg":"x","params":NaN}]'}, bad(12),
        original="unparsable msgs falls back to a nameless single message (garbage); camrelay "
                 "strictness: 12"),
    Row("msgs-text-nested", "addMsgs", "cam", {"msgs": "[" * 40 + "]" * 40}, bad(12),
        original="(camrelay strictness: nesting deeper than 32 is 12)"),
    Row("msgs-text-surrogate", "addMsgs", "cam", {"msgs": '[{"msg":"\\ud800"}]'}, bad(12),
        original="(camrelay strictness: a lone surrogate is 12)"),
    Row("sync-msg", "addMsgs", "phone", {"msg": "sync"}, OK,
        then=("phone", "getMsgs", {"stamp": SYNC}, msgs(PHONE_M0)),
        original="msg 'sync' acknowledges instead of storing; the original moves the sync point to "
                 "now, losing m0 the phone was never given (garbage); the contract acknowledges "
                 "only what was given"),
    # --- records: an array of numbers ---------------------------------------------------------
    Row("records-array", "deleteRecords", "cam", {"records": ["RID"]}, OK,
        then=("cam", "getRecordCount", {}, NO_RECORDS),
        original="the array: deleted"),
    Row("records-as-text", "deleteRecords", "cam", {"records": "[RID]"}, OK,
        then=("cam", "getRecordCount", {}, NO_RECORDS),
        original="read as text and parsed with GetJSON: deleted"),
    Row("records-query", "deleteRecords", "cam", None, OK,
        query={"records": "[RID]"},
        then=("cam", "getRecordCount", {}, NO_RECORDS),
        original="query text parsed with GetJSON: deleted"),
    Row("records-text-entry", "deleteRecords", "cam", {"records": ["RIDTEXT"]}, OK,
        then=("cam", "getRecordCount", {}, NO_RECORDS),
        original="only integer entries count: none, so 12; camrelay reads the text of a number as "
                 "the number, as it reads ?rid="),
    # --- config: kind and fv are numbers ------------------------------------------------------
    Row("config-array", "setConfig", "cam", {"config": [{"kind": 1, "fv": 5}]}, OK,
        then=config_fv(1, 5),
        original="kind 1 set to 5"),
    Row("config-as-text", "setConfig", "cam", {"config": '[{"kind":1,"fv":5}]'}, OK,
        then=config_fv(1, 5),
        original="read as text and parsed with GetJSON: kind 1 set to 5"),
    Row("config-kind-text", "setConfig", "cam", {"config": [{"kind": "1", "fv": 5}]}, OK,
        then=config_fv(1, 5),
        original="kind that is not an integer becomes 0: answers OK and stores a row for kind 0 "
                 "(garbage); camrelay reads the number"),
    Row("config-fv-text", "setConfig", "cam", {"config": [{"kind": 1, "fv": "5"}]}, OK,
        then=config_fv(1, 5),
        original="fv that is not a number becomes 0.0, below kind 1's minimum (garbage); camrelay "
                 "reads the number"),
    Row("config-kind-float", "setConfig", "cam", {"config": [{"kind": 1.0, "fv": 5}]}, OK,
        then=config_fv(1, 5),
        original="a float kind becomes 0 (garbage); camrelay: 1.0 is 1"),
    Row("config-fv-infinite", "setConfig", "cam", {"config": '[{"kind":1,"fv":1e999}]'}, bad(12),
        then=config_fv(1, 30),
        original="(camrelay strictness: 1e999 is 12)"),
    # --- authorize: name, pass, device, meta are text -----------------------------------------
    Row("device-number", "authorize", None,
        {"name": "NAME", "pass": "PASS", "device": 7},
        {"shash": "SHASH", "result": "OK"},
        then=("cam", "getDevicesOnline", {}, {"device": "7", "meta": ""}),
        original="dropped for '': 12; camrelay takes a number given for text as its text "
                 "(CONTRACT: ?pass=111 is '111')"),
    Row("meta-number", "authorize", None,
        {"name": "NAME", "pass": "PASS", "device": "d", "meta": 5},
        {"shash": "SHASH", "result": "OK"},
        then=("cam", "getDevicesOnline", {}, {"device": "d", "meta": "5"}),
        original="dropped for the default '{}'; camrelay keeps '5'"),
    Row("meta-object", "authorize", None,
        {"name": "NAME", "pass": "PASS", "device": "d", "meta": {"a": 1}},
        {"shash": "SHASH", "result": "OK"},
        then=("cam", "getDevicesOnline", {}, {"device": "d", "meta": '{"a":1}'}),
        original="an object is taken as its AsJSON text"),
    Row("pass-number", "authorize", None,
        {"name": "NUMPASS_NAME", "pass": 111, "device": "d"},
        {"shash": "SHASH", "result": "OK"},
        original="dropped for '': 12; camrelay: the password '111'"),
    Row("pass-query-number", "authorize", None, None, {"shash": "SHASH", "result": "OK"},
        query={"name": "NUMPASS_NAME", "pass": "111", "device": "d"},
        original="StrToVariant makes 111 an integer, dropped: 12; the contract says ?pass=111 is "
                 "'111'"),
    Row("name-number", "authorize", None,
        {"name": "NUMNAME", "pass": "p42", "device": "d"},
        {"shash": "SHASH", "result": "OK"},
        original="dropped for '': 12; camrelay: the account named by the digits"),
    Row("shash-number", "heartBit", None, {"shash": 12345}, bad(6),
        original="dropped for '': 6; camrelay: no such session, 6"),
]
# fmt: on


@dataclass
class World:
    """An account with devices cam and phone, a record of cam and a message m0 cam -> phone."""

    api: Api
    account: tuple[str, str]
    values: dict[str, Any]
    devices: dict[str, Device] = field(default_factory=dict)

    async def device(self, name: str) -> Device:
        if name not in self.devices:
            self.devices[name] = await self.api.login(*self.account, device=name)
        return self.devices[name]

    def fill(self, value: Any) -> Any:
        """The value with its placeholders replaced."""
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        if isinstance(value, str):
            if value in self.values:
                return self.values[value]
            return re.sub(r"RIDTEXT|RID", lambda m: str(self.values[m.group(0)]), value)
        return value

    async def send(
        self, who: str | None, request: str, body: dict[str, Any] | None, query: dict[str, str]
    ) -> dict[str, Any]:
        session = {} if who is None else {"shash": (await self.device(who)).shash}
        params = self.fill(query)
        if body is None:
            content, params = b"", {**session, **params}
        else:
            content = json.dumps({**session, **self.fill(body)}).encode()
        response = await self.api.http.post(
            f"{self.api.url}/{request}.json", content=content, params=params
        )
        assert (response.status_code, response.http_version) == (200, "HTTP/2")
        return response.json()


def opaque(answer: Any) -> Any:
    """The answer with its stamps and session hashes replaced by STAMP and SHASH."""
    if isinstance(answer, dict):
        names = {"stamp": "STAMP", "shash": "SHASH"}
        return {k: names[k] if k in names else opaque(v) for k, v in answer.items()}
    if isinstance(answer, list):
        return [opaque(v) for v in answer]
    return answer


@pytest.fixture
async def world(server: RelayServer, api: Api, account: tuple[str, str]) -> World:
    name, password = account
    suffix = "".join(ch for ch in name if ch.isdigit())
    values: dict[str, Any] = {"NAME": name, "PASS": password}
    values["NUMPASS_NAME"] = f"{name}-numpass"
    values["NUMNAME"] = int(f"9{suffix}0")
    world = World(api, account, values)
    cam = await world.device("cam")  # other devices log in when a row first uses them
    rid = (await cam.add_record(b"jpeg", meta="JPEG"))["rid"]
    values.update({"RID": rid, "RIDTEXT": str(rid), "RID.0": float(rid)})
    assert await cam.call("addMsgs", msg="m0", target="phone") == OK
    return world


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
async def test_parameter_as_the_original_reads_it(
    server: RelayServer, world: World, row: Row
) -> None:
    if "NUMPASS_NAME" in repr(row):
        await server.add_account(world.values["NUMPASS_NAME"], "111")
    if "NUMNAME" in repr(row):
        await server.add_account(str(world.values["NUMNAME"]), "p42")
    answer = await world.send(row.who, row.request, row.body, row.query)
    assert opaque(answer) == world.fill(row.answer), row.original
    if row.then is None:
        return
    who, request, body, expected = row.then
    effect = opaque(await world.send(who, request, body, {}))
    if request == "getConfig":
        kinds = {entry["kind"]: entry["fv"] for entry in effect["config"]}
        assert {expected["kind"]: kinds[expected["kind"]]} == {expected["kind"]: expected["fv"]}
    elif request == "getDevicesOnline":
        assert expected in effect["devices"], row.original
    else:
        assert effect == world.fill(expected), row.original
