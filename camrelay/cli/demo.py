"""`camrelay demo`: the server on its defaults with a demo account, a synthetic camera pushing
to it, and what to try first."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import secrets
import sys
from pathlib import Path

from ..server.core.accounts import AccountExists
from ..server.core.relay import Relay
from ..server.serving import serve
from .serve import add_common, settings_from

DEMO_ACCOUNT = "demo"
DEMO_CAMERA = "demo-cam"
PASSWORD_FILE = "demo-password.txt"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `demo`."""
    parser = commands.add_parser("demo", help="run the server with a demo account and camera")
    add_common(parser)
    parser.add_argument("--listen", help="TLS HOST:PORT (default 127.0.0.1:8080)")
    parser.add_argument("--no-camera", action="store_true", help="do not start the demo camera")
    parser.set_defaults(run=run)


def demo_password(data_dir: Path) -> str:
    """The demo account's password, made once and kept (mode 600) in the data directory."""
    path = data_dir / PASSWORD_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    return password


async def ensure_demo_account(relay: Relay, password: str) -> None:
    """Create the demo account unless it exists."""
    with contextlib.suppress(AccountExists):
        await relay.accounts.add(DEMO_ACCOUNT, password)


async def start_camera(url: str, password: str, log_path: Path) -> asyncio.subprocess.Process:
    """`camrelay push` with the synthetic source, as its own process (vision stays off the
    server's event loop), logging to the data directory."""
    env = {**os.environ, "CAMRELAY_PASSWORD": password}
    with log_path.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "camrelay",
            "push",
            "--server",
            url,
            "--user",
            DEMO_ACCOUNT,
            "--device",
            DEMO_CAMERA,
            "--insecure",
            "--fps",
            "10",
            env=env,
            stdout=log,
            stderr=log,
        )


def guide(url: str, password: str, camera: bool) -> str:
    """The lines printed once the demo listens."""
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
        ]
    return "\n".join([*lines, "", "Stop with Ctrl-C.", ""])


def run(args: argparse.Namespace) -> int:
    """Serve the demo until interrupted."""
    settings = settings_from(args, listen=args.listen)
    data_dir = Path(settings.server.data_dir)
    password = demo_password(data_dir)
    children: list[asyncio.subprocess.Process] = []

    async def prepare(relay: Relay, url: str) -> None:
        await ensure_demo_account(relay, password)
        if not args.no_camera:
            children.append(await start_camera(url, password, data_dir / "demo-camera.log"))
        print(guide(url, password, not args.no_camera), flush=True)

    def ready(relay: Relay, urls: list[str]) -> None:
        asyncio.get_running_loop().create_task(prepare(relay, urls[0]))

    async def main() -> None:
        try:
            await serve(settings, ready)
        finally:
            for child in children:
                with contextlib.suppress(ProcessLookupError):
                    child.terminate()
                await child.wait()

    asyncio.run(main())
    return 0
