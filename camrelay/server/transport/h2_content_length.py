"""Lets a request's content-length disagree with its body without killing the connection.

Real cameras announce `content-length: 21474836480` on an endless input.raw upload and end it
after far fewer bytes. The h2 library checks the header against the body and raises a
connection-level error on a mismatch, and Hypercorn then drops the whole HTTP/2 connection
with every other stream on it (RFC 9113 asks only for a stream error). camrelay does not rely on
the header: every request caps its own body as it reads it. So the header is not tracked.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from h2.stream import H2Stream

REPLACES = ((H2Stream, "_initialize_content_length"),)


def _untracked(self: H2Stream, headers: Iterable[Any]) -> None:
    self._expected_content_length = None


def install() -> None:
    """Patch h2's H2Stream."""
    H2Stream._initialize_content_length = _untracked  # type: ignore[method-assign]
