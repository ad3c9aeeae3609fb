"""A bodiless HTTP/2 request the app answers in one piece, served without Hypercorn's stream.

py-spy on heartBit.json at 100 in flight (the .json requests already skip Quart): Hypercorn's
per-request machinery was 40 % of the server's samples before the app was even reached, and
more after it: an HTTPStream with its ASGI scope, an app queue and task, the middleware chain
(Socket.IO, WebSocket, Quart, the fast path), the ASGI messages, a send buffer and a node in
the priority tree drained by the connection's send task. A GET (or an empty POST) whose HEADERS
end the stream has no body to pull: here the app's responder (set on Hypercorn's config, see
`set_responder`) is asked first and, when it takes the request, a task of the connection's
group awaits its reply and writes HEADERS and DATA straight through h2. What the ordinary path
does for a stream is kept: the request counts toward keep_alive_max_requests and the worker's
max_requests, the access log line is written, a server name check applies (the ordinary path is
taken when server_names is set), the connection is idle again once its last answer is out, a
reset stream or a closed connection is not written to, and an answer larger than the stream's
send window, or one in pieces (record data), goes through the stream's send buffer and the send
task, with flow control and back-pressure as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

import h2.errors
import h2.events
import h2.exceptions
import priority
from hypercorn.config import Config
from hypercorn.events import Updated
from hypercorn.protocol.events import Body, EndBody
from hypercorn.protocol.h2 import H2Protocol, StreamBuffer
from hypercorn.utils import filter_pseudo_headers

REPLACES = ((H2Protocol, "_create_stream"), (H2Protocol, "_priority_updated"))
_RESPONDER = "_camrelay_inline_responder"
_PENDING = "_camrelay_inline"  # per connection: the ids of the streams answered here, unfinished
_PRIORITY = "_camrelay_inline_priority"  # per connection: ids whose PriorityUpdated is to come
log = logging.getLogger("camrelay.h2")
_answered = [0]  # since start, for /metrics

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class InlineReply:
    """What the responder answers: a status, headers, and the body whole or in pieces."""

    status: int
    headers: Headers
    body: bytes | AsyncGenerator[bytes, None]


class Responder(Protocol):
    """The app's side: the reply to a bodiless request, or None to let the app serve it."""

    def take(
        self,
        method: str,
        path: str,
        query_string: bytes,
        headers: Headers,
        client: tuple[str, int] | None,
    ) -> Awaitable[InlineReply] | None: ...


def set_responder(config: Config, responder: Responder) -> None:
    """Serve the bodiless requests `responder` takes on the connections of `config`."""
    setattr(config, _RESPONDER, responder)


def answered_inline() -> int:
    """Requests answered here since start, without a Hypercorn stream (metrics)."""
    return _answered[0]


def _ids(protocol: H2Protocol, name: str) -> set[int]:
    ids: set[int] | None = protocol.__dict__.get(name)
    if ids is None:
        ids = protocol.__dict__[name] = set()
    return ids


def _pending(protocol: H2Protocol) -> set[int]:
    return _ids(protocol, _PENDING)


def _taken(
    protocol: H2Protocol, request: h2.events.RequestReceived
) -> Awaitable[InlineReply] | None:
    """The responder's reply to a request it takes (None: the ordinary path serves it)."""
    config = protocol.config
    responder: Responder | None = getattr(config, _RESPONDER, None)
    if responder is None or request.stream_ended is None or config.server_names:
        return None
    method = raw_path = b""
    for name, value in request.headers:
        if name == b":method":
            method = value
        elif name == b":path":
            raw_path = value
    path, _, query_string = raw_path.partition(b"?")
    try:
        text = unquote(path.decode("ascii"))
    except UnicodeDecodeError:
        return None  # the ordinary path answers it as it always did
    headers = filter_pseudo_headers(request.headers)
    return responder.take(
        method.decode("ascii").upper(), text, query_string, headers, protocol.client
    )


async def _write(protocol: H2Protocol, stream_id: int, reply: InlineReply) -> None:
    """HEADERS, then the body: whole and at once when the send window has room for it, else
    through the stream's send buffer and the connection's send task."""
    connection = protocol.connection
    body = reply.body
    headers = [(b":status", b"%d" % reply.status), *reply.headers]
    headers += protocol.config.response_headers("h2")
    connection.send_headers(stream_id, headers, end_stream=body == b"")
    if isinstance(body, bytes):
        if not body:
            return
        room = min(
            connection.local_flow_control_window(stream_id), connection.max_outbound_frame_size
        )
        if len(body) <= room:
            connection.send_data(stream_id, body, end_stream=True)
            return
    await protocol._flush()
    protocol.stream_buffers[stream_id] = StreamBuffer(protocol.context.event_class)
    try:
        protocol.priority.insert_stream(stream_id)
    except priority.DuplicateStreamError:
        pass
    protocol.priority.block(stream_id)
    for piece in [body] if isinstance(body, bytes) else []:
        await protocol.stream_send(Body(stream_id=stream_id, data=piece))
    if not isinstance(body, bytes):
        try:
            async for piece in body:
                if protocol.closed or stream_id not in protocol.stream_buffers:
                    return  # reset or gone: the send task has dropped the stream
                await protocol.stream_send(Body(stream_id=stream_id, data=piece))
        finally:
            await body.aclose()
    await protocol.stream_send(EndBody(stream_id=stream_id))


async def _answer(
    protocol: H2Protocol, request: h2.events.RequestReceived, reply: Awaitable[InlineReply]
) -> None:
    """Await the reply, write it unless the stream or connection is gone, log it, and report
    the connection idle when nothing else is in flight on it."""
    started = time.time()
    stream_id = request.stream_id
    answered: InlineReply | None = None
    try:
        answered = await reply
        if not protocol.closed:
            await _write(protocol, stream_id, answered)
            _answered[0] += 1
    except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
        pass  # reset by the client, or the connection is closing: nothing more to say on it
    except Exception:
        # As Hypercorn's own app task: logged, and the connection's other streams go on.
        log.exception("error answering HTTP/2 stream %d", stream_id)
        _reset(protocol, stream_id)
    finally:
        _pending(protocol).discard(stream_id)
        if protocol.config.log.access_logger is not None:
            await _log(protocol, request, answered, time.time() - started)
        if not protocol.closed:
            await protocol._flush()
            idle = not _pending(protocol) and all(s.idle for s in protocol.streams.values())
            await protocol.send(Updated(idle=idle))


def _reset(protocol: H2Protocol, stream_id: int) -> None:
    """RST_STREAM(INTERNAL_ERROR) on a stream whose answer failed half-way, if still open."""
    try:
        protocol.connection.reset_stream(stream_id, h2.errors.ErrorCodes.INTERNAL_ERROR)
    except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
        pass


async def _log(
    protocol: H2Protocol,
    request: h2.events.RequestReceived,
    reply: InlineReply | None,
    took_s: float,
) -> None:
    """The access log line the ordinary path writes, from the scope it would have built."""
    fields = dict(request.headers)
    raw_path = fields.get(b":path", b"")
    path, _, query_string = raw_path.partition(b"?")
    scope: Any = {
        "type": "http",
        "http_version": "2",
        "method": fields.get(b":method", b"").decode("ascii").upper(),
        "scheme": "https" if protocol.ssl else "http",
        "path": unquote(path.decode("ascii")),
        "raw_path": path,
        "query_string": query_string,
        "headers": filter_pseudo_headers(request.headers),
        "client": protocol.client,
        "server": protocol.server,
    }
    response: Any = None if reply is None else {"status": reply.status, "headers": reply.headers}
    await protocol.config.log.access(scope, response, took_s)


def _patch_create_stream(original: Callable[[Any, Any], Awaitable[None]]) -> Any:
    async def create_stream(self: H2Protocol, request: h2.events.RequestReceived) -> None:
        reply = _taken(self, request)
        if reply is None:
            await original(self, request)
            return
        _pending(self).add(request.stream_id)
        if request.priority_updated is not None:
            _ids(self, _PRIORITY).add(request.stream_id)
        self.task_group.spawn(_answer, self, request, reply)
        self.keep_alive_requests += 1
        await self.context.mark_request()

    return create_stream


def _patch_priority_updated(original: Callable[[Any, Any], Awaitable[None]]) -> Any:
    async def priority_updated(self: H2Protocol, event: h2.events.PriorityUpdated) -> None:
        # The priority of a request answered here (its event follows the request's, and the
        # answer may be out by then): Hypercorn would add its stream to the tree, blocked, for
        # good. A stream whose answer needs the send task is put there when it does.
        expected = _ids(self, _PRIORITY)
        if event.stream_id in expected:
            expected.discard(event.stream_id)
            return
        await original(self, event)

    return priority_updated


def install() -> None:
    """Patch H2Protocol (after h2_stream_reset, whose stream creation it goes before)."""
    H2Protocol._create_stream = _patch_create_stream(H2Protocol._create_stream)  # type: ignore[method-assign]
    H2Protocol._priority_updated = _patch_priority_updated(H2Protocol._priority_updated)  # type: ignore[method-assign]
