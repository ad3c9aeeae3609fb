"""The PROXY protocol v2 header (HAProxy's proxy-protocol.txt, section 2.2), parsed strictly.

A load balancer in TCP mode sends it before anything else on the connection: 16 bytes (the
12-byte signature, version/command, family/transport, the length of the rest), then the
addresses and optional TLVs. Only what the spec allows is accepted; anything else is refused
with the reason, since a node that guesses could be told any client address.
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
COMMAND_LOCAL, COMMAND_PROXY = 0x0, 0x1
# family/transport byte -> (address bytes, address family); UNSPEC and AF_UNIX carry no IP
# address: the connection's own peer (the proxy) stands for the client.
INET_FAMILIES = {0x11: 4, 0x12: 4, 0x21: 6, 0x22: 6}
NO_ADDRESS_FAMILIES = {0x00, 0x31, 0x32}
_ADDRESS_BYTES = {4: 12, 6: 36}


class BadProxyHeader(ValueError):
    """The connection does not start with a PROXY v2 header this node accepts."""


@dataclass(frozen=True)
class ProxiedPeer:
    """The client a PROXY command names: host and port as the socket module gives them."""

    host: str
    port: int


def check_start(data: bytes) -> None:
    """BadProxyHeader as soon as the first bytes cannot begin a v2 header (a client talking
    TLS or HTTP directly is refused at once, not after the deadline)."""
    if not SIGNATURE.startswith(data[: len(SIGNATURE)]):
        if data.startswith(V1_PREFIX):
            raise BadProxyHeader("a PROXY v1 (text) header: only v2 is accepted (send-proxy-v2)")
        raise BadProxyHeader("no PROXY v2 signature")


def rest_length(fixed: bytes) -> int:
    """The length of the header after its 16 fixed bytes; BadProxyHeader if they are wrong."""
    check_start(fixed)
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
    host = ipaddress.IPv4Address(source) if version == 4 else ipaddress.IPv6Address(source)
    return ProxiedPeer(str(host), int(port))
