"""GET /metrics: Prometheus text for the local machine or an authenticated session.

The relay's figures are read from the core at scrape time by one collector (nothing is counted
twice); the process metrics are prometheus_client's own. Each app has its own registry, so
several apps in one process (the tests) never share or clash over metric names.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from quart import Blueprint, Response, request

from camrelay.protocol.errors import RelayError

from ..core.relay import Relay
from ..request_count import RequestCount
from ..transport.h2_inline_answers import answered_inline
from ..transport.tcp_peer_close import live_connections
from ..transport.ws_direct_send import sent_direct

Metric = CounterMetricFamily | GaugeMetricFamily
STREAM_LABELS = ["account_id", "device"]


def _is_local(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    """A counter family; prometheus_client appends `_total` to `name` in the output."""
    return CounterMetricFamily(name, doc, value=value)


class RelayCollector(Collector):
    """The relay core's live figures, read at each scrape."""

    def __init__(self, relay: Relay, requests: RequestCount | None) -> None:
        self.relay = relay
        self.requests = requests

    def collect(self) -> Iterator[Metric]:
        relay = self.relay
        channels = relay.streams.channels()
        yield _gauge("camrelay_sessions", "Sessions open.", relay.sessions.count())
        yield from self._sessions()
        yield _gauge(
            "camrelay_streams",
            "Devices uploading to this node now.",
            len(relay.streams.local_channels()),
        )
        yield _gauge(
            "camrelay_viewers", "Viewers attached now.", sum(len(c.readers) for c in channels)
        )
        slots = relay.records.read_slots
        yield _gauge(
            "camrelay_record_answers_streaming", "Record bodies being sent now.", slots.in_use
        )
        yield _counter(
            "camrelay_record_answers_refused",
            "Record reads refused: too many at once.",
            slots.refused,
        )
        on_loop = relay.db.loop_reads  # SQLite only: 0 on PostgreSQL
        checkpoints = relay.db.checkpoints  # likewise
        for name, text, value in (
            (
                "camrelay_store_reads_on_loop",
                "Small store reads served on the event loop's thread.",
                on_loop.served if on_loop else 0,
            ),
            (
                "camrelay_store_reads_handed_off",
                "Small store reads sent on to the reader thread: busy, or past their time budget.",
                on_loop.handed_off if on_loop else 0,
            ),
            (
                "camrelay_store_wal_checkpoints",
                "WAL checkpoints of records run off the writer's thread.",
                checkpoints.runs if checkpoints else 0,
            ),
            (
                "camrelay_store_wal_checkpoints_failed",
                "Of those, checkpoints that failed (logged; SQLite's own go on).",
                checkpoints.failed if checkpoints else 0,
            ),
        ):
            yield _counter(name, text, value)
        bus = relay.bus
        yield _counter(
            "camrelay_events_published", "Events the core published.", bus.published_total
        )
        yield _counter(
            "camrelay_events_dropped",
            "Events lost by subscribers that fell behind.",
            bus.dropped_total,
        )
        yield _gauge("camrelay_state_sockets", "State-sync sockets open.", relay.state.sockets)
        yield _counter(
            "camrelay_state_merged",
            "State changes merged into newer ones for sockets that fell behind.",
            relay.state.merged_total,
        )
        yield _counter(
            "camrelay_state_sent_direct",
            "State messages written straight to an idle socket's connection.",
            relay.state.sent_direct_total,
        )
        yield _counter(
            "camrelay_websocket_sent_direct",
            "WebSocket messages (state sync, Socket.IO) written straight to their connection.",
            sent_direct(),
        )
        yield _counter(
            "camrelay_h2_answered_inline",
            ".json requests answered by the HTTP/2 transport without a Hypercorn stream.",
            answered_inline(),
        )
        yield from self._connections()
        yield from self._logins()
        yield from self._hub_totals()
        if self.requests is not None:
            yield _counter("camrelay_requests", "Requests served.", self.requests.total)
        yield from self._cluster()
        yield from self._streams()

    def _sessions(self) -> Iterator[Metric]:
        sessions = self.relay.sessions
        unknown = sessions.unknown
        yield _counter(
            "camrelay_session_flushes", "Session counters written to the store.", sessions.flushes
        )
        yield _counter(
            "camrelay_sessions_unknown_lookups",
            "Store lookups of a shash not in memory.",
            unknown.counters.lookups,
        )
        yield _counter(
            "camrelay_sessions_unknown_spared",
            "Unknown shash refused from the negative cache, without a store lookup.",
            unknown.counters.spared,
        )
        yield _gauge(
            "camrelay_sessions_unknown_entries", "Negative cache entries held.", len(unknown)
        )

    def _cluster(self) -> Iterator[Metric]:
        cluster = self.relay.cluster
        if cluster is None:
            return
        bus = cluster.bus
        counters = bus.counters
        yield _gauge("camrelay_bus_connected", "1 while NATS is reachable.", int(bus.connected))
        channels = self.relay.streams.channels()
        yield _gauge(
            "camrelay_cluster_streams_exported",
            "Uploads here whose frames go to other nodes' viewers now.",
            sum(1 for c in channels if c.export is not None),
        )
        yield _gauge(
            "camrelay_cluster_streams_relayed",
            "Other nodes' uploads known here (viewers here may watch them).",
            sum(1 for c in channels if c.producer is not None and c.producer.remote),
        )
        for name, doc, value in (
            ("events_sent", "Events sent to the other nodes.", counters.events_sent),
            ("events_received", "Events received from the other nodes.", counters.events_received),
            (
                "events_dropped",
                "Events lost on the way out (queue full, NATS away).",
                counters.events_dropped,
            ),
            ("frames_sent", "Live frames sent to other nodes' viewers.", counters.frames_sent),
            ("frames_received", "Live frames received from other nodes.", counters.frames_received),
            ("frames_dropped", "Live frames lost between nodes.", counters.frames_dropped),
            ("bytes_sent", "Bytes sent to the other nodes.", counters.bytes_sent),
            ("bytes_received", "Bytes received from the other nodes.", counters.bytes_received),
        ):
            yield _counter(f"camrelay_cluster_{name}", doc, value)

    def _connections(self) -> Iterator[Metric]:
        connections = self.relay.connections
        yield _gauge("camrelay_connections_open", "TCP connections open.", connections.open)
        yield _gauge(
            "camrelay_connection_tasks", "Connection tasks alive in the server.", live_connections()
        )
        yield _counter(
            "camrelay_connections_refused",
            "TCP connections refused over the cap.",
            connections.refused,
        )
        yield _counter(
            "camrelay_proxy_headers_refused",
            "Connections closed for a missing, bad or slow PROXY header.",
            connections.bad_proxy_headers,
        )

    def _logins(self) -> Iterator[Metric]:
        passwords, throttle = self.relay.passwords, self.relay.throttle
        yield _counter("camrelay_login_checks", "Password checks done.", passwords.checks)
        yield _counter("camrelay_login_refused", "Logins refused at once.", throttle.refused)
        yield _gauge("camrelay_login_pending", "Logins waiting their turn.", throttle.pending())
        yield _gauge(
            "camrelay_login_checks_waiting",
            "Password checks waiting for a slot.",
            passwords.waiting,
        )

    def _hub_totals(self) -> Iterator[Metric]:
        totals = self.relay.streams.totals
        yield _counter("camrelay_frames_in", "Frames received from cameras.", totals.frames_in)
        yield _counter("camrelay_bytes_in", "Bytes received from cameras.", totals.bytes_in)
        yield _counter("camrelay_frames_out", "Frames sent to viewers.", totals.frames_out)
        yield _counter("camrelay_bytes_out", "Bytes sent to viewers.", totals.bytes_out)
        yield _counter(
            "camrelay_frames_dropped", "Frames viewers lost to a full queue.", totals.dropped
        )
        yield _counter(
            "camrelay_frames_out_direct",
            "Frames sent to HTTP/2 viewers straight from the upload (no task woken).",
            totals.direct,
        )

    def _streams(self) -> Iterator[Metric]:
        viewers = GaugeMetricFamily(
            "camrelay_stream_viewers", "Viewers of the stream now.", labels=STREAM_LABELS
        )
        frames_in = CounterMetricFamily(
            "camrelay_stream_frames_in", "Frames the stream received.", labels=STREAM_LABELS
        )
        bytes_in = CounterMetricFamily(
            "camrelay_stream_bytes_in", "Bytes the stream received.", labels=STREAM_LABELS
        )
        dropped = CounterMetricFamily(
            "camrelay_stream_frames_dropped",
            "Frames the stream's viewers, present and gone, lost to a full queue.",
            labels=STREAM_LABELS,
        )
        for channel in self.relay.streams.channels():
            labels = [str(channel.account_id), channel.device]
            viewers.add_metric(labels, len(channel.readers))
            frames_in.add_metric(labels, channel.frames_in)
            bytes_in.add_metric(labels, channel.bytes_in)
            dropped.add_metric(labels, channel.dropped())
        yield from (viewers, frames_in, bytes_in, dropped)


def metrics_registry(relay: Relay, requests: RequestCount | None = None) -> CollectorRegistry:
    """A private registry: the relay's figures, the process's and its garbage collector's
    (objects a collection freed: a request path that leaves reference cycles shows there)."""
    registry = CollectorRegistry()
    registry.register(RelayCollector(relay, requests))
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def metrics_face(relay: Relay, requests: RequestCount | None = None) -> Blueprint:
    """The blueprint serving /metrics."""
    blueprint = Blueprint("metrics", __name__)
    registry = metrics_registry(relay, requests)

    @blueprint.route("/metrics", methods=["GET"])
    async def metrics() -> Response:
        if not _is_local(request.remote_addr or ""):
            try:
                await relay.sessions.use(request.args.get("shash", ""), request.remote_addr or "")
            except RelayError:
                return Response("metrics need a session or a local client\n", status=403)
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        return Response(encode(registry), content_type=content_type)

    return blueprint
