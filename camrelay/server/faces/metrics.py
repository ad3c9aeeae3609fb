"""GET /metrics: Prometheus text for the local machine or an authenticated session."""

from __future__ import annotations

import ipaddress

from quart import Blueprint, Response, request

from camrelay.protocol.errors import RelayError

from ..core.relay import Relay
from ..core.streams import Channel, StreamHub
from ..request_count import RequestCount
from ..transport.tcp_peer_close import live_connections

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _is_local(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _channel_lines(channel: Channel) -> list[str]:
    labels = f'account_id="{channel.account_id}",device="{_label(channel.device)}"'
    readers = list(channel.readers)
    return [
        f"camrelay_stream_viewers{{{labels}}} {len(readers)}",
        f"camrelay_stream_frames_in_total{{{labels}}} {channel.frames_in}",
        f"camrelay_stream_bytes_in_total{{{labels}}} {channel.bytes_in}",
        f"camrelay_stream_frames_dropped{{{labels}}} {sum(r.dropped for r in readers)}",
    ]


def _login_lines(relay: Relay) -> list[str]:
    return [
        "# TYPE camrelay_login_checks_total counter",
        f"camrelay_login_checks_total {relay.accounts.checks}",
        "# TYPE camrelay_login_refused_total counter",
        f"camrelay_login_refused_total {relay.throttle.refused}",
        "# TYPE camrelay_login_pending gauge",
        f"camrelay_login_pending {relay.throttle.pending()}",
        "# TYPE camrelay_login_checks_waiting gauge",
        f"camrelay_login_checks_waiting {relay.accounts.waiting}",
    ]


def render(relay: Relay, requests: RequestCount | None = None) -> str:
    """Every metric as Prometheus text."""
    hub: StreamHub = relay.streams
    channels = hub.channels()
    totals = hub.totals
    lines = [
        "# TYPE camrelay_sessions gauge",
        f"camrelay_sessions {relay.sessions.count()}",
        "# TYPE camrelay_streams gauge",
        f"camrelay_streams {len(channels)}",
        "# TYPE camrelay_viewers gauge",
        f"camrelay_viewers {sum(len(c.readers) for c in channels)}",
        "# TYPE camrelay_record_answers_streaming gauge",
        f"camrelay_record_answers_streaming {relay.records.read_slots.in_use}",
        "# TYPE camrelay_record_answers_refused_total counter",
        f"camrelay_record_answers_refused_total {relay.records.read_slots.refused}",
        "# TYPE camrelay_connections_open gauge",
        f"camrelay_connections_open {relay.connections.open}",
        "# TYPE camrelay_connection_tasks gauge",
        f"camrelay_connection_tasks {live_connections()}",
        "# TYPE camrelay_connections_refused_total counter",
        f"camrelay_connections_refused_total {relay.connections.refused}",
    ]
    lines += _login_lines(relay)
    for name in ("frames_in", "bytes_in", "frames_out", "bytes_out", "dropped"):
        metric = f"camrelay_{'frames_dropped' if name == 'dropped' else name}_total"
        lines += [f"# TYPE {metric} counter", f"{metric} {getattr(totals, name)}"]
    if requests is not None:
        lines += [
            "# TYPE camrelay_requests_total counter",
            f"camrelay_requests_total {requests.total}",
        ]
    for channel in channels:
        lines += _channel_lines(channel)
    return "\n".join(lines) + "\n"


def metrics_face(relay: Relay, requests: RequestCount | None = None) -> Blueprint:
    """The blueprint serving /metrics."""
    blueprint = Blueprint("metrics", __name__)

    @blueprint.route("/metrics", methods=["GET"])
    async def metrics() -> Response:
        if not _is_local(request.remote_addr or ""):
            try:
                await relay.sessions.use(request.args.get("shash", ""), request.remote_addr or "")
            except RelayError:
                return Response("metrics need a session or a local client\n", status=403)
        return Response(render(relay, requests), content_type=CONTENT_TYPE)

    return blueprint
