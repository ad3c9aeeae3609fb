"""Shared fixtures: one real relay server for the run, a fresh account per test.

The core API conformance modules (CONFORMANCE) run twice, once on each store: their tests get
ids ending in [sqlite] and [postgresql] and the `server` of that store.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.api import Api, Device
from tests.support.footage import REAL_CLIP, real_footage, write_video
from tests.support.postgres import fresh_database
from tests.support.relay_server import HASH_ENV, RelayServer
from tests.support.state_site import make_site, new_cameras

# Every process the tests start (servers, `camrelay user add`, nodes) hashes cheaply.
os.environ.update(HASH_ENV)

_names = itertools.count(1)
STORES = ("sqlite", "postgresql")
# The core API conformance suite, which also runs on PostgreSQL: the core HTTP/2 API's modules
# (core-http2-api.txt, CONTRACT §1-4) and the state sync's, whose values the store keeps. The
# transport and hostile-input modules, /metrics, the admin API and the web pages pass on
# PostgreSQL too, but would only add minutes for no more store coverage.
CONFORMANCE = re.compile(
    r"server/faces/test_(account_isolation|bad_input|camera_keys|document_examples"
    r"|message_sync|original_params|query_string_forms|real_clients|record_limits|roles|scopes"
    r"|streams|state_sync|state_recording)\.py"
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each conformance test that uses the shared server once per store."""
    path = Path(metafunc.definition.path).relative_to(Path(__file__).parent).as_posix()
    if "server" in metafunc.fixturenames and CONFORMANCE.fullmatch(path):
        metafunc.parametrize("store", STORES, indirect=True, scope="module")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The real-clip counter tests run the detector over a whole clip: on a loaded 2-core
    machine one takes over the suite's 120 s default, so they get 300 s; and their modules go
    first, so that xdist's workers do not wait at the end for the longest, CPU-bound files."""
    heavy = set()
    for item in items:
        group = item.get_closest_marker("xdist_group")
        if group is not None and group.args == REAL_CLIP.args:
            item.add_marker(pytest.mark.timeout(300))
            heavy.add(item.path)
    items.sort(key=lambda item: item.path not in heavy)  # stable: the order within stays


@pytest.fixture(scope="module")
def store(request: pytest.FixtureRequest) -> str:
    """The store the module's shared server runs on: SQLite unless parametrized."""
    return str(getattr(request, "param", "sqlite"))


class SharedServers:
    """One shared server per store, each started on first use and stopped at the end."""

    def __init__(self, tmp: pytest.TempPathFactory) -> None:
        self._tmp = tmp
        self._started: dict[str, RelayServer] = {}

    def get(self, store: str) -> RelayServer:
        if store not in self._started:
            url = fresh_database() if store == "postgresql" else ""
            relay = RelayServer(self._tmp.mktemp(f"relay-{store}"), store_url=url)
            self._started[store] = relay.start()
        return self._started[store]

    def stop(self) -> None:
        for relay in self._started.values():
            relay.stop()


@pytest.fixture(scope="session")
def shared_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServers]:
    """The shared servers of the run."""
    servers = SharedServers(tmp_path_factory)
    yield servers
    servers.stop()


@pytest.fixture(scope="module")
def server(shared_servers: SharedServers, store: str) -> RelayServer:
    """A relay server shared by the tests that need no special settings, on the module's store."""
    return shared_servers.get(store)


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
