"""The event bus: the core says what happened, any number of faces listen, none holds it up.

Events are frozen dataclasses of plain JSON-serialisable fields, so a networked bus can carry
them unchanged. `publish` never awaits: each subscriber owns a queue bounded in events, and a
subscriber that falls behind loses its own oldest events (counted) while the publisher and the
other subscribers go on. Events of one publisher arrive in the order they were published.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from enum import Enum
from types import TracebackType
from typing import Any, Protocol

SUBSCRIBER_CAPACITY = 1024  # events queued per subscriber before its oldest are dropped


class Reach(Enum):
    """Whose events a subscriber gets: this node's (the default, so a node never acts twice on
    one happening), every node's, or only the other nodes' (the faces that already saw their
    own node's through another way). With one node, HERE and EVERYWHERE are the same."""

    HERE = "here"
    EVERYWHERE = "everywhere"
    ELSEWHERE = "elsewhere"


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened in the core; subclasses say what."""

    def as_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data, its type under "event"."""
        return {"event": type(self).__name__, **dataclasses.asdict(self)}


@dataclass(frozen=True, slots=True)
class SessionOpened(Event):
    """A device authorized; `session` is a public id of the session, never its shash."""

    account_id: int
    device: str
    address: str
    session: str


@dataclass(frozen=True, slots=True)
class SessionEnded(Event):
    """A session ended: `reason` is expired, request cap, evicted or removed (from outside)."""

    account_id: int
    device: str
    address: str
    session: str
    reason: str


@dataclass(frozen=True, slots=True)
class StreamReady(Event):
    """A device started uploading its stream (or a new upload took it over); `started` is the
    wall-clock start, so nodes agree which of two simultaneous uploads is the newest."""

    account_id: int
    device: str
    subproto: str
    delta: int
    started: float = field(default=0.0, compare=False)


@dataclass(frozen=True, slots=True)
class StreamGone(Event):
    """A device's stream ended and its viewers with it."""

    account_id: int
    device: str


@dataclass(frozen=True, slots=True)
class ViewerAsked(Event):
    """A viewer asked for a device's stream, streaming or not (a camera may start on demand)."""

    account_id: int
    device: str
    viewer: str


@dataclass(frozen=True, slots=True)
class ViewerAttached(Event):
    """A viewer started receiving a device's stream; `watching`: the viewers of the device on
    `node`, this one included (so the admin faces count viewers across nodes)."""

    account_id: int
    device: str
    viewer: str
    watching: int = field(default=0, compare=False)
    node: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class ViewerLeft(Event):
    """A viewer stopped receiving a device's stream; `dropped` frames it lost on the way;
    `remaining` viewers still attached to the device (0: its last viewer left)."""

    account_id: int
    device: str
    viewer: str
    frames: int
    dropped: int
    remaining: int = 0  # on `node`
    node: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class RecordAdded(Event):
    """A record was stored (committed)."""

    account_id: int
    device: str
    rid: int
    stamp: str


@dataclass(frozen=True, slots=True)
class RecordsDeleted(Event):
    """Records were deleted: `reason` is request, retention or quota."""

    account_id: int
    rids: tuple[int, ...]
    reason: str


@dataclass(frozen=True, slots=True)
class MessageAdded(Event):
    """A message was stored; its params stay in the store (fetch them if needed)."""

    account_id: int
    sender: str
    target: str
    msg: str
    stamp: str


@dataclass(frozen=True, slots=True)
class ConfigChanged(Event):
    """An account's config kinds were set: (kind, value) pairs."""

    account_id: int
    changes: tuple[tuple[int, float], ...]


@dataclass(frozen=True, slots=True)
class KeyUsed(Event):
    """A device key opened a session for its camera; `first` on the key's first use ever."""

    account_id: int
    device: str
    key_id: str
    first: bool


@dataclass(frozen=True, slots=True)
class KeyRefused(Event):
    """A device key was refused: `reason` is revoked, expired or wrong secret."""

    account_id: int
    device: str
    key_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class CameraChanged(Event):
    """A camera was registered, changed (meta, public) or removed (`removed`)."""

    account_id: int
    device: str
    removed: bool = False


@dataclass(frozen=True, slots=True)
class LogWritten(Event):
    """A log line for the admin sockets (§6 `log`), sent to the other nodes' admins; `line` is
    its JSON text, `account_id` 0 for a line about no account."""

    account_id: int
    line: str


@dataclass(frozen=True, slots=True)
class StateChanged(Event):
    """A camera's state keys changed (CONTRACT §5): (key, value) pairs as stored. `source` is
    socket, report (the camera's state-report), relay (e.g. cam1-exists) or trigger (snap,
    which never changes the stored state)."""

    account_id: int
    device: str
    changes: tuple[tuple[str, bool | int | str], ...]
    source: str


class Subscription(Protocol):
    """One subscriber's events until it is closed; `async with` closes it however it ends."""

    dropped: int

    def __aiter__(self) -> AsyncIterator[Event]: ...

    def close(self) -> None: ...

    async def __aenter__(self) -> Subscription: ...

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class Bus(Protocol):
    """What the core publishes to and the faces subscribe to."""

    def publish(self, event: Event) -> None: ...

    def subscribe(
        self, *kinds: type[Event], capacity: int = SUBSCRIBER_CAPACITY, reach: Reach = Reach.HERE
    ) -> Subscription: ...

    @property
    def published_total(self) -> int: ...

    @property
    def dropped_total(self) -> int: ...


@dataclass
class BusCounters:
    """Events through the bus since the server started; they never go down."""

    published: int = 0
    dropped: int = 0


class LocalSubscription:
    """A subscriber in this process: a bounded queue that loses its oldest events when full.

    Closed by `close`, by leaving `async with`, or by cancelling the task that waits on it, so
    a cancelled subscriber leaves no queue behind.
    """

    def __init__(
        self, bus: LocalBus, kinds: tuple[type[Event], ...], capacity: int, reach: Reach
    ) -> None:
        if capacity < 1:
            raise ValueError("a subscriber's capacity is at least one event")
        self._bus = bus
        self.reach = reach
        self._kinds = kinds or (Event,)
        self._capacity = capacity
        self._queue: deque[Event] = deque()
        self._wakeup = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def offer(self, event: Event) -> None:
        """Queue an event this subscriber wants, dropping its oldest beyond the capacity."""
        if not isinstance(event, self._kinds):
            return
        if len(self._queue) >= self._capacity:
            self._queue.popleft()
            self.dropped += 1
            self._bus.counters.dropped += 1
        self._queue.append(event)
        self._wakeup.set()

    def __len__(self) -> int:
        """Events queued, not yet taken."""
        return len(self._queue)

    def close(self) -> None:
        """Stop receiving; events already queued are discarded."""
        self.closed = True
        self._queue.clear()
        self._bus.forget(self)
        self._wakeup.set()

    def __aiter__(self) -> LocalSubscription:
        return self

    async def __anext__(self) -> Event:
        while not self._queue:
            if self.closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            try:
                await self._wakeup.wait()
            except asyncio.CancelledError:
                self.close()
                raise
        return self._queue.popleft()

    async def __aenter__(self) -> LocalSubscription:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@dataclass(eq=False)
class LocalBus:
    """The bus within one server process."""

    counters: BusCounters = field(default_factory=BusCounters)
    _subscribers: dict[LocalSubscription, None] = field(default_factory=dict)

    def publish(self, event: Event) -> None:
        """Hand an event to every subscriber that wants it; never waits."""
        self.counters.published += 1
        for subscriber in self._subscribers:
            if subscriber.reach is not Reach.ELSEWHERE:
                subscriber.offer(event)

    def deliver_remote(self, event: Event) -> None:
        """Hand another node's event to the subscribers that want other nodes' events."""
        for subscriber in list(self._subscribers):
            if subscriber.reach is not Reach.HERE:
                subscriber.offer(event)

    def subscribe(
        self, *kinds: type[Event], capacity: int = SUBSCRIBER_CAPACITY, reach: Reach = Reach.HERE
    ) -> LocalSubscription:
        """A new subscriber to events of `kinds` (every event when none are named) from the
        nodes `reach` says."""
        subscriber = LocalSubscription(self, kinds, capacity, reach)
        self._subscribers[subscriber] = None
        return subscriber

    def forget(self, subscriber: LocalSubscription) -> None:
        """Remove a closed subscriber."""
        self._subscribers.pop(subscriber, None)

    @property
    def subscribers(self) -> int:
        """How many subscribers are listening (metrics)."""
        return len(self._subscribers)

    @property
    def published_total(self) -> int:
        """Events published since the server started (metrics)."""
        return self.counters.published

    @property
    def dropped_total(self) -> int:
        """Events lost by slow subscribers since the server started, closed ones included."""
        return self.counters.dropped
