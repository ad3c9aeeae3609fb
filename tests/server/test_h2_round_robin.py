"""h2_round_robin: the priority tree's interface and errors, the ready streams in turn."""

from __future__ import annotations

import priority
import pytest

from camrelay.server.transport.h2_round_robin import RoundRobin


def turns(tree: RoundRobin, count: int) -> list[int]:
    return [next(tree) for _ in range(count)]


def test_ready_streams_take_turns_and_blocked_ones_wait() -> None:
    tree = RoundRobin()
    for stream_id in (1, 3, 5):
        tree.insert_stream(stream_id)
    assert turns(tree, 5) == [1, 3, 5, 1, 3]
    tree.block(5)
    assert turns(tree, 3) == [1, 3, 1]
    tree.unblock(5)  # back in line, after the others
    assert turns(tree, 4) == [3, 1, 5, 3]
    tree.unblock(1)  # already ready: keeps its turn
    assert turns(tree, 3) == [1, 5, 3]


def test_no_ready_stream_is_a_deadlock_as_for_the_tree() -> None:
    tree = RoundRobin()
    with pytest.raises(priority.DeadlockError):
        next(tree)
    tree.insert_stream(1)
    tree.block(1)
    with pytest.raises(priority.DeadlockError):
        next(tree)
    tree.remove_stream(1)
    with pytest.raises(priority.MissingStreamError):
        tree.unblock(1)


def test_the_trees_errors_hold() -> None:
    tree = RoundRobin(maximum_streams=3)
    for stream_id in (1, 3, 5):
        tree.insert_stream(stream_id, depends_on=1, weight=200, exclusive=True)
    with pytest.raises(priority.DuplicateStreamError):
        tree.insert_stream(3)
    with pytest.raises(priority.TooManyStreamsError):  # h2_stream_reset's GOAWAY counts on it
        tree.insert_stream(7)
    for call in (tree.block, tree.unblock, tree.remove_stream, tree.reprioritize):
        with pytest.raises(priority.MissingStreamError):
            call(9)
    tree.reprioritize(3, depends_on=5, weight=1)  # accepted, changes nothing
    assert turns(tree, 3) == [1, 3, 5]
    tree.remove_stream(5)
    tree.insert_stream(7)  # room again
    assert turns(tree, 3) == [1, 3, 7]
