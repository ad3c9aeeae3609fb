"""Delivers an alert to every alerter it concerns, concurrently, retrying failures.

One alerter failing, hanging or raising never stops the others: each runs in its own
task with a time limit per attempt and a bounded number of attempts with backoff.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass

from camrelay.clients.backoff import Backoff, Retry, Sleep
from camrelay.workers.alarm.alerters.base import Alerter, AlertEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing alerter is retried."""

    attempts: int = 3
    first_delay_s: float = 2.0
    backoff: float = 2.0
    max_delay_s: float = 30.0
    attempt_timeout_s: float = 30.0
    # Each delay lies in [(1 - jitter) * d, d] (camrelay/clients/backoff.py).
    jitter: float = 0.2

    @property
    def schedule(self) -> Backoff:
        """The delays between attempts, as the shared reconnect backoff."""
        return Backoff(self.first_delay_s, self.backoff, self.max_delay_s, self.jitter)

    def delay_before(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before attempt number `attempt` (2, 3, …)."""
        return self.schedule.delay(attempt - 1, rng)


@dataclass(frozen=True)
class Delivery:
    """How one alerter fared with one event."""

    name: str
    ok: bool
    attempts: int
    error: str | None = None


def concerned(alerters: Sequence[Alerter], event: AlertEvent) -> list[Alerter]:
    """The enabled alerters an event goes to; tests only to the test group, minus excluded."""
    chosen = [alerter for alerter in alerters if alerter.enabled]
    if event.is_test:
        chosen = [a for a in chosen if a.test_grp and a.name not in event.excluded]
    return chosen


class AlertDispatcher:
    """Sends events to a fixed set of alerters."""

    def __init__(
        self,
        alerters: Sequence[Alerter],
        policy: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._alerters = tuple(alerters)
        self._policy = policy or RetryPolicy()
        self._sleep = sleep
        self._rng = rng

    @property
    def alerters(self) -> tuple[Alerter, ...]:
        """Every alerter known, enabled or not."""
        return self._alerters

    async def dispatch(self, event: AlertEvent) -> list[Delivery]:
        """Deliver to every concerned alerter at once; one result per alerter, in order."""
        targets = concerned(self._alerters, event)
        return list(await asyncio.gather(*(self._deliver(a, event) for a in targets)))

    async def _deliver(self, alerter: Alerter, event: AlertEvent) -> Delivery:
        """Try one alerter up to policy.attempts times; never raises."""
        policy = self._policy
        retry = Retry(policy.schedule, self._sleep, self._rng)
        error = "not attempted"
        for attempt in range(1, policy.attempts + 1):
            if attempt > 1:
                await retry.wait()
            try:
                async with asyncio.timeout(policy.attempt_timeout_s):
                    await alerter.send(event)
            except Exception as exc:  # noqa: BLE001 - a plugin's failure must stay its own
                error = str(exc) or type(exc).__name__
                log.warning(
                    "alerter %s: attempt %d/%d failed: %s",
                    alerter.name,
                    attempt,
                    policy.attempts,
                    error,
                )
                continue
            log.info("alerter %s: delivered (attempt %d)", alerter.name, attempt)
            return Delivery(alerter.name, True, attempt)
        log.error("alerter %s: gave up after %d attempts: %s", alerter.name, policy.attempts, error)
        return Delivery(alerter.name, False, policy.attempts, error)
