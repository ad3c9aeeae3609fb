"""The state client against a small local /api/v1 server that speaks CONTRACT §5: login both
ways, the snapshot, get, set and the refusals, changes from another socket, a slow reader.

The server here is a stand-in written to the contract while the relay's own lands on another
branch; these tests are to run against the real relay (RelayServer) once it is there.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.server import Server, ServerConnection, serve

from camrelay.clients import state as state_module
from camrelay.clients.state import LoginFailed, StateClient, StateClosed, StateError, state_url
from tests.support.until import until

USERS = {"ann": ("pw", "operator"), "vic": ("pw", "viewer")}
TOKENS = {"tok-ann": "ann"}
PUBLIC = ("cam1-exists", "resolution", "fps", "record")
RESOLUTIONS = ("1920x1080", "1280x720", "640x480", "320x240")


def initial() -> dict[str, Any]:
    return {
        "brightness": 50,
        "contrast": 50,
        "fps": 30,
        "resolution": "1280x720",
        "record": "off",
        "snap": False,
        "cam1-exists": True,
    }


def rule(key: str, value: Any) -> str:
    """The broken rule, or "" when the value is one the key takes."""
    if key in ("brightness", "contrast"):
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100
        return "" if ok else "Value must be between 0 and 100"
    if key == "fps":
        ok = isinstance(value, int) and not isinstance(value, bool) and 5 <= value <= 60
        return "" if ok else "Value must be between 5 and 60"
    if key == "resolution":
        return "" if value in RESOLUTIONS else "Value must be one of " + ", ".join(RESOLUTIONS)
    if key == "record":
        return "" if value in (True, False, "on", "off", "pause") else "Value must be on/off/pause"
    return "" if value is True else "Value must be true"  # snap


class StateServer:
    """One state per device; sockets log in, read, write and see each other's changes."""

    def __init__(self) -> None:
        self.states: dict[str, dict[str, Any]] = {}
        self.sockets: dict[ServerConnection, str] = {}
        self.rids = itertools.count(7)
        self.server: Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        port = next(iter(self.server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    async def handle(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        query = dict(p.split("=", 1) for p in ws.request.path.partition("?")[2].split("&") if p)
        device = query.get("device", "")
        if device == "elsewhere":
            await ws.close(1008, "Camera not in your scope")
            return
        state = self.states.setdefault(device, initial())
        role = ""
        await ws.send(json.dumps({k: state[k] for k in PUBLIC}))  # what anonymous may read
        self.sockets[ws] = device
        try:
            async for text in ws:
                try:
                    message = json.loads(text)
                except ValueError:
                    message = None
                if not isinstance(message, dict):
                    await ws.send(json.dumps({"error": "Invalid message", "message": "not JSON"}))
                elif "username" in message or "token" in message:
                    role = await self.login(ws, message, state) or role
                elif "get" in message:
                    await self.get(ws, message["get"], state)
                else:
                    await self.write(ws, message, state, role, device)
        finally:
            del self.sockets[ws]

    async def login(self, ws: ServerConnection, message: dict[str, Any], state: dict) -> str:
        name = TOKENS.get(message.get("token", ""), message.get("username", ""))
        known = USERS.get(name)
        if known is None or ("token" not in message and message.get("password") != known[0]):
            await ws.send(json.dumps({"authenticated": False, "error": "Invalid credentials"}))
            return ""
        answer = {"authenticated": True, "user": name, "role": known[1], "permissions": ["read"]}
        await ws.send(json.dumps(answer))
        await ws.send(json.dumps(state))
        return known[1]

    async def get(self, ws: ServerConnection, keys: list[str], state: dict) -> None:
        await ws.send(json.dumps({k: state[k] for k in keys if k in state}))
        for key in keys:
            if key not in state:
                await ws.send(json.dumps({"error": "Unknown key", "key": key}))

    async def write(
        self, ws: ServerConnection, message: dict, state: dict, role: str, device: str
    ) -> None:
        accepted: dict[str, Any] = {}
        for key, value in message.items():
            if key not in state:
                await ws.send(json.dumps({"error": "Unknown key", "key": key}))
            elif role != "operator" or key == "cam1-exists":
                await ws.send(json.dumps({"error": "Permission denied", "key": key}))
            elif broken := rule(key, value):
                refusal = {"error": "Invalid value", "key": key, "message": broken}
                await ws.send(json.dumps(refusal))
            else:
                accepted[key] = value
        if not accepted:
            return
        confirmation = {**accepted, "info": list(accepted)}
        if "snap" in accepted:
            confirmation["rid"] = next(self.rids)
            accepted.pop("snap")
        state.update(accepted)
        await ws.send(json.dumps(confirmation))
        for other, on in list(self.sockets.items()):
            if other is not ws and on == device and accepted:
                await other.send(json.dumps(accepted))


@pytest.fixture
async def fake() -> AsyncIterator[StateServer]:
    server = StateServer()
    async with serve(server.handle, "127.0.0.1", 0) as running:
        server.server = running
        yield server


def client(fake: StateServer, **login: Any) -> StateClient:
    return StateClient(fake.url, device="cam", **(login or {"username": "ann", "password": "pw"}))


def test_the_url_is_built_from_any_address() -> None:
    assert state_url("https://relay:8080", "cam 1", None) == "wss://relay:8080/api/v1?device=cam+1"
    assert state_url("ws://relay/api/v1", "c", "acme") == "ws://relay/api/v1?account=acme&device=c"
    with pytest.raises(ValueError):
        state_url("ftp://relay", "c", None)


async def test_login_gives_the_snapshot_and_set_confirms(fake: StateServer) -> None:
    async with client(fake) as cam:
        assert (cam.identity["user"], cam.identity["role"]) == ("ann", "operator")
        assert cam.state == initial()
        assert await cam.set(brightness=90) == {"brightness": 90}
        assert cam.state["brightness"] == 90
        assert await cam.set({"fps": 25}, contrast=70) == {"fps": 25, "contrast": 70}
        assert await cam.get("brightness", "fps") == {"brightness": 90, "fps": 25}
        assert await cam.set(snap=True) == {"snap": True, "rid": 7}
    assert fake.states["cam"]["brightness"] == 90


async def test_a_token_logs_in_too(fake: StateServer) -> None:
    async with client(fake, token="tok-ann") as cam:
        assert cam.identity["user"] == "ann"


async def test_refused_keys_raise_naming_key_and_rule(fake: StateServer) -> None:
    async with client(fake) as cam:
        with pytest.raises(StateError) as refused:
            await cam.set(brightness=101, contrast=60, nonsense=1)
        error = refused.value
        assert (error.key, error.error, error.message) == (
            "brightness",
            "Invalid value",
            "Value must be between 0 and 100",
        )
        assert str(error) == "brightness: Invalid value (Value must be between 0 and 100)"
        assert [(e.key, e.error) for e in error.others] == [("nonsense", "Unknown key")]
        assert error.accepted == {"contrast": 60}  # the batch applied what it could
        with pytest.raises(StateError) as unknown:
            await cam.get("brightness", "nonsense")
        assert (unknown.value.key, unknown.value.error) == ("nonsense", "Unknown key")
        assert await cam.set(brightness=40) == {"brightness": 40}  # the socket goes on


async def test_a_viewer_is_refused_writes(fake: StateServer) -> None:
    async with client(fake, username="vic", password="pw") as cam:
        with pytest.raises(StateError) as refused:
            await cam.set(brightness=10)
        assert (refused.value.key, refused.value.error) == ("brightness", "Permission denied")


async def test_wrong_credentials_and_a_closed_connection_say_why(fake: StateServer) -> None:
    with pytest.raises(LoginFailed) as failed:
        async with client(fake, username="ann", password="wrong"):
            pass
    assert failed.value.error == "Invalid credentials"
    with pytest.raises(StateClosed) as closed:
        async with StateClient(fake.url, device="elsewhere", username="ann", password="pw"):
            pass
    assert (closed.value.code, closed.value.message) == (1008, "1008 Camera not in your scope")


async def test_anonymous_reads_the_public_keys(fake: StateServer) -> None:
    async with StateClient(fake.url, device="cam") as cam:
        await until(lambda: cam.state, what="public snapshot")
        assert set(cam.state) == set(PUBLIC)


async def test_changes_by_others_arrive_once_and_update_the_state(fake: StateServer) -> None:
    async with client(fake) as watcher, client(fake) as writer:
        changes = watcher.changes()
        await writer.set(brightness=70, record="on")
        assert await asyncio.wait_for(anext(changes), 10) == {"brightness": 70, "record": "on"}
        assert watcher.state["brightness"] == 70
        await writer.set(brightness=70)  # unchanged: not a change
        await writer.set(fps=10)
        assert await asyncio.wait_for(anext(changes), 10) == {"fps": 10}


async def test_a_slow_reader_gets_its_changes_merged_to_the_newest(
    fake: StateServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_module, "CHANGES_QUEUED", 3)
    async with client(fake) as watcher, client(fake) as writer:
        for level in range(1, 11):
            await writer.set(brightness=level, contrast=level if level < 5 else 4)
        await until(lambda: watcher.state["brightness"] == 10, what="all changes read")
        changes = watcher.changes()
        got = [await asyncio.wait_for(anext(changes), 10) for _ in range(3)]
        merged: dict[str, Any] = {}
        for change in got:
            merged.update(change)
        assert merged == {"brightness": 10, "contrast": 4}
        assert got[-1] == {"brightness": 10}


async def test_a_closed_socket_ends_the_changes_and_fails_requests(fake: StateServer) -> None:
    async with client(fake) as cam:
        assert fake.server is not None
        for ws in list(fake.sockets):
            await ws.close(1001, "going away")
        assert [c async for c in cam.changes()] == []
        with pytest.raises(StateClosed) as closed:
            await cam.set(brightness=1)
        assert closed.value.code == 1001
