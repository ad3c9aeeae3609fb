"""A real `camrelay push` camera of an account (synthetic scene), for the page's tests and bench."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.support.people import ROOMY_CAPS
from tests.support.relay_server import RelayServer


def roomy_caps(server: RelayServer, account: str, password: str) -> None:
    """The account's session caps raised (kinds 3 and 4): pages and pushers poll for long."""
    with httpx.Client(http2=True, verify=False, timeout=30) as http:
        signed = http.post(
            server.url + "/authorize.json",
            json={"name": account, "pass": password, "device": "setup"},
        ).json()
        answer = http.post(
            server.url + "/setConfig.json", json={"shash": signed["shash"], "config": ROOMY_CAPS}
        ).json()
    assert answer["result"] == "OK", answer


def start_pusher(
    server: RelayServer,
    account: str,
    password: str,
    device: str,
    size: str,
    fps: int,
    key: tuple[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`camrelay push` of the synthetic scene as `device` (signed in with the device `key`
    (id, secret) when given, else as the account); the caller terminates it."""
    who = ("--key-id", key[0]) if key else ("--user", account)
    push = [
        *("push", "--server", server.url, "--insecure", *who),
        *("--device", device, "--size", size, "--fps", str(fps)),
    ]
    env = {**os.environ, "CAMRELAY_PASSWORD": password}
    if key:
        env["CAMRELAY_KEY"] = key[1]
    return subprocess.Popen(
        [sys.executable, "-m", "camrelay", *push], env=env, stderr=subprocess.DEVNULL
    )


def wait_streaming(
    server: RelayServer, account: str, password: str, device: str, timeout: float = 60
) -> None:
    """Return once `device` streams (getStreams lists it)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(http2=True, verify=False, timeout=30) as http:
        shash = http.post(
            server.url + "/authorize.json",
            json={"name": account, "pass": password, "device": "watch"},
        ).json()["shash"]
        while time.monotonic() < deadline:
            streams = http.post(server.url + "/getStreams.json", json={"shash": shash}).json()
            if any(s["device"] == device for s in streams.get("devices", [])):
                return
            time.sleep(0.1)
    raise TimeoutError(f"{device} did not stream within {timeout} s")
