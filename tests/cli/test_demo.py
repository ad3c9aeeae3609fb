"""`camrelay demo` (what `make run` starts): the account it prints works, its camera streams,
and its terminal shows a summary line instead of one access-log line per request."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websockets

from camrelay.clients.relay import RelayClient
from tests.support.relay_server import free_port
from tests.support.until import until

# One access-log line: 127.0.0.1:PORT "POST /authorize.json 2" 200 54 1234us
ACCESS_LINE = re.compile(r'"(GET|POST|PUT) /\S* 2" \d{3} ')
SUMMARY_LINE = re.compile(
    r"^\d\d:\d\d:\d\d cameras \d+  viewers \d+  frames/s [\d.]+  requests/s [\d.]+$", re.M
)


@dataclass
class Terminal:
    """The demo's terminal (stdout and stderr): what it printed up to its guide, and the lines
    after it as they come."""

    demo: subprocess.Popen[str]
    guide: str
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.demo.stdout is not None
        self.lines.extend(self.demo.stdout)

    def shown(self, pattern: str) -> bool:
        """Whether a line after the guide matches `pattern`."""
        return any(re.search(pattern, line) for line in list(self.lines))

    def stop(self) -> str:
        """Ctrl-C; everything printed after the guide."""
        self.demo.send_signal(signal.SIGINT)
        self.demo.wait(timeout=30)
        self._reader.join(10)
        return "".join(self.lines)


def start_demo(*args: str) -> Terminal:
    """The demo, once it has printed its guide."""
    demo = subprocess.Popen(
        [sys.executable, "-m", "camrelay", "demo", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert demo.stdout is not None
    text = ""
    while "Stop with Ctrl-C." not in text:
        line = demo.stdout.readline()
        assert line, f"the demo exited:\n{text}"
        text += line
    return Terminal(demo, text)


async def test_demo_prints_a_working_account_and_streams_a_camera(tmp_path: Path) -> None:
    port, alarm_port, alarm_web, counter = free_port(), free_port(), free_port(), free_port()
    command = [
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
        "--summary-every",
        "1",
    ]
    terminal = start_demo(*command)
    demo, text = terminal.demo, terminal.guide
    try:
        password = re.search(r"account: demo   password: (\S+)", text).group(1)  # type: ignore[union-attr]
        assert (tmp_path / "demo-password.txt").read_text().strip() == password
        assert "output.raw?shash=SHASH&device=demo-cam" in text
        async with RelayClient(
            f"https://127.0.0.1:{port}", "demo", password, "t", verify=False
        ) as viewer:

            async def streaming() -> bool:
                return [s.device for s in await viewer.streams()] == ["demo-cam"]

            await until(streaming, timeout=60, every=0.1, what="demo-cam streams")
            frames = []
            async for frame in viewer.pull("demo-cam"):
                frames.append(frame)
                if len(frames) == 3:
                    break
        async with httpx.AsyncClient() as http:

            async def workers_answer() -> tuple[httpx.Response, httpx.Response, Any] | None:
                try:
                    health = await http.get(f"http://127.0.0.1:{alarm_port}/health")
                    page = await http.get(f"http://127.0.0.1:{alarm_web}/")
                    async with websockets.connect(f"ws://127.0.0.1:{counter}/") as feed:
                        first = json.loads(await asyncio.wait_for(feed.recv(), 10))
                except (httpx.TransportError, OSError):
                    return None
                return health, page, first

            # The workers start slowly on a busy machine.
            health, page, first = await until(workers_answer, timeout=60, every=0.2)
        assert f"http://127.0.0.1:{alarm_web}/" in text
        await until(lambda: terminal.shown(r"cameras 1  viewers [1-9]"), timeout=60)
    finally:
        rest = terminal.stop()
    assert all(f.startswith(b"\xff\xd8") for f in frames)
    assert health.status_code == 200 and page.status_code == 200
    assert first["type"] in ("frame", "stats")
    assert demo.returncode == 0, rest
    assert "Traceback" not in rest  # a clean Ctrl-C: the workers stop before the server
    # The terminal: the guide, then summary lines, no access log; that is in the data dir.
    assert f"Access log: {tmp_path / 'access.log'}" in text
    assert not ACCESS_LINE.search(text + rest), text + rest
    assert SUMMARY_LINE.search(rest), rest
    access = (tmp_path / "access.log").read_text()
    # A stream's line is written when it ends; every client's authorization is there.
    assert '"POST /authorize.json 2" 200 ' in access, access
    # Each worker keeps its files and log in its own data directory.
    assert (tmp_path / "counter-demo-cam" / "counter.sqlite3").is_file()
    assert "camrelay alarm: feed on" in (tmp_path / "alarm-demo-cam" / "alarm.log").read_text()


async def test_access_log_dash_shows_requests_on_the_terminal(tmp_path: Path) -> None:
    port = free_port()
    terminal = start_demo(
        "--data",
        str(tmp_path),
        "--listen",
        f"127.0.0.1:{port}",
        "--no-camera",
        "--access-log",
        "-",
    )
    try:
        password = re.search(r"password: (\S+)", terminal.guide).group(1)  # type: ignore[union-attr]
        async with RelayClient(f"https://127.0.0.1:{port}", "demo", password, "t", verify=False):
            pass  # authorize.json
        await until(lambda: terminal.shown(r'"POST /authorize.json 2" 200 '), timeout=10)
    finally:
        terminal.stop()
    assert "Access log: here" in terminal.guide
    assert not (tmp_path / "access.log").exists()
