"""Listening sockets that apply the connection cap at accept, before any TLS work.

asyncio's server calls the listening socket's accept(); this one closes a connection over
server.max_connections or server.max_connections_per_address at once (the peer sees the
connection closed, the server spends no handshake nor memory on it), and each accepted
connection gives its place back when asyncio closes it, however the connection ended.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from hypercorn.config import Sockets

from ..core.connections import ConnectionGate
from ..throttled_log import ThrottledLog

# Refusals handled in one accept() call before asyncio gets the loop back.
MAX_REFUSALS_PER_ACCEPT = 64
_refusals = ThrottledLog(logging.getLogger("camrelay.connections"))


def _host(address: Any) -> str:
    return str(address[0]) if isinstance(address, tuple) else str(address)


class CountedConnection(socket.socket):
    """An accepted connection that releases its place in the gate when closed."""

    gate: ConnectionGate
    host: str | None  # None: not counted against an address (yet)
    released: bool

    def close(self) -> None:
        if not self.released:
            self.released = True
            self.gate.release(self.host)
        super().close()


class GatedListener(socket.socket):
    """A listening socket whose accept() refuses connections over the caps."""

    gate: ConnectionGate

    def accept(self) -> tuple[socket.socket, Any]:
        for _ in range(MAX_REFUSALS_PER_ACCEPT):
            fd, address = self._accept()  # type: ignore[attr-defined]
            host = _host(address)
            if self.gate.admit(host):
                conn = CountedConnection(self.family, self.type, self.proto, fileno=fd)
                conn.gate, conn.host, conn.released = self.gate, host, False
                if socket.getdefaulttimeout() is None and self.gettimeout():
                    conn.setblocking(True)  # as socket.accept() does
                return conn, address
            _refusals.warning("connection refused: %s", self.gate.why_refused(host))
            os.close(fd)
        raise BlockingIOError("refused a burst of connections; more on the next wake-up")


def gated(sockets: Sockets, gate: ConnectionGate) -> Sockets:
    """The same listening sockets, applying `gate` at accept."""

    def wrap(sock: socket.socket) -> socket.socket:
        listener = GatedListener(sock.family, sock.type, sock.proto, fileno=sock.detach())
        listener.gate = gate
        return listener

    return Sockets(
        [wrap(s) for s in sockets.secure_sockets],
        [wrap(s) for s in sockets.insecure_sockets],
        sockets.quic_sockets,
    )
