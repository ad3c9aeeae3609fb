"""The camera's state (CONTRACT §5) as `camrelay push` applies it to the frames it sends.

Mapping of the 0-100 image keys, 50 neutral everywhere:
- brightness: adds (v - 50) * 2.55 to every channel (-127 .. +127).
- contrast: scales around mid-grey by 2 ** ((v - 50) / 25) (x0.25 .. x4).
- gain: multiplies every channel by 2 ** ((v - 50) / 50) (x0.5 .. x2), like sensor gain.
- red-gain, blue-gain: the same, on the red or the blue channel only.
- saturation: scales the colour away from grey by v / 50 (0 is greyscale, 100 doubles it).
- sharpness: above 50 an unsharp mask of strength (v - 50) / 25; below, a blend towards a
  blurred frame of (50 - v) / 50.
- cam1-light, cam2-light: each lit light lifts the frame by 25 levels and, in the synthetic
  scene, is drawn as a lit lamp in the top-right corner.
`resolution` resizes the frames, `fps` and `jpeg-quality` set the pace and the JPEG encoder.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

IMAGE_KEYS = ("brightness", "contrast", "saturation", "sharpness", "gain", "red-gain", "blue-gain")
LIGHTS = ("cam1-light", "cam2-light")
RESOLUTIONS = {
    "1920x1080": (1920, 1080),
    "1280x720": (1280, 720),
    "640x480": (640, 480),
    "320x240": (320, 240),
}
NEUTRAL = 50
LIGHT_LIFT = 25.0
MIN_FPS, MAX_FPS = 5, 60


def _level(value: Any, low: int, high: int) -> int | None:
    """An integer within [low, high] (not a boolean), else None."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return None
    return value


@dataclass(frozen=True)
class _Look:
    """What is drawn into each frame, computed once per change (read by the capture thread)."""

    luts: np.ndarray | None  # 256x1x3 lookup table (B, G, R), None when neutral
    saturation: float
    sharpen: float
    lamps: tuple[bool, bool]
    size: tuple[int, int] | None


class ImageState:
    """The values the camera applies; `update` takes a state message, `apply` a frame."""

    def __init__(self, fps: float, jpeg_quality: int) -> None:
        self.values: dict[str, Any] = {key: NEUTRAL for key in IMAGE_KEYS}
        self.values.update({light: False for light in LIGHTS})
        self.values["fps"] = int(round(fps))
        self.values["jpeg-quality"] = jpeg_quality
        self.fps = fps
        self.jpeg_quality = jpeg_quality
        self._look = self._compute()

    def update(self, params: Any) -> dict[str, Any]:
        """Apply the keys it knows from a state message; return their values now in effect
        (a known key with a bad value keeps and reports its current value)."""
        if not isinstance(params, dict):
            return {}
        applied: dict[str, Any] = {}
        for key, value in params.items():
            if key in self.values or key == "resolution":
                accepted = self._accept(key, value)
                if accepted is not None:
                    self.values[key] = accepted
                if key in self.values:
                    applied[key] = self.values[key]
        if "fps" in applied:
            self.fps = float(self.values["fps"])
        self.jpeg_quality = int(self.values["jpeg-quality"])
        self._look = self._compute()
        return applied

    @staticmethod
    def _accept(key: str, value: Any) -> Any:
        """The value to apply, or None when it is not one the key takes."""
        if key in LIGHTS:
            return value if isinstance(value, bool) else None
        if key == "resolution":
            return value if isinstance(value, str) and value in RESOLUTIONS else None
        if key == "fps":
            return _level(value, MIN_FPS, MAX_FPS)
        return _level(value, 0, 100)  # the image keys and jpeg-quality

    def _compute(self) -> _Look:
        v = self.values
        lamps = (bool(v["cam1-light"]), bool(v["cam2-light"]))
        offset = (v["brightness"] - NEUTRAL) * 2.55 + LIGHT_LIFT * sum(lamps)
        contrast = 2.0 ** ((v["contrast"] - NEUTRAL) / 25)
        gain = 2.0 ** ((v["gain"] - NEUTRAL) / 50)
        channel_gain = (
            2.0 ** ((v["blue-gain"] - NEUTRAL) / 50),
            1.0,
            2.0 ** ((v["red-gain"] - NEUTRAL) / 50),
        )
        luts: np.ndarray | None = None
        if (offset, contrast, gain, channel_gain) != (0.0, 1.0, 1.0, (1.0, 1.0, 1.0)):
            x = np.arange(256, dtype=np.float32)
            base = ((x - 128.0) * contrast + 128.0) * gain
            columns = [np.clip(base * g + offset, 0, 255) for g in channel_gain]
            luts = np.dstack(columns).astype(np.uint8).reshape(256, 1, 3)
        sharpness = v["sharpness"] - NEUTRAL
        sharpen = sharpness / 25 if sharpness >= 0 else sharpness / 50
        resolution = v.get("resolution")
        size = RESOLUTIONS.get(resolution) if isinstance(resolution, str) else None
        return _Look(luts, v["saturation"] / NEUTRAL, sharpen, lamps, size)

    def apply(self, frame: np.ndarray, scene: bool = False) -> np.ndarray:
        """The frame as the state says; `scene`: a synthetic scene, where lamps are drawn."""
        look = self._look  # one consistent look even if a message changes it meanwhile
        if look.size is not None and (frame.shape[1], frame.shape[0]) != look.size:
            frame = cv2.resize(frame, look.size, interpolation=cv2.INTER_AREA)
        if scene and any(look.lamps):
            frame = _draw_lamps(frame, look.lamps)
        if look.sharpen:
            blurred = cv2.GaussianBlur(frame, (0, 0), 2.0)
            frame = cv2.addWeighted(frame, 1 + look.sharpen, blurred, -look.sharpen, 0)
        if look.saturation != 1.0:
            grey = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
            frame = cv2.addWeighted(frame, look.saturation, grey, 1 - look.saturation, 0)
        if look.luts is not None:
            frame = cv2.LUT(frame, look.luts)
        return frame


def _draw_lamps(frame: np.ndarray, lamps: tuple[bool, bool]) -> np.ndarray:
    """Lit lamps in the top-right corner: a warm glow, a bulb and its base."""
    frame = frame.copy()
    h, w = frame.shape[:2]
    r = max(6, h // 16)
    for i, lit in enumerate(lamps):
        if not lit:
            continue
        cx, cy = w - (2 * i + 1) * 3 * r, 3 * r
        glow = frame.copy()
        cv2.circle(glow, (cx, cy), 2 * r, (120, 230, 255), -1, cv2.LINE_AA)
        frame = cv2.addWeighted(glow, 0.4, frame, 0.6, 0)
        cv2.circle(frame, (cx, cy), r, (200, 255, 255), -1, cv2.LINE_AA)
        cv2.rectangle(frame, (cx - r // 2, cy + r), (cx + r // 2, cy + 2 * r), (90, 90, 90), -1)
    return frame
