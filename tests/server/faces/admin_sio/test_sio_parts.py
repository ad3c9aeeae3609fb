"""The admin API's pure parts: core events to §6 topics, log levels and the redaction every log
line goes through."""

from __future__ import annotations

import asyncio
import logging

import pytest

from camrelay.server.core.bus import KeyRefused, KeyUsed, ViewerAsked, ViewerAttached, ViewerLeft
from camrelay.server.faces.admin_sio.log_stream import level_of
from camrelay.server.faces.admin_sio.redaction import redact
from camrelay.server.faces.admin_sio.slow_sockets import SlowSockets
from camrelay.server.faces.admin_sio.topics import topics_of
from camrelay.server.faces.admin_sio.viewer_tally import ViewerTally

SECRET = "Zx3_kq9Lw0pQ-7rT2vYb8nM4cD1eF6gH5jK0sA9uI2o"  # a 32-byte url-safe secret's shape


def _names(event: object) -> list[str]:
    return [f"{t.domain}:{t.event}" for t in topics_of(event)]  # type: ignore[arg-type]


def test_the_last_viewer_leaving_is_un_demand() -> None:
    assert _names(ViewerLeft(1, "cam", "v", 3, 0, remaining=1)) == ["camera:unread"]
    assert _names(ViewerLeft(1, "cam", "v", 3, 0, remaining=0)) == [
        "camera:unread",
        "camera:unDemand",
    ]


def test_key_events() -> None:
    assert _names(KeyUsed(1, "cam", "key_x", first=True)) == [
        "credentials:authenticated",
        "camera:extended",
    ]
    assert _names(KeyUsed(1, "cam", "key_x", first=False))[0] == "credentials:reauthenticated"
    assert _names(KeyRefused(1, "cam", "key_x", "revoked")) == [
        "credentials:unauthenticated",
        "camera:failed-extension",
    ]
    assert _names(KeyRefused(1, "cam", "key_x", "wrong secret")) == ["camera:failed-extension"]
    (topic,) = topics_of(KeyRefused(1, "cam", "key_x", "wrong secret"))
    assert (topic.entity, topic.details) == ("cam", {"keyId": "key_x", "reason": "wrong secret"})


@pytest.mark.parametrize(
    ("python", "document"),
    [(5, 20), (logging.DEBUG, 30), (logging.INFO, 40), (logging.WARNING, 50)]
    + [(logging.ERROR, 60), (logging.CRITICAL, 70), (100, 70)],
)
def test_levels(python: int, document: int) -> None:
    assert level_of(python) == document


@pytest.mark.parametrize(
    "line",
    [
        f"login with password={SECRET}",
        "login with password=hunter2",
        'body {"name": "a", "pass": "hunter2"}',
        f"shash {SECRET} expired",
        f"Authorization: Bearer {SECRET}",
        f"token={SECRET}&x=1",
        f"key secret: {SECRET}",
        f"unlabelled {SECRET} in a line",
        f"session {SECRET[:22]} gone",
    ],
)
def test_secrets_never_survive_redaction(line: str) -> None:
    cleaned = redact(line)
    assert "hunter2" not in cleaned and SECRET[:22] not in cleaned, cleaned
    assert "[redacted]" in cleaned


def test_redaction_keeps_what_is_public() -> None:
    line = "key key_AbC123dEf456gH78 of device front-door-camera refused (revoked)"
    assert redact(line) == line
    assert redact("session opened: device cam1 from 127.0.0.1") == (
        "session opened: device cam1 from 127.0.0.1"
    )


def test_a_socket_that_stopped_reading_is_swept() -> None:
    """engineio's per-socket queue has no bound of its own: the sweep is the bound."""

    class Sock:
        def __init__(self, queued: int) -> None:
            self.queue: asyncio.Queue[int] = asyncio.Queue()
            for item in range(queued):
                self.queue.put_nowait(item)

    class Eio:
        sockets = {"reading": Sock(3), "stuck": Sock(101)}

    slow = SlowSockets(cap=100)
    assert slow.sweep(Eio()) == [Eio.sockets["stuck"]]
    assert slow.ended == 1


def test_with_a_tally_demand_and_un_demand_count_every_node() -> None:
    tally = ViewerTally()
    names = [f"{t.domain}:{t.event}" for t in topics_of(ViewerAsked(1, "cam", "v"), tally)]
    assert names == ["camera:demand"]
    topics_of(ViewerAttached(1, "cam", "v", watching=1, node="a"), tally)
    again = topics_of(ViewerAsked(1, "cam", "w"), tally)  # every ask is a demand
    assert [t.event for t in again] == ["demand"]
    topics_of(ViewerAttached(1, "cam", "w", watching=1, node="b"), tally)
    left_a = topics_of(ViewerLeft(1, "cam", "v", 3, 0, remaining=0, node="a"), tally)
    assert [t.event for t in left_a] == ["unread"]  # b still has one
    left_b = topics_of(ViewerLeft(1, "cam", "w", 3, 0, remaining=0, node="b"), tally)
    assert [t.event for t in left_b] == ["unread", "unDemand"]
