"""GET /metrics through prometheus_client: every family documented and typed, counters named
`_total`, the process metrics beside the relay's, parsed by prometheus_client's own parser."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.metrics import metric_values
from tests.support.relay_server import RelayServer

REQUESTS = 2000  # enough to fill the collector's first generation (700) many times over
GC_COLLECTED = "python_gc_objects_collected_total"

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
    "camrelay_store_wal_checkpoints_total",
    "camrelay_store_wal_checkpoints_failed_total",
    "camrelay_events_published_total",
    "camrelay_events_dropped_total",
    "camrelay_state_sockets",
    "camrelay_state_merged_total",
    "camrelay_state_sent_direct_total",
    "camrelay_websocket_sent_direct_total",
    "camrelay_h2_answered_inline_total",
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
    assert {"python_gc_objects_collected_total", "python_gc_collections_total"} <= exposed


async def gc_collected(server: RelayServer, http: httpx.AsyncClient) -> float:
    """Objects the server's garbage collections freed so far, all generations."""
    per_generation = await metric_values(server.url, GC_COLLECTED, http)
    assert len(per_generation) == 3, per_generation  # generations 0, 1 and 2
    return sum(per_generation.values())


async def test_json_answers_leave_no_garbage_for_the_collector(data_dir: Path) -> None:
    """Each answer's stream, app queue and task are freed as the answer ends: a reference cycle
    (the PUSH_BODY extension once made one) left ~20 objects a request to the collector, whose
    full collections then stalled every request in flight. A server of its own: the shared
    one's memory trim collects what earlier tests' closed connections left; the original's cap
    of requests a session may make is off for the 2,000."""
    server = RelayServer(data_dir, env={"CAMRELAY_SESSIONS_ENFORCE_REQUEST_CAPS": "false"})
    server.start()
    try:
        await server.add_account("gc", "gc-pw")
        await answers_collected(server)
    finally:
        server.stop()


async def answers_collected(server: RelayServer) -> None:
    async with httpx.AsyncClient(verify=False, http2=True) as http:
        login = {"name": "gc", "pass": "gc-pw", "device": "beat"}
        session = (await http.post(f"{server.url}/authorize.json", json=login)).json()["shash"]
        before = await gc_collected(server, http)
        for _ in range(REQUESTS):
            answer = await http.post(f"{server.url}/heartBit.json", json={"shash": session})
            assert answer.json() == {"result": "OK"}
        after = await gc_collected(server, http)
    assert after - before < REQUESTS, f"{after - before:.0f} objects for {REQUESTS} answers"
