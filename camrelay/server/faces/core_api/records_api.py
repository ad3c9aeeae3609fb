"""addRecord (addRecordData), getRecordCount, getRecordMeta, getRecordData, deleteRecords."""

from __future__ import annotations

import asyncio

from quart import Response

from camrelay.protocol.errors import MalformedRequest

from ...core.identity import Can
from .answers import Reply, ok, ok_rid
from .params import to_int
from .routes import Call, JsonApi

MAX_META = 4096
MAX_IDS = 10_000
_TYPES = {
    "JPEG": "image/jpeg",
    "JPG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "MJPEG": "video/x-motion-jpeg",
    "TEXT": "text/plain",
    "JSON": "application/json",
}


def content_type(meta: str) -> str:
    """A Content-Type for a record's data from its meta text; JPEG is the default format."""
    word = meta.strip().split(maxsplit=1)[0].upper() if meta.strip() else "JPEG"
    return _TYPES.get(word, "application/octet-stream")


def register(api: JsonApi) -> None:
    """Add the record requests to the API."""
    records = api.relay.records

    @api.request("addRecord", "addRecordData", raw_body=True, needs=Can.ADD_RECORDS)
    async def add_record(call: Call) -> Reply:
        meta = call.params.stored_text("meta", MAX_META)
        entry = await records.add(call.session.account_id, call.session.device, meta, call.body)
        return ok_rid(entry.rid)  # "rid" is an addition: after the documented key

    @api.request("getRecordCount", needs=Can.READ_RECORDS)
    async def record_count(call: Call) -> Reply:
        session = call.session
        entries = await records.since(session.account_id, call.params.stamp("stamp"), session.scope)
        return ok(records=[{"rid": e.rid, "device": e.device, "stamp": e.stamp} for e in entries])

    @api.request("getRecordMeta", needs=Can.READ_RECORDS)
    async def record_meta(call: Call) -> Reply:
        session = call.session
        meta = await records.meta(session.account_id, call.params.integer("rid"), session.scope)
        return ok(device=meta.device, meta=meta.meta, stamp=meta.stamp)

    @api.request("getRecordData", needs=Can.READ_RECORDS)
    async def record_data(call: Call) -> Reply:
        session = call.session
        found = await records.data(
            session.account_id, call.params.integer("rid"), session.shash, session.scope
        )
        if found.stream is None:
            return Response(found.whole, status=200, content_type=content_type(found.meta))
        stream = found.stream
        # Quart closes the pieces only once it starts sending them; a client that resets the
        # stream before that still ends this task, which gives the connection and slot back.
        task = asyncio.current_task()
        assert task is not None
        task.add_done_callback(lambda _: stream.close())
        response = Response(stream.pieces(), status=200, content_type=content_type(found.meta))
        response.headers["Content-Length"] = str(found.size)
        response.timeout = None  # a slow reader holds one piece, not the record
        return response

    @api.request("deleteRecords", needs=Can.DELETE_RECORDS)
    async def delete_records(call: Call) -> Reply:
        listed = call.params.array("records")
        if len(listed) > MAX_IDS:
            raise MalformedRequest(f"at most {MAX_IDS} ids at once")
        ids = [to_int(value, "records") for value in listed]
        await records.delete(call.session.account_id, ids, call.session.scope)
        return ok()
