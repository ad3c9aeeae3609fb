"""A server-wide cap on the bytes of record bodies held in memory at once.

Quart buffers whatever a client sends on a request, read or not, and Hypercorn returns HTTP/2
flow-control credit as soon as the data is queued: a body that stops being read while it waits
for room keeps arriving all the same. So a body needs no room for its first UNRESERVED bytes;
past them it must hold its room (its Content-Length, else the largest record), asked for in
first-come order when it starts. It waits for it while it has sent at most UNRESERVED bytes and
for at most `wait_s`; then it answers ServerBusy (code 5) and the stream is reset.
"""

from __future__ import annotations

import time
from collections import deque

from camrelay.protocol.errors import ServerBusy

UNRESERVED = 1 << 20


class Room:
    """One body's place in the budget: granted, or waiting in line."""

    def __init__(self, budget: BodyBudget, size: int, deadline: float) -> None:
        self._budget = budget
        self.size = size
        self.deadline = deadline
        self.granted = False

    def check(self, held: int) -> None:
        """Called as the body grows to `held` bytes: ServerBusy when it may not hold them."""
        if self.granted:
            if held > max(self.size, UNRESERVED) and not self._budget.grow(self, held - self.size):
                self._budget.refuse(self)
            return
        needs_room = self.size > UNRESERVED
        if held > UNRESERVED or (needs_room and time.monotonic() >= self.deadline):
            self._budget.refuse(self)

    def close(self) -> None:
        """Give the room back (or leave the line); safe to call again."""
        self._budget.release(self)


class BodyBudget:
    """At most `capacity` bytes of granted rooms; the rest wait in line."""

    def __init__(self, capacity: int, wait_s: float) -> None:
        self.capacity = capacity
        self.wait_s = wait_s
        self.in_flight = 0
        self.refused = 0
        self._line: deque[Room] = deque()

    def room(self, size: int) -> Room:
        """A place for a body of about `size` bytes, granted at once when it fits."""
        room = Room(self, min(size, self.capacity), time.monotonic() + self.wait_s)
        self._line.append(room)
        self._grant()
        return room

    def grow(self, room: Room, more: int) -> bool:
        """Room for a body longer than it said, if there is some now."""
        if self.in_flight + more > self.capacity:
            return False
        self.in_flight += more
        room.size += more
        return True

    def refuse(self, room: Room) -> None:
        """Count the refusal, free the room and raise ServerBusy."""
        self.refused += 1
        self.release(room)
        raise ServerBusy("too many request bodies in flight")

    def release(self, room: Room) -> None:
        if room.granted:
            room.granted = False
            self.in_flight -= room.size
        elif room in self._line:
            self._line.remove(room)
        self._grant()

    def _grant(self) -> None:
        while self._line and self.in_flight + self._line[0].size <= self.capacity:
            room = self._line.popleft()
            room.granted = True
            self.in_flight += room.size
