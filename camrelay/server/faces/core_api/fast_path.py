"""The .json requests served straight from ASGI, in front of Quart.

py-spy on heartBit at 100 in flight: Quart's request context, URL routing, Request and
Response objects and its two tasks per request took most of the app's share of the CPU. The
requests themselves need none of it: a path looked up in a dict, the query, two headers, the
body and one answer. Everything else (the raw streams, /metrics, HEAD, unknown paths) goes on to
Quart. Hypercorn still writes the access log; the request counter for /metrics is kept here.

On HTTP/2 a request does not even reach the ASGI app: the transport asks `take` first and
writes the reply itself (transport/h2_inline_answers.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable
from typing import Any

from quart import Response
from quart.utils import encode_headers

from ...request_count import RequestCount
from ...transport.h2_inline_answers import Headers, InlineReply, InlineRequest
from .answers import JSON, Answer, Reply
from .pulled_body import AsgiApp, Message, PulledBody, Receive, Send
from .routes import Incoming, JsonApi, Route

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
        client = scope.get("client")
        incoming = _incoming(scope["path"], scope["query_string"], scope["headers"], client, body)
        try:
            reply = await self.api.serve(route, incoming)
            # Hypercorn closes the stream within the answer's last send: a body still coming
            # (an early answer) is drained from then on, or it would hold the connection.
            await _send(send, reply, lambda: self._keep(body.drain()))
        finally:
            self._keep(body.drain())

    def take(self, request: InlineRequest) -> Awaitable[InlineReply] | None:
        """The coming InlineReply to a GET or POST on a .json route (None for others), for the
        HTTP/2 transport to write itself."""
        route = self.api.routes.get(request.path)
        if route is None or request.method not in METHODS:
            return None
        self.requests.total += 1
        incoming = _incoming(
            request.path, request.query_string, request.headers, request.client, request.body
        )
        return self._inline(route, incoming)

    async def _inline(self, route: Route, incoming: Incoming) -> InlineReply:
        reply = await self.api.serve(route, incoming)
        if isinstance(reply, Answer):
            return InlineReply(reply.status, _answer_headers(reply), reply.body)
        return InlineReply(reply.status_code, encode_headers(reply.headers), _pieces(reply))

    def _keep(self, drain: asyncio.Task[None] | None) -> None:
        if drain is not None:
            self._drains.add(drain)
            drain.add_done_callback(self._drains.discard)


def _incoming(
    path: str,
    query_string: bytes,
    headers: Headers,
    client: tuple[str, int] | None,
    body: AsyncIterable[bytes],
) -> Incoming:
    encoding = length = b""
    for name, value in headers:
        if name == b"content-encoding" and not encoding:
            encoding = value
        elif name == b"content-length" and not length:
            length = value
    return Incoming(
        path,
        query_string,
        client[0] if client else "",
        encoding.decode("latin-1"),
        length.decode("latin-1"),
        body,
    )


def _answer_headers(answer: Answer) -> Headers:
    return [_JSON_TYPE, (b"content-length", b"%d" % len(answer.body))]


async def _pieces(response: Response) -> AsyncGenerator[bytes, None]:
    """A Quart Response's body (record data), piece by piece."""
    async with response.response as pieces:
        async for data in pieces:
            yield data.encode() if isinstance(data, str) else data


async def _send(send: Send, reply: Reply, before_last: Any) -> None:
    if isinstance(reply, Answer):
        headers = _answer_headers(reply)
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
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
    pieces = _pieces(response)
    try:
        async for chunk in pieces:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    finally:
        await pieces.aclose()
    before_last()
    await send({"type": "http.response.body", "body": b"", "more_body": False})
