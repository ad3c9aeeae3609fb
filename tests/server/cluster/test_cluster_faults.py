"""Faults between nodes: the node of an upload dies or stops (its viewers elsewhere end as when
a local upload ends), NATS restarts (the nodes serve their own clients meanwhile, reconnect by
themselves, and a stream pushed to A is watched on B again)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api import Api
from tests.support.h2_client import H2Client
from tests.support.metrics import metric
from tests.support.nats import NatsServer
from tests.support.node_pair import growing, listed, open_viewer, per_minute, pushing, sign_in
from tests.support.relay_server import RelayServer
from tests.support.until import until


async def bus_connected(node: RelayServer, value: int) -> bool:
    return await metric(node.url, "camrelay_bus_connected") == value


@pytest.mark.parametrize(
    ("goes", "within_s"),
    # A stopping node's StreamGone goes out before it stops: no wait for its silence (3.5 s).
    [("killed", 15.0), ("stopped", 2.0)],
)
async def test_viewers_on_b_end_when_the_node_of_the_upload_goes(
    nodes: list[RelayServer],
    nats: NatsServer,
    account: tuple[str, str],
    http: httpx.AsyncClient,
    goes: str,
    within_s: float,
) -> None:
    b = nodes[1]
    leaving = RelayServer(b.data_dir, bus_url=nats.url, name=goes).start()
    cam = await sign_in(Api(http, leaving.url), account, "cam")
    viewer = await sign_in(Api(http, b.url), account, "viewer")
    async with pushing(leaving, cam):
        await listed(viewer)
        watching = await H2Client.connect(b.url)
        stream = await open_viewer(watching, viewer)
        await growing(watching, stream)
        if goes == "killed":
            leaving.kill()
        else:
            assert leaving.stop() == 0
        ended = await watching.response(stream, timeout=within_s)  # as when its upload ends
    assert ended.status == 200 and ended.reset_code is None
    assert (await viewer.call("getStreams"))["devices"] == []
    await watching.close()


async def test_nats_restarted_the_nodes_reconnect_and_the_stream_resumes_on_b(
    nodes: list[RelayServer], nats: NatsServer, account: tuple[str, str], http: httpx.AsyncClient
) -> None:
    a, b = nodes
    cam = await sign_in(Api(http, a.url), account, "cam")
    viewer = await sign_in(Api(http, b.url), account, "viewer")
    async with pushing(a, cam):
        await listed(viewer)
        watching = await H2Client.connect(b.url)
        await growing(watching, await open_viewer(watching, viewer))
        nats.stop()
        for node in nodes:
            await until(lambda n=node: bus_connected(n, 0), what=f"{node.name} saw NATS go")  # type: ignore[misc]
        # Meanwhile each node serves its own clients; what changes is not lost for good.
        assert await per_minute(viewer) == 200
        assert (await cam.call("setConfig", config=[{"kind": 4, "fv": 150}]))["result"] == "OK"
        # A node started meanwhile serves at once and joins when NATS comes.
        late = RelayServer(b.data_dir, bus_url=nats.url, name="late").launch()
        nats.start()
        for node in [*nodes, late]:
            await until(lambda n=node: bus_connected(n, 1), what=f"{node.name} is back")  # type: ignore[misc]

        async def caught_up() -> bool:
            return await per_minute(viewer) == 150

        await until(caught_up, timeout=5, what="B read the config changed meanwhile")
        await listed(viewer)
        again = await open_viewer(watching, viewer)
        await growing(watching, again)
        on_late = await sign_in(Api(http, late.url), account, "late-viewer")
        await listed(on_late)  # it learnt of the stream on A from A's announcements
    await watching.close()
    late.stop()
