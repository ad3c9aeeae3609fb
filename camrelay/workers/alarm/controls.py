"""What both faces of the alarm (the feed and the page) ask of it: the status, the latest
frame and the commands; each face's Protocol adds what it alone needs."""

from __future__ import annotations

from typing import Any, Protocol


class AlarmControls(Protocol):
    """The status, the latest frame and the commands (the worker has them)."""

    def status_message(self) -> dict[str, Any]:
        """The status as of now."""
        ...

    def snapshot(self) -> bytes | None:
        """The latest JPEG received, if any."""
        ...

    async def on_message(self, message: str | bytes) -> dict[str, Any]:
        """The reply to one command, for its sender alone."""
        ...
