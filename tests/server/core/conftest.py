"""A migrated store in tmp_path and a relay core on a hand-moved clock; no server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from camrelay.server.core.accounts import Account
from camrelay.server.core.clock import ManualClock
from camrelay.server.core.relay import Relay, open_relay
from camrelay.settings import load_settings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def relay(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Relay]:
    settings = load_settings(overrides={"server": {"data_dir": tmp_path}})
    core = await open_relay(settings, clock)
    yield core
    await core.close()


@pytest.fixture
async def owner(relay: Relay) -> Account:
    return await relay.accounts.add("owner", "secret")
