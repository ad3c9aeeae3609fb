"""Login bursts on a real server: guesses take turns, the surplus is refused at once, counts
saturate, and the other requests keep their pace (issue 9 items 5 and 6)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.api import Api, post_raw
from tests.support.h2_client import H2Client
from tests.support.metrics import metric
from tests.support.relay_server import RelayServer

BASE_S, MAX_S = 0.2, 0.4
# 1,100 guesses sent at once are all answered within ~2 s on a quiet machine (the test takes 2.5);
# a loaded one (load 6 on the two cores, in `make test`) took over H2Client's usual 10 s.
BURST_ANSWER_S = 60.0
WRONG = {"result": "BAD", "code": 7}


@pytest.fixture
async def burst_server(data_dir: Path) -> AsyncIterator[RelayServer]:
    """A server with a measurable slow-down and two accounts: the target and a bystander."""
    server = RelayServer(
        data_dir,
        env={
            "CAMRELAY_SESSIONS_LOGIN_DELAY_BASE_S": str(BASE_S),
            "CAMRELAY_SESSIONS_LOGIN_DELAY_MAX_S": str(MAX_S),
            "CAMRELAY_SERVER_ACCESS_LOG": "false",
        },
    ).start()
    await server.add_account("owner", "right password")
    await server.add_account("bystander", "its password")
    yield server
    server.stop()


async def guesses(url: str, count: int) -> list[dict[str, object]]:
    """`count` wrong passwords for the owner, all sent at once (200 per connection)."""
    peers = [await H2Client.connect(url) for _ in range(0, count, 200)]

    async def guess(i: int) -> dict[str, object]:
        body = {"name": "owner", "pass": f"guess {i}", "device": "d"}
        answer = await peers[i // 200].get(
            "/authorize.json", json.dumps(body).encode(), timeout=BURST_ANSWER_S
        )
        return json.loads(answer.body)  # type: ignore[no-any-return]

    try:
        return await asyncio.gather(*(guess(i) for i in range(count)))
    finally:
        for peer in peers:
            await peer.close()


async def wait_for_refusals(http: httpx.AsyncClient, url: str) -> None:
    while await metric(url, "camrelay_login_refused_total", http) == 0:
        await asyncio.sleep(0.01)


async def test_parallel_guesses_take_turns_and_spare_everyone_else(
    burst_server: RelayServer,
) -> None:
    """Issue 9 item 6: 200 guesses at once ran 49 times the intended rate, and starved a
    correct login from elsewhere for 16 s."""
    url = burst_server.url
    elsewhere = httpx.AsyncHTTPTransport(http2=True, verify=False, local_address="127.0.0.2")
    async with (
        httpx.AsyncClient(http2=True, verify=False, timeout=60) as http,
        httpx.AsyncClient(transport=elsewhere, timeout=60) as other,
    ):
        api = Api(http, url)
        bystander = await api.login("bystander", "its password", "phone")
        checks_before = await metric(url, "camrelay_login_checks_total", http)
        started = time.monotonic()
        burst = asyncio.create_task(guesses(burst_server.h2c_url, 200))
        await wait_for_refusals(http, url)
        beat_started = time.monotonic()
        beat = await bystander.call("heartBit")
        beat_took = time.monotonic() - beat_started
        owner = await Api(other, url).call(
            "authorize", {"name": "owner", "pass": "right password", "device": "d"}
        )
        answers = await burst
        elapsed = time.monotonic() - started
        checks = await metric(url, "camrelay_login_checks_total", http) - checks_before
    assert answers == [WRONG] * 200
    # Not frozen behind argon2 (the owner waited 16 s before); generous for a loaded machine
    # (make test runs 4 workers on 2 cores).
    assert beat == {"result": "OK"} and beat_took < 4.0
    assert owner["result"] == "OK"  # the owner, from another address, got in meanwhile
    # Every check after the first waited its turn and at least BASE_S; one was the owner's.
    assert checks - 1 <= 1 + elapsed / BASE_S


async def test_a_thousand_failures_leave_the_address_able_to_log_in(
    burst_server: RelayServer,
) -> None:
    """Issue 9 item 5: after 1,025 failures the delay overflowed and every login from the
    address answered code 2 for 15 minutes."""
    async with httpx.AsyncClient(http2=True, verify=False, timeout=120) as http:
        api = Api(http, burst_server.url)
        answers = await guesses(burst_server.h2c_url, 1_100)
        refused = await metric(burst_server.url, "camrelay_login_refused_total", http)
        started = time.monotonic()
        owner = await post_raw(
            api, "authorize", b'{"name":"owner","pass":"right password","device":"d"}'
        )
        took = time.monotonic() - started
    assert answers == [WRONG] * 1_100 and refused > 1_025
    assert owner["result"] == "OK" and took >= MAX_S  # the capped delay, then in
    assert "Traceback" not in burst_server.log()
