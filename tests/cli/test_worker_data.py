"""`camrelay counter` and `camrelay alarm` keep their files in a data directory (--data, by
default ./data/KIND-CAMERA/), never in the directory they were started from, and say where."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets

from camrelay.cli import alarm as alarm_cli
from camrelay.cli import counter as counter_cli
from camrelay.workers.alarm.config import load_config
from tests.support.relay_server import RelayServer

REPO = Path(__file__).resolve().parents[2]
ALARM_PORTS = '[server]\nhost_name = "127.0.0.1"\nwebsocket_port = 0\nwebserver_port = 0\n'


def parse(*argv: str) -> argparse.Namespace:
    root = argparse.ArgumentParser()
    commands = root.add_subparsers()
    counter_cli.add_parser(commands)
    alarm_cli.add_parser(commands)
    return root.parse_args(list(argv))


def test_counter_files_default_to_data_kind_camera_and_follow_data(tmp_path: Path) -> None:
    settings = counter_cli.counter_settings(parse("counter", "--camera", "cam1"))
    assert settings.database == Path("data/counter-cam1/counter.sqlite3")
    assert settings.faces.directory == Path("data/counter-cam1/faces")
    settings = counter_cli.counter_settings(parse("counter", "--camera", "cam1", "--data", "d"))
    assert settings.database == Path("d/counter.sqlite3")
    assert settings.faces.directory == Path("d/faces")


def test_an_absolute_counter_path_stays_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAMRELAY_COUNTER_DATABASE", str(tmp_path / "elsewhere.sqlite3"))
    settings = counter_cli.counter_settings(parse("counter", "--camera", "cam1"))
    assert settings.database == tmp_path / "elsewhere.sqlite3"


def test_the_alarm_reads_and_writes_alarm_toml_in_its_data_directory(tmp_path: Path) -> None:
    args = parse("alarm", "--camera", "cam1", "--data", str(tmp_path))
    assert alarm_cli.alarm_config(args).flags.config_path == str(tmp_path / "alarm.toml")
    (tmp_path / "alarm.toml").write_text("[processing]\nfps = 7\n")
    config = alarm_cli.alarm_config(args)
    assert (config.processing.fps, config.flags.config_path) == (7, str(tmp_path / "alarm.toml"))
    default = alarm_cli.alarm_config(parse("alarm", "--camera", "cam1"))
    assert default.flags.config_path == str(Path("data/alarm-cam1/alarm.toml"))


def start(
    kind: str, server: RelayServer, account: tuple[str, str], cwd: Path, *extra: str
) -> subprocess.Popen[str]:
    """`camrelay KIND` started in `cwd`, running this checkout."""
    env = {
        **os.environ,
        "CAMRELAY_PASSWORD": account[1],
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    command = [
        sys.executable,
        "-m",
        "camrelay",
        kind,
        "--server",
        server.url,
        "--user",
        account[0],
        "--insecure",
        "--camera",
        "cam1",
        *extra,
    ]
    return subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def lines_until(process: subprocess.Popen[str], prefix: str) -> list[str]:
    """The lines the process printed, up to the first that starts with `prefix`."""
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith(prefix):
        line = await asyncio.wait_for(asyncio.to_thread(process.stdout.readline), 60)
        assert line, f"exited before {prefix!r}: {lines}"
        lines.append(line.rstrip("\n"))
    return lines


async def test_the_counter_keeps_its_files_in_data_counter_camera(
    server: RelayServer,
    account: tuple[str, str],
    tmp_path: Path,
    processes: list[subprocess.Popen[str]],
) -> None:
    processes.append(start("counter", server, account, tmp_path, "--port", "0"))
    lines = await lines_until(processes[0], "camrelay counter: feed on ")
    folder = tmp_path / "data" / "counter-cam1"
    assert lines[0] == f"camrelay counter: files in {folder}"
    assert (folder / "counter.sqlite3").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["data"]
    own = tmp_path / "own"
    processes.append(start("counter", server, account, tmp_path, "--port", "0", "--data", "own"))
    lines = await lines_until(processes[1], "camrelay counter: feed on ")
    assert lines[0] == f"camrelay counter: files in {own}"
    assert (own / "counter.sqlite3").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "own"]


async def test_the_alarm_writes_config_updates_into_its_data_directory(
    server: RelayServer,
    account: tuple[str, str],
    tmp_path: Path,
    processes: list[subprocess.Popen[str]],
) -> None:
    folder = tmp_path / "data" / "alarm-cam1"
    folder.mkdir(parents=True)
    (folder / "alarm.toml").write_text(ALARM_PORTS)  # free ports: read from the data directory
    processes.append(start("alarm", server, account, tmp_path))
    lines = await lines_until(processes[0], "camrelay alarm: feed on ")
    assert lines[0] == f"camrelay alarm: files in {folder}"
    feed = lines[-1].split("ws://", 1)[1]
    update = {"command": "config_update", "data": {"config": {"processing": {"fps": 5}}}}
    async with websockets.connect(f"ws://{feed}/") as ws:
        await ws.send(json.dumps(update))
        while "timeStamp" in (reply := json.loads(await asyncio.wait_for(ws.recv(), 10))):
            pass  # a heartbeat
    assert reply == {"status": "OK"}
    assert load_config(folder / "alarm.toml").processing.fps == 5
    assert [p.name for p in tmp_path.iterdir()] == ["data"]
    assert [p.name for p in folder.iterdir()] == ["alarm.toml"]
