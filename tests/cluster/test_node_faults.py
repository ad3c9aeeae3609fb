"""Issue 15's faults on PostgreSQL and NATS through HAProxy: kill -9 of one node under a write
load (every record and message a client saw acknowledged is there afterwards, byte for byte, and
the clients of the killed node go on writing through another); a camera's node killed (the
camera comes back through HAProxy on another node, its viewers re-attach); NATS restarted (the
nodes reconnect, the streams resume); PostgreSQL restarted (code 3 meanwhile at once, then
service again). One cluster with a PostgreSQL and a NATS of its own: each test leaves it whole.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from camrelay.protocol.framing import encode_frame
from tests.support.api import Api, Device
from tests.support.cluster import Cluster
from tests.support.h2_client import H2Client
from tests.support.haproxy import haproxy_or_skip
from tests.support.live import open_viewer, start_upload, watch_until
from tests.support.metrics import metric
from tests.support.nats import NatsServer, own_nats
from tests.support.node_pair import growing, pushing
from tests.support.postgres import LocalPostgres, migrate
from tests.support.stored import all_messages, all_records, record_data
from tests.support.until import until

WRITERS = 6  # round robin over three nodes: two on the node that dies
KILLED = 2
AFTER_RECONNECT = 5  # writes each reconnected client gets acknowledged on another node
DOWN = {"result": "BAD", "code": 3}

# The load makes more requests than a session may (kinds 3 and 4): the caps are not the point.
NO_CAPS = {"CAMRELAY_SESSIONS_ENFORCE_REQUEST_CAPS": "false"}


@pytest.fixture(scope="module")
def postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL of the module's own: a test stops it (the run's is shared by other tests)."""
    server = LocalPostgres().start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A NATS server of the module's own: a test stops it."""
    yield from own_nats(tmp_path_factory)


@pytest.fixture(scope="module")
def cluster(
    postgres: LocalPostgres, nats: NatsServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Three nodes on the module's PostgreSQL (migrated) and NATS, HAProxy in front."""
    haproxy_or_skip()
    folder = tmp_path_factory.mktemp("faulty")
    store = migrate(postgres.url)
    with Cluster(folder, store_url=store, bus_url=nats.url, env=NO_CAPS) as nodes:
        yield nodes


@dataclass
class Writer:
    """One client writing records and messages through HAProxy on a connection of its own."""

    number: int
    url: str
    shash: str
    records: dict[int, bytes] = field(default_factory=dict)  # acknowledged: rid -> bytes
    messages: list[str] = field(default_factory=list)  # acknowledged
    reconnects: int = 0
    since_reconnect: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Write until `stop`; a broken connection means a new client (a new connection)."""
        while not stop.is_set():
            async with httpx.AsyncClient(http2=True, verify=False, timeout=10) as http:
                device = Device(Api(http, self.url), self.shash, f"cam{self.number}")
                try:
                    while not stop.is_set():
                        await self.write(device)
                except AssertionError:
                    raise
                # The kill breaks the connection mid-request: httpx/httpcore surface that as
                # httpx.HTTPError or anyio's EndOfStream; whatever it was, reconnect.
                except Exception:
                    self.reconnects += 1
                    self.since_reconnect = 0

    async def write(self, device: Device) -> None:
        """One record and one message, each remembered once acknowledged."""
        n = len(self.records) + len(self.messages)
        blob = b"record %d-%d " % (self.number, n) * 300
        answer = await device.add_record(blob)
        assert answer == {"result": "OK", "rid": answer["rid"]}, answer
        self.records[answer["rid"]] = blob
        name = f"w{self.number}-{n}"
        sent = await device.call("addMsgs", msg=name, target="reader")
        assert sent == {"result": "OK"}, sent
        self.messages.append(name)
        self.since_reconnect += 1


async def test_acknowledged_writes_survive_a_node_killed_under_load(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    await cluster.add_account("load", "its password")
    api = Api(http, cluster.url)
    cams = [await api.login("load", "its password", f"cam{i}") for i in range(WRITERS)]
    writers = [Writer(i, cluster.url, cam.shash) for i, cam in enumerate(cams)]
    stop = asyncio.Event()
    tasks = [asyncio.create_task(w.run(stop)) for w in writers]
    try:
        await until(lambda: all(len(w.records) >= 5 for w in writers), timeout=60)
        cluster.kill(KILLED)
        killed_at = time.monotonic()
        await until(
            lambda: (
                any(w.reconnects for w in writers)
                and all(w.since_reconnect >= AFTER_RECONNECT for w in writers)
            ),
            timeout=60,
            what="every writer writing again (the killed node's through another node)",
        )
        recovered_s = time.monotonic() - killed_at
    finally:
        stop.set()
        await asyncio.gather(*tasks)
    cluster.restart(KILLED)
    reader = await Api(http, cluster.node_url(KILLED)).login("load", "its password", "reader")
    stored = set(await all_records(reader))
    got = set(await all_messages(reader))
    acknowledged = {rid: blob for w in writers for rid, blob in w.records.items()}
    assert sum(w.reconnects for w in writers) >= 2  # the two clients on the killed node
    assert set(acknowledged) <= stored
    assert {name for w in writers for name in w.messages} <= got
    for rid, blob in acknowledged.items():
        assert await record_data(reader, rid) == blob
    assert recovered_s < 30  # not frozen: HAProxy sends the reconnects to the live nodes


async def test_the_camera_of_a_killed_node_comes_back_and_its_viewers_reattach(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    """Camera on node 3, viewers on nodes 1 and 2; kill -9 node 3: the camera uploads again
    through HAProxy (to a live node), and each viewer gets its frames after opening output.raw
    again."""
    await cluster.add_account("comeback", "its password")
    cam = await Api(http, cluster.node_url(3)).login("comeback", "its password", "cam")
    viewer = await Api(http, cluster.url).login("comeback", "its password", "viewer")
    uploader = await H2Client.connect(cluster.node_url(3))
    upload = await start_upload(uploader, cam.shash)
    before = encode_frame(b"before the kill")
    after = encode_frame(b"after the kill")
    watching = [
        asyncio.create_task(watch_until(cluster.node_url(i), viewer.shash, "cam", after))
        for i in (1, 2)
    ]
    try:
        await until(lambda: _streaming(viewer), what="the camera listed")
        await uploader.send(upload, before)
        cluster.kill(3)
        await uploader.close()
        again = await H2Client.connect(cluster.url)  # HAProxy: node 1 or 2
        second = await start_upload(again, cam.shash)
        while not all(task.done() for task in watching):
            await again.send(second, after)
            await asyncio.sleep(0.05)
        opened = [task.result() for task in watching]
        await again.send(second, b"", end=True)
        assert json.loads((await again.response(second)).body) == {"result": "OK"}
        await again.close()
    finally:
        for task in watching:
            task.cancel()
        cluster.restart(3)
    assert all(n >= 1 for n in opened)


async def _streaming(viewer: Device, name: str = "cam") -> bool:
    answer = await viewer.call("getStreams")
    return any(d["device"] == name for d in answer.get("devices", []))


async def _bus_connected(cluster: Cluster, value: int) -> bool:
    """Whether every node's camrelay_bus_connected is `value`."""
    for index in range(1, len(cluster.nodes) + 1):
        if await metric(cluster.node_url(index), "camrelay_bus_connected") != value:
            return False
    return True


async def test_nats_restarted_the_nodes_reconnect_and_the_streams_resume(
    cluster: Cluster, nats: NatsServer, http: httpx.AsyncClient
) -> None:
    """Camera on node 1, viewers on nodes 2 and 3; NATS stops and starts again: every node
    reconnects by itself and the viewers get the camera's frames again."""
    await cluster.add_account("natsdown", "its password")
    cam = await Api(http, cluster.node_url(1)).login("natsdown", "its password", "cam")
    viewers = [
        await Api(http, cluster.node_url(i)).login("natsdown", "its password", f"viewer{i}")
        for i in (2, 3)
    ]
    watchers = [await H2Client.connect(cluster.node_url(i)) for i in (2, 3)]
    async with pushing(cluster.front(1), cam):  # type: ignore[arg-type]  # a node by its front
        for watcher, viewer in zip(watchers, viewers, strict=True):
            await growing(watcher, await open_viewer(watcher, viewer.shash, "cam"))
        nats.stop()
        try:
            await until(lambda: _bus_connected(cluster, 0), what="every node saw NATS go")
            # Meanwhile each node answers its own clients.
            assert (await viewers[0].call("heartBit")) == {"result": "OK"}
        finally:
            nats.start()
        await until(lambda: _bus_connected(cluster, 1), what="every node is back on NATS")
        for watcher, viewer in zip(watchers, viewers, strict=True):
            await until(lambda v=viewer: _streaming(v), what="the camera listed again")
            await growing(watcher, await open_viewer(watcher, viewer.shash, "cam"))
    for watcher in watchers:
        await watcher.close()


async def test_postgresql_restarted_requests_answer_code_3_then_recover(
    cluster: Cluster, postgres: LocalPostgres, http: httpx.AsyncClient
) -> None:
    """PostgreSQL stops: on every node a write, a read and a record answer code 3 at once
    (never a hang); it starts again: the same requests succeed and nothing written is lost."""
    await cluster.add_account("pgdown", "its password")
    devices = [
        await Api(http, cluster.node_url(i)).login("pgdown", "its password", f"cam{i}")
        for i in (1, 2, 3)
    ]
    reader = await Api(http, cluster.url).login("pgdown", "its password", "reader")
    for device in devices:
        sent = await device.call("addMsgs", msg=f"before {device.name}", target="reader")
        assert sent == {"result": "OK"}
    postgres.stop()
    try:
        started = time.monotonic()
        answers = []
        for device in devices:
            answers.append(await device.call("addMsgs", msg="during", target="reader"))
            answers.append(await device.call("getRecordCount"))
            answers.append(await device.add_record(b"during"))
        took = time.monotonic() - started
    finally:
        postgres.start()
    assert answers == [DOWN] * 9
    assert took < 20  # not frozen: each failed at once, well before any deadline

    async def served(device: Device) -> bool:
        answer = await device.call("addMsgs", msg=f"after {device.name}", target="reader")
        return answer["result"] == "OK"

    for device in devices:
        await until(lambda d=device: served(d), what=f"{device.name} served again")
        assert (await device.call("getRecordCount"))["result"] == "OK"
    got = await all_messages(reader)
    assert {f"before cam{i}" for i in (1, 2, 3)} <= set(got)
    assert {f"after cam{i}" for i in (1, 2, 3)} <= set(got)
