"""`make cluster`: PostgreSQL, NATS, three `camrelay serve` nodes and HAProxy on this machine,
the scale-out counterpart of `make run`; in the foreground until Ctrl-C, which stops them all.

Everything lives under --data (default ./data/cluster): pg/ (PostgreSQL's files, run as `nobody`
when started as root: PostgreSQL refuses root), nodeN/ (each node's certificate), nodeN.log,
haproxy/ (the generated configuration, TCP mode with send-proxy-v2 as in deploy/haproxy.cfg) and
admin-password.txt.
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from camrelay.cli.demo import demo_password
from tests.support.haproxy import HAProxy
from tests.support.relay_server import LISTEN_RE, free_port

START_S = 60.0
ADMIN = "admin"
PASSWORD_FILE = "admin-password.txt"
NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def as_unprivileged(command: list[str]) -> list[str]:
    """The command as `nobody` when run as root (PostgreSQL refuses root); setpriv execs, so
    the process signalled is the engine itself."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]


def postgres_binary(name: str) -> str:
    """The newest Debian PostgreSQL's `name` (initdb, postgres)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        sys.exit("make cluster: no PostgreSQL: sh scripts/apt-install.sh postgresql")
    return found[-1]


@dataclass
class Child:
    """One process of the cluster, its output in `log`, in a session of its own (Ctrl-C
    reaches this script only, which stops the children in order)."""

    name: str
    command: list[str]
    log: Path
    stop_signal: int = signal.SIGTERM
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Child:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_port(self, port: int) -> None:
        """Until something accepts on 127.0.0.1:port (the engine is up)."""
        deadline = time.monotonic() + START_S
        while not _accepts(port):
            if not self.running() or time.monotonic() > deadline:
                sys.exit(f"make cluster: {self.name} did not start; see {self.log}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.running():
            assert self.process is not None
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_postgres(folder: Path, port: int) -> tuple[Child, str]:
    """PostgreSQL on 127.0.0.1:port with its files in `folder` (made once by initdb), and the
    URL of its `camrelay` database (created when missing)."""
    if not (folder / "PG_VERSION").exists():
        folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(folder, "nobody", "nogroup")
        init = [postgres_binary("initdb"), "-D", str(folder), "-U", "camrelay", "-A", "trust"]
        subprocess.run(
            as_unprivileged([*init, "-E", "UTF8", "--locale=C.UTF-8"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    settings = ["listen_addresses=127.0.0.1", "unix_socket_directories=", "max_connections=200"]
    command = [postgres_binary("postgres"), "-D", str(folder), "-p", str(port)]
    for setting in settings:
        command += ["-c", setting]
    # SIGINT: PostgreSQL's fast shutdown (SIGTERM waits for every client to leave).
    log = folder.parent / "postgres.log"
    child = Child("PostgreSQL", as_unprivileged(command), log, signal.SIGINT).start()
    child.wait_port(port)
    server = f"postgresql://camrelay@127.0.0.1:{port}"
    with connected(f"{server}/postgres", child) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname='camrelay'").fetchone():
            conn.execute("CREATE DATABASE camrelay")
    return child, f"{server}/camrelay"


def connected(url: str, child: Child) -> psycopg.Connection[Any]:
    """A connection once PostgreSQL takes them (it listens a moment before it is ready)."""
    deadline = time.monotonic() + START_S
    while True:
        try:
            return psycopg.connect(url, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError:
            if not child.running() or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def start_nats(folder: Path, port: int) -> Child:
    """nats-server on 127.0.0.1:port (core NATS: nothing of camrelay's is kept in it)."""
    command = [NATS_SERVER, "-a", "127.0.0.1", "-p", str(port)]
    child = Child("nats-server", command, folder / "nats.log").start()
    child.wait_port(port)
    return child


def camrelay(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """A `camrelay` command of this checkout; exits with its output when it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "camrelay", *args], input=stdin, capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"make cluster: camrelay {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done


@dataclass
class Node:
    """One `camrelay serve --proxy-protocol` node and the TLS and h2c URLs it printed."""

    child: Child
    urls: list[str] = field(default_factory=list)

    def wait_listening(self) -> None:
        deadline = time.monotonic() + START_S
        while len(self.urls) < 2:
            if not self.child.running() or time.monotonic() > deadline:
                sys.exit(f"make cluster: {self.child.name} did not start; see {self.child.log}")
            time.sleep(0.1)
            self.urls = LISTEN_RE.findall(self.child.log.read_text(errors="replace"))[-2:]


def launch_node(index: int, data_dir: Path, flags: list[str], log: Path) -> Node:
    """Node `index` on free ports of 127.0.0.1, reachable only through HAProxy; starting (its
    URLs come with wait_listening)."""
    command = [sys.executable, "-m", "camrelay", "serve", "--proxy-protocol", *flags]
    command += ["--data", str(data_dir), "--listen", f"127.0.0.1:{free_port()}"]
    command += ["--h2c-listen", f"127.0.0.1:{free_port()}"]
    log.write_bytes(b"")  # this run's lines only: the URLs are read from it
    return Node(Child(f"node{index}", command, log).start())


def haproxy_for(urls: list[list[str]], folder: Path, ports: list[int]) -> HAProxy:
    """HAProxy as deploy/haproxy.cfg has it: TCP mode, least connections, send-proxy-v2, a
    health check every 2 s, an hour of idle time (cameras keep a connection for days)."""
    return HAProxy(
        folder,
        [tls for tls, _ in urls],
        [h2c for _, h2c in urls],
        balance="leastconn",
        check="check inter 2s rise 2 fall 3",
        idle="1h",
        ports=ports,
    )


def ensure_admin(store: list[str], password: str) -> None:
    """The server admin account `admin` (its user is `admin` too), unless it exists."""
    listed = camrelay("user", "list", *store).stdout
    if not any(line.split("\t")[0] == ADMIN for line in listed.splitlines()):
        camrelay("user", "add", ADMIN, "--server-admin", *store, stdin=password + "\n")


def guide(proxy: HAProxy, password: str, store: str, bus: str, nodes: list[Node]) -> str:
    """What to point cameras and browsers at, in the style of `make run`."""
    url = proxy.url
    auth = f'{{"name":"{ADMIN}","pass":"{password}","device":"my_pc"}}'
    lines = [
        "",
        f"camrelay cluster is up at {url}  (HAProxy, {len(nodes)} nodes, HTTP/2 over TLS, "
        "self-signed certificates)",
        f"  h2c (cleartext HTTP/2, prior knowledge): {proxy.h2c_url}",
        f"  account: {ADMIN}   password: {password}   (server admin)",
        f"  store: {store}",
        f"  bus:   {bus}",
        *(
            f"  node{i}: {n.urls[0]} (h2c {n.urls[1]}), log {n.child.log}"
            for i, n in enumerate(nodes, 1)
        ),
        "",
        "Point cameras, apps and browsers at HAProxy, never at a node (a node takes only",
        "connections that start with HAProxy's PROXY header):",
        f"  browser: {url}/  (log in as {ADMIN})",
        f"  CAMRELAY_PASSWORD={password} .venv/bin/camrelay push --server {url} "
        f"--user {ADMIN} --insecure --device cam1 --fps 10",
        f"  curl --http2 -k -d '{auth}' -X POST {url}/authorize.json",
        "",
        "Stop with Ctrl-C.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make cluster", description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/cluster"))
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--listen", type=int, default=8443, help="HAProxy's TLS port")
    parser.add_argument("--h2c-listen", type=int, default=8081, help="HAProxy's h2c port")
    parser.add_argument("--pg-port", type=int, default=5433)
    parser.add_argument("--nats-port", type=int, default=4222)
    args = parser.parse_args(argv)
    data = args.data.resolve()
    data.mkdir(parents=True, exist_ok=True)
    children: list[Child] = []
    proxy: HAProxy | None = None
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        postgres, store_url = start_postgres(data / "pg", args.pg_port)
        children.append(postgres)
        children.append(start_nats(data, args.nats_port))
        bus_url = f"nats://127.0.0.1:{args.nats_port}"
        camrelay("migrate", "--store", store_url)
        flags = ["--store", store_url, "--bus", bus_url]
        plan = [(data / f"node{i}", flags) for i in range(1, args.nodes + 1)]
        on_store = ["--store", store_url]
        password = demo_password(data, PASSWORD_FILE)
        nodes: list[Node] = []
        # The nodes start at once (PostgreSQL was migrated above); the admin account is made
        # meanwhile (each camrelay command is a second of Python starting).
        with ThreadPoolExecutor(1) as thread:
            for i, (data_dir, flags) in enumerate(plan, 1):
                nodes.append(launch_node(i, data_dir, flags, data / f"node{i}.log"))
                children.append(nodes[-1].child)
                if i == 1:
                    admin = thread.submit(ensure_admin, on_store, password)
            for node in nodes:
                node.wait_listening()
            admin.result()  # its failure (sys.exit) ends the script here
        proxy = haproxy_for(
            [n.urls for n in nodes], data / "haproxy", [args.listen, args.h2c_listen]
        ).start()
        print(guide(proxy, password, store_url, bus_url, nodes), flush=True)
        while not stopping:
            time.sleep(0.5)
            for child in children:
                if not child.running() and child.process is not None:
                    print(f"make cluster: {child.name} exited; see {child.log}", flush=True)
                    child.process = None
    finally:
        print("stopping: HAProxy, the nodes, NATS, PostgreSQL", flush=True)
        if proxy is not None:
            proxy.stop()
        for child in reversed(children):
            child.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
