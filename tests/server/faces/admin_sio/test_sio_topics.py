"""Topics and logs of the admin API (§6) from a real camera and viewer: a device key pushing
through `camrelay push`, a viewer through `camrelay pull`; the events arrive in order under their
four names, only to the sockets that may see the camera; log lines never hold a secret."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.admin_socket import Admin, AdminSocket, add_user, log_in, new_admin, open_socket
from tests.support.metrics import metric
from tests.support.relay_server import RelayServer
from tests.support.until import until

CAMERA = "evcam"
IN_ORDER = [
    "credentials:authenticated",
    "camera:ready",
    "camera:demand",
    "camera:read",
    "camera:unread",
    "camera:unDemand",
    "camera:notReady",
    "credentials:unauthenticated",
]
WILDCARDS = ("camrelay:*", "nestmtx:*")
DIRECT = "camrelay_websocket_sent_direct_total"


@contextmanager
def pushing(server: RelayServer, key_id: str, secret: str) -> Iterator[subprocess.Popen[bytes]]:
    """`camrelay push` authorized by a device key, until the block ends."""
    command = [sys.executable, "-m", "camrelay", "push", "--server", server.url, "--insecure"]
    command += ["--key-id", key_id, "--device", CAMERA, "--size", "160x120", "--fps", "10"]
    process = subprocess.Popen(
        command, env={**os.environ, "CAMRELAY_KEY": secret}, stderr=subprocess.DEVNULL
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=20)


async def pull_frames(server: RelayServer, user: str, password: str) -> None:
    """`camrelay pull` reads a few frames of the camera and leaves."""
    command = [sys.executable, "-m", "camrelay", "pull", "--server", server.url, "--insecure"]
    command += ["--user", user, "--device", CAMERA, "--frames", "3", "--mjpeg", os.devnull]
    done = await asyncio.to_thread(
        subprocess.run,
        command,
        env={**os.environ, "CAMRELAY_PASSWORD": password},
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def topics(sock: AdminSocket) -> list[str]:
    """The specific topic names received, in order (not the wildcards)."""
    return [name for name, _ in sock.events if ":" in name and not name.endswith("*")]


def in_order(seen: list[str], wanted: list[str]) -> bool:
    """Whether `wanted` appears in `seen` in that order (other events may come between)."""
    remaining = iter(seen)
    return all(name in remaining for name in wanted)


def assert_four_names(sock: AdminSocket) -> None:
    """Every topic came under its name, its domain's wildcard and both application ones."""
    for name, payload in sock.events:
        if ":" not in name or name.endswith("*"):
            continue
        domain, event = name.split(":", 1)
        assert (payload["domain"], payload["event"]) == (domain, event)
        assert set(payload) == {"domain", "entity", "event", "details", "at"}
        for alias in (f"{domain}:*", *WILDCARDS):
            assert payload in sock.named(alias), (name, alias)


async def test_a_camera_and_a_viewer_in_events(server: RelayServer, admin: Admin) -> None:
    other = await new_admin(server)
    inside, outside = await _scoped_viewers(server, admin)
    direct = await metric(server.url, DIRECT)
    key = await admin.sock.request("create", "credentials", payload={"device": CAMERA})
    try:
        with pushing(server, key["id"], key["secret"]):
            await until(lambda: "camera:ready" in topics(admin.sock), what="camera:ready")
            await pull_frames(server, admin.account, admin.password)
            await until(lambda: "camera:unDemand" in topics(admin.sock), what="unDemand")
            await admin.sock.request("delete", "credentials", entity=key["id"])
            await until(lambda: "credentials:unauthenticated" in topics(admin.sock), timeout=30)
        seen = topics(admin.sock)
        assert in_order(seen, IN_ORDER), seen
        ready = admin.sock.named("camera:ready")[0]
        assert ready["entity"] == CAMERA and ready["at"].endswith("Z")
        assert admin.sock.named("credentials:authenticated")[0]["entity"] == key["id"]
        # The four names of one event are four packets: the last one may still be on its way.
        await until(lambda: len(admin.sock.named("nestmtx:*")) == len(topics(admin.sock)))
        assert_four_names(admin.sock)
        # Over WebSocket (HTTP/1.1) each packet went straight to its connection.
        assert await metric(server.url, DIRECT) >= direct + len(admin.sock.events)
        await until(lambda: "camera:notReady" in topics(inside))
        assert in_order(topics(inside), IN_ORDER[1:7])
        assert topics(outside) == [] and topics(other.sock) == []
        refusal = f"device key {key['id']} of device {CAMERA} refused (revoked)"
        await until(lambda: any(refusal in line["msg"] for line in admin.sock.named("log")))
        _assert_logs(admin, other, key["secret"])
    finally:
        for sock in (inside, outside, other.sock):
            await sock.close()


async def _scoped_viewers(server: RelayServer, admin: Admin) -> tuple[AdminSocket, AdminSocket]:
    """Viewers limited to the camera and to another one, with sockets open."""
    socks = []
    for cameras in ([CAMERA], ["elsewhere"]):
        name, password = await add_user(admin, "viewer", cameras)
        socks.append(await open_socket(server.url, await log_in(server, name, password)))
    return socks[0], socks[1]


def _assert_logs(admin: Admin, other: Admin, secret: str) -> None:
    lines = admin.sock.named("log")
    assert any(f"device {CAMERA}" in line["msg"] for line in lines), lines
    assert all(set(line) == _LOG_FIELDS for line in lines)
    assert {line["level"] for line in lines} <= {20, 30, 40, 50, 60, 70}
    assert not any(CAMERA in line["msg"] for line in other.sock.named("log"))
    every = repr(lines) + repr(other.sock.named("log"))
    for secret_text in (secret, admin.password, admin.token, other.password, other.token):
        assert secret_text not in every


_LOG_FIELDS = {"hostname", "level", "msg", "pid", "service", "time", "timestamp"}


async def test_new_admin_sockets_get_the_recent_log_lines(
    server: RelayServer, admin: Admin
) -> None:
    name, password = await add_user(admin, "viewer")
    await log_in(server, name, password)  # a per-account record or two
    key = await admin.sock.request("create", "credentials", payload={"device": "replay"})
    with pushing(server, key["id"], key["secret"]):
        await until(lambda: "camera:ready" in topics(admin.sock))
    late = await open_socket(server.h2c_url, admin.token)
    viewer = await open_socket(server.h2c_url, await log_in(server, name, password))
    try:
        replayed: list[Any] = await until(lambda: late.named("log"))
        assert 0 < len(replayed) <= 100
        assert any("device replay" in line["msg"] for line in replayed)
        await viewer.request("list", "version")
        assert viewer.named("log") == []  # viewers get no log lines
    finally:
        await late.close()
        await viewer.close()


async def test_one_flooding_socket_does_not_starve_another(
    server: RelayServer, admin: Admin
) -> None:
    flooder = await open_socket(server.h2c_url, admin.token)
    try:
        request = {"command": "list", "module": "cameras"}
        sends = [flooder.send({**request, "requestId": f"f{i}"}) for i in range(1000)]
        flood = asyncio.gather(*sends)
        answers = [await admin.sock.request("list", "health") for _ in range(20)]
        assert all(answer["status"] == "ok" for answer in answers)
        await flood
        await until(lambda: len(flooder.named("f999")) == 1, timeout=60)
    finally:
        await flooder.close()


async def test_server_admins_get_every_accounts_log_lines(
    server: RelayServer, admin: Admin
) -> None:
    name, password = f"{admin.account}-root", "pw-server-admin"
    command = [sys.executable, "-m", "camrelay", "user", "add", name, "--server-admin"]
    added = subprocess.run([*command, *server.store_args()], input=f"{password}\n", text=True)
    assert added.returncode == 0
    root = await open_socket(server.url, await log_in(server, name, password))
    try:
        key = await admin.sock.request("create", "credentials", payload={"device": "rootcam"})
        with pushing(server, key["id"], key["secret"]):
            await until(lambda: "camera:ready" in topics(admin.sock))
        await until(lambda: any("device rootcam" in line["msg"] for line in root.named("log")))
        assert topics(root) == []  # a server admin of another account sees no camera events
    finally:
        await root.close()
