"""Stamps increase strictly and compare as text, whatever precision a client sends."""

from __future__ import annotations

import pytest

from camrelay.protocol.errors import MalformedRequest
from camrelay.server.core.clock import ManualClock
from camrelay.server.core.stamps import StampSource, normalize


def test_stamps_strictly_increase_within_one_microsecond() -> None:
    clock = ManualClock(1_644_236_976.0)
    source = StampSource(clock)
    stamps = [source.next() for _ in range(3)]
    assert stamps == [
        "2022-02-07 12:29:36.000000",
        "2022-02-07 12:29:36.000001",
        "2022-02-07 12:29:36.000002",
    ]


def test_stamps_keep_increasing_when_the_clock_goes_back() -> None:
    clock = ManualClock(1_644_236_976.5)
    source = StampSource(clock, last="2022-02-07 12:29:40.000000")
    assert source.next() == "2022-02-07 12:29:40.000001"


@pytest.mark.parametrize(
    "given, normal",
    [
        ("2022-02-07 12:29:36", "2022-02-07 12:29:36.000000"),
        ("2022-02-07 12:29:36.5", "2022-02-07 12:29:36.500000"),
        (" 2022-02-07 12:29:36.123456 ", "2022-02-07 12:29:36.123456"),
    ],
)
def test_client_stamps_are_padded(given: str, normal: str) -> None:
    assert normalize(given) == normal


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "2022-02-07",
        "2022-02-30 10:00:00",
        "12:29:36",
        "2022-02-07T12:29:36",
        "2022-02-07 12:29:36.1234567",
    ],
)
def test_malformed_stamps_are_refused(bad: str) -> None:
    with pytest.raises(MalformedRequest):
        normalize(bad)
