"""Faces inside person boxes (OpenCV's bundled frontal-face cascade), kept as numbered JPEGs.

Files are `face_<id>.jpg` with ids that only grow, also across restarts (the next id follows
the largest file present). A file's modification time is set to its save time, so "newest
first by save time" needs no index besides the directory itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np

from camrelay.workers.counter.config import FaceSettings
from camrelay.workers.counter.geometry import Box

_NAME = re.compile(r"^face_(\d+)\.jpg$")
CASCADE_FILE = "haarcascade_frontalface_default.xml"


class UnknownFaceCrop(LookupError):
    """No face was ever saved under this id."""


class MissingFaceCropFile(LookupError):
    """The face id was given out but its file is gone or unreadable."""


@dataclass(frozen=True, slots=True)
class FaceCrop:
    """One saved face: id, file name, save time."""

    face_id: int
    filename: str
    saved_at: datetime


@dataclass(frozen=True, slots=True)
class FaceCropImage:
    """A saved face with its JPEG bytes."""

    record: FaceCrop
    jpeg: bytes


class FaceCropFinder:
    """Finds frontal faces in the upper part of each person box."""

    def __init__(self, settings: FaceSettings | None = None) -> None:
        self._settings = settings or FaceSettings()
        path = os.path.join(cv2.data.haarcascades, CASCADE_FILE)  # type: ignore[attr-defined]
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise RuntimeError(f"cannot load the face cascade {path}")

    def find(self, frame: np.ndarray, people: Iterable[Box]) -> list[tuple[Box, Box]]:
        """(person box, face box) pairs, face boxes in frame pixels; at most one per person."""
        grey = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        height, width = grey.shape[:2]
        found = []
        for person in people:
            face = self._find_in(grey, person.clipped(width, height))
            if face is not None:
                found.append((person, face))
        return found

    def _find_in(self, grey: np.ndarray, person: Box) -> Box | None:
        """The largest face in the searched part of one person box."""
        s = self._settings
        x0, y0 = int(person.x0), int(person.y0)
        x1, y1 = int(person.x1), int(y0 + person.height * s.upper_fraction)
        if x1 - x0 < s.min_size or y1 - y0 < s.min_size:
            return None
        faces = self._cascade.detectMultiScale(
            grey[y0:y1, x0:x1], s.scale_factor, s.min_neighbors, minSize=(s.min_size, s.min_size)
        )
        if len(faces) == 0:
            return None
        fx, fy, fw, fh = max(faces, key=lambda f: int(f[2]) * int(f[3]))
        return Box(float(x0 + fx), float(y0 + fy), float(x0 + fx + fw), float(y0 + fy + fh))


def crop(frame: np.ndarray, box: Box, pad: float = 0.2) -> np.ndarray:
    """The box grown by `pad` of its size on each side, cut from the frame (a copy)."""
    height, width = frame.shape[:2]
    grown = Box(
        box.x0 - box.width * pad,
        box.y0 - box.height * pad,
        box.x1 + box.width * pad,
        box.y1 + box.height * pad,
    ).clipped(width, height)
    return frame[int(grown.y0) : int(grown.y1), int(grown.x0) : int(grown.x1)].copy()


class FaceCropDirectory:
    """Numbered face JPEGs in one directory."""

    def __init__(self, directory: Path, jpeg_quality: int = 90) -> None:
        self._dir = directory
        self._quality = jpeg_quality
        directory.mkdir(parents=True, exist_ok=True)
        self._last_id = max((face_id for face_id, _ in self._files()), default=0)

    @property
    def last_id(self) -> int:
        """The largest id given out so far, 0 when none."""
        return self._last_id

    def save(self, image: np.ndarray, saved_at: datetime) -> FaceCrop:
        """Writes the image as the next face id; the file appears whole or not at all."""
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, self._quality])
        if not ok:
            raise ValueError("the face image could not be encoded as JPEG")
        face_id = self._last_id + 1
        name = f"face_{face_id}.jpg"
        partial = self._dir / f".{name}.part"
        partial.write_bytes(encoded.tobytes())
        stamp = saved_at.timestamp()
        os.utime(partial, (stamp, stamp))
        os.replace(partial, self._dir / name)
        self._last_id = face_id
        return FaceCrop(face_id, name, saved_at)

    def get(self, face_id: int) -> FaceCropImage:
        """One face by id; UnknownFaceCrop or MissingFaceCropFile when it cannot be had."""
        if not 1 <= face_id <= self._last_id:
            raise UnknownFaceCrop(face_id)
        path = self._dir / f"face_{face_id}.jpg"
        try:
            return FaceCropImage(self._record(face_id, path), path.read_bytes())
        except OSError as exc:
            raise MissingFaceCropFile(face_id) from exc

    def recent(self, limit: int) -> list[FaceCropImage]:
        """Up to `limit` faces, newest save time first (larger id first on a tie)."""
        records = [self._record(i, p) for i, p in self._files()]
        records.sort(key=lambda r: (r.saved_at, r.face_id), reverse=True)
        faces = []
        for record in records[: max(0, limit)]:
            try:
                faces.append(FaceCropImage(record, (self._dir / record.filename).read_bytes()))
            except OSError:
                continue  # deleted since listing: leave it out rather than fail the list
        return faces

    def _files(self) -> Sequence[tuple[int, Path]]:
        """(id, path) of every face file present."""
        found = []
        for path in self._dir.iterdir():
            match = _NAME.match(path.name)
            if match:
                found.append((int(match.group(1)), path))
        return found

    @staticmethod
    def _record(face_id: int, path: Path) -> FaceCrop:
        """The record of a face file, its save time read from the modification time."""
        saved_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        return FaceCrop(face_id, path.name, saved_at)


class FaceCropPerTrack:
    """Remembers which tracks already gave a face, so each person is saved once."""

    def __init__(self) -> None:
        self._done: set[int] = set()

    def wants(self, track_id: int) -> bool:
        """True while this track has no saved face."""
        return track_id not in self._done

    def mark(self, track_id: int, live: Iterable[int] = ()) -> None:
        """Notes a saved face; forgets tracks that are no longer live when given."""
        keep = set(live)
        if keep:
            self._done &= keep
        self._done.add(track_id)
