"""Issue 15's figures: JSON requests per second through HAProxy with 1, 2 and 3 nodes, the CPU
seconds each node spends per 1,000 requests, and the latency of a live frame from a camera on
node A to a viewer on node B beside a viewer on node A itself.

The nodes run on PostgreSQL and NATS when their test harnesses are there (BENCH_CLUSTER_STORE=
sqlite|postgresql chooses), else on one shared SQLite file without a bus: then the JSON figures
are measured and the frame latency across nodes is skipped (nothing carries frames between
nodes). No targets: on two shared cores the total cannot grow much; the per-node cost is the
figure that scales (docs/scale-out.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.core_api import BENCH_ENV, RUNS, SECONDS
from bench.h2_peer import H2Peer
from bench.h2load import LoadResult, median_run, percentile, run_h2load, spread
from bench.server_probe import cpu_seconds
from bench.stream_load import Upload, ViewerSink, jpeg_payload, open_viewer, wait_ended
from tests.support.api import Api
from tests.support.cluster import Cluster, store_url
from tests.support.metrics import metric
from tests.support.nats import NatsServer

SIZES = (1, 2, 3)
STREAM_SECONDS = float(os.environ.get("BENCH_STREAM_SECONDS", "10"))
FPS = 30
USER, PASSWORD = "bench", "bench-pw"


@dataclass(frozen=True)
class Measured:
    """One load on one cluster size: h2load's runs and each node's CPU per 1,000 requests."""

    runs: list[LoadResult]
    cpu_per_1000: list[float]  # per node, median over the runs


def store_kind() -> str:
    """BENCH_CLUSTER_STORE ("sqlite": the shared SQLite file), else PostgreSQL."""
    return os.environ.get("BENCH_CLUSTER_STORE", "") or "postgresql"


@contextlib.contextmanager
def bus() -> Iterator[str]:
    """A NATS server's URL for the run (tests/support/nats.py)."""
    with tempfile.TemporaryDirectory() as folder:
        server = NatsServer(Path(folder)).start()
        try:
            yield server.url
        finally:
            server.stop()


async def prepare(cluster: Cluster) -> str:
    """The bench account with a few messages waiting; the shash of a session (any node)."""
    await cluster.add_account(USER, PASSWORD)
    async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as http:
        api = Api(http, cluster.url)
        sender = await api.login(USER, PASSWORD, "camera")
        for i in range(5):
            await sender.call("addMsgs", msg=f"event {i}", params={"n": i})
        return (await api.login(USER, PASSWORD, "phone")).shash


async def served(cluster: Cluster) -> list[float]:
    """camrelay_requests_total of each node, read through its own HAProxy frontend."""
    async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as http:
        return [
            await metric(cluster.node_url(i), "camrelay_requests_total", http)
            for i in range(1, len(cluster.nodes) + 1)
        ]


def measured(cluster: Cluster, load: Callable[[], LoadResult]) -> Measured:
    """RUNS runs of `load`, with each node's CPU seconds and requests around each run."""
    pids = [node.process.pid for node in cluster.nodes]  # type: ignore[union-attr]
    runs: list[LoadResult] = []
    per_node: list[list[float]] = [[] for _ in pids]
    for _ in range(RUNS):
        cpu_before = [cpu_seconds(pid) for pid in pids]
        requests_before = asyncio.run(served(cluster))
        runs.append(load())
        requests_after = asyncio.run(served(cluster))
        for i, pid in enumerate(pids):
            requests = requests_after[i] - requests_before[i]
            spent = cpu_seconds(pid) - cpu_before[i]
            per_node[i].append(spent / requests * 1000 if requests else float("nan"))
    return Measured(runs, [statistics.median(values) for values in per_node])


def json_loads(size: int, root: Path, store: str, bus_url: str) -> dict[str, Measured]:
    """heartBit and getMsgs through HAProxy's TLS port on `size` nodes."""
    with Cluster(root / f"nodes{size}", size, store, bus_url, env=BENCH_ENV) as cluster:
        quoted = httpx.QueryParams({"shash": asyncio.run(prepare(cluster))})
        beat = f"{cluster.url}/heartBit.json?{quoted}"
        msgs = f"{cluster.url}/getMsgs.json?{quoted}"
        return {
            "heartBit.json": measured(cluster, lambda: run_h2load(beat, SECONDS)),
            "getMsgs.json (5 waiting)": measured(cluster, lambda: run_h2load(msgs, SECONDS)),
        }


async def frame_latency(cluster: Cluster, across: bool) -> dict[str, ViewerSink]:
    """A camera on node 1 at FPS; one viewer on node 1 and (`across`) one on node 2, at the
    same time."""
    async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as http:
        api = Api(http, cluster.url)
        camera = (await api.login(USER, PASSWORD, "cam")).shash
        viewer = (await api.login(USER, PASSWORD, "viewer")).shash
    jpeg, _ = jpeg_payload()
    upload = Upload.start(await H2Peer.connect(cluster.node_url(1)), camera)
    nodes = (("A", 1), ("B", 2)) if across else (("A", 1),)
    peers = {where: await H2Peer.connect(cluster.node_url(i)) for where, i in nodes}
    opened = {where: await open_viewer(peer, viewer, "cam", FPS) for where, peer in peers.items()}
    await upload.paced(jpeg, FPS, STREAM_SECONDS)
    await upload.finish()
    await wait_ended([(peers[w], sid, sink) for w, (sid, sink) in opened.items()], 15)
    for peer in [upload.peer, *peers.values()]:
        peer.close()
    return {where: sink for where, (_, sink) in opened.items()}


def streams(root: Path, store: str, bus_url: str) -> dict[str, ViewerSink]:
    """The frame latency on three nodes; on the same node only without a bus."""
    with Cluster(root / "streams", 3, store, bus_url, env=BENCH_ENV) as cluster:
        asyncio.run(cluster.add_account(USER, PASSWORD))
        return asyncio.run(frame_latency(cluster, across=bool(bus_url)))


def report(size: int, name: str, figures: Measured) -> None:
    best = median_run(figures.runs)
    p99 = statistics.median(r.p99_ms for r in figures.runs)
    cpu = "  ".join(f"node{i} {c:.3f}" for i, c in enumerate(figures.cpu_per_1000, 1))
    print(
        f"  {size}  {name:<26} {best.rps:>7.0f} req/s  p50 {best.p50_ms:6.2f} ms"
        f"  p99 {p99:6.2f} ms  failed {sum(r.failed for r in figures.runs)}"
        f"  CPU s/1,000 req: {cpu}   runs {spread(figures.runs)}",
        flush=True,
    )


def report_frames(sinks: dict[str, ViewerSink]) -> None:
    sent = round(FPS * STREAM_SECONDS)
    for where, label in (("A", "viewer on node A (same node)"), ("B", "viewer on node B")):
        if where not in sinks:
            print(f"  camera on node A, {label}: skipped (no bus: frames do not cross nodes)")
            continue
        ms = [ns / 1e6 for ns in sinks[where].latencies_ns] or [float("nan")]
        print(
            f"  camera on node A, {label:<28} p50 {percentile(ms, 0.5):6.2f} ms"
            f"  p99 {percentile(ms, 0.99):6.2f} ms  frames {sinks[where].frames}/{sent}",
            flush=True,
        )


def main() -> None:
    kind = store_kind()
    with tempfile.TemporaryDirectory() as folder, bus() as bus_url:
        root = Path(folder)
        print(
            f"\n== cluster (store: {kind}{' (one shared file)' if kind == 'sqlite' else ''},"
            f" bus: {bus_url or 'none'}; h2load through HAProxy TLS, 10 connections x 10"
            f" streams, {RUNS} runs of {SECONDS:.0f} s, median; no targets)"
        )
        print("  nodes")
        for size in SIZES:
            for name, figures in json_loads(size, root, store_url(kind), bus_url).items():
                report(size, name, figures)
        report_frames(streams(root, store_url(kind), bus_url))
