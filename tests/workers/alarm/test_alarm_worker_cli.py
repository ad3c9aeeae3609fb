"""`camrelay alarm` as a process (its module's parser, as camrelay.cli.main registers it):
announces its ports, serves, stops on the shutdown command; a wrong password ends it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import websockets

from tests.support.relay_server import RelayServer

RUN_ALARM = (
    "import argparse, sys\n"
    "from camrelay.cli import alarm\n"
    "root = argparse.ArgumentParser(prog='camrelay')\n"
    "alarm.add_parser(root.add_subparsers())\n"
    "args = root.parse_args(sys.argv[1:])\n"
    "sys.exit(args.run(args))\n"
)
CONFIG = """
[server]
host_name = "127.0.0.1"
websocket_port = 0
webserver_port = 0
[flags]
log_level = "info"
"""


def start(
    server: RelayServer, user: str, password: str, config: Path, **extra_env: str
) -> subprocess.Popen[str]:
    env = {**os.environ, "CAMRELAY_PASSWORD": password, **extra_env}
    command = [
        sys.executable,
        "-c",
        RUN_ALARM,
        "alarm",
        "--server",
        server.url,
        "--camera",
        "cam",
        "--user",
        user,
        "--insecure",
        "--config",
        str(config),
        "--data",
        str(config.parent / "data"),
    ]
    return subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_serves_and_stops_on_shutdown(
    server: RelayServer, account: tuple[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "alarm.toml"
    config.write_text(CONFIG)
    process = start(server, *account, config, CAMRELAY_ALARM_PROCESSING_FPS="7")
    try:
        assert process.stdout is not None
        files_line = await asyncio.to_thread(process.stdout.readline)
        feed_line = await asyncio.to_thread(process.stdout.readline)
        page_line = await asyncio.to_thread(process.stdout.readline)
        assert files_line == f"camrelay alarm: files in {tmp_path / 'data'}\n"
        assert feed_line.startswith("camrelay alarm: feed on ws://127.0.0.1:")
        assert page_line.startswith("camrelay alarm: page on http://127.0.0.1:")
        feed = feed_line.split("ws://", 1)[1].strip()
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"http://{feed}/health")).text == "OK"
            shown = (await http.get(f"http://{feed}/config")).json()
            assert shown["flags"]["config_path"] == str(config)
            assert shown["processing"]["fps"] == 7  # CAMRELAY_ALARM_* over the file
            page = await http.get(page_line.split(" on ", 1)[1].strip() + "/")
            assert "camrelay alarm: cam" in page.text
        async with websockets.connect(f"ws://{feed}/") as ws:
            assert json.loads(await ws.recv())["state"] in ("on", "off")
            await ws.send(json.dumps({"command": "shutdown", "data": {"shutdownIn": 0}}))
            while "timeStamp" in (reply := json.loads(await ws.recv())):
                pass  # a heartbeat
            assert reply == {"status": "OK"}
        assert await asyncio.to_thread(process.wait, 15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_a_wrong_password_ends_with_a_message(
    server: RelayServer, account: tuple[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "alarm.toml"
    config.write_text(CONFIG)
    process = start(server, account[0], "wrong", config)
    _, stderr = await asyncio.to_thread(process.communicate, None, 30)
    assert process.returncode == 1
    assert stderr.splitlines()[-1] == "camrelay alarm: wrong user name or password"
