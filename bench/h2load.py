"""Runs h2load and reads its per-request log: requests per second and latency percentiles."""

from __future__ import annotations

import statistics
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LoadResult:
    """One h2load run."""

    requests: int
    failed: int  # answers other than 200, and streams h2load gave up on
    rps: float
    p50_ms: float
    p99_ms: float


def percentile(values: list[float], fraction: float) -> float:
    """The value below which `fraction` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def run_h2load(
    url: str,
    seconds: float,
    connections: int = 10,
    streams: int = 10,
    body: Path | None = None,
    warm_up: float = 1.0,
) -> LoadResult:
    """Load `url` for `seconds` (after a warm-up) with connections x concurrent streams."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "requests.tsv"
        command = [
            "h2load",
            "-c",
            str(connections),
            "-m",
            str(streams),
            "-t",
            "1",
            "-D",
            f"{seconds:g}",
            "--warm-up-time",
            f"{warm_up:g}",
            "--log-file",
            str(log),
        ]
        if body is not None:
            command += ["-d", str(body)]
        done = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60)
        text = log.read_text() if log.exists() else ""
        rows = [line.split("\t") for line in text.splitlines() if line.strip()]
    if not rows:
        raise RuntimeError(f"h2load made no request:\n{done.stdout}\n{done.stderr}")
    latencies = [int(row[2]) / 1000 for row in rows]
    other = Counter(row[1] for row in rows if row[1] != "200")
    # h2load logs status 0 for the requests still in flight when the run's time is up: at most
    # one per stream slot; any 0 beyond that, and every other status, is a failure.
    failed = sum(n for status, n in other.items() if status != "0")
    failed += max(0, other["0"] - connections * streams)
    if failed:
        print(f"    (non-200 as h2load logged them, 0 = in flight at the end: {dict(other)})")
    return LoadResult(
        len(rows),
        failed,
        len(rows) / seconds,
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
    )


def median_run(runs: list[LoadResult]) -> LoadResult:
    """The run with the median rate (runs are noisy on a shared machine)."""
    return sorted(runs, key=lambda r: r.rps)[len(runs) // 2]


def spread(runs: list[LoadResult]) -> str:
    """The rates of every run, for the reader to judge the noise."""
    return (
        "/".join(f"{r.rps:.0f}" for r in runs)
        + f" (sd {statistics.pstdev([r.rps for r in runs]):.0f})"
    )
