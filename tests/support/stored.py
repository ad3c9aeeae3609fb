"""What a device reads back from the store: every record id, every message, a record's bytes."""

from __future__ import annotations

from tests.support.api import Device


async def all_records(device: Device) -> list[int]:
    """The ids of every record the device sees, page after page (getRecordCount)."""
    rids: list[int] = []
    stamp = ""
    while page := (await device.call("getRecordCount", stamp=stamp))["records"]:
        rids += [r["rid"] for r in page]
        stamp = page[-1]["stamp"]
    return rids


async def all_messages(device: Device) -> list[str]:
    """The text of every message waiting for the device, page after page (getMsgs)."""
    names: list[str] = []
    stamp = ""
    while page := (
        await device.call("getMsgs", stamp=stamp) if stamp else await device.call("getMsgs")
    )["msgs"]:
        names += [m["msg"] for m in page]
        stamp = page[-1]["stamp"]
    return names


async def record_data(device: Device, rid: int) -> bytes:
    """A record's bytes as getRecordData.json sends them (asserts an HTTP 200)."""
    response = await device.api.http.post(
        f"{device.api.url}/getRecordData.json", json={"shash": device.shash, "rid": rid}
    )
    assert response.status_code == 200, response.text
    return response.content
