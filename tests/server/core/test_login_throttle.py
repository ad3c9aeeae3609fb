"""The failed-login slow-down, on a hand-moved clock."""

from __future__ import annotations

import asyncio

import pytest

from camrelay.protocol.errors import NoSuchUser
from camrelay.server.core.clock import ManualClock
from camrelay.server.core.login_throttle import LoginThrottle


async def fail(throttle: LoginThrottle, address: str, name: str) -> None:
    """One authorization whose password check found nothing."""
    async with throttle.turn(address, name):
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


async def test_attempts_count_from_their_turn_and_old_failures_are_forgotten() -> None:
    clock = ManualClock()
    throttle = LoginThrottle(clock, base_s=0.0001, max_s=1.0, forget_s=60)
    async with throttle.turn("10.0.0.9", "alice"):
        assert throttle.delay("10.0.0.9") == 0.0001  # counted while its answer is pending
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
    """Issue 9 item 6: 200 guesses sent at once all ran at the same time."""
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
                return "checked"
        except NoSuchUser:
            return "refused"

    same = await asyncio.gather(*(guess("10.0.0.9", "alice") for _ in range(5)))
    assert same == ["checked", "checked", "refused", "refused", "refused"]
    across = await asyncio.gather(*(guess(f"10.0.0.{i}", "alice") for i in range(5)))
    assert across == ["checked"] * 5  # other addresses queue for the account, none refused
    assert overlaps == 0 and throttle.pending() == 0
