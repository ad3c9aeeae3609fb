"""Debian's HAProxy in TCP mode in front of relay servers, on free ports in a temp directory."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.relay_server import START_S, free_port

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

CONFIG = """\
global
    maxconn 2000
defaults
    mode tcp
    timeout connect 5s
    timeout client 120s
    timeout server 120s
{sections}"""

SECTION = """\
frontend {name}
    bind 127.0.0.1:{port}
    default_backend {name}_nodes
backend {name}_nodes
{servers}"""


def haproxy_or_skip() -> str:
    """The haproxy binary; the test is skipped when it is missing, except on CI (a failure:
    `make test` installs it)."""
    if os.path.exists(HAPROXY):
        return HAPROXY
    if os.environ.get("CI") == "true":
        pytest.fail("haproxy is not installed (make test installs Debian's package)")
    pytest.skip("haproxy is not installed: sh scripts/apt-install.sh haproxy")


def _hostport(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


@dataclass
class HAProxy:
    """One HAProxy process: a TLS and an h2c frontend, each sending the PROXY header to its
    nodes' port; `url` and `h2c_url` are where clients connect."""

    folder: Path
    tls_nodes: list[str]  # https:// URLs of the nodes
    h2c_nodes: list[str]  # http:// URLs of the nodes
    send: str = "send-proxy-v2"  # or "send-proxy" (the v1 text line)
    process: subprocess.Popen[bytes] | None = None
    url: str = ""
    h2c_url: str = ""
    ports: list[int] = field(default_factory=list)

    def config(self) -> str:
        """The configuration: TCP mode, the PROXY header and health checks (PROXY LOCAL)."""
        sections = []
        for name, nodes, port in (
            ("tls", self.tls_nodes, self.ports[0]),
            ("h2c", self.h2c_nodes, self.ports[1]),
        ):
            servers = "".join(
                f"    server node{i} {_hostport(node)} {self.send} check inter 500ms\n"
                for i, node in enumerate(nodes, 1)
            )
            sections.append(SECTION.format(name=name, port=port, servers=servers))
        return CONFIG.format(sections="".join(sections))

    def start(self) -> HAProxy:
        """Write the configuration, start `haproxy -db`, wait until both frontends listen."""
        binary = haproxy_or_skip()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.ports = [free_port(), free_port()]
        path = self.folder / "haproxy.cfg"
        path.write_text(self.config())
        log = (self.folder / "haproxy.log").open("ab")
        self.process = subprocess.Popen(
            [binary, "-f", str(path), "-db"], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self.url = f"https://127.0.0.1:{self.ports[0]}"
        self.h2c_url = f"http://127.0.0.1:{self.ports[1]}"
        deadline = time.monotonic() + START_S
        while not all(_listening(port) for port in self.ports):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not start:\n{self.log()}")
            time.sleep(0.05)
        return self

    def log(self) -> str:
        """Everything HAProxy printed."""
        path = self.folder / "haproxy.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop HAProxy (SIGTERM: it closes its listeners at once) and wait."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _listening(port: int) -> bool:
    """Whether something accepts on 127.0.0.1:port (a bare connect, closed at once)."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
