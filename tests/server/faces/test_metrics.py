"""GET /metrics through prometheus_client: every family documented and typed, counters named
`_total`, the process metrics beside the relay's, parsed by prometheus_client's own parser."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.relay_server import RelayServer

RELAY_METRICS = {
    "camrelay_sessions",
    "camrelay_session_flushes_total",
    "camrelay_sessions_unknown_lookups_total",
    "camrelay_sessions_unknown_spared_total",
    "camrelay_sessions_unknown_entries",
    "camrelay_streams",
    "camrelay_viewers",
    "camrelay_record_answers_streaming",
    "camrelay_record_answers_refused_total",
    "camrelay_store_reads_on_loop_total",
    "camrelay_store_reads_handed_off_total",
    "camrelay_events_published_total",
    "camrelay_events_dropped_total",
    "camrelay_state_sockets",
    "camrelay_state_merged_total",
    "camrelay_state_sent_direct_total",
    "camrelay_websocket_sent_direct_total",
    "camrelay_connections_open",
    "camrelay_connection_tasks",
    "camrelay_connections_refused_total",
    "camrelay_proxy_headers_refused_total",
    "camrelay_login_checks_total",
    "camrelay_login_refused_total",
    "camrelay_login_pending",
    "camrelay_login_checks_waiting",
    "camrelay_frames_in_total",
    "camrelay_bytes_in_total",
    "camrelay_frames_out_total",
    "camrelay_bytes_out_total",
    "camrelay_frames_dropped_total",
    "camrelay_frames_out_direct_total",
    "camrelay_requests_total",
    "camrelay_stream_viewers",
    "camrelay_stream_frames_in_total",
    "camrelay_stream_bytes_in_total",
    "camrelay_stream_frames_dropped_total",
}


async def test_every_family_has_help_and_type_and_the_process_is_measured(
    server: RelayServer,
) -> None:
    async with httpx.AsyncClient(verify=False) as http:
        response = await http.get(f"{server.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = response.text
    families = list(text_string_to_metric_families(text))
    exposed = set()
    for family in families:
        name = family.name + ("_total" if family.type == "counter" else "")
        exposed.add(name)
        assert f"# HELP {name} {family.documentation}\n" in text and family.documentation
        assert f"# TYPE {name} {family.type}\n" in text and family.type != "unknown"
        for sample in family.samples:
            assert sample.name == name or family.type != "counter", sample
    assert {n for n in exposed if n.startswith("camrelay_")} == RELAY_METRICS
    [memory] = next(f for f in families if f.name == "process_resident_memory_bytes").samples
    assert memory.value > 10 << 20
    assert "python_info" in exposed
