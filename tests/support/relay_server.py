"""A real `camrelay serve` in a subprocess on 127.0.0.1 port 0, with its TLS and h2c URLs."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from camrelay.server.core.accounts import Accounts
from camrelay.server.core.bus import LocalBus
from camrelay.server.core.cameras import Cameras
from camrelay.server.core.clock import SystemClock
from camrelay.server.core.db import Database
from camrelay.server.core.device_keys import DeviceKeys
from camrelay.server.core.passwords import Passwords
from camrelay.server.core.store_url import DB_FILE, database_path, open_store
from camrelay.server.core.users import Users
from camrelay.settings import PasswordSettings
from tests.support.metrics import scrape_now, value_in

T = TypeVar("T")
_GIVEN: set[int] = set()  # ports free_port() handed out in this process


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, never one handed out before
    in this process: once closed, the kernel may pick the same port again at once, and a
    HAProxy given one port for two frontends (a TLS and an h2c one) served both on it."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


# How long a server may take to start: longer on a loaded machine (CAMRELAY_TEST_START_S).
START_S = float(os.environ.get("CAMRELAY_TEST_START_S", "30"))
LISTEN_RE = re.compile(r"camrelay: listening on (\S+)")
# CAMRELAY_TEST_SERVER=granian runs every server of the suite on Granian instead of Hypercorn
# (bench/granian_relay.py: a measurement for bench/README.md, not a supported server).
ON_GRANIAN = os.environ.get("CAMRELAY_TEST_SERVER", "hypercorn") == "granian"
# argon2 at its default cost takes ~0.4 s of a core a hash: tests hash with the cheapest one
# ([passwords] settings), every process of the run (conftest puts it in os.environ).
TEST_HASH = PasswordSettings(argon2_memory_kib=64, argon2_time_cost=1, argon2_parallelism=1)
HASH_ENV = {
    f"CAMRELAY_PASSWORDS_{key.upper()}": str(value) for key, value in TEST_HASH.model_dump().items()
}
TEST_ENV = {
    **HASH_ENV,
    # Every test client is 127.0.0.1: keep the failed-login slow-down short by default.
    "CAMRELAY_SESSIONS_LOGIN_DELAY_BASE_S": "0.01",
    "CAMRELAY_SESSIONS_LOGIN_DELAY_MAX_S": "0.05",
}


@dataclass
class RelayServer:
    """One server process; `url` is https://, `h2c_url` is http:// (prior knowledge)."""

    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    port: int = 0  # fixed to come back on the same address after a restart
    module: str = "camrelay"  # what `python -m` runs: a test may run a variant of the command
    bus_url: str = ""  # nats://…: `--bus`, a node of a cluster
    name: str = "server"  # its log file's name: nodes sharing a data directory each have one
    store_url: str = ""  # passed as --store: "" is the SQLite file in data_dir
    process: subprocess.Popen[bytes] | None = None
    url: str = ""
    h2c_url: str = ""
    log_offset: int = 0  # where the log of its latest start begins

    @property
    def log_path(self) -> Path:
        return self.data_dir / f"{self.name}.log"

    def start(self, timeout: float = START_S) -> RelayServer:
        """Start the process and wait until it prints both URLs and, a node of a bus, until it
        has joined: it serves before that, but would miss what the other nodes announce."""
        self.launch(timeout)
        if self.on_bus:
            self.wait_joined(timeout)
        return self

    def launch(self, timeout: float = START_S) -> RelayServer:
        """Start the process and wait until it prints both URLs, not until it joins its bus
        (start() waits for that: launch() is for a node whose NATS is down on purpose)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.log_offset = log.tell()
        env = {**os.environ, **TEST_ENV, **self.env}
        command = [
            sys.executable,
            "-m",
            *(["bench.granian_relay"] if ON_GRANIAN else []),
            self.module,
            "serve",
            "--data",
            str(self.data_dir),
            "--listen",
            f"127.0.0.1:{self.port}",
            "--h2c-listen",
            "127.0.0.1:0",
            *(["--bus", self.bus_url] if self.bus_url else []),
            *(["--store", self.store_url] if self.store_url else []),
            *self.args,
        ]
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()
        urls = self._wait(self._urls, timeout, "print its URLs")
        self.url, self.h2c_url = urls[0], urls[1]
        return self

    @property
    def on_bus(self) -> bool:
        """Whether the node joins a bus (`--bus`, or [bus] url from its environment)."""
        return bool(self.bus_url or self.env.get("CAMRELAY_BUS_URL"))

    @property
    def proxied(self) -> bool:
        """Whether the node reads a PROXY header first (--proxy-protocol, or from its
        environment): a client of its own must send one too."""
        flag = self.env.get("CAMRELAY_SERVER_PROXY_PROTOCOL", "").lower()
        return "--proxy-protocol" in self.args or flag in ("1", "true", "yes", "on")

    def joined(self) -> bool:
        """Whether the node says it is on the bus (camrelay_bus_connected in its /metrics)."""
        text = scrape_now(self.h2c_url, proxied=self.proxied)
        return value_in(text, "camrelay_bus_connected") == 1

    def wait_joined(self, timeout: float = START_S) -> None:
        """Wait until the node has joined its bus (it says so once NATS has its subscriptions)."""
        self._wait(self.joined, timeout, f"join the bus {self.bus_url or '(from its env)'}")

    def _urls(self) -> list[str]:
        """Both URLs once the process printed them since it started (else none)."""
        urls = LISTEN_RE.findall(self.printed())
        return urls if len(urls) >= 2 else []

    def _wait(self, ready: Callable[[], T], timeout: float, what: str) -> T:
        """Poll `ready` until it is truthy and return that; raise naming the node, with the
        end of its log, when the process exits or `timeout` seconds pass first."""
        deadline = time.monotonic() + timeout
        while not (found := ready()):
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited before it would {what}:\n{self.tail()}")
            if time.monotonic() >= deadline:
                raise RuntimeError(f"{self.name} did not {what} within {timeout} s:\n{self.tail()}")
            time.sleep(0.05)
        return found

    def tail(self, lines: int = 40) -> str:
        """The last `lines` lines the server printed since it last started."""
        return "\n".join(self.printed().splitlines()[-lines:])

    def printed(self) -> str:
        """What the server printed since it last started (log() has every start's)."""
        return self.log_path.read_bytes()[self.log_offset :].decode(errors="replace")

    def rss_kib(self) -> int:
        """The server process's resident memory now, in KiB (VmRSS)."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines())
        return int(fields["VmRSS"].split()[0])

    def log(self) -> str:
        """Everything the server printed."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit code."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()  # leave no server behind, but report the hang
            raise

    def kill(self) -> None:
        """SIGKILL: no chance to flush anything."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=20)

    def store_args(self) -> list[str]:
        """The arguments that point a `camrelay` command at this server's store."""
        return [
            "--data",
            str(self.data_dir),
            *(["--store", self.store_url] if self.store_url else []),
        ]

    def stored_bytes(self) -> bytes:
        """Everything the store holds on disk (SQLite's files, or PostgreSQL's dump)."""
        if not self.store_url:
            return b"".join(p.read_bytes() for p in self.data_dir.glob(f"{DB_FILE}*"))
        from tests.support.postgres import dump

        return dump(self.store_url)

    @asynccontextmanager
    async def store(self) -> AsyncIterator[Database]:
        """The server's store, opened from the test process (SQLite file or PostgreSQL)."""
        db = await open_store(
            self.store_url or str(database_path(self.data_dir)), migrate=not self.store_url
        )
        try:
            yield db
        finally:
            await db.close()

    async def add_account(self, name: str, password: str) -> None:
        """Create an account in the server's store, as `camrelay user add` does."""
        async with self.store() as db:
            await Accounts(db, SystemClock(), Passwords(cost=TEST_HASH)).add(name, password)

    async def add_user(
        self,
        account: str,
        name: str,
        password: str,
        role: str,
        cameras: frozenset[str] | None = None,
    ) -> None:
        """Add a user to an account, as `camrelay user add NAME --account ...` does."""
        async with self.store() as db:
            found = await Accounts(db, SystemClock(), Passwords(cost=TEST_HASH)).find(account)
            assert found is not None, f"no account {account}"
            await Users(db, SystemClock(), Passwords(cost=TEST_HASH)).add(
                found.id, name, password, role, cameras
            )

    async def add_key(
        self, account: str, device: str, expires_in: float | None = None
    ) -> tuple[str, str]:
        """A device key for a camera, as `camrelay key add` makes one: (id, secret)."""
        async with self.store() as db:
            found = await Accounts(db, SystemClock(), Passwords(cost=TEST_HASH)).find(account)
            assert found is not None, f"no account {account}"
            keys = DeviceKeys(db, SystemClock(), LocalBus(), _nothing)
            key, secret = await keys.create(found.id, device, expires_in)
            return key.id, secret

    async def add_camera(self, account: str, device: str, public: bool = False) -> None:
        """Register a camera (public or not), as the admin API does."""
        async with self.store() as db:
            found = await db.fetchone("SELECT id FROM accounts WHERE name=?", (account,))
            assert found is not None, f"no account {account}"
            await Cameras(db, SystemClock(), LocalBus(), _nothing).create(
                found[0], device, public=public
            )


async def _nothing() -> None:
    """No live sessions in the test process to reconcile."""
