"""The JSON answers of core-http2-api.txt: compact, HTTP 200, keys in the document's order."""

from __future__ import annotations

from typing import Any

from quart import Response

from .params import compact

JSON = "application/json"


def number(value: float) -> int | float:
    """Integral values as integers (30, not 30.0); others as they are (0.004)."""
    return int(value) if float(value).is_integer() else value


def answer(payload: dict[str, Any]) -> Response:
    """A JSON answer, HTTP 200."""
    return Response(compact(payload), status=200, content_type=JSON)


def ok(**fields: Any) -> Response:
    """Fields first, then "result":"OK" (the order of most answers)."""
    return answer({**fields, "result": "OK"})


def ok_first(**fields: Any) -> Response:
    """ "result":"OK" first, then the fields (getDevicesOnline, getStreams)."""
    return answer({"result": "OK", **fields})


def bad(code: int) -> Response:
    """The JSON_BAD answer."""
    return answer({"result": "BAD", "code": code})
