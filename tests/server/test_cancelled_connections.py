"""A connection task cancelled at shutdown is not an error (CPython gh-113538 on 3.11.7 logs
a traceback for it from the stream callback); every other loop error is still reported."""

from __future__ import annotations

import asyncio
import logging

import pytest

from camrelay.server.serving import _quiet_cancelled_connections


async def test_only_cancellations_are_kept_quiet(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    _quiet_cancelled_connections(loop)
    try:
        with caplog.at_level(logging.ERROR, logger="asyncio"):
            loop.call_exception_handler(
                {"message": "Exception in callback", "exception": asyncio.CancelledError()}
            )
            assert caplog.records == []
            loop.call_exception_handler(
                {"message": "Exception in callback", "exception": ValueError("real")}
            )
        assert [r.getMessage() for r in caplog.records] == ["Exception in callback"]
    finally:
        loop.set_exception_handler(previous)
