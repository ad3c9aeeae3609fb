"""`camrelay demo`: the server on its defaults with a demo account, a synthetic camera pushing
to it, a motion alarm and a people counter watching that camera, and what to try first."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import signal
import sys
from functools import partial
from pathlib import Path

from camrelay.workers.alarm.config import AlarmConfig, apply_update, dump_config

from ..server.core.accounts import AccountExists
from ..server.core.relay import Relay
from ..server.request_count import RequestCount
from ..server.serving import serve
from .demo_summary import summarise
from .main import COMMANDS
from .serve import add_access_log, add_common, settings_from

DEMO_ACCOUNT = "demo"
DEMO_CAMERA = "demo-cam"
PASSWORD_FILE = "demo-password.txt"
ALARM_FILE = "demo-alarm.toml"
COUNTER_FILE = "demo-counter.toml"
ACCESS_LOG = "access.log"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `demo`."""
    parser = commands.add_parser("demo", help=COMMANDS["demo"][1])
    add_common(parser)
    parser.add_argument("--listen", help="TLS HOST:PORT (default 127.0.0.1:8080)")
    parser.add_argument(
        "--no-camera",
        action="store_true",
        help="start neither the demo camera nor the workers watching it",
    )
    parser.add_argument("--alarm-port", type=int, default=9876, help="alarm feed (WebSocket)")
    parser.add_argument("--alarm-web-port", type=int, default=9001, help="alarm web page")
    parser.add_argument("--counter-port", type=int, default=8765, help="counter feed (WebSocket)")
    add_access_log(parser, ACCESS_LOG)
    parser.set_defaults(access_log=ACCESS_LOG)
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["debug", "info", "warning", "error"],
        help="the server's log lines shown here (default warning)",
    )
    parser.add_argument(
        "--summary-every",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="print cameras, viewers, frames/s and requests/s every SECONDS (0: never)",
    )
    parser.set_defaults(run=run)


def demo_password(data_dir: Path, file: str = PASSWORD_FILE) -> str:
    """The demo account's password, made once and kept (mode 600) in the data directory."""
    path = data_dir / file
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    return password


async def ensure_demo_account(relay: Relay, password: str) -> None:
    """Create the demo account unless it exists; its admin is a server admin (all logs)."""
    with contextlib.suppress(AccountExists):
        await relay.accounts.add(DEMO_ACCOUNT, password, server_admin=True)


async def spawn(args: list[str], password: str, log_path: Path) -> asyncio.subprocess.Process:
    """A `camrelay` command as its own process (vision stays off the server's event loop),
    logging to the data directory."""
    env = {**os.environ, "CAMRELAY_PASSWORD": password}
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "camrelay", *args, env=env, stdout=log, stderr=log
        )


def demo_alarm_config(data_dir: Path, port: int, web_port: int) -> Path:
    """The alarm worker's settings for the demo camera, written once (config_update edits it)."""
    path = data_dir / ALARM_FILE
    if not path.exists():
        config = apply_update(
            AlarmConfig(),
            {
                "server": {
                    "host_name": "127.0.0.1",
                    "timezone": "UTC",
                    "websocket_port": port,
                    "webserver_port": web_port,
                },
                "flags": {"config_path": str(path), "log_level": "info", "test": True},
                "processing": {"pixel_threshold_hi": 150000},
            },
        )
        path.write_text(dump_config(config))
    return path


def demo_counter_config(data_dir: Path, port: int) -> Path:
    """The counter's settings for the demo: a modest analysis rate, since the demo shares the
    machine with the server, camera and alarm (its files go in its own data directory)."""
    path = data_dir / COUNTER_FILE
    if not path.exists():
        path.write_text(f"[feed]\nport = {port}\n\n[detector]\nfps = 2\n")
    return path


def worker_commands(
    data_dir: Path, url: str, alarm_config: Path, counter_config: Path
) -> list[tuple[Path, list[str]]]:
    """(log file, arguments) of the demo camera and the workers watching it; each worker
    keeps its files and log in data/KIND-demo-cam/."""
    common = ["--server", url, "--user", DEMO_ACCOUNT, "--insecure"]
    camera = ["push", *common, "--device", DEMO_CAMERA, "--fps", "10"]
    commands = [(data_dir / "demo-camera.log", camera)]
    for kind, config in (("alarm", alarm_config), ("counter", counter_config)):
        folder = data_dir / f"{kind}-{DEMO_CAMERA}"
        command = [kind, *common, "--camera", DEMO_CAMERA, "--config", str(config)]
        commands.append((folder / f"{kind}.log", [*command, "--data", str(folder)]))
    return commands


def guide(url: str, password: str, camera: bool, ports: tuple[int, int, int], note: str) -> str:
    """The lines printed once the demo listens; `note` says what the terminal shows next."""
    auth = f'{{"name":"{DEMO_ACCOUNT}","pass":"{password}","device":"my_pc"}}'
    lines = [
        "",
        f"camrelay demo is up at {url}  (HTTP/2 over TLS, self-signed certificate)",
        f"  account: {DEMO_ACCOUNT}   password: {password}",
        "",
        "Try:",
        f"  curl --http2 -k -d '{auth}' -X POST {url}/authorize.json",
        "  # then, with the shash it returns (URL-encoded in query strings: = is %3D):",
        f'  curl --http2 -k -d \'{{"shash":"SHASH"}}\' -X POST {url}/getConfig.json',
        f"  curl --http2 -k --data-binary @photo.jpg -X POST '{url}/addRecord.json?shash=SHASH'",
    ]
    if camera:
        lines += [
            "",
            f"The synthetic camera '{DEMO_CAMERA}' streams 10 fps. Read its frames:",
            f"  curl --http2 -k '{url}/output.raw?shash=SHASH&device={DEMO_CAMERA}' -o demo.raw",
            f"  CAMRELAY_PASSWORD={password} .venv/bin/camrelay pull --server {url} --insecure "
            f"--device {DEMO_CAMERA} --mjpeg demo.mjpeg",
            "",
            f"A motion alarm watches '{DEMO_CAMERA}':",
            f"  page (live view, state, silence/test): http://127.0.0.1:{ports[1]}/",
            f"  feed (status, commands): ws://127.0.0.1:{ports[0]}/   "
            f"snapshot: http://127.0.0.1:{ports[0]}/snapshot",
            f"A people counter watches '{DEMO_CAMERA}': ws://127.0.0.1:{ports[2]}/ "
            "(frames, stats, events, faces)",
        ]
    return "\n".join([*lines, "", note, "Stop with Ctrl-C.", ""])


def quiet_note(data_dir: Path, access_log: str, every_s: float) -> str:
    """What the terminal shows from now on, and where the rest goes."""
    where = "here" if access_log == "-" else str(data_dir / access_log)
    summary = f"a summary every {every_s:g} s, " if every_s > 0 else ""
    return (
        f"From now on here: {summary}warnings and errors.\n"
        f"Access log: {where}. Camera and worker logs: {data_dir}/"
    )


def run(args: argparse.Namespace) -> int:
    """Serve the demo until interrupted."""
    settings = settings_from(
        args, listen=args.listen, access_log_file=args.access_log, log_level=args.log_level
    )
    data_dir = Path(settings.server.data_dir)
    password = demo_password(data_dir)
    children: list[asyncio.subprocess.Process] = []
    requests = RequestCount()
    background: list[asyncio.Task[None]] = []

    ports = (args.alarm_port, args.alarm_web_port, args.counter_port)

    async def prepare(relay: Relay, url: str) -> None:
        await ensure_demo_account(relay, password)
        if not args.no_camera:
            alarm_config = demo_alarm_config(data_dir, ports[0], ports[1])
            counter_config = demo_counter_config(data_dir, ports[2])
            for log_path, command in worker_commands(data_dir, url, alarm_config, counter_config):
                children.append(await spawn(command, password, log_path))
        note = quiet_note(data_dir, args.access_log, args.summary_every)
        print(guide(url, password, not args.no_camera, ports, note), flush=True)
        if args.summary_every > 0:
            write = partial(print, flush=True)
            background.append(
                asyncio.create_task(summarise(relay, requests, args.summary_every, write))
            )

    def ready(relay: Relay, urls: list[str]) -> None:
        asyncio.get_running_loop().create_task(prepare(relay, urls[0]))

    async def main() -> None:
        stop = asyncio.Event()

        async def stop_all() -> None:
            # The camera and workers go first, so their connections are closed by the time
            # the server's graceful shutdown waits for open connections.
            for task in background:
                task.cancel()
            await stop_children(children)
            stop.set()

        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: loop.create_task(stop_all()))
        try:
            await serve(settings, ready, stop, requests)
        finally:
            await stop_children(children)

    asyncio.run(main())
    return 0


async def stop_children(children: list[asyncio.subprocess.Process], wait_s: float = 5.0) -> None:
    """Terminate the demo's processes; kill those still running after `wait_s`."""
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            child.terminate()
    for child in children:
        try:
            await asyncio.wait_for(child.wait(), wait_s)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()
