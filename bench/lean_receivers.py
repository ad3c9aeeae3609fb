"""Lean receiving sockets for the state and admin benches: one process, one epoll loop, plain
sockets speaking RFC 6455 (and, for admin, Engine.IO 4 / Socket.IO 5 as socket.io-client does:
the open packet, CONNECT with the token in `auth`, pings answered). Each message is stamped
when its bytes are read. A socket costs this process about a quarter of the CPU node's `ws`
takes and a tenth of socket.io-client's, CPU the relay would otherwise share with its own
clients on this machine; the benches judge their targets on these receivers and print the
library clients' rows beside them.

usage: python -m bench.lean_receivers state|admin URL TOKEN COUNT
The exchange with bench/client_processes.py is the node receivers' (bench/js/receivers.mjs):
"ready" once every socket is logged in; for admin, N each time every socket has its N-th
camera:demand; on "stop" from stdin, the figures as one line of JSON: state, per socket
[[brightness, arrival ns], ...]; admin, {"times": [[ns, ...] per socket], "sinceAt": [ms, ...]}.
Times are CLOCK_MONOTONIC nanoseconds, Python's time.monotonic_ns().
"""

from __future__ import annotations

import base64
import json
import os
import select
import socket
import sys
import time
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

TEXT, CLOSE, PING, PONG = 1, 8, 9, 10
READ_SIZE = 1 << 16
DEMAND = b'42["camera:demand",'


def frame(opcode: int, payload: bytes) -> bytes:
    """A client frame, masked with the all-zero key (allowed; the payload stays as it is)."""
    size = len(payload)
    head = bytes((0x80 | opcode, 0x80 | size)) if size < 126 else bytes((0x80 | opcode, 0xFE))
    return head + (b"" if size < 126 else size.to_bytes(2, "big")) + bytes(4) + payload


def messages(buffer: bytearray) -> list[tuple[int, bytes]]:
    """Take the complete frames off the front of `buffer`: (opcode, payload) each."""
    found = []
    while len(buffer) >= 2:
        size, at = buffer[1] & 127, 2
        if size >= 126:
            at = 4 if size == 126 else 10
            if len(buffer) < at:
                break
            size = int.from_bytes(buffer[2:at], "big")
        if len(buffer) < at + size:
            break
        found.append((buffer[0] & 15, bytes(buffer[at : at + size])))
        del buffer[: at + size]
    return found


class Lean:
    """One WebSocket: a blocking handshake, then non-blocking reads from the loop."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.buffer = bytearray()
        self.waiting: list[bytes] = []  # texts read, not yet taken
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        end = self.buffer.index(b"\r\n\r\n")
        if not self.buffer.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(bytes(self.buffer[:end]).decode(errors="replace"))
        del self.buffer[: end + 4]

    def send(self, text: str) -> None:
        self.sock.sendall(frame(TEXT, text.encode()))

    def next_text(self) -> bytes:
        """The next text message, blocking (for the handshake and the login)."""
        self.waiting += self._texts()
        while not self.waiting:  # the frames already read (with the upgrade's answer) first
            self._read()
            self.waiting += self._texts()
        return self.waiting.pop(0)

    def texts(self) -> list[bytes]:
        """The text messages complete after one read (the socket is readable)."""
        try:
            self._read()
        except BlockingIOError:
            pass
        found = self.waiting + self._texts()
        self.waiting = []
        return found

    def _read(self) -> None:
        data = self.sock.recv(READ_SIZE)
        if not data:
            raise ConnectionError("the relay closed a bench socket")
        self.buffer += data

    def _texts(self) -> list[bytes]:
        """The text messages of the complete frames in the buffer."""
        return [payload for opcode, payload in self._frames() if opcode == TEXT]

    def _frames(self) -> list[tuple[int, bytes]]:
        found = messages(self.buffer)
        for opcode, payload in found:
            if opcode == PING:
                self.sock.sendall(frame(PONG, payload))
            elif opcode == CLOSE:
                raise ConnectionError(
                    f"the relay closed a bench socket: {payload[:2].hex()} {payload[2:]!r}"
                )
        return found


class StateReader:
    """A state-sync socket, logged in with a token and past its snapshot."""

    def __init__(self, url: str, token: str) -> None:
        self.ws = Lean(url)
        self.ws.send(json.dumps({"token": token}))
        answer = json.loads(self.ws.next_text())
        if answer.get("authenticated") is not True:
            raise RuntimeError(f"login refused: {answer}")
        self.ws.next_text()  # the snapshot
        self.seen: list[list[object]] = []

    def on_text(self, text: bytes, now: int) -> None:
        value = json.loads(text).get("brightness")
        if value is not None:
            self.seen.append([value, str(now)])


class AdminReader:
    """An admin Socket.IO socket, connected to "/" with the token."""

    def __init__(self, url: str, token: str, reached: Callable[[int], None]) -> None:
        self.ws = Lean(f"{url.replace('http', 'ws', 1)}/socket.io/?EIO=4&transport=websocket")
        if not self.ws.next_text().startswith(b"0{"):
            raise RuntimeError("no Engine.IO open packet")
        self.ws.send("40" + json.dumps({"token": token}))
        answer = self.ws.next_text()
        while not answer.startswith(b"40"):  # pings (answered) and log lines may come first
            if answer.startswith(b"44"):
                raise RuntimeError(f"CONNECT refused: {answer!r}")
            if answer == b"2":
                self.ws.send("3")
            answer = self.ws.next_text()
        self.times: list[str] = []
        self.since_at: list[float] = []
        self._reached = reached

    def on_text(self, text: bytes, now: int) -> None:
        if text.startswith(DEMAND):
            self.times.append(str(now))
            at = datetime.fromisoformat(json.loads(text[2:])[1]["at"].replace("Z", "+00:00"))
            self.since_at.append(time.time() * 1000 - at.timestamp() * 1000)
            self._reached(len(self.times))
        elif text == b"2":
            self.ws.send("3")  # Engine.IO ping, pong


class Progress:
    """Prints N once every socket has its N-th event (N from 0), in order."""

    def __init__(self) -> None:
        self.sockets = 0
        self.counts: dict[int, int] = {}
        self.reported = 0

    def reached(self, events: int) -> None:
        self.counts[events] = self.counts.get(events, 0) + 1
        while self.counts.get(self.reported + 1, 0) == self.sockets:
            sys.stdout.write(f"{self.reported}\n")
            sys.stdout.flush()
            self.reported += 1


def main() -> None:
    kind, url, token, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    progress = Progress()
    readers: list[StateReader] | list[AdminReader]
    if kind == "state":
        readers = [StateReader(url, token) for _ in range(count)]
    else:
        readers = [AdminReader(url, token, progress.reached) for _ in range(count)]
    progress.sockets = count
    poll = select.epoll()
    by_fd: dict[int, StateReader | AdminReader] = {}
    for reader in readers:
        reader.ws.sock.setblocking(False)
        by_fd[reader.ws.sock.fileno()] = reader
        poll.register(reader.ws.sock.fileno(), select.EPOLLIN)
    stdin = sys.stdin.fileno()
    poll.register(stdin, select.EPOLLIN)
    print("ready", flush=True)
    while True:
        events = poll.poll()
        if any(fd == stdin for fd, _ in events):
            # Told to stop: what the sockets hold already is read first (a broadcast whose
            # confirmation the writer has is in their buffers).
            while events := [(fd, e) for fd, e in poll.poll(0) if fd != stdin]:
                read(events, by_fd)
            print(json.dumps(figures(readers)), flush=True)
            return
        read(events, by_fd)


def read(events: list[tuple[int, int]], by_fd: dict[int, StateReader | AdminReader]) -> None:
    """Take the messages of the readable sockets, stamped with one clock reading each."""
    for fd, _ in events:
        now = time.monotonic_ns()
        reader = by_fd[fd]
        for text in reader.ws.texts():
            reader.on_text(text, now)


def figures(readers: list[StateReader] | list[AdminReader]) -> object:
    """What the bench gets back: per socket arrivals (state), or times and `at` delays (admin)."""
    if readers and isinstance(readers[0], AdminReader):
        admins: list[AdminReader] = readers  # type: ignore[assignment]
        times = [r.times for r in admins]
        return {"times": times, "sinceAt": [ms for r in admins for ms in r.since_at]}
    return [r.seen for r in readers]  # type: ignore[union-attr]


if __name__ == "__main__":
    main()
