"""getStreams, input.raw (a camera's endless upload of frames) and output.raw (a viewer)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Mapping

from quart import Response, request

from camrelay.protocol.errors import (
    ErroredStream,
    MalformedRequest,
    NoChannel,
    NoSuchDevice,
    NoSuchSession,
    RelayError,
)
from camrelay.protocol.framing import FrameDecoder, FrameError

from ...core.frame_rate import FrameRate
from ...core.identity import Can
from ...core.sessions import Session
from ...core.stream_reader import Reader
from ...core.streams import REPLACED, Producer
from ...transport.h2_direct_body import PUSH_BODY
from .answers import Reply, as_response, bad, ok, ok_first
from .body import BodyDecoder
from .params import Params, to_int
from .pulled_body import pulled_body
from .routes import Call, JsonApi

MAX_DELTA_MS = 86_400_000
MAX_VIEWER_BODY = 64 << 10
RAW_METHODS = {"input": ["PUT", "POST"], "output": ["GET", "POST"]}
UPLOAD_PATHS = ("/input.raw",)  # bodies pulled as the relay takes them (pulled_body.py)
# Decoded upload bytes parsed between two turns of the event loop: at most ~11,000 empty
# frames, a few milliseconds, however small the frames or however far a chunk inflates.
UPLOAD_SLICE = 64 << 10


def delta_of(params: Params) -> int:
    """The optional `delta` (ms between frames): 0 when absent."""
    if not params.present("delta"):
        return 0
    delta = to_int(params.raw("delta"), "delta")
    if not 0 <= delta <= MAX_DELTA_MS:
        raise MalformedRequest("delta out of range")
    return delta


class StreamFace:
    """The raw stream requests on top of the JSON API's plumbing."""

    def __init__(self, api: JsonApi) -> None:
        self.api = api
        self.hub = api.relay.streams
        self.max_frame = api.limits.max_frame_bytes

    async def _session(self, needs: Can) -> tuple[Params, Session]:
        params = Params.parse(b"", request.args.to_dict())
        return params, await self.api.session(params, request.remote_addr or "", needs)

    async def input_raw(self) -> Response:
        """Relay an upload's frames until it ends, breaks, stalls or is replaced."""
        try:
            params, session = await self._session(Can.UPLOAD)
            subproto = params.text("subproto", required=False, max_len=64)
            delta = delta_of(params)
            decoder = BodyDecoder(request.headers.get("Content-Encoding", ""))
        except RelayError as exc:
            return as_response(bad(exc.code))
        # A device that streams is a camera from now on (CONTRACT §5).
        await self.api.relay.cameras.seen(session.account_id, session.device)
        task = asyncio.current_task()
        assert task is not None
        producer = self.hub.start(
            session.account_id,
            session.device,
            subproto,
            delta,
            session.shash,
            lambda: _cancel(task),
        )
        try:
            await self._relay_upload(producer, session, decoder, delta)
            return as_response(ok())
        except (FrameError, ErroredStream, MalformedRequest, TimeoutError):
            return as_response(bad(ErroredStream.code))
        except asyncio.CancelledError:
            if not producer.stopped:
                raise  # the client went away
            task.uncancel()
            # A newer upload of the same device took over, or the session ended.
            return as_response(ok() if producer.stopped == REPLACED else bad(NoSuchSession.code))
        finally:
            producer.finish()

    async def _relay_upload(
        self, producer: Producer, session: Session, body: BodyDecoder, delta: int
    ) -> None:
        frames = FrameDecoder(self.max_frame)
        rate = FrameRate(self.hub.max_frames_per_s)
        sessions = self.api.relay.sessions
        stall = 3 * delta / 1000 if delta else None
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(stall) as deadline:
            async for chunk in pulled_body(request.scope):
                for piece in body.pieces(chunk, UPLOAD_SLICE):
                    for frame in frames.feed(piece):
                        if not rate.take():
                            raise ErroredStream("over streams.max_frames_per_s")
                        producer.publish(frame.wire)
                    if frames.error is not None:
                        raise frames.error
                    await asyncio.sleep(0)  # bystanders get their turn
                sessions.keep_alive(session)
                if stall is not None:
                    deadline.reschedule(loop.time() + stall)
                await producer.room()  # the next chunk is pulled only when the hub takes it
        frames.eof()

    async def output_raw(self) -> Response:
        """Headers at once, then every frame of the device's stream as it arrives."""
        try:
            params, session = await self._session(Can.WATCH)
            device = params.text("device", max_len=128)
            reader = await self._attach(session, device)
        except RelayError as exc:
            return as_response(bad(exc.code))
        # Filled with PUSH_BODY once the headers are out (an HTTP/2 stream's).
        extensions = request.scope.get("extensions") or {}
        response = Response(
            self._frames(session.account_id, device, reader, request.body, extensions),
            content_type="application/octet-stream",
        )
        response.timeout = None
        return response

    async def _attach(self, session: Session, device: str) -> Reader:
        if not session.sees(device):
            raise NoSuchDevice(device)  # as if it did not exist, streaming or not
        try:
            return self.hub.attach(session.account_id, device, session.shash, session.device)
        except NoChannel:
            if not await self.api.relay.sessions.known_device(session.account_id, device):
                raise NoSuchDevice(device) from None
            raise

    async def _frames(
        self,
        account_id: int,
        device: str,
        reader: Reader,
        body: AsyncIterable[bytes],
        extensions: Mapping[str, object],
    ) -> AsyncIterator[bytes]:
        drain = asyncio.create_task(_discard(body, reader))
        try:
            # The headers are out: frames may go straight to the connection from now on.
            reader.direct = extensions.get(PUSH_BODY)  # type: ignore[assignment]
            async for batch in reader.batches():
                yield batch
        finally:
            reader.direct = None
            drain.cancel()
            self.hub.detach(account_id, device, reader)


async def _discard(body: AsyncIterable[bytes], reader: Reader) -> None:
    """A viewer sends nothing; what it sends anyway is dropped, since Quart would buffer it
    without bound, and a viewer that keeps sending past MAX_VIEWER_BODY is ended."""
    size = 0
    async for chunk in body:
        size += len(chunk)
        if size > MAX_VIEWER_BODY:
            reader.end()
            return


def register(api: JsonApi) -> None:
    """Add getStreams and the raw streams to the API."""
    face = StreamFace(api)
    api.blueprint.add_url_rule(
        "/input.raw", "input_raw", face.input_raw, methods=RAW_METHODS["input"]
    )
    api.blueprint.add_url_rule(
        "/output.raw", "output_raw", face.output_raw, methods=RAW_METHODS["output"]
    )

    @api.request("getStreams", needs=Can.WATCH)
    async def get_streams(call: Call) -> Reply:
        listing = api.relay.streams.listing(call.session.account_id)
        streams = [s for s in listing if call.session.sees(s.device)]
        return ok_first(
            devices=[
                {"device": s.device, "subproto": s.subproto, "delta": s.delta} for s in streams
            ]
        )


def _cancel(task: asyncio.Task[object]) -> None:
    """Stop a replaced upload's handler wherever it waits."""
    task.cancel()
