"""CPU, memory and TCP connections of this process, read from /proc (Linux; no psutil).

Each figure degrades to 0 where /proc is missing, so metrics never stop a worker.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

_PROC = Path("/proc")
_TCP_ESTABLISHED = "01"


def cpu_seconds() -> float:
    """User + system CPU time this process has used."""
    times = os.times()
    return times.user + times.system


def memory_total_bytes() -> int:
    """Physical memory of the machine (MemTotal), 0 when unknown."""
    try:
        for line in (_PROC / "meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def resident_bytes() -> int:
    """Resident memory of this process (VmRSS), 0 when unknown."""
    try:
        for line in (_PROC / "self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def percent_of_memory(size_bytes: int) -> float:
    """size_bytes as a percentage of the machine's memory."""
    total = memory_total_bytes()
    return 100.0 * size_bytes / total if total else 0.0


def tcp_connections() -> int:
    """Established TCP connections (IPv4 and IPv6) whose sockets this process holds."""
    inodes = _socket_inodes()
    count = 0
    for table in ("net/tcp", "net/tcp6"):
        try:
            lines = (_PROC / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == _TCP_ESTABLISHED and fields[9] in inodes:
                count += 1
    return count


def _socket_inodes() -> set[str]:
    """Inode numbers of the sockets among this process's file descriptors."""
    inodes: set[str] = set()
    try:
        entries = list((_PROC / "self/fd").iterdir())
    except OSError:
        return inodes
    for entry in entries:
        try:
            target = os.readlink(entry)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


class CpuMeter:
    """CPU use as a percentage of one core between two readings of a seconds counter."""

    def __init__(self, read_cpu_s: Callable[[], float] = cpu_seconds) -> None:
        self._read = read_cpu_s
        self._last_cpu = read_cpu_s()
        self._last_wall = time.monotonic()

    def percent(self) -> float:
        """CPU used since the previous call over wall time elapsed, in percent."""
        cpu, wall = self._read(), time.monotonic()
        elapsed = wall - self._last_wall
        used = cpu - self._last_cpu
        self._last_cpu, self._last_wall = cpu, wall
        return 100.0 * used / elapsed if elapsed > 0 else 0.0
