"""The camera pusher and the viewer against a real relay: live JPEGs, device messages,
reconnecting after the server went away, and the push/pull commands."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from camrelay.clients.backoff import Backoff
from camrelay.clients.camera import RECONNECT, CameraPusher
from camrelay.clients.progress import Throughput
from camrelay.clients.relay import RelayClient
from camrelay.clients.sources import CaptureSource, SyntheticSource, open_source
from camrelay.clients.state import StateClient, StateError
from camrelay.clients.viewer import watch
from tests.support.relay_server import RelayServer, free_port
from tests.support.until import until


def decode(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image


@pytest.fixture
async def camera(server: RelayServer, account: tuple[str, str]) -> AsyncIterator[CameraPusher]:
    client = RelayClient(server.url, *account, "cam", verify=False)
    pusher = CameraPusher(client, SyntheticSource(320, 240), fps=20)
    task = asyncio.create_task(pusher.run())
    yield pusher
    pusher.stop()
    await task
    await client.close()


async def wait_streaming(client: RelayClient, device: str = "cam") -> None:
    async def listed() -> bool:
        return any(s.device == device for s in await client.streams())

    await until(listed, what=f"{device} streams")


async def test_viewers_get_live_jpegs(
    server: RelayServer, account: tuple[str, str], camera: CameraPusher
) -> None:
    async with RelayClient(server.url, *account, "viewer", verify=False) as viewer:
        await wait_streaming(viewer)
        frames: list[bytes] = []
        await asyncio.wait_for(watch(viewer, "cam", frames.append, Throughput(), limit=10), 20)
    images = [decode(f) for f in frames]
    assert [im.shape for im in images] == [(240, 320, 3)] * 10
    assert not np.array_equal(images[0], images[-1])  # the scene moves
    assert camera.stats.frames >= 10


async def test_device_messages_are_answered(
    server: RelayServer, account: tuple[str, str], camera: CameraPusher
) -> None:
    async with RelayClient(server.url, *account, "phone", verify=False) as phone:
        await wait_streaming(phone)
        for msg, params in (
            ("ping", {}),
            ("set_fps", {"fps": 5}),
            ("set_fps", {"fps": "x"}),
            ("status", {}),
            ("snapshot", {}),
            ("unknown", {}),
        ):
            await phone.send(msg, target="cam", params=params)
        replies = []

        async def five_replies() -> bool:
            replies.extend(await phone.messages_and_sync())
            return len(replies) >= 5

        await until(five_replies, every=0.1)
        by_name = {m.msg: m for m in replies}
        assert [m.msg for m in replies] == ["pong", "ok", "error", "status", "snapshot"]
        assert all(m.device == "cam" for m in replies)
        assert by_name["ok"].params == {"msg": "set_fps", "fps": 5.0}
        assert by_name["status"].params["fps"] == 5.0
        assert set(by_name["status"].params) == {
            "source",
            "fps",
            "frames",
            "bytes",
            "drops",
            "reconnects",
        }
        snapshot = await phone.record_data(by_name["snapshot"].params["rid"])
        assert decode(snapshot).shape == (240, 320, 3)


@pytest.mark.parametrize(
    "reconnect",
    [RECONNECT, Backoff(first_s=600.0, max_s=600.0)],
    ids=["its-backoff", "woken-by-the-poll"],
)
async def test_pusher_reconnects_after_the_server_comes_back(
    data_dir: Path, reconnect: Backoff
) -> None:
    """Back within the first backoff steps; and with a 10-minute backoff too, since the message
    poll answering again ends the upload's wait."""
    server = RelayServer(data_dir, port=free_port()).start()
    await server.add_account("owner", "pw")
    client = RelayClient(server.url, "owner", "pw", "cam", verify=False)
    pusher = CameraPusher(client, SyntheticSource(160, 120), fps=20, reconnect=reconnect)
    task = asyncio.create_task(pusher.run())
    try:
        async with RelayClient(server.url, "owner", "pw", "watcher", verify=False) as watcher:
            await wait_streaming(watcher)
        server.kill()
        await until(
            lambda: pusher.stats.reconnects >= 1 and pusher.server_lost,
            what="the pusher saw the server go",
        )
        server.start()
        async with RelayClient(server.url, "owner", "pw", "watcher", verify=False) as watcher:
            await wait_streaming(watcher)
        await until(lambda: not pusher.server_lost, what="the message poll answers again")
    finally:
        pusher.stop()
        await task
        await client.close()
        server.stop()
    assert pusher.stats.reconnects >= 1


def test_a_video_file_loops_as_a_camera(video_file: Path) -> None:
    source = CaptureSource(str(video_file), loop=True, size=(320, 180))
    frames = [source.read() for _ in range(150)]  # the file has 60
    source.close()
    assert frames[-1].shape == (180, 320, 3)
    assert isinstance(open_source("synthetic", (64, 48)), SyntheticSource)
    with pytest.raises(ValueError):
        open_source("/no/such/file.avi", None)


def cli(server: RelayServer, account: tuple[str, str]) -> tuple[dict[str, str], list[str]]:
    """The environment and the options a camrelay command needs to reach the account."""
    env = {**os.environ, "CAMRELAY_PASSWORD": account[1]}
    return env, ["--server", server.url, "--user", account[0], "--insecure"]


def start_push(
    server: RelayServer, account: tuple[str, str], device: str
) -> subprocess.Popen[bytes]:
    """A real `camrelay push` of a 320x240 synthetic scene at 15 fps."""
    env, common = cli(server, account)
    command = ["push", *common, "--device", device, "--size", "320x240", "--fps", "15"]
    return subprocess.Popen(
        [sys.executable, "-m", "camrelay", *command], env=env, stderr=subprocess.PIPE
    )


async def test_push_and_pull_commands(
    server: RelayServer, account: tuple[str, str], tmp_path: Path
) -> None:
    env, common = cli(server, account)
    pusher = start_push(server, account, "clicam")
    mjpeg = tmp_path / "out.mjpeg"
    try:
        pulled = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "camrelay",
                "pull",
                *common,
                "--device",
                "clicam",
                "--mjpeg",
                str(mjpeg),
                "--frames",
                "5",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        pusher.terminate()
        _, progress = pusher.communicate(timeout=20)
    assert pulled.returncode == 0
    assert "frames 5" in pulled.stderr
    data = mjpeg.read_bytes()
    assert data.count(b"\xff\xd8\xff") == 5 and data.endswith(b"\xff\xd9")
    assert pusher.returncode == 0 and b"fps" in progress


async def test_push_applies_the_state_message_and_reports_it(
    server: RelayServer, account: tuple[str, str]
) -> None:
    await server.add_camera(account[0], "statecam")  # a camera: its state socket opens at once
    pusher = start_push(server, account, "statecam")
    try:
        async with (
            RelayClient(server.url, *account, "phone", verify=False) as phone,
            StateClient(
                server.url,
                device="statecam",
                username=account[0],
                password=account[1],
                verify=False,
            ) as cam,
        ):
            await wait_streaming(phone, "statecam")

            async def brightness() -> float:
                frames: list[bytes] = []
                await asyncio.wait_for(
                    watch(phone, "statecam", frames.append, Throughput(), limit=3), 20
                )
                return float(np.mean([decode(f).mean() for f in frames]))

            before = await brightness()
            with pytest.raises(StateError) as refused:
                await cam.set(brightness=90, cam1_light=True, pip_mode="pip", nonsense=1)
            assert (refused.value.key, refused.value.error) == ("nonsense", "Unknown key")
            assert refused.value.accepted == {
                "brightness": 90,
                "cam1-light": True,
                "pip-mode": "pip",
            }

            async def brighter() -> float:
                now = await brightness()
                return now if now > before + 50 else 0.0

            after = await until(brighter, what="the pushed frames got brighter")
            reports = []

            async def reported() -> bool:
                reports.extend(
                    m for m in await phone.messages_and_sync() if m.msg == "state-report"
                )
                return bool(reports)

            await until(reported, every=0.1, what="state-report")
            # The report matches what the relay holds: nothing to broadcast (§5).
            assert await cam.get("brightness", "cam1-light") == {
                "brightness": 90,
                "cam1-light": True,
            }
    finally:
        pusher.terminate()
        pusher.communicate(timeout=20)
    assert after > before + 50
    assert [(m.device, m.params) for m in reports] == [
        ("statecam", {"brightness": 90, "cam1-light": True})
    ]
