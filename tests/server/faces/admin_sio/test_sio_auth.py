"""Who a socket is (§6): a token in auth, header or query over TLS and h2c; invalid tokens are
refused; the auth module logs in and out; the JavaScript client does all of it too."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.admin_socket import PASSING, Admin, add_user, log_in, open_socket, refusal
from tests.support.relay_server import RelayServer
from tests.support.until import until

JS_DIR = Path(__file__).parents[3] / "js"
PORTS = ("url", "h2c_url")


@pytest.mark.parametrize("port", PORTS)
@pytest.mark.parametrize("passing", PASSING)
async def test_a_token_in_each_place_names_the_user(
    server: RelayServer, admin: Admin, passing: str, port: str
) -> None:
    sock = await open_socket(getattr(server, port), admin.token, passing)
    try:
        users = await sock.request("list", "users")
        assert [user["name"] for user in users["items"]] == [admin.account]
        assert users["items"][0]["role"] == "admin"
    finally:
        await sock.close()


@pytest.mark.parametrize("passing", PASSING)
async def test_an_invalid_token_is_refused(server: RelayServer, passing: str) -> None:
    assert await refusal(server.h2c_url, "not-a-token", passing) == {"message": "Unauthorized"}


async def test_auth_token_wins_over_header_and_query(server: RelayServer, admin: Admin) -> None:
    """auth.token first: a bad one refuses even when the header carries a good one."""
    sock = await open_socket(server.url, admin.token, "header")
    await sock.close()
    assert await refusal(server.url, "bad", "auth") == {"message": "Unauthorized"}


async def test_login_and_logout_over_the_socket(server: RelayServer, admin: Admin) -> None:
    anonymous = await open_socket(server.h2c_url)
    try:
        answer = await anonymous.request(
            "create", "auth", payload={"username": admin.account, "password": admin.password}
        )
        assert set(answer) == {"token", "expires", "user", "account", "role", "cameras"}
        assert (answer["user"], answer["role"], answer["cameras"]) == (
            admin.account,
            "admin",
            None,
        )
        wrong = await anonymous.request(
            "create", "auth", payload={"username": admin.account, "password": "wrong"}
        )
        assert wrong["error"]["message"] == "Unauthorized"
        assert wrong["error"]["context"]["payload"]["password"] == "[redacted]"
    finally:
        await anonymous.close()
    sock = await open_socket(server.url, answer["token"])
    try:
        assert await sock.request("delete", "auth", entity="me") == {"loggedOut": True}
        after = await sock.request("list", "users")
        assert after["error"]["message"] == "Unauthorized"
    finally:
        await sock.close()
    assert await refusal(server.url, answer["token"]) == {"message": "Unauthorized"}


async def run_js(url: str, passing: str, token: str, requests: list[dict[str, Any]]) -> list[Any]:
    """The official socket.io-client run by node: one JSON line per outcome."""
    if not (JS_DIR / "node_modules" / "socket.io-client").is_dir():
        pytest.fail(
            "socket.io-client is not installed: run `make test` (it installs tests/js with npm)"
        )
    process = await asyncio.create_subprocess_exec(
        "node",
        str(JS_DIR / "admin_client.mjs"),
        url,
        passing,
        token,
        "websocket",
        json.dumps(requests),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return [json.loads(line) for line in out.decode().splitlines()]


@pytest.mark.parametrize("port", PORTS)
@pytest.mark.parametrize("passing", PASSING)
async def test_the_javascript_client(
    server: RelayServer, admin: Admin, passing: str, port: str
) -> None:
    lines = await run_js(
        getattr(server, port),
        passing,
        admin.token,
        [
            {"command": "list", "module": "users", "requestId": "u1"},
            {"command": "read", "module": "users", "requestId": "u2"},
        ],
    )
    assert lines[0] == {"connected": True, "transport": "websocket"}
    assert lines[1]["answer"]["items"][0]["name"] == admin.account
    assert lines[2]["answer"]["error"]["message"] == "Invalid Request"
    refused = await run_js(getattr(server, port), passing, "bad-token", [])
    assert refused == [{"connect_error": "Unauthorized"}]


async def test_the_javascript_client_anonymous(server: RelayServer) -> None:
    lines = await run_js(
        server.url,
        "none",
        "",
        [
            {"command": "list", "module": "health", "requestId": "h"},
            {"command": "list", "module": "cameras", "requestId": "c"},
        ],
    )
    assert lines[1]["answer"]["status"] == "ok"
    assert lines[2]["answer"]["error"]["message"] == "Unauthorized"


async def test_tokens_are_never_in_answers_after_login(server: RelayServer, admin: Admin) -> None:
    token = await log_in(server, admin.account, admin.password)
    sock = await open_socket(server.url, token, "query")
    try:
        answers = [await sock.request("list", module) for module in ("users", "cameras")]
        assert token not in repr(answers)
    finally:
        await sock.close()


async def test_a_changed_password_ends_the_sockets_rights(
    server: RelayServer, admin: Admin
) -> None:
    """The user's tokens end with a password change: its open socket goes on, anonymous."""
    name, password = await add_user(admin, "operator")
    sock = await open_socket(server.h2c_url, await log_in(server, name, password))
    try:
        assert "items" in await sock.request("list", "cameras")
        changed = await admin.sock.request(
            "update", "users", entity=name, payload={"password": "a-new-one"}
        )
        assert changed["name"] == name

        async def anonymous() -> bool:
            answer = await sock.request("list", "cameras")
            return answer.get("error", {}).get("message") == "Unauthorized"

        await until(anonymous, timeout=10, every=0.2)
        assert (await sock.request("list", "health"))["status"] == "ok"
    finally:
        await sock.close()
