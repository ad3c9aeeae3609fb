"""Several relay nodes on one store (and bus) behind HAProxy with the PROXY protocol v2.

The store is a URL (`postgresql://…`) or "" for one SQLite file shared by every node (one
data directory, WAL mode: processes on one machine may share it). The bus is a `nats://` URL or ""
(each node's in-process bus: nothing crosses nodes but the store). Clients reach the cluster
through HAProxy's `url`/`h2c_url`, and one particular node through its own HAProxy frontend
(`node_url(i)`): a node with --proxy-protocol refuses a client that does not send the header.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.haproxy import HAProxy
from tests.support.relay_server import START_S, RelayServer, free_port


def store_url(kind: str) -> str:
    """The URL the nodes share for a store kind: "postgresql" a fresh database of the
    PostgreSQL harness, "sqlite" "" (one SQLite file shared by the nodes: the bench's trial,
    not a supported deployment)."""
    if kind == "sqlite":
        return ""
    from tests.support.postgres import fresh_database

    return fresh_database()


def node_server(
    folder: Path, index: int, store_url: str, bus_url: str, env: dict[str, str]
) -> RelayServer:
    """Node `index` (1-based) on fixed ports (a restart comes back where HAProxy expects it;
    the later --h2c-listen overrides RelayServer's port 0); on the shared SQLite file every node
    has the same data directory, each its own log."""
    return RelayServer(
        folder / (f"node{index}" if store_url else "shared"),
        env=env,
        args=["--proxy-protocol", "--h2c-listen", f"127.0.0.1:{free_port()}"],
        port=free_port(),
        bus_url=bus_url,
        name=f"node{index}",
        store_url=store_url,
    )


@dataclass(frozen=True)
class Front:
    """One node as clients reach it: its HAProxy frontends (what the socket helpers connect to)."""

    url: str
    h2c_url: str


@dataclass
class Cluster:
    """`size` nodes and HAProxy in front; start() brings them up, stop() ends them all."""

    folder: Path
    size: int = 3
    store_url: str = ""
    bus_url: str = ""
    env: dict[str, str] = field(default_factory=dict)
    balance: str = "roundrobin"
    nodes: list[RelayServer] = field(default_factory=list)
    proxy: HAProxy | None = None

    def start(self) -> Cluster:
        """The nodes at once (each start is seconds of Python starting, and ends once the node
        is on the bus), except that on a shared SQLite file the first makes the certificate and
        the schema alone; then HAProxy."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.nodes = [
            node_server(self.folder, index, self.store_url, self.bus_url, self.env)
            for index in range(1, self.size + 1)
        ]
        alone = 0 if self.store_url else 1
        try:
            for node in self.nodes[:alone]:
                node.start()
            with ThreadPoolExecutor(self.size) as threads:
                list(threads.map(RelayServer.start, self.nodes[alone:]))
            self.proxy = HAProxy(
                self.folder / "haproxy",
                [node.url for node in self.nodes],
                [node.h2c_url for node in self.nodes],
                balance=self.balance,
                per_node=True,
            ).start()
        except BaseException:
            self.stop()  # no node left running when one did not start
            raise
        return self

    @property
    def url(self) -> str:
        """HAProxy's TLS frontend: HTTP/2 and HTTP/1.1 to any node."""
        assert self.proxy is not None
        return self.proxy.url

    @property
    def h2c_url(self) -> str:
        """HAProxy's h2c frontend (prior knowledge) to any node."""
        assert self.proxy is not None
        return self.proxy.h2c_url

    def node_url(self, index: int) -> str:
        """Node `index` (1-based) alone, over TLS, through its own HAProxy frontend."""
        assert self.proxy is not None
        return self.proxy.node_urls[index - 1]

    def node_h2c_url(self, index: int) -> str:
        """Node `index` (1-based) alone, over h2c."""
        assert self.proxy is not None
        return self.proxy.node_h2c_urls[index - 1]

    def front(self, index: int) -> Front:
        """Node `index` (1-based) alone through HAProxy, TLS and h2c."""
        return Front(self.node_url(index), self.node_h2c_url(index))

    def node(self, index: int) -> RelayServer:
        """The RelayServer of node `index` (1-based): its log, process, direct ports."""
        return self.nodes[index - 1]

    def kill(self, index: int) -> None:
        """kill -9 node `index`: no chance to flush or close anything."""
        self.node(index).kill()

    def restart(self, index: int) -> None:
        """Start node `index` again on its ports (after kill() or a stop) and wait until
        HAProxy's health checks have it back in service."""
        node = self.node(index)
        if node.process is not None and node.process.poll() is None:
            node.stop()
        node.start()
        deadline = time.monotonic() + START_S
        while not _answers(self.node_url(index)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"HAProxy did not take node{index} back")
            time.sleep(0.1)

    def alive(self) -> list[int]:
        """The indexes of the nodes whose process runs."""
        return [
            i
            for i, node in enumerate(self.nodes, 1)
            if node.process is not None and node.process.poll() is None
        ]

    async def add_account(self, name: str, password: str) -> None:
        """An account in the shared store (written through the first node's store)."""
        await self.nodes[0].add_account(name, password)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop(self) -> None:
        """HAProxy, then every node still running (SIGTERM, then wait)."""
        if self.proxy is not None:
            self.proxy.stop()
        for index in self.alive():
            self.node(index).stop()


def _answers(url: str) -> bool:
    """Whether a node answers /metrics through its HAProxy frontend (loopback: allowed)."""
    try:
        return httpx.get(f"{url}/metrics", verify=False, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False
