"""A small HTTP/2 client on the h2 library, for what httpx does not show: one connection's
fate (GOAWAY), stream resets, and request bodies sent a piece at a time."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings
import hyperframe.frame


def unverified_h2_context() -> ssl.SSLContext:
    """TLS offering only h2 and accepting any certificate (the server's self-signed one)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["h2"])
    return context


@dataclass
class H2Response:
    """What one stream received."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    reset_code: int | None = None
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    headers_seen: asyncio.Event = field(default_factory=asyncio.Event)
    data_seen: asyncio.Event = field(default_factory=asyncio.Event)


class H2Client:
    """One HTTP/2 connection: TLS with ALPN h2 for https://, prior knowledge for http://."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        authority: str,
        ack: bool = True,
    ) -> None:
        self.reader, self.writer, self.authority = reader, writer, authority
        self.ack = ack  # False: never return flow-control credit (a viewer that stops reading)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.responses: dict[int, H2Response] = {}
        self.terminated: h2.events.ConnectionTerminated | None = None
        self.closed = asyncio.Event()
        self.settings_seen = asyncio.Event()  # the server's first SETTINGS frame arrived
        self._window = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @classmethod
    async def connect(cls, url: str, ack: bool = True, window: int | None = None) -> H2Client:
        """`window`: the initial window of every stream (0: the server may send no DATA)."""
        parts = urlsplit(url)
        context = unverified_h2_context() if parts.scheme == "https" else None
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port, ssl=context)
        client = cls(reader, writer, parts.netloc, ack)
        client.conn.initiate_connection()
        if window is not None:
            client.conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: window})
        if ack:
            client.conn.increment_flow_control_window(2**30)
        await client._flush()
        client._task = asyncio.create_task(client._read_loop())
        return client

    async def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        end: bool = True,
        headers: list[tuple[str, str]] | None = None,
        weight: int | None = None,
    ) -> int:
        """Start a request; with end=False the body stays open for send(); `weight` sends
        priority information in its HEADERS frame."""
        stream_id = self.conn.get_next_available_stream_id()
        self.responses[stream_id] = H2Response()
        head = [
            (":method", method),
            (":path", path),
            (":scheme", "https"),
            (":authority", self.authority),
            *(headers or []),
        ]
        self.conn.send_headers(stream_id, head, end_stream=end and not body, priority_weight=weight)
        await self._flush()
        if body:
            await self.send(stream_id, body, end=end)
        return stream_id

    async def send(
        self, stream_id: int, data: bytes, end: bool = False, patience: float = 10
    ) -> None:
        """Send body data, waiting for flow-control window as needed (TimeoutError after
        `patience` seconds without any)."""
        view = memoryview(data)
        while view:
            window = min(
                self.conn.local_flow_control_window(stream_id), self.conn.max_outbound_frame_size
            )
            if window <= 0:
                self._window.clear()
                await asyncio.wait_for(self._window.wait(), patience)
                continue
            self.conn.send_data(stream_id, bytes(view[:window]))
            view = view[window:]
            await self._flush()
        if end:
            self.conn.end_stream(stream_id)
            await self._flush()

    async def send_until_answered(self, stream_id: int, data: bytes) -> None:
        """Send a whole body and end it, or stop quietly where the server answered early and
        reset the stream (what it does with a body it refuses)."""
        response = self.responses[stream_id]
        view = memoryview(data)
        try:
            while view and not response.ended.is_set():
                window = min(
                    self.conn.local_flow_control_window(stream_id),
                    self.conn.max_outbound_frame_size,
                )
                if window <= 0:
                    self._window.clear()
                    await asyncio.wait_for(self._window.wait(), 10)
                    continue
                self.conn.send_data(stream_id, bytes(view[:window]))
                view = view[window:]
                await self._flush()
            if not response.ended.is_set():
                self.conn.end_stream(stream_id)
                await self._flush()
        except h2.exceptions.StreamClosedError:
            pass

    async def send_late(self, stream_id: int, data: bytes) -> None:
        """Write a DATA frame even though our side knows the stream is closed: what a camera
        has in flight when the server's answer and reset reach it."""
        frame = hyperframe.frame.DataFrame(stream_id, data=data)
        self.writer.write(frame.serialize())
        await self.writer.drain()

    async def reset(self, stream_id: int) -> None:
        """RST_STREAM(CANCEL): the client gave up on the request."""
        self.conn.reset_stream(stream_id, h2.errors.ErrorCodes.CANCEL)
        await self._flush()

    async def response(self, stream_id: int, timeout: float = 10) -> H2Response:
        """Wait until the stream ends or is reset."""
        response = self.responses[stream_id]
        await asyncio.wait_for(response.ended.wait(), timeout)
        return response

    async def get(
        self, path: str, body: bytes = b"", method: str = "POST", timeout: float = 10
    ) -> H2Response:
        """One complete request and its response (within `timeout` seconds)."""
        return await self.response(await self.request(method, path, body), timeout)

    async def close(self) -> None:
        if self._task:
            self._task.cancel()
        self.writer.close()

    async def _flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.writer.write(data)
            await self.writer.drain()

    async def _read_loop(self) -> None:
        try:
            while data := await self.reader.read(65536):
                for event in self.conn.receive_data(data):
                    self._handle(event)
                await self._flush()
        except (ConnectionError, h2.exceptions.ProtocolError):
            pass
        finally:
            self.closed.set()
            for response in self.responses.values():
                response.ended.set()

    def _handle(self, event: h2.events.Event) -> None:
        response = self.responses.get(getattr(event, "stream_id", 0) or 0)
        if isinstance(event, h2.events.ResponseReceived) and response:
            response.headers = {k.decode(): v.decode() for k, v in event.headers}
            response.status = int(response.headers[":status"])
            response.headers_seen.set()
        elif isinstance(event, h2.events.DataReceived):
            if self.ack:
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            if response:
                response.body += event.data
                response.data_seen.set()
        elif isinstance(event, h2.events.StreamEnded) and response:
            response.ended.set()
        elif isinstance(event, h2.events.StreamReset) and response:
            response.reset_code = event.error_code
            response.ended.set()
        elif isinstance(event, h2.events.WindowUpdated):
            self._window.set()
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            self.settings_seen.set()
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.terminated = event
