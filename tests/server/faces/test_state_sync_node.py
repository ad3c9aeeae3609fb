"""The state-sync socket with node's `ws` package, as the document's own Node.js example uses
it: login, snapshot, a write and a batch over wss, while a Python socket watches."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from camrelay.server.core.state_keys import DEFAULTS
from tests.support.relay_server import RelayServer
from tests.support.state_socket import state_socket, state_url

JS = Path(__file__).parents[2] / "js"


async def run_node(*args: str) -> list[dict[str, object]]:
    """Run tests/js/state_sync.mjs; the messages it received."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    assert (JS / "node_modules" / "ws").is_dir(), "run: npm ci --prefix tests/js"
    process = await asyncio.create_subprocess_exec(
        node,
        str(JS / "state_sync.mjs"),
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return list(json.loads(out))


async def test_node_ws_logs_in_reads_the_snapshot_and_writes(
    server: RelayServer, account: tuple[str, str]
) -> None:
    name, password = account
    await server.add_camera(name, "cam")
    async with state_socket(server, secure=False, device="cam") as watcher:
        await watcher.login(username=name, password=password)
        received = await run_node(state_url(server, device="cam"), name, password)
        assert received == [
            {
                "authenticated": True,
                "user": name,
                "role": "admin",
                "permissions": [k for k in DEFAULTS if k not in ("cam1-exists", "cam2-exists")],
            },
            DEFAULTS,
            {"brightness": 42, "info": ["brightness"]},
            {"contrast": 7, "info": ["contrast"]},
            {
                "error": "Invalid value",
                "key": "brightness",
                "message": "Value must be between 0 and 100",
            },
        ]
        await watcher.expect({"brightness": 42}, {"contrast": 7})
        await watcher.settled()
