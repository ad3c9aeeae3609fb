"""A lean HTTP/2 client connection for load generation: an asyncio Protocol on the h2 library
that hands each stream's DATA to a sink as it arrives (no body is kept) and sends request
bodies under flow control and transport back-pressure. Many streams may share one peer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
import hyperframe.frame

from camrelay.server.transport import h2_hot_path
from tests.support.h2_client import unverified_h2_context

# A reading peer advertises large windows and frames: fewer WINDOW_UPDATEs and DATA frames
# per relayed byte, so the load generator spends its CPU on the viewers, not on framing.
READING_STREAM_WINDOW = 8 << 20
READING_CONNECTION_WINDOW = 64 << 20
READING_MAX_FRAME = 1 << 20

Sink = Callable[[bytes, int], None]  # (data, arrival time in monotonic ns)


def cheap_frame_repr() -> None:
    """h2 formats repr(frame) for a trace log on every frame it receives, even with logging
    off, and hyperframe hex-encodes the whole DATA payload before cutting it to 20 characters:
    2 MB of hex per 1 MiB frame. Here only the first 10 bytes are encoded (this process only)."""
    hyperframe.frame._raw_data_repr = h2_hot_path._raw_data_repr


@dataclass
class StreamState:
    """What the peer knows about one of its streams."""

    sink: Sink | None = None
    status: int = 0
    content_type: str = ""
    body: bytearray = field(default_factory=bytearray)  # kept only when there is no sink
    reset_code: int | None = None
    headers_seen: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)


class H2Peer(asyncio.Protocol):
    """One HTTP/2 connection; `reading=False` never returns flow-control credit (a viewer
    that stops reading: the server's window for it closes after the protocol default 64 KiB)."""

    def __init__(self, authority: str, scheme: str, reading: bool = True) -> None:
        self.authority, self.scheme, self.reading = authority, scheme, reading
        self.conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding=None)
        )
        self.streams: dict[int, StreamState] = {}
        self.transport: asyncio.Transport | None = None
        self.closed = asyncio.Event()
        self._window = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()

    @classmethod
    async def connect(cls, url: str, reading: bool = True) -> H2Peer:
        """Open a connection to an https:// (ALPN h2) or http:// (h2c prior knowledge) URL."""
        parts = urlsplit(url)
        context = unverified_h2_context() if parts.scheme == "https" else None
        cheap_frame_repr()
        loop = asyncio.get_running_loop()
        peer = cls(parts.netloc, parts.scheme, reading)
        await loop.create_connection(
            lambda: peer, parts.hostname or "127.0.0.1", parts.port or 443, ssl=context
        )
        return peer

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if self.reading:
            self._advertise_large_windows()
        self.conn.initiate_connection()
        if self.reading:
            self.conn.increment_flow_control_window(READING_CONNECTION_WINDOW)
        self._flush()

    def _advertise_large_windows(self) -> None:
        codes = h2.settings.SettingCodes
        current = self.conn.local_settings
        values = {codes(code): current[code] for code in current}
        values[codes.INITIAL_WINDOW_SIZE] = READING_STREAM_WINDOW
        values[codes.MAX_FRAME_SIZE] = READING_MAX_FRAME
        values[codes.ENABLE_PUSH] = 0
        self.conn.local_settings = h2.settings.Settings(client=True, initial_values=values)
        self.conn.max_inbound_frame_size = READING_MAX_FRAME

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()
        self._window.set()
        self._writable.set()
        for state in self.streams.values():
            state.headers_seen.set()
            state.ended.set()

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.close()
            return
        for event in events:
            self._handle(event, now)
        self._flush()

    def _handle(self, event: h2.events.Event, now: int) -> None:
        state = self.streams.get(getattr(event, "stream_id", 0) or 0)
        if isinstance(event, h2.events.DataReceived):
            if self.reading:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if state is not None:
                if state.sink is not None:
                    state.sink(event.data, now)
                else:
                    state.body += event.data
        elif isinstance(event, h2.events.ResponseReceived) and state is not None:
            headers = dict(event.headers)
            state.status = int(headers[b":status"])
            state.content_type = headers.get(b"content-type", b"").decode()
            state.headers_seen.set()
        elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset) and state:
            if isinstance(event, h2.events.StreamReset):
                state.reset_code = event.error_code
            state.headers_seen.set()
            state.ended.set()
        elif isinstance(event, h2.events.WindowUpdated | h2.events.RemoteSettingsChanged):
            self._window.set()

    def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def request(self, method: str, path: str, *, end: bool, sink: Sink | None = None) -> int:
        """Send request headers; with end=False the body stays open for send()."""
        stream_id = self.conn.get_next_available_stream_id()
        self.streams[stream_id] = StreamState(sink=sink)
        headers = [
            (":method", method),
            (":path", path),
            (":scheme", self.scheme),
            (":authority", self.authority),
        ]
        self.conn.send_headers(stream_id, headers, end_stream=end)
        self._flush()
        return stream_id

    async def send(self, stream_id: int, data: bytes) -> None:
        """Send body bytes as the stream's and connection's windows allow, then wait until
        the transport is writable again (so a fast sender never buffers without bound)."""
        view = memoryview(data)
        while view:
            if self.closed.is_set():
                raise ConnectionError("connection closed")
            window = min(
                self.conn.local_flow_control_window(stream_id), self.conn.max_outbound_frame_size
            )
            if window <= 0:
                self._window.clear()
                await self._window.wait()
                continue
            while view and window > 0:
                piece = min(window, len(view), self.conn.max_outbound_frame_size)
                self.conn.send_data(stream_id, view[:piece].tobytes())
                view = view[piece:]
                window = min(
                    self.conn.local_flow_control_window(stream_id),
                    self.conn.max_outbound_frame_size,
                )
            self._flush()
        await self._writable.wait()

    def end(self, stream_id: int) -> None:
        """End a request body."""
        try:
            self.conn.end_stream(stream_id)
        except h2.exceptions.StreamClosedError:
            return
        self._flush()

    def close(self) -> None:
        """Drop the connection (no GOAWAY ceremony: the benchmark is over)."""
        if self.transport is not None:
            self.transport.close()
