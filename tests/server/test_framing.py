"""Tests for the 0xAAAA frame codec: encoding, incremental decoding, corruption and eof."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from camrelay.protocol.framing import (
    BAD_HEADER,
    DEFAULT_MAX_PAYLOAD,
    HEADER,
    HEADER_SIZE,
    OVERSIZED,
    TRUNCATED,
    Frame,
    FrameDecoder,
    FrameError,
    encode_frame,
    frame_header,
)

payloads = st.lists(st.binary(max_size=300), max_size=12)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    """Cut data at the given offsets (taken modulo len(data) + 1)."""
    points = sorted({c % (len(data) + 1) for c in cuts})
    bounds = [0, *points, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def decode(
    pieces: list[bytes], max_payload: int = DEFAULT_MAX_PAYLOAD
) -> tuple[list[bytes], str | None]:
    """Feed pieces then eof; return the payloads delivered and the error reason, if any."""
    decoder = FrameDecoder(max_payload)
    got: list[bytes] = []
    try:
        for piece in pieces:
            got += [bytes(f.payload) for f in decoder.feed(piece)]
        decoder.eof()
    except FrameError as exc:
        assert decoder.error is not None and decoder.error.reason == exc.reason
        return got, exc.reason
    return got, None


def reference(stream: bytes, max_payload: int) -> tuple[list[bytes], str | None]:
    """A whole-buffer decoder written for obviousness, to compare the incremental one with."""
    frames: list[bytes] = []
    pos = 0
    while pos < len(stream):
        magic = stream[pos : pos + 2]
        if magic != HEADER[: len(magic)]:
            return frames, BAD_HEADER
        if len(stream) - pos < HEADER_SIZE:
            return frames, TRUNCATED
        length = int.from_bytes(stream[pos + 2 : pos + 6], "little")
        if length > max_payload:
            return frames, OVERSIZED
        if pos + HEADER_SIZE + length > len(stream):
            return frames, TRUNCATED
        frames.append(stream[pos + HEADER_SIZE : pos + HEADER_SIZE + length])
        pos += HEADER_SIZE + length
    return frames, None


# --- encoding -------------------------------------------------------------------------------


def test_encode_frame_is_magic_little_endian_length_payload() -> None:
    assert encode_frame(b"abc") == b"\xaa\xaa\x03\x00\x00\x00abc"
    assert encode_frame(b"") == b"\xaa\xaa\x00\x00\x00\x00"
    assert encode_frame(bytearray(b"xy")) == b"\xaa\xaa\x02\x00\x00\x00xy"


def test_frame_header_byte_order() -> None:
    assert frame_header(0x01020304, max_payload=0xFFFF_FFFF) == b"\xaa\xaa\x04\x03\x02\x01"
    assert frame_header(DEFAULT_MAX_PAYLOAD) == b"\xaa\xaa\xfa\xff\x0f\x00"


def test_frame_header_limits() -> None:
    with pytest.raises(ValueError):
        frame_header(-1)
    with pytest.raises(FrameError) as info:
        frame_header(DEFAULT_MAX_PAYLOAD + 1)
    assert info.value.reason == OVERSIZED
    with pytest.raises(FrameError):
        frame_header(0x1_0000_0000, max_payload=0x1_0000_0000)
    with pytest.raises(FrameError):
        encode_frame(b"12345", max_payload=4)


def test_frame_exposes_wire_and_payload() -> None:
    frame = Frame(encode_frame(b"hello"))
    assert frame.wire == b"\xaa\xaa\x05\x00\x00\x00hello"
    assert frame.payload == b"hello"
    assert bytes(frame.payload) == b"hello"
    assert frame == Frame(b"\xaa\xaa\x05\x00\x00\x00hello")


# --- decoding valid streams -----------------------------------------------------------------


@given(payloads, st.lists(st.integers(min_value=0), max_size=40))
def test_any_split_decodes_to_the_same_frames(items: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(encode_frame(p) for p in items)
    decoder = FrameDecoder()
    frames: list[Frame] = []
    for piece in split(stream, cuts):
        frames += decoder.feed(piece)
    assert [bytes(f.payload) for f in frames] == items
    assert b"".join(f.wire for f in frames) == stream
    assert decoder.pending == 0
    assert decoder.error is None
    decoder.eof()


@given(payloads)
def test_byte_at_a_time(items: list[bytes]) -> None:
    stream = b"".join(encode_frame(p) for p in items)
    assert decode([stream[i : i + 1] for i in range(len(stream))]) == (items, None)


def test_zero_length_frames() -> None:
    decoder = FrameDecoder()
    frames = decoder.feed(b"\xaa\xaa\x00\x00\x00\x00" * 3 + encode_frame(b"x"))
    assert [f.wire for f in frames] == [b"\xaa\xaa\x00\x00\x00\x00"] * 3 + [encode_frame(b"x")]
    assert [bytes(f.payload) for f in frames] == [b"", b"", b"", b"x"]
    assert decoder.feed(b"\xaa\xaa\x00\x00\x00") == []
    assert decoder.pending == 5
    assert decoder.feed(b"\x00") == [Frame(b"\xaa\xaa\x00\x00\x00\x00")]
    assert decoder.pending == 0


def test_one_mib_frame_in_16_kib_chunks() -> None:
    payload = bytes(range(256)) * 4096  # 1 MiB
    stream = encode_frame(payload, max_payload=len(payload)) + encode_frame(b"next")
    decoder = FrameDecoder(max_payload=len(payload))
    chunk = 16 * 1024
    delivered: list[tuple[int, Frame]] = []
    for i in range(0, len(stream), chunk):
        delivered += [(i, f) for f in decoder.feed(stream[i : i + chunk])]
        if not delivered:
            assert decoder.pending == min(i + chunk, len(stream))
    assert [bytes(f.payload) for _, f in delivered] == [payload, b"next"]
    assert delivered[0][1].wire == stream[: HEADER_SIZE + len(payload)]
    assert delivered[0][0] == 64 * chunk  # completed by the chunk holding its last 6 bytes
    assert decoder.pending == 0


def test_feed_copies_mutable_input() -> None:
    buffer = bytearray(encode_frame(b"abcd"))
    decoder = FrameDecoder()
    assert decoder.feed(buffer[:8]) == []
    buffer[6:8] = b"XX"
    view = memoryview(buffer)[8:]
    frames = decoder.feed(view)
    buffer[:] = b"\x00" * len(buffer)
    assert [bytes(f.payload) for f in frames] == [b"abcd"]


def test_empty_feed_and_clean_eof() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"") == []
    decoder.eof()
    assert decoder.feed(encode_frame(b"a")) == [Frame(encode_frame(b"a"))]
    decoder.eof()


# --- limits ---------------------------------------------------------------------------------


def test_max_payload_boundary_default() -> None:
    exactly = encode_frame(b"\x01" * DEFAULT_MAX_PAYLOAD)
    assert [len(f.payload) for f in FrameDecoder().feed(exactly)] == [DEFAULT_MAX_PAYLOAD]
    decoder = FrameDecoder()
    with pytest.raises(FrameError) as info:
        decoder.feed(b"\xaa\xaa" + (DEFAULT_MAX_PAYLOAD + 1).to_bytes(4, "little"))
    assert info.value.reason == OVERSIZED


def test_max_payload_boundary_custom() -> None:
    assert decode([encode_frame(b"0123456789", max_payload=10)], max_payload=10) == (
        [b"0123456789"],
        None,
    )
    too_big = encode_frame(b"0123456789a", max_payload=11)
    assert decode([too_big], max_payload=10) == ([], OVERSIZED)
    assert decode([encode_frame(b"")], max_payload=0) == ([b""], None)
    assert decode([encode_frame(b"a")], max_payload=0) == ([], OVERSIZED)


def test_oversized_is_caught_from_the_header_alone() -> None:
    decoder = FrameDecoder(max_payload=100)
    assert decoder.feed(b"\xaa\xaa\x65\x00\x00") == []
    assert decoder.pending == 5
    with pytest.raises(FrameError) as info:
        decoder.feed(b"\x00")
    assert info.value.reason == OVERSIZED
    assert decoder.pending == 0


def test_max_payload_out_of_range() -> None:
    with pytest.raises(ValueError):
        FrameDecoder(max_payload=-1)
    with pytest.raises(ValueError):
        FrameDecoder(max_payload=0x1_0000_0000)


# --- corruption -----------------------------------------------------------------------------


@given(
    payloads,
    st.integers(min_value=0),
    st.binary(min_size=1, max_size=8).filter(lambda b: not HEADER.startswith(b[:2])),
    st.lists(st.integers(min_value=0), max_size=10),
)
def test_bad_magic_at_any_boundary(
    items: list[bytes], at: int, garbage: bytes, cuts: list[int]
) -> None:
    at %= len(items) + 1
    good = b"".join(encode_frame(p) for p in items[:at])
    rest = b"".join(encode_frame(p) for p in items[at:])
    assert decode(split(good + garbage + rest, cuts)) == (items[:at], BAD_HEADER)


@given(
    payloads,
    st.integers(min_value=0),
    st.integers(min_value=301, max_value=0xFFFF_FFFF),
    st.lists(st.integers(min_value=0), max_size=10),
)
def test_oversized_length_at_any_boundary(
    items: list[bytes], at: int, length: int, cuts: list[int]
) -> None:
    at %= len(items) + 1
    good = b"".join(encode_frame(p) for p in items[:at])
    rest = b"".join(encode_frame(p) for p in items[at:])
    stream = good + HEADER + length.to_bytes(4, "little") + b"\x00" * 50 + rest
    assert decode(split(stream, cuts), max_payload=300) == (items[:at], OVERSIZED)


segments = st.one_of(
    st.binary(max_size=20).map(lambda p: encode_frame(p, max_payload=20)),
    st.binary(max_size=8),
    st.tuples(st.integers(min_value=0, max_value=40), st.binary(max_size=40)).map(
        lambda t: HEADER + t[0].to_bytes(4, "little") + t[1]
    ),
)


@given(st.lists(segments, max_size=10), st.lists(st.integers(min_value=0), max_size=20))
def test_any_stream_matches_the_reference_decoder(parts: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(parts)
    assert decode(split(stream, cuts), max_payload=16) == reference(stream, 16)


def test_frames_before_corruption_in_the_same_feed_are_delivered() -> None:
    decoder = FrameDecoder()
    frames = decoder.feed(encode_frame(b"one") + encode_frame(b"two") + b"\xbb\xbb" + b"x" * 10)
    assert [bytes(f.payload) for f in frames] == [b"one", b"two"]
    assert decoder.error is not None and decoder.error.reason == BAD_HEADER
    assert decoder.pending == 0
    with pytest.raises(FrameError) as info:
        decoder.feed(encode_frame(b"three"))
    assert info.value.reason == BAD_HEADER
    with pytest.raises(FrameError):
        decoder.eof()


def test_corruption_with_nothing_to_deliver_raises_at_once() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(encode_frame(b"ok")) == [Frame(encode_frame(b"ok"))]
    with pytest.raises(FrameError) as info:
        decoder.feed(b"\xaa\xab\x00\x00\x00\x00")
    assert info.value.reason == BAD_HEADER
    assert "at stream byte 8" in str(info.value)


@pytest.mark.parametrize("first", [b"\x00", b"\xab", b"\xaa\x00", b"\xaa\xab"])
def test_bad_magic_is_caught_before_the_header_is_whole(first: bytes) -> None:
    with pytest.raises(FrameError) as info:
        FrameDecoder().feed(first)
    assert info.value.reason == BAD_HEADER


def test_error_is_sticky_and_nothing_is_relayed_after_it() -> None:
    decoder = FrameDecoder()
    with pytest.raises(FrameError):
        decoder.feed(b"\x00")
    for data in (encode_frame(b"late"), b"", encode_frame(b"")):
        with pytest.raises(FrameError) as info:
            decoder.feed(data)
        assert info.value.reason == BAD_HEADER
        assert decoder.pending == 0


# --- eof ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail",
    [b"\xaa", b"\xaa\xaa\x03\x00\x00", b"\xaa\xaa\x03\x00\x00\x00", b"\xaa\xaa\x03\x00\x00\x00ab"],
)
def test_eof_with_a_partial_frame(tail: bytes) -> None:
    decoder = FrameDecoder()
    assert decoder.feed(encode_frame(b"whole") + tail) == [Frame(encode_frame(b"whole"))]
    assert decoder.pending == len(tail)
    with pytest.raises(FrameError) as info:
        decoder.eof()
    assert info.value.reason == TRUNCATED
    assert decoder.error is not None and decoder.error.reason == TRUNCATED
    with pytest.raises(FrameError):
        decoder.feed(b"c")
