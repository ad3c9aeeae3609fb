"""Requests served since start: a live figure for /metrics and the demo's summary line."""

from __future__ import annotations

from dataclasses import dataclass

from quart import Quart


@dataclass
class RequestCount:
    """Counts every request the app begins to handle (a stream counts once, when it opens)."""

    total: int = 0

    def install(self, app: Quart) -> None:
        """Count the app's requests from now on."""

        @app.before_request
        async def _count() -> None:
            self.total += 1
