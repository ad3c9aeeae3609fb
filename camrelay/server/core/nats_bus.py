"""The bus across nodes: every event published here also goes out on NATS, and the other nodes'
events come in to the subscribers that asked for them (`Reach`).

Nothing here ever waits on NATS: what goes out waits in two bounded queues (events by count,
live frames by bytes) that lose their oldest entries when full (counted), and one task writes
them to the connection. nats-py reconnects by itself; meanwhile the node serves its own clients
and what it publishes is lost (counted), not held. Each message carries the node it came from,
so a node skips its own and nothing loops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import UnionType
from typing import Any, get_args, get_origin, get_type_hints

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import SlowConsumerError

from . import bus
from .bus import SUBSCRIBER_CAPACITY, Event, LocalBus, LocalSubscription, Reach
from .node import NODE_ID
from .store_url import shown

FRAMES_PREFIX = "camrelay.frames"  # live frames (stream_link.py)
EVENTS_SUBJECT = "camrelay.events"  # one subject, so one node's events keep their order
EVENTS_QUEUED = 10_000  # events waiting for the connection before the oldest are dropped
FRAMES_QUEUED_BYTES = 16 << 20  # live-frame bytes waiting for the connection, likewise
# Bytes one subscription's messages may wait for this node before NATS's client drops them.
RECEIVED_BYTES = 32 << 20
RETRY_S = 0.5  # between attempts to reach NATS (first connection and reconnections)
EVENT, FRAME, CONTROL = "event", "frame", "control"  # what a queued message is
log = logging.getLogger("camrelay.bus")
Listener = Callable[[str, Event], None]  # (origin node, event), called for others' events
RawHandler = Callable[[Msg], Awaitable[None]]


@dataclass
class ClusterCounters:
    """Traffic between this node and the others since the server started (metrics)."""

    events_sent: int = 0
    events_received: int = 0
    events_dropped: int = 0  # lost on the way out: queue full or NATS away
    frames_sent: int = 0
    frames_received: int = 0
    frames_dropped: int = 0  # lost on the way out or in (a frame cut short)
    bytes_sent: int = 0
    bytes_received: int = 0


def _event_kinds() -> dict[str, type[Event]]:
    """The event classes by name, from bus.py's namespace: `Event.__subclasses__()` also
    holds the classes dataclass(slots=True) replaced, which isinstance never matches."""
    return {
        name: kind
        for name, kind in vars(bus).items()
        if isinstance(kind, type) and issubclass(kind, Event) and kind is not Event
    }


KINDS = _event_kinds()
HINTS = {kind: get_type_hints(kind) for kind in KINDS.values()}  # each kind's field types


def _typed(value: Any, hint: Any) -> Any:
    """A field from JSON as its event declares it (lists back into tuples); TypeError when
    it is not: a message from a broken or foreign sender must not reach a subscriber."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is tuple and isinstance(value, list):
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_typed(v, args[0]) for v in value)
        if len(args) == len(value):
            return tuple(_typed(v, a) for v, a in zip(value, args, strict=True))
    elif origin is UnionType:
        for arg in args:
            with contextlib.suppress(TypeError):
                return _typed(value, arg)
    elif hint is float and type(value) in (int, float):
        return float(value)
    elif type(value) is hint:  # never a bool for an int
        return value
    raise TypeError(f"{value!r} is not {hint}")


def encode_event(event: Event, origin: str = NODE_ID) -> bytes:
    """An event as it travels: its fields, its type and the node it comes from."""
    return json.dumps({"origin": origin, **event.as_dict()}, separators=(",", ":")).encode()


def decode_event(data: bytes) -> tuple[str, Event] | None:
    """(origin, event) from a message; None for a kind this node does not know."""
    fields = json.loads(data)
    origin, kind = fields.pop("origin"), KINDS.get(fields.pop("event"))
    if kind is None:
        return None
    hints = HINTS[kind]
    return str(origin), kind(**{k: _typed(v, hints[k]) for k, v in fields.items()})


class NatsBus:
    """A LocalBus for this node's subscribers, joined to the other nodes through NATS."""

    def __init__(self, url: str, node: str = NODE_ID) -> None:
        self.url = url
        self.shown = shown(url)  # for logs: never its password
        self.node = node
        self.local = LocalBus()
        self.counters = ClusterCounters()
        self.client: Client | None = None
        # Events and the streams' small control messages, sent before any frame.
        self._events: deque[tuple[str, bytes]] = deque()
        self._frames: deque[tuple[str, bytes]] = deque()
        self._frame_bytes = 0
        self._wakeup = asyncio.Event()
        self._listeners: list[Listener] = []
        self._raw: dict[str, RawHandler] = {}
        self._rejoined: list[Callable[[], Awaitable[None]]] = []
        self._catching_up: set[asyncio.Task[None]] = set()
        self._connected = False
        self._warned = False

    # The Bus protocol: local subscribers as with LocalBus.
    def publish(self, event: Event) -> None:
        """Hand the event to this node's subscribers and queue it for the other nodes."""
        self.local.publish(event)
        self._queue_first(EVENTS_SUBJECT, encode_event(event, self.node))

    def _queue_first(self, subject: str, payload: bytes) -> None:
        if len(self._events) >= EVENTS_QUEUED:
            self._events.popleft()
            self.counters.events_dropped += 1
        self._events.append((subject, payload))
        self._wakeup.set()

    def subscribe(
        self, *kinds: type[Event], capacity: int = SUBSCRIBER_CAPACITY, reach: Reach = Reach.HERE
    ) -> LocalSubscription:
        """A subscriber to events of `kinds` from the nodes `reach` says."""
        return self.local.subscribe(*kinds, capacity=capacity, reach=reach)

    @property
    def published_total(self) -> int:
        """Events this node published (metrics)."""
        return self.local.published_total

    @property
    def dropped_total(self) -> int:
        """Events this node's slow subscribers lost (metrics)."""
        return self.local.dropped_total

    @property
    def connected(self) -> bool:
        """Whether NATS is reachable now."""
        return self._connected

    def listen(self, listener: Listener) -> None:
        """Call `listener(origin, event)` for every other node's event, before any subscriber
        sees it: for what must happen every time (a session end), never lost to a full queue."""
        self._listeners.append(listener)

    def on_rejoin(self, catch_up: Callable[[], Awaitable[None]]) -> None:
        """Run `catch_up()` each time NATS is back after an outage: the events of the outage
        are lost, so what they would have changed is read again from the store."""
        self._rejoined.append(catch_up)

    def handle(self, subject: str, handler: RawHandler) -> None:
        """Take the messages of `subject` (a wildcard may end it) once connected."""
        self._raw[subject] = handler

    def send(self, subject: str, payload: bytes, control: bool = False) -> None:
        """Queue a live frame (bounded in bytes), or with `control` a small message that must
        not wait behind frames or be lost to them (a stream's announcement, its demand);
        while NATS is away control messages are pointless and skipped."""
        if control:
            if self._connected:
                self._queue_first(subject, payload)
            return
        self._frames.append((subject, payload))
        self._frame_bytes += len(payload)
        while self._frame_bytes > FRAMES_QUEUED_BYTES and len(self._frames) > 1:
            self._frame_bytes -= len(self._frames.popleft()[1])
            self.counters.frames_dropped += 1
        self._wakeup.set()

    async def run(self) -> None:
        """Connect (retrying until NATS answers), then send what is queued; until cancelled."""
        client = await self._connect()
        await client.subscribe(EVENTS_SUBJECT, cb=self._on_event)
        for subject, handler in self._raw.items():
            await client.subscribe(subject, cb=handler)
        # Joined only once NATS has the subscriptions (a round trip): from then on the other
        # nodes' events reach this one, which is what camrelay_bus_connected promises.
        await client.flush()
        self._connected, self._warned = True, False
        log.info("bus: joined %s as node %s", self.shown, self.node)
        self.client = client
        try:
            await self._send_forever(client)
        finally:
            self.client = None
            await client.close()

    async def drain(self, timeout: float) -> None:
        """Send the events still queued (a node stopping says its streams ended), within
        `timeout` seconds; what is left then is lost."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self._events and self._connected:
                    await asyncio.sleep(0.01)
                if self.client is not None and self._connected:
                    await self.client.flush()

    async def _connect(self) -> Client:
        while True:
            try:
                client = await nats.connect(
                    self.url,
                    name=f"camrelay-{self.node}",
                    allow_reconnect=True,
                    max_reconnect_attempts=-1,
                    reconnect_time_wait=RETRY_S,
                    connect_timeout=2,
                    error_cb=self._on_error,
                    disconnected_cb=self._on_disconnected,
                    reconnected_cb=self._on_reconnected,
                )
            except Exception as exc:
                await self._on_error(exc)
                await asyncio.sleep(RETRY_S)
                continue
            return client

    async def _send_forever(self, client: Client) -> None:
        while True:
            self._wakeup.clear()
            while self._events or self._frames:
                if self._events:
                    subject, payload = self._events.popleft()
                    kind = EVENT if subject == EVENTS_SUBJECT else CONTROL
                    await self._send(client, subject, payload, kind)
                else:
                    subject, payload = self._frames.popleft()
                    self._frame_bytes -= len(payload)
                    await self._send(client, subject, payload, FRAME)
            await self._wakeup.wait()

    async def _send(self, client: Client, subject: str, payload: bytes, kind: str) -> None:
        counters = self.counters
        try:
            if not self._connected:
                raise ConnectionError("NATS is away")
            await client.publish(subject, payload)
        except Exception:
            if kind == EVENT:
                counters.events_dropped += 1
            elif kind == FRAME:
                counters.frames_dropped += 1
            return  # a lost control message is sent again within a second
        counters.bytes_sent += len(payload)
        if kind == EVENT:
            counters.events_sent += 1

    async def _on_event(self, msg: Msg) -> None:
        try:
            decoded = decode_event(msg.data)
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("bus: an event that does not decode was skipped")
            return
        if decoded is None or decoded[0] == self.node:
            return
        origin, event = decoded
        self.counters.events_received += 1
        self.counters.bytes_received += len(msg.data)
        for listener in self._listeners:
            try:
                listener(origin, event)
            except Exception:
                log.exception("bus: a listener failed on %r", event)
        self.local.deliver_remote(event)

    async def _on_error(self, exc: Exception) -> None:
        if isinstance(exc, SlowConsumerError):  # this node fell behind: NATS's copy was lost
            if exc.subject.startswith(FRAMES_PREFIX):
                self.counters.frames_dropped += 1
            else:
                self.counters.events_dropped += 1
        elif self._connected or self._warned:
            log.debug("bus: %r", exc)
        else:  # one warning while NATS is away, not one per attempt
            self._warned = True
            log.warning("bus: %s does not answer (%r); trying on", self.shown, exc)

    async def _on_disconnected(self) -> None:
        if self._connected:
            self._connected = False
            log.warning("bus: lost %s; this node serves its own clients meanwhile", self.shown)

    async def _on_reconnected(self) -> None:
        self._connected, self._warned = True, False
        log.info("bus: back on %s", self.shown)
        for catch_up in self._rejoined:
            task = asyncio.get_running_loop().create_task(self._catch_up(catch_up))
            self._catching_up.add(task)
            task.add_done_callback(self._catching_up.discard)

    async def _catch_up(self, catch_up: Callable[[], Awaitable[None]]) -> None:
        try:
            await catch_up()
        except Exception:
            log.exception("bus: catching up after an outage failed")
