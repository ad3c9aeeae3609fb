"""Reading a test server's live figures from its /metrics (the tests talk from 127.0.0.1),
parsed by prometheus_client's own parser; the bench reads them the same way."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]  # a sample's labels, sorted; () for an unlabelled metric
# The PROXY protocol v2 header of a connection of the proxy's own (LOCAL, as a health check): a
# node with server.proxy_protocol reads one first and takes its peer, 127.0.0.1, for the client.
SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"  # PROXY v2
PROXY_LOCAL = SIGNATURE + b"\x20\x00\x00\x00"  # LOCAL: a health check, no address
METRICS_REQUEST = b"GET /metrics HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n"


def samples(text: str) -> dict[str, dict[Labels, float]]:
    """Every sample of Prometheus text, by sample name (counters end in `_total`), then labels."""
    found: dict[str, dict[Labels, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return found


async def scrape(url: str, http: httpx.AsyncClient | None = None) -> str:
    """The text of GET {url}/metrics, over `http` or a client of its own."""
    if http is not None:
        return (await http.get(f"{url}/metrics")).text
    async with httpx.AsyncClient(verify=False, timeout=10) as own:
        return (await own.get(f"{url}/metrics")).text


async def metric_values(
    url: str, name: str, http: httpx.AsyncClient | None = None
) -> dict[Labels, float]:
    """Every sample named `name`, by its labels; empty when it has none (no stream yet)."""
    return samples(await scrape(url, http)).get(name, {})


def scrape_now(h2c_url: str, proxied: bool = False) -> str:
    """The text of GET /metrics over HTTP/1.1 on a node's h2c port, blocking (for a caller that
    may or may not run in an event loop: RelayServer.start); `proxied`: the node reads a PROXY
    header first (server.proxy_protocol), so PROXY_LOCAL goes before the request."""
    address = urlsplit(h2c_url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall((PROXY_LOCAL if proxied else b"") + METRICS_REQUEST)
        answer = b"".join(iter(lambda: sock.recv(65536), b""))
    head, _, body = answer.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0]
    if not status.startswith(b"HTTP/1.1 200 ") or b"chunked" in head.lower():
        raise RuntimeError(f"GET {h2c_url}/metrics answered:\n{answer[:500]!r}")
    return body.decode()


def value_in(text: str, name: str) -> float:
    """The value of the unlabelled metric `name` in Prometheus text."""
    value = samples(text).get(name, {}).get(())
    assert value is not None, f"{name} not in /metrics:\n{text}"
    return value


async def metric(url: str, name: str, http: httpx.AsyncClient | None = None) -> float:
    """The value of the unlabelled metric `name`."""
    return value_in(await scrape(url, http), name)


def device_sum(values: dict[Labels, float], device: str) -> float:
    """The sum of the samples labelled device=`device`, in every account."""
    return sum(value for labels, value in values.items() if ("device", device) in labels)


async def stream_viewers(url: str, device: str) -> int:
    """Viewers attached to the streams of devices named `device`, in every account."""
    return int(device_sum(await metric_values(url, "camrelay_stream_viewers"), device))
