"""Accounts, tokens and sockets of the admin API tests: everything made through real clients."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from tests.support.admin_socket import AdminSocket, open_socket
from tests.support.relay_server import RelayServer

_names = itertools.count(1)


@dataclass
class Admin:
    """An account's first user (its admin), logged in, with a socket open over TLS."""

    account: str
    password: str
    token: str
    sock: AdminSocket


async def log_in(server: RelayServer, name: str, password: str) -> str:
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


@pytest.fixture
async def admin(server: RelayServer) -> AsyncIterator[Admin]:
    found = await new_admin(server)
    yield found
    await found.sock.close()


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
