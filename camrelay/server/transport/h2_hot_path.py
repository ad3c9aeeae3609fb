"""Costs on Hypercorn's HTTP/2 receive path that buy nothing.

- h2 formats every received frame for a trace log (`repr(frame)`), even with logging off, and
  hyperframe hex-encodes a DATA frame's whole payload only to keep its first 20 characters:
  17 % of the server's CPU on a flat-out camera upload (py-spy). The same text comes from the
  first ten bytes. And the text is made only if a logger formats it: h2.connection's one
  `repr(...)` (that trace line) gets a FrameText, which is the same text once formatted
  (3 % of the loop's samples on addRecord with 40 KB bodies, four frames per request).
- HPACK decodes each Huffman-coded string a byte at a time in Python, and a camera sends the
  same long :path (its shash) with every request as a literal that is not indexed: decoded
  strings are kept, at most HUFFMAN_KEPT of at most HUFFMAN_LONGEST bytes (3 % as well).
- Hypercorn reads the socket 64 KiB at a time; with camera frames of 40 KB to 1 MB, larger reads
  mean fewer wake-ups per byte.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable

import h2.connection
import hpack.hpack
import hyperframe.frame
from hypercorn.asyncio import tcp_server

from ..kept_answers import KeptAnswers

READ_SIZE = 256 << 10
Decode = Callable[[bytes | bytearray | memoryview | None], bytes]
HUFFMAN_KEPT = 256
HUFFMAN_LONGEST = 1024
REPLACES = (
    (hyperframe.frame, "_raw_data_repr"),
    (tcp_server, "MAX_RECV"),
    (hpack.hpack, "decode_huffman"),
    # Not replaced: the one caller of `repr` in h2.connection, given FrameText instead.
    (h2.connection.H2Connection, "_receive_frame"),
)


def _raw_data_repr(data: bytes | None) -> str:
    """hyperframe's text for a payload, from its first ten bytes only."""
    if not data:
        return "None"
    text = binascii.hexlify(data[:10]).decode("ascii")
    return "<hex:" + text + ("..." if len(data) > 10 else "") + ">"


class FrameText:
    """A frame's repr, made only when a log line is formatted with it (%s or %r)."""

    __slots__ = ("_frame",)

    def __init__(self, frame: object) -> None:
        self._frame = frame

    def __str__(self) -> str:
        return repr(self._frame)

    __repr__ = __str__


def _huffman_kept(decode: Decode) -> Decode:
    """hpack's Huffman decoding with the latest short strings' answers kept."""
    kept = KeptAnswers(decode, HUFFMAN_KEPT, HUFFMAN_LONGEST)

    def decode_huffman(data: bytes | bytearray | memoryview | None) -> bytes:
        if not isinstance(data, bytes):  # hpack passes bytes; anything else is not kept
            return decode(data)
        return kept(data)

    return decode_huffman


def install() -> None:
    """Patch hyperframe's payload text, h2's frame text, HPACK's Huffman decoding and
    Hypercorn's read size."""
    hyperframe.frame._raw_data_repr = _raw_data_repr
    h2.connection.repr = FrameText  # type: ignore[attr-defined]
    hpack.hpack.decode_huffman = _huffman_kept(hpack.hpack.decode_huffman)  # type: ignore[assignment]
    tcp_server.MAX_RECV = READ_SIZE
