"""Core events as §6 topics: `camera:*` and `credentials:*`, each emitted under four names to
the sockets of the event's account that see its camera."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ...core.bus import (
    Bus,
    Event,
    KeyRefused,
    KeyUsed,
    Reach,
    StreamGone,
    StreamReady,
    ViewerAsked,
    ViewerAttached,
    ViewerLeft,
)
from .callers import camera_event_rooms
from .viewer_tally import ViewerTally

log = logging.getLogger("camrelay.admin_sio")

KINDS = (ViewerAsked, ViewerAttached, ViewerLeft, StreamReady, StreamGone, KeyUsed, KeyRefused)
WILDCARDS = ("camrelay:*", "nestmtx:*")  # the application-wide names: ours and the document's
REFUSALS_THAT_UNAUTHENTICATE = ("revoked", "expired")

Emit = Callable[[Sequence[str], dict[str, Any], list[str]], Awaitable[None]]  # names, data, rooms


@dataclass(frozen=True)
class Topic:
    """One §6 event: its domain, event type, entity and details, about a camera of an account."""

    account_id: int
    device: str  # the camera it concerns: who may see it
    domain: str
    event: str
    entity: str
    details: dict[str, Any]

    def payload(self, at: str) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "entity": self.entity,
            "event": self.event,
            "details": self.details,
            "at": at,
        }

    def names(self) -> tuple[str, ...]:
        return (f"{self.domain}:{self.event}", f"{self.domain}:*", *WILDCARDS)


def _camera(event: Any, name: str, **details: Any) -> Topic:
    return Topic(event.account_id, event.device, "camera", name, event.device, details)


def _credentials(event: KeyUsed | KeyRefused, name: str, **details: Any) -> Topic:
    return Topic(event.account_id, event.device, "credentials", name, event.key_id, details)


def topics_of(event: Event, tally: ViewerTally | None = None) -> list[Topic]:
    """The §6 events one core event makes, in the order they are sent. Every ask is a demand
    (the document: "when a client attempts to read"); with a `tally` of every node's viewers,
    unDemand waits for the last viewer on any node, not on one."""
    if isinstance(event, ViewerAsked):
        return [_camera(event, "demand", viewer=event.viewer)]
    if isinstance(event, ViewerAttached):
        if tally is not None:
            tally.attached(event)
        return [_camera(event, "read", viewer=event.viewer)]
    if isinstance(event, ViewerLeft):
        unread = _camera(
            event, "unread", viewer=event.viewer, frames=event.frames, dropped=event.dropped
        )
        if not (event.remaining == 0 if tally is None else tally.last(event)):
            return [unread]
        return [unread, _camera(event, "unDemand", viewer=event.viewer)]
    if isinstance(event, StreamReady):
        return [_camera(event, "ready", subproto=event.subproto, delta=event.delta)]
    if isinstance(event, StreamGone):
        return [_camera(event, "notReady")]
    if isinstance(event, KeyUsed):
        kind = "authenticated" if event.first else "reauthenticated"
        return [
            _credentials(event, kind, device=event.device),
            _camera(event, "extended", keyId=event.key_id),
        ]
    if isinstance(event, KeyRefused):
        found = [_camera(event, "failed-extension", keyId=event.key_id, reason=event.reason)]
        if event.reason in REFUSALS_THAT_UNAUTHENTICATE:
            found.insert(0, _credentials(event, "unauthenticated", reason=event.reason))
        return found
    return []


def utc_now() -> str:
    """The `at` of an event: UTC ISO time with milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def relay_topics(bus: Bus, emit: Emit) -> None:
    """Forward the bus's camera and key events to the sockets until cancelled."""
    tally = ViewerTally()
    async with bus.subscribe(*KINDS, reach=Reach.EVERYWHERE) as events:
        async for event in events:
            for topic in topics_of(event, tally):
                payload = topic.payload(utc_now())
                rooms = camera_event_rooms(topic.account_id, topic.device)
                await emit(topic.names(), payload, rooms)  # its four names: one write a socket
