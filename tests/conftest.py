"""Shared fixtures: one real relay server for the run, a fresh account per test."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.api import Api, Device
from tests.support.footage import real_footage, write_video
from tests.support.relay_server import RelayServer
from tests.support.state_site import make_site, new_cameras

_names = itertools.count(1)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayServer]:
    """A relay server shared by the tests that need no special settings."""
    relay = RelayServer(tmp_path_factory.mktemp("relay")).start()
    yield relay
    relay.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP/2 client that accepts the self-signed certificate."""
    async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as client:
        yield client


@pytest.fixture
async def account(server: RelayServer) -> tuple[str, str]:
    """A new account (name, password) on the shared server."""
    name, password = f"user{next(_names)}", "pw-" + str(next(_names))
    await server.add_account(name, password)
    return name, password


@pytest.fixture
def api(server: RelayServer, http: httpx.AsyncClient) -> Api:
    """The JSON API of the shared server over HTTP/2."""
    return Api(http, server.url)


@pytest.fixture
async def device(api: Api, account: tuple[str, str]) -> Device:
    """An authorized device 'dev1' of a new account."""
    return await api.login(*account, device="dev1")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory for a server of the test's own."""
    return tmp_path / "data"


@pytest.fixture(scope="session")
def footage_file() -> Path:
    """The real pedestrian clip; skips the test when it is absent (fails on CI)."""
    return real_footage()


@pytest.fixture(scope="session")
def video_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small video made for the run, for tests that need a video file but not real footage."""
    return write_video(tmp_path_factory.mktemp("video") / "moving-square.avi")


@pytest.fixture(scope="module")
def site(server: RelayServer) -> dict[str, str]:
    """One account for the module with users of each role, for the camera-state tests (see
    make_site)."""
    return make_site(server)


@pytest.fixture
async def cams(server: RelayServer, site: dict[str, str]) -> dict[str, str]:
    """A private camera and a public one of the site, new for the test."""
    return await new_cameras(server, site)
