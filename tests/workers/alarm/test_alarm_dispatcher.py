"""The alert dispatcher and registry: concurrency, retries with backoff, selection."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import pytest

from camrelay.workers.alarm.alerter_settings import AlertersSettings
from camrelay.workers.alarm.alerters.base import Alerter, AlerterError, AlertEvent
from camrelay.workers.alarm.alerters.dispatcher import (
    AlertDispatcher,
    Delivery,
    RetryPolicy,
    concerned,
)
from camrelay.workers.alarm.alerters.registry import build_alerters
from camrelay.workers.alarm.alerters.siren import SirenAlerter
from camrelay.workers.alarm.alerters.telegram import TelegramAlerter

ALARM = AlertEvent("Alarm", 1.0)


@dataclass
class FakeAlerter:
    """Records what it was sent; fails its first `failures` attempts."""

    name: str
    enabled: bool = True
    test_grp: bool = True
    failures: int = 0
    hang: bool = False
    received: list[AlertEvent] = field(default_factory=list)
    attempts: int = 0

    async def send(self, event: AlertEvent) -> None:
        self.attempts += 1
        if self.hang:
            await asyncio.sleep(3600)
        if self.attempts <= self.failures:
            raise AlerterError(f"{self.name} down (attempt {self.attempts})")
        self.received.append(event)


class Sleeps:
    """A fake sleep that records the backoff delays."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def test_fakes_follow_the_protocol() -> None:
    assert isinstance(FakeAlerter("x"), Alerter)


async def test_a_failing_alerter_is_retried_and_the_other_still_delivers() -> None:
    flaky, steady, sleeps = FakeAlerter("flaky", failures=2), FakeAlerter("steady"), Sleeps()
    dispatcher = AlertDispatcher([flaky, steady], RetryPolicy(attempts=3), sleep=sleeps)
    deliveries = await dispatcher.dispatch(ALARM)
    assert deliveries == [Delivery("flaky", True, 3), Delivery("steady", True, 1)]
    assert flaky.received == [ALARM] and steady.received == [ALARM]
    # 2 s then 4 s, each less up to 20 % jitter.
    assert 1.6 <= sleeps.delays[0] <= 2.0 and 3.2 <= sleeps.delays[1] <= 4.0


async def test_a_dead_alerter_gives_up_after_the_bounded_attempts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dead, steady = FakeAlerter("dead", failures=99), FakeAlerter("steady")
    dispatcher = AlertDispatcher([dead, steady], RetryPolicy(attempts=4), sleep=Sleeps())
    with caplog.at_level(logging.WARNING):
        deliveries = await dispatcher.dispatch(ALARM)
    assert deliveries == [
        Delivery("dead", False, 4, "dead down (attempt 4)"),
        Delivery("steady", True, 1),
    ]
    assert dead.attempts == 4
    assert "alerter dead: gave up after 4 attempts: dead down (attempt 4)" in caplog.text


async def test_an_alerter_that_raises_anything_does_not_stop_the_others() -> None:
    class Broken(FakeAlerter):
        async def send(self, event: AlertEvent) -> None:
            raise RuntimeError("bug in plugin")

    steady = FakeAlerter("steady")
    deliveries = await AlertDispatcher(
        [Broken("broken"), steady], RetryPolicy(attempts=1), sleep=Sleeps()
    ).dispatch(ALARM)
    assert deliveries == [
        Delivery("broken", False, 1, "bug in plugin"),
        Delivery("steady", True, 1),
    ]


async def test_a_hanging_alerter_times_out_while_others_deliver() -> None:
    stuck, steady = FakeAlerter("stuck", hang=True), FakeAlerter("steady")
    policy = RetryPolicy(attempts=2, attempt_timeout_s=0.05)
    deliveries = await AlertDispatcher([stuck, steady], policy, sleep=Sleeps()).dispatch(ALARM)
    assert deliveries == [Delivery("stuck", False, 2, "TimeoutError"), Delivery("steady", True, 1)]


async def test_alerters_run_concurrently() -> None:
    started: list[str] = []
    both_started = asyncio.Event()

    class Waiting(FakeAlerter):
        async def send(self, event: AlertEvent) -> None:
            started.append(self.name)
            if len(started) == 2:
                both_started.set()
            # Each waits for the other: only concurrent delivery can finish.
            await asyncio.wait_for(both_started.wait(), 1)

    deliveries = await AlertDispatcher([Waiting("a"), Waiting("b")]).dispatch(ALARM)
    assert [d.ok for d in deliveries] == [True, True]


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(attempts=6, first_delay_s=2, backoff=3, max_delay_s=30, jitter=0)
    assert [policy.delay_before(n) for n in range(2, 7)] == [2, 6, 18, 30, 30]


def test_selection_of_alerters() -> None:
    on = FakeAlerter("on")
    off = FakeAlerter("off", enabled=False)
    untested = FakeAlerter("untested", test_grp=False)
    telegram = FakeAlerter("telegram")
    alerters = [on, off, untested, telegram]
    assert concerned(alerters, ALARM) == [on, untested, telegram]
    test = AlertEvent("Test", 1.0, is_test=True, excluded=frozenset({"telegram"}))
    assert concerned(alerters, test) == [on]


async def test_nothing_to_do_is_fine() -> None:
    assert await AlertDispatcher([]).dispatch(ALARM) == []


def test_registry_builds_complete_plugins_and_the_extra_ones() -> None:
    settings = AlertersSettings.model_validate(
        {
            "telegram": {"api_key": "1:abc", "chat_ids": ["1"]},
            "siren": {"ssh_host": "siren.local"},
        }
    )
    relay = FakeAlerter("relay")
    alerters = build_alerters(settings, extra=[relay])
    assert [a.name for a in alerters] == ["telegram", "siren", "relay"]
    assert isinstance(alerters[0], TelegramAlerter) and isinstance(alerters[1], SirenAlerter)


def test_registry_leaves_out_enabled_plugins_with_missing_settings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        alerters = build_alerters(AlertersSettings())
    assert alerters == []
    assert "alerter telegram is enabled but has no api_key, chat_ids; left out" in caplog.text
    assert "alerter siren is enabled but has no ssh_host; left out" in caplog.text


def test_registry_keeps_disabled_plugins_for_completeness() -> None:
    settings = AlertersSettings.model_validate(
        {"telegram": {"enabled": False}, "siren": {"enabled": False}}
    )
    alerters = build_alerters(settings)
    assert [(a.name, a.enabled) for a in alerters] == [("telegram", False), ("siren", False)]
