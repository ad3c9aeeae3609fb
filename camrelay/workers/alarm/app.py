"""The alarm as it runs: the worker with its feed on server.websocket_port and its web page on
server.webserver_port (the composition root: the routes know only their Protocols).

    app = AlarmApp(AlarmWorker(config, StreamSource(relay_client, "cam1")))
    await app.run()             # until a shutdown command or request_stop()
"""

from __future__ import annotations

import logging

from camrelay.workers.alarm.feed_routes import feed_app
from camrelay.workers.alarm.page_routes import page_app
from camrelay.workers.alarm.worker import AlarmWorker
from camrelay.workers.common.feed_server import FeedServer
from camrelay.workers.common.lifecycle import ServedWorker

log = logging.getLogger(__name__)


class AlarmApp(ServedWorker[AlarmWorker]):
    """The alarm worker served by its feed and its page (ports from its server settings)."""

    def __init__(self, worker: AlarmWorker) -> None:
        host, server = worker.config.server.host_name, worker.config.server
        self.feed = FeedServer(feed_app(worker), host, server.websocket_port)
        self.web = FeedServer(page_app(worker), host, server.webserver_port)
        super().__init__(worker, [self.feed, self.web])

    async def start(self) -> None:
        """Start the worker, then listen on both ports."""
        await super().start()
        log.info(
            "alarm feed on ws://%s:%d, web page on %s", self.feed.host, self.feed.port, self.web.url
        )
