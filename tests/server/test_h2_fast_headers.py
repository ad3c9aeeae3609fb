"""The one-pass header functions (h2_fast_headers) answer exactly as h2's own: the same headers
of the same tuple types, yielded up to the same point, and the same exception class and text,
for some 1,240 random and hostile header blocks under each of the 16 combinations of h2's
validation flags, and through H2Stream under every configuration."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.stream
import h2.utilities as h2u
import pytest
from hpack import Encoder
from hpack.struct import HeaderTuple, NeverIndexedHeaderTuple
from hyperframe.frame import HeadersFrame

from camrelay.server.transport import h2_fast_headers as fast

REPLACED = [attribute for owner, attribute in fast.REPLACES if owner is h2.stream]
EVERY_FLAGS = [
    h2u.HeaderValidationFlags(*bits) for bits in itertools.product((False, True), repeat=4)
]

GOOD_NAMES = [
    b"user-agent", b"accept", b"content-type", b"content-length", b"x-camrelay", b"cookie",
    b"host", b"te", b"authorization", b"proxy-authorization", b"set-cookie", b"accept-encoding",
]  # fmt: skip
HOSTILE_NAMES = [
    b"User-Agent", b"X", b"", b" accept", b"accept ", b"a b", b"a\x00b", b"a\rb", b"a\nb",
    b"\x7f", b"caf\xc3\xa9", b"x-\x80", b"a:b", b"connection", b"Connection", b"keep-alive",
    b"proxy-connection", b"transfer-encoding", b"upgrade", b"\tname", b"name\t", b"Cookie",
    b" cookie ", b"COOKIE", b"TE", b"Host", b"Authorization", b" connection", b"a\x00B",
    b"A\x00b",
]  # fmt: skip
PSEUDO_NAMES = [
    b":method", b":scheme", b":path", b":authority", b":status", b":protocol", b":custom",
    b":", b"::", b":Method", b":method ",
]  # fmt: skip
GOOD_VALUES = [
    b"GET", b"https", b"/", b"/heartBit.json?shash=x", b"example.com", b"200", b"trailers",
    b"text/html", b"0", b"a=b", b"a=b; c=d", b"session=0123456789abcdef0123456789", b"x" * 30,
]  # fmt: skip
HOSTILE_VALUES = [
    b"", b"POST", b"CONNECT", b"HEAD", b"other.org", b"100", b"101", b"1", b"TRAILERS",
    b"Trailers", b"gzip", b"websocket", b" leading", b"trailing ", b"\tx", b"x\t", b" ",
    b"a\x00b", b"a\rb", b"a\nb", b"\x00", b"\r\n", b"a=b;c=d", b"; ", b"a=b; ", b" a=b ; c=d ",
    b"caf\xc3\xa9", b"\xff", b"a=b;  c=d", b"\ta=b; c=d\t", b"x y",
]  # fmt: skip
HAND_PICKED: list[list[tuple[Any, Any]]] = [
    [],
    [(b":method", b"GET"), (b":scheme", b"https"), (b":path", b"/"), (b":authority", b"a")],
    [(b":method", b"GET"), (b":scheme", b"https"), (b":path", b"/"), (b"host", b"a")],
    [(b":method", b"GET"), (b":scheme", b"https"), (b":path", b"/")],
    [(b":method", b"GET"), (b":path", b"/"), (b":authority", b"a")],
    [(b":scheme", b"https"), (b":path", b"/"), (b":authority", b"a")],
    [(b":method", b"GET"), (b":scheme", b"https"), (b":path", b""), (b":authority", b"a")],
    [(b":method", b"GET"), (b":method", b"GET"), (b":scheme", b"https"), (b":path", b"/")],
    [(b":method", b"GET"), (b"accept", b"*/*"), (b":path", b"/"), (b":scheme", b"https")],
    [(b":method", b"CONNECT"), (b":authority", b"a")],
    [(b":method", b"CONNECT"), (b":authority", b"a"), (b":path", b"/")],
    [(b":method", b"CONNECT"), (b":protocol", b"websocket"), (b":authority", b"a")],
    [(b":method", b"CONNECT"), (b":protocol", b"websocket"), (b":scheme", b"https"),
     (b":path", b"/ws"), (b":authority", b"a")],
    [(b":method", b"GET"), (b":protocol", b"websocket"), (b":scheme", b"https"),
     (b":path", b"/"), (b":authority", b"a")],
    [(b":method", b"GET"), (b":scheme", b"https"), (b":path", b"/"), (b":authority", b"a"),
     (b"host", b"b")],
    [(b":method", b"GET"), (b":scheme", b"https"), (b":path", b"/"), (b"host", b"a"),
     (b"host", b"a")],
    [(b":method", b"GET"), (b":scheme", b"https"), (b":path", b"/"), (b":authority", b"a"),
     (b":status", b"200")],
    [(b":status", b"200")],
    [(b":status", b"100")],
    [(b":status", b"200"), (b":path", b"/")],
    [(b"accept", b"x")],
    [(b":status", b"200"), (b"te", b"gzip")],
    [(b":status", b"200"), (b"te", b"TRAILERS")],
    [(b":status", b"200"), (b"connection", b"close")],
    [(b":status", b"200"), (b"cookie", b"a=b"), (b"x", b"y"), (b"cookie", b"c=d")],
    [(b":status", b"200"), (b"cookie", b" a=b"), (b"cookie", b"c=d ")],
    [(b":status", b"200"), (b"cookie", b"a=b "), (b"cookie", b" c=d")],
    [(b":status", b"200"), (b"cookie", b"a\x00")],
    [(b":status", b"200"), (b"Cookie", b"a=b; c=d"), (b" cookie ", b"e=f; g=h")],
    [(b":status", b"200"), (b"", b"x")],
    [(b"", b"")],
    [(b":status", b"200"), (b"UPPER", b"x\x00")],
    [(b":status", b"200"), (b"a\x00B", b"x")],
    [(":status", "200"), ("x-str", "value")],
    [(":method", "GET"), (":scheme", "https"), (":path", "/"), (":authority", "a")],
    [(b":status", b"200"), ("X-Str", b"v"), (b"x", " v ")],
    [(b":status", b"200"), (b"x", "\x00")],
]  # fmt: skip


def _header(rng: random.Random, name: bytes, value: bytes) -> Any:
    """The pair as a tuple, HeaderTuple or NeverIndexedHeaderTuple, now and then as str."""
    pair: tuple[Any, Any] = (name, value)
    if rng.random() < 0.03:
        pair = (name.decode("latin-1"), value)
    if rng.random() < 0.03:
        pair = (pair[0], value.decode("latin-1"))
    kind = rng.choice((tuple, tuple, HeaderTuple, HeaderTuple, NeverIndexedHeaderTuple))
    return pair if kind is tuple else kind(*pair)


def _opening(rng: random.Random) -> list[tuple[bytes, bytes]]:
    """The pseudo-headers of a request, a CONNECT or a response, often broken a little."""
    authority = [(b":authority", b"example.com")] if rng.random() < 0.8 else []
    host = [(b"host", rng.choice((b"example.com", b"other.org")))] if rng.random() < 0.3 else []
    method = rng.choice((b"GET", b"GET", b"POST", b"HEAD", b"CONNECT"))
    return rng.choice(
        (
            [(b":method", method), (b":scheme", b"https"), (b":path", b"/a")] + authority + host,
            [(b":method", b"CONNECT")] + authority,
            [(b":method", b"CONNECT"), (b":protocol", b"websocket"), (b":scheme", b"https"),
             (b":path", b"/ws")] + authority,
            [(b":status", rng.choice((b"200", b"204", b"100", b"101")))],
            [],
        )
    )  # fmt: skip


def _random_block(rng: random.Random) -> list[Any]:
    pairs = _opening(rng) if rng.random() < 0.8 else []
    for _ in range(rng.randint(0, 6)):
        names = rng.choices((GOOD_NAMES, HOSTILE_NAMES, PSEUDO_NAMES), weights=(8, 1, 1))[0]
        values = rng.choices((GOOD_VALUES, HOSTILE_VALUES), weights=(4, 1))[0]
        pairs.append((rng.choice(names), rng.choice(values)))
    if pairs and rng.random() < 0.15:
        pairs.insert(rng.randrange(len(pairs)), rng.choice(pairs))
    if pairs and rng.random() < 0.15:
        del pairs[rng.randrange(len(pairs))]
    if rng.random() < 0.1:
        rng.shuffle(pairs)
    return [_header(rng, name, value) for name, value in pairs]


def _blocks() -> list[list[Any]]:
    rng = random.Random(14)
    return HAND_PICKED + [_random_block(rng) for _ in range(1200)]


BLOCKS = _blocks()


def _run(make: Callable[[], Iterable[Any]]) -> tuple[list[Any], tuple[type, str] | None]:
    """What the call yields (each header with its type) up to the exception it raises."""
    seen: list[Any] = []
    try:
        for header in make():
            seen.append((type(header), tuple(header)))
    except Exception as exc:
        return seen, (type(exc), str(exc))
    return seen, None


def _same(ours: Callable[[], Iterable[Any]], h2s: Callable[[], Iterable[Any]]) -> None:
    assert _run(ours) == _run(h2s)


@pytest.mark.parametrize("received", [True, False], ids=["inbound", "outbound"])
def test_validation_as_h2s_for_every_flag(received: bool) -> None:
    ours = fast.validate_headers if received else fast.validate_outbound_headers
    h2s = h2u.validate_headers if received else h2u.validate_outbound_headers
    accepted = 0
    errors: set[tuple[str, ...]] = set()
    for block, flags in itertools.product(BLOCKS, EVERY_FLAGS):
        seen, error = _run(lambda: h2s(block, flags))  # noqa: B023 (called at once)
        assert _run(lambda: ours(block, flags)) == (seen, error), (block, flags)  # noqa: B023
        accepted += error is None
        errors.add(tuple(error[1].split()[:3]) if error else ())
    assert accepted > 500 and len(errors) > (15 if received else 10)  # every rule met


@pytest.mark.parametrize("split", [False, True], ids=["whole", "split_cookies"])
def test_normalisation_as_h2s(split: bool) -> None:
    for block in BLOCKS:
        _same(
            lambda: fast.normalize_outbound_headers(block, None, split),  # noqa: B023
            lambda: h2u.normalize_outbound_headers(block, None, split),  # noqa: B023
        )
        _same(
            lambda: fast.normalize_inbound_headers(block, EVERY_FLAGS[0]),  # noqa: B023
            lambda: h2u.normalize_inbound_headers(block, EVERY_FLAGS[0]),  # noqa: B023
        )


def test_scans_as_h2s() -> None:
    for block in BLOCKS:
        _same(lambda: fast.utf8_encode_headers(block), lambda: h2u.utf8_encode_headers(block))  # noqa: B023
        for scan in ("extract_method_header", "is_informational_response"):
            assert _run(lambda: [getattr(fast, scan)(block)]) == _run(  # noqa: B023
                lambda: [getattr(h2u, scan)(block)]  # noqa: B023
            ), (scan, block)


@contextmanager
def _h2_stream_using(module: Any) -> Iterator[None]:
    """h2.stream looking the header functions up in `module` for a while."""
    before = {name: getattr(h2.stream, name) for name in REPLACED}
    for name in REPLACED:
        setattr(h2.stream, name, getattr(module, name))
    try:
        yield
    finally:
        for name, function in before.items():
            setattr(h2.stream, name, function)


def _config(bits: tuple[bool, ...], header_encoding: str | None) -> h2.config.H2Configuration:
    normalize_in, validate_in, normalize_out, validate_out, split = bits
    return h2.config.H2Configuration(
        client_side=False,
        header_encoding=header_encoding,
        normalize_inbound_headers=normalize_in,
        validate_inbound_headers=validate_in,
        normalize_outbound_headers=normalize_out,
        validate_outbound_headers=validate_out,
        split_outbound_cookies=split,
    )


def _stream_answer(
    module: Any, block: list[Any], config: h2.config.H2Configuration, flags: Any, sent: bool
) -> tuple[Any, ...]:
    """What h2's H2Stream makes of the block, received or sent, with `module`'s functions:
    for a sent block also the frames and what the HPACK encoder took into its table."""
    stream = h2.stream.H2Stream(1, config, 65535, 65535)
    stream.max_outbound_frame_size = 16384
    encoder = Encoder()
    with _h2_stream_using(module):
        if not sent:
            return _run(
                lambda: stream._process_received_headers(block, flags, config.header_encoding)
            )

        def frames() -> list[bytes]:
            headers = h2.stream.utf8_encode_headers(block)
            built = stream._build_headers_frames(headers, encoder, HeadersFrame(1), flags)
            return [frame.serialize() for frame in built]

        answer = _run(frames)
        return answer, list(encoder.header_table.dynamic_entries)


def test_h2_streams_call_sites_answer_as_with_h2s_for_every_configuration() -> None:
    """H2Stream's own pipelines (normalise, validate, decode, encode) under every setting."""
    rng = random.Random(1414)
    for block in BLOCKS:
        bits = tuple(rng.random() < 0.5 for _ in range(5))
        config = _config(bits, rng.choice((None, "utf-8")))
        flags = rng.choice(EVERY_FLAGS)
        for sent in (False, True):
            assert _stream_answer(fast, block, config, flags, sent) == _stream_answer(
                h2u, block, config, flags, sent
            ), (block, bits, flags, sent)


def _conversation(module: Any, block: list[Any]) -> list[Any]:
    """A real client sends the block as a request; the server's events or error, its answer."""
    client = h2.connection.H2Connection(
        h2.config.H2Configuration(
            client_side=True, validate_outbound_headers=False, normalize_outbound_headers=False
        )
    )
    server = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    client.initiate_connection()
    server.initiate_connection()
    outcome: list[Any] = []
    with _h2_stream_using(module):
        try:
            client.send_headers(1, block, end_stream=True)
            events = server.receive_data(client.data_to_send())
            outcome += [(type(e), getattr(e, "headers", None)) for e in events]
            if any(isinstance(e, h2.events.RequestReceived) for e in events):
                server.send_headers(1, [(":status", "200"), ("content-type", "x")])
        except Exception as exc:
            outcome.append((type(exc), str(exc)))
    outcome.append(server.data_to_send())
    return outcome


def test_a_real_connection_answers_as_with_h2s() -> None:
    for block in BLOCKS[:300]:
        assert _conversation(fast, block) == _conversation(h2u, block), block


def test_installed_where_h2_stream_looks_them_up() -> None:
    with _h2_stream_using(fast):
        assert all(getattr(h2.stream, name) is getattr(fast, name) for name in REPLACED)
    fast.install()
    assert all(getattr(h2.stream, name) is getattr(fast, name) for name in REPLACED)
