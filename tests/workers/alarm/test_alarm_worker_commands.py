"""The alarm worker's commands over its real WebSocket port: bad data answers {"error": …}
and changes nothing (state, /config, the file); config_update applies and writes the file
back; a file that cannot be written changes nothing; shutdown stops the worker."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from camrelay.workers.alarm.app import AlarmApp
from camrelay.workers.alarm.config import AlarmConfig, load_config
from tests.support.relay_server import RelayServer
from tests.workers.alarm.test_alarm_worker_e2e import new_app, next_json, worker_config

BAD_COMMANDS = [
    ("not json", "message is not valid JSON"),
    ("[1]", 'a command is an object: {"command": …, "data": {…}}'),
    ({"data": {}}, "command: Field required"),
    (
        {"command": "dance"},
        "unknown command 'dance'; known: silence, test, config_update, shutdown",
    ),
    ({"command": "silence", "data": [1]}, "data: Input should be a valid dictionary"),
    ({"command": "silence", "data": {}}, "silence: silenceFor: Field required"),
    (
        {"command": "silence", "data": {"silenceFor": -1}},
        "silence: silenceFor: Input should be greater than or equal to 0",
    ),
    (
        {"command": "silence", "data": {"silenceFor": "x"}},
        "silence: silenceFor: Input should be a valid number, unable to parse string as a number",
    ),
    (
        {"command": "silence", "data": {"silenceFor": 60}},
        "cannot silence: the alarm is off (outside its schedule)",
    ),
    (
        {"command": "test", "data": {"excluded": "telegram"}},
        "test: excluded: Input should be a valid list",
    ),
    ({"command": "config_update", "data": {}}, "config_update: config: Field required"),
    (
        {"command": "config_update", "data": {"config": {"processing": {"gauss_ksize": 4}}}},
        "processing.gauss_ksize: gauss_ksize must be odd and positive, got 4",
    ),
    ({"command": "config_update", "data": {"config": {"nope": 1}}}, "nope: unknown setting"),
    (
        {"command": "shutdown", "data": {"shutdownIn": "soon"}},
        "shutdown: shutdownIn: Input should be a valid number, unable to parse string as a number",
    ),
]


def off_now(tmp_path: Path) -> AlarmConfig:
    """A window that opens in two hours (UTC): the alarm is off."""
    start = datetime.now(UTC) + timedelta(hours=2)
    end = start + timedelta(hours=1)
    return worker_config(
        tmp_path,
        server={"timezone": "UTC"},
        flags={"test": False},
        alerting={"start_time": start.strftime("%H:%M"), "end_time": end.strftime("%H:%M")},
    )


async def ask(ws: Any, command: object) -> dict[str, Any]:
    """Send a command and return its reply (heartbeats are skipped)."""
    await ws.send(command if isinstance(command, str) else json.dumps(command))
    while True:
        message = await next_json(ws)
        if "timeStamp" not in message:
            return message


async def started(app: AlarmApp) -> asyncio.Task[None]:
    ready = asyncio.Event()
    run = asyncio.create_task(app.run(on_ready=lambda _: ready.set()))
    await asyncio.wait_for(ready.wait(), 10)
    return run


async def test_bad_commands_answer_an_error_and_change_nothing(
    server: RelayServer, account: tuple[str, str], tmp_path: Path
) -> None:
    app = new_app(off_now(tmp_path), server, account)
    worker, run = app.worker, await started(app)
    feed = f"127.0.0.1:{app.feed.port}"
    config_file = Path(worker.config.flags.config_path)
    try:
        async with (
            httpx.AsyncClient(base_url=f"http://{feed}") as http,
            websockets.connect(f"ws://{feed}/") as ws,
        ):
            assert (await next_json(ws))["state"] == "off"
            before = (await http.get("/config")).json()
            for command, error in BAD_COMMANDS:
                assert await ask(ws, command) == {"error": error}, command
            assert (await http.get("/config")).json() == before
            assert worker.status_message()["state"] == "off"
            assert not config_file.exists()
    finally:
        await app.stop()
        await run


async def test_config_update_applies_and_writes_the_file_back(
    server: RelayServer, account: tuple[str, str], tmp_path: Path
) -> None:
    app = new_app(worker_config(tmp_path), server, account)
    worker, run = app.worker, await started(app)
    feed = f"127.0.0.1:{app.feed.port}"
    config_file = Path(worker.config.flags.config_path)
    update = {"processing": {"fps": 5, "gauss_ksize": 21}, "alerting": {"alert_time_s": 30}}
    try:
        async with (
            httpx.AsyncClient(base_url=f"http://{feed}") as http,
            websockets.connect(f"ws://{feed}/") as ws,
        ):
            await next_json(ws)
            reply = await ask(ws, {"command": "config_update", "data": {"config": update}})
            assert reply == {"status": "OK"}
            written = load_config(config_file)
            assert written == worker.config
            assert (written.processing.fps, written.processing.gauss_ksize) == (5, 21)
            assert written.alerting.alert_time_s == 30
            assert worker.vision._detector.settings == written.processing
            assert (await http.get("/config")).json()["processing"]["fps"] == 5
            # A file that cannot be written: an error, and the configuration stays.
            blocker = tmp_path / "not-a-dir"
            blocker.write_text("")
            bad = {"flags": {"config_path": f"{blocker}/alarm.toml"}, "processing": {"fps": 9}}
            reply = await ask(ws, {"command": "config_update", "data": {"config": bad}})
            error = f"config not applied: cannot write {blocker}/alarm.toml: Not a directory"
            assert reply == {"error": error}
            assert worker.config == written and worker.machine.config == written
            assert (await http.get("/config")).json()["processing"]["fps"] == 5
    finally:
        await app.stop()
        await run


async def test_shutdown_stops_the_worker_after_the_delay(
    server: RelayServer, account: tuple[str, str], tmp_path: Path
) -> None:
    app = new_app(worker_config(tmp_path), server, account)
    run = await started(app)
    loop = asyncio.get_running_loop()
    async with websockets.connect(f"ws://127.0.0.1:{app.feed.port}/") as ws:
        await next_json(ws)
        asked = loop.time()
        assert await ask(ws, {"command": "shutdown", "data": {"shutdownIn": 1}}) == {"status": "OK"}
        await asyncio.wait_for(run, 10)
        assert 1.0 <= loop.time() - asked < 5
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", app.feed.port)
