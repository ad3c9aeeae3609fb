"""The packages import each other in one direction: protocol <- server, clients <- workers, cli.

protocol/ is what both sides of the wire share, so it imports nothing else of camrelay; the
clients never load the server (importing the relay client must not pull in aiosqlite or the
record store); the workers are clients of a relay, not parts of it; the server knows neither.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.imports import ROOT, offenders

WORKER_DEPENDENCIES = ("cv2", "numpy", "asyncssh", "tomli_w")


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        (
            "camrelay.protocol",
            (
                "camrelay.server",
                "camrelay.clients",
                "camrelay.workers",
                "camrelay.cli",
                "camrelay.settings",
            ),
        ),
        ("camrelay.clients", ("camrelay.server", "camrelay.workers", "camrelay.cli")),
        ("camrelay.server", ("camrelay.clients", "camrelay.workers", "camrelay.cli")),
        ("camrelay.workers", ("camrelay.server", "camrelay.cli")),
    ],
)
def test_package_imports_only_what_it_stands_on(package: str, forbidden: tuple[str, ...]) -> None:
    assert offenders(package, forbidden) == set()


def loaded_after(code: str) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after running `code`."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_the_relay_client_loads_no_server_and_no_worker_dependency() -> None:
    loaded = loaded_after("import camrelay.clients.relay, camrelay.clients.viewer")
    assert {"aiosqlite", "quart", "hypercorn", *WORKER_DEPENDENCIES} & loaded == set()
    assert not any(name.startswith("camrelay.server") for name in loaded)


@pytest.mark.parametrize("command", ["serve", "user", "pull"])
def test_a_server_or_client_command_loads_no_worker_dependency(command: str) -> None:
    loaded = loaded_after(f"from camrelay.cli.main import parser\nparser([{command!r}])")
    assert set(WORKER_DEPENDENCIES) & loaded == set()


def test_help_loads_no_subcommand() -> None:
    loaded = loaded_after("from camrelay.cli.main import parser\nparser([])")
    assert {"aiosqlite", "quart", "httpx", *WORKER_DEPENDENCIES} & loaded == set()


def test_the_embedded_server_loads_no_cluster_dependency() -> None:
    """nats-py and psycopg are the `cluster` extra: a node on SQLite without a bus (and every
    `camrelay` command on it) imports neither, and pays nothing for them at start."""
    code = "import camrelay.server.serving, camrelay.server.core.relay, camrelay.cli.identity_store"
    loaded = loaded_after(f"{code}\nfrom camrelay.cli.main import parser\nparser(['serve'])")
    assert {"nats", "psycopg"} & loaded == set()


def test_a_restart_loads_no_cryptography() -> None:
    """cryptography only makes the certificate a first start has not got yet."""
    loaded = loaded_after(
        "from camrelay.cli.main import parser\nparser(['serve'])\nimport camrelay.server.serving"
    )
    assert "cryptography" not in loaded
