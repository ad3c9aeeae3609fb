"""Admin sockets for the admin bench: the lean ones (bench/lean_receivers.py) or the official
socket.io-client in node processes (bench/js/admin_receivers.mjs), as admin pages run it, both
through bench/client_processes.py. Each process connects its share of the sockets, says when
all of them have each event, and gives back the arrival times (CLOCK_MONOTONIC, the same clock
in every process) at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.client_processes import ClientProcesses, lean, node


@dataclass(frozen=True)
class Arrivals:
    """Per socket, the monotonic time (s) of each event's receipt, and the milliseconds since
    each event's `at`."""

    times: list[list[float]]
    since_at: list[float]


class AdminReceivers:
    """`count` sockets spread over `processes` processes."""

    def __init__(self, url: str, token: str, count: int, processes: int, client: str) -> None:
        command = lean("admin") if client == "lean" else node("admin_receivers.mjs")
        self._clients = ClientProcesses(command, url, token, count, processes)

    @property
    def pids(self) -> list[int]:
        """The receiving processes' ids."""
        return self._clients.pids

    async def ready(self) -> None:
        """Every socket of every process is connected."""
        await self._clients.start()

    async def received(self, index: int) -> None:
        """Every socket has event `index`."""
        await self._clients.lines(str(index))

    async def arrivals(self) -> Arrivals:
        """Stop the processes; every socket's arrival times and `at` delays."""
        times: list[list[float]] = []
        since_at: list[float] = []
        for figures in await self._clients.stop():
            times += [[int(ns) / 1e9 for ns in mine] for mine in figures["times"]]
            since_at += [float(ms) for ms in figures["sinceAt"]]
        return Arrivals(times, since_at)
