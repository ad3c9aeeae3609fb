"""Receiving clients of the benches as processes of their own: the library clients in node
(bench/js/*.mjs, with the packages of tests/js: node's `ws` and the official socket.io-client)
and the lean ones (bench/lean_receivers.py), so with 100 sockets on two cores the figure is the
relay's more than one client process's queue. Each process prints lines as it goes and its
figures as JSON when told to stop; times are CLOCK_MONOTONIC nanoseconds, the clock of
Python's time.monotonic()."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

SCRIPTS = Path(__file__).parent / "js"
LINE_LIMIT = 64 << 20  # the final JSON of 500 sockets' arrivals is one line


def node(script: str) -> list[str]:
    """The command of a node receiver in bench/js."""
    return ["node", str(SCRIPTS / script)]


def lean(kind: str) -> list[str]:
    """The command of the lean receiver of `kind` (state or admin)."""
    return [sys.executable, str(Path(__file__).parent / "lean_receivers.py"), kind]


class ClientProcesses:
    """`count` sockets of `command` spread over `processes` processes."""

    def __init__(
        self, command: Sequence[str], url: str, token: str, count: int, processes: int
    ) -> None:
        processes = max(1, min(processes, count))
        self.shares = [count // processes + (p < count % processes) for p in range(processes)]
        self._args = (*command, url, token)
        self._procs: list[asyncio.subprocess.Process] = []

    async def start(self) -> None:
        """Start the processes and wait until each says its sockets are ready."""
        for share in self.shares:
            proc = await asyncio.create_subprocess_exec(
                *self._args,
                str(share),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=LINE_LIMIT,
            )
            self._procs.append(proc)
        for proc in self._procs:
            assert await self._line(proc) == "ready"

    @property
    def pids(self) -> list[int]:
        """The client processes' ids (their CPU is the clients' share of a figure)."""
        return [proc.pid for proc in self._procs]

    async def lines(self, wanted: str) -> None:
        """Wait until every process has printed `wanted` as its next line."""
        for proc in self._procs:
            assert await self._line(proc) == wanted

    async def stop(self) -> list[Any]:
        """Each process's figures (its last line, JSON), once it has ended."""
        found = []
        for proc in self._procs:
            assert proc.stdin is not None
            proc.stdin.write(b"stop\n")
            await proc.stdin.drain()
        for proc in self._procs:
            line = await self._line(proc)
            while line.isdigit():  # progress lines printed before the stop was read
                line = await self._line(proc)
            found.append(json.loads(line))
            await proc.wait()
        return found

    async def _line(self, proc: asyncio.subprocess.Process) -> str:
        assert proc.stdout is not None
        line = await proc.stdout.readline()
        if not line:
            raise RuntimeError(f"a bench client ended early (exit {await proc.wait()})")
        return line.decode().strip()
