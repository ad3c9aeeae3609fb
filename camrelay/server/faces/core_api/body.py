"""Reading a request body: size cap, time cap, and Content-Encoding deflate/gzip.

Real clients send `Content-Encoding: deflate` both as zlib-wrapped and as raw deflate data;
the first two bytes tell which.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterable, Iterator

from camrelay.protocol.errors import JsonFail, MalformedRequest

from ...transport.inline_body import InlineBody
from .body_budget import Room

_COMPRESSED = ("deflate", "gzip", "x-gzip")


class BodyTooLarge(MalformedRequest):
    """The body (after decoding) is larger than the request allows."""


def _wbits(head: bytes) -> int:
    """zlib/gzip auto-detection for a wrapped stream, raw deflate otherwise."""
    is_gzip = head[:2] == b"\x1f\x8b"
    is_zlib = head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
    return 47 if is_gzip or is_zlib else -zlib.MAX_WBITS


class BodyDecoder:
    """Undoes a Content-Encoding chunk by chunk."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        if encoding not in ("", "identity", *_COMPRESSED):
            raise JsonFail(f"unsupported Content-Encoding {encoding!r}")
        self._compressed = encoding in _COMPRESSED
        self._inflate: zlib._Decompress | None = None
        self._head = b""

    def decode(self, chunk: bytes, limit: int) -> bytes:
        """Decoded bytes of one chunk; at most `limit` + 1, so the caller sees an overflow."""
        if not self._compressed:
            return chunk
        if self._inflate is None:
            self._head += chunk
            if len(self._head) < 2:
                return b""
            self._inflate = zlib.decompressobj(_wbits(self._head))
            chunk, self._head = self._head, b""
        try:
            return self._inflate.decompress(chunk, max(limit, 0) + 1)
        except zlib.error as exc:
            raise MalformedRequest("bad compressed body") from exc

    def pieces(self, chunk: bytes, piece: int = 1 << 20) -> Iterator[bytes]:
        """All decoded bytes of a chunk of an endless body, in pieces of at most `piece`
        bytes, each inflated only when asked for, so a small chunk that inflates hugely never
        sits in memory at once and the caller can stop or pause between pieces."""
        if not self._compressed:
            for start in range(0, len(chunk), piece):
                yield chunk[start : start + piece] if len(chunk) > piece else chunk
            return
        yield self.decode(chunk, piece - 1)
        while self._inflate is not None and self._inflate.unconsumed_tail:
            tail = self._inflate.unconsumed_tail
            try:
                yield self._inflate.decompress(tail, piece)
            except zlib.error as exc:
                raise MalformedRequest("bad compressed body") from exc


async def read_body(
    chunks: AsyncIterable[bytes],
    encoding: str,
    limit: int,
    timeout_s: float,
    room: Room | None = None,
) -> bytearray:
    """The whole decoded body (a bytearray: a large one is not copied once more at its end);
    BodyTooLarge past `limit`, MalformedRequest when too slow,
    ServerBusy when it grows past what its `room` in the body budget allows."""
    if isinstance(chunks, InlineBody) and chunks.arrived:
        # Nothing to wait for, so no timer (one per request, 2 % of the loop on addRecord).
        return await _collect(chunks, BodyDecoder(encoding), limit, room)
    try:
        async with asyncio.timeout(timeout_s):  # no extra task per request, unlike wait_for
            return await _collect(chunks, BodyDecoder(encoding), limit, room)
    except TimeoutError as exc:
        raise MalformedRequest("request body too slow") from exc


async def _collect(
    chunks: AsyncIterable[bytes], decoder: BodyDecoder, limit: int, room: Room | None
) -> bytearray:
    body = bytearray()  # grows in place: no second copy of a large body when it is done
    async for chunk in chunks:
        data = decoder.decode(chunk, limit - len(body))
        if len(body) + len(data) > limit:
            raise BodyTooLarge(f"body larger than {limit} bytes")
        if room is not None:
            room.check(len(body) + len(data))
        body += data
    return body
