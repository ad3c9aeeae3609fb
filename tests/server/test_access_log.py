"""Where `[server] access_log_file` puts the access log."""

from __future__ import annotations

from pathlib import Path

from camrelay.server.access_log import access_log_path
from camrelay.settings import ServerSettings


def test_dash_is_the_terminal_and_a_relative_file_lies_in_the_data_directory(
    tmp_path: Path,
) -> None:
    assert access_log_path(ServerSettings(data_dir=tmp_path)) is None  # the default, "-"
    relative = ServerSettings(data_dir=tmp_path, access_log_file="access.log")
    assert access_log_path(relative) == tmp_path / "access.log"
    absolute = ServerSettings(data_dir=tmp_path, access_log_file="/var/log/camrelay.log")
    assert access_log_path(absolute) == Path("/var/log/camrelay.log")
