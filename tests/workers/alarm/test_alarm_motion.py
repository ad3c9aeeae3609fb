"""The motion pipeline on synthetic frames: still, moving, lights switching, sizes, decoding."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from camrelay.workers.alarm.changed_pixels import (
    FrameDecodeError,
    MotionDetector,
    MotionResult,
    decode_jpeg,
    in_movement_range,
    scale_to_width,
    to_grey,
)
from camrelay.workers.alarm.config import AlarmConfig, ProcessingSettings, apply_update

DEFAULTS = ProcessingSettings()


def background(height: int = 480, width: int = 640, seed: int = 7) -> np.ndarray:
    """A textured grey scene, like a floor or a wall."""
    rng = np.random.default_rng(seed)
    return cv2.GaussianBlur(rng.integers(60, 200, (height, width), dtype=np.uint8), (9, 9), 0)


def with_block(scene: np.ndarray, x: int) -> np.ndarray:
    """The scene with a dark 40x80 block (a person, roughly) at column x."""
    frame = scene.copy()
    frame[200:280, x : x + 40] = 20
    return frame


def settings(**changes: object) -> ProcessingSettings:
    return apply_update(AlarmConfig(), {"processing": changes}).processing


def test_first_frame_counts_zero() -> None:
    assert MotionDetector(DEFAULTS).update(background()) == MotionResult(0, False)


def test_still_scene_counts_zero_and_is_not_movement() -> None:
    detector, scene = MotionDetector(DEFAULTS), background()
    assert [detector.update(scene) for _ in range(5)] == [MotionResult(0, False)] * 5


def test_sensor_noise_stays_below_the_threshold() -> None:
    detector, scene = MotionDetector(DEFAULTS), background()
    rng = np.random.default_rng(1)
    detector.update(scene)
    for _ in range(10):
        noisy = np.clip(scene + rng.normal(0, 4, scene.shape), 0, 255).astype(np.uint8)
        assert detector.update(noisy).changed_pixels == 0


def test_moving_block_is_movement() -> None:
    detector, scene = MotionDetector(DEFAULTS), background()
    detector.update(scene)
    results = [detector.update(with_block(scene, 100 + 16 * i)) for i in range(8)]
    counts = [r.changed_pixels for r in results]
    # At least the block's own 40x80 pixels change at first; never a global change.
    assert all(3200 <= count <= DEFAULTS.pixel_threshold_hi for count in counts), counts
    assert all(r.in_range for r in results)


def test_lights_switching_is_rejected_above_the_high_threshold() -> None:
    detector, scene = MotionDetector(DEFAULTS), background()
    detector.update(scene)
    brighter = cv2.add(scene, 60)
    results = [detector.update(brighter if i % 2 == 0 else scene) for i in range(6)]
    # Every pixel of the 640x480 frame changes.
    assert results == [MotionResult(640 * 480, False)] * 6


def test_colour_and_grey_frames_count_the_same() -> None:
    grey_detector, colour_detector = MotionDetector(DEFAULTS), MotionDetector(DEFAULTS)
    scene = background()
    for x in (0, 100, 116, 132):
        grey = with_block(scene, x) if x else scene
        colour = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
        assert grey_detector.update(grey) == colour_detector.update(colour)


def test_dilation_grows_the_count() -> None:
    plain, dilated = MotionDetector(DEFAULTS), MotionDetector(settings(dilation_iterations=2))
    scene = background()
    plain.update(scene)
    dilated.update(scene)
    frame = with_block(scene, 100)
    assert dilated.update(frame).changed_pixels > plain.update(frame).changed_pixels


def test_large_frames_are_processed_at_640_wide() -> None:
    detector, scene = MotionDetector(DEFAULTS), background(960, 1280)
    detector.update(scene)
    flash = detector.update(cv2.add(scene, 80))
    assert flash.changed_pixels == 640 * 480


def test_resolution_change_starts_a_new_average() -> None:
    detector = MotionDetector(DEFAULTS)
    detector.update(background())
    assert detector.update(background(360, 640, seed=3)) == MotionResult(0, False)


def test_reset_forgets_the_scene() -> None:
    detector = MotionDetector(DEFAULTS)
    detector.update(background(seed=1))
    detector.reset()
    assert detector.update(background(seed=2)) == MotionResult(0, False)


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((720, 1280), (360, 640)),
        ((480, 640), (480, 640)),
        ((100, 1000), (64, 640)),
        ((240, 320), (480, 640)),
        ((1080, 1920, 3), (360, 640, 3)),
    ],
)
def test_scaling_keeps_the_aspect_ratio(shape: tuple[int, ...], expected: tuple[int, ...]) -> None:
    assert scale_to_width(np.zeros(shape, np.uint8)).shape == expected


def test_to_grey_accepts_grey_bgr_and_bgra() -> None:
    bgr = np.full((4, 4, 3), (255, 0, 0), np.uint8)
    assert to_grey(bgr).shape == (4, 4)
    assert to_grey(cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)).shape == (4, 4)
    assert to_grey(np.zeros((4, 4, 1), np.uint8)).shape == (4, 4)
    with pytest.raises(ValueError, match="grey, BGR or BGRA"):
        to_grey(np.zeros((4, 4, 2), np.uint8))


def test_decode_jpeg_gives_a_grey_frame() -> None:
    colour = cv2.cvtColor(background(), cv2.COLOR_GRAY2BGR)
    ok, jpeg = cv2.imencode(".jpg", colour)
    assert ok
    frame = decode_jpeg(jpeg.tobytes())
    assert frame.shape == (480, 640)
    assert float(np.abs(frame.astype(int) - background().astype(int)).mean()) < 3


def test_decode_jpeg_refuses_garbage() -> None:
    with pytest.raises(FrameDecodeError, match="not a decodable image"):
        decode_jpeg(b"\xff\xd8 not really a jpeg")


@pytest.mark.parametrize(
    ("count", "lo", "hi", "expected"),
    [
        (0, 0, 10000, False),
        (1, 0, 10000, True),
        (10000, 0, 10000, True),
        (10001, 0, 10000, False),
        (49, 50, 100, False),
        (50, 50, 100, True),
    ],
)
def test_movement_range_is_inclusive_and_never_zero(
    count: int, lo: int, hi: int, expected: bool
) -> None:
    limits = settings(pixel_threshold_lo=lo, pixel_threshold_hi=hi)
    assert in_movement_range(count, limits) is expected
