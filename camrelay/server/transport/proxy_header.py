"""The PROXY protocol header (HAProxy's proxy-protocol.txt), parsed strictly.

A load balancer in TCP mode sends it before anything else on the connection. Version 2 (section
2.2, HAProxy's send-proxy-v2) is 16 bytes (the 12-byte signature, version/command,
family/transport, the length of the rest), then the addresses and optional TLVs; version 1
(section 2.1, send-proxy) is one text line of at most 107 bytes. Only what the spec allows is
accepted; anything else is refused with the reason, since a node that guesses could be told any
client address.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"
FIXED_BYTES = 16
# HAProxy sends addresses and a few small TLVs; a longer header is refused, not buffered.
MAX_REST_BYTES = 2048
V1_PREFIX = b"PROXY "
# The shortest v1 line ("PROXY UNKNOWN\r\n"): this many bytes can be read before knowing the
# version without reading past a header; the longest v1 line.
V1_MIN_BYTES, V1_MAX_BYTES = 15, 107
_V1_FAMILIES = {"TCP4": 4, "TCP6": 6}
COMMAND_LOCAL, COMMAND_PROXY = 0x0, 0x1
# family/transport byte -> IP version (TCP or UDP over IPv4, IPv6); UNSPEC and AF_UNIX carry no
# IP address: the connection's own peer (the proxy) stands for the client.
INET_FAMILIES = {0x11: 4, 0x12: 4, 0x21: 6, 0x22: 6}
NO_ADDRESS_FAMILIES = {0x00, 0x31, 0x32}
_ADDRESS_BYTES = {4: 12, 6: 36}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BadProxyHeader(ValueError):
    """The connection does not start with a PROXY header this node accepts."""


@dataclass(frozen=True)
class ProxiedPeer:
    """The client a PROXY command names: host and port as the socket module gives them."""

    host: str
    port: int


def is_v1(data: bytes) -> bool:
    """Whether the first bytes (at least 6) are a v1 text header's."""
    return data.startswith(V1_PREFIX)


def check_start(data: bytes) -> None:
    """BadProxyHeader as soon as the first bytes cannot begin a header (a client talking TLS or
    HTTP directly is refused at once, not after the deadline)."""
    start = data[: len(SIGNATURE)]
    if not SIGNATURE.startswith(start) and not (is_v1(data) or V1_PREFIX.startswith(start)):
        raise BadProxyHeader("no PROXY header signature")


def parse_v1(line: bytes) -> ProxiedPeer | None:
    """The client a v1 line ("PROXY TCP4 SRC DST SPORT DPORT\r\n") names; None for UNKNOWN
    (the connection's own peer stands for the client)."""
    if not line.endswith(b"\r\n") or len(line) > V1_MAX_BYTES:
        raise BadProxyHeader(f"PROXY v1 line not ended within {V1_MAX_BYTES} bytes")
    fields = line[:-2].decode("ascii", errors="replace").split(" ")
    if len(fields) >= 2 and fields[1] == "UNKNOWN":
        return None
    if len(fields) != 6 or fields[1] not in _V1_FAMILIES:
        raise BadProxyHeader("PROXY v1 line not PROXY TCP4|TCP6 SRC DST SPORT DPORT")
    try:
        source = _plain(ipaddress.ip_address(fields[2]))
        ipaddress.ip_address(fields[3])
    except ValueError as exc:
        raise BadProxyHeader(f"PROXY v1 address: {exc}") from None
    ports = fields[4:6]
    version = ipaddress.ip_address(fields[2]).version
    if version != _V1_FAMILIES[fields[1]] or not all(_is_port(p) for p in ports):
        raise BadProxyHeader("PROXY v1 line with a wrong address family or port")
    return ProxiedPeer(str(source), int(ports[0]))


def _is_port(text: str) -> bool:
    return text.isascii() and text.isdigit() and int(text) <= 65535 and text == str(int(text))


def rest_length(fixed: bytes) -> int:
    """The length of the header after its 16 fixed bytes; BadProxyHeader if they are wrong."""
    if not fixed.startswith(SIGNATURE):
        raise BadProxyHeader("no PROXY v2 signature")
    version, command = fixed[12] >> 4, fixed[12] & 0x0F
    if version != 2:
        raise BadProxyHeader(f"PROXY protocol version {version}, not 2")
    if command not in (COMMAND_LOCAL, COMMAND_PROXY):
        raise BadProxyHeader(f"PROXY command {command:#x} unknown")
    family = fixed[13]
    if family not in INET_FAMILIES and family not in NO_ADDRESS_FAMILIES:
        raise BadProxyHeader(f"PROXY address family {family:#04x} unknown")
    (length,) = struct.unpack("!H", fixed[14:16])
    if length > MAX_REST_BYTES:
        raise BadProxyHeader(f"PROXY header of {length} bytes, more than {MAX_REST_BYTES}")
    return int(length)


def parse(fixed: bytes, rest: bytes) -> ProxiedPeer | None:
    """The client the header names; None when the connection's own peer stands for it (a LOCAL
    command, e.g. the proxy's health check, or a family without an IP address)."""
    rest_length(fixed)
    command, family = fixed[12] & 0x0F, fixed[13]
    if command == COMMAND_LOCAL or family in NO_ADDRESS_FAMILIES:
        return None  # the spec: use the real connection endpoints, ignore the address block
    version = INET_FAMILIES[family]
    size = _ADDRESS_BYTES[version]
    if len(rest) < size:
        raise BadProxyHeader(f"PROXY address block of {len(rest)} bytes, {size} expected")
    half = (size - 4) // 2
    source = rest[:half]
    (port,) = struct.unpack("!H", rest[2 * half : 2 * half + 2])
    host = _plain(ipaddress.IPv4Address(source) if version == 4 else ipaddress.IPv6Address(source))
    return ProxiedPeer(str(host), int(port))


def _plain(address: IPAddress) -> IPAddress:
    """An IPv4 client behind a dual-stack proxy (::ffff:a.b.c.d) as the IPv4 address it is, so
    its slow-down, session binding and loopback check are the same either way."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
