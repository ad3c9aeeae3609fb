"""POST /api/login, POST /api/logout and GET /api/status (CONTRACT §4) on a real server, over
HTTP/2 with httpx and with curl: the exact answers, the slow-down shared with authorize, and
400 (never 500) for any malformed body."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import subprocess
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

import camrelay
from tests.support.metrics import metric
from tests.support.relay_server import RelayServer

INVALID = {"error": "Invalid credentials"}
UNAUTHORIZED = {"error": "Unauthorized"}
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}")


async def post(
    http: httpx.AsyncClient, url: str, content: bytes, **headers: str
) -> tuple[int, Any]:
    """POST to an /api/ route: the HTTP status and the JSON answer (asserted JSON over h2)."""
    response = await http.post(url, content=content, headers=headers)
    assert response.http_version == "HTTP/2"
    assert response.headers["content-type"] == "application/json", response.text
    return response.status_code, response.json()


def login_body(name: str, password: str) -> bytes:
    return json.dumps({"username": name, "password": password}).encode()


async def test_login_answers_the_token_and_who_it_is(
    server: RelayServer, http: httpx.AsyncClient, account: tuple[str, str]
) -> None:
    name, password = account
    await server.add_user(name, f"{name}-guard", "guard pw", "viewer", frozenset({"yard", "door"}))
    admin = await post(http, f"{server.url}/api/login", login_body(name, password))
    guard = await post(http, f"{server.url}/api/login", login_body(f"{name}-guard", "guard pw"))
    status, answer = admin
    assert status == 200 and TOKEN_RE.fullmatch(answer["token"])
    expires = datetime.strptime(answer["expires"], "%Y-%m-%dT%H:%M:%S.%f%z")
    in_hours = (expires - datetime.now(UTC)).total_seconds() / 3600
    assert answer == {
        "token": answer["token"],
        "expires": answer["expires"],
        "user": name,
        "account": name,
        "role": "admin",
        "cameras": None,
    }
    assert answer["expires"].endswith("Z") and 11.9 < in_hours <= 12  # the default idle time
    assert guard[0] == 200 and {
        k: v for k, v in guard[1].items() if k not in ("token", "expires")
    } == {
        "user": f"{name}-guard",
        "account": name,
        "role": "viewer",
        "cameras": ["door", "yard"],
    }


async def test_wrong_logins_are_401_and_slowed_down_like_authorize(
    server: RelayServer, account: tuple[str, str]
) -> None:
    """From an address of their own, so the slow-down touches no other test."""
    name, password = account
    elsewhere = httpx.AsyncHTTPTransport(http2=True, verify=False, local_address="127.0.0.2")
    async with httpx.AsyncClient(transport=elsewhere, timeout=60) as other:
        url = f"{server.url}/api/login"
        checks = await metric(server.url, "camrelay_login_checks_total", other)
        refused = await metric(server.url, "camrelay_login_refused_total", other)
        burst = await asyncio.gather(
            *(post(other, url, login_body(name, f"guess {i}")) for i in range(20)),
            post(other, url, login_body("nobody-here", password)),
        )
        checked = await metric(server.url, "camrelay_login_checks_total", other) - checks
        turned = await metric(server.url, "camrelay_login_refused_total", other) - refused
        afterwards = await post(other, url, login_body(name, password))
        authorize = await other.post(
            f"{server.url}/authorize.json",
            json={"name": name, "pass": "guess", "device": "d"},
        )
    assert burst == [(401, INVALID)] * 21
    # As authorize's guesses: they took turns, and those beyond the few in line were refused
    # without a password check.
    assert turned > 0 and checked + turned == 21
    assert afterwards[0] == 200
    assert authorize.json() == {"result": "BAD", "code": 7}


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"", {}),
        (b"not json", {}),
        (b"\xff\xfe{}", {}),
        (b'["user", "pw"]', {}),
        (b'"text"', {}),
        (b"{}", {}),
        (b'{"username": "u"}', {}),
        (b'{"password": "p"}', {}),
        (b'{"username": 1, "password": "p"}', {}),
        (b'{"username": "u", "password": null}', {}),
        (json.dumps({"username": "u", "password": "p", "pad": "x" * (17 << 10)}).encode(), {}),
        (b"not gzip at all", {"content-encoding": "gzip"}),
        (
            gzip.compress(b'{"username":"u","password":"' + b"x" * (64 << 10) + b'"}'),
            {"content-encoding": "gzip"},
        ),
    ],
    ids=[
        "empty",
        "not-json",
        "not-utf8",
        "list",
        "string",
        "no-fields",
        "no-password",
        "no-username",
        "number-name",
        "null-password",
        "17KiB",
        "bad-gzip",
        "gzip-bomb",
    ],
)
async def test_malformed_login_bodies_are_400(
    server: RelayServer, http: httpx.AsyncClient, body: bytes, headers: dict[str, str]
) -> None:
    status, answer = await post(http, f"{server.url}/api/login", body, **headers)
    assert status == 400 and list(answer) == ["error"] and isinstance(answer["error"], str)
    assert answer["error"]


async def test_logout_makes_the_token_unknown(
    server: RelayServer, http: httpx.AsyncClient, account: tuple[str, str]
) -> None:
    url = f"{server.url}/api/logout"
    _, first = await post(http, f"{server.url}/api/login", login_body(*account))
    _, second = await post(http, f"{server.url}/api/login", login_body(*account))
    bearer = {"authorization": f"Bearer {first['token']}"}
    out = await post(http, url, b"", **bearer)
    again = await post(http, url, b"", **bearer)
    others = [
        await post(http, url, b""),
        await post(http, url, b"", authorization=f"Basic {second['token']}"),
        await post(http, url, b"", authorization="Bearer " + "x" * 5000),
    ]
    kept = await post(http, url, b"", authorization=f"bearer  {second['token']}")
    assert out == (200, {"status": "logged out"})
    assert again == (401, UNAUTHORIZED)
    assert others == [(401, UNAUTHORIZED)] * 3
    assert kept == (200, {"status": "logged out"})  # the other login lived on


async def test_status_needs_nothing(server: RelayServer, http: httpx.AsyncClient) -> None:
    response = await http.get(f"{server.url}/api/status")
    assert (response.status_code, response.http_version) == (200, "HTTP/2")
    assert response.json() == {"status": "ok", "version": camrelay.__version__}


def curl(*args: str) -> tuple[int, Any, str]:
    """curl's HTTP status, JSON answer and HTTP version."""
    done = subprocess.run(
        ["curl", "-sS", "-w", "\n%{http_code} %{http_version}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, tail = done.stdout.rpartition("\n")
    code, version = tail.split()
    return int(code), json.loads(body), version


@pytest.mark.parametrize("h2", ["--http2", "--http2-prior-knowledge"], ids=["tls", "h2c"])
async def test_with_curl(server: RelayServer, account: tuple[str, str], h2: str) -> None:
    base = server.url if h2 == "--http2" else server.h2c_url
    login = ["-k", h2, "-X", "POST", f"{base}/api/login", "-H", "content-type: application/json"]
    ok = await asyncio.to_thread(curl, *login, "--data-binary", login_body(*account).decode())
    wrong = await asyncio.to_thread(
        curl, *login, "--data-binary", login_body(account[0], "x").decode()
    )
    bearer = f"authorization: Bearer {ok[1]['token']}"
    logout = ["-k", h2, "-X", "POST", f"{base}/api/logout", "-H", bearer]
    out = await asyncio.to_thread(curl, *logout)
    status = await asyncio.to_thread(curl, "-k", h2, f"{base}/api/status")
    assert (ok[0], ok[2], ok[1]["user"], ok[1]["role"]) == (200, "2", account[0], "admin")
    assert wrong == (401, INVALID, "2")
    assert out == (200, {"status": "logged out"}, "2")
    assert status == (200, {"status": "ok", "version": camrelay.__version__}, "2")
