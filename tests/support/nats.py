"""A NATS server for the cluster tests: CAMRELAY_TEST_NATS_URL when set, else Debian's
nats-server on a free port of 127.0.0.1 in a temp directory, stopped and started again on the
same port by the fault tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.relay_server import START_S, free_port

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
URL_VARIABLE = "CAMRELAY_TEST_NATS_URL"


def nats_server_or_skip() -> str:
    """The nats-server binary; missing, the test is skipped (a failure on CI, where `make
    test` installs it)."""
    if os.path.exists(NATS_SERVER):
        return NATS_SERVER
    if os.environ.get("CI") == "true":
        pytest.fail("nats-server is not installed (make test installs Debian's package)")
    pytest.skip("nats-server is not installed: sh scripts/apt-install.sh nats-server")


@dataclass
class NatsServer:
    """One nats-server process (or the one CAMRELAY_TEST_NATS_URL names: never stopped)."""

    folder: Path
    port: int = 0
    external: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return self.external or f"nats://127.0.0.1:{self.port}"

    def start(self) -> NatsServer:
        """Start on the port (a free one the first time) and wait until it takes connections."""
        if self.external:
            return self
        self.port = self.port or free_port()
        command = [nats_server_or_skip(), "-a", "127.0.0.1", "-p", str(self.port)]
        with (self.folder / "nats.log").open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.folder, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not start:\n{self.log()}")

    def stop(self) -> None:
        """Stop the server (a fault test's outage); `start` brings it back on the same port."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def log(self) -> str:
        path = self.folder / "nats.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def restartable(self) -> bool:
        """Whether this harness runs the server itself (an outside one is never stopped)."""
        return not self.external


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """The NATS server of the run."""
    server = NatsServer(tmp_path_factory.mktemp("nats"), external=os.environ.get(URL_VARIABLE, ""))
    yield server.start()
    server.stop()


def own_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A NATS server of a module's own, which its fault tests may stop and start (never the
    outside one of CAMRELAY_TEST_NATS_URL); yield from it in a module-scoped fixture."""
    nats_server_or_skip()
    server = NatsServer(tmp_path_factory.mktemp("nats")).start()
    yield server
    server.stop()
