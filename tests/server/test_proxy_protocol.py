"""Issue 15: behind HAProxy with the PROXY protocol v2 (server.proxy_protocol), a node sees each
client's real address on both ports; a connection without a valid header is closed and counted;
without the setting no forwarded address is trusted."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import struct
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from camrelay.server.transport.proxy_header import ProxiedPeer, parse
from tests.support.api import Api
from tests.support.haproxy import HAProxy, haproxy_or_skip
from tests.support.metrics import METRICS_REQUEST, PROXY_LOCAL, SIGNATURE, metric
from tests.support.relay_server import RelayServer
from tests.support.until import until

DELAY_S = 30.0  # a failed login's slow-down on this node: long enough to tell apart
PER_ADDRESS = 8
HEADER_TIMEOUT_S = 1.0
REFUSED = "camrelay_proxy_headers_refused_total"
FORBIDDEN = b"HTTP/1.1 403"
KEPT_REQUEST = b"GET /metrics HTTP/1.1\r\nHost: node\r\n\r\n"


def v2_header(source: str, command: int = 0x21, source_port: int = 40000) -> bytes:
    """What HAProxy's send-proxy-v2 sends for a TCP client at `source` (IPv4 or IPv6)."""
    client = ipaddress.ip_address(source)
    if client.version == 4:
        family, server = 0x11, ipaddress.IPv4Address("127.0.0.1")
    else:
        family, server = 0x21, ipaddress.IPv6Address("::1")
    body = client.packed + server.packed + struct.pack("!HH", source_port, 443)
    return SIGNATURE + bytes([command, family]) + struct.pack("!H", len(body)) + body


@pytest.mark.parametrize(
    ("header", "peer"),
    [
        (v2_header("203.0.113.5", source_port=1), ProxiedPeer("203.0.113.5", 1)),
        (v2_header("2001:db8::5"), ProxiedPeer("2001:db8::5", 40000)),
        (v2_header("::ffff:203.0.113.5"), ProxiedPeer("203.0.113.5", 40000)),
        (v2_header("203.0.113.5", command=0x20), None),  # LOCAL: addresses ignored
        (SIGNATURE + b"\x21\x00\x00\x00", None),  # UNSPEC: the proxy stands for the client
        (SIGNATURE + b"\x21\x31\x00\x04" + bytes(4), None),  # AF_UNIX
    ],
)
def test_the_header_names_the_client_or_the_proxy(header: bytes, peer: ProxiedPeer | None) -> None:
    """TLVs after the addresses are skipped; only TCP/UDP over IPv4/IPv6 name a client."""
    with_tlv = header[:14] + struct.pack("!H", len(header) - 16 + 7) + header[16:]
    tlv = b"\x04\x00\x04abcd"  # PP2_TYPE_NOOP
    assert parse(header[:16], header[16:]) == peer
    assert parse(with_tlv[:16], with_tlv[16:] + tlv) == peer


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayServer]:
    """A node with server.proxy_protocol on (and a long login slow-down to observe)."""
    haproxy_or_skip()
    env = {
        "CAMRELAY_SERVER_PROXY_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "CAMRELAY_SERVER_MAX_CONNECTIONS_PER_ADDRESS": str(PER_ADDRESS),
        "CAMRELAY_SESSIONS_LOGIN_DELAY_BASE_S": str(DELAY_S),
        "CAMRELAY_SESSIONS_LOGIN_DELAY_MAX_S": str(DELAY_S),
        "CAMRELAY_SESSIONS_LOGIN_MAX_PENDING_PER_ADDRESS": "1",
    }
    relay = RelayServer(tmp_path_factory.mktemp("node"), env=env, args=["--proxy-protocol"])
    yield relay.start()
    assert relay.stop() == 0  # a clean exit after every kind of bad header


@pytest.fixture(scope="module")
def proxy(node: RelayServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HAProxy]:
    """HAProxy in TCP mode sending PROXY v2 to the node's TLS and h2c ports."""
    haproxy = HAProxy(tmp_path_factory.mktemp("haproxy"), [node.url], [node.h2c_url]).start()
    yield haproxy
    haproxy.stop()


def client_from(address: str, h2c: bool = False) -> httpx.AsyncClient:
    """An HTTP/2 client whose connections come from `address` (h2c: prior knowledge)."""
    transport = httpx.AsyncHTTPTransport(
        http2=True, http1=not h2c, verify=False, local_address=address
    )
    return httpx.AsyncClient(transport=transport, timeout=60)


async def exchange(port: int, data: bytes, source: str = "127.0.0.1") -> bytes:
    """Send `data` on a new connection to 127.0.0.1:port and read until the server closes;
    a reset (the server closed with our bytes unread) reads as nothing."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 30)
    except ConnectionResetError:
        return b""
    finally:
        writer.close()


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize(
    ("port", "owner", "other"),
    [("url", "127.0.0.2", "127.0.0.3"), ("h2c_url", "127.0.0.12", "127.0.0.13")],
)
async def test_a_client_through_haproxy_is_seen_at_its_own_address(
    node: RelayServer, proxy: HAProxy, port: str, owner: str, other: str
) -> None:
    """On both ports the access log and session binding see the client, not HAProxy."""
    name = f"bound-{port}"
    await node.add_account(name, "its password")
    h2c = port == "h2c_url"
    async with client_from(owner, h2c) as mine, client_from(other, h2c) as theirs:
        device = await Api(mine, getattr(proxy, port)).login(name, "its password", "cam")
        beat = await device.call("heartBit")
        stolen = await Api(theirs, getattr(proxy, port)).call("heartBit", {"shash": device.shash})
    assert beat == {"result": "OK"}
    assert stolen == {"result": "BAD", "code": 6}  # the session is bound to `owner`
    for address, path in ((owner, "authorize"), (owner, "heartBit"), (other, "heartBit")):
        line = re.compile(rf'{re.escape(address)}:\d+ "POST /{path}.json 2" 200')
        await until(lambda line=line: line.search(node.log()), what=f"{address} {path} logged")


async def test_the_login_slow_down_is_per_real_address(node: RelayServer, proxy: HAProxy) -> None:
    """A failure from 127.0.0.2 slows 127.0.0.2 down, not 127.0.0.3 behind the same proxy."""
    await node.add_account("slowed", "right password")
    wrong = {"name": "slowed", "pass": "wrong", "device": "d"}
    right = {"name": "slowed", "pass": "right password", "device": "d"}
    async with client_from("127.0.0.2") as guesser, client_from("127.0.0.3") as owner:
        guesses, owners = Api(guesser, proxy.url), Api(owner, proxy.url)
        assert await guesses.call("authorize", wrong) == {"result": "BAD", "code": 7}
        waiting = asyncio.create_task(guesses.call("authorize", right))  # waits DELAY_S
        await until(lambda: pending(proxy.url), what="the second attempt in its slow-down")
        crowded = await guesses.call("authorize", right)  # one already waits: refused at once
        started = time.monotonic()
        answer = await owners.call("authorize", right)
        took = time.monotonic() - started
        waiting.cancel()
    assert crowded == {"result": "BAD", "code": 7}
    assert answer["result"] == "OK" and took < DELAY_S / 3  # not behind 127.0.0.2's slow-down


async def pending(url: str) -> bool:
    """Whether some login waits its turn on the node (scraped through the proxy: local)."""
    async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as http:
        return await metric(url, "camrelay_login_pending", http) > 0


async def test_a_forwarded_remote_client_is_not_local(node: RelayServer, proxy: HAProxy) -> None:
    """/metrics answers loopback clients only: a header naming a remote client (v2 IPv4 or
    IPv6, v1 text) gets 403 and the access log names that client; a LOCAL header (HAProxy's health
    check) or v1 UNKNOWN stands for the proxy itself, which is local."""
    h2c = port_of(node.h2c_url)
    remote4 = await exchange(h2c, v2_header("203.0.113.5") + METRICS_REQUEST)
    remote6 = await exchange(h2c, v2_header("2001:db8::5") + METRICS_REQUEST)
    remote1 = await exchange(
        h2c, b"PROXY TCP4 198.51.100.7 127.0.0.1 40001 443\r\n" + METRICS_REQUEST
    )
    local = await exchange(h2c, PROXY_LOCAL + METRICS_REQUEST)
    unknown = await exchange(h2c, b"PROXY UNKNOWN\r\n" + METRICS_REQUEST)
    loopback = await exchange(h2c, v2_header("127.0.0.9") + METRICS_REQUEST)
    assert all(a.startswith(FORBIDDEN) for a in (remote4, remote6, remote1))
    assert b"metrics need a session or a local client" in remote4
    assert all(a.startswith(b"HTTP/1.1 200") for a in (local, unknown, loopback))
    log = await until(lambda: "127.0.0.9:" in node.log() and node.log())
    assert '203.0.113.5:40000 "GET /metrics 1.1" 403' in log
    assert '2001:db8::5:40000 "GET /metrics 1.1" 403' in log
    assert '198.51.100.7:40001 "GET /metrics 1.1" 403' in log


BAD_HEADERS = {
    "no header (TLS)": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(300),
    "no header (h2c)": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "no header (HTTP/1.1)": METRICS_REQUEST,
    "garbage": bytes(range(16)) + METRICS_REQUEST,
    "v1 without its end": b"PROXY TCP4 203.0.113.5 127.0.0.1 40000 443" + bytes(100),
    "v1 bad address": b"PROXY TCP4 203.0.113 127.0.0.1 40000 443\r\n" + METRICS_REQUEST,
    "v1 family mismatch": b"PROXY TCP6 203.0.113.5 127.0.0.1 40000 443\r\n" + METRICS_REQUEST,
    "v1 bad port": b"PROXY TCP4 203.0.113.5 127.0.0.1 040000 443\r\n" + METRICS_REQUEST,
    "truncated": v2_header("203.0.113.5")[:20],
    "version 3": SIGNATURE + b"\x31" + v2_header("203.0.113.5")[13:] + METRICS_REQUEST,
    "command 2": SIGNATURE + b"\x22" + v2_header("203.0.113.5")[13:] + METRICS_REQUEST,
    "family 0x41": SIGNATURE + b"\x21\x41\x00\x0c" + bytes(12) + METRICS_REQUEST,
    "short addresses": SIGNATURE + b"\x21\x11\x00\x04" + bytes(4) + METRICS_REQUEST,
    "64 KiB header": SIGNATURE + b"\x21\x11\xff\xff" + bytes(100),
}


@pytest.mark.parametrize("port", ["url", "h2c_url"])
async def test_a_connection_without_a_valid_header_is_closed_and_counted(
    node: RelayServer, proxy: HAProxy, http: httpx.AsyncClient, port: str
) -> None:
    """Straight to the node (no HAProxy): each is closed without an answer, counted, and the
    node goes on serving through the proxy."""
    before = await metric(proxy.url, REFUSED, http)
    answers = {
        why: await exchange(port_of(getattr(node, port)), data) for why, data in BAD_HEADERS.items()
    }
    after = await metric(proxy.url, REFUSED, http)
    assert answers == dict.fromkeys(BAD_HEADERS, b"")
    assert after - before >= len(BAD_HEADERS)
    assert "camrelay.connections: connection from 127.0.0.1 closed: " in node.log()
    served = await http.get(f"{proxy.url}/metrics")
    assert served.status_code == 200
    assert "Traceback" not in node.log()


async def test_a_slow_header_is_closed_at_the_deadline(
    node: RelayServer, proxy: HAProxy, http: httpx.AsyncClient
) -> None:
    """Half a header, then silence: closed after server.proxy_header_timeout_s."""
    before = await metric(proxy.url, REFUSED, http)
    reader, writer = await asyncio.open_connection("127.0.0.1", port_of(node.h2c_url))
    writer.write(SIGNATURE[:6])
    started = time.monotonic()
    closed = await asyncio.wait_for(reader.read(), 30)
    took = time.monotonic() - started
    writer.close()
    assert closed == b"" and HEADER_TIMEOUT_S * 0.9 <= took < 20  # the deadline, not frozen
    assert await metric(proxy.url, REFUSED, http) == before + 1


async def test_the_per_address_cap_counts_clients_not_the_proxy(
    node: RelayServer, proxy: HAProxy
) -> None:
    """Every connection comes from HAProxy's address; the cap applies to each client."""
    h2c = port_of(proxy.h2c_url)
    held = []
    for source in ("127.0.0.4", "127.0.0.5"):
        for _ in range(PER_ADDRESS):
            reader, writer = await asyncio.open_connection("127.0.0.1", h2c, local_addr=(source, 0))
            writer.write(KEPT_REQUEST)
            assert (await reader.readuntil(b"\r\n")).startswith(b"HTTP/1.1 200")
            held.append(writer)
    over = await exchange(h2c, METRICS_REQUEST, source="127.0.0.4")
    for writer in held:
        writer.close()
    assert over == b""  # the ninth from 127.0.0.4; 16 through one proxy address were fine


async def test_without_the_setting_a_proxy_header_is_not_trusted(server: RelayServer) -> None:
    """The shared server has server.proxy_protocol off: the header is just bad input."""
    answer = await exchange(port_of(server.h2c_url), v2_header("127.0.0.9") + METRICS_REQUEST)
    assert answer.startswith(b"HTTP/1.1 400")
    assert "127.0.0.9" not in server.log()


def test_the_deploy_example_is_a_valid_haproxy_configuration() -> None:
    """deploy/haproxy.cfg: three nodes, TCP mode, send-proxy-v2 and health checks."""
    config = Path(__file__).parents[2] / "deploy" / "haproxy.cfg"
    checked = subprocess.run(
        [haproxy_or_skip(), "-c", "-f", str(config)], capture_output=True, text=True
    )
    text = config.read_text()
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "mode tcp" in text and text.count("send-proxy-v2 check") == 2
    assert text.count("    server node") == 6


async def test_haproxy_send_proxy_v1_works_too(
    node: RelayServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """HAProxy's `send-proxy` (the v1 text line) gives the node the client's address too."""
    folder = tmp_path_factory.mktemp("haproxy-v1")
    haproxy = HAProxy(folder, [node.url], [node.h2c_url], send="send-proxy").start()
    try:
        async with client_from("127.0.0.6") as http:
            answer = await http.get(f"{haproxy.url}/metrics")
    finally:
        haproxy.stop()
    assert answer.status_code == 200 and answer.http_version == "HTTP/2"
    await until(lambda: "127.0.0.6:" in node.log(), what="the v1 client in the access log")
