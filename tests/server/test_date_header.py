"""date_header: the Date header is formatted once a second, with exactly wsgiref's text."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime
from wsgiref.handlers import format_date_time as wsgiref_text

import httpx
import pytest

from camrelay.server.transport.date_header import format_date_time
from tests.support.relay_server import RelayServer


def test_the_text_is_wsgirefs_for_every_instant_of_a_second() -> None:
    now = time.time()
    rng = random.Random(14)
    instants = [0.0, -0.5, -1.0, 0.999999, 1.0, now, now + 1]
    instants += [rng.uniform(-1e9, 4e9) for _ in range(2000)]
    for second in (int(now) + k for k in range(50)):  # the fractions of consecutive seconds
        instants += [second, second + 0.25, second + 0.5, second + 0.999999]
    for instant in instants:
        assert format_date_time(instant) == wsgiref_text(instant), instant


@pytest.mark.parametrize("path", ["/heartBit.json", "/metrics"])  # inline, Hypercorn's streams
async def test_answers_carry_the_current_date(
    server: RelayServer, http: httpx.AsyncClient, path: str
) -> None:
    before = int(time.time())
    response = await http.get(f"{server.url}{path}")
    after = time.time()
    assert response.http_version == "HTTP/2"
    sent = parsedate_to_datetime(response.headers["date"]).timestamp()
    assert before <= sent <= after
