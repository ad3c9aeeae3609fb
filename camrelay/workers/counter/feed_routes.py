"""The counter's WebSocket at / (people-counter-ws-api.txt): broadcasts out, requests in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quart import Quart

from camrelay.workers.common.feed_server import feed_app

if TYPE_CHECKING:
    from camrelay.workers.counter.worker import CounterWorker


def counter_app(worker: CounterWorker) -> Quart:
    """The feed's one route, a thin call into the worker."""
    app = feed_app("camrelay.counter.feed")

    @app.websocket("/")
    async def root() -> None:
        # The current counters at once, then frames, stats and events; replies go to the
        # sender only.
        await worker.audience.attend(worker.answers.reply, hello=worker.stats_message())

    return app
