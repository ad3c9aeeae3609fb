"""The alarm worker end to end: the pedestrian footage pushed through a real relay at 25 fps,
the worker raises the alarm, and every face and alerter shows it: WebSocket status and
metrics on the real port, /snapshot, /config, /raw-video, the web page's MJPEG view, the
fake Bot API, the local SSH siren, and the alarm message and records on the relay."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
import websockets

from camrelay.clients.relay import RelayClient
from camrelay.workers.alarm.alerters.dispatcher import RetryPolicy
from camrelay.workers.alarm.app import AlarmApp
from camrelay.workers.alarm.config import AlarmConfig, config_document, validate_config
from camrelay.workers.alarm.worker import AlarmWorker
from camrelay.workers.common.mjpeg import BOUNDARY
from camrelay.workers.common.stream_source import Backoff, StreamSource
from tests.support.clip import clip_iter
from tests.support.relay_server import RelayServer
from tests.support.until import until
from tests.workers.alarm.test_alarm_siren import COMMAND, FakeSirenHost
from tests.workers.alarm.test_alarm_telegram import TOKEN, FakeBotApi

PUSH_FPS = 25.0
METRICS_TYPES = {
    "timeStamp": float,
    "sysCpuPercent": float,
    "sysMemPercent": float,
    "capCpuPercent": float,
    "capMemPercent": float,
    "socketConnections": int,
    "loopAvgS": float,
    "loopMaxS": float,
    "loopMinS": float,
}
FAST_RETRY = RetryPolicy(attempts=2, first_delay_s=0.1, attempt_timeout_s=10)


@pytest.fixture(scope="module")
def footage(footage_file: Path) -> list[bytes]:
    """Every second frame of the 50 fps file as JPEG: its own pace when pushed at 25 fps."""
    return [
        cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 70])[1].tobytes()
        for frame in clip_iter(footage_file, step=2)
    ]


def worker_config(tmp_path: Path, **sections: dict[str, Any]) -> AlarmConfig:
    """Local ports, always armed, the crowd threshold; sections override."""
    data: dict[str, Any] = {
        "server": {"host_name": "127.0.0.1", "websocket_port": 0, "webserver_port": 0},
        "flags": {"config_path": str(tmp_path / "alarm.toml"), "test": True},
        "processing": {"fps": 2, "pixel_threshold_hi": 150_000},
        "alerting": {"alert_time_s": 2, "min_movement_s": 1, "alarm_hysteresis_s": 600},
        "alerters": {
            "telegram": {"enabled": False},
            "siren": {"enabled": False},
            "relay": {"clip_s": 2.0, "clip_fps": 5.0},
        },
    }
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return validate_config(data)


def relay_client(server: RelayServer, account: tuple[str, str], device: str) -> RelayClient:
    return RelayClient(server.url, account[0], account[1], device, verify=False)


def new_app(config: AlarmConfig, server: RelayServer, account: tuple[str, str]) -> AlarmApp:
    source = StreamSource(
        relay_client(server, account, "alarm"), "cam", Backoff(first_s=0.1, max_s=0.5)
    )
    return AlarmApp(AlarmWorker(config, source, retry=FAST_RETRY))


async def camera(jpegs: list[bytes], stop: asyncio.Event) -> AsyncIterator[bytes]:
    """The footage in a loop at PUSH_FPS until stop."""
    loop = asyncio.get_running_loop()
    started, n = loop.time(), 0
    while not stop.is_set():
        yield jpegs[n % len(jpegs)]
        n += 1
        await asyncio.sleep(max(0.0, started + n / PUSH_FPS - loop.time()))  # a camera's pace


async def next_json(ws: Any, timeout: float = 5) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), timeout)))


async def until_state(ws: Any, state: str, timeout: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while (status := await next_json(ws, timeout))["state"] != state:
            pass
    return status


def is_jpeg_of(data: bytes, shape: tuple[int, int, int]) -> bool:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return image is not None and image.shape == shape


async def test_the_alarm_goes_off_on_real_footage_end_to_end(
    server: RelayServer,
    account: tuple[str, str],
    footage: list[bytes],
    bot_api: FakeBotApi,
    siren_host: FakeSirenHost,
    tmp_path: Path,
) -> None:
    config = worker_config(
        tmp_path,
        alerters={
            "telegram": {
                "api_key": TOKEN,
                "chat_ids": ["11111111"],
                "api_base_url": bot_api.base_url,
            },
            "siren": {
                "ssh_host": "127.0.0.1",
                "ssh_port": siren_host.port,
                "ssh_user": "pi",
                "ssh_key_path": str(siren_host.key_path),
                "command": COMMAND,
                "ssh_known_hosts_path": str(siren_host.known_hosts_path),
            },
            "relay": {"clip_s": 2.0, "clip_fps": 5.0},
        },
    )
    app = new_app(config, server, account)
    await app.start()
    feed = f"ws://127.0.0.1:{app.feed.port}"
    stop_camera = asyncio.Event()
    async with (
        relay_client(server, account, "cam") as cam,
        relay_client(server, account, "phone") as phone,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{app.feed.port}") as http,
        websockets.connect(feed + "/") as root,
        websockets.connect(feed + "/") as other,
        websockets.connect(feed + "/metrics") as metrics,
    ):
        try:
            first = await next_json(root)
            assert list(first) == ["timeStamp", "state", "initialAlarm", "silencedTill"]
            assert (first["state"], first["initialAlarm"]) == ("on", 0.0)
            assert first["silencedTill"] is None
            push = asyncio.create_task(cam.push(camera(footage, stop_camera)))
            alarm = await until_state(root, "alarm")
            assert isinstance(alarm["timeStamp"], int) and alarm["silencedTill"] is None
            assert abs(alarm["initialAlarm"] - alarm["timeStamp"]) <= 1.5
            await check_metrics(metrics)
            await check_http_faces(http, app.worker)
            async with websockets.connect(feed + "/raw-video") as video:
                assert is_jpeg_of(await asyncio.wait_for(video.recv(), 5), (720, 1280, 3))
            await check_page(app.web.url)
            await until(lambda: len(bot_api.calls) == 2 and siren_host.received)
            assert siren_host.received == [("pi", COMMAND)]
            check_telegram(bot_api)
            await check_relay(phone)
            await check_silence(root, other)
        finally:
            stop_camera.set()
            await app.stop()
    await asyncio.wait_for(push, 10)


async def check_metrics(metrics: Any) -> None:
    """Every documented field with its type; the vision loop figures are real."""
    sample = await next_json(metrics, 3)
    while sample["loopMaxS"] == 0.0:  # a second without an analysed frame
        sample = await next_json(metrics, 3)
    assert list(sample) == list(METRICS_TYPES)
    assert {key: type(value) for key, value in sample.items()} == METRICS_TYPES
    assert 0 < sample["loopMinS"] <= sample["loopAvgS"] <= sample["loopMaxS"] < 1
    assert 0 < sample["sysMemPercent"] < 100 and 0 < sample["capMemPercent"] < 1
    assert sample["sysCpuPercent"] > 0 and sample["capCpuPercent"] > 0
    # Our three WebSockets and the worker's own HTTP/2 connection to the relay, at least.
    assert sample["socketConnections"] >= 4


async def check_http_faces(http: httpx.AsyncClient, worker: AlarmWorker) -> None:
    health = await http.get("/health")
    assert (health.status_code, health.text) == (200, "OK")
    snapshot = await http.get("/snapshot")
    assert snapshot.headers["content-type"] == "image/jpeg"
    assert is_jpeg_of(snapshot.content, (720, 1280, 3))

    async def refreshed() -> bool:
        return (await http.get("/snapshot")).content != snapshot.content

    await until(refreshed, timeout=5, every=0.2, what="/snapshot shows a newer frame")
    answer = await http.get("/config")
    assert answer.json() == config_document(worker.config)
    assert list(answer.json()) == [
        "server",
        "camera",
        "flags",
        "processing",
        "alerting",
        "alerters",
        "monitoring",
    ]


async def check_page(url: str) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        page = await http.get("/")
        assert page.headers["content-type"].startswith("text/html")
        assert "<title>camrelay alarm: cam</title>" in page.text and 'src="raw-video"' in page.text
        assert (await http.get("/status")).json()["state"] == "alarm"
        async with http.stream("GET", "/raw-video") as live:
            assert live.headers["content-type"] == f"multipart/x-mixed-replace; boundary={BOUNDARY}"
            part = b""
            async for chunk in live.aiter_bytes():
                part += chunk
                if part.endswith(b"\xff\xd9\r\n"):
                    break
            head, jpeg = part.split(b"\r\n\r\n", 1)
            assert head.startswith(f"--{BOUNDARY}\r\nContent-Type: image/jpeg".encode())
            assert is_jpeg_of(jpeg[:-2], (720, 1280, 3))


def check_telegram(bot_api: FakeBotApi) -> None:
    message, photo = bot_api.calls
    assert message["path"] == f"/bot{TOKEN}/sendMessage"
    assert message["json"]["chat_id"] == "11111111"
    assert message["json"]["text"].startswith("Alarm at ")
    assert message["json"]["text"].endswith(": movement sustained for 2 s")
    assert (photo["path"], photo["form"]) == (f"/bot{TOKEN}/sendPhoto", {"chat_id": "11111111"})
    name, mimetype, jpeg = photo["files"]["photo"]
    assert (name, mimetype) == ("snapshot.jpg", "image/jpeg")
    assert is_jpeg_of(jpeg, (720, 1280, 3))


async def check_relay(phone: RelayClient) -> None:
    """The broadcast `alarm` with the snapshot and the clip as records of the account."""

    async def alarms() -> list[Any]:
        return [m for m in await phone.messages_and_sync() if m.msg == "alarm"]

    [message] = await until(alarms, timeout=10, every=0.1, what="the relay's alarm message")
    assert message.device == "alarm"
    params = message.params
    assert sorted(params) == ["at", "camera", "message", "records", "state"]
    assert (params["camera"], params["state"]) == ("cam", "alarm")
    snapshot_rid, clip_rid = params["records"]
    assert (await phone.record_meta(snapshot_rid)).meta == "JPEG"
    assert is_jpeg_of(await phone.record_data(snapshot_rid), (720, 1280, 3))
    assert (await phone.record_meta(clip_rid)).meta == "MJPEG"
    clip = await phone.record_data(clip_rid)
    frames = clip.split(b"\xff\xd9\xff\xd8")
    # 2 s thinned to 5 fps: at most 11 frames, each a whole JPEG once the split markers are put
    # back; a loaded machine delivers the camera's frames less often (8 seen), so at least 5.
    assert 5 <= len(frames) <= 11
    assert is_jpeg_of(frames[0] + b"\xff\xd9", (720, 1280, 3))


async def check_silence(root: Any, other: Any) -> None:
    """silence answers its sender only; everyone sees the state change at once."""
    while (await next_json(other))["state"] != "alarm":
        pass
    await root.send(json.dumps({"command": "silence", "data": {"silenceFor": 60}}))
    replies = []
    async with asyncio.timeout(5):
        while not replies:
            message = await next_json(root)
            if "status" in message:
                replies.append(message)
    assert replies == [{"status": "OK"}]
    silenced = await until_state(other, "silenced", timeout=5)
    assert silenced["silencedTill"] - silenced["timeStamp"] == pytest.approx(60, abs=1.5)
    heard = []
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2.5):
            while True:
                heard.append(await next_json(other))
    assert len(heard) >= 2 and [m for m in heard if "status" in m] == []  # heartbeats only
