"""The figures of one /metrics broadcast, from /proc, the vision thread and the loop stats.

sys*: the whole worker process. cap*: the vision thread (the detection "process" of the
document runs as a thread here): its CPU time, and the frame and average it holds.
"""

from __future__ import annotations

from camrelay.workers.alarm.status import LoopStats, MetricsSnapshot
from camrelay.workers.alarm.vision import MotionVision
from camrelay.workers.common.proc_stats import (
    CpuMeter,
    percent_of_memory,
    resident_bytes,
    tcp_connections,
)


class MetricsSampler:
    """Takes one MetricsSnapshot per call; CPU figures cover the time since the last call."""

    def __init__(self, vision: MotionVision, loop_stats: LoopStats) -> None:
        self._vision = vision
        self._loop_stats = loop_stats
        self._process_cpu = CpuMeter()
        self._vision_cpu = CpuMeter(lambda: vision.cpu_seconds)

    def sample(self, now: float) -> MetricsSnapshot:
        """The metrics as of now; the loop figures cover the frames since the last call."""
        loop = self._loop_stats.take()
        return MetricsSnapshot(
            time_stamp=now,
            sys_cpu_percent=round(self._process_cpu.percent(), 2),
            sys_mem_percent=percent_of_memory(resident_bytes()),
            cap_cpu_percent=round(self._vision_cpu.percent(), 2),
            cap_mem_percent=percent_of_memory(self._vision.held_bytes),
            socket_connections=tcp_connections(),
            loop_avg_s=loop.avg_s,
            loop_max_s=loop.max_s,
            loop_min_s=loop.min_s,
        )
