"""The JSON answers of core-http2-api.txt: compact, HTTP 200, keys in the document's order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from quart import Response

from .params import compact

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Answer:
    """A finished JSON answer: its bytes, sent as they are (no Quart Response to build on the
    fast path; the Quart route turns it into one)."""

    body: bytes
    status: int = 200


# What a handler returns: an Answer, or a Quart Response for what is not JSON (record data).
Reply = Answer | Response


def number(value: float) -> int | float:
    """Integral values as integers (30, not 30.0); others as they are (0.004)."""
    return int(value) if float(value).is_integer() else value


def answer(payload: dict[str, Any]) -> Answer:
    """A JSON answer, HTTP 200."""
    return Answer(compact(payload).encode())


def ok(**fields: Any) -> Answer:
    """Fields first, then "result":"OK" (the order of most answers)."""
    return answer({**fields, "result": "OK"}) if fields else OK


def ok_first(**fields: Any) -> Answer:
    """ "result":"OK" first, then the fields (getDevicesOnline, getStreams)."""
    return answer({"result": "OK", **fields})


def ok_rid(rid: int) -> Answer:
    """ "result":"OK" then "rid" (addRecord, the busiest answer): formatted, not JSON-encoded."""
    return Answer(b'{"result":"OK","rid":%d}' % rid)


def bad(code: int) -> Answer:
    """The JSON_BAD answer."""
    return _BAD.get(code) or answer({"result": "BAD", "code": code})


def as_response(reply: Reply) -> Response:
    """A Quart Response for a reply (the routes Quart itself serves)."""
    if isinstance(reply, Answer):
        return Response(reply.body, status=reply.status, content_type=JSON)
    return reply


OK = Answer(b'{"result":"OK"}')
_BAD = {code: Answer(b'{"result":"BAD","code":%d}' % code) for code in range(32)}
