"""The web page's fixtures: one Chromium per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.support.browser import chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, shared by the module's tests. Playwright's sync API runs an event loop
    while it lives: tests list the fixtures that call asyncio.run (site, scene) before this one."""
    with chromium() as launched:
        yield launched
