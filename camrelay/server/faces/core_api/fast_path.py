"""The .json requests served straight from ASGI, in front of Quart.

py-spy on heartBit at 100 in flight: Quart's request context, URL routing, Request and
Response objects and its two tasks per request took most of the app's share of the CPU. The
requests themselves need none of it: a path looked up in a dict, the query, two headers, the
body and one answer. Everything else (the raw streams, /metrics, HEAD, unknown paths) goes on to
Quart. Hypercorn still writes the access log; the request counter for /metrics is kept here.
"""

from __future__ import annotations

import asyncio
from typing import Any

from quart import Response
from quart.utils import encode_headers

from ...request_count import RequestCount
from .answers import JSON, Answer, Reply
from .pulled_body import AsgiApp, Message, PulledBody, Receive, Send
from .routes import Incoming, JsonApi

METHODS = frozenset(("GET", "POST"))
_JSON_TYPE = (b"content-type", JSON.encode())


class JsonFastPath:
    """ASGI middleware: GET and POST on a registered /NAME.json served without Quart."""

    def __init__(self, app: AsgiApp, api: JsonApi, requests: RequestCount) -> None:
        self.app = app
        self.api = api
        self.requests = requests
        self._drains: set[asyncio.Task[None]] = set()  # bodies answered before they ended

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        route = self.api.routes.get(scope["path"]) if scope["type"] == "http" else None
        if route is None or scope["method"] not in METHODS:
            await self.app(scope, receive, send)
            return
        self.requests.total += 1
        body = PulledBody(receive, end_on_disconnect=True)
        try:
            reply = await self.api.serve(route, _incoming(scope, body))
            # Hypercorn closes the stream within the answer's last send: a body still coming
            # (an early answer) is drained from then on, or it would hold the connection.
            await _send(send, reply, lambda: self._keep(body.drain()))
        finally:
            self._keep(body.drain())

    def _keep(self, drain: asyncio.Task[None] | None) -> None:
        if drain is not None:
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)


def _incoming(scope: dict[str, Any], body: PulledBody) -> Incoming:
    encoding = length = b""
    for name, value in scope["headers"]:
        if name == b"content-encoding" and not encoding:
            encoding = value
        elif name == b"content-length" and not length:
            length = value
    client = scope.get("client")
    return Incoming(
        scope["path"],
        scope["query_string"],
        client[0] if client else "",
        encoding.decode("latin-1"),
        length.decode("latin-1"),
        body,
    )


async def _send(send: Send, reply: Reply, before_last: Any) -> None:
    if isinstance(reply, Answer):
        length = (b"content-length", str(len(reply.body)).encode())
        await send(
            {"type": "http.response.start", "status": reply.status, "headers": [_JSON_TYPE, length]}
        )
        before_last()
        await send({"type": "http.response.body", "body": reply.body, "more_body": False})
        return
    await _send_response(send, reply, before_last)


async def _send_response(send: Send, response: Response, before_last: Any) -> None:
    """A Quart Response (record data), sent as Quart sends it."""
    start: Message = {
        "type": "http.response.start",
        "status": response.status_code,
        "headers": encode_headers(response.headers),
    }
    await send(start)
    async with response.response as pieces:
        async for data in pieces:
            chunk = data.encode() if isinstance(data, str) else data
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    before_last()
    await send({"type": "http.response.body", "body": b"", "more_body": False})
