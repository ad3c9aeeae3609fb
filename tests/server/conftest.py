"""The bare Hypercorn the transport trap tests compare camrelay's fixes against."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BARE_LOG = "bare.log"


@contextlib.contextmanager
def running_bare(args: list[str], folder: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """tests.support.bare_hypercorn run with `args`: the process and its URL; what it logs
    goes to folder / BARE_LOG."""
    command = [sys.executable, "-m", "tests.support.bare_hypercorn", *args]
    with (folder / BARE_LOG).open("w") as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    assert process.stdout is not None
    try:
        yield process, process.stdout.readline().split()[-1]
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def bare_hypercorn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a bare Hypercorn run with `request.param` (its arguments)."""
    with running_bare(request.param, tmp_path) as (_, url):
        yield url
