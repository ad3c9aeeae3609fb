"""A state socket (CONTRACT §5) keeps no rights its login lost (§4): after a logout, a password
change or the user's deletion it goes on anonymous; after a role or scope change it acts as the
user now is, or closes when its camera is outside the new scope. Within about a second."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from camrelay.server.core.state_keys import DEFAULTS
from tests.support.admin_socket import Admin, add_user, log_in, new_admin
from tests.support.relay_server import RelayServer
from tests.support.state_socket import StateSocket, state_socket

ENDED = {"authenticated": False, "error": "Login no longer valid"}
DENIED = {"error": "Permission denied", "key": "brightness"}
NOT_FROZEN_S = 5.0  # the login is checked again every second: this is "never", not a target


@pytest.fixture
async def admin(server: RelayServer) -> Admin:
    """An account's admin with an admin socket, and the account's camera `cam`."""
    admin = await new_admin(server)
    await server.add_camera(admin.account, "cam")
    return admin


async def logged_in(sock: StateSocket, user: tuple[str, str], token: str | None) -> None:
    """Log in with the token, or the password when None; a write goes through."""
    await sock.login(**({"token": token} if token else {"username": user[0], "password": user[1]}))
    await sock.ask({"brightness": 60}, {"brightness": 60, "info": ["brightness"]})


async def log_out(server: RelayServer, admin: Admin, user: tuple[str, str], token: str) -> None:
    async with httpx.AsyncClient(http2=True, verify=False) as http:
        answer = await http.post(
            f"{server.url}/api/logout", headers={"authorization": f"Bearer {token}"}
        )
    assert answer.json() == {"status": "logged out"}


async def change_password(
    server: RelayServer, admin: Admin, user: tuple[str, str], token: str
) -> None:
    answer = await admin.sock.request(
        "update", "users", entity=user[0], payload={"password": "a-new-one"}
    )
    assert answer["name"] == user[0]


async def delete_user(server: RelayServer, admin: Admin, user: tuple[str, str], token: str) -> None:
    answer = await admin.sock.request("delete", "users", entity=user[0])
    assert "error" not in answer, answer


@pytest.mark.parametrize(
    ("end", "with_token"),
    [(log_out, True), (change_password, True), (delete_user, True), (delete_user, False)],
    ids=["logout", "password-change", "deleted", "deleted-password-login"],
)
async def test_a_login_that_ended_leaves_the_socket_anonymous(
    server: RelayServer, admin: Admin, end: Any, with_token: bool
) -> None:
    user = await add_user(admin, "operator")
    token = await log_in(server, *user)
    async with (
        state_socket(server, device="cam") as sock,
        state_socket(server, secure=False, device="cam") as other,
    ):
        await logged_in(sock, user, token if with_token else None)
        await other.login(username=admin.account, password=admin.password)
        await end(server, admin, user, token)
        started = time.monotonic()
        await sock.expect(ENDED)  # unasked: an idle socket learns it too
        assert time.monotonic() - started < NOT_FROZEN_S
        await sock.ask({"brightness": 61}, DENIED)
        # Anonymous on a private camera: no more broadcasts, nothing to read.
        await other.ask({"brightness": 62}, {"brightness": 62, "info": ["brightness"]})
        await sock.ask({"get": ["brightness"]}, DENIED)


async def test_a_role_demoted_to_viewer_is_refused_writes(
    server: RelayServer, admin: Admin
) -> None:
    user = await add_user(admin, "operator")
    async with state_socket(server, device="cam") as sock:
        await logged_in(sock, user, None)
        demoted = await admin.sock.request(
            "update", "users", entity=user[0], payload={"role": "viewer"}
        )
        assert demoted["role"] == "viewer"
        viewer = {"authenticated": True, "user": user[0], "role": "viewer", "permissions": []}
        await sock.expect(viewer, {**DEFAULTS, "brightness": 60})
        await sock.ask({"brightness": 61}, DENIED)


async def test_a_scope_without_its_camera_closes_the_socket(
    server: RelayServer, admin: Admin
) -> None:
    user = await add_user(admin, "operator")
    async with state_socket(server, device="cam") as sock:
        await logged_in(sock, user, None)
        await admin.sock.request("update", "users", entity=user[0], payload={"cameras": ["b"]})
        await sock.ws.wait_closed()
        closed = (sock.ws.close_code, sock.ws.close_reason)
        assert closed == (1008, "Camera cam is not in your scope")


async def test_a_revoked_device_key_leaves_the_socket_anonymous(
    server: RelayServer, admin: Admin
) -> None:
    key_id, secret = await server.add_key(admin.account, "cam")
    async with state_socket(server, device="cam") as sock:
        await sock.login(username=key_id, password=secret)
        await sock.ask({"cam2-exists": True}, {"cam2-exists": True, "info": ["cam2-exists"]})
        revoked = await admin.sock.request("delete", "credentials", entity=key_id)
        assert revoked["id"] == key_id and revoked["revokedAt"]
        await sock.expect(ENDED)
        await sock.ask({"cam2-exists": False}, {"error": "Permission denied", "key": "cam2-exists"})
