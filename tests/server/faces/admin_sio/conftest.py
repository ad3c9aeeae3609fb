"""The admin API tests' fixture: an account's admin with a socket open."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.admin_socket import Admin, new_admin
from tests.support.relay_server import RelayServer


@pytest.fixture
async def admin(server: RelayServer) -> AsyncIterator[Admin]:
    found = await new_admin(server)
    yield found
    await found.sock.close()
