"""The web page on server.webserver_port: live view (MJPEG at /raw-video), the state, and
silence / test buttons that post the root endpoint's commands to /command."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from quart import Quart, Response, request

from camrelay.workers.common.feed_server import feed_app
from camrelay.workers.common.mjpeg import mjpeg_response

if TYPE_CHECKING:
    from camrelay.workers.alarm.worker import AlarmWorker

PAGE = "page.html"


def page_app(worker: AlarmWorker) -> Quart:
    """The page's routes, each a thin call into the worker."""
    app = feed_app("camrelay.alarm.page")
    page = resources.files(__package__).joinpath(PAGE).read_text(encoding="utf-8")

    @app.get("/")
    async def index() -> Response:
        html = page.replace("{{camera}}", worker.source.camera)
        return Response(html, mimetype="text/html")

    @app.get("/raw-video")
    async def raw_video() -> Response:
        return mjpeg_response(worker.live_view, first=worker.snapshot())

    @app.get("/status")
    async def status() -> dict[str, object]:
        return worker.status_message()

    @app.post("/command")
    async def command() -> dict[str, object]:
        return await worker.on_message(await request.get_data(as_text=True))

    return app
