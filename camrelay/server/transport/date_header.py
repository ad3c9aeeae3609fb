"""The Date header of an answer formatted once a second, not once per answer.

Hypercorn's `Config.response_headers` formats the current time for every answer's Date header
(wsgiref's format_date_time: a gmtime and a string format, 3-4 % of the server's samples on the
.json requests, py-spy). The header has a resolution of one second, so the text of the current
second is kept and reused: every answer carries exactly the text it did before.
"""

from __future__ import annotations

import math
import time
from wsgiref.handlers import format_date_time as formatted

from hypercorn import config

REPLACES = ((config, "format_date_time"),)
_kept: list[tuple[int, str]] = [(-1, "")]  # the last second formatted, and its text


def format_date_time(timestamp: float | None) -> str:
    """wsgiref's format_date_time, formatted once per second (gmtime floors the fraction)."""
    second = math.floor(time.time() if timestamp is None else timestamp)
    kept = _kept[0]
    if kept[0] != second:
        kept = _kept[0] = (second, formatted(second))
    return kept[1]


def install() -> None:
    """Hypercorn's response headers take the date from here."""
    config.format_date_time = format_date_time
