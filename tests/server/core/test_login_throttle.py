"""The failed-login slow-down, on a hand-moved clock."""

from __future__ import annotations

import asyncio

import pytest

from camrelay.protocol.errors import NoSuchUser
from camrelay.server.core.clock import ManualClock
from camrelay.server.core.login_throttle import LoginThrottle


class WrongPassword(Exception):
    """What the password check inside a turn raises for a wrong guess."""


async def fail(throttle: LoginThrottle, address: str, name: str) -> None:
    """One authorization whose password check found nothing (a refusal raises NoSuchUser)."""
    try:
        async with throttle.turn(address, name):
            raise WrongPassword()
    except WrongPassword:
        pass


async def test_waits_double_and_own_success_clears_only_own_failures() -> None:
    clock = ManualClock()
    throttle = LoginThrottle(clock, base_s=0.0001, max_s=1.0)
    for _ in range(3):
        await fail(throttle, "10.0.0.9", "alice")  # guesses, never succeeded
    await fail(throttle, "10.0.0.9", "bob")
    throttle.succeeded("10.0.0.9", "bob")  # the attacker's own account: alice's stay
    assert throttle.delay("10.0.0.9") == 0.0001 * 2**2
    throttle.succeeded("10.0.0.9", "alice")
    assert throttle.delay("10.0.0.9") == 0.0


async def test_failed_checks_count_and_old_failures_are_forgotten() -> None:
    clock = ManualClock()
    throttle = LoginThrottle(clock, base_s=0.0001, max_s=1.0, forget_s=60)
    async with throttle.turn("10.0.0.9", "alice"):
        assert throttle.delay("10.0.0.9") == 0.0  # a check in progress is no failure yet
    assert throttle.delay("10.0.0.9") == 0.0  # nor one that succeeded
    with pytest.raises(asyncio.CancelledError):  # a client that goes away mid-check
        async with throttle.turn("10.0.0.9", "alice"):
            raise asyncio.CancelledError()
    assert throttle.delay("10.0.0.9") == 0.0001
    clock.advance(61)
    assert throttle.delay("10.0.0.9") == 0.0
    await fail(throttle, "10.0.0.9", "alice")
    assert throttle.delay("10.0.0.9") == 0.0001  # a fresh count, not the stale one plus one
    clock.advance(61)
    throttle.prune()
    assert throttle.delay("10.0.0.9") == 0.0


async def test_5000_failures_saturate_instead_of_overflowing() -> None:
    """Issue 9 item 5: after 1,025 failures base * 2 ** (count - 1) raised OverflowError, so
    every login from the address answered code 2 for 15 minutes."""
    throttle = LoginThrottle(ManualClock(), base_s=0.001, max_s=0.002, max_pending=1)
    await fail(throttle, "10.0.0.9", "alice")
    async with throttle.turn("10.0.0.9", "alice"):
        for _ in range(4_999):  # refused at once, each still a failure
            with pytest.raises(NoSuchUser):
                await fail(throttle, "10.0.0.9", "alice")
        assert throttle.refused == 4_999
        assert throttle.delay("10.0.0.9") == 0.002
    await fail(throttle, "10.0.0.9", "alice")  # the next turn waits the capped delay, no error
    assert throttle.delay("10.0.0.9") == 0.002


async def test_without_a_delay_counts_still_saturate() -> None:
    throttle = LoginThrottle(ManualClock(), base_s=0.0, max_s=0.0)
    for _ in range(1_100):
        await fail(throttle, "10.0.0.9", "alice")
    assert throttle.delay("10.0.0.9") == 0.0


async def test_parallel_attempts_take_turns_and_the_surplus_is_refused() -> None:
    """Issue 9 item 6: 200 guesses sent at once all ran at the same time. Once the first
    has failed, those in line beyond max_pending are refused at once; the rest wait their
    delay. An address without failures (a fleet behind one NAT) is never refused."""
    throttle = LoginThrottle(ManualClock(), base_s=0.0001, max_s=0.001, max_pending=2)
    inside: list[str] = []
    overlaps = 0

    async def guess(address: str, name: str) -> str:
        nonlocal overlaps
        try:
            async with throttle.turn(address, name):
                overlaps += bool(inside)
                inside.append(address)
                await asyncio.sleep(0.001)  # the password check
                inside.remove(address)
                if name != "owner":
                    raise WrongPassword()
                return "checked"
        except WrongPassword:
            return "wrong"
        except NoSuchUser:
            return "refused"

    fleet = await asyncio.gather(*(guess("10.0.0.7", "owner") for _ in range(5)))
    assert fleet == ["checked"] * 5  # right passwords from one address: turns, no refusal
    same = await asyncio.gather(*(guess("10.0.0.9", "alice") for _ in range(5)))
    assert same == ["wrong", "refused", "refused", "wrong", "wrong"]
    across = await asyncio.gather(*(guess(f"10.0.0.{i}", "alice") for i in range(10, 15)))
    assert across == ["wrong"] * 5  # other addresses queue for the account, none refused
    assert overlaps == 0 and throttle.pending() == 0
