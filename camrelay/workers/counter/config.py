"""Frozen pydantic settings for the people counter, with the defaults CONTRACT §3 decides.

Loaded as defaults, then a TOML file, then CAMRELAY_COUNTER_<SECTION>_<KEY> environment
variables (CAMRELAY_COUNTER_FEED_PORT=9000; top-level keys: CAMRELAY_COUNTER_DATABASE). The
COUNTER_ part keeps them apart from the server's CAMRELAY_<SECTION>_<KEY> variables. Loading
and error messages are the server's and the alarm's (camrelay/settings_loader.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from camrelay.settings_loader import FrozenSettings, SettingsError, load

__all__ = ["ENV_PREFIX", "CounterSettings", "SettingsError", "load_settings"]

ENV_PREFIX = "CAMRELAY_COUNTER_"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class InDirection(StrEnum):
    """Which way across the counting line counts as IN; the opposite way is OUT."""

    LEFT_TO_RIGHT = "left_to_right"
    RIGHT_TO_LEFT = "right_to_left"
    TOP_TO_BOTTOM = "top_to_bottom"
    BOTTOM_TO_TOP = "bottom_to_top"


class LineSettings(_Frozen):
    """Where the counting line lies and which crossing direction is IN."""

    orientation: Literal["vertical", "horizontal"] = "vertical"
    position: float = Field(
        default=0.8, gt=0.0, lt=1.0, description="fraction of width (or height)"
    )
    in_direction: InDirection = InDirection.LEFT_TO_RIGHT
    # A dead band either side of the line, as a fraction of the frame's width (or height):
    # a centroid inside it has no side, so someone standing on the line is never counted.
    margin: float = Field(default=0.015, ge=0.0, lt=0.5)

    @model_validator(mode="after")
    def _direction_fits_orientation(self) -> LineSettings:
        across = {InDirection.LEFT_TO_RIGHT, InDirection.RIGHT_TO_LEFT}
        if (self.in_direction in across) != (self.orientation == "vertical"):
            raise ValueError(
                f"in_direction {self.in_direction} does not cross a {self.orientation} line"
            )
        return self


class TrackerSettings(_Frozen):
    """How detections are tied into tracks across frames."""

    min_iou: float = Field(default=0.2, ge=0.0, le=1.0)
    max_distance: float = Field(default=0.75, gt=0.0, description="centroid gate, in box heights")
    max_missed: int = Field(default=12, ge=0, description="frames a track may go unseen")
    # Frames come at uneven intervals: the tracker predicts by time (tracker.py).
    max_unseen_s: float = Field(default=2.5, gt=0.0, description="then a track is dropped")
    max_speed: float = Field(default=2.0, gt=0.0, description="velocity cap, box heights/s")
    unknown_speed: float = Field(
        default=0.5, ge=0.0, description="gate growth of a track seen once, box heights/s"
    )
    min_hits: int = Field(default=3, ge=1, description="observations before a track is confirmed")
    trail_length: int = Field(default=48, ge=2)
    velocity_window_s: float = Field(default=1.0, gt=0.0, description="seconds of centres fit")


class EventSettings(_Frozen):
    """A high-traffic event: more than threshold_in INs in window; ends after quiet_hours."""

    threshold_in: int = Field(default=50, ge=0, description="N: an event needs more INs than this")
    window_s: float = Field(default=3600.0, gt=0.0, description="the rolling window, one hour")
    quiet_hours: float = Field(
        default=1.0, gt=0.0, description="M: hours at or below N that end it"
    )


class ResetSettings(_Frozen):
    """When the daily counters reset, as a wall-clock time in a named time zone."""

    at: time = time(0, 0)
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The time zone object."""
        return ZoneInfo(self.timezone)


class FeedSettings(_Frozen):
    """The WebSocket feed: where it listens, frame rate, JPEG quality and message rates."""

    # Faces are personal data: listen on this machine only unless told otherwise.
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=0, le=65535, description="0: any free port")
    frame_rate: float = Field(default=10.0, gt=0.0, le=30.0)
    jpeg_quality: int = Field(default=70, ge=1, le=100)
    stats_interval_s: float = Field(default=0.5, gt=0.0)
    default_face_limit: int = Field(default=50, ge=1)
    max_face_limit: int = Field(default=500, ge=1)


class DetectorSettings(_Frozen):
    """Which person detector runs, and its parameters."""

    kind: Literal["ssdlite", "hog"] = "ssdlite"
    # SSDLite takes ~0.2 s a frame on one core; walking people are counted right at 5/s.
    fps: float = Field(default=5.0, gt=0.0, le=30.0, description="analysed frames a second")
    min_score: float = Field(default=0.35, ge=0.0, le=1.0)
    nms_iou: float = Field(default=0.45, gt=0.0, le=1.0)
    # SSDLite sees 300x300 inputs; tiling a wide frame keeps people tall enough to be found.
    tile_columns: int = Field(default=3, ge=1, le=8)
    tile_rows: int = Field(default=2, ge=1, le=8)
    tile_overlap: float = Field(default=0.15, ge=0.0, lt=1.0)
    # Only people near the line are counted: 0 detects in the whole frame; b > 0 only within
    # b of the frame's width (or height) either side of the line, for speed (bench/counter.py:
    # 640x480, 0.25 and 1x2 tiles runs at ~11 frames/s on one core and counts right at 10/s,
    # but not at 5/s; boxes and faces away from the line are then not found).
    line_band: float = Field(default=0.0, ge=0.0, le=1.0)
    # 1: every analysed frame goes through every tile. n > 1: the tiles within line_reach
    # of the width (or height) either side of the line on every frame, each other tile once
    # every n frames in turn; tracks there coast meanwhile (bench/counter.py, 640x480, 3x2
    # tiles, one core: 16 gives ~11 analysed frames/s and counts right at 10/s and 5/s).
    # The price: people away from the line are searched 16 times less often, so a short
    # clip gives fewer faces (the e2e clip: 0 instead of 2 with 1); counting, the worker's
    # purpose, needs the speed: with every tile every frame one core analyses ~4 frames/s,
    # below the ~5 that fast walkers need to keep their tracks.
    full_every: int = Field(default=16, ge=1)
    line_reach: float = Field(default=0.1, ge=0.0, le=1.0)
    # SSDLite finds people with 6 feature layers, each for bigger people (anchors from 0.1
    # to 0.95 of the input's height). Only the first n are run: n = 1 finds people up to
    # about a third of a tile tall and skips a quarter of the network's work (on the sample
    # clip, layers 2-6 find nobody at 640x480 or 1280x720).
    predictor_layers: int = Field(default=6, ge=1, le=6)
    # SSDLite with full_every = 1: the whole frame as one input, stretched as each tile is to
    # 300x300 (so people keep the size the network was trained at), instead of one input a
    # tile: the overlaps are not searched twice and there are no tile edges (bench/counter.py,
    # 640x480: 784x522 instead of 6 x 300x300, ~25 % less CPU a frame, the same counts at
    # 10, 5 and 2.5 analysed frames/s).
    whole_frame: bool = False
    # What runs SSDLite's network: "openvino" (the openvino package, in the workers extra;
    # cv2.dnn with a warning when it is missing) or "opencv" (cv2.dnn). The same boxes;
    # OpenVINO takes 25-35 % less CPU a frame (bench/counter.py, detector.py).
    runtime: Literal["openvino", "opencv"] = "openvino"
    # OpenVINO's network: "f32", the wheel's graph as trained, or "int8", the model shipped in
    # the package, quantized by NNCF on the sample clip (bench/quantize_counter.py; float32
    # with a warning when its file is missing): with every frame searched whole (full_every 1,
    # whole_frame, predictor_layers 1) ~60 % of the CPU a frame for the same counts (bench/
    # counter.py: 72-78 vs 114-140 ms at 640x480); with the default tiling (full_every 16)
    # the same counts as f32 in 45-50 vs 71-86 ms since it was calibrated on tiles too; f32
    # stays the default until more footage than the one clip agrees. cv2.dnn always runs f32.
    precision: Literal["f32", "int8"] = "f32"
    # HOG's window is 64x128; frames are scaled to this width first.
    hog_width: int = Field(default=1280, ge=128)


class FaceSettings(_Frozen):
    """Faces cropped from people: cascade parameters and where the JPEGs go."""

    directory: Path = Path("faces")
    jpeg_quality: int = Field(default=90, ge=1, le=100)
    min_size: int = Field(default=24, ge=8, description="smallest face side in pixels")
    scale_factor: float = Field(default=1.1, gt=1.0)
    min_neighbors: int = Field(default=5, ge=1)
    upper_fraction: float = Field(
        default=0.5, gt=0.0, le=1.0, description="of a person box searched"
    )


class CounterSettings(FrozenSettings):
    """Every setting of the people counter."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX)

    line: LineSettings = LineSettings()
    tracker: TrackerSettings = TrackerSettings()
    events: EventSettings = EventSettings()
    reset: ResetSettings = ResetSettings()
    feed: FeedSettings = FeedSettings()
    detector: DetectorSettings = DetectorSettings()
    faces: FaceSettings = FaceSettings()
    database: Path = Path("counter.sqlite3")


def load_settings(
    path: Path | None = None, env: Mapping[str, str] | None = None
) -> CounterSettings:
    """Defaults, then the TOML file at `path`, then CAMRELAY_COUNTER_* variables in `env`."""
    return load(CounterSettings, path, env)
