"""h2's header checks in one pass per header instead of a chain of generators.

h2 validates and normalises every header block it receives or sends by passing each header
through a chain of five to ten generators, one per rule: 8-14 % of the server's samples in two
py-spy profiles of h2load on heartBit.json (10 connections x 10 streams over TLS). The functions
here apply the same rules in the same order in one loop per header and give exactly h2's
answers: the same headers with the same tuple types (HeaderTuple, NeverIndexedHeaderTuple), the
same exception and text for the first rule a block breaks, raised at the same point of the
iteration (they stay lazy where h2's are, so the HPACK encoder has seen the same headers when
one raises). tests/server/test_h2_fast_headers.py holds them to h2's own functions on some
20,000 block and flag pairs. h2's server side of a request costs 11 % less (bench/README.md).
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any

import h2.stream
from h2.exceptions import ProtocolError
from h2.utilities import (
    _ALLOWED_PSEUDO_HEADER_FIELDS,
    _CONNECT_REQUEST_ONLY_HEADERS,
    _REQUEST_ONLY_HEADERS,
    _RESPONSE_ONLY_HEADERS,
    _SECURE_HEADERS,
    CONNECTION_HEADERS,
    SIGIL,
    HeaderValidationFlags,
)
from hpack.struct import Header, HeaderTuple, HeaderWeaklyTyped, NeverIndexedHeaderTuple
from hpack.table import HeaderTable

REPLACES = (
    (h2.stream, "validate_headers"),
    (h2.stream, "validate_outbound_headers"),
    (h2.stream, "normalize_inbound_headers"),
    (h2.stream, "normalize_outbound_headers"),
    (h2.stream, "utf8_encode_headers"),
    (h2.stream, "extract_method_header"),
    (h2.stream, "is_informational_response"),
)

# The bytes RFC 9113 8.2.1 allows in a field name: 0x21-0x7e but the uppercase letters.
_NAME_BYTES = bytes(c for c in range(0x21, 0x7F) if not 0x41 <= c <= 0x5A)
_WHITESPACE = (0x20, 0x09)
# Names that pass those rules: HPACK's static table, which holds nearly every name a request has.
_CLEAN_NAMES = frozenset(name for name, _ in HeaderTable.STATIC_TABLE)


def _check_name(name: Any) -> None:
    """h2's rules for the bytes of a name: the exact error for the first one it breaks."""
    if name.__class__ is not bytes or name.translate(None, _NAME_BYTES):
        for c in name:  # h2's own loop, for its message (and its TypeError on a str)
            if 0x41 <= c <= 0x5A:
                raise ProtocolError(f"Received uppercase header name {name!r}.")
            if c <= 0x20 or c >= 0x7F:
                raise ProtocolError(f"Illegal character '{chr(c)}' in header name: {name!r}")
    if name.find(b":", 1) != -1:
        raise ProtocolError(f"Illegal character ':' in header name: {name!r}")


def _check_value_characters(value: Any) -> None:
    """h2's byte-by-byte check of a value: the exact error for the first NUL, LF or CR."""
    for c in value:
        if c == 0 or c == 0x0A or c == 0x0D:  # noqa: PLR1714 (h2's comparisons, for str too)
            raise ProtocolError(f"Illegal character '{chr(c)}' in header value: {value!r}")


def _check_pseudo_header_fields(
    pseudo: set[bytes], method: bytes | None, flags: HeaderValidationFlags
) -> None:
    """The pseudo-header fields a whole block must and must not hold (RFC 9113 8.3, RFC 8441)."""
    if flags.is_trailer and pseudo:
        raise ProtocolError(f"Received pseudo-header in trailer {pseudo}")
    if flags.is_response_header:
        _require(b":status", pseudo)
        if invalid := pseudo & _REQUEST_ONLY_HEADERS:
            raise ProtocolError(f"Encountered request-only headers {invalid}")
    elif not flags.is_trailer:
        _require(b":method", pseudo)
        is_connect = method == b"CONNECT"
        if is_connect and b":protocol" not in pseudo:  # an ordinary CONNECT
            if b":scheme" in pseudo or b":path" in pseudo:
                raise ProtocolError("Ordinary CONNECT MUST NOT include :scheme or :path")
        else:
            _require(b":scheme", pseudo)
            _require(b":path", pseudo)
        if invalid := pseudo & _RESPONSE_ONLY_HEADERS:
            raise ProtocolError(f"Encountered response-only headers {invalid}")
        if not is_connect and (invalid := pseudo & _CONNECT_REQUEST_ONLY_HEADERS):
            raise ProtocolError(f"Encountered connect-request-only headers {invalid!r}")


def _require(name: bytes, pseudo: set[bytes]) -> None:
    if name not in pseudo:
        raise ProtocolError(f"Header block missing mandatory {name!r} header")


def _check_host_authority(authority: bytes | None, host: bytes | None) -> None:
    """A request names its host in :authority or Host, and in both alike."""
    if authority is None and host is None:
        raise ProtocolError("Request header block does not have an :authority or Host header.")
    if authority is not None and host is not None and authority != host:
        raise ProtocolError(
            "Request header block has mismatched :authority and "
            f"Host headers: {authority!r} / {host!r}"
        )


def _checked(
    headers: Iterable[Header], flags: HeaderValidationFlags, received: bool
) -> Generator[Header, None, None]:
    """Each header as it passes h2's rules, in h2's order; a received one also byte by byte."""
    is_request = not (flags.is_response_header or flags.is_trailer)
    pseudo: set[bytes] = set()
    method = None
    authority = None
    host = None
    seen_regular = False
    for header in headers:
        name = header[0]
        value = header[1]
        if received:
            if name.__class__ is not bytes or name not in _CLEAN_NAMES:
                _check_name(name)
            if value:
                # (ints: `bytes in bytes` first tries the needle as an int, at an exception's cost)
                if value.__class__ is not bytes or 0 in value or 0x0A in value or 0x0D in value:
                    _check_value_characters(value)
                if value[0] in _WHITESPACE or value[-1] in _WHITESPACE:
                    raise ProtocolError(f"Received header value surrounded by whitespace {value!r}")
            if not name:
                raise ProtocolError("Received header name with zero length.")
        if name == b"te" and value.lower() != b"trailers":
            raise ProtocolError(f"Invalid value for TE header: {value!r}")
        if name in CONNECTION_HEADERS:
            raise ProtocolError(f"Connection-specific header field present: {name!r}.")
        if name[0] == SIGIL:
            if name in pseudo:
                raise ProtocolError(f"Received duplicate pseudo-header field {name!r}")
            pseudo.add(name)
            if seen_regular:
                raise ProtocolError(f"Received pseudo-header field out of sequence: {name!r}")
            if name not in _ALLOWED_PSEUDO_HEADER_FIELDS:
                raise ProtocolError(f"Received custom pseudo-header field {name!r}")
            if name == b":method":
                method = value
        else:
            seen_regular = True
        if is_request:
            if name == b":authority":
                authority = value
            elif name == b"host":
                if host is not None:
                    raise ProtocolError("Request header block has multiple Host headers.")
                host = value
            if name == b":path" and not value:
                raise ProtocolError("An empty :path header is forbidden")
        yield header
    _check_pseudo_header_fields(pseudo, method, flags)
    if is_request:
        _check_host_authority(authority, host)


def validate_headers(
    headers: Iterable[Header], hdr_validation_flags: HeaderValidationFlags
) -> Generator[Header, None, None]:
    """h2's validate_headers: a received block against RFC 9113's rules, in one pass."""
    return _checked(headers, hdr_validation_flags, received=True)


def validate_outbound_headers(
    headers: Iterable[Header], hdr_validation_flags: HeaderValidationFlags
) -> Generator[Header, None, None]:
    """h2's validate_outbound_headers: a block about to be sent, in one pass."""
    return _checked(headers, hdr_validation_flags, received=False)


def normalize_inbound_headers(
    headers: Iterable[Header], hdr_validation_flags: HeaderValidationFlags
) -> Generator[Header, None, None]:
    """h2's normalize_inbound_headers: split Cookie fields joined into one, last, never indexed."""
    cookies: list[bytes] = []
    for header in headers:
        if header[0] == b"cookie":
            cookies.append(header[1])
        else:
            yield header
    if cookies:
        yield NeverIndexedHeaderTuple(b"cookie", b"; ".join(cookies))


def normalize_outbound_headers(
    headers: Iterable[Header],
    hdr_validation_flags: HeaderValidationFlags | None,
    should_split_outbound_cookies: bool = False,
) -> Generator[Header, None, None]:
    """h2's normalize_outbound_headers in one pass per header.

    Names lowercased, a Cookie split at "; " if asked (before the strip, as h2 does), names
    and values stripped, connection-specific fields dropped, credentials and short cookies
    made never-indexed; the tuple type kept otherwise.
    """
    for header in headers:
        header_type = header.__class__ if isinstance(header, HeaderTuple) else None
        name = header[0].lower()
        value = header[1]
        pieces = [value]
        if should_split_outbound_cookies:
            assert isinstance(name, bytes)
            assert isinstance(value, bytes)
            if name == b"cookie":
                pieces = value.split(b"; ")
        for piece in pieces:
            field_name = name.strip()
            field_value = piece.strip()
            if field_name in CONNECTION_HEADERS:
                continue
            assert isinstance(field_name, bytes)
            if field_name in _SECURE_HEADERS or (field_name == b"cookie" and len(field_value) < 20):
                yield NeverIndexedHeaderTuple(field_name, field_value)
            elif header_type is not None:
                yield header_type(field_name, field_value)
            else:
                yield (field_name, field_value)


def utf8_encode_headers(headers: Iterable[HeaderWeaklyTyped]) -> list[Header]:
    """h2's utf8_encode_headers: names and values as UTF-8 bytes, the tuple type kept."""
    encoded: list[Header] = []
    for header in headers:
        name = header[0]
        if not isinstance(name, bytes):
            name = name.encode("utf-8")
        value = header[1]
        if not isinstance(value, bytes):
            value = value.encode("utf-8")
        if isinstance(header, HeaderTuple):
            encoded.append(header.__class__(name, value))
        else:
            encoded.append((name, value))
    return encoded


def extract_method_header(headers: Iterable[Header]) -> bytes | None:
    """h2's extract_method_header: the :method value, as bytes."""
    for name, value in headers:
        if name == b":method":
            if isinstance(value, bytes):
                return value
        elif name == ":method" and isinstance(value, str):
            return value.encode("utf-8")
    return None


def is_informational_response(headers: Iterable[Header]) -> bool:
    """h2's is_informational_response: a 1xx :status among the leading pseudo-headers."""
    for name, value in headers:
        if name == b":status":
            return value.startswith(b"1")
        if not name.startswith(b":"):
            return False
    return False


def install() -> None:
    """Patch the names h2.stream looks up."""
    h2.stream.validate_headers = validate_headers
    h2.stream.validate_outbound_headers = validate_outbound_headers
    h2.stream.normalize_inbound_headers = normalize_inbound_headers
    h2.stream.normalize_outbound_headers = normalize_outbound_headers
    h2.stream.utf8_encode_headers = utf8_encode_headers
    h2.stream.extract_method_header = extract_method_header
    h2.stream.is_informational_response = is_informational_response
