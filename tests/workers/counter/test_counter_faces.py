"""Faces saved as JPEGs with increasing ids, listed newest first, found inside person boxes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from camrelay.workers.counter.face_crops import (
    FaceCropDirectory,
    FaceCropFinder,
    FaceCropPerTrack,
    MissingFaceCropFile,
    UnknownFaceCrop,
    crop,
)
from camrelay.workers.counter.geometry import Box

T0 = datetime(2024, 5, 10, 8, 0, tzinfo=UTC)


def patch(shade: int) -> np.ndarray:
    image = np.full((40, 32, 3), shade, dtype=np.uint8)
    image[10:20, 8:24] = 255 - shade
    return image


def test_faces_are_valid_jpegs_with_increasing_ids(tmp_path: Path) -> None:
    faces = FaceCropDirectory(tmp_path)
    records = [faces.save(patch(40 * i), T0 + timedelta(seconds=i)) for i in range(3)]
    assert [(r.face_id, r.filename) for r in records] == [
        (1, "face_1.jpg"),
        (2, "face_2.jpg"),
        (3, "face_3.jpg"),
    ]
    for i, record in enumerate(records):
        data = faces.get(record.face_id).jpeg
        decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        assert decoded.shape == (40, 32, 3)
        assert abs(int(decoded[0, 0, 0]) - 40 * i) <= 3


def test_listed_newest_first_by_save_time(tmp_path: Path) -> None:
    faces = FaceCropDirectory(tmp_path)
    faces.save(patch(10), T0 + timedelta(seconds=5))
    faces.save(patch(20), T0 + timedelta(seconds=1))  # saved with an older clock reading
    faces.save(patch(30), T0 + timedelta(seconds=9))
    recent = faces.recent(50)
    assert [f.record.face_id for f in recent] == [3, 1, 2]
    assert [f.record.saved_at for f in recent][0] == T0 + timedelta(seconds=9)
    assert [f.record.face_id for f in faces.recent(2)] == [3, 1]


def test_ids_keep_growing_after_reopening(tmp_path: Path) -> None:
    FaceCropDirectory(tmp_path).save(patch(10), T0)
    FaceCropDirectory(tmp_path).save(patch(10), T0)
    assert FaceCropDirectory(tmp_path).save(patch(10), T0).face_id == 3


def test_unknown_id_and_missing_file_are_told_apart(tmp_path: Path) -> None:
    faces = FaceCropDirectory(tmp_path)
    faces.save(patch(10), T0)
    faces.save(patch(10), T0)
    (tmp_path / "face_1.jpg").unlink()
    with pytest.raises(UnknownFaceCrop):
        faces.get(7)
    with pytest.raises(MissingFaceCropFile):
        faces.get(1)
    assert [f.record.face_id for f in faces.recent(10)] == [2]


def test_one_face_per_track() -> None:
    per_track = FaceCropPerTrack()
    assert per_track.wants(4)
    per_track.mark(4)
    assert not per_track.wants(4) and per_track.wants(5)


def test_crop_is_padded_and_clipped() -> None:
    frame = np.zeros((100, 100, 3), np.uint8)
    assert crop(frame, Box(0, 0, 50, 50)).shape == (60, 60, 3)


def test_face_finder_looks_only_inside_person_boxes() -> None:
    finder = FaceCropFinder()
    frame = np.full((200, 200), 200, np.uint8)
    assert finder.find(frame, [Box(10, 10, 120, 190)]) == []
    assert finder.find(frame, [Box(0, 0, 10, 10)]) == []  # too small to hold a face
