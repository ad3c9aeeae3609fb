"""The status heartbeat and the metrics the feed broadcasts, with the document's field names."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class AlarmState(StrEnum):
    """The four states the heartbeat reports."""

    ON = "on"
    OFF = "off"
    ALARM = "alarm"
    SILENCED = "silenced"


@dataclass(frozen=True)
class AlarmStatus:
    """One status heartbeat."""

    time_stamp: int
    state: AlarmState
    initial_alarm: float
    silenced_till: float | None

    def as_message(self) -> dict[str, Any]:
        """The heartbeat as the document shows it, keys in its order."""
        return {
            "timeStamp": self.time_stamp,
            "state": self.state.value,
            "initialAlarm": self.initial_alarm,
            "silencedTill": self.silenced_till,
        }

    def same_state(self, other: AlarmStatus | None) -> bool:
        """Equal apart from the time stamp: a difference means "send at once"."""
        if other is None:
            return False
        return (self.state, self.initial_alarm, self.silenced_till) == (
            other.state,
            other.initial_alarm,
            other.silenced_till,
        )


@dataclass(frozen=True)
class MetricsSnapshot:
    """One /metrics broadcast."""

    time_stamp: float
    sys_cpu_percent: float
    sys_mem_percent: float
    cap_cpu_percent: float
    cap_mem_percent: float
    socket_connections: int
    loop_avg_s: float
    loop_max_s: float
    loop_min_s: float

    def as_message(self) -> dict[str, Any]:
        """The metrics as the document shows them, keys in its order."""
        return {
            "timeStamp": self.time_stamp,
            "sysCpuPercent": self.sys_cpu_percent,
            "sysMemPercent": self.sys_mem_percent,
            "capCpuPercent": self.cap_cpu_percent,
            "capMemPercent": self.cap_mem_percent,
            "socketConnections": self.socket_connections,
            "loopAvgS": self.loop_avg_s,
            "loopMaxS": self.loop_max_s,
            "loopMinS": self.loop_min_s,
        }


@dataclass(frozen=True)
class LoopTimes:
    """Average, maximum and minimum processing time of one frame over a period."""

    avg_s: float
    max_s: float
    min_s: float


class LoopStats:
    """Collects per-frame processing durations between two metrics broadcasts."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        """Start an empty period."""
        self._count = 0
        self._total = 0.0
        self._max = 0.0
        self._min = 0.0

    def add(self, seconds: float) -> None:
        """Record how long one frame took to process."""
        self._min = seconds if self._count == 0 else min(self._min, seconds)
        self._max = max(self._max, seconds)
        self._total += seconds
        self._count += 1

    def take(self) -> LoopTimes:
        """The period's figures (zeros when no frame was processed), then start a new one."""
        average = self._total / self._count if self._count else 0.0
        times = LoopTimes(average, self._max, self._min)
        self._reset()
        return times
