"""Issue 9's login figures: bursts of 200 wrong passwords sent at once from one address; a
bystander session's heartBit latency meanwhile, the password checks the attacker actually got
against the slow-down's schedule, and how long the owner's own login took."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.core_api import BENCH_ENV
from bench.h2load import percentile
from bench.verdict import judged
from tests.support.api import Api
from tests.support.h2_client import H2Client
from tests.support.metrics import metric
from tests.support.relay_server import RelayServer

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
IN_FLIGHT = 200
BASE_S, MAX_S = 0.5, 8.0  # the shipped defaults, not the tests' short ones
HOSTILE_ENV = {
    **BENCH_ENV,
    "CAMRELAY_SESSIONS_LOGIN_DELAY_BASE_S": str(BASE_S),
    "CAMRELAY_SESSIONS_LOGIN_DELAY_MAX_S": str(MAX_S),
}


@dataclass(frozen=True)
class BurstFigures:
    """What one login burst did to the server and to a bystander."""

    seconds: float
    guesses: int
    checks: int
    beats_ms: list[float]
    quiet_beats_ms: list[float]
    owner_login_s: float

    def intended_checks(self) -> int:
        """Checks the slow-down allows in the burst's time: one per step of the doubling."""
        count, elapsed = 1, 0.0
        while (elapsed := elapsed + min(MAX_S, BASE_S * 2 ** (count - 1))) <= self.seconds:
            count += 1
        return count


async def attack(url: str, until: float) -> int:
    """Bursts of IN_FLIGHT wrong passwords for 'owner' sent at once, the next as soon as the
    last is answered, until `until`; returns how many guesses were sent."""
    peer = await H2Client.connect(url)
    sent = 0

    async def guess() -> None:
        nonlocal sent
        sent += 1
        body = json.dumps({"name": "owner", "pass": f"guess {sent}", "device": "d"})
        stream = await peer.request("POST", "/authorize.json", body.encode())
        # A guess in line waits out the slow-down of the one before it: up to 2 x MAX_S.
        await peer.response(stream, timeout=4 * MAX_S)

    try:
        while time.monotonic() < until:
            await asyncio.gather(*(guess() for _ in range(IN_FLIGHT)))
    finally:
        await peer.close()
    return sent


async def heart_beats(bystander: Api, shash: str, until: float) -> list[float]:
    """heartBit one after another until `until`; each latency in ms."""
    took = []
    while time.monotonic() < until:
        started = time.monotonic()
        await bystander.call("heartBit", {"shash": shash})
        took.append((time.monotonic() - started) * 1000)
    return took


async def owner_login(url: str) -> float:
    """The owner's correct login from another address (127.0.0.2) during the burst."""
    elsewhere = httpx.AsyncHTTPTransport(http2=True, verify=False, local_address="127.0.0.2")
    async with httpx.AsyncClient(transport=elsewhere, timeout=60) as http:
        started = time.monotonic()
        answer = await Api(http, url).call(
            "authorize", {"name": "owner", "pass": "owner-pw", "device": "phone"}
        )
        assert answer["result"] == "OK", answer
        return time.monotonic() - started


async def measure_burst(server: RelayServer, seconds: float = SECONDS) -> BurstFigures:
    """Run the burst against a started server holding accounts 'owner' and 'bystander'."""
    async with httpx.AsyncClient(http2=True, verify=False, timeout=60) as http:
        api = Api(http, server.url)
        shash = (await api.login("bystander", "bystander-pw", "cam")).shash
        quiet = await heart_beats(api, shash, time.monotonic() + seconds / 2)
        checks_before = await metric(server.url, "camrelay_login_checks_total", http)
        started = time.monotonic()
        until = started + seconds
        burst = asyncio.create_task(attack(server.h2c_url, until))
        beats = asyncio.create_task(heart_beats(api, shash, until))
        await asyncio.sleep(seconds / 4)  # the attacker's line is full by now
        owner_s = await owner_login(server.url)
        guesses, beats_ms = await burst, await beats
        elapsed = time.monotonic() - started
        checks = await metric(server.url, "camrelay_login_checks_total", http) - checks_before
    return BurstFigures(elapsed, guesses, int(checks) - 1, beats_ms, quiet, owner_s)


def main() -> None:
    print(
        f"\n== hostile logins (bursts of {IN_FLIGHT} wrong passwords from one address, "
        f"{SECONDS:.0f} s, slow-down {BASE_S} s doubling to {MAX_S} s)"
    )
    with tempfile.TemporaryDirectory() as folder:
        server = RelayServer(Path(folder) / "relay", env=HOSTILE_ENV).start()
        try:
            asyncio.run(server.add_account("owner", "owner-pw"))
            asyncio.run(server.add_account("bystander", "bystander-pw"))
            figures = asyncio.run(measure_burst(server))
        finally:
            server.stop()
    beats, quiet = figures.beats_ms, figures.quiet_beats_ms
    print(
        f"  bystander heartBit before: p50 {percentile(quiet, 0.5):.1f} ms,"
        f" p99 {percentile(quiet, 0.99):.1f} ms (the machine's own noise)"
    )
    p99 = percentile(beats, 0.99)
    print(
        judged(
            f"bystander heartBit: {len(beats)} answered, p50 {percentile(beats, 0.5):.1f} ms,"
            f" p99 {p99:.1f} ms",
            "p99 < 50 ms",
            p99 < 50,
        )
    )
    intended = figures.intended_checks()
    print(
        judged(
            f"attacker: {figures.guesses / figures.seconds:.0f} guesses/s sent, "
            f"{figures.checks} password checks = {figures.checks / figures.seconds:.2f}/s",
            f"<= {intended} checks, one per slow-down step",
            figures.checks <= intended,
        )
    )
    print(f"  owner's login from another address meanwhile: {figures.owner_login_s:.2f} s")
