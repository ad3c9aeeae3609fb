"""The counter as it runs: the worker with its feed on feed.host:feed.port (the composition
root: the routes know only their Protocol).

    app = CounterApp(CounterWorker(settings, StreamSource(relay_client, "cam1")))
    await app.run()             # until request_stop()
"""

from __future__ import annotations

import logging

from camrelay.workers.common.feed_server import FeedServer
from camrelay.workers.common.lifecycle import ServedWorker
from camrelay.workers.counter.feed_routes import feed_app
from camrelay.workers.counter.worker import CounterWorker

log = logging.getLogger(__name__)


class CounterApp(ServedWorker[CounterWorker]):
    """The counter worker served by its feed (host and port from its feed settings)."""

    def __init__(self, worker: CounterWorker) -> None:
        feed = worker.settings.feed
        self.feed = FeedServer(feed_app(worker), feed.host, feed.port)
        super().__init__(worker, [self.feed])

    async def start(self) -> None:
        """Start the worker, then listen."""
        await super().start()
        log.info("counter feed on ws://%s:%d", self.feed.host, self.feed.port)
