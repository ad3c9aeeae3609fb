"""Kept answers: the function's own answers and errors, in bounded memory."""

from __future__ import annotations

import pytest

from camrelay.server.kept_answers import KeptAnswers


def test_an_answer_is_kept_for_short_inputs_only_and_the_oldest_makes_way() -> None:
    asked: list[bytes] = []

    def upper(data: bytes) -> str:
        asked.append(data)
        return data.decode().upper()

    kept = KeptAnswers(upper, room=3, longest=4)
    assert [kept(b"ab"), kept(b"ab"), kept(b"abcde"), kept(b"abcde")] == ["AB", "AB"] + [
        "ABCDE"
    ] * 2
    assert asked == [b"ab", b"abcde", b"abcde"]  # too long: asked each time
    assert kept.hits == 1
    for word in (b"c", b"d", b"e"):
        kept(word)
    assert len(kept) == 3
    kept(b"ab")  # made way for the newer ones: asked again
    assert asked[-1] == b"ab"


def test_an_input_that_raises_raises_every_time_and_is_not_kept() -> None:
    kept = KeptAnswers(lambda data: data.decode("ascii"), room=8, longest=64)
    for _ in range(2):
        with pytest.raises(UnicodeDecodeError):
            kept(b"\xff")
    assert len(kept) == 0
