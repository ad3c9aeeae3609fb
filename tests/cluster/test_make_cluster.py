"""`make cluster` (scripts/cluster.py): PostgreSQL as an unprivileged user with its files kept,
the HAProxy configuration it writes, and the whole cluster started on PostgreSQL and NATS, used
through HAProxy and stopped by Ctrl-C with no process left behind."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from scripts.cluster import haproxy_for, start_postgres
from tests.support.api import Api
from tests.support.haproxy import haproxy_or_skip
from tests.support.relay_server import free_port

ROOT = Path(__file__).parents[2]
START_TRIES = 3
# What an engine logs when its port was taken: PostgreSQL, NATS, Hypercorn; HAProxy.
PORT_TAKEN = re.compile(r"address already in use|cannot bind socket", re.IGNORECASE)


@pytest.fixture
def folder() -> Iterator[Path]:
    """A directory `nobody` can enter (pytest's own temp directories are root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="camrelay-cluster-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_postgres_runs_unprivileged_and_keeps_its_files(folder: Path) -> None:
    """initdb once, the server as `nobody` under root, the camrelay database; a second start
    finds the first one's rows."""
    port = free_port()
    postgres, url = start_postgres(folder / "pg", port)
    try:
        assert url == f"postgresql://camrelay@127.0.0.1:{port}/camrelay"
        status = Path(f"/proc/{postgres.process.pid}/status").read_text()  # type: ignore[union-attr]
        uid = re.search(r"^Uid:\s+(\d+)", status, re.M)
        assert uid and (os.geteuid() != 0 or int(uid.group(1)) != 0)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE kept(x int)")
            conn.execute("INSERT INTO kept VALUES (7)")
    finally:
        postgres.stop()
    assert postgres.process is not None and postgres.process.returncode == 0
    again, _ = start_postgres(folder / "pg", port)
    try:
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT x FROM kept").fetchall() == [(7,)]
    finally:
        again.stop()


def test_the_haproxy_configuration_is_valid_and_like_the_deploy_example(folder: Path) -> None:
    urls = [[f"https://127.0.0.1:{p}", f"http://127.0.0.1:{p + 1}"] for p in (9001, 9003, 9005)]
    path = haproxy_for(urls, folder, [free_port(), free_port()]).write_config()
    checked = subprocess.run(
        [haproxy_or_skip(), "-c", "-f", str(path)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = path.read_text()
    assert "mode tcp" in text and text.count("balance leastconn") == 2
    assert text.count("send-proxy-v2 check inter 2s rise 2 fall 3") == 6
    assert "server node3 127.0.0.1:9006" in text  # the third node's h2c port


async def test_make_cluster_serves_through_haproxy_until_ctrl_c(folder: Path) -> None:
    """The printed password logs in through the printed URLs; heartBit on the same session
    from new connections; Ctrl-C stops everything with exit code 0, every process the script
    started (PostgreSQL's own too) gone."""
    haproxy_or_skip()
    script, guide, tls, h2c = start_cluster(folder)
    try:
        password = re.search(r"account: admin   password: (\S+)", guide)
        assert password, guide
        assert f"is up at https://127.0.0.1:{tls}" in guide
        assert f"h2c (cleartext HTTP/2, prior knowledge): http://127.0.0.1:{h2c}" in guide
        assert f"camrelay push --server https://127.0.0.1:{tls} --user admin" in guide
        for url in (f"https://127.0.0.1:{tls}", f"http://127.0.0.1:{h2c}"):
            async with httpx.AsyncClient(
                http1=url.startswith("https"), http2=True, verify=False, timeout=30
            ) as http:
                device = await Api(http, url).login("admin", password.group(1), "pc")
            async with httpx.AsyncClient(
                http1=url.startswith("https"), http2=True, verify=False, timeout=30
            ) as http:
                assert await Api(http, url).call("heartBit", {"shash": device.shash}) == {
                    "result": "OK"
                }
        started = descendants(script.pid)
        assert len(started) >= 6, started  # the nodes, HAProxy, PostgreSQL, NATS
        script.send_signal(signal.SIGINT)
        assert script.wait(timeout=60) == 0
        assert [pid for pid, since in started.items() if _started_at(pid) == since] == []
    finally:
        if script.poll() is None:
            script.kill()
            script.wait()
    rest = script.stdout.read() if script.stdout else ""
    assert "stopping: HAProxy, the nodes, NATS, PostgreSQL" in rest
    assert "exited" not in guide + rest  # no child died before Ctrl-C


def _started_at(pid: int) -> str | None:
    """When process `pid` started (field 22 of /proc/PID/stat), None when there is none: a pid
    that comes back with another start time is another process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def descendants(root: int) -> dict[int, str | None]:
    """Every process under `root` (children, theirs, ...) with its start time."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
            except (OSError, ValueError):
                continue
    found: list[int] = [root]
    for pid in found:
        found += [child for child, parent in parents.items() if parent == pid]
    return {pid: _started_at(pid) for pid in found[1:]}


def start_cluster(folder: Path) -> tuple[subprocess.Popen[str], str, int, int]:
    """The script started on free ports: it, its guide, its TLS and h2c ports. The ports are
    picked before the script's engines bind them, so another test of the run may take one
    meanwhile; then that engine cannot listen, the script ends, and the start is tried again
    on other ports (any other failure fails the test, with the engines' logs)."""
    for attempt in range(START_TRIES):
        tls, h2c, data = free_port(), free_port(), folder / f"data{attempt}"
        command = [sys.executable, "scripts/cluster.py", "--data", str(data)]
        command += ["--listen", str(tls), "--h2c-listen", str(h2c)]
        command += ["--pg-port", str(free_port()), "--nats-port", str(free_port())]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        script = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        try:
            return script, read_guide(script), tls, h2c
        except AssertionError as failed:
            script.wait(timeout=60)
            logs = "".join(log.read_text(errors="replace") for log in data.rglob("*.log"))
            if not PORT_TAKEN.search(logs) or attempt == START_TRIES - 1:
                raise AssertionError(f"{failed}\n--- the engines' logs:\n{logs[-4000:]}") from None
    raise AssertionError("no start tried")


def read_guide(script: subprocess.Popen[str]) -> str:
    """The script's output up to "Stop with Ctrl-C." (its start fails the test)."""
    assert script.stdout is not None
    lines: list[str] = []
    while not lines or lines[-1] != "Stop with Ctrl-C.\n":
        line = script.stdout.readline()
        if not line:
            raise AssertionError("make cluster ended:\n" + "".join(lines))
        lines.append(line)
    return "".join(lines)
