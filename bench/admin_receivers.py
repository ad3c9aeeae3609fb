"""Admin sockets in processes of their own, as real admin pages are.

One process decoding every socket's Engine.IO packets in turn puts the last socket's receipt
behind the 99 before it, in the bench, not in the relay. Each process connects its share of the
sockets, reports ready, tells the bench when all of its sockets have each event, and sends back
the arrival times (CLOCK_MONOTONIC, the same clock in every process) at the end.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection

import socketio

READY, STOP = "ready", "stop"
CONNECT_AT_ONCE = 50  # handshakes in flight per process: a burst of 500 is no figure


@dataclass(frozen=True)
class Arrivals:
    """One process's figures: per socket, the monotonic time of each event's receipt, and the
    milliseconds since each event's `at`."""

    times: list[list[float]]
    since_at: list[float]


class _Socket:
    def __init__(self, done: asyncio.Event) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.times: list[float] = []
        self.since_at: list[float] = []
        self._done = done
        self.client.on("camera:demand", self._demand)

    async def _demand(self, data: dict[str, str]) -> None:
        self.times.append(time.monotonic())
        at = datetime.fromisoformat(data["at"].replace("Z", "+00:00")).timestamp()
        self.since_at.append((time.time() - at) * 1000)
        self._done.set()


def _run(url: str, token: str, count: int, pipe: Connection) -> None:
    asyncio.run(_receive(url, token, count, pipe))


async def _receive(url: str, token: str, count: int, pipe: Connection) -> None:
    arrived = asyncio.Event()
    sockets = [_Socket(arrived) for _ in range(count)]
    for start in range(0, count, CONNECT_AT_ONCE):
        await asyncio.gather(
            *(
                s.client.connect(url, auth={"token": token}, transports=["websocket"])
                for s in sockets[start : start + CONNECT_AT_ONCE]
            )
        )
    pipe.send(READY)
    loop = asyncio.get_running_loop()
    stopping = loop.run_in_executor(None, pipe.recv)
    reported = 0
    while not stopping.done():
        await asyncio.wait(
            [asyncio.ensure_future(arrived.wait()), stopping],
            timeout=1.0,
            return_when=asyncio.FIRST_COMPLETED,
        )
        arrived.clear()
        complete = min(len(s.times) for s in sockets)
        while reported < complete:
            pipe.send(reported)  # every socket of this process has event `reported`
            reported += 1
    await asyncio.gather(*(s.client.disconnect() for s in sockets))
    pipe.send(Arrivals([s.times for s in sockets], [ms for s in sockets for ms in s.since_at]))


class AdminReceivers:
    """`count` sockets spread over `processes` processes."""

    def __init__(self, url: str, token: str, count: int, processes: int) -> None:
        context = multiprocessing.get_context("spawn")
        processes = max(1, min(processes, count))
        shares = [count // processes + (p < count % processes) for p in range(processes)]
        self._pipes: list[Connection] = []
        self._processes = []
        for share in shares:
            mine, theirs = context.Pipe()
            process = context.Process(target=_run, args=(url, token, share, theirs), daemon=True)
            process.start()
            self._pipes.append(mine)
            self._processes.append(process)

    async def _next(self, pipe: Connection) -> object:
        return await asyncio.get_running_loop().run_in_executor(None, pipe.recv)

    async def ready(self) -> None:
        """Every socket of every process is connected."""
        for pipe in self._pipes:
            assert await self._next(pipe) == READY

    async def received(self, index: int) -> None:
        """Every socket has event `index`."""
        for pipe in self._pipes:
            assert await self._next(pipe) == index

    async def arrivals(self) -> Arrivals:
        """Stop the processes; every socket's arrival times and `at` delays."""
        for pipe in self._pipes:
            pipe.send(STOP)
        times: list[list[float]] = []
        since_at: list[float] = []
        for pipe in self._pipes:
            mine = await self._next(pipe)
            assert isinstance(mine, Arrivals)
            times += mine.times
            since_at += mine.since_at
        for process in self._processes:
            process.join(timeout=10)
        return Arrivals(times, since_at)
