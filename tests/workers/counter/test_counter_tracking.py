"""Tracker and line crossing on synthetic tracks: in, out, loitering, lost and found, pairs."""

from __future__ import annotations

from collections.abc import Iterable

from camrelay.workers.counter.config import InDirection, LineSettings, TrackerSettings
from camrelay.workers.counter.geometry import Box, Detection
from camrelay.workers.counter.line import CountingLine, Crossing, Direction, LineCounter
from camrelay.workers.counter.tracker import Tracker

W, H = 1000, 500  # the default line is at x = 800, dead band 15 px either side


def person(cx: float, cy: float) -> Detection:
    return Detection(Box(cx - 20, cy - 50, cx + 20, cy + 50), 0.9)


def run(frames: Iterable[list[Detection]], line: LineSettings | None = None) -> list[Crossing]:
    tracker = Tracker(TrackerSettings())
    counter = LineCounter(CountingLine.for_frame(line or LineSettings(), W, H))
    crossings: list[Crossing] = []
    for detections in frames:
        crossings += counter.update(tracker.update(detections))
    return crossings


def walk(x0: float, x1: float, y: float, steps: int) -> list[list[Detection]]:
    return [[person(x0 + (x1 - x0) * i / (steps - 1), y)] for i in range(steps)]


def test_left_to_right_is_in() -> None:
    assert run(walk(700, 900, 200, 41)) == [Crossing(1, Direction.IN)]


def test_right_to_left_is_out() -> None:
    assert run(walk(900, 700, 200, 41)) == [Crossing(1, Direction.OUT)]


def test_direction_setting_flips_in_and_out() -> None:
    line = LineSettings(in_direction=InDirection.RIGHT_TO_LEFT)
    assert run(walk(700, 900, 200, 41), line) == [Crossing(1, Direction.OUT)]


def test_horizontal_line_top_to_bottom() -> None:
    line = LineSettings(orientation="horizontal", position=0.5, in_direction="top_to_bottom")
    frames = [[person(300, 150 + 10 * i)] for i in range(21)]
    assert run(frames, line) == [Crossing(1, Direction.IN)]


def test_loitering_on_the_line_counts_nothing() -> None:
    jitter = [790, 805, 812, 788, 800, 814, 786, 799] * 10
    assert run([[person(x, 200)] for x in jitter]) == []


def test_crossing_back_and_forth_counts_once() -> None:
    frames = walk(700, 900, 200, 21) + walk(900, 700, 200, 21) + walk(700, 900, 200, 21)
    assert run(frames) == [Crossing(1, Direction.IN)]


def test_stepping_onto_the_line_and_back_counts_nothing() -> None:
    frames = walk(700, 810, 200, 12) + walk(810, 700, 200, 12)
    assert run(frames) == []


def test_lost_and_found_keeps_identity_and_counts_once() -> None:
    frames = walk(700, 900, 200, 41)
    for i in range(18, 24):  # six frames without a detection, right at the line
        frames[i] = []
    assert run(frames) == [Crossing(1, Direction.IN)]


def test_track_ids_survive_a_gap() -> None:
    tracker = Tracker(TrackerSettings(max_missed=5))
    for x in range(100, 160, 5):
        tracker.update([person(x, 200)])
    for _ in range(4):
        views = tracker.update([])
    assert [v.track_id for v in views] == [1] and views[0].missed == 4
    views = tracker.update([person(180, 200)])
    assert [(v.track_id, v.missed) for v in views] == [(1, 0)]
    assert len(views[0].trail) == 13


def test_track_dropped_after_max_missed() -> None:
    tracker = Tracker(TrackerSettings(max_missed=2))
    tracker.update([person(100, 100)])
    for _ in range(3):
        views = tracker.update([])
    assert views == []
    assert [v.track_id for v in tracker.update([person(100, 100)])] == [2]


def test_two_people_crossing_together_count_twice() -> None:
    frames = [[person(700 + 5 * i, 150), person(700 + 5 * i, 300)] for i in range(41)]
    assert run(frames) == [Crossing(1, Direction.IN), Crossing(2, Direction.IN)]


def test_two_people_crossing_opposite_ways() -> None:
    frames = [[person(700 + 5 * i, 150), person(900 - 5 * i, 260)] for i in range(41)]
    assert sorted(run(frames), key=lambda c: c.track_id) == [
        Crossing(1, Direction.IN),
        Crossing(2, Direction.OUT),
    ]


def test_unconfirmed_flicker_is_not_counted() -> None:
    frames = [[person(780, 200)], [person(820, 200)]] + [[] for _ in range(20)]
    assert run(frames) == []


def test_track_view_is_confirmed_after_min_hits() -> None:
    tracker = Tracker(TrackerSettings(min_hits=3))
    flags = [tracker.update([person(100 + i, 100)])[0].confirmed for i in range(4)]
    assert flags == [False, False, True, True]
