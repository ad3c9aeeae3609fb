"""The bare Hypercorn the transport trap tests compare camrelay's fixes against."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BARE_LOG = "bare.log"


@pytest.fixture
def bare_hypercorn(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """tests.support.bare_hypercorn run with `request.param` (its arguments); its h2c URL.
    What it logs goes to tmp_path / BARE_LOG."""
    args = [sys.executable, "-m", "tests.support.bare_hypercorn", *request.param]
    with (tmp_path / BARE_LOG).open("w") as log:
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
    assert process.stdout is not None
    yield process.stdout.readline().split()[-1]
    process.kill()
    process.wait()
