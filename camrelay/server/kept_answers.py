"""The answers of a pure function kept for its latest inputs, at most `room` of them.

A camera repeats itself: the same query string and the same Huffman-coded :path with every
request, decoded again each time in Python. Only inputs of at most `longest` bytes are kept,
and the oldest answer makes way for a new one, so memory stays bounded whatever clients send.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


class KeptAnswers(Generic[V]):
    """`function(data)`, from the kept answer when `data` was asked lately; an input that
    raises is never kept (it raises every time)."""

    def __init__(self, function: Callable[[bytes], V], room: int, longest: int) -> None:
        self._function = function
        self._room = room
        self._longest = longest
        self._kept: dict[bytes, V] = {}
        self.hits = 0  # answers given from the kept ones

    def __call__(self, data: bytes) -> V:
        answer = self._kept.get(data, self)
        if answer is not self:
            self.hits += 1
            return answer  # type: ignore[return-value]
        answer = self._function(data)
        if len(data) <= self._longest:
            if len(self._kept) >= self._room:
                del self._kept[next(iter(self._kept))]  # the oldest
            self._kept[data] = answer
        return answer

    def __len__(self) -> int:
        return len(self._kept)
