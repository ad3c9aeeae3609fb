"""A sync acknowledges exactly what was handed out, on a real server (CONTRACT.md §1)."""

from __future__ import annotations

from tests.support.api import Api


def names(answer: dict[str, object]) -> list[str]:
    assert answer["result"] == "OK", answer
    return [m["msg"] for m in answer["msgs"]]  # type: ignore[attr-defined]


async def test_messages_skipped_by_a_late_stamp_are_delivered_later(
    api: Api, account: tuple[str, str]
) -> None:
    """Issue 9 item 7: getMsgsAndSync from a stamp after early0-4 deleted them undelivered;
    asked again from 2000-01-01 they were gone."""
    a = await api.login(*account, device="A")
    b = await api.login(*account, device="B")
    batch = [{"msg": f"early{i}", "target": "B"} for i in range(5)]
    assert await a.call("addMsgs", msgs=batch) == {"result": "OK"}
    rid = (await a.add_record(b"\xff\xd8 snapshot"))["rid"]
    record_stamp = (await a.call("getRecordMeta", rid=rid))["stamp"]  # shares the sequence
    assert await a.call("addMsgs", msg="late", target="B") == {"result": "OK"}

    assert names(await b.call("getMsgsAndSync", stamp=record_stamp)) == ["late"]
    early = [f"early{i}" for i in range(5)]
    assert names(await b.call("getMsgs", stamp="2000-01-01 00:00:00")) == early
    assert names(await b.call("getMsgsAndSync")) == early  # a plain poll: until acknowledged
    assert names(await b.call("getMsgs", stamp="2000-01-01 00:00:00")) == []
    assert names(await b.call("getMsgs")) == []
