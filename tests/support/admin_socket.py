"""A real python-socketio client of the admin API (§6) that keeps every event it receives and
sends `request`s that wait for their answer."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import httpx
import socketio

from tests.support.cluster import Front
from tests.support.relay_server import RelayServer
from tests.support.until import until

_ids = itertools.count(1)
_names = itertools.count(1)
PASSING = ("auth", "header", "query")  # the three places a token may travel


@dataclass
class AdminSocket:
    """One connected socket: `events` holds (name, data) in the order they arrived."""

    client: socketio.AsyncClient
    events: list[tuple[str, Any]] = field(default_factory=list)
    refused: Any = None  # the connect_error data, when the server refused

    def named(self, name: str) -> list[Any]:
        """The data of every event of that name so far."""
        return [data for event, data in self.events if event == name]

    async def request(self, command: str, module: str, **fields: Any) -> Any:
        """Send one request and wait for the answer on its requestId."""
        request_id = f"req-{next(_ids)}"
        await self.send({"command": command, "module": module, "requestId": request_id, **fields})
        return await self.answer(request_id)

    async def send(self, data: Any) -> None:
        await self.client.emit("request", data)

    async def answer(self, event: str, index: int = 0) -> Any:
        """The `index`-th data received on `event`, waiting for it."""
        found = await until(lambda: len(self.named(event)) > index, what=f"an answer on {event}")
        assert found
        return self.named(event)[index]

    async def close(self) -> None:
        await self.client.disconnect()


def new_socket() -> AdminSocket:
    """A socket not yet connected that records every event it will receive."""
    client = socketio.AsyncClient(ssl_verify=False, reconnection=False)
    sock = AdminSocket(client)

    @client.on("*")  # type: ignore[misc]
    async def any_event(event: str, *args: Any) -> None:
        sock.events.append((event, args[0] if len(args) == 1 else list(args)))

    @client.on("connect_error")  # type: ignore[misc]
    async def refused(data: Any) -> None:
        sock.refused = data

    return sock


async def connect(
    sock: AdminSocket,
    url: str,
    token: str | None = None,
    passing: str = "auth",
    transport: str = "websocket",
) -> AdminSocket:
    """Connect to the server at `url` (https:// or h2c's http://), the token (if any) passed in
    `auth`, the Authorization header or the query; raises when refused."""
    auth = {"token": token} if token and passing == "auth" else None
    headers = {"Authorization": f"Bearer {token}"} if token and passing == "header" else {}
    if token and passing == "query":
        url = f"{url}?token={token}"
    await sock.client.connect(
        url, auth=auth, headers=headers, transports=[transport], wait_timeout=15
    )
    return sock


async def open_socket(
    url: str, token: str | None = None, passing: str = "auth", transport: str = "websocket"
) -> AdminSocket:
    """A connected socket (see `connect`)."""
    return await connect(new_socket(), url, token, passing, transport)


async def refusal(url: str, token: str, passing: str = "auth") -> Any:
    """The connect_error data the server answers a connection with this token."""
    sock = new_socket()
    try:
        await connect(sock, url, token, passing)
    except socketio.exceptions.ConnectionError:
        return sock.refused
    await sock.close()
    raise AssertionError("the server accepted the connection")


@dataclass
class Admin:
    """An account's first user (its admin), logged in, with a socket open over TLS."""

    account: str
    password: str
    token: str
    sock: AdminSocket


async def log_in(server: RelayServer | Front, name: str, password: str) -> str:
    """A §4 token from POST /api/login."""
    async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as http:
        answer = await http.post(
            f"{server.url}/api/login", json={"username": name, "password": password}
        )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["token"])


async def new_admin(server: RelayServer) -> Admin:
    """A new account whose admin has a socket open."""
    name, password = f"sio{next(_names)}", f"pw-sio-{next(_names)}"
    await server.add_account(name, password)
    token = await log_in(server, name, password)
    return Admin(name, password, token, await open_socket(server.url, token))


async def add_user(admin: Admin, role: str, cameras: list[str] | None = None) -> tuple[str, str]:
    """A user of the admin's account made through the `users` module: (name, password)."""
    name, password = f"{admin.account}-{role}{next(_names)}", f"pw-user-{next(_names)}"
    answer = await admin.sock.request(
        "create",
        "users",
        payload={"name": name, "password": password, "role": role, "cameras": cameras},
    )
    assert answer["name"] == name, answer
    return name, password
