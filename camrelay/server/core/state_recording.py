"""The state keys the relay applies itself (CONTRACT §5): `record` drives the recorder and
`snap` stores the newest frame. Any camera gets both, whatever client it runs."""

from __future__ import annotations

import logging
from typing import Any

from camrelay.protocol.errors import NoChannel

from .bus import Bus, Reach, StateChanged
from .recording import Recorder
from .state import CameraStates

log = logging.getLogger("camrelay.recording")
ON, PAUSE, OFF = "on", "pause", "off"


class StateRecording:
    """Follows the stored `record` key of every camera and answers `snap`."""

    def __init__(self, bus: Bus, state: CameraStates, recorder: Recorder) -> None:
        self._bus = bus
        self._state = state
        self._recorder = recorder
        state.on_snap = self.snap
        # In a cluster every node hears every `record` change: the camera's node records it.
        self.reach = Reach.HERE

    async def resume(self) -> None:
        """Start recording every camera whose `record` was on when the server stopped."""
        for account_id, device in await self._state.recording():
            await self._recorder.start(account_id, device)

    async def follow(self) -> None:
        """Apply each change of `record` as it is made, until cancelled."""
        async with self._bus.subscribe(StateChanged, reach=self.reach) as events:
            async for event in events:
                assert isinstance(event, StateChanged)
                for key, value in event.changes:
                    if key == "record":
                        await self._apply(event.account_id, event.device, str(value))

    async def _apply(self, account_id: int, device: str, mode: str) -> None:
        try:
            if mode == ON:
                await self._recorder.start(account_id, device)
            elif mode == PAUSE:
                self._recorder.pause(account_id, device)
            else:
                self._recorder.stop(account_id, device)
        except Exception:  # one camera's failure must not stop the others' recording
            log.exception("recording %s: could not apply %s", device, mode)

    async def snap(self, account_id: int, device: str) -> dict[str, Any]:
        """The snapshot's record id for the confirmation; no rid when nothing streams."""
        try:
            return {"rid": await self._recorder.snap(account_id, device)}
        except NoChannel:
            return {"rid": None, "message": "the camera is not streaming: nothing to snap"}
