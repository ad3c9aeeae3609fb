"""The exact dicts of people-counter-ws-api.txt, built from domain values; the feed only sends them.

Times are shown in the counter's configured time zone (the one the daily reset uses), as the
document's `YYYY-MM-DD HH:MM:SS.mmm` timestamps and `HH:MM:SS` event times.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from camrelay.workers.counter.daily import CounterStats
from camrelay.workers.counter.events import EventChange, EventStatus
from camrelay.workers.counter.face_crops import FaceCropImage

Message = dict[str, Any]

FACE_ID_NOT_FOUND = "Face ID not found"
FACE_FILE_NOT_FOUND = "Face image file not found"
FACES_NOT_AVAILABLE = "Face data not available on server"
INVALID_JSON = "Invalid JSON message"
INVALID_FORMAT = "Invalid face_id or limit format"
UNKNOWN_TYPE = "Unknown request type"
INTERNAL_ERROR = "Internal server error processing request"


def timestamp(now: datetime, zone: tzinfo) -> str:
    """`YYYY-MM-DD HH:MM:SS.mmm` in the zone."""
    local = now.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond // 1000:03d}"


def clock_time(instant: datetime, zone: tzinfo) -> str:
    """`HH:MM:SS` in the zone."""
    return instant.astimezone(zone).strftime("%H:%M:%S")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def frame_message(jpeg: bytes, now: datetime, zone: tzinfo) -> Message:
    """A `frame` update."""
    return {"type": "frame", "data": _b64(jpeg), "timestamp": timestamp(now, zone)}


def stats_message(stats: CounterStats, now: datetime, zone: tzinfo) -> Message:
    """A `stats` update."""
    data = {
        "count_in": stats.count_in,
        "count_out": stats.count_out,
        "face_count": stats.face_count,
        "daily_event_count": stats.daily_event_count,
        "event_active": stats.event_active,
        "current_event_count_in": stats.current_event_count_in,
    }
    return {"type": "stats", "data": data, "timestamp": timestamp(now, zone)}


def event_message(change: EventChange, now: datetime, zone: tzinfo) -> Message:
    """An `event` notification, started or ended."""
    data: dict[str, Any] = {
        "status": change.status.value,
        "start_time": clock_time(change.start, zone),
    }
    if change.status is EventStatus.ENDED:
        assert change.end is not None
        data["end_time"] = clock_time(change.end, zone)
        data["count_in"] = change.count_in
    return {"type": "event", "data": data, "timestamp": timestamp(now, zone)}


def face_image_message(face: FaceCropImage) -> Message:
    """The answer to `get_face` when the face was found."""
    return {
        "type": "face_image",
        "face_id": face.record.face_id,
        "image_data": _b64(face.jpeg),
        "filename": face.record.filename,
    }


def face_image_error(face_id: int, error: str) -> Message:
    """The answer to `get_face` when it could not be served."""
    return {"type": "face_image", "face_id": face_id, "error": error}


def all_faces_message(faces: Sequence[FaceCropImage]) -> Message:
    """The answer to `get_all_faces`: faces as given (newest first)."""
    entries = [
        {"face_id": f.record.face_id, "filename": f.record.filename, "image_data": _b64(f.jpeg)}
        for f in faces
    ]
    return {"type": "all_faces", "faces": entries}


def all_faces_error(error: str = FACES_NOT_AVAILABLE) -> Message:
    """The answer to `get_all_faces` when faces cannot be listed."""
    return {"type": "all_faces", "error": error}


def error_message(error: str) -> Message:
    """The general error for a bad request."""
    return {"error": error}
