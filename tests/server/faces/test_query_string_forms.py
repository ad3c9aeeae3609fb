"""Every request also works with its parameters in the query string, as the document offers."""

from __future__ import annotations

import json

from tests.support.api import Api, Device, post_raw


async def query(device: Device, name: str, **params: str) -> dict[str, object]:
    return await post_raw(device.api, name, b"", {"shash": device.shash, **params})


async def test_query_string_forms(api: Api, account: tuple[str, str]) -> None:
    cam = await api.login(*account, device="cam")
    phone = await api.login(*account, device="phone")
    assert await query(cam, "heartBit") == {"result": "OK"}
    config = json.dumps([{"kind": 1, "fv": 2}, {"kind": 4, "fv": 100}])
    assert await query(cam, "setConfig", config=config) == {"result": "OK"}
    kinds = (await query(cam, "getConfig"))["config"]
    assert [k["fv"] for k in kinds] == [2, 10, 1500, 100, 125, 30, 10240, 0]  # type: ignore[index]
    rid = (await cam.add_record(b"blob"))["rid"]
    meta = await query(phone, "getRecordMeta", rid=str(rid))
    assert meta["device"] == "cam"
    listed = await query(phone, "getRecordCount", stamp="2000-01-01 00:00:00")
    assert [r["rid"] for r in listed["records"]] == [rid]  # type: ignore[index]
    data = await api.http.post(
        f"{api.url}/getRecordData.json", params={"shash": phone.shash, "rid": rid}
    )
    assert data.content == b"blob"
    assert await query(cam, "addMsgs", msg="hi", target="phone", params='{"a":1}') == {
        "result": "OK"
    }
    assert await query(cam, "addMsgs", msg="plain", params="just text") == {"result": "OK"}
    got = (await query(phone, "getMsgs"))["msgs"]
    assert [(m["msg"], m["params"]) for m in got] == [("hi", {"a": 1}), ("plain", "just text")]  # type: ignore[index]
    assert (await query(phone, "getMsgsAndSync", stamp=got[0]["stamp"]))["msgs"] == [got[1]]  # type: ignore[index]
    assert (await query(phone, "getMsgs"))["msgs"] == []
    assert await query(phone, "deleteRecords", records=f"[{rid}]") == {"result": "OK"}
    assert (await query(phone, "getRecordCount"))["records"] == []
    assert [d["device"] for d in (await query(phone, "getDevicesOnline"))["devices"]] == [
        "cam",
        "phone",
    ]  # type: ignore[index]
    assert await query(phone, "getStreams") == {"result": "OK", "devices": []}
