"""The web page on server.webserver_port: live view (MJPEG at /raw-video), the state, and
silence / test buttons that post the root endpoint's commands to /command."""

from __future__ import annotations

from importlib import resources
from typing import Protocol

from quart import Quart, Response, request

from camrelay.workers.alarm.controls import AlarmControls
from camrelay.workers.common.drop_oldest import Fanout
from camrelay.workers.common.feed_server import feed_app
from camrelay.workers.common.mjpeg import mjpeg_response

PAGE = "page.html"


class PageSource(AlarmControls, Protocol):
    """What the page needs of the alarm (the worker has it)."""

    @property
    def camera(self) -> str:
        """The watched camera's device name, in the page's title."""
        ...

    @property
    def live_view(self) -> Fanout[bytes]:
        """Every JPEG received, for the MJPEG viewers."""
        ...


def page_app(source: PageSource) -> Quart:
    """The page's routes, each a thin call into the source."""
    app = feed_app("camrelay.alarm.page")
    page = resources.files(__package__).joinpath(PAGE).read_text(encoding="utf-8")

    @app.get("/")
    async def index() -> Response:
        html = page.replace("{{camera}}", source.camera)
        return Response(html, mimetype="text/html")

    @app.get("/raw-video")
    async def raw_video() -> Response:
        return mjpeg_response(source.live_view, first=source.snapshot())

    @app.get("/status")
    async def status() -> dict[str, object]:
        return source.status_message()

    @app.post("/command")
    async def command() -> dict[str, object]:
        return await source.on_message(await request.get_data(as_text=True))

    return app
