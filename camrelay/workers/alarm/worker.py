"""The motion alarm worker: one camera's relayed stream in; the feeds, commands and alerts of
alarm-feed-api.txt (with CONTRACT §2) out.

    worker = AlarmWorker(config, StreamSource(relay_client, "cam1"))
    await AlarmApp(worker).run()    # served with its feed and page (app.py)

Tasks: ingest (every payload: recent frames, /raw-video, live view, analysis queue),
analyse (the newest frame at processing.fps, in the vision thread), heartbeat (status
every second; changes go out at once), metrics (every second).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from camrelay.workers.alarm.alerters.base import AlertEvent
from camrelay.workers.alarm.alerters.dispatcher import AlertDispatcher, RetryPolicy
from camrelay.workers.alarm.alerters.registry import build_alerters
from camrelay.workers.alarm.alerters.relay import RelayAlerter
from camrelay.workers.alarm.commands import handle_command
from camrelay.workers.alarm.config import AlarmConfig, dump_config
from camrelay.workers.alarm.metrics_sampler import MetricsSampler
from camrelay.workers.alarm.state import AlarmStateMachine, Step
from camrelay.workers.alarm.status import LoopStats
from camrelay.workers.alarm.vision import MotionVision
from camrelay.workers.common.drop_oldest import DropOldestQueue, Fanout
from camrelay.workers.common.feed_server import Audience
from camrelay.workers.common.lifecycle import WorkerLifecycle
from camrelay.workers.common.recent_frames import RecentFrames
from camrelay.workers.common.stream_source import StreamSource

log = logging.getLogger(__name__)

# The shutdown reply must reach its sender before the feed closes.
MIN_SHUTDOWN_DELAY_S = 0.2


class AlarmWorker(WorkerLifecycle):
    """Watches one camera through the relay; what the alarm feed and web page show and do."""

    def __init__(
        self,
        config: AlarmConfig,
        source: StreamSource,
        clock: Callable[[], float] = time.time,
        retry: RetryPolicy | None = None,
    ) -> None:
        super().__init__()
        self.config = config
        self.source = source
        self.clock = clock
        self.machine = AlarmStateMachine(config, clock())
        self.frames = RecentFrames(keep_s=config.alerters.relay.clip_s + 1)
        self.vision = MotionVision(config.processing)
        self.loop_stats = LoopStats()
        self.metrics = MetricsSampler(self.vision, self.loop_stats)
        self.status_feed, self.metrics_feed = Audience(), Audience()
        self.video_feed = Audience(outbox_size=2)
        self.live_view: Fanout[bytes] = Fanout(2)
        self._retry = retry
        self.dispatcher = self._dispatcher(config)
        self._analysis: DropOldestQueue[bytes] = DropOldestQueue(1)
        self._alerts: set[asyncio.Task[Any]] = set()

    def _dispatcher(self, config: AlarmConfig) -> AlertDispatcher:
        """telegram and siren from the settings, plus the relay alerter on our session."""
        relay = RelayAlerter(
            config.alerters.relay, self.source.client, self.source.camera, self.frames
        )
        return AlertDispatcher(build_alerters(config.alerters, extra=[relay]), self._retry)

    @property
    def camera(self) -> str:
        """The watched camera's device name on the relay."""
        return self.source.camera

    async def start(self) -> None:
        """Start the tasks."""
        # The Telegram bot token is part of Bot API URLs, which httpx logs at INFO.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        for job in (self._ingest, self._analyse, self._heartbeat, self._broadcast_metrics):
            self._spawn(job())

    def request_stop(self, delay_s: float = 0.0) -> None:
        """Make stopping() return after delay_s seconds."""
        loop = asyncio.get_running_loop()
        loop.call_later(max(delay_s, MIN_SHUTDOWN_DELAY_S), self._stop.set)

    async def stop(self) -> None:
        """Cancel the tasks and alerts in flight, end the feeds and live views."""
        self._stop.set()
        for task in [*self._tasks, *self._alerts]:
            task.cancel()
        await asyncio.gather(*self._tasks, *self._alerts, return_exceptions=True)
        for audience in (self.status_feed, self.metrics_feed, self.video_feed):
            audience.close()
        self.live_view.close()

    async def close(self) -> None:
        """Close the vision thread."""
        self.vision.close()

    def snapshot(self) -> bytes | None:
        """The latest JPEG received, if any."""
        latest = self.frames.latest
        return None if latest is None else latest.jpeg

    def status_message(self) -> dict[str, Any]:
        """The status heartbeat as of now."""
        return self.machine.status(self.clock()).as_message()

    async def on_message(self, message: str | bytes) -> dict[str, Any]:
        """One command from a client of the root endpoint; the reply is for it alone."""
        now = self.clock()
        old_config = self.config
        outcome = handle_command(self.machine, message, now)
        if "error" in outcome.reply:
            return outcome.reply
        if outcome.new_config is not None:
            error = self._adopt(outcome.new_config)
            if error is not None:
                self.machine.reconfigure(old_config, now)
                return {"error": error}
        if outcome.step is not None:
            self._apply(outcome.step)
        if outcome.test_alert is not None:
            self._alert(outcome.test_alert)
        if outcome.shutdown_in is not None:
            log.info("shutdown requested in %.1f s", outcome.shutdown_in)
            self.request_stop(outcome.shutdown_in)
        return outcome.reply

    def _adopt(self, config: AlarmConfig) -> str | None:
        """Write the new configuration back to its file, then use it; the error if not."""
        path = Path(config.flags.config_path)
        try:
            write_config(path, config)
        except OSError as exc:
            return f"config not applied: cannot write {path}: {exc.strerror or exc}"
        if config.processing != self.config.processing:
            self.vision.rebuild(config.processing)
        if config.server != self.config.server:
            log.warning("server settings are written but take effect at the next start")
        self.frames.keep_s = config.alerters.relay.clip_s + 1
        self.dispatcher = self._dispatcher(config)
        self.config = config
        return None

    def _apply(self, step: Step, heartbeat: bool = False) -> None:
        """Send the status when it changed (or as the heartbeat) and start its alerts."""
        if step.changed or heartbeat:
            self.status_feed.broadcast(step.status.as_message())
        for event in step.alerts:
            self._alert(event)

    def _alert(self, event: AlertEvent) -> None:
        """Deliver an alert in the background, with the latest frame attached."""
        task = asyncio.create_task(
            self.dispatcher.dispatch(replace(event, snapshot_jpeg=self.snapshot()))
        )
        self._alerts.add(task)
        task.add_done_callback(self._alerts.discard)

    async def _ingest(self) -> None:
        """Every payload of the camera's stream goes to every consumer, none waits."""
        async for jpeg in self.source.payloads():
            self.frames.add(jpeg, self.clock())
            self.video_feed.broadcast(jpeg)
            self.live_view.publish(jpeg)
            self._analysis.put(jpeg)

    async def _analyse(self) -> None:
        """The newest frame through the vision thread, at most processing.fps a second."""
        while True:
            jpeg = await self._analysis.get()
            started = time.monotonic()
            analysis = await self.vision.analyse(jpeg)
            if analysis is None:
                log.warning("a %d-byte payload is not an image; skipped", len(jpeg))
            else:
                self.loop_stats.add(analysis.seconds)
                self._apply(self.machine.observe(self.clock(), analysis.motion))
            period = 1.0 / self.config.processing.fps
            await asyncio.sleep(max(0.0, period - (time.monotonic() - started)))

    async def _heartbeat(self) -> None:
        """The status every second: silences lift, windows open and close."""
        await _every_second(lambda: self._apply(self.machine.tick(self.clock()), heartbeat=True))

    async def _broadcast_metrics(self) -> None:
        """The metrics every second."""
        await _every_second(
            lambda: self.metrics_feed.broadcast(self.metrics.sample(self.clock()).as_message())
        )


async def _every_second(action: Callable[[], None]) -> None:
    """Run action once a second, without drifting."""
    next_at = time.monotonic()
    while True:
        action()
        next_at += 1.0
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))


def write_config(path: Path, config: AlarmConfig) -> None:
    """Write the TOML atomically (a reader never sees half a file) and owner-only: settings
    from CAMRELAY_ALARM_* (an alerter's API key) end up in it too."""
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(dump_config(config))
    os.replace(temporary, path)
