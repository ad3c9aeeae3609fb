"""A real PostgreSQL for the test run, and a fresh migrated database for each test server.

CAMRELAY_TEST_PG_URL names a server to use (its user may create databases); otherwise one is
started from Debian's /usr/lib/postgresql/*/bin in a temporary directory on a free port, once
per test process (xdist worker), as the unprivileged `nobody` when the tests run as root (the
server refuses root), tuned for speed (fsync off: a test database need not survive a crash),
and stopped when the process exits. A fresh database is a copy of one migrated template. A fault
test stops and starts a LocalPostgres of its own (stop() keeps the files, start() reuses them).
"""

from __future__ import annotations

import asyncio
import atexit
import glob
import itertools
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from camrelay.server.core.pg_database import PgDatabase
from tests.support.relay_server import free_port

URL_ENV = "CAMRELAY_TEST_PG_URL"
START_S = 60.0
TEMPLATE = f"camrelay_template_{os.getpid()}"
_FAST = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "shared_buffers=16MB",
    "max_connections=200",
    "listen_addresses=127.0.0.1",
    "unix_socket_directories=",
    "log_min_messages=warning",
)
_server_url = ""
_names = itertools.count(1)


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"no PostgreSQL {name}: install Debian's postgresql or set {URL_ENV}")
    return found[-1]


def _as_owner(command: list[str]) -> list[str]:
    """Run as `nobody` when we are root (PostgreSQL refuses root); setpriv execs, so the
    process we signal is PostgreSQL itself."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]


class LocalPostgres:
    """A PostgreSQL server of the test run in a temporary directory."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="camrelay-pg-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> LocalPostgres:
        """Start the server (initdb the first time; again after stop(): same port, same rows)
        and wait until it takes connections."""
        data = self.folder / "data"
        if not (data / "PG_VERSION").exists():
            self._initdb(data)
        command = [_bin("postgres"), "-D", str(data), "-p", str(self.port)]
        for setting in _FAST:
            command += ["-c", setting]
        log = (self.folder / "server.log").open("ab")
        self.process = subprocess.Popen(_as_owner(command), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + START_S
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                return self
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "PostgreSQL did not start:\n" + (self.folder / "server.log").read_text()
                    ) from None
                time.sleep(0.05)

    def _initdb(self, data: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "nobody")
        subprocess.run(
            _as_owner(
                [_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "--no-sync"]
                + ["--locale=C.UTF-8", "-E", "UTF8"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def stop(self) -> None:
        """Fast shutdown (SIGINT: it ends the clients' connections); the files stay for start()."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(2)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def close(self) -> None:
        """Stop, and the directory goes."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def postgres_url() -> str:
    """A PostgreSQL server URL for this test process: CAMRELAY_TEST_PG_URL or one started now
    (once) with a migrated template database ready to copy."""
    global _server_url
    if not _server_url:
        url = os.environ.get(URL_ENV, "")
        if not url:
            local = LocalPostgres().start()
            atexit.register(local.close)
            url = local.url
        _make_template(url)
        _server_url = url
    return _server_url


def database_url(server_url: str, name: str) -> str:
    """The URL of database `name` on the server of `server_url`."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + name))


def _make_template(server_url: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
        conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
    atexit.register(_drop, server_url, TEMPLATE)
    migrate(database_url(server_url, TEMPLATE))


def migrate(url: str) -> str:
    """Bring the database at `url` to the newest schema (as `camrelay migrate` does); its URL."""

    async def run() -> None:
        db = await PgDatabase.open(url, migrate=True)
        await db.close()

    # On a thread of its own: the caller may be an async test with its loop running.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, run()).result()
    return url


def fresh_database(migrated: bool = True) -> str:
    """The URL of a new database with the newest schema (or none) and no rows (dropped at
    exit)."""
    server_url = postgres_url()
    name = f"camrelay_{os.getpid()}_{next(_names)}"
    template = TEMPLATE if migrated else "template0"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    atexit.register(_drop, server_url, name)
    return database_url(server_url, name)


def _drop(server_url: str, name: str) -> None:
    """Drop a database of the run, unless its server is already gone (a local one stops first)."""
    try:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=2) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.OperationalError:
        pass


def dump(url: str) -> bytes:
    """Everything the database at `url` holds, as pg_dump writes it."""
    return subprocess.run(
        [_bin("pg_dump"), "--data-only", url], check=True, capture_output=True
    ).stdout
