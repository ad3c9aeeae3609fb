"""Issue 15: any request works on any node: a session made through HAProxy is valid on every
node, a record written on one node is read on the others byte for byte, and messages pass
between devices logged in on different nodes."""

from __future__ import annotations

import os

import httpx

from tests.support.api import Api
from tests.support.cluster import Cluster
from tests.support.stored import record_data
from tests.support.until import until


def beats(log: str) -> int:
    """heartBit requests in a node's access log."""
    return log.count('"POST /heartBit.json 2" 200')


async def test_a_session_made_through_haproxy_works_on_every_node(
    cluster: Cluster, http: httpx.AsyncClient, h2c: httpx.AsyncClient
) -> None:
    """Login through HAProxy; heartBit on each node directly, over TLS and h2c."""
    await cluster.add_account("everywhere", "its password")
    device = await Api(http, cluster.url).login("everywhere", "its password", "phone")
    for index in (1, 2, 3):
        for client, url in ((http, cluster.node_url(index)), (h2c, cluster.node_h2c_url(index))):
            before = beats(cluster.node(index).log())
            answer = await Api(client, url).call("heartBit", {"shash": device.shash})
            assert answer == {"result": "OK"}, (index, url)
            await until(
                lambda index=index, before=before: beats(cluster.node(index).log()) > before,
                what=f"node{index} logged the heartBit",
            )


async def test_a_record_written_on_one_node_is_read_on_the_others(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    """addRecord on node 1; getRecordMeta and getRecordData on nodes 2 and 3: the same bytes."""
    await cluster.add_account("records", "its password")
    blob = os.urandom(40_000)
    camera = await Api(http, cluster.node_url(1)).login("records", "its password", "cam")
    added = await camera.add_record(blob, meta="JPEG")
    assert added == {"result": "OK", "rid": added["rid"]}
    for index in (2, 3):
        viewer = await Api(http, cluster.node_url(index)).login("records", "its password", "app")
        meta = await viewer.call("getRecordMeta", rid=added["rid"])
        assert meta == {"device": "cam", "meta": "JPEG", "stamp": meta["stamp"], "result": "OK"}
        assert await record_data(viewer, added["rid"]) == blob


async def test_messages_pass_between_devices_on_different_nodes(
    cluster: Cluster, http: httpx.AsyncClient
) -> None:
    """A phone on node 1 sends to a camera on node 2; the camera answers from node 3."""
    await cluster.add_account("talk", "its password")
    phone = await Api(http, cluster.node_url(1)).login("talk", "its password", "phone")
    camera = await Api(http, cluster.node_url(2)).login("talk", "its password", "cam")
    sent = await phone.call("addMsgs", msg="snap", target="cam", params={"size": "640x480"})
    assert sent == {"result": "OK"}
    got = await camera.call("getMsgs")
    assert [(m["msg"], m["device"], m["params"]) for m in got["msgs"]] == [
        ("snap", "phone", {"size": "640x480"})
    ]
    camera_on_3 = await Api(http, cluster.node_url(3)).login("talk", "its password", "cam")
    assert await camera_on_3.call("addMsgs", msg="done", target="phone") == {"result": "OK"}
    answer = await phone.call("getMsgs")
    assert [(m["msg"], m["device"]) for m in answer["msgs"]] == [("done", "cam")]
