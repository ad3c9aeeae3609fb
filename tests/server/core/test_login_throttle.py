"""The failed-login slow-down, on a hand-moved clock."""

from __future__ import annotations

from camrelay.server.core.clock import ManualClock
from camrelay.server.core.login_throttle import LoginThrottle


async def test_waits_double_and_own_success_clears_only_own_failures() -> None:
    clock = ManualClock()
    throttle = LoginThrottle(clock, base_s=0.0001, max_s=1.0)
    for _ in range(3):
        await throttle.attempt("10.0.0.9", "alice")  # guesses, never succeeded
    await throttle.attempt("10.0.0.9", "bob")
    throttle.succeeded("10.0.0.9", "bob")  # the attacker's own account: alice's stay
    assert throttle.delay("10.0.0.9") == 0.0001 * 2**2
    throttle.succeeded("10.0.0.9", "alice")
    assert throttle.delay("10.0.0.9") == 0.0


async def test_attempts_count_before_their_answer_and_old_failures_are_forgotten() -> None:
    clock = ManualClock()
    throttle = LoginThrottle(clock, base_s=0.0001, max_s=1.0, forget_s=60)
    await throttle.attempt("10.0.0.9", "alice")
    assert throttle.delay("10.0.0.9") == 0.0001  # counted while its answer is pending
    clock.advance(61)
    assert throttle.delay("10.0.0.9") == 0.0
    await throttle.attempt("10.0.0.9", "alice")
    assert throttle.delay("10.0.0.9") == 0.0001  # a fresh count, not the stale one plus one
    clock.advance(61)
    throttle.prune()
    assert throttle.delay("10.0.0.9") == 0.0
