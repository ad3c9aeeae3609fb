"""The daily reset as a scheduled job of the running worker: at the configured time, with no
frame or crossing to wake it, the active event ends and is reported on the feed, the
counters start again from zero and the day's report is in the worker's SQLite file.

Synthetic frames go through a real relay; a scripted detector walks one person across the
line, so the crossing is certain and the test takes seconds.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import websockets

from camrelay.workers.common.stream_source import Backoff, StreamSource
from camrelay.workers.counter.config import CounterSettings
from camrelay.workers.counter.geometry import Box, Detection
from camrelay.workers.counter.pipeline import CountingPipeline
from camrelay.workers.counter.store import CounterStore
from camrelay.workers.counter.worker import CounterWorker
from tests.support.relay_server import RelayServer
from tests.workers.counter_e2e_support import relay_client, running


class WalkingPerson:
    """One person walking left to right across a 640-wide frame, one step per call."""

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, frame: np.ndarray) -> list[Detection]:
        self.calls += 1
        x = 100 + 50 * self.calls
        return [Detection(Box(x - 30, 200, x + 30, 360), 0.9)] if x <= 620 else []


async def grey_frames(stop: asyncio.Event) -> AsyncIterator[bytes]:
    jpeg = cv2.imencode(".jpg", np.full((480, 640, 3), 100, np.uint8))[1].tobytes()
    while not stop.is_set():
        yield jpeg
        await asyncio.sleep(0.1)


async def reports(database: Path) -> list[tuple[int, int, int, datetime]]:
    """(IN, OUT, events, end) of each daily report in the worker's file."""
    store = await CounterStore.open(database)
    try:
        return [
            (r.count_in, r.count_out, r.event_count, r.period_end) for r in await store.reports()
        ]
    finally:
        await store.close()


async def next_of(ws: Any, kind: str, timeout: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while (message := json.loads(await ws.recv())).get("type") != kind:
            pass
    return dict(message)


def reset_settings(tmp_path: Path, reset_at: datetime) -> CounterSettings:
    """Files in tmp_path, a local port, an event from the first IN, the reset at reset_at."""
    return CounterSettings.model_validate(
        {
            "database": str(tmp_path / "counter.sqlite3"),
            "feed": {"host": "127.0.0.1", "port": 0, "frame_rate": 2},
            "events": {"threshold_in": 0},
            "reset": {"at": reset_at.time().isoformat(), "timezone": "UTC"},
            "faces": {"directory": str(tmp_path / "faces")},
        }
    )


async def test_the_reset_job_ends_the_event_and_zeroes_the_counters(
    server: RelayServer, account: tuple[str, str], tmp_path: Path
) -> None:
    # Far enough ahead that a loaded machine starts the worker and counts the walker first.
    reset_at = (datetime.now(UTC) + timedelta(seconds=12)).replace(microsecond=0)
    settings = reset_settings(tmp_path, reset_at)
    source = StreamSource(relay_client(server, account, "counter"), "cam", Backoff(0.1, 2, 0.5))
    worker = CounterWorker(settings, source, pipeline=CountingPipeline(settings, WalkingPerson()))
    stop = asyncio.Event()
    async with (
        running(worker) as app,
        relay_client(server, account, "cam") as cam,
        websockets.connect(f"ws://127.0.0.1:{app.feed.port}/", max_size=None) as ws,
    ):
        push = asyncio.create_task(cam.push(grey_frames(stop)))
        started = await next_of(ws, "event")
        assert worker.ledger.stats().count_in == 1 and datetime.now(UTC) < reset_at
        ended = await next_of(ws, "event")
        after = await next_of(ws, "stats")
        stop.set()
        await push
    assert started["data"]["status"] == "started"
    assert ended["data"] == {
        "status": "ended",
        "start_time": started["data"]["start_time"],
        "end_time": reset_at.strftime("%H:%M:%S"),
        "count_in": 1,
    }
    assert after["data"] == dict.fromkeys(
        ("count_in", "count_out", "face_count", "daily_event_count", "current_event_count_in"), 0
    ) | {"event_active": False}
    assert await reports(Path(settings.database)) == [(1, 0, 1, reset_at)]
