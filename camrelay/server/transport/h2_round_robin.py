"""The streams of an HTTP/2 connection take turns to send, instead of a priority tree.

Hypercorn's send task asks the `priority` library's tree for the next stream to send; with 100
viewers of a camera on 10 connections, the tree's weighted scheduling (Stream.schedule, a heap
per level) was 12 % of the server's samples (py-spy), more than h2's framing. RFC 9113 §5.3.2
deprecates the HTTP/2 priority scheme and lets a server ignore it; camrelay's streams are peers
(viewers of a camera, answers of one client). RoundRobin keeps the tree's interface and its
errors (the rapid-reset defence in h2_stream_reset counts on TooManyStreamsError past 1,000
streams) and hands out the unblocked streams in turn, each once per round.
"""

from __future__ import annotations

from typing import Any

import priority
from hypercorn.protocol.h2 import H2Protocol

REPLACES = ((H2Protocol, "__init__"),)


class RoundRobin:
    """PriorityTree's interface for Hypercorn: insert, remove, block, unblock, next."""

    def __init__(self, maximum_streams: int = 1000) -> None:
        self._maximum = maximum_streams
        self._streams: set[int] = set()
        self._ready: dict[int, None] = {}  # the unblocked streams, in turn order

    def insert_stream(self, stream_id: int, *_: Any, **__: Any) -> None:
        """A new stream, unblocked (its dependency and weight are ignored)."""
        if stream_id in self._streams:
            raise priority.DuplicateStreamError(f"Stream {stream_id} already in tree")
        if len(self._streams) >= self._maximum:
            raise priority.TooManyStreamsError(
                f"Refusing to insert {self._maximum + 1} streams into priority tree at once"
            )
        self._streams.add(stream_id)
        self._ready[stream_id] = None

    def reprioritize(self, stream_id: int, *_: Any, **__: Any) -> None:
        """Nothing changes but for a stream unknown here: MissingStreamError, as the tree."""
        self._known(stream_id)

    def remove_stream(self, stream_id: int) -> None:
        self._known(stream_id)
        self._streams.discard(stream_id)
        self._ready.pop(stream_id, None)

    def block(self, stream_id: int) -> None:
        self._known(stream_id)
        self._ready.pop(stream_id, None)

    def unblock(self, stream_id: int) -> None:
        self._known(stream_id)
        if stream_id not in self._ready:
            self._ready[stream_id] = None

    def __iter__(self) -> RoundRobin:
        return self

    def __next__(self) -> int:
        """The stream whose turn it is (it goes to the back); DeadlockError if none is ready."""
        ready = self._ready
        if not ready:
            raise priority.DeadlockError("No unblocked streams to schedule.")
        stream_id = next(iter(ready))
        del ready[stream_id]
        ready[stream_id] = None
        return stream_id

    def _known(self, stream_id: int) -> None:
        if stream_id not in self._streams:
            raise priority.MissingStreamError(f"Stream {stream_id} not in tree")


def install() -> None:
    """Patch H2Protocol: every connection schedules its streams with a RoundRobin."""
    original_init = H2Protocol.__init__

    def __init__(self: H2Protocol, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.priority = RoundRobin()  # type: ignore[assignment]

    H2Protocol.__init__ = __init__  # type: ignore[method-assign]
