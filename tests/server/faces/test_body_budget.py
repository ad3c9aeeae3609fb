"""The server-wide budget of record bodies in flight, on its own: first come, first served."""

from __future__ import annotations

import pytest

from camrelay.protocol.errors import ServerBusy
from camrelay.server.faces.core_api.body_budget import UNRESERVED, BodyBudget

MIB = 1 << 20


def test_rooms_are_granted_in_order_as_room_is_given_back() -> None:
    budget = BodyBudget(64 * MIB, wait_s=60)
    first, second, third = (budget.room(32 * MIB) for _ in range(3))
    assert (first.granted, second.granted, third.granted) == (True, True, False)
    assert budget.in_flight == 64 * MIB
    third.check(UNRESERVED)  # a waiting body may hold its first MiB
    first.close()
    first.close()  # given back once
    assert third.granted and budget.in_flight == 64 * MIB
    third.check(32 * MIB)


def test_a_waiting_body_past_its_first_mib_is_refused_and_leaves_the_line() -> None:
    budget = BodyBudget(32 * MIB, wait_s=60)
    budget.room(32 * MIB)
    waiting = budget.room(32 * MIB)
    with pytest.raises(ServerBusy) as refused:
        waiting.check(UNRESERVED + 1)
    assert refused.value.code == 5 and budget.refused == 1
    later = budget.room(MIB)
    assert not later.granted  # still behind the first body, not behind the refused one


def test_a_waiting_large_body_is_refused_after_the_wait_a_small_one_never() -> None:
    budget = BodyBudget(32 * MIB, wait_s=0)
    budget.room(32 * MIB)
    small, large = budget.room(1000), budget.room(2 * MIB)
    small.check(1000)
    with pytest.raises(ServerBusy):
        large.check(1000)


def test_a_body_longer_than_it_said_needs_room_for_the_rest() -> None:
    budget = BodyBudget(4 * MIB, wait_s=60)
    liar = budget.room(10)
    liar.check(3 * MIB)
    assert budget.in_flight == 3 * MIB
    with pytest.raises(ServerBusy):
        liar.check(5 * MIB)
    assert budget.in_flight == 0
