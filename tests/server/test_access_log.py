"""Where `[server] access_log_file` puts the access log; /metrics counts the requests."""

from __future__ import annotations

from pathlib import Path

import httpx

from camrelay.server.access_log import access_log_path
from camrelay.settings import ServerSettings
from tests.support.metrics import metric
from tests.support.relay_server import RelayServer


def test_dash_is_the_terminal_and_a_relative_file_lies_in_the_data_directory(
    tmp_path: Path,
) -> None:
    assert access_log_path(ServerSettings(data_dir=tmp_path)) is None  # the default, "-"
    relative = ServerSettings(data_dir=tmp_path, access_log_file="access.log")
    assert access_log_path(relative) == tmp_path / "access.log"
    absolute = ServerSettings(data_dir=tmp_path, access_log_file="/var/log/camrelay.log")
    assert access_log_path(absolute) == Path("/var/log/camrelay.log")


async def test_metrics_count_the_requests_served(server: RelayServer) -> None:
    async with httpx.AsyncClient(verify=False) as http:
        first = await metric(server.url, "camrelay_requests_total", http)
        await http.post(f"{server.url}/heartBit.json", content=b"{}")
        assert await metric(server.url, "camrelay_requests_total", http) == first + 2
        # the heartBit and the second /metrics
