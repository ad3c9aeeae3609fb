"""`camrelay ARGS` run in the test's process: the tests of what a command prints and does to the
store need not pay a Python start-up and imports per command (one to two seconds each)."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from camrelay.cli.main import main

# sys.stdin/stdout/stderr are the process's: one command at a time swaps them.
_one_at_a_time = threading.Lock()


def camrelay(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """What `camrelay ARGS` with `stdin` exits with and prints, as the interpreter would report it
    (sys.exit("text") prints the text to stderr and exits 1). It runs on a thread of its own, as
    its asyncio.run would fail in an async test's running loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_run, args, stdin).result()  # a hang: pytest-timeout reports it


def _run(args: tuple[str, ...], stdin: str) -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()
    with (
        _one_at_a_time,
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        _stdin(stdin),
    ):
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = _exit_code(exit_.code, err)
    return subprocess.CompletedProcess(["camrelay", *args], code, out.getvalue(), err.getvalue())


def _exit_code(code: object, err: io.StringIO) -> int:
    """The exit status the interpreter gives SystemExit(code)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=err)
    return 1


@contextlib.contextmanager
def _stdin(text: str) -> Iterator[None]:
    """sys.stdin reads `text` (not a terminal, so passwords come from it)."""
    saved, sys.stdin = sys.stdin, io.StringIO(text)
    try:
        yield
    finally:
        sys.stdin = saved
