"""What the benchmark reads about the server process from outside: CPU time and memory from
/proc (its counters come from /metrics through tests/support/metrics.py)."""

from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
# After many sockets close, the server collects and gives their memory back within its
# memory_trim interval (2 s): a full collection and malloc_trim, tens of ms of its loop. A
# bench waits this long before its next timed row, so that row does not carry the last one's.
SETTLE_S = 3.0


async def settled() -> None:
    """Wait until the server has trimmed after the last row's sockets closed."""
    await asyncio.sleep(SETTLE_S)


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of the process, in seconds."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / TICKS


def on_cpu_seconds(pids: list[int]) -> float:
    """Time the processes' threads spent on a CPU, to the nanosecond (schedstat), in seconds:
    fine enough for the few milliseconds of one broadcast, where utime + stime count ticks."""
    total = 0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass  # a thread that ended meanwhile
    return total / 1e9


@dataclass
class CpuSplit:
    """CPU the server and the bench's client processes spent between start() and stop(),
    to tell the relay's share of a latency from its clients' on a machine they share."""

    server_pid: int
    client_pids: list[int]
    server_s: float = 0.0
    clients_s: float = 0.0

    def start(self) -> None:
        self.server_s = on_cpu_seconds([self.server_pid])
        self.clients_s = on_cpu_seconds(self.client_pids)

    def stop(self) -> None:
        self.server_s = on_cpu_seconds([self.server_pid]) - self.server_s
        self.clients_s = on_cpu_seconds(self.client_pids) - self.clients_s


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine spent busy since boot (from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    return (sum(values[:8]) - idle) / TICKS


def reset_peak_rss(pid: int) -> None:
    """Start VmHWM afresh at the current RSS (so the peak is this run's, not the logins')."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def memory_mib(pid: int) -> tuple[float, float]:
    """(current VmRSS, peak VmHWM) of the process in MiB."""
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    fields = dict(line.split(":", 1) for line in lines)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


@dataclass
class CpuWindow:
    """CPU time of the server and of this process between start() and stop()."""

    pid: int
    server_start: float = 0.0
    self_start: float = 0.0
    busy_start: float = 0.0
    wall_start: float = 0.0
    server_share: float = 0.0  # fraction of one core
    self_share: float = 0.0
    other_share: float = 0.0  # the rest of the machine: other processes, kernel threads
    wall: float = 0.0

    def start(self) -> None:
        self.server_start = cpu_seconds(self.pid)
        self.self_start = _self_cpu()
        self.busy_start = machine_busy_seconds()
        self.wall_start = _wall()

    def stop(self) -> None:
        self.wall = max(_wall() - self.wall_start, 1e-9)
        self.server_share = (cpu_seconds(self.pid) - self.server_start) / self.wall
        self.self_share = (_self_cpu() - self.self_start) / self.wall
        busy = (machine_busy_seconds() - self.busy_start) / self.wall
        self.other_share = max(0.0, busy - self.server_share - self.self_share)


def _self_cpu() -> float:
    times = os.times()
    return times.user + times.system


def _wall() -> float:
    return time.monotonic()
