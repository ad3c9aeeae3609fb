"""The data directory is owner-only: made so, and an older installation fixed at start
(issue 9 item 8: directory 755, database, -wal, -shm 644, readable by every local user)."""

from __future__ import annotations

import stat
from pathlib import Path

from tests.support.relay_server import RelayServer

PRIVATE = ("camrelay.sqlite3", "camrelay.sqlite3-wal", "camrelay.sqlite3-shm", "key.pem")


def modes(folder: Path) -> dict[str, int]:
    """The permission bits of the folder ('.') and of its private files."""
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for name in PRIVATE:
        found[name] = stat.S_IMODE((folder / name).stat().st_mode)
    return found


OWNER_ONLY = {".": 0o700, **dict.fromkeys(PRIVATE, 0o600)}


async def test_a_fresh_data_directory_is_owner_only(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"  # made by the server itself; the log lives elsewhere
    server = RelayServer(tmp_path / "log", args=["--data", str(fresh)]).start()
    try:
        assert modes(fresh) == OWNER_ONLY  # -wal and -shm exist while the server runs
    finally:
        server.stop()
    assert "open to other users" not in server.log()


async def test_an_open_installation_is_narrowed_at_start_with_a_warning(data_dir: Path) -> None:
    server = RelayServer(data_dir).start()
    server.kill()  # leaves -wal and -shm behind, as a crash does
    data_dir.chmod(0o755)
    for name in PRIVATE:
        (data_dir / name).chmod(0o644)
    server.start()
    try:
        assert modes(data_dir) == OWNER_ONLY
    finally:
        server.stop()
    log = server.log()
    assert f"{data_dir} was open to other users (mode 755); now 700" in log
    for name in PRIVATE:
        assert f"{data_dir / name} was open to other users (mode 644); now 600" in log
