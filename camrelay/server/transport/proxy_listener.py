"""Listening sockets for server.proxy_protocol: each connection's PROXY header is read first.

HAProxy in TCP mode sends the header before the client's first byte (the TLS ClientHello), so it
must come off the socket before asyncio's TLS layer reads anything. camrelay accepts the
connection itself and reads exactly the header's bytes under a deadline (never a byte more: what
follows stays in the kernel for TLS or h2c). Then it hands the connection to the asyncio server
Hypercorn started as usual, through a listening socket of its own: one end of a socketpair that
turns readable while connections wait and whose accept() gives them out. Such a connection
reports the client the header names as its peer, so Hypercorn's scope `client` (remote_addr, the
login slow-down, session binding, the /metrics rule, the access log) is the client, not the
proxy. The total connection cap applies at accept, the per-address cap once the address is known.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import os
import socket
from typing import Any

from hypercorn.config import Sockets

from ..core.connections import ConnectionGate
from ..throttled_log import ThrottledLog
from .listener import CountedConnection
from .proxy_header import (
    FIXED_BYTES,
    V1_MAX_BYTES,
    V1_MIN_BYTES,
    BadProxyHeader,
    ProxiedPeer,
    check_start,
    is_v1,
    parse,
    parse_v1,
    rest_length,
)

# As asyncio does when accept() fails for want of file descriptors or memory.
ACCEPT_RETRY_S = 1.0
# Connections accepted in one wake-up before asyncio gets the loop back.
MAX_ACCEPTS_PER_WAKE = 64
_log = logging.getLogger("camrelay.connections")
_refusals = ThrottledLog(_log)
_bad_headers = ThrottledLog(_log)


class ProxiedConnection(CountedConnection):
    """An accepted connection whose peer is the client its PROXY header names."""

    peer: Any

    def getpeername(self) -> Any:
        return self.peer


async def _recv_exactly(
    loop: asyncio.AbstractEventLoop, conn: socket.socket, size: int, first: bool
) -> bytes:
    """`size` bytes, never more; the `first` ones are checked piece by piece, so a client that
    talks TLS or HTTP straight away is refused at once rather than at the deadline."""
    data = b""
    while len(data) < size:
        piece = await loop.sock_recv(conn, size - len(data))
        if not piece:
            raise BadProxyHeader(f"closed within the PROXY header ({len(data)} bytes)")
        data += piece
        if first:
            check_start(data)
    return data


async def read_header(loop: asyncio.AbstractEventLoop, conn: socket.socket) -> ProxiedPeer | None:
    """The client a connection's PROXY header names (None: the peer itself); BadProxyHeader."""
    start = await _recv_exactly(loop, conn, V1_MIN_BYTES, first=True)
    if is_v1(start):
        line = start
        while not line.endswith(b"\r\n") and len(line) < V1_MAX_BYTES:
            line += await _recv_exactly(loop, conn, 1, first=False)  # never past the line
        return parse_v1(line)
    fixed = start + await _recv_exactly(loop, conn, FIXED_BYTES - V1_MIN_BYTES, first=False)
    rest = await _recv_exactly(loop, conn, rest_length(fixed), first=False)
    return parse(fixed, rest)


class HandoffListener(socket.socket):
    """What asyncio's server listens on: connections whose header has been read."""

    real: socket.socket
    gate: ConnectionGate
    timeout_s: float
    waker: socket.socket
    ready: collections.deque[ProxiedConnection]
    reading: set[asyncio.Task[None]]
    loop: asyncio.AbstractEventLoop | None
    closing: bool

    @classmethod
    def around(cls, real: socket.socket, gate: ConnectionGate, timeout_s: float) -> HandoffListener:
        """A handoff listener for the bound socket `real`."""
        inside, waker = socket.socketpair()
        listener = cls(inside.family, inside.type, inside.proto, fileno=inside.detach())
        waker.setblocking(False)
        listener.real, listener.gate, listener.timeout_s = real, gate, timeout_s
        listener.waker, listener.ready, listener.reading = waker, collections.deque(), set()
        listener.loop, listener.closing = None, False
        return listener

    @property  # type: ignore[override]
    def family(self) -> socket.AddressFamily:
        return self.real.family

    def getsockname(self) -> Any:
        return self.real.getsockname()

    def listen(self, backlog: int = socket.SOMAXCONN) -> None:
        """Listen on the real socket and start accepting (called again by asyncio: harmless)."""
        self.real.listen(backlog)
        if self.loop is None:
            self.real.setblocking(False)
            self.loop = asyncio.get_running_loop()
            self.loop.add_reader(self.real.fileno(), self._accept_burst)

    def accept(self) -> tuple[socket.socket, Any]:
        if not self.ready:
            self._drain()
            raise BlockingIOError("no connection has its PROXY header read yet")
        conn = self.ready.popleft()
        if not self.ready:
            self._drain()
        return conn, conn.peer

    def close(self) -> None:
        if not self.closing:
            self.closing = True
            if self.loop is not None and not self.loop.is_closed():
                self.loop.remove_reader(self.real.fileno())
            self.real.close()
            self.waker.close()
            for task in list(self.reading):
                task.cancel()  # each closes its connection
            while self.ready:
                self.ready.popleft().close()
        super().close()

    def _drain(self) -> None:
        try:
            while self.recv(64):
                pass
        except (BlockingIOError, InterruptedError):
            pass

    def _accept_burst(self) -> None:
        assert self.loop is not None
        for _ in range(MAX_ACCEPTS_PER_WAKE):
            try:
                fd, address = self.real._accept()  # type: ignore[attr-defined]
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:  # out of file descriptors or memory: pause as asyncio does
                _refusals.warning("accept failed (%s); pausing %s s", exc, ACCEPT_RETRY_S)
                self.loop.remove_reader(self.real.fileno())
                self.loop.call_later(ACCEPT_RETRY_S, self._resume)
                return
            if not self.gate.admit_unnamed():
                _refusals.warning("connection refused: %s", self.gate.why_refused(""))
                os.close(fd)
                continue
            conn = ProxiedConnection(self.real.family, self.real.type, self.real.proto, fileno=fd)
            conn.gate, conn.host, conn.released, conn.peer = self.gate, None, False, address
            conn.setblocking(False)
            task = self.loop.create_task(self._handshake(conn))
            self.reading.add(task)
            task.add_done_callback(self.reading.discard)

    def _resume(self) -> None:
        if not self.closing and self.loop is not None:
            self.loop.add_reader(self.real.fileno(), self._accept_burst)

    async def _handshake(self, conn: ProxiedConnection) -> None:
        """Read the header, then count the connection against its client and hand it over."""
        assert self.loop is not None
        handed = False
        try:
            try:
                async with asyncio.timeout(self.timeout_s):
                    peer = await read_header(self.loop, conn)
            except (BadProxyHeader, TimeoutError, OSError) as exc:
                why = str(exc) if isinstance(exc, BadProxyHeader) else _why(exc)
                self.gate.bad_proxy_headers += 1
                _bad_headers.warning("connection from %s closed: %s", conn.peer[0], why)
                return
            if peer is not None:
                conn.peer = (peer.host, peer.port)
            host = str(conn.peer[0])
            if not self.gate.name(host):
                _refusals.warning("connection refused: %s", self.gate.why_refused(host))
                return
            conn.host = host
            if not self.closing:
                was_empty = not self.ready
                self.ready.append(conn)
                handed = True
                if was_empty:
                    self.waker.send(b"\0")
        finally:
            if not handed:
                conn.close()


def _why(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no complete PROXY header within server.proxy_header_timeout_s"
    return f"{exc.__class__.__name__} while reading the PROXY header"


def proxied(sockets: Sockets, gate: ConnectionGate, timeout_s: float) -> Sockets:
    """The same listening sockets, reading a PROXY v2 header on each connection first."""
    return Sockets(
        [HandoffListener.around(s, gate, timeout_s) for s in sockets.secure_sockets],
        [HandoffListener.around(s, gate, timeout_s) for s in sockets.insecure_sockets],
        sockets.quic_sockets,
    )
