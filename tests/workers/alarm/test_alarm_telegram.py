"""The Telegram alerter against a local fake Bot API (Quart on Hypercorn, 127.0.0.1 port 0)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypercorn.app_wrappers import ASGIWrapper
from hypercorn.asyncio.run import worker_serve
from hypercorn.config import Config
from quart import Quart, request

from camrelay.workers.alarm.alerter_settings import TelegramSettings
from camrelay.workers.alarm.alerters.base import AlerterError, AlertEvent
from camrelay.workers.alarm.alerters.telegram import TelegramAlerter
from tests.support.until import until

TOKEN = "1234567890:test-token"
JPEG = b"\xff\xd8\xff\xe0fake-jpeg-bytes\x00\x01\x02\xff\xd9"
UNKNOWN_CHAT = "404"


@dataclass
class FakeBotApi:
    """What the fake Bot API received, and where it listens."""

    base_url: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)


def bot_app(fake: FakeBotApi) -> Quart:
    """sendMessage and sendPhoto, answering like the Bot API."""
    app = Quart(__name__)

    @app.post("/bot<token>/<method>")
    async def method_call(token: str, method: str) -> tuple[dict[str, Any], int]:
        call: dict[str, Any] = {"path": request.path, "method": request.method}
        if request.is_json:
            call["json"] = await request.get_json()
        else:
            form, files = await request.form, await request.files
            call["form"] = dict(form)
            call["files"] = {name: (f.filename, f.mimetype, f.read()) for name, f in files.items()}
        fake.calls.append(call)
        chat = (call.get("json") or call.get("form") or {}).get("chat_id")
        if token != TOKEN:
            return {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
        if chat == UNKNOWN_CHAT:
            not_found = "Bad Request: chat not found"
            return {"ok": False, "error_code": 400, "description": not_found}, 400
        return {"ok": True, "result": {"message_id": len(fake.calls)}}, 200

    return app


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi()
    config = Config()
    config.bind = ["127.0.0.1:0"]
    config.accesslog = None
    sockets = config.create_sockets()
    host, port = sockets.insecure_sockets[0].getsockname()[:2]
    fake.base_url = f"http://{host}:{port}"
    stop = asyncio.Event()
    app = ASGIWrapper(bot_app(fake))
    server = asyncio.create_task(
        worker_serve(app, config, sockets=sockets, shutdown_trigger=stop.wait)
    )
    await _until_listening(host, port)
    yield fake
    stop.set()
    await asyncio.wait_for(server, 10)


async def _until_listening(host: str, port: int) -> None:
    """The socket is bound before Hypercorn accepts on it: wait for the first accept."""

    async def accepts() -> bool:
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            return False
        writer.close()
        await writer.wait_closed()
        return True

    await until(accepts, timeout=5, every=0.01, what="the fake Bot API accepts")


def alerter(
    fake: FakeBotApi, chat_ids: tuple[str, ...] = ("11111111", "22222222"), token: str = TOKEN
) -> TelegramAlerter:
    settings = TelegramSettings(
        api_key=token, chat_ids=chat_ids, api_base_url=fake.base_url, timeout_s=5
    )
    return TelegramAlerter(settings)


async def test_message_and_photo_go_to_every_chat(bot_api: FakeBotApi) -> None:
    event = AlertEvent("Alarm at 22:13: movement", 1.0, snapshot_jpeg=JPEG)
    await alerter(bot_api).send(event)
    path = f"/bot{TOKEN}"
    assert bot_api.calls == [
        {
            "path": f"{path}/sendMessage",
            "method": "POST",
            "json": {"chat_id": "11111111", "text": "Alarm at 22:13: movement"},
        },
        {
            "path": f"{path}/sendPhoto",
            "method": "POST",
            "form": {"chat_id": "11111111"},
            "files": {"photo": ("snapshot.jpg", "image/jpeg", JPEG)},
        },
        {
            "path": f"{path}/sendMessage",
            "method": "POST",
            "json": {"chat_id": "22222222", "text": "Alarm at 22:13: movement"},
        },
        {
            "path": f"{path}/sendPhoto",
            "method": "POST",
            "form": {"chat_id": "22222222"},
            "files": {"photo": ("snapshot.jpg", "image/jpeg", JPEG)},
        },
    ]


async def test_without_a_snapshot_only_the_message_is_sent(bot_api: FakeBotApi) -> None:
    await alerter(bot_api, chat_ids=("7",)).send(AlertEvent("Test alert", 1.0, is_test=True))
    assert [(c["path"].rsplit("/", 1)[1], c["json"]) for c in bot_api.calls] == [
        ("sendMessage", {"chat_id": "7", "text": "Test alert"})
    ]


async def test_a_failing_chat_does_not_stop_the_others(bot_api: FakeBotApi) -> None:
    event = AlertEvent("Alarm", 1.0, snapshot_jpeg=JPEG)
    with pytest.raises(AlerterError, match=r"^telegram: delivery failed for chat\(s\) 404$"):
        await alerter(bot_api, chat_ids=(UNKNOWN_CHAT, "5")).send(event)
    delivered = [
        (c["path"].rsplit("/", 1)[1], (c.get("json") or c["form"])["chat_id"])
        for c in bot_api.calls
    ]
    assert delivered == [("sendMessage", "404"), ("sendMessage", "5"), ("sendPhoto", "5")]


async def test_a_wrong_token_is_an_error_without_the_token(bot_api: FakeBotApi) -> None:
    with pytest.raises(AlerterError) as caught:
        await alerter(bot_api, chat_ids=("5",), token="999:wrong").send(AlertEvent("A", 1.0))
    assert "999:wrong" not in str(caught.value)


async def test_an_unreachable_api_is_an_error_without_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A port nothing listens on: bind one, note it, close it.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = TelegramSettings(
        api_key=TOKEN, chat_ids=("5",), api_base_url=f"http://127.0.0.1:{port}", timeout_s=2
    )
    with pytest.raises(AlerterError) as caught:
        await TelegramAlerter(settings).send(AlertEvent("A", 1.0))
    assert str(caught.value) == "telegram: delivery failed for chat(s) 5"
    assert "sendMessage: ConnectError" in caplog.text
    assert TOKEN not in caplog.text and TOKEN not in str(caught.value)
