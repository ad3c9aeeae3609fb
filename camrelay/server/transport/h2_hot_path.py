"""Two costs on Hypercorn's HTTP/2 receive path that buy nothing.

- h2 formats every received frame for a trace log (`repr(frame)`), even with logging off, and
  hyperframe hex-encodes a DATA frame's whole payload only to keep its first 20 characters:
  17 % of the server's CPU on a flat-out camera upload (py-spy). The same text comes from the
  first ten bytes.
- Hypercorn reads the socket 64 KiB at a time; with camera frames of 40 KB to 1 MB, larger reads
  mean fewer wake-ups per byte.
"""

from __future__ import annotations

import binascii

import hyperframe.frame
from hypercorn.asyncio import tcp_server

READ_SIZE = 256 << 10
REPLACES = ((hyperframe.frame, "_raw_data_repr"), (tcp_server, "MAX_RECV"))


def _raw_data_repr(data: bytes | None) -> str:
    """hyperframe's text for a payload, from its first ten bytes only."""
    if not data:
        return "None"
    text = binascii.hexlify(data[:10]).decode("ascii")
    return "<hex:" + text + ("..." if len(data) > 10 else "") + ">"


def install() -> None:
    """Patch hyperframe's payload text and Hypercorn's read size."""
    hyperframe.frame._raw_data_repr = _raw_data_repr
    tcp_server.MAX_RECV = READ_SIZE
