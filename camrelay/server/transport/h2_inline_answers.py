"""An HTTP/2 request to a .json route, served without Hypercorn's stream machinery.

py-spy on heartBit.json at 100 in flight (the .json requests already skip Quart): Hypercorn's
per-request machinery was 40 % of the server's samples before the app was even reached, and
more after it: an HTTPStream with its ASGI scope, an app queue and task, the middleware chain
(Socket.IO, WebSocket, Quart, the fast path), the ASGI messages, a send buffer and a node in
the priority tree drained by the connection's send task. Here the app's responder (set on
Hypercorn's config, see `set_responder`) is asked first and, when it takes the request, a task
of the connection's group awaits its reply and writes HEADERS and DATA straight through h2; the
request's DATA goes to an InlineBody the handler pulls (inline_body.py: a bounded queue, the
flow-control credit given as a chunk is queued, as Hypercorn does). What the ordinary path
does for a stream is kept: the request counts toward keep_alive_max_requests and the worker's
max_requests, the access log line is written, a server name check applies (the ordinary path is
taken when server_names is set), the connection is idle again once its last answer is out, a
reset stream or a closed connection is not written to (and its handler, reading the body, ends
as on the ASGI path), a reset counts against the connection's budget (h2_stream_reset), an answer
given before the body ended resets the stream as h2_late_data does, and an answer larger than
the stream's send window, or one in pieces (record data), goes through the stream's send buffer
and the send task, with flow control and back-pressure as before.
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
from hypercorn.events import Closed, Event, Updated
from hypercorn.protocol.events import Body, EndBody
from hypercorn.protocol.h2 import H2Protocol, StreamBuffer
from hypercorn.utils import filter_pseudo_headers

from .h2_late_data import end_early_answer
from .inline_body import ENDED, GONE, InlineBody

REPLACES = (
    (H2Protocol, "_create_stream"),
    (H2Protocol, "_priority_updated"),
    (H2Protocol, "_handle_events"),
    (H2Protocol, "handle"),
)
_RESPONDER = "_camrelay_inline_responder"
_PENDING = "_camrelay_inline"  # per connection: the ids of the streams answered here, unfinished
_PRIORITY = "_camrelay_inline_priority"  # per connection: ids whose PriorityUpdated is to come
_BODIES = "_camrelay_inline_bodies"  # per connection: the bodies still arriving, by stream id
log = logging.getLogger("camrelay.h2")
_answered = [0]  # since start, for /metrics

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class InlineReply:
    """What the responder answers: a status, headers, and the body whole or in pieces."""

    status: int
    headers: Headers
    body: bytes | AsyncGenerator[bytes, None]


@dataclass(frozen=True, slots=True)
class InlineRequest:
    """A request as the responder sees it (the path unquoted, as in an ASGI scope)."""

    method: str
    path: str
    query_string: bytes
    headers: Headers
    client: tuple[str, int] | None
    body: InlineBody


class Responder(Protocol):
    """The app's side: the coming reply to a request, or None to let the app serve it."""

    def take(self, request: InlineRequest) -> Awaitable[InlineReply] | None: ...


def set_responder(config: Config, responder: Responder) -> None:
    """Serve the requests `responder` takes on the HTTP/2 connections of `config`."""
    setattr(config, _RESPONDER, responder)


def answered_inline() -> int:
    """Requests answered here since start, without a Hypercorn stream (metrics)."""
    return _answered[0]


def _ids(protocol: H2Protocol, name: str) -> set[int]:
    """A set of stream ids kept on the connection under `name`, made on first use."""
    return protocol.__dict__.setdefault(name, set())  # type: ignore[no-any-return]


def _pending(protocol: H2Protocol) -> set[int]:
    return _ids(protocol, _PENDING)


def _bodies(protocol: H2Protocol) -> dict[int, InlineBody]:
    return protocol.__dict__.setdefault(_BODIES, {})  # type: ignore[no-any-return]


def _taken(
    protocol: H2Protocol, request: h2.events.RequestReceived
) -> tuple[InlineRequest, Awaitable[InlineReply]] | None:
    """The request and the responder's coming reply, when it takes it (None: the ordinary path
    serves it)."""
    config = protocol.config
    responder: Responder | None = getattr(config, _RESPONDER, None)
    if responder is None or config.server_names:
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
    ended = request.stream_ended is not None
    body = InlineBody(config.max_app_queue_size, ENDED if ended else None)
    method_name = method.decode("ascii").upper()
    inline = InlineRequest(method_name, text, query_string, headers, protocol.client, body)
    reply = responder.take(inline)
    if reply is None:
        return None
    if not ended:
        _bodies(protocol)[request.stream_id] = body
    return inline, reply


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
    if isinstance(body, bytes):
        await protocol.stream_send(Body(stream_id=stream_id, data=body))
    else:
        try:
            async for piece in body:
                if protocol.closed or stream_id not in protocol.stream_buffers:
                    return  # reset or gone: the send task has dropped the stream
                await protocol.stream_send(Body(stream_id=stream_id, data=piece))
        finally:
            await body.aclose()
    await protocol.stream_send(EndBody(stream_id=stream_id))


async def _answer(
    protocol: H2Protocol, stream_id: int, request: InlineRequest, reply: Awaitable[InlineReply]
) -> None:
    """Await the reply, write it unless the stream or connection is gone, log it, and report
    the connection idle when nothing else is in flight on it."""
    started = time.time()
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
        body = _bodies(protocol).pop(stream_id, None)
        if body is not None:  # answered before the body ended: the rest is not wanted
            body.finish(GONE)
            if not protocol.closed:
                end_early_answer(protocol, stream_id)
        if protocol.config.log.access_logger is not None:
            await _log(protocol, request, answered, time.time() - started)
        if not protocol.closed:
            await protocol._flush()
            idle = not _pending(protocol) and all(s.idle for s in protocol.streams.values())
            if idle and protocol.context.terminated.is_set():  # shutting down: GOAWAY, as Hypercorn
                protocol.connection.close_connection()
                await protocol._flush()
            await protocol.send(Updated(idle=idle))


def _reset(protocol: H2Protocol, stream_id: int) -> None:
    """RST_STREAM(INTERNAL_ERROR) on a stream whose answer failed half-way, if still open."""
    try:
        protocol.connection.reset_stream(stream_id, h2.errors.ErrorCodes.INTERNAL_ERROR)
    except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
        pass


async def _log(
    protocol: H2Protocol, request: InlineRequest, reply: InlineReply | None, took_s: float
) -> None:
    """The access log line the ordinary path writes, from what its scope would have held."""
    scope: Any = {
        "type": "http",
        "http_version": "2",
        "method": request.method,
        "scheme": "https" if protocol.ssl else "http",
        "path": request.path,
        "query_string": request.query_string,
        "headers": request.headers,
        "client": request.client,
        "server": protocol.server,
    }
    response: Any = None if reply is None else {"status": reply.status, "headers": reply.headers}
    await protocol.config.log.access(scope, response, took_s)


def _patch_create_stream(original: Callable[[Any, Any], Awaitable[None]]) -> Any:
    async def create_stream(self: H2Protocol, request: h2.events.RequestReceived) -> None:
        taken = _taken(self, request)
        if taken is None:
            await original(self, request)
            return
        _pending(self).add(request.stream_id)
        if request.priority_updated is not None:
            _ids(self, _PRIORITY).add(request.stream_id)
        self.task_group.spawn(_answer, self, request.stream_id, *taken)
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


def _patch_handle_events(original: Callable[[Any, list[Any]], Awaitable[None]]) -> Any:
    async def handle_events(self: H2Protocol, events: list[h2.events.Event]) -> None:
        # One event at a time: a request taken here is followed by its DATA in the same list.
        for event in events:
            if getattr(self, "_camrelay_flooded", False):
                return  # after h2_stream_reset's GOAWAY: the rest is ignored
            bodies: dict[int, InlineBody] | None = self.__dict__.get(_BODIES)
            body = bodies.get(getattr(event, "stream_id", 0) or 0) if bodies else None
            if bodies is None or body is None:
                await original(self, [event])
            elif isinstance(event, h2.events.DataReceived):
                await _received(self, body, event)
            elif isinstance(event, h2.events.StreamEnded):
                del bodies[event.stream_id]
                body.finish(ENDED)
            elif isinstance(event, h2.events.StreamReset):
                del bodies[event.stream_id]
                body.finish(GONE)
                await original(self, [event])  # counted against the connection's resets
            else:
                await original(self, [event])

    return handle_events


async def _received(protocol: H2Protocol, body: InlineBody, event: h2.events.DataReceived) -> None:
    """Queue a DATA frame's bytes for the handler, then give its flow-control credit back."""
    if event.data:
        await body.put(event.data)
    try:
        protocol.connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
    except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError):
        return  # reset or closed meanwhile
    await protocol._flush()


def _patch_handle(original: Callable[[Any, Event], Awaitable[None]]) -> Any:
    async def handle(self: H2Protocol, event: Event) -> None:
        if isinstance(event, Closed):  # every handler still reading a body ends
            for body in self.__dict__.pop(_BODIES, {}).values():
                body.finish(GONE)
        await original(self, event)

    return handle


def install() -> None:
    """Patch H2Protocol (after h2_stream_reset, whose stream creation it goes before and whose
    per-event loop it wraps)."""
    H2Protocol._create_stream = _patch_create_stream(H2Protocol._create_stream)  # type: ignore[method-assign]
    H2Protocol._priority_updated = _patch_priority_updated(H2Protocol._priority_updated)  # type: ignore[method-assign]
    H2Protocol._handle_events = _patch_handle_events(H2Protocol._handle_events)  # type: ignore[method-assign]
    H2Protocol.handle = _patch_handle(H2Protocol.handle)  # type: ignore[method-assign]
