"""Feed messages have exactly the documented fields and types; requests parse as documented."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np

from camrelay.workers.counter import feed_messages as fm
from camrelay.workers.counter.annotate import annotated_jpeg
from camrelay.workers.counter.config import LineSettings
from camrelay.workers.counter.daily import CounterStats
from camrelay.workers.counter.events import EventChange, EventStatus
from camrelay.workers.counter.face_crops import FaceCropDirectory
from camrelay.workers.counter.feed_requests import (
    BadRequest,
    GetAllFaces,
    GetFace,
    parse_request,
)
from camrelay.workers.counter.geometry import Box, Point
from camrelay.workers.counter.line import CountingLine
from camrelay.workers.counter.tracker import TrackView

NOW = datetime(2024, 5, 10, 8, 0, 1, 234567, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")


def test_stats_message() -> None:
    msg = fm.stats_message(CounterStats(5, 3, 2, 1, True, 4), NOW, BERLIN)
    assert msg == {
        "type": "stats",
        "data": {
            "count_in": 5,
            "count_out": 3,
            "face_count": 2,
            "daily_event_count": 1,
            "event_active": True,
            "current_event_count_in": 4,
        },
        "timestamp": "2024-05-10 10:00:01.234",
    }
    assert json.loads(json.dumps(msg)) == msg


def test_event_messages() -> None:
    start = NOW - timedelta(hours=1)
    started = fm.event_message(EventChange(EventStatus.STARTED, start, None, 1), NOW, BERLIN)
    assert started == {
        "type": "event",
        "data": {"status": "started", "start_time": "09:00:01"},
        "timestamp": "2024-05-10 10:00:01.234",
    }
    ended = fm.event_message(EventChange(EventStatus.ENDED, start, NOW, 17), NOW, BERLIN)
    assert ended["data"] == {
        "status": "ended",
        "start_time": "09:00:01",
        "end_time": "10:00:01",
        "count_in": 17,
    }


def test_frame_message_carries_an_annotated_jpeg() -> None:
    frame = np.full((120, 160), 128, np.uint8)
    line = CountingLine.for_frame(LineSettings(), 160, 120)
    track = TrackView(3, Box(10, 10, 40, 90), (Point(20, 60), Point(25, 50)), 5, 0, True)
    jpeg = annotated_jpeg(frame, line, [track], CounterStats(1, 0, 0, 0, False, 0), 70)
    msg = fm.frame_message(jpeg, NOW, UTC)
    assert set(msg) == {"type", "data", "timestamp"} and msg["type"] == "frame"
    assert msg["timestamp"] == "2024-05-10 08:00:01.234"
    decoded = cv2.imdecode(np.frombuffer(base64.b64decode(msg["data"]), np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (120, 160, 3)
    assert decoded[100, 128, 2] > 200 and decoded[100, 128, 0] < 80  # the red counting line


def test_face_answers(tmp_path: Path) -> None:
    faces = FaceCropDirectory(tmp_path)
    faces.save(np.zeros((20, 20, 3), np.uint8), NOW)
    faces.save(np.zeros((20, 20, 3), np.uint8), NOW + timedelta(seconds=1))
    one = fm.face_image_message(faces.get(1))
    assert set(one) == {"type", "face_id", "image_data", "filename"}
    assert (one["type"], one["face_id"], one["filename"]) == ("face_image", 1, "face_1.jpg")
    assert base64.b64decode(one["image_data"]) == (tmp_path / "face_1.jpg").read_bytes()
    every = fm.all_faces_message(faces.recent(50))
    assert every["type"] == "all_faces"
    assert [(f["face_id"], f["filename"]) for f in every["faces"]] == [
        (2, "face_2.jpg"),
        (1, "face_1.jpg"),
    ]
    assert all(set(f) == {"face_id", "filename", "image_data"} for f in every["faces"])


def test_error_answers() -> None:
    assert fm.face_image_error(123, fm.FACE_ID_NOT_FOUND) == {
        "type": "face_image",
        "face_id": 123,
        "error": "Face ID not found",
    }
    assert fm.all_faces_error() == {
        "type": "all_faces",
        "error": "Face data not available on server",
    }
    assert fm.error_message(fm.INVALID_JSON) == {"error": "Invalid JSON message"}


def test_requests_parse() -> None:
    assert parse_request('{"type": "get_face", "face_id": 123}') == GetFace(123)
    assert parse_request('{"type": "get_face", "face_id": "7"}') == GetFace(7)
    assert parse_request('{"type": "get_all_faces"}') == GetAllFaces(50)
    assert parse_request('{"type": "get_all_faces", "limit": 5}') == GetAllFaces(5)
    assert parse_request('{"type": "get_all_faces", "limit": 10000}') == GetAllFaces(500)


def test_bad_requests() -> None:
    assert parse_request("{nope") == BadRequest("Invalid JSON message")
    assert parse_request("[1]") == BadRequest("Invalid JSON message")
    assert parse_request('{"type": "get_face", "face_id": "x"}') == BadRequest(
        "Invalid face_id or limit format"
    )
    assert parse_request('{"type": "get_all_faces", "limit": -1}') == BadRequest(
        "Invalid face_id or limit format"
    )
    assert parse_request('{"type": "dance"}') == BadRequest("Unknown request type")
