"""The state-sync face: a WebSocket at /api/v1 (state-sync-ws-api.txt, CONTRACT §5), wss on
the TLS port and ws on the h2c port, both HTTP/1.1 upgrades."""

from __future__ import annotations

import asyncio
import contextlib

from quart import Blueprint, websocket

from ....settings import StateSettings
from ...core.relay import Relay
from .login_check import LoginChecks
from .state_socket import StateSocket

PATH = "/api/v1"


def state_sync(relay: Relay, settings: StateSettings) -> Blueprint:
    """The blueprint of /api/v1."""
    blueprint = Blueprint("state_sync", __name__)
    checks = LoginChecks(relay, settings.login_recheck_s)
    running: list[asyncio.Task[None]] = []

    @blueprint.before_app_serving
    async def start_checks() -> None:
        running.append(asyncio.create_task(checks.run()))

    @blueprint.after_app_serving
    async def stop_checks() -> None:
        for task in running:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @blueprint.websocket(PATH)
    async def api_v1() -> None:
        await StateSocket(relay, settings, checks, websocket.remote_addr or "").serve()

    return blueprint
