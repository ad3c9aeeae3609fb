"""Each transport fix against bare Hypercorn: the trap without it, its absence with it (the
issue-329 trap and the 1,000-request trap are in test_transport.py, Quart's unbounded upload
buffer in test_upload_backpressure.py)."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path
from urllib.parse import urlsplit

import h2.errors
import h2.exceptions
import pytest

from camrelay.server.transport import h2_hot_path, h2_windows
from tests.server.conftest import BARE_LOG, running_bare
from tests.support.h2_client import H2Client, unverified_h2_context
from tests.support.hostile import preface, rapid_reset
from tests.support.until import until

BARE = {"indirect": ["bare_hypercorn"]}
DEFAULT_WINDOW, DEFAULT_FRAME, DEFAULT_READ = 65_535, 16_384, 64 << 10


def bare_and_fixed(fix: str, bare: object, fixed: object, *args: str) -> pytest.MarkDecorator:
    """The test run on bare Hypercorn (given `args`) expecting `bare`, and with `fix`
    expecting `fixed`."""
    cases = [([*args], bare), ([*args, "--fixed", fix], fixed)]
    return pytest.mark.parametrize("bare_hypercorn, expected", cases, **BARE)


async def text(client: H2Client, path: str) -> str:
    return bytes((await client.get(path, method="GET")).body).decode()


async def serves(client: H2Client) -> bool:
    """The connection still answers a request (it was not dropped)."""
    try:
        response = await client.get("/", method="GET")
    except (TimeoutError, ConnectionError, h2.exceptions.ProtocolError):
        return False
    return response.status == 200 and client.terminated is None


async def holds(condition: object, seconds: float) -> bool:
    """`condition` became true within `seconds` (a trap shows within far less)."""
    try:
        await until(condition, timeout=seconds)  # type: ignore[arg-type]
    except AssertionError:
        return False
    return True


@bare_and_fixed(
    "h2_windows",
    bare=(DEFAULT_WINDOW, DEFAULT_FRAME, DEFAULT_WINDOW),
    fixed=(h2_windows.STREAM_WINDOW, h2_windows.MAX_FRAME, h2_windows.CONNECTION_WINDOW + 65_535),
)
async def test_trap_h2_windows_advertised_settings(bare_hypercorn: str, expected: tuple) -> None:
    client = await H2Client.connect(bare_hypercorn)
    try:
        await asyncio.wait_for(client.settings_seen.wait(), 5)
        await client.get("/", method="GET")  # the connection's WINDOW_UPDATE is in by now
        settings = client.conn.remote_settings
        advertised = (
            settings.initial_window_size,
            settings.max_frame_size,
            client.conn.outbound_flow_control_window,
        )
    finally:
        await client.close()
    assert advertised == expected


@bare_and_fixed("h2_hot_path", bare=DEFAULT_READ, fixed=h2_hot_path.READ_SIZE)
async def test_trap_h2_hot_path_read_size(bare_hypercorn: str, expected: int) -> None:
    client = await H2Client.connect(bare_hypercorn)
    try:
        # Any request makes Hypercorn read its socket; a body the handler answers before
        # reading would meet the issue-329 trap this bare server keeps.
        await client.get("/", method="GET")
        largest = int(await text(client, "/reads"))
    finally:
        await client.close()
    assert largest == expected


@bare_and_fixed("h2_content_length", bare=False, fixed=True)
async def test_trap_h2_content_length_mismatch(bare_hypercorn: str, expected: bool) -> None:
    client = await H2Client.connect(bare_hypercorn)
    try:
        # What a camera's endless upload does: announce 20 GiB, end after a few bytes.
        endless = [("content-length", "21474836480")]
        stream = await client.request("POST", "/", b"x" * 10, headers=endless)
        await client.response(stream)
        alive = await serves(client)
    finally:
        await client.close()
    assert alive is expected


@bare_and_fixed("h2_stream_reset", False, True, "--as-camrelay")
async def test_trap_h2_stream_reset_flood(
    bare_hypercorn: str, expected: bool, tmp_path: Path
) -> None:
    await rapid_reset(bare_hypercorn, 3000, path="/")  # ends when the server closes
    # Bare: nothing stops the flood (each reset stream costs a request's work); fixed: GOAWAY.
    log = (tmp_path / BARE_LOG).read_text()
    assert ("reset over 100 streams a second (rapid reset?): GOAWAY and closed" in log) is expected


@bare_and_fixed("tcp_peer_close", False, True, "--as-camrelay")
async def test_trap_tcp_peer_close_keeps_tasks(bare_hypercorn: str, expected: bool) -> None:
    probe = await H2Client.connect(bare_hypercorn)
    try:
        idle = int(await text(probe, "/tasks"))
        for _ in range(20):
            client = await H2Client.connect(bare_hypercorn)
            await client.get("/", method="GET")
            await client.close()

        async def back_to_idle() -> bool:
            return int(await text(probe, "/tasks")) <= idle + 2

        # Bare: each closed connection's tasks wait out keep_alive_timeout (300 s, as camrelay).
        ended = await holds(back_to_idle, 5)
    finally:
        await probe.close()
    assert ended is expected


@bare_and_fixed("h2_backpressure", bare=True, fixed=False)
async def test_trap_h2_backpressure_stuck_reader(bare_hypercorn: str, expected: bool) -> None:
    stuck = await H2Client.connect(bare_hypercorn, ack=False, window=0)
    probe = await H2Client.connect(bare_hypercorn)
    try:
        await stuck.request("GET", "/endless")

        async def buffered_64_mib() -> bool:
            return int(await text(probe, "/produced")) > 1024

        # Bare: the send buffer of a reader that takes nothing grows without bound.
        grew = await holds(buffered_64_mib, 5)
    finally:
        await stuck.close()
        await probe.close()
    assert grew is expected


@pytest.mark.parametrize("fixed, exits", [([], False), (["--fixed", "tls_shutdown"], True)])
async def test_trap_tls_shutdown_waits_for_close_notify(
    fixed: list[str], exits: bool, tmp_path: Path
) -> None:
    with running_bare(["--tls", str(tmp_path), *fixed], tmp_path) as (process, url):
        # A camera that never reads, so never answers the server's close_notify.
        parts = urlsplit(url)
        raw = socket.create_connection((parts.hostname, parts.port))
        with unverified_h2_context().wrap_socket(raw) as camera:
            camera.sendall(preface())
            process.send_signal(signal.SIGTERM)
            # Bare: asyncio waits 30 s for the close_notify; fixed: 3 s.
            ended = await holds(lambda: process.poll() is not None, 15)
    assert ended is exits
