"""`camrelay demo`: the server on its defaults with a demo account, and what to try first."""

from __future__ import annotations

import argparse
import asyncio
import secrets
from pathlib import Path

from ..server.core.accounts import AccountExists
from ..server.core.relay import Relay
from ..server.serving import serve
from .serve import add_common, settings_from

DEMO_ACCOUNT = "demo"
PASSWORD_FILE = "demo-password.txt"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `demo`."""
    parser = commands.add_parser("demo", help="run the server with a demo account")
    add_common(parser)
    parser.add_argument("--listen", help="TLS HOST:PORT (default 127.0.0.1:8080)")
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
    try:
        await relay.accounts.add(DEMO_ACCOUNT, password)
    except AccountExists:
        pass


def guide(url: str, password: str) -> str:
    """The lines printed once the demo listens."""
    auth = f'{{"name":"{DEMO_ACCOUNT}","pass":"{password}","device":"my_pc"}}'
    return "\n".join([
        "",
        f"camrelay demo is up at {url}  (HTTP/2 over TLS, self-signed certificate)",
        f"  account: {DEMO_ACCOUNT}   password: {password}",
        "",
        "Try:",
        f"  curl --http2 -k -d '{auth}' -X POST {url}/authorize.json",
        "  # then, with the shash it returns:",
        f"  curl --http2 -k -d '{{\"shash\":\"SHASH\"}}' -X POST {url}/getConfig.json",
        f"  curl --http2 -k --data-binary @photo.jpg -X POST '{url}/addRecord.json?shash=SHASH'",
        "",
        "Stop with Ctrl-C.",
    ])


def run(args: argparse.Namespace) -> int:
    """Serve the demo until interrupted."""
    settings = settings_from(args, listen=args.listen)
    password = demo_password(Path(settings.server.data_dir))

    def ready(relay: Relay, urls: list[str]) -> None:
        asyncio.get_running_loop().create_task(ensure_demo_account(relay, password))
        print(guide(urls[0], password), flush=True)

    asyncio.run(serve(settings, ready))
    return 0
