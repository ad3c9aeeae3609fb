"""A node whose PostgreSQL database goes away answers code 3 at once, never hangs, and serves
again as soon as the database is back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest

from tests.support.api import Api
from tests.support.postgres import fresh_database, postgres_url
from tests.support.relay_server import RelayServer

DOWN = {"result": "BAD", "code": 3}


@pytest.fixture
def pg_node(tmp_path: Path) -> Iterator[RelayServer]:
    relay = RelayServer(tmp_path / "data", store_url=fresh_database()).start()
    yield relay
    relay.stop()


def _database_up(url: str, up: bool) -> None:
    """Let connections to the node's database in, or refuse them and end the ones it holds."""
    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(postgres_url(), autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(up).lower()}')
        if not up:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname=%s", (name,)
            )


async def test_requests_answer_code_3_while_the_database_is_away(
    pg_node: RelayServer, http: httpx.AsyncClient
) -> None:
    await pg_node.add_account("owner", "pw")
    api = Api(http, pg_node.url)
    device = await api.login("owner", "pw", "cam")
    assert (await device.call("addMsgs", msg="before"))["result"] == "OK"
    _database_up(pg_node.store_url, False)
    try:
        started = time.monotonic()
        write = await device.call("addMsgs", msg="during")
        read = await device.call("getRecordCount")
        record = await device.add_record(b"during")
        took = time.monotonic() - started
    finally:
        _database_up(pg_node.store_url, True)
    assert (write, read, record) == (DOWN, DOWN, DOWN)
    assert took < 10  # not frozen: each failed at once, well before any deadline
    assert (await device.call("addMsgs", msg="after"))["result"] == "OK"
    assert (await device.call("getRecordCount"))["result"] == "OK"
