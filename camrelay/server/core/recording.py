"""The relay's own recording of a camera's live stream, and snapshots (state `record`, `snap`).

While a device's recording is on, a reader on the stream hub collects its JPEG frames into a
segment; a segment becomes one MJPEG record (the JPEG frames concatenated, meta "MJPEG") once it
spans `segment_s` seconds of stream, grows past `max_segment_bytes`, or its stream ends. A
recording outlives its stream: it waits for the device to stream again and goes on.

Pause stores the open segment and lets go of the stream, like stop, but the recording stays
"pause" until it is started again; so a pause holds no memory however long it lasts, and no
record spans a gap. Memory is bounded: a segment by `max_segment_bytes`, the frames waiting
behind a store by the hub's reader queue (frames lost there are counted as `dropped`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from camrelay.protocol.errors import NoChannel, RelayError
from camrelay.protocol.framing import HEADER_SIZE, FrameDecoder

from .clock import Clock
from .records import Records
from .stream_reader import Reader
from .streams import StreamHub

MJPEG = "MJPEG"
JPEG = "JPEG"
ON, PAUSE, OFF = "on", "pause", "off"
VIEWER = "(recorder)"  # how the recorder shows among a stream's viewers
SNAPSHOT = "(snapshot)"  # likewise a snap waiting for a frame of another node's upload
# How long a snap of another node's upload waits for its next frame (they cross only on demand).
SNAP_WAIT_S = 5.0
log = logging.getLogger("camrelay.recording")


@dataclass
class RecordingCounters:
    """What every recording of the server did since it started."""

    segments: int = 0
    bytes: int = 0
    failed: int = 0  # segments the store refused (quota): lost, logged
    dropped: int = 0  # frames the recorder's reader lost while a segment was being stored


@dataclass(eq=False)
class _Recording:
    """One device's recording: its open segment and the task that fills it."""

    account_id: int
    device: str
    parts: list[bytes | memoryview] = field(default_factory=list)
    size: int = 0
    began: float = 0.0  # clock time of the segment's first frame
    reader: Reader | None = None
    waiting: bool = False  # for the device to stream
    active: bool = True
    task: asyncio.Task[None] | None = None


class Recorder:
    """Records the live streams of the devices whose `record` is on; takes snapshots."""

    def __init__(
        self,
        hub: StreamHub,
        records: Records,
        clock: Clock,
        segment_s: float,
        max_segment_bytes: int = 64 << 20,
    ) -> None:
        self._hub = hub
        self._records = records
        self._clock = clock
        self.segment_s = segment_s
        self.max_segment_bytes = max_segment_bytes
        self._on: dict[tuple[int, str], _Recording] = {}
        self._paused: set[tuple[int, str]] = set()
        self._ending: set[asyncio.Task[None]] = set()  # stopped, still storing their tail
        self.counters = RecordingCounters()
        # In a cluster each node records the uploads made to it, so no frame crosses for it.
        self.here_only = False

    def state(self, account_id: int, device: str) -> str:
        """ON, PAUSE or OFF."""
        key = (account_id, device)
        return ON if key in self._on else PAUSE if key in self._paused else OFF

    def attached(self, account_id: int, device: str) -> bool:
        """Whether the device's recording reads its stream now (it is on and streaming)."""
        recording = self._on.get((account_id, device))
        return recording is not None and recording.reader is not None

    async def start(self, account_id: int, device: str) -> None:
        """Record the device's stream (again, after a pause); nothing if it already records.
        Once this returns, every frame the device streams is recorded."""
        key = (account_id, device)
        self._paused.discard(key)
        if key in self._on:
            return
        recording = _Recording(account_id, device)
        self._on[key] = recording
        self._attach(recording)  # now, so no frame published after start() is missed
        recording.task = asyncio.create_task(self._run(recording), name=f"record {device}")

    def pause(self, account_id: int, device: str) -> asyncio.Future[None]:
        """Hold the recording: the open segment is stored and no frame is kept until `start`.
        Returns at once; await the result to know the open segment is stored."""
        ending = self._end(account_id, device)
        self._paused.add((account_id, device))
        return ending

    def stop(self, account_id: int, device: str) -> asyncio.Future[None]:
        """End the recording, storing the open segment if it holds frames. Returns at once;
        await the result to know the tail is stored."""
        self._paused.discard((account_id, device))
        return self._end(account_id, device)

    async def close(self) -> None:
        """Stop every recording and store their tails (server shutdown, before the store
        closes)."""
        for account_id, device in list(self._on):
            self.stop(account_id, device)
        self._paused.clear()
        if self._ending:
            await asyncio.gather(*self._ending, return_exceptions=True)

    async def snap(self, account_id: int, device: str) -> int:
        """Store the device's newest frame as a JPEG record and return its rid; NoChannel
        (13) when it is not streaming."""
        frame = await self._snap_frame(account_id, device)
        entry = await self._records.add(account_id, device, JPEG, frame[HEADER_SIZE:])
        return entry.rid

    async def _snap_frame(self, account_id: int, device: str) -> bytes:
        """The newest frame; of another node's upload that nobody here watches (so its frames
        do not come here, and the newest held may be old), the next one, asked for briefly."""
        channel = self._hub.channel(account_id, device)
        producer = None if channel is None else channel.producer
        if channel is None or producer is None or not producer.remote or channel.readers:
            return self._hub.newest(account_id, device)
        reader = self._hub.attach(account_id, device, viewer=SNAPSHOT)
        try:
            async with asyncio.timeout(SNAP_WAIT_S):
                frame = await reader.next_frame()
        except TimeoutError:
            frame = None
        finally:
            reader.end()
            self._hub.detach(account_id, device, reader)
        if frame is None:
            raise NoChannel(device)
        return frame

    def _end(self, account_id: int, device: str) -> asyncio.Future[None]:
        recording = self._on.pop((account_id, device), None)
        if recording is None or recording.task is None:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        recording.active = False
        task = recording.task
        if recording.reader is not None:
            recording.reader.end()  # what is queued is still recorded, then the tail stored
        elif recording.waiting:
            task.cancel()  # nothing is held while waiting for the stream
        self._ending.add(task)
        task.add_done_callback(self._ending.discard)
        return task

    def _attach(self, recording: _Recording) -> bool:
        try:
            recording.reader = self._hub.attach(
                recording.account_id, recording.device, viewer=VIEWER, here_only=self.here_only
            )
        except RelayError:
            return False  # not streaming (NoChannel): wait for it
        return True

    async def _run(self, recording: _Recording) -> None:
        """Record each stream of the device in turn until the recording ends."""
        try:
            while True:
                if recording.reader is None:  # an attached reader is drained even if stopped
                    if not recording.active:
                        return
                    if not self._attach(recording):
                        recording.waiting = True
                        await self._hub.until_streaming(
                            recording.account_id, recording.device, self.here_only
                        )
                        recording.waiting = False
                        continue
                await self._record_stream(recording)
        except asyncio.CancelledError:
            if recording.active:  # not our own stop: the loop is going away
                raise
        except Exception:
            log.exception(
                "recording of %s failed",
                recording.device,
                extra={"account_id": recording.account_id},
            )
        finally:
            key = (recording.account_id, recording.device)
            if self._on.get(key) is recording:  # ended by a failure: no longer on
                del self._on[key]

    async def _record_stream(self, recording: _Recording) -> None:
        """Record one stream until it (or the recording) ends, then store the tail."""
        reader = recording.reader
        assert reader is not None
        decoder = FrameDecoder()
        try:
            async for batch in reader.batches():
                for frame in decoder.feed(batch):
                    await self._add(recording, frame.payload)
        finally:
            self._hub.detach(recording.account_id, recording.device, reader)
            recording.reader = None
            self.counters.dropped += reader.dropped
        await self._store(recording)

    async def _add(self, recording: _Recording, jpeg: memoryview) -> None:
        now = self._clock.now()
        if recording.parts and (
            now - recording.began >= self.segment_s
            or recording.size + len(jpeg) > self.max_segment_bytes
        ):
            await self._store(recording)
        if not recording.parts:
            recording.began = now
        recording.parts.append(jpeg)
        recording.size += len(jpeg)

    async def _store(self, recording: _Recording) -> None:
        """Store the open segment as one MJPEG record, if it holds frames, and empty it."""
        if not recording.parts:
            return
        data = b"".join(recording.parts)
        recording.parts, recording.size = [], 0
        try:
            await self._records.add(recording.account_id, recording.device, MJPEG, data)
        except RelayError as refused:  # over quota: the segment is lost, the recording goes on
            self.counters.failed += 1
            log.warning(
                "recording of %s: segment of %d bytes not stored: %s",
                recording.device,
                len(data),
                refused,
                extra={"account_id": recording.account_id},
            )
            return
        self.counters.segments += 1
        self.counters.bytes += len(data)
