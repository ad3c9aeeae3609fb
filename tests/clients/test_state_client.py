"""The state client (CONTRACT §5) against the real relay over wss and ws: login both ways, the
snapshot, get, set and the refusals, changes from another socket, a slow reader, the end."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from camrelay.clients import state as state_module
from camrelay.clients.state import LoginFailed, StateClient, StateClosed, StateError, state_url
from camrelay.server.core.state_keys import DEFAULTS, KEYS
from tests.support.relay_server import RelayServer
from tests.support.state_socket import NOTHING_TO_SNAP
from tests.support.until import until

WAIT_S = 10.0  # a change that does not come in this long is not coming


@pytest.fixture(params=[True, False], ids=["wss", "ws"])
def url(server: RelayServer, request: pytest.FixtureRequest) -> str:
    """The server's TLS address (wss), or its h2c one (ws)."""
    return server.url if request.param else server.h2c_url


def client(url: str, site: dict[str, str], device: str, role: str = "operator") -> StateClient:
    """A client of the camera logged in by password as the site's user of that role."""
    user = site[role]
    return StateClient(url, device=device, username=user, password=user[::-1], verify=False)


def test_the_url_is_built_from_any_address() -> None:
    assert state_url("https://relay:8080", "cam 1", None) == "wss://relay:8080/api/v1?device=cam+1"
    assert state_url("ws://relay/api/v1", "c", "acme") == "ws://relay/api/v1?account=acme&device=c"
    with pytest.raises(ValueError):
        state_url("ftp://relay", "c", None)


async def test_login_gives_the_snapshot_and_set_confirms(
    url: str, site: dict[str, str], cams: dict[str, str]
) -> None:
    async with client(url, site, cams["cam"]) as cam:
        assert (cam.identity["user"], cam.identity["role"]) == (site["operator"], "operator")
        assert cam.identity["permissions"] == [n for n, key in KEYS.items() if key.writable]
        assert cam.state == DEFAULTS
        assert await cam.set(brightness=90) == {"brightness": 90}
        assert cam.state["brightness"] == 90
        assert await cam.set({"fps": 30}, red_gain=70) == {"fps": 30, "red-gain": 70}
        assert await cam.get("brightness", "fps") == {"brightness": 90, "fps": 30}
        assert await cam.set(snap=True) == {"snap": True, **NOTHING_TO_SNAP}
    async with client(url, site, cams["cam"], "viewer") as again:
        assert again.state == {**DEFAULTS, "brightness": 90, "fps": 30, "red-gain": 70}


async def test_a_token_logs_in_too_until_it_is_logged_out(
    url: str, site: dict[str, str], cams: dict[str, str], http: httpx.AsyncClient
) -> None:
    user = site["viewer"]
    answer = await http.post(f"{url}/api/login", json={"username": user, "password": user[::-1]})
    async with StateClient(
        url, device=cams["cam"], token=answer.json()["token"], verify=False
    ) as cam:
        assert (cam.identity["user"], cam.identity["role"]) == (user, "viewer")
        assert cam.state == DEFAULTS
        bearer = {"authorization": f"Bearer {answer.json()['token']}"}
        assert (await http.post(f"{url}/api/logout", headers=bearer)).status_code == 200
        await until(lambda: cam.identity == {}, what="the server ended the login")
        with pytest.raises(StateError) as refused:  # anonymous on a private camera now
            await cam.get("brightness")
        assert (refused.value.key, refused.value.error) == ("brightness", "Permission denied")


async def test_refused_keys_raise_naming_key_and_rule(
    url: str, site: dict[str, str], cams: dict[str, str]
) -> None:
    async with client(url, site, cams["cam"]) as cam:
        with pytest.raises(StateError) as refused:
            await cam.set(brightness=101, contrast=60, nonsense=1)
        error = refused.value
        assert (error.key, error.error, error.message) == (
            "brightness",
            "Invalid value",
            "Value must be between 0 and 100",
        )
        assert str(error) == "brightness: Invalid value (Value must be between 0 and 100)"
        assert [(e.key, e.error) for e in error.others] == [("nonsense", "Unknown key")]
        assert error.accepted == {"contrast": 60}  # the batch applied what it could
        assert cam.state["contrast"] == 60
        with pytest.raises(StateError) as unknown:
            await cam.get("brightness", "nonsense")
        assert (unknown.value.key, unknown.value.error) == ("nonsense", "Unknown key")
        assert await cam.set(brightness=40) == {"brightness": 40}  # the socket goes on


async def test_a_viewer_is_refused_writes(
    url: str, site: dict[str, str], cams: dict[str, str]
) -> None:
    async with client(url, site, cams["cam"], "viewer") as cam:
        with pytest.raises(StateError) as refused:
            await cam.set(brightness=10)
        assert (refused.value.key, refused.value.error) == ("brightness", "Permission denied")
        assert await cam.get("brightness") == {"brightness": DEFAULTS["brightness"]}


async def test_wrong_credentials_and_a_closed_connection_say_why(
    url: str, site: dict[str, str], cams: dict[str, str]
) -> None:
    with pytest.raises(LoginFailed) as failed:
        async with StateClient(
            url, device=cams["cam"], username=site["operator"], password="wrong", verify=False
        ):
            pass
    assert failed.value.error == "Invalid credentials"
    with pytest.raises(StateClosed) as closed:
        async with client(url, site, cams["cam"], "scoped"):
            pass
    reason = f"1008 Camera {cams['cam']} is not in your scope"
    assert (closed.value.code, closed.value.message) == (1008, reason)


async def test_anonymous_reads_the_public_keys(
    url: str, site: dict[str, str], cams: dict[str, str]
) -> None:
    async with StateClient(url, device=cams["pub"], account=site["account"], verify=False) as cam:
        await until(lambda: cam.state, what="public snapshot")
        public = ("cam1-exists", "cam2-exists", "main-camera", "resolution", "fps", "record")
        assert cam.state == {name: DEFAULTS[name] for name in public}
        with pytest.raises(StateError) as refused:
            await cam.set(fps=10)
        assert (refused.value.key, refused.value.error) == ("fps", "Permission denied")


async def test_changes_by_others_arrive_once_and_update_the_state(
    url: str, site: dict[str, str], cams: dict[str, str]
) -> None:
    async with (
        client(url, site, cams["cam"], "viewer") as watcher,
        client(url, site, cams["cam"]) as writer,
    ):
        changes = watcher.changes()
        await writer.set(brightness=70, contrast=20)
        assert await asyncio.wait_for(anext(changes), WAIT_S) == {"brightness": 70, "contrast": 20}
        assert watcher.state["brightness"] == 70
        await writer.set(brightness=70)  # unchanged: not a change
        await writer.set(fps=10)
        assert await asyncio.wait_for(anext(changes), WAIT_S) == {"fps": 10}


async def test_a_slow_reader_gets_its_changes_merged_to_the_newest(
    url: str, site: dict[str, str], cams: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(state_module, "CHANGES_QUEUED", 3)
    async with (
        client(url, site, cams["cam"], "viewer") as watcher,
        client(url, site, cams["cam"]) as writer,
    ):
        for level in range(1, 11):
            await writer.set(brightness=level, contrast=level if level < 5 else 4)
        await until(lambda: watcher.state["brightness"] == 10, what="all changes read")
        changes = watcher.changes()
        got = [await asyncio.wait_for(anext(changes), WAIT_S) for _ in range(3)]
        merged: dict[str, Any] = {}
        for change in got:
            merged.update(change)
        assert merged == {"brightness": 10, "contrast": 4}
        assert got[-1] == {"brightness": 10}


@pytest.fixture
def stopping(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayServer]:
    """A server of the test's own, to stop under its sockets; account `own`, camera `cam`."""
    relay = RelayServer(tmp_path_factory.mktemp("stopping")).start()
    asyncio.run(relay.add_account("own", "own-pw"))
    asyncio.run(relay.add_camera("own", "cam"))
    yield relay
    if relay.process is not None and relay.process.poll() is None:
        relay.stop()


async def test_a_server_that_stops_ends_the_changes_and_fails_requests(
    stopping: RelayServer,
) -> None:
    async with StateClient(
        stopping.h2c_url, device="cam", username="own", password="own-pw"
    ) as cam:
        await asyncio.to_thread(stopping.stop)
        assert [c async for c in cam.changes()] == []
        with pytest.raises(StateClosed) as closed:
            await cam.set(brightness=1)
        assert (closed.value.code, closed.value.message) == (1001, "1001 Server shutting down")
