"""The people counter worker: one camera's relayed stream in; the WebSocket feed of
people-counter-ws-api.txt (with CONTRACT §3) out.

    worker = CounterWorker(load_settings(path, os.environ), StreamSource(client, "cam1"))
    await CounterApp(worker).run()  # served with its feed (app.py), until request_stop()

Tasks: ingest (every payload: the newest frame for the feed and for analysis), analyse (the
newest frame at detector.fps in the vision thread; crossings and faces counted and saved),
frames (annotated JPEGs at feed.frame_rate), stats (every feed.stats_interval_s), schedule
(the daily reset job: a tick at start, at least every second and at the reset instant).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from camrelay.workers.common.drop_oldest import DropOldestQueue
from camrelay.workers.common.feed_server import Audience
from camrelay.workers.common.lifecycle import WorkerLifecycle
from camrelay.workers.common.stream_source import StreamSource
from camrelay.workers.counter.config import CounterSettings
from camrelay.workers.counter.daily import CounterStats, Notice
from camrelay.workers.counter.events import EventChange
from camrelay.workers.counter.face_crop_answers import FaceCropAnswers
from camrelay.workers.counter.face_crops import FaceCropDirectory
from camrelay.workers.counter.feed_messages import (
    Message,
    event_message,
    frame_message,
    stats_message,
)
from camrelay.workers.counter.ledger import CounterLedger
from camrelay.workers.counter.pipeline import CountingPipeline, FaceCrop, FrameResult
from camrelay.workers.counter.vision import CounterVision, Overlay

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
# Face records are sent to the relay in the background; beyond this many in flight the
# relay is too slow and a face is kept only in the worker's directory.
MAX_RECORD_UPLOADS = 8


def utc_now() -> datetime:
    """The system clock as an aware datetime."""
    return datetime.now(UTC)


class CounterWorker(WorkerLifecycle):
    """Counts people crossing a line in one camera's stream; what the counter feed shows."""

    def __init__(
        self,
        settings: CounterSettings,
        source: StreamSource,
        clock: Clock = utc_now,
        pipeline: CountingPipeline | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.source = source
        self.clock = clock
        self.zone = settings.reset.zone
        self.vision = CounterVision(pipeline or CountingPipeline(settings), settings.line)
        self.faces = FaceCropDirectory(settings.faces.directory, settings.faces.jpeg_quality)
        feed = settings.feed
        self.answers = FaceCropAnswers(self.faces, feed.default_face_limit, feed.max_face_limit)
        self.audience = Audience()
        self.analysed = 0  # frames through the pipeline, for tests and logs
        self.records_stored = 0  # faces stored as relay records
        self._ledger: CounterLedger | None = None
        self._latest: bytes | None = None
        self._overlay = Overlay([], CounterStats(0, 0, 0, 0, False, 0))
        self._analysis: DropOldestQueue[bytes] = DropOldestQueue(1)
        self._uploads: set[asyncio.Task[None]] = set()

    @property
    def ledger(self) -> CounterLedger:
        """The day's counts (open once started)."""
        if self._ledger is None:
            raise RuntimeError("the worker has not started")
        return self._ledger

    async def start(self) -> None:
        """Restore the counts, then start the tasks."""
        self._ledger = await CounterLedger.open(self.settings, self.clock())
        self._overlay = Overlay([], self._ledger.stats())
        for job in (self._schedule, self._ingest, self._analyse, self._frames, self._stats):
            self._spawn(job())

    async def stop(self) -> None:
        """Cancel the tasks and uploads, end the feed."""
        self._stop.set()
        for task in [*self._tasks, *self._uploads]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._uploads, return_exceptions=True)
        self._tasks.clear()
        self.audience.close()

    async def close(self) -> None:
        """Close the threads and the store (the feed's hello reads the counts)."""
        self.vision.close()
        if self._ledger is not None:
            await self._ledger.close()
            self._ledger = None

    def stats_message(self) -> Message:
        """The `stats` message as of now."""
        return stats_message(self.ledger.stats(), self.clock(), self.zone)

    async def on_message(self, message: str | bytes) -> Message:
        """One request from a feed client (a face crop or the list); the reply is for it alone."""
        return await self.answers.reply(message)

    async def _ingest(self) -> None:
        """Every payload becomes the newest frame; analysis takes the newest when ready."""
        async for jpeg in self.source.payloads():
            self._latest = jpeg
            self._analysis.put(jpeg)

    async def _analyse(self) -> None:
        """The newest frame through the vision thread, at most detector.fps a second."""
        period = 1.0 / self.settings.detector.fps
        while True:
            jpeg = await self._analysis.get()
            started = time.monotonic()
            result = await self.vision.analyse(jpeg)
            if result is None:
                log.warning("a %d-byte payload is not an image; skipped", len(jpeg))
                continue
            await self._count(result)
            self.analysed += 1
            await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))

    async def _count(self, result: FrameResult) -> None:
        """Count the frame's crossings and faces, announce events, refresh the overlay."""
        ledger = self.ledger
        notices = await ledger.crossings(result.crossings, self.clock())
        for face in result.faces:
            notices += await self._save_face(face)
        self._announce(notices)
        self._overlay = Overlay(result.tracks, ledger.stats())

    async def _save_face(self, face: FaceCrop) -> list[Notice]:
        """Save a face in the directory, count it, and store it as a record on the relay."""
        now = self.clock()
        record = await asyncio.to_thread(self.faces.save, face.image, now)
        log.info("face %d saved from track %d", record.face_id, face.track_id)
        notices = await self.ledger.face_saved(now)
        if len(self._uploads) < MAX_RECORD_UPLOADS:
            upload = asyncio.create_task(self._upload_face(record.face_id))
            self._uploads.add(upload)
            upload.add_done_callback(self._uploads.discard)
        else:
            log.warning("face %d not stored on the relay: too many uploads", record.face_id)
        return notices

    async def _upload_face(self, face_id: int) -> None:
        """One face JPEG as a record of the camera's account; failures are only logged."""
        try:
            jpeg = (await asyncio.to_thread(self.faces.get, face_id)).jpeg
            await self.source.client.add_record(jpeg, meta="JPEG")
            self.records_stored += 1
        except Exception as exc:  # the relay may be away; the face is still on disk
            log.warning("face %d not stored on the relay: %r", face_id, exc)

    def _announce(self, notices: Sequence[Notice]) -> None:
        """An `event` message for each event that started or ended."""
        for notice in notices:
            if isinstance(notice, EventChange):
                self.audience.broadcast(event_message(notice, self.clock(), self.zone))

    async def _frames(self) -> None:
        """The newest frame with the overlay, at feed.frame_rate, while anyone listens."""
        feed = self.settings.feed
        period = 1.0 / feed.frame_rate
        drawn: tuple[bytes | None, Overlay | None] = (None, None)
        while True:
            started = time.monotonic()
            jpeg, overlay = self._latest, self._overlay
            # Nothing new since the last frame sent: sending it again would only cost.
            fresh = jpeg is not drawn[0] or overlay is not drawn[1]
            if jpeg is not None and len(self.audience) and fresh:
                drawn = (jpeg, overlay)
                data = await self.vision.draw(jpeg, overlay, feed.jpeg_quality)
                if data is not None:
                    self.audience.broadcast(frame_message(data, self.clock(), self.zone))
            await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))

    async def _stats(self) -> None:
        """The counters every feed.stats_interval_s (twice a second by default)."""
        interval = self.settings.feed.stats_interval_s
        while True:
            self.audience.broadcast(self.stats_message())
            await asyncio.sleep(interval)

    async def _schedule(self) -> None:
        """The daily reset job: a tick now (a reset missed while down), then at least every
        second and right at the next reset instant."""
        ledger = self.ledger
        while True:
            notices = await ledger.tick(self.clock())
            if notices:
                self._announce(notices)
                self._overlay = Overlay(self._overlay.tracks, ledger.stats())
            until_reset = (ledger.next_reset - self.clock()).total_seconds()
            await asyncio.sleep(min(1.0, max(0.0, until_reset)))
