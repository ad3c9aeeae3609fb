"""The transport: HTTP/2 over TLS and h2c, HTTP/1.1 for JSON, curl as the document uses it,
and the Hypercorn traps (1,000 requests per connection; answering before an upload ends)."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.support.api import Device
from tests.support.h2_client import H2Client
from tests.support.relay_server import RelayServer


def curl(*args: str) -> tuple[str, str]:
    """Run curl; returns (body, http_version)."""
    done = subprocess.run(
        ["curl", "-sS", "-w", "\n%{http_version}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, version = done.stdout.rpartition("\n")
    return body, version


async def test_curl_over_tls_as_the_document_shows(
    server: RelayServer, account: tuple[str, str], tmp_path: Path
) -> None:
    name, password = account
    auth = json.dumps({"name": name, "pass": password, "device": "user_pc", "meta": "some info"})
    body, version = curl("--http2", "-k", "-d", auth, "-X", "POST", f"{server.url}/authorize.json")
    assert version == "2"
    shash = json.loads(body)["shash"]
    picture = tmp_path / "inp.png"
    picture.write_bytes(b"\x89PNG fake" * 1000)
    quoted = httpx.QueryParams({"shash": shash})
    body, _ = curl(
        "--http2",
        "-k",
        "--data-binary",
        f"@{picture}",
        "-X",
        "POST",
        f"{server.url}/addRecordData.json?{quoted}&meta=PNG",
    )
    rid = json.loads(body)["rid"]
    out = tmp_path / "out.png"
    _, version = curl(
        "--http2",
        "-k",
        "-d",
        json.dumps({"shash": shash, "rid": rid}),
        "-X",
        "POST",
        f"{server.url}/getRecordData.json",
        "-o",
        str(out),
    )
    assert version == "2"
    assert out.read_bytes() == picture.read_bytes()


async def test_curl_h2c_prior_knowledge(server: RelayServer, device: Device) -> None:
    body, version = curl(
        "--http2-prior-knowledge",
        "-d",
        json.dumps({"shash": device.shash}),
        "-X",
        "POST",
        f"{server.h2c_url}/heartBit.json",
    )
    assert (body, version) == ('{"result":"OK"}', "2")


async def test_query_string_form(server: RelayServer, account: tuple[str, str]) -> None:
    name, password = account
    query = httpx.QueryParams({"name": name, "pass": password, "device": "q"})
    body, _ = curl("--http2", "-k", "-X", "POST", f"{server.url}/authorize.json?{query}")
    shash = json.loads(body)["shash"]
    body, _ = curl(
        "--http2", "-k", f"{server.url}/getRecordCount.json?{httpx.QueryParams({'shash': shash})}"
    )
    assert body == '{"records":[],"result":"OK"}'


async def test_json_requests_work_over_http_1_1(server: RelayServer, device: Device) -> None:
    async with httpx.AsyncClient(http2=False, verify=False) as client:
        response = await client.post(f"{server.url}/heartBit.json", json={"shash": device.shash})
    assert response.http_version == "HTTP/1.1"
    assert response.json() == {"result": "OK"}


async def test_one_connection_serves_far_more_than_1000_requests(server: RelayServer) -> None:
    client = await H2Client.connect(server.url)
    try:
        statuses = [(await client.get("/getServerTime.json")).status for _ in range(1100)]
    finally:
        await client.close()
    assert statuses == [200] * 1100
    assert client.terminated is None


async def test_an_early_answer_keeps_the_connection(server: RelayServer, device: Device) -> None:
    client = await H2Client.connect(server.url)
    try:
        upload = await client.request("POST", "/addRecord.json?shash=wrong", end=False)
        await client.send(upload, b"\xff" * 16384)
        response = await client.response(upload)
        await asyncio.sleep(0.1)  # the reset that follows the answer
        await client.send_late(upload, b"\xff" * 16384)  # in flight before the camera saw it
        after = await client.get("/heartBit.json", json.dumps({"shash": device.shash}).encode())
    finally:
        await client.close()
    assert json.loads(response.body) == {"result": "BAD", "code": 6}
    assert response.reset_code == 0  # RST_STREAM(NO_ERROR): stop sending, the answer stands
    assert json.loads(after.body) == {"result": "OK"}
    assert client.terminated is None


@pytest.mark.parametrize("bare_hypercorn", [[]], indirect=True)
async def test_trap_hypercorn_ends_a_connection_after_1000_requests(bare_hypercorn: str) -> None:
    client = await H2Client.connect(bare_hypercorn)
    served = 0
    try:
        while client.terminated is None and served < 1100:
            served += (await client.get("/", method="GET")).status == 200
    finally:
        await client.close()
    # GOAWAY at request 1001: why camrelay raises keep_alive_max_requests.
    assert client.terminated is not None
    assert 1000 <= served <= 1002  # the 1001st may or may not be answered before it closes


@pytest.mark.parametrize(
    "bare_hypercorn, survives",
    [([], False), (["--fixed", "h2_late_data"], True)],
    indirect=["bare_hypercorn"],
)
async def test_trap_issue_329_early_answer(bare_hypercorn: str, survives: bool) -> None:
    client = await H2Client.connect(bare_hypercorn)
    try:
        upload = await client.request("POST", "/early", end=False)
        await client.send(upload, b"x" * 1000)
        await client.response(upload)
        await client.send_late(upload, b"x" * 1000)
        try:
            await client.get("/", method="GET")
        except (TimeoutError, ConnectionError):
            pass
        alive = not client.closed.is_set()
    finally:
        await client.close()
    assert alive is survives


@pytest.mark.parametrize("bare_hypercorn", [[]], indirect=True)
async def test_trap_quart_response_timeout_cuts_a_long_response(bare_hypercorn: str) -> None:
    client = await H2Client.connect(bare_hypercorn)
    try:
        response = await client.response(await client.request("GET", "/stream"), timeout=10)
    finally:
        await client.close()
    assert len(response.body) < 15 * len(b"chunk")  # cut: why camrelay lifts the timeouts


async def test_camrelay_lifts_quarts_stream_limits(tmp_path: Path) -> None:
    from quart import Quart

    from camrelay.server.app import create_app
    from camrelay.server.core.relay import open_relay
    from camrelay.settings import load_settings

    defaults = Quart("defaults").config
    limits = ("RESPONSE_TIMEOUT", "BODY_TIMEOUT", "MAX_CONTENT_LENGTH")
    assert [defaults[k] for k in limits] == [60, 60, 16 * 1024 * 1024]
    settings = load_settings(overrides={"server": {"data_dir": tmp_path}})
    relay = await open_relay(settings)
    try:
        app = create_app(relay, settings)
    finally:
        await relay.close()
    # Each request caps its own body; the raw streams run as long as they like.
    assert [app.config[k] for k in limits] == [None, None, None]
