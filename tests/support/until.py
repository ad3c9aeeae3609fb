"""Waiting on a condition instead of a sleep: the one polling helper every test uses."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def until(
    condition: Callable[[], T | Awaitable[T]],
    timeout: float = 20.0,
    every: float = 0.02,
    what: str = "",
) -> T:
    """Poll `condition` (plain or async) until it is truthy and return that value; fail the
    test naming `what` (or the condition) when `timeout` seconds pass first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if loop.time() >= deadline:
            raise AssertionError(f"not within {timeout} s: {what or _describe(condition)}")
        await asyncio.sleep(every)


def _describe(condition: Callable[..., object]) -> str:
    try:
        return inspect.getsource(condition).strip()
    except (OSError, TypeError):
        return repr(condition)
