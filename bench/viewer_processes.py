"""Viewers of output.raw in processes of their own, as real viewers are.

A single load process parses every viewer's TLS and HTTP/2 in turn: at 100 viewers of a 30 fps
40 KB stream it spends as much CPU per frame as the server, and the last viewer's arrival time
then holds the wait for the 99 before it, in the load generator. Spread over a few processes,
the viewers read in parallel and the figure measures the relay. Each process opens its share of
the connections and viewers, reports ready, and sends back its figures once its streams end.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from dataclasses import dataclass
from multiprocessing.connection import Connection

from bench.h2_peer import H2Peer
from bench.stream_load import ViewerSink, open_viewer, wait_ended

READY = "ready"


@dataclass(frozen=True)
class ViewerJob:
    """One process's share: viewers of these (camera index, device) over `connections`."""

    url: str
    shash: str
    viewers: list[tuple[int, str]]
    connections: int
    warm: int


@dataclass(frozen=True)
class ViewerFigures:
    """One viewer's figures, sent back to the bench."""

    camera: int
    frames: int
    received: int
    latencies_ns: list[int]

    def sink(self) -> ViewerSink:
        """The figures as the bench's sink for this viewer."""
        sink = ViewerSink(frames=self.frames, received=self.received)
        sink.latencies_ns = self.latencies_ns
        return sink


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _run(job: ViewerJob, pipe: Connection) -> None:
    asyncio.run(_view(job, pipe))


async def _view(job: ViewerJob, pipe: Connection) -> None:
    peers = [await H2Peer.connect(job.url) for _ in range(job.connections)]
    opened = []
    for index, (camera, device) in enumerate(job.viewers):
        peer = peers[index % len(peers)]
        stream_id, sink = await open_viewer(peer, job.shash, device, job.warm)
        opened.append((camera, peer, stream_id, sink))
    pipe.send(READY)
    start = _cpu()
    loop = asyncio.get_running_loop()
    timeout: float = await loop.run_in_executor(None, pipe.recv)  # the producers are done
    unended = await wait_ended([(peer, sid, sink) for _, peer, sid, sink in opened], timeout)
    figures = [ViewerFigures(c, s.frames, s.received, s.latencies_ns) for c, _, _, s in opened]
    pipe.send((figures, unended, _cpu() - start))
    for peer in peers:
        peer.close()


class ViewerProcesses:
    """Viewer processes started together; `ready()`, then `results()` once the streams end."""

    def __init__(self, jobs: list[ViewerJob]) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipes: list[Connection] = []
        self._processes = []
        self.cpu_seconds = 0.0  # the viewer processes' CPU from ready() to the streams' end
        for job in jobs:
            mine, theirs = context.Pipe()
            process = context.Process(target=_run, args=(job, theirs), daemon=True)
            process.start()
            self._pipes.append(mine)
            self._processes.append(process)

    async def _receive(self, pipe: Connection) -> object:
        return await asyncio.get_running_loop().run_in_executor(None, pipe.recv)

    async def ready(self) -> None:
        """Every viewer of every process is attached."""
        for pipe in self._pipes:
            assert await self._receive(pipe) == READY

    async def results(self, timeout: float) -> tuple[list[ViewerFigures], int]:
        """Wait up to `timeout` for the streams to end; every viewer's figures (in job order)
        and how many viewers had not ended."""
        for pipe in self._pipes:
            pipe.send(timeout)
        figures: list[ViewerFigures] = []
        unended = 0
        for pipe in self._pipes:
            mine, late, cpu = await self._receive(pipe)  # type: ignore[misc]
            figures += mine
            unended += late
            self.cpu_seconds += cpu
        for process in self._processes:
            process.join(timeout=10)
        return figures, unended


def split(
    url: str,
    shash: str,
    viewers: list[tuple[int, str]],
    connections: int,
    processes: int,
    warm: int,
) -> list[ViewerJob]:
    """Viewers and connections dealt round-robin over `processes` (each at least one of each),
    so viewer i shares a connection with viewer i + connections, as in one process."""
    processes = max(1, min(processes, connections, len(viewers)))
    jobs = []
    for p in range(processes):
        mine = list(range(p, connections, processes))  # connection indexes of this process
        share = [v for i, v in enumerate(viewers) if i % connections in mine]
        jobs.append(ViewerJob(url, shash, share, len(mine), warm))
    return jobs
