"""Debian's HAProxy in TCP mode in front of relay servers, on free ports in a temp directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.relay_server import START_S, free_port

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"

# retries + redispatch: a connection refused by a node that just died is retried on another
# node at once, before the health checks have marked it down. noreuseport: a port already
# bound (by another test's HAProxy, say) fails the start instead of sharing its connections.
CONFIG = """\
global
    maxconn 2000
    noreuseport
defaults
    mode tcp
    timeout connect 5s
    timeout client {idle}
    timeout server {idle}
    retries 3
    option redispatch 1
{sections}"""

SECTION = """\
frontend {name}
    bind {host}:{port}
    default_backend {name}_nodes
backend {name}_nodes
    balance {balance}
{servers}"""


BIND_TRIES = 3


class PortTaken(RuntimeError):
    """HAProxy could not bind a frontend's port: something else took it first."""


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
    nodes' port; `url` and `h2c_url` are where clients connect. With `per_node`, also a TLS and
    an h2c frontend for each node alone (`node_urls`, `node_h2c_urls`): the way to reach one
    particular node of a cluster, since a node with the PROXY protocol refuses plain clients."""

    folder: Path
    tls_nodes: list[str]  # https:// URLs of the nodes
    h2c_nodes: list[str]  # http:// URLs of the nodes
    send: str = "send-proxy-v2"  # or "send-proxy" (the v1 text line)
    balance: str = "roundrobin"  # or "leastconn" (deploy/haproxy.cfg)
    check: str = "check inter 500ms"
    per_node: bool = False
    host: str = "127.0.0.1"
    idle: str = "120s"  # timeout client/server
    process: subprocess.Popen[bytes] | None = None
    url: str = ""
    h2c_url: str = ""
    node_urls: list[str] = field(default_factory=list)
    node_h2c_urls: list[str] = field(default_factory=list)
    # [tls, h2c, node1 tls, node1 h2c, ...]: free ports unless given
    ports: list[int] = field(default_factory=list)

    def frontends(self) -> list[tuple[str, list[str]]]:
        """(name, node URLs) of each frontend, in the order of `ports`."""
        pairs = [("tls", self.tls_nodes), ("h2c", self.h2c_nodes)]
        if self.per_node:
            for i, (tls, h2c) in enumerate(zip(self.tls_nodes, self.h2c_nodes, strict=True), 1):
                pairs += [(f"node{i}_tls", [tls]), (f"node{i}_h2c", [h2c])]
        return pairs

    def config(self) -> str:
        """The configuration: TCP mode, the PROXY header and health checks (PROXY LOCAL)."""
        sections = []
        for (name, nodes), port in zip(self.frontends(), self.ports, strict=True):
            servers = "".join(
                f"    server {_server_name(name, i)} {_hostport(node)} {self.send} {self.check}\n"
                for i, node in enumerate(nodes, 1)
            )
            sections.append(
                SECTION.format(
                    name=name, host=self.host, port=port, balance=self.balance, servers=servers
                )
            )
        return CONFIG.format(idle=self.idle, sections="".join(sections))

    def write_config(self) -> Path:
        """haproxy.cfg in the folder, on free ports unless `ports` was given."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if not self.ports:
            self.ports = [free_port() for _ in self.frontends()]
        path = self.folder / "haproxy.cfg"
        path.write_text(self.config())
        return path

    def start(self) -> HAProxy:
        """Write the configuration, start `haproxy -db`, wait until every frontend listens;
        on ports it chose itself, again on others when one was taken meanwhile (free ports are
        picked before HAProxy binds them, and other tests pick at the same time)."""
        chosen = not self.ports
        for attempt in range(1, BIND_TRIES + 1):
            try:
                return self._start_once()
            except PortTaken:
                if not chosen or attempt == BIND_TRIES:
                    raise
                self.ports = []
        raise AssertionError("unreachable")

    def _start_once(self) -> HAProxy:
        binary = haproxy_or_skip()
        path = self.write_config()
        log = (self.folder / "haproxy.log").open("ab")
        this_start = log.tell()
        self.process = subprocess.Popen(
            [binary, "-f", str(path), "-db"], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        urls = [
            f"{'http' if name.endswith('h2c') else 'https'}://{self.host}:{port}"
            for (name, _), port in zip(self.frontends(), self.ports, strict=True)
        ]
        self.url, self.h2c_url = urls[0], urls[1]
        self.node_urls, self.node_h2c_urls = urls[2::2], urls[3::2]
        deadline = time.monotonic() + START_S
        # Its own listeners, not merely something on the ports: when a port was taken, its
        # taker accepts there while HAProxy, having bound the others, is about to exit.
        while not set(self.ports) <= _listening_ports(self.process.pid):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                taken = "cannot bind socket" in self.log()[this_start:]
                kind = PortTaken if taken else RuntimeError
                raise kind(f"haproxy did not start:\n{self.log()}")
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


def _server_name(frontend: str, index: int) -> str:
    """node1, node2, ... in the shared backends; the node's own name in a per-node one."""
    return frontend.split("_")[0] if frontend.startswith("node") else f"node{index}"


def _listening_ports(pid: int) -> set[int]:
    """The TCP ports the process `pid` listens on (Linux: its socket inodes in /proc/net/tcp);
    none once it has exited."""
    try:
        links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return set()
    inodes = {link[len("socket:[") : -1] for link in links if link.startswith("socket:[")}
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
