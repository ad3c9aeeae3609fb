"""The 0xAAAA frame codec of input.raw / output.raw: sans-IO, shared by the server and clients."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

HEADER = b"\xaa\xaa"
HEADER_SIZE = 6  # the two magic bytes, then the payload length as a little-endian uint32
DEFAULT_MAX_PAYLOAD = 1_048_570
MAX_LENGTH_FIELD = 0xFFFF_FFFF

BAD_HEADER = "bad header"
OVERSIZED = "oversized frame"
TRUNCATED = "truncated frame"

# Input chunks shorter than this are merged into the previous short chunk, so that a peer
# trickling one byte at a time cannot make the decoder hold one Python object per byte.
_SMALL_CHUNK = 1024

Bytes = bytes | bytearray | memoryview


class FrameError(ValueError):
    """A corrupt frame stream; `reason` is BAD_HEADER, OVERSIZED or TRUNCATED."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame exactly as it travels: `wire` is header and payload, relayed byte for byte."""

    wire: bytes

    @property
    def payload(self) -> memoryview:
        """The payload as a zero-copy view of `wire`; bytes(frame.payload) copies it."""
        return memoryview(self.wire)[HEADER_SIZE:]


def frame_header(length: int, *, max_payload: int = DEFAULT_MAX_PAYLOAD) -> bytes:
    """Return the 6-byte header for a payload of `length` bytes."""
    if length < 0:
        raise ValueError(f"negative payload length {length}")
    if length > min(max_payload, MAX_LENGTH_FIELD):
        raise FrameError(OVERSIZED, f"payload of {length} bytes, at most {max_payload}")
    return HEADER + length.to_bytes(4, "little")


def encode_frame(payload: Bytes, *, max_payload: int = DEFAULT_MAX_PAYLOAD) -> bytes:
    """Return header and payload as one bytes object (one copy of the payload)."""
    return b"".join((frame_header(len(payload), max_payload=max_payload), payload))


# Errors: the first corruption is kept in `error` and ends the stream; buffered and later bytes
# are dropped. feed() returns the frames completed before the corrupt point and raises FrameError
# only when it has no frame to hand over (that call and every later one). So a caller that relays
# whatever feed() returns and stops on FrameError never loses a good frame nor relays a bad one,
# and one that checks `error` after each feed() learns of a corruption without awaiting more input.
class FrameDecoder:
    """Incremental, sans-IO decoder: feed() it bytes as they arrive, get whole frames back."""

    def __init__(self, max_payload: int = DEFAULT_MAX_PAYLOAD) -> None:
        if not 0 <= max_payload <= MAX_LENGTH_FIELD:
            raise ValueError(f"max_payload must be within 0..{MAX_LENGTH_FIELD}")
        self.max_payload = max_payload
        self.error: FrameError | None = None
        self._chunks: deque[bytes] = deque()  # unconsumed input; the first from _offset
        self._offset = 0
        self._pending = 0
        self._wanted: int | None = None  # wire size of the frame being collected, once known
        self._position = 0  # stream offset of the next unconsumed byte, for error messages

    @property
    def pending(self) -> int:
        """Number of bytes buffered towards the next, incomplete frame."""
        return self._pending

    def feed(self, data: Bytes) -> list[Frame]:
        """Buffer `data` and return the frames it completes (see the class for errors)."""
        self._raise_if_failed()
        if data:
            self._append(data if type(data) is bytes else bytes(data))
        frames: list[Frame] = []
        while (frame := self._next_frame()) is not None:
            frames.append(frame)
        if not frames:
            self._raise_if_failed()
        return frames

    def eof(self) -> None:
        """Declare the end of input; raise FrameError unless it ended cleanly on a boundary."""
        self._raise_if_failed()
        if self._pending:
            self._fail(TRUNCATED, f"stream ended {self._pending} bytes into a frame")
            self._raise_if_failed()

    def _raise_if_failed(self) -> None:
        """Raise a fresh copy of the stored error, so tracebacks never pile up on one object."""
        if self.error is not None:
            raise FrameError(self.error.reason, self.error.detail)

    def _append(self, data: bytes) -> None:
        """Queue one input chunk, merging short chunks to bound per-chunk overhead."""
        last = self._chunks[-1] if self._chunks else None
        if last is not None and len(data) < _SMALL_CHUNK and len(last) < _SMALL_CHUNK:
            self._chunks[-1] = last + data  # the offset into it stays valid: same prefix
        else:
            self._chunks.append(data)
        self._pending += len(data)

    def _next_frame(self) -> Frame | None:
        """Cut the next complete frame off the buffer, or return None."""
        if self._wanted is None:
            self._wanted = self._read_header()
            if self._wanted is None:
                return None
        if self._pending < self._wanted:
            return None
        wire = self._take(self._wanted)
        self._wanted = None
        return Frame(wire)

    def _read_header(self) -> int | None:
        """Check the buffered header as far as it goes; return the frame's wire size if whole."""
        head = self._peek(min(self._pending, HEADER_SIZE))
        if not HEADER.startswith(head[:2]):  # a wrong first byte is caught at once
            self._fail(BAD_HEADER, f"{head[:2].hex()} instead of aaaa")
            return None
        if len(head) < HEADER_SIZE:
            return None
        length = int.from_bytes(head[2:], "little")
        if length > self.max_payload:
            self._fail(OVERSIZED, f"payload of {length} bytes, at most {self.max_payload}")
            return None
        return HEADER_SIZE + length

    def _fail(self, reason: str, detail: str) -> None:
        """Record the error and drop all buffered input."""
        self.error = FrameError(reason, f"{detail} (at stream byte {self._position})")
        self._chunks.clear()
        self._offset = self._pending = 0
        self._wanted = None

    def _peek(self, n: int) -> bytes:
        """Return the next n (few) buffered bytes without consuming them."""
        out, start = b"", self._offset
        for chunk in self._chunks:
            if len(out) == n:
                break
            out += chunk[start : start + n - len(out)]
            start = 0
        return out

    def _take(self, n: int) -> bytes:
        """Consume the next n buffered bytes, copying them exactly once (or not at all)."""
        parts: list[bytes | memoryview] = []
        need = n
        while need:
            chunk, start = self._chunks[0], self._offset
            available = len(chunk) - start
            if available > need:
                parts.append(memoryview(chunk)[start : start + need])
                self._offset += need
                break
            parts.append(memoryview(chunk)[start:] if start else chunk)
            self._chunks.popleft()
            self._offset = 0
            need -= available
        self._pending -= n
        self._position += n
        return b"".join(parts)  # a lone whole bytes chunk comes back as is, uncopied
