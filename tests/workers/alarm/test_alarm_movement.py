"""Movement seconds and the sustained-movement rule, checked against a literal reading."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from camrelay.workers.alarm.movement_history import MovementHistory, second_of
from camrelay.workers.alarm.status import LoopStats, LoopTimes, MetricsSnapshot


def literal_rule(moving: set[int], now: int, alert_time_s: int, min_movement_s: int) -> bool:
    """CONTRACT §2 word for word: every min_movement_s window of the last alert_time_s
    ended seconds holds a movement second."""
    seconds = range(now - alert_time_s, now)
    windows = [seconds[i : i + min_movement_s] for i in range(len(seconds) - min_movement_s + 1)]
    return all(any(s in moving for s in window) for window in windows)


@given(
    moving=st.sets(st.integers(0, 60)),
    alert_time_s=st.integers(1, 20),
    min_movement_s=st.integers(1, 20),
    now=st.integers(0, 70),
)
def test_sustained_matches_the_literal_rule(
    moving: set[int], alert_time_s: int, min_movement_s: int, now: int
) -> None:
    min_movement_s = min(min_movement_s, alert_time_s)
    history = MovementHistory(alert_time_s, min_movement_s)
    for second in sorted(moving):
        history.record(second + 0.25)
    assert history.sustained(now + 0.5) is literal_rule(moving, now, alert_time_s, min_movement_s)


def test_late_frames_still_count() -> None:
    history = MovementHistory(3, 1)
    for second in (10, 12, 11):
        history.record(second + 0.5)
    assert history.sustained(13.0)


def test_second_of_floors() -> None:
    assert [second_of(t) for t in (1.0, 1.999, -0.5)] == [1, 1, -1]


def test_loop_stats_per_period() -> None:
    stats = LoopStats()
    assert stats.take() == LoopTimes(0.0, 0.0, 0.0)
    for seconds in (0.004, 0.002, 0.006):
        stats.add(seconds)
    assert stats.take() == LoopTimes(0.004, 0.006, 0.002)
    stats.add(0.01)
    assert stats.take() == LoopTimes(0.01, 0.01, 0.01)


def test_metrics_message_has_the_documents_fields() -> None:
    snapshot = MetricsSnapshot(1635298375.525463, 7.7, 1.27, 11.7, 0.76, 4, 0.0046, 0.0074, 0.0036)
    assert snapshot.as_message() == {
        "timeStamp": 1635298375.525463,
        "sysCpuPercent": 7.7,
        "sysMemPercent": 1.27,
        "capCpuPercent": 11.7,
        "capMemPercent": 0.76,
        "socketConnections": 4,
        "loopAvgS": 0.0046,
        "loopMaxS": 0.0074,
        "loopMinS": 0.0036,
    }
