"""Relay alerter: the snapshot and a clip of the seconds before the alarm as records in the
camera's account, then a broadcast `alarm` message that every polling app receives."""

from __future__ import annotations

from typing import Any

from camrelay.clients.relay import RelayClient
from camrelay.workers.alarm.alerter_settings import RelaySettings
from camrelay.workers.alarm.alerters.base import AlertEvent, ConfiguredAlerter
from camrelay.workers.common.recent_frames import RecentFrames, StampedJpeg

ALARM_MESSAGE = "alarm"


class RelayAlerter(ConfiguredAlerter[RelaySettings]):
    """Stores records and broadcasts through the worker's own relay session."""

    name = "relay"

    def __init__(
        self, settings: RelaySettings, client: RelayClient, camera: str, frames: RecentFrames
    ) -> None:
        super().__init__(settings)
        self._client = client
        self._camera = camera
        self._frames = frames

    async def send(self, event: AlertEvent) -> None:
        """Store the snapshot and the clip, then broadcast their record ids."""
        rids: list[int] = []
        if event.snapshot_jpeg is not None:
            rids.append(await self._client.add_record(event.snapshot_jpeg, meta="JPEG"))
        clip = self.clip(event.at)
        if clip:
            rids.append(await self._client.add_record(b"".join(f.jpeg for f in clip), meta="MJPEG"))
        await self._client.send(ALARM_MESSAGE, params=self.params(event, rids))

    def clip(self, at: float) -> list[StampedJpeg]:
        """The frames of the clip_s seconds up to `at`, thinned to clip_fps, within the size cap."""
        settings = self._settings
        if settings.clip_s <= 0:
            return []
        frames = [
            f for f in self._frames.since(at - settings.clip_s, 1 / settings.clip_fps) if f.at <= at
        ]
        # Keep the frames nearest the alarm when the clip is too large.
        while frames and sum(len(f.jpeg) for f in frames) > settings.clip_max_bytes:
            frames.pop(0)
        return frames

    def params(self, event: AlertEvent, rids: list[int]) -> dict[str, Any]:
        """The broadcast's params."""
        return {
            "camera": self._camera,
            "state": "test" if event.is_test else "alarm",
            "records": rids,
            "message": event.message,
            "at": event.at,
        }
