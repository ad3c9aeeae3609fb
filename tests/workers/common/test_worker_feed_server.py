"""The feed server on a real port: HTTP routes, WebSocket broadcasts to every client,
replies to the sender only, binary messages, MJPEG live view, and a clean stop."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import websockets
from quart import Response

from camrelay.workers.common.drop_oldest import Fanout
from camrelay.workers.common.feed_server import Audience, FeedServer, feed_app
from camrelay.workers.common.mjpeg import BOUNDARY, MIMETYPE, mjpeg_part, mjpeg_response
from tests.support.until import until


async def test_broadcasts_reach_everyone_and_replies_only_the_sender() -> None:
    audience, video = Audience(), Audience()
    frames: Fanout[bytes] = Fanout()
    app = feed_app(__name__)

    async def echo(message: str | bytes) -> dict[str, object]:
        return {"echo": message}

    @app.websocket("/")
    async def root() -> None:
        await audience.attend(echo)

    @app.websocket("/video")
    async def raw_video() -> None:
        await video.attend()

    @app.get("/health")
    async def health() -> Response:
        return Response("OK", mimetype="text/plain")

    @app.get("/live")
    async def live() -> Response:
        return mjpeg_response(frames, first=b"JPEG-0")

    server = FeedServer(app, "127.0.0.1", 0)
    await server.start()
    assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}"
    ws_url = f"ws://127.0.0.1:{server.port}"
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.get("/health")).text == "OK"
        async with (
            websockets.connect(ws_url + "/") as one,
            websockets.connect(ws_url + "/") as two,
            websockets.connect(ws_url + "/video") as viewer,
        ):
            await until(lambda: len(audience) == 2 and len(video) == 1)
            audience.broadcast({"state": "on"})
            video.broadcast(b"\xff\xd8binary")
            assert json.loads(await one.recv()) == {"state": "on"}
            assert json.loads(await two.recv()) == {"state": "on"}
            assert await viewer.recv() == b"\xff\xd8binary"
            await one.send('{"command": "x"}')
            assert json.loads(await one.recv()) == {"echo": '{"command": "x"}'}
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(two.recv(), 0.3)  # the reply went to `one` only
        await until(lambda: len(audience) == 0 and len(video) == 0)
        async with http.stream("GET", "/live") as response:
            assert response.headers["content-type"] == MIMETYPE
            chunks = response.aiter_bytes()
            body = await anext(chunks)
            assert body == mjpeg_part(b"JPEG-0")
            assert body.startswith(f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n".encode())
            await until(lambda: len(frames) == 1)
            frames.publish(b"JPEG-1")
            assert await anext(chunks) == mjpeg_part(b"JPEG-1")
    await server.stop()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", server.port)
