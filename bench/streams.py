"""Issue 3's figures for the live stream relay (input.raw -> output.raw): latency, loss, server
CPU and memory at 30 fps with 1, 10 and 100 viewers; one stream flooded; 50 cameras x 10 fps;
a stuck viewer beside fast ones; memory over a long run with a stuck viewer.

The load runs in this process (asyncio, the h2 library through bench.h2_peer); the server is a
`camrelay serve` subprocess, a fresh one per scenario so its peak RSS belongs to that scenario.
Each viewer times a frame when its last byte arrives, against the stamp in its first bytes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.core_api import BENCH_ENV
from bench.h2_peer import H2Peer
from bench.h2load import percentile
from bench.server_probe import CpuWindow, memory_mib, reset_peak_rss
from bench.stream_load import Upload, ViewerSink, jpeg_payload, open_viewer, wait_ended
from tests.support.metrics import metric_values
from tests.support.relay_server import RelayServer

SECONDS = float(os.environ.get("BENCH_STREAM_SECONDS", "10"))
STUCK_SECONDS = float(os.environ.get("BENCH_STUCK_SECONDS", "60"))
FLOOD_SECONDS = float(os.environ.get("BENCH_FLOOD_SECONDS", "4"))
FLOOD_RUNS = int(os.environ.get("BENCH_RUNS", "3"))
LATENCY_RUNS = int(os.environ.get("BENCH_LATENCY_RUNS", "3"))  # for 10 and 100 viewers
MAX_VIEWER_CONNECTIONS = 10  # beyond this, viewers share connections round-robin
USER, PASSWORD = "bench", "bench-pw"


@dataclass(frozen=True)
class Plan:
    """One scenario: `cameras` streams, each with `viewers` readers that keep up and `stuck`
    readers that never return flow-control credit (each stuck one on its own connection)."""

    cameras: int = 1
    fps: float = 30
    viewers: int = 1
    viewer_connections: int = 1
    stuck: int = 0
    seconds: float = SECONDS
    flood: bool = False


@dataclass
class Outcome:
    """What one scenario measured."""

    sent: list[int]  # per camera
    received: list[tuple[int, int]]  # (camera, frames) per fast viewer
    sinks: list[ViewerSink]
    cpu: CpuWindow
    wall: float
    rss_mib: float = 0.0
    peak_mib: float = 0.0
    dropped: float = 0.0  # camrelay_stream_frames_dropped_total summed over the streams
    unended: int = 0
    rss_trace: list[float] = field(default_factory=list)
    late: int = 0

    @property
    def losses(self) -> list[int]:
        return [self.sent[camera] - frames for camera, frames in self.received]

    def latency_ms(self, fraction: float) -> float:
        pooled = [float(ns) for sink in self.sinks for ns in sink.latencies_ns]
        return percentile(pooled, fraction) / 1e6 if pooled else float("nan")

    @property
    def relayed_mb_s(self) -> float:
        return sum(sink.received for sink in self.sinks) / self.wall / 1e6

    @property
    def relayed_fps(self) -> float:
        return sum(sink.frames for sink in self.sinks) / self.wall


@contextlib.contextmanager
def relay_server(root: Path, name: str, env: dict[str, str] = BENCH_ENV) -> Iterator[RelayServer]:
    """A fresh server for one scenario."""
    server = RelayServer(root / name, env=env).start()
    try:
        asyncio.run(server.add_account(USER, PASSWORD))
        yield server
    finally:
        server.stop()


async def login(server: RelayServer, devices: list[str]) -> dict[str, str]:
    """A session for each device of the benchmark account."""
    shashes = {}
    async with httpx.AsyncClient(http2=True, verify=False, timeout=30) as http:
        for device in devices:
            answer = (
                await http.post(
                    f"{server.url}/authorize.json",
                    json={"name": USER, "pass": PASSWORD, "device": device},
                )
            ).json()
            shashes[device] = answer["shash"]
    return shashes


async def run_plan(
    server: RelayServer, plan: Plan, jpeg: bytes, url: str = "", trace_rss: bool = False
) -> Outcome:
    """Attach everything, stream for plan.seconds, end the streams, gather the figures."""
    url = url or server.url
    pid = server.process.pid  # type: ignore[union-attr]
    cams = [f"cam{i}" for i in range(plan.cameras)]
    shash = await login(server, [*cams, "viewer"])
    uploads = [Upload.start(await H2Peer.connect(url), shash[cam]) for cam in cams]
    viewer_peers = [await H2Peer.connect(url) for _ in range(plan.viewer_connections)]
    warm = 0 if plan.flood else round(plan.fps)  # latency from the second second on
    viewers = []
    for index in range(plan.cameras * plan.viewers):
        camera = index // plan.viewers
        peer = viewer_peers[index % len(viewer_peers)]
        stream_id, sink = await open_viewer(peer, shash["viewer"], cams[camera], warm)
        viewers.append((camera, peer, stream_id, sink))
    stuck_peers = [await H2Peer.connect(url, reading=False) for _ in range(plan.stuck)]
    for peer in stuck_peers:
        await open_viewer(peer, shash["viewer"], cams[0])
    outcome = await _stream(plan, jpeg, pid, url, uploads, viewers, trace_rss)
    for peer in [*(u.peer for u in uploads), *viewer_peers, *stuck_peers]:
        peer.close()
    return outcome


async def _stream(
    plan: Plan,
    jpeg: bytes,
    pid: int,
    url: str,
    uploads: list[Upload],
    viewers: list[tuple[int, H2Peer, int, ViewerSink]],
    trace_rss: bool,
) -> Outcome:
    cpu = CpuWindow(pid)
    trace: list[float] = []
    reset_peak_rss(pid)
    sampler = asyncio.create_task(_sample_rss(pid, trace)) if trace_rss else None
    cpu.start()
    if plan.flood:
        await asyncio.gather(*(u.flood(jpeg, plan.seconds) for u in uploads))
    else:
        await asyncio.gather(*(u.paced(jpeg, plan.fps, plan.seconds) for u in uploads))
    dropped = await metric_values(url, "camrelay_stream_frames_dropped_total")
    for upload in uploads:
        await upload.finish()
    unended = await wait_ended([(peer, sid, sink) for _, peer, sid, sink in viewers], 15)
    cpu.stop()
    if sampler is not None:
        sampler.cancel()
    rss, peak = memory_mib(pid)
    return Outcome(
        sent=[u.sent for u in uploads],
        received=[(camera, sink.frames) for camera, _, _, sink in viewers],
        sinks=[sink for *_, sink in viewers],
        cpu=cpu,
        wall=cpu.wall,
        rss_mib=rss,
        peak_mib=peak,
        dropped=sum(dropped.values()),
        unended=unended,
        rss_trace=trace,
        late=sum(u.late for u in uploads),
    )


async def _sample_rss(pid: int, trace: list[float]) -> None:
    while True:
        trace.append(memory_mib(pid)[0])
        await asyncio.sleep(1)


def scenario(root: Path, name: str, plan: Plan, jpeg: bytes, trace_rss: bool = False) -> Outcome:
    """One plan on a fresh server."""
    return repeated(root, name, plan, jpeg, 1, trace_rss)[0]


def repeated(
    root: Path, name: str, plan: Plan, jpeg: bytes, runs: int, trace_rss: bool = False
) -> list[Outcome]:
    """`runs` runs of one plan, one after the other on a fresh server."""

    async def all_runs(server: RelayServer) -> list[Outcome]:
        return [await run_plan(server, plan, jpeg, trace_rss=trace_rss) for _ in range(runs)]

    with relay_server(root, name) as server:
        return asyncio.run(all_runs(server))


def median_by_p99(outcomes: list[Outcome]) -> Outcome:
    """The run with the median p99 latency (runs are noisy on a shared machine)."""
    return sorted(outcomes, key=lambda o: o.latency_ms(0.99))[len(outcomes) // 2]


def flood_runs(root: Path, jpeg: bytes) -> dict[str, list[Outcome]]:
    """FLOOD_RUNS unthrottled runs over TLS, then over h2c, on one server."""
    plan = Plan(seconds=FLOOD_SECONDS, flood=True)

    async def runs(server: RelayServer) -> dict[str, list[Outcome]]:
        return {
            scheme: [await run_plan(server, plan, jpeg, url) for _ in range(FLOOD_RUNS)]
            for scheme, url in (("TLS", server.url), ("h2c", server.h2c_url))
        }

    # The flood measures the relay's throughput, not a camera: lift the per-upload frame cap
    # (streams.max_frames_per_s, 1000 by default) that would end it with code 14.
    with relay_server(
        root, "flood", {**BENCH_ENV, "CAMRELAY_STREAMS_MAX_FRAMES_PER_S": "1000000"}
    ) as server:
        return asyncio.run(runs(server))


def row(label: str, outcome: Outcome, target: str = "", runs: list[Outcome] | None = None) -> None:
    """One scenario's line: sent, loss, latency, CPU, memory, and the target beside them."""
    if runs and len(runs) > 1:
        p99s = "/".join(f"{o.latency_ms(0.99):.1f}" for o in runs)
        target += f"   runs p99 {p99s} ms, lost {'/'.join(str(sum(o.losses)) for o in runs)}"
    losses = outcome.losses
    lost = f"{sum(losses)}/{max(losses)}/{sum(1 for n in losses if n)}"
    print(
        f"  {label:<22} {sum(outcome.sent):>6} {lost:>12} {outcome.latency_ms(0.5):>7.2f}"
        f" {outcome.latency_ms(0.99):>7.2f} {outcome.latency_ms(1.0):>7.1f}"
        f" {100 * outcome.cpu.server_share:>6.0f} {100 * outcome.cpu.self_share:>6.0f}"
        f" {100 * outcome.cpu.other_share:>6.0f}"
        f" {outcome.peak_mib:>7.0f}   {target}",
        flush=True,
    )
    if outcome.unended or outcome.late:
        print(
            f"  {'':<22} ({outcome.unended} viewers had not ended 15 s after the producer;"
            f" {outcome.late} frames sent over one interval late)"
        )


def header() -> None:
    print(
        f"  {'scenario':<22} {'sent':>6} {'lost t/w/n':>12} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'max ms':>7} {'srvCPU':>6} {'genCPU':>6} {'othCPU':>6} {'peakRSS':>7}   target"
    )


def report_flood(runs: dict[str, list[Outcome]]) -> None:
    for scheme, outcomes in runs.items():
        ordered = sorted(outcomes, key=lambda o: o.relayed_mb_s)
        best = ordered[len(ordered) // 2]
        rates = "/".join(f"{o.relayed_mb_s:.0f}" for o in outcomes)
        print(
            f"  {scheme:<4} {best.relayed_mb_s:6.1f} MB/s  {best.relayed_fps:6.0f} frames/s"
            f"  (sent {best.sent[0] / best.wall:.0f} frames/s, lost {sum(best.losses)},"
            f" server CPU {100 * best.cpu.server_share:.0f} %,"
            f" generator CPU {100 * best.cpu.self_share:.0f} %,"
            f" other {100 * best.cpu.other_share:.0f} %)   runs {rates} MB/s"
            f"   target >= 100 MB/s",
            flush=True,
        )


def report_stuck(outcome: Outcome) -> None:
    trace = outcome.rss_trace or [outcome.rss_mib]
    base = trace[0]
    settled = trace[min(5, len(trace) - 1)]
    print(
        f"  RSS {base:.0f} MiB before the frames, {settled:.0f} after 5 s, {max(trace):.0f} max,"
        f" {outcome.rss_mib:.0f} at the end (peak {outcome.peak_mib:.0f}): growth"
        f" {outcome.rss_mib - base:+.1f} MiB ({outcome.rss_mib - settled:+.1f} after 5 s)"
        f"   target < 50 MiB",
        flush=True,
    )
    print(
        f"  the stuck viewer lost {outcome.dropped:.0f} of {outcome.sent[0]} frames (metrics);"
        f" the fast viewer lost {sum(outcome.losses)},"
        f" p99 {outcome.latency_ms(0.99):.2f} ms",
        flush=True,
    )


def main() -> None:
    jpeg, what = jpeg_payload()
    print(
        f"\n== live streams (input.raw -> output.raw over TLS, {SECONDS:.0f} s per run;"
        f" 10 and 100 viewers: median by p99 of {LATENCY_RUNS} runs)"
    )
    print(f"  payload: {what}; its first 16 bytes carry the send time and sequence number")
    print(
        "  viewers: one h2 connection each up to 10, then 10 connections shared round-robin;"
        " each camera its own connection; stuck viewers on their own connection"
    )
    print(
        "  latency from the 2nd second on; lost t/w/n = total / worst viewer / viewers with"
        " loss; CPU in % of one core (srv = server, gen = this load generator, oth = the rest"
        " of the machine); peak RSS = the server's VmHWM, reset when the frames start"
    )
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        header()
        targets = {1: "", 10: "p99 < 10 ms, no loss", 100: "p99 < 50 ms, no loss"}
        for viewers in (1, 10, 100):
            plan = Plan(viewers=viewers, viewer_connections=min(viewers, MAX_VIEWER_CONNECTIONS))
            runs = repeated(root, f"v{viewers}", plan, jpeg, LATENCY_RUNS if viewers > 1 else 1)
            row(f"30 fps x {viewers} viewers", median_by_p99(runs), targets[viewers], runs)
        fifty = Plan(cameras=50, fps=10, viewers=1, viewer_connections=50)
        row("50 cams x 10 fps", scenario(root, "cams50", fifty, jpeg), "no loss")
        slow = scenario(root, "slow", Plan(viewers=10, viewer_connections=10, stuck=1), jpeg)
        row("10 fast + 1 stuck", slow, "no loss for the fast ones")
        print(
            f"  {'':<22} the stuck viewer's drops (camrelay_stream_frames_dropped_total):"
            f" {slow.dropped:.0f} of {slow.sent[0]} frames"
        )
        print(
            f"\n  unthrottled one stream, 1 viewer, {FLOOD_RUNS} runs of {FLOOD_SECONDS:.0f} s"
            " (median by MB/s):"
        )
        report_flood(flood_runs(root, jpeg))
        print(f"\n  stuck viewer beside a fast one on a 30 fps stream for {STUCK_SECONDS:.0f} s:")
        long_plan = Plan(viewers=1, stuck=1, seconds=STUCK_SECONDS)
        report_stuck(scenario(root, "stuck", long_plan, jpeg, trace_rss=True))
