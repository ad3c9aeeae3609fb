"""The examples of core-http2-api.txt, request by request, on a real server over HTTP/2."""

from __future__ import annotations

import re

import httpx

from tests.support.api import Api, Device

STAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$")
CONFIG_TEXT = (
    '{"config":['
    '{"kind":1,"descr":"old records timeout (days)","miv":0.004,"mav":168,"dv":30,"fv":30},'
    '{"kind":2,"descr":"dead sessions timeout (minutes)","miv":3,"mav":30,"dv":10,"fv":10},'
    '{"kind":3,"descr":"max requests for session","miv":200,"mav":10000,"dv":1500,"fv":1500},'
    '{"kind":4,"descr":"max reqs per min for session","miv":20,"mav":200,"dv":50,"fv":50},'
    '{"kind":5,"descr":"broadcasts lifetime (hr)","miv":1,"mav":750,"dv":125,"fv":125},'
    '{"kind":6,"descr":"overall messages lifetime (days)","miv":1,"mav":120,"dv":30,"fv":30},'
    '{"kind":7,"descr":"storage quota (MiB)","miv":1,"mav":1048576,"dv":10240,"fv":10240},'
    '{"kind":8,"descr":"purge oldest records when over quota","miv":0,"mav":1,"dv":0,"fv":0}'
    '],"result":"OK"}'
)


async def test_authorize_answers_a_28_character_shash(api: Api, account: tuple[str, str]) -> None:
    name, password = account
    response = await api.http.post(
        f"{api.url}/authorize.json",
        content=f'{{"name":"{name}","pass":"{password}","device":"user_pc","meta":"some info"}}',
    )
    assert response.http_version == "HTTP/2"
    assert re.fullmatch(r'\{"shash":"[A-Za-z0-9+/]{27}=","result":"OK"\}', response.text)


async def test_get_config_lists_eight_kinds_in_document_form(device: Device) -> None:
    response = await device.api.http.post(
        f"{device.api.url}/getConfig.json", content=f'{{"shash":"{device.shash}"}}'
    )
    assert response.text == CONFIG_TEXT


async def test_set_config_changes_values(device: Device) -> None:
    answer = await device.call("setConfig", config=[{"kind": 1, "fv": 1.0}, {"kind": 4, "fv": 100}])
    assert answer == {"result": "OK"}
    config = (await device.call("getConfig"))["config"]
    assert [entry["fv"] for entry in config] == [1, 10, 1500, 100, 125, 30, 10240, 0]


async def test_heart_bit_and_server_time(device: Device) -> None:
    assert await device.call("heartBit") == {"result": "OK"}
    answer = await device.api.call("getServerTime")
    assert list(answer) == ["stamp", "result"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", answer["stamp"])


async def test_add_record_data_and_read_it_back(device: Device) -> None:
    blob = bytes(range(256)) * 160
    response = await device.api.http.post(
        f"{device.api.url}/addRecordData.json?shash={httpx.URL(device.shash)}&meta=PNG",
        content=blob,
    )
    rid = response.json()["rid"]
    assert response.json() == {"result": "OK", "rid": rid}
    listing = await device.call("getRecordCount")
    assert listing["records"] == [
        {"rid": rid, "device": "dev1", "stamp": listing["records"][0]["stamp"]}
    ]
    stamp = listing["records"][0]["stamp"]
    assert STAMP_RE.match(stamp)
    meta = await device.call("getRecordMeta", rid=rid)
    assert list(meta) == ["device", "meta", "stamp", "result"]
    assert meta == {"device": "dev1", "meta": "PNG", "stamp": stamp, "result": "OK"}
    data = await device.api.http.post(
        f"{device.api.url}/getRecordData.json", json={"shash": device.shash, "rid": rid}
    )
    assert data.content == blob
    assert data.headers["content-type"] == "image/png"
    assert await device.call("getRecordCount", stamp=stamp) == {"records": [], "result": "OK"}


async def test_delete_records_walk_through(device: Device) -> None:
    rids = [(await device.add_record(b"jpeg %d" % i))["rid"] for i in range(6)]
    r30, r32, r33, r34, r40, r42 = rids
    assert await device.call("deleteRecords", records=[r40]) == {"result": "OK"}
    assert await _rids(device) == [r30, r32, r33, r34, r42]
    assert await device.call("deleteRecords", records=[-1, r34, r32]) == {"result": "OK"}
    assert await _rids(device) == [r33, r42]


async def _rids(device: Device) -> list[int]:
    return [entry["rid"] for entry in (await device.call("getRecordCount"))["records"]]


async def test_messages_then_sync_sequence(api: Api, account: tuple[str, str]) -> None:
    me = await api.login(*account, device="user_pc")
    dev1 = await api.login(*account, device="dev1")
    dev2 = await api.login(*account, device="dev2")
    assert await dev1.call("addMsgs", msg="1") == {"result": "OK"}
    assert await dev2.call("addMsgs", msg="2") == {"result": "OK"}
    first = await me.call("getMsgs")
    stamps = [m["stamp"] for m in first["msgs"]]
    assert first == {
        "msgs": [
            {"msg": "1", "device": "dev1", "params": {}, "stamp": stamps[0]},
            {"msg": "2", "device": "dev2", "params": {}, "stamp": stamps[1]},
        ],
        "result": "OK",
    }
    later = await me.call("getMsgs", stamp=stamps[0])
    assert later == {"msgs": [first["msgs"][1]], "result": "OK"}
    assert await me.call("addMsgs", msg="sync") == {"result": "OK"}
    assert await me.call("getMsgs") == {"msgs": [], "result": "OK"}


async def test_add_msgs_single_with_params_and_batch(api: Api, account: tuple[str, str]) -> None:
    sender = await api.login(*account, device="sender")
    d1 = await api.login(*account, device="device1")
    d2 = await api.login(*account, device="device2")
    assert await sender.call("addMsgs", msg="obey", params={"please": 1}) == {"result": "OK"}
    batch = [{"msg": "status", "target": "device1"}, {"msg": "shutdown", "target": "device2"}]
    assert await sender.call("addMsgs", msgs=batch) == {"result": "OK"}
    got1 = [(m["msg"], m["params"]) for m in (await d1.call("getMsgs"))["msgs"]]
    got2 = [(m["msg"], m["params"]) for m in (await d2.call("getMsgs"))["msgs"]]
    assert got1 == [("obey", {"please": 1}), ("status", {})]
    assert got2 == [("obey", {"please": 1}), ("shutdown", {})]


async def test_devices_online_lists_each_device_once(api: Api, account: tuple[str, str]) -> None:
    me = await api.login(*account, device="user_pc", meta="some info")
    await api.login(*account, device="d1c", meta='{"param":1}')
    await api.login(*account, device="d2", meta="old")
    await api.login(*account, device="d2", meta="cam v0.3")
    response = await api.http.post(f"{api.url}/getDevicesOnline.json", json={"shash": me.shash})
    assert response.text == (
        '{"result":"OK","devices":[{"device":"user_pc","meta":"some info"},'
        '{"device":"d1c","meta":"{\\"param\\":1}"},{"device":"d2","meta":"cam v0.3"}]}'
    )


async def test_get_streams_is_empty_without_streams(device: Device) -> None:
    assert await device.call("getStreams") == {"result": "OK", "devices": []}
