"""The state-sync WebSocket at /api/v1 (CONTRACT §5) with the `websockets` client over wss and
ws against the real server: login, snapshot, writes, gets, every error, roles and broadcasts."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from camrelay.server.core.state_keys import DEFAULTS, KEYS
from tests.support.metrics import metric
from tests.support.relay_server import RelayServer
from tests.support.state_socket import NOTHING_TO_SNAP, StateSocket, state_socket

PUBLIC = ["cam1-exists", "cam2-exists", "main-camera", "resolution", "fps", "record"]
DIRECT = "camrelay_state_sent_direct_total"
WRITABLE = [name for name, key in KEYS.items() if key.writable]


def auth(user: str, role: str, permissions: list[str] | None = None) -> dict[str, Any]:
    """The login answer of a user."""
    if permissions is None:
        permissions = WRITABLE if role in ("admin", "operator") else []
    return {"authenticated": True, "user": user, "role": role, "permissions": permissions}


def public_snapshot() -> dict[str, Any]:
    return {name: DEFAULTS[name] for name in PUBLIC}


async def log_in(sock: StateSocket, site: dict[str, str], role: str) -> dict[str, Any]:
    """Log in as the site's user of that role; the snapshot."""
    return await sock.login(username=site[role], password=site[role][::-1])


@pytest.mark.parametrize("secure", [True, False], ids=["wss", "ws"])
async def test_login_with_a_password_then_a_token_gives_the_whole_state(
    server: RelayServer,
    site: dict[str, str],
    cams: dict[str, str],
    http: httpx.AsyncClient,
    secure: bool,
) -> None:
    async with state_socket(server, secure, device=cams["cam"]) as sock:
        await sock.ask(
            {"username": site["admin"], "password": site["password"]},
            auth(site["admin"], "admin"),
            DEFAULTS,
        )
    response = await http.post(
        f"{server.url}/api/login",
        json={"username": site["viewer"], "password": site["viewer"][::-1]},
    )
    token = response.json()["token"]
    async with state_socket(server, secure, device=cams["cam"]) as sock:
        await sock.ask({"token": token}, auth(site["viewer"], "viewer"), DEFAULTS)


async def test_failed_logins_keep_the_socket_open_and_anonymous(
    server: RelayServer, site: dict[str, str], cams: dict[str, str]
) -> None:
    failed = {"authenticated": False, "error": "Invalid credentials"}
    async with state_socket(server, device=cams["cam"], account=site["account"]) as sock:
        await sock.ask({"username": site["admin"], "password": "wrong"}, failed)
        await sock.ask({"token": "not-a-token"}, failed)
        await sock.ask({"username": site["admin"]}, failed)
        await sock.ask({"brightness": 60}, {"error": "Permission denied", "key": "brightness"})
        assert await log_in(sock, site, "admin") == DEFAULTS


async def test_single_and_batch_writes_are_confirmed_and_read_back(
    server: RelayServer, site: dict[str, str], cams: dict[str, str]
) -> None:
    async with state_socket(server, secure=False, device=cams["cam"]) as sock:
        await log_in(sock, site, "operator")
        await sock.ask({"brightness": 75}, {"brightness": 75, "info": ["brightness"]})
        batch = {"brightness": 70, "contrast": 60, "saturation": 50, "sharpness": 45}
        await sock.ask(batch, {**batch, "info": list(batch)})
        await sock.ask(
            {"record": True, "auto-exposure": "manual", "resolution": "640x480"},
            {
                "record": "on",
                "auto-exposure": False,
                "resolution": "640x480",
                "info": ["record", "auto-exposure", "resolution"],
            },
        )
        await sock.ask({"record": "pause_release"}, {"record": "on", "info": ["record"]})
        await sock.ask({"snap": True}, {"snap": True, **NOTHING_TO_SNAP, "info": ["snap"]})
        await sock.ask(
            {"get": ["brightness", "contrast", "resolution", "record", "snap"]},
            {
                "brightness": 70,
                "contrast": 60,
                "resolution": "640x480",
                "record": "on",
                "snap": False,
            },
        )
        await sock.ask({"info": ["sharpness"]}, {"sharpness": 45})
        await sock.ask(
            {"get": ["fps", "zoom"]}, {"fps": 25}, {"error": "Unknown key", "key": "zoom"}
        )


EDGES = [
    ("brightness", 0, None),
    ("brightness", 100, None),
    ("brightness", -1, "Value must be between 0 and 100"),
    ("brightness", 101, "Value must be between 0 and 100"),
    ("brightness", "50", "Value must be between 0 and 100"),
    ("brightness", 50.5, "Value must be between 0 and 100"),
    ("jpeg-quality", 101, "Value must be between 0 and 100"),
    ("fps", 5, None),
    ("fps", 60, None),
    ("fps", 4, "Value must be between 5 and 60"),
    ("fps", 61, "Value must be between 5 and 60"),
    ("main-camera", 3, "Value must be one of 1, 2"),
    ("cam2-sensor", 0, "Value must be between 1 and 4"),
    ("cam1-light", "on", "Value must be true or false"),
    ("resolution", "800x600", 'Value must be one of "1920x1080", "1280x720", "640x480", "320x240"'),
    ("pip-mode", "mosaic", 'Value must be one of "off", "pip", "side-by-side"'),
    ("auto-white-balance", 1, 'Value must be true, false, "auto" or "manual"'),
    ("record", "start", 'Value must be true, false, "on", "off", "pause" or "pause_release"'),
    ("snap", False, "Value must be true (a trigger)"),
]


async def test_every_range_edge(
    server: RelayServer, site: dict[str, str], cams: dict[str, str]
) -> None:
    async with state_socket(server, device=cams["cam"]) as sock:
        await log_in(sock, site, "admin")
        for key, value, rule in EDGES:
            if rule is None:
                await sock.ask({key: value}, {key: value, "info": [key]})
            else:
                error = {"error": "Invalid value", "key": key, "message": rule}
                await sock.ask({key: value}, error)


async def test_bad_messages_answer_an_error_and_the_socket_stays(
    server: RelayServer, site: dict[str, str], cams: dict[str, str]
) -> None:
    def invalid(message: str) -> dict[str, str]:
        return {"error": "Invalid message", "message": message}

    async with state_socket(server, device=cams["cam"]) as sock:
        await log_in(sock, site, "admin")
        await sock.ask("{not json", invalid("Message must be JSON"))
        await sock.ask("[1, 2]", invalid("Message must be a JSON object"))
        await sock.ask("[" * 30000 + "]" * 30000, invalid("Message must be JSON"))
        await sock.ask(b"\xff\xfe", invalid("Message must be JSON"))
        await sock.ask('"brightness"', invalid("Message must be a JSON object"))
        await sock.ask({"get": "brightness"}, invalid('"get" must be a list of keys'))
        huge = {"brightness": 1, "pad": "x" * (70 << 10)}
        await sock.ask(huge, invalid("Message larger than 65536 bytes"))
        await sock.ask(
            {"cam1-exists": True, "cam2-exists": False, "zoom": 3, "gain": 10},
            {"gain": 10, "info": ["gain"]},
            {"error": "Permission denied", "key": "cam1-exists"},
            {"error": "Permission denied", "key": "cam2-exists"},
            {"error": "Unknown key", "key": "zoom"},
        )
        await sock.settled()


async def test_a_viewer_reads_everything_and_writes_nothing(
    server: RelayServer, site: dict[str, str], cams: dict[str, str]
) -> None:
    async with state_socket(server, device=cams["cam"]) as sock:
        assert await log_in(sock, site, "viewer") == DEFAULTS
        await sock.ask(
            {"brightness": 10, "record": "on"},
            {"error": "Permission denied", "key": "brightness"},
            {"error": "Permission denied", "key": "record"},
        )


async def test_a_scoped_user_is_refused_a_camera_outside_its_scope(
    server: RelayServer, site: dict[str, str], cams: dict[str, str]
) -> None:
    async with state_socket(server, device=cams["cam"]) as sock:
        await sock.send({"username": site["scoped"], "password": site["scoped"][::-1]})
        await sock.ws.wait_closed()
        assert sock.ws.close_code == 1008
        assert sock.ws.close_reason == f"Camera {cams['cam']} is not in your scope"
    # Without ?device it addresses the only camera it sees.
    async with state_socket(server) as sock:
        assert await log_in(sock, site, "scoped") == DEFAULTS
        await sock.ask({"fps": 30}, {"fps": 30, "info": ["fps"]})
    async with state_socket(server, device="scoped") as sock:
        assert (await log_in(sock, site, "scoped"))["fps"] == 30


async def test_several_cameras_and_none_named_answer_no_camera_selected(
    server: RelayServer, site: dict[str, str], cams: dict[str, str]
) -> None:
    no_camera = {"error": "No camera selected", "message": "connect to /api/v1?device=NAME"}
    async with state_socket(server) as sock:
        await sock.ask(
            {"username": site["admin"], "password": site["password"]},
            auth(site["admin"], "admin"),
            no_camera,
        )
        await sock.ask({"brightness": 5}, no_camera)
        await sock.ask({"get": ["brightness"]}, no_camera)
    async with state_socket(server, device="ghost") as sock:
        await sock.send({"username": site["admin"], "password": site["password"]})
        await sock.ws.wait_closed()
        assert (sock.ws.close_code, sock.ws.close_reason) == (
            1008,
            "No camera ghost in your account",
        )


async def test_anonymous_sockets_read_the_public_keys_of_public_cameras_only(
    server: RelayServer, site: dict[str, str], cams: dict[str, str]
) -> None:
    async with state_socket(server, device=cams["pub"], account=site["account"]) as sock:
        await sock.expect(public_snapshot())
        await sock.ask({"fps": 10}, {"error": "Permission denied", "key": "fps"})
        await sock.ask(
            {"get": ["fps", "brightness"]},
            {"fps": 25},
            {"error": "Permission denied", "key": "brightness"},
        )
    for device in (cams["cam"], "ghost"):  # private, or no such camera: the same nothing
        async with state_socket(server, device=device, account=site["account"]) as sock:
            await sock.ask(
                {"get": ["fps", "zoom"]},
                {"error": "Permission denied", "key": "fps"},
                {"error": "Unknown key", "key": "zoom"},
            )
            await sock.ask({"fps": 10}, {"error": "Permission denied", "key": "fps"})


async def test_a_change_reaches_exactly_the_other_sockets_that_may_read_it_once(
    server: RelayServer, site: dict[str, str], cams: dict[str, str]
) -> None:
    async with (
        state_socket(server, device=cams["pub"]) as writer,
        state_socket(server, secure=False, device=cams["pub"]) as viewer,
        state_socket(server, device=cams["pub"], account=site["account"]) as anonymous,
        state_socket(server, device=cams["cam"]) as elsewhere,
    ):
        await log_in(writer, site, "operator")
        await log_in(viewer, site, "viewer")
        await anonymous.expect(public_snapshot())
        await log_in(elsewhere, site, "admin")
        direct = await metric(server.url, DIRECT)
        await writer.ask(
            {"brightness": 81, "fps": 31, "zoom": 1},
            {"brightness": 81, "fps": 31, "info": ["brightness", "fps"]},
            {"error": "Unknown key", "key": "zoom"},
        )
        await viewer.expect({"brightness": 81, "fps": 31})
        await anonymous.expect({"fps": 31})
        # Idle sockets over HTTP/1.1 (wss and ws) got theirs from the connection's direct writer.
        assert await metric(server.url, DIRECT) >= direct + 2
        await writer.ask({"fps": 31}, {"fps": 31, "info": ["fps"]})  # unchanged: no broadcast
        for sock in (writer, viewer, anonymous):
            await sock.settled()
        await elsewhere.ask({"get": ["fps"]}, {"fps": 25})
