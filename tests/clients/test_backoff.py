"""The one reconnect backoff: delays grow, stop at the cap, jitter stays in its bounds, and a
success starts over; seeded randomness and a fake sleep make every figure exact."""

from __future__ import annotations

import asyncio
import random

import pytest

from camrelay.clients.backoff import Backoff, Retry


class Sleeps:
    """A fake sleep that records what it was asked to wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def test_without_jitter_delays_double_up_to_the_cap() -> None:
    backoff = Backoff(first_s=0.5, factor=2.0, max_s=3.0, jitter=0)
    assert [backoff.delay(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_jitter_stays_within_its_fraction_below_each_ceiling() -> None:
    backoff, rng = Backoff(first_s=1.0, factor=2.0, max_s=30.0, jitter=0.2), random.Random(7)
    for failures in range(1, 12):
        for _ in range(200):
            top = backoff.ceiling(failures)
            assert 0.8 * top <= backoff.delay(failures, rng) <= top <= 30.0


def test_jitter_spreads_clients_that_failed_together() -> None:
    backoff = Backoff(first_s=1.0, max_s=30.0, jitter=0.5)
    delays = {round(backoff.delay(4, random.Random(seed)), 6) for seed in range(20)}
    assert len(delays) == 20


async def test_retry_sleeps_growing_delays_and_starts_over_after_a_success() -> None:
    sleeps = Sleeps()
    retry = Retry(Backoff(first_s=1.0, max_s=4.0, jitter=0.25), sleeps, random.Random(1))
    for _ in range(4):
        await retry.wait()
    retry.succeeded()
    await retry.wait()
    ceilings = [1.0, 2.0, 4.0, 4.0, 1.0]
    assert all(0.75 * top <= got <= top for got, top in zip(sleeps.delays, ceilings, strict=True))
    again = Retry(Backoff(first_s=1.0, max_s=4.0, jitter=0.25), Sleeps(), random.Random(1))
    assert [again.next_delay() for _ in range(4)] == sleeps.delays[:4]  # seeded: repeatable


async def test_wake_ends_a_wait_at_once_and_starts_the_sequence_over() -> None:
    retry = Retry(Backoff(first_s=3600.0, max_s=3600.0, jitter=0))
    for _ in range(3):
        retry.next_delay()
    waiting = asyncio.create_task(retry.wait())
    await asyncio.sleep(0)  # it is asleep on its hour
    assert not waiting.done() and retry.failures == 4
    retry.wake()
    assert await asyncio.wait_for(waiting, timeout=10) == 3600.0
    assert retry.failures == 0
    retry.wake()  # a wake with nobody waiting is not kept for the next wait
    sleeps = Sleeps()
    retry.sleep = sleeps
    await retry.wait()
    assert sleeps.delays == [3600.0]


@pytest.mark.parametrize(
    "bad", [{"jitter": 1.0}, {"jitter": -0.1}, {"factor": 0.5}, {"first_s": -1.0}]
)
def test_a_backoff_that_would_not_back_off_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**bad)
