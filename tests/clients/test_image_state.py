"""The camera's state applied to real frames: each key moves the JPEG the way it says, 50 is
neutral, unknown keys and bad values are not applied."""

from __future__ import annotations

from typing import Any
from unittest import mock

import cv2
import numpy as np
import pytest

from camrelay.clients.image_state import IMAGE_KEYS, ImageState
from camrelay.clients.sources import SyntheticSource, encode_jpeg


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    """One frame of the synthetic camera at a fixed moment, with its circle and its bar in view:
    they move with the clock, and a frame of whatever moment the test ran at made the figures
    below vary from run to run."""
    with mock.patch("camrelay.clients.sources.time.monotonic", return_value=2.0):
        return SyntheticSource(320, 240).read()


def through_jpeg(
    scene: np.ndarray, quality: int = 90, scene_lamps: bool = True, **state: Any
) -> np.ndarray:
    """The scene with `state` applied (keys spelled with _ for -), JPEG-encoded and decoded."""
    image = ImageState(fps=10, jpeg_quality=quality)
    image.update({key.replace("_", "-"): value for key, value in state.items()})
    jpeg = encode_jpeg(image.apply(scene, scene=scene_lamps), image.jpeg_quality)
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    return decoded


def mean(image: np.ndarray, channel: int | None = None) -> float:
    return float(image.mean() if channel is None else image[:, :, channel].mean())


def chroma(image: np.ndarray) -> float:
    """How far the colours are from grey."""
    return float(cv2.cvtColor(image, cv2.COLOR_BGR2HSV)[:, :, 1].mean())


def detail(image: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def test_fifty_is_neutral(scene: np.ndarray) -> None:
    neutral = through_jpeg(scene, **{key.replace("-", "_"): 50 for key in IMAGE_KEYS})
    assert abs(mean(neutral) - mean(through_jpeg(scene))) < 0.5


def test_each_image_key_moves_the_frame_its_way(scene: np.ndarray) -> None:
    neutral = through_jpeg(scene)
    assert mean(through_jpeg(scene, brightness=90)) > mean(neutral) + 50
    assert mean(through_jpeg(scene, brightness=10)) < mean(neutral) - 50
    assert mean(through_jpeg(scene, gain=100)) > mean(neutral) * 1.5
    assert np.std(through_jpeg(scene, contrast=90)) > np.std(neutral) * 1.3  # clipped below 0
    assert np.std(through_jpeg(scene, contrast=10)) < np.std(neutral) / 2
    assert chroma(through_jpeg(scene, saturation=0)) < 3
    assert chroma(through_jpeg(scene, saturation=100)) > chroma(neutral) + 3  # mostly grey scene
    assert detail(through_jpeg(scene, sharpness=100)) > detail(neutral) * 1.5
    assert detail(through_jpeg(scene, sharpness=0)) < detail(neutral) / 1.5
    blue, red = 0, 2
    redder = through_jpeg(scene, red_gain=90)
    assert mean(redder, red) > mean(neutral, red) + 20
    assert abs(mean(redder, blue) - mean(neutral, blue)) < 1
    bluer = through_jpeg(scene, blue_gain=90)
    assert mean(bluer, blue) > mean(neutral, blue) + 20


def test_lights_lift_the_frame_and_are_drawn_in_the_scene(scene: np.ndarray) -> None:
    dark = through_jpeg(scene, scene_lamps=False)
    lit_file = through_jpeg(scene, scene_lamps=False, cam1_light=True)
    assert mean(lit_file) > mean(dark) + 20  # a file or webcam: a lift only
    lit_scene = through_jpeg(scene, cam1_light=True, cam2_light=True)
    h, w = scene.shape[:2]
    corner = lit_scene[: h // 4, w // 2 :]
    assert (
        mean(corner)
        > mean(
            through_jpeg(scene, scene_lamps=False, cam1_light=True, cam2_light=True)[
                : h // 4, w // 2 :
            ]
        )
        + 10
    )


def test_resolution_quality_and_fps(scene: np.ndarray) -> None:
    image = ImageState(fps=10, jpeg_quality=80)
    applied = image.update({"resolution": "640x480", "fps": 30, "jpeg-quality": 20})
    assert applied == {"resolution": "640x480", "fps": 30, "jpeg-quality": 20}
    assert image.apply(scene).shape == (480, 640, 3)
    assert (image.fps, image.jpeg_quality) == (30.0, 20)
    small = len(encode_jpeg(image.apply(scene), image.jpeg_quality))
    assert small < len(encode_jpeg(image.apply(scene), 95))


def test_unknown_keys_are_ignored_and_bad_values_keep_the_current_one() -> None:
    image = ImageState(fps=10, jpeg_quality=80)
    assert image.update({"brightness": 70, "pip-mode": "pip", "nonsense": 1}) == {"brightness": 70}
    applied = image.update(
        {
            "brightness": 101,
            "contrast": True,
            "fps": 61,
            "cam1-light": 1,
            "resolution": "800x600",
            "gain": "50",
        }
    )
    assert applied == {
        "brightness": 70,
        "contrast": 50,
        "fps": 10,
        "cam1-light": False,
        "gain": 50,
    }  # the unknown resolution is not reported: none was applied yet
    assert image.update(["brightness", 1]) == {}
    assert image.update({"fps": 5, "brightness": 0}) == {"fps": 5, "brightness": 0}
