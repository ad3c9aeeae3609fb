"""The admin API's request protocol (§6) as a real python-socketio client sees it: anonymous
modules, every validation rule, the error object and `failure`."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from tests.support.admin_socket import AdminSocket, open_socket
from tests.support.relay_server import RelayServer


@pytest.fixture
async def anonymous(server: RelayServer) -> AsyncIterator[AdminSocket]:
    """An anonymous socket over h2c's port."""
    sock = await open_socket(server.h2c_url)
    yield sock
    await sock.close()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
@pytest.mark.parametrize("port", ["url", "h2c_url"])
async def test_anonymous_health_and_version_over_both_ports(
    server: RelayServer, port: str, transport: str
) -> None:
    sock = await open_socket(getattr(server, port), transport=transport)
    try:
        health = await sock.request("list", "health")
        assert health["status"] == "ok" and health["database"] == "ok"
        assert set(health) == {"status", "uptime", "sessions", "streams", "viewers", "database"}
        version = await sock.request("list", "version")
        assert version["name"] == "camrelay" and version["protocol"] == 5
    finally:
        await sock.close()


@pytest.mark.parametrize("module", ["users", "cameras", "credentials"])
async def test_anonymous_gets_unauthorized_for_the_rest(
    anonymous: AdminSocket, module: str
) -> None:
    answer = await anonymous.request("list", module)
    assert answer["error"]["message"] == "Unauthorized"
    assert answer["error"]["context"] == {
        "command": "list",
        "module": module,
        "requestId": answer["error"]["context"]["requestId"],
    }


def _request(**fields: Any) -> dict[str, Any]:
    return {"command": "list", "module": "health", **fields}


BROKEN = [
    # (request fields besides requestId, the path of the broken rule)
    (_request(command="fetch"), "command"),
    (_request(command=None), "command"),
    (_request(module=7), "module"),
    (_request(module=""), "module"),
    ({"command": "read", "module": "users"}, "entity"),
    ({"command": "update", "module": "users", "payload": {}}, "entity"),
    ({"command": "delete", "module": "users"}, "entity"),
    ({"command": "read", "module": "users", "entity": {"a": 1}}, "entity"),
    (_request(entity="x"), "entity"),
    ({"command": "create", "module": "users", "entity": "x", "payload": {}}, "entity"),
    ({"command": "create", "module": "users"}, "payload"),
    ({"command": "create", "module": "users", "payload": [1]}, "payload"),
    ({"command": "update", "module": "users", "entity": "x"}, "payload"),
    ({"command": "read", "module": "users", "entity": "x", "payload": {}}, "payload"),
    ({"command": "delete", "module": "users", "entity": "x", "payload": {}}, "payload"),
    (_request(payload="page 2"), "payload"),
    (_request(extra=1), "extra"),
]


@pytest.mark.parametrize(("fields", "path"), BROKEN)
async def test_each_broken_rule_answers_invalid_request_on_the_request_id(
    anonymous: AdminSocket, fields: dict[str, Any], path: str
) -> None:
    await anonymous.send({**fields, "requestId": "broken"})
    answer = await anonymous.answer("broken")
    assert answer["error"]["message"] == "Invalid Request"
    assert path in [problem["path"] for problem in answer["error"]["details"]]
    assert answer["error"]["context"] == {**fields, "requestId": "broken"}
    assert (await anonymous.request("list", "version"))["name"] == "camrelay"  # still up


@pytest.mark.parametrize(
    "data",
    [
        "list health",
        42,
        None,
        [1, 2],
        {"command": "list", "module": "health"},
        {"command": "list", "module": "health", "requestId": 5},
        {"command": "list", "module": "health", "requestId": ""},
        {"command": "list", "module": "health", "requestId": "connect"},
    ],
)
async def test_no_usable_request_id_answers_on_failure(anonymous: AdminSocket, data: Any) -> None:
    await anonymous.send(data)
    answer = await anonymous.answer("failure")
    assert answer["error"]["message"] == "Invalid Request"
    assert answer["error"]["context"] == data
    assert answer["error"]["details"]


async def test_list_pages_are_checked(anonymous: AdminSocket) -> None:
    for payload, path in [
        ({"page": 0}, "payload.page"),
        ({"page": "1"}, "payload.page"),
        ({"itemsPerPage": 0}, "payload.itemsPerPage"),
        ({"itemsPerPage": 101}, "payload.itemsPerPage"),
        ({"search": 3}, "payload.search"),
        ({"sortBy": 3}, "payload.sortBy"),
        ({"sortBy": [{"key": "name", "order": "up"}]}, "payload.sortBy"),
        ({"size": 3}, "payload.size"),
    ]:
        answer = await anonymous.request("list", "health", payload=payload)
        assert answer["error"]["message"] == "Invalid Request", payload
        assert answer["error"]["details"][0]["path"] == path


async def test_secrets_are_never_echoed(anonymous: AdminSocket) -> None:
    payload = {"username": "nobody", "password": "hunter2-secret"}
    answer = await anonymous.request("create", "auth", payload=payload, extra={"token": "t0k"})
    text = repr(answer)
    assert "hunter2-secret" not in text and "t0k" not in text
    assert answer["error"]["context"]["payload"] == {
        "username": "nobody",
        "password": "[redacted]",
    }


async def test_unknown_module_and_unsupported_command(anonymous: AdminSocket) -> None:
    unknown = await anonymous.request("list", "lights")
    assert unknown["error"]["message"] == "Not Found"
    unsupported = await anonymous.request("create", "health", payload={})
    assert unsupported["error"]["message"] == "Not Supported"


async def test_long_polling_answers_over_http2(
    server: RelayServer, http: httpx.AsyncClient
) -> None:
    """A browser whose TLS connection negotiated h2 polls over it: the Engine.IO handshake."""
    query = {"EIO": "4", "transport": "polling"}
    answer = await http.get(f"{server.url}/socket.io/", params=query)
    assert answer.http_version == "HTTP/2" and answer.status_code == 200
    assert answer.text.startswith("0{") and '"sid"' in answer.text
    assert (await http.get(f"{server.url}/metrics")).status_code == 200  # Quart still serves


async def test_websocket_over_tls_with_alpn_http11(server: RelayServer) -> None:
    """A browser's WebSocket negotiates http/1.1 by ALPN on the TLS port (h2 is offered too)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    url = server.url.replace("https://", "wss://") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(url, ssl=context) as socket:
        opened = await socket.recv()
        assert isinstance(opened, str) and opened.startswith("0{") and '"sid"' in opened
        assert socket.transport.get_extra_info("ssl_object").selected_alpn_protocol() == (
            "http/1.1"
        )
