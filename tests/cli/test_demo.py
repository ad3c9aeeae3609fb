"""`camrelay demo` (what `make run` starts): the account it prints works, and its camera streams."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import websockets

from camrelay.clients.relay import RelayClient
from tests.support.relay_server import free_port


async def test_demo_prints_a_working_account_and_streams_a_camera(tmp_path: Path) -> None:
    port, alarm_port, alarm_web, counter = free_port(), free_port(), free_port(), free_port()
    command = [
        "demo",
        "--data",
        str(tmp_path),
        "--listen",
        f"127.0.0.1:{port}",
        "--alarm-port",
        str(alarm_port),
        "--alarm-web-port",
        str(alarm_web),
        "--counter-port",
        str(counter),
    ]
    demo = subprocess.Popen(
        [sys.executable, "-m", "camrelay", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert demo.stdout is not None
    text = ""
    while "Stop with Ctrl-C." not in text:
        text += demo.stdout.readline()
    try:
        password = re.search(r"account: demo   password: (\S+)", text).group(1)  # type: ignore[union-attr]
        assert (tmp_path / "demo-password.txt").read_text().strip() == password
        assert "output.raw?shash=SHASH&device=demo-cam" in text
        async with RelayClient(
            f"https://127.0.0.1:{port}", "demo", password, "t", verify=False
        ) as viewer:
            for _ in range(200):
                if [s.device for s in await viewer.streams()] == ["demo-cam"]:
                    break
                await asyncio.sleep(0.1)
            frames = []
            async for frame in viewer.pull("demo-cam"):
                frames.append(frame)
                if len(frames) == 3:
                    break
        async with httpx.AsyncClient() as http:
            for _ in range(300):  # the alarm worker starts (slowly on a busy machine)
                try:
                    health = await http.get(f"http://127.0.0.1:{alarm_port}/health")
                    page = await http.get(f"http://127.0.0.1:{alarm_web}/")
                    async with websockets.connect(f"ws://127.0.0.1:{counter}/") as feed:
                        first = json.loads(await asyncio.wait_for(feed.recv(), 10))
                    break
                except (httpx.TransportError, OSError):
                    await asyncio.sleep(0.2)
        assert f"http://127.0.0.1:{alarm_web}/" in text
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=30)
    assert all(f.startswith(b"\xff\xd8") for f in frames)
    assert health.status_code == 200 and page.status_code == 200
    assert first["type"] in ("frame", "stats")
    rest = demo.stdout.read()
    assert demo.returncode == 0, rest
    assert "Traceback" not in rest  # a clean Ctrl-C: the workers stop before the server
