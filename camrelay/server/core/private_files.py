"""The data directory holds argon2 hashes, live session tokens, every record and message and
the TLS key: owner only (700 and 600), made so and, for an older installation, fixed at start."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
_log = logging.getLogger("camrelay")


def private_folder(folder: Path, names: Iterable[str] = ()) -> None:
    """Create `folder` owner-only; narrow it and the named files in it if others may read."""
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _narrow(folder, DIR_MODE)
    for name in names:
        path = folder / name
        if path.exists():
            _narrow(path, FILE_MODE)


def private_file(path: Path) -> None:
    """Create `path` empty and owner-only unless it exists, so what is written there (and the
    -wal and -shm files SQLite gives the same mode) is never readable by others."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE))


def _narrow(path: Path, mode: int) -> None:
    current = stat.S_IMODE(path.stat().st_mode)
    if current & (stat.S_IRWXG | stat.S_IRWXO):
        path.chmod(mode)
        _log.warning("%s was open to other users (mode %o); now %o", path, current, mode)
