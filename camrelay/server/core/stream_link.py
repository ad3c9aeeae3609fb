"""Live streams between nodes: each node relays the other nodes' uploads as its own channels
(mirrors), and a frame crosses only while another node has a viewer of it.

A node announces its uploads every second (new nodes learn them; silence means the node is
gone and its mirrors end, their viewers as when a local upload ends). A node with viewers of a
mirror says so every second on the stream's demand subject; the node of the upload sends the
frames to the stream's frame subject while such a demand is fresh. Frames larger than NATS's
max_payload travel in pieces: a byte (1: more pieces follow, 0: the last), the frame's number
(4 bytes, so pieces of frames partly lost on the way are never joined), a part. A StreamReady from
another node replaces this node's producer (a local upload ends as replaced) when it is newer:
uploads are ordered by (start time, node), carried in StreamReady and the announcements, so two
uploads of one device started at once on two nodes never end each other: every node keeps the
same one.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscription

from .bus import Event, StreamGone, StreamReady
from .nats_bus import FRAMES_PREFIX, RECEIVED_BYTES, NatsBus
from .streams import Channel, Producer, StreamHub

ANNOUNCE_SUBJECT = "camrelay.streams"
DEMAND_PREFIX = "camrelay.want"
TICK_S = 1.0  # announcements and demand heartbeats
DEMAND_TTL_S = 3.0  # a demand not repeated this long is gone
MIRROR_TTL_S = 3.5  # a mirror whose node did not announce it this long ends
ANNOUNCED_PER_MESSAGE = 500  # streams per announcement message
MORE, LAST = 1, 0
PIECE_HEAD = 5  # the byte saying whether more follow and the frame's number
Key = tuple[int, str]


def subject_of(prefix: str, key: Key) -> str:
    """A stream's subject: a device name may hold any character, its hex only subject ones."""
    return f"{prefix}.{key[0]}.{key[1].encode().hex()}"


def key_of(subject: str) -> Key:
    """The stream a demand or frame subject is about."""
    *_, account, device = subject.split(".")
    return int(account), bytes.fromhex(device).decode()


@dataclass(eq=False)
class Mirror:
    """Another node's upload relayed here."""

    node: str
    producer: Producer
    heard: float = field(default_factory=time.monotonic)
    frames: NatsSubscription | None = None
    subscribing: bool = False
    pieces: list[bytes] = field(default_factory=list)
    number: int = -1  # the frame whose pieces are in `pieces`


class StreamLink:
    """Mirrors of the other nodes' uploads and the export of this node's to their viewers."""

    def __init__(self, bus: NatsBus, hub: StreamHub, max_frame_bytes: int) -> None:
        self._bus = bus
        self._hub = hub
        self._max_message = max_frame_bytes + 64  # a frame's header and body
        self._mirrors: dict[Key, Mirror] = {}
        self._demand: dict[Key, dict[str, float]] = {}  # node -> when it last asked
        hub.on_remote_viewer = self._viewer_came
        bus.listen(self._on_event)
        bus.handle(ANNOUNCE_SUBJECT, self._on_announce)
        bus.handle(f"{DEMAND_PREFIX}.>", self._on_demand)

    async def run(self) -> None:
        """Announce, ask and expire every second, until cancelled."""
        while True:
            await asyncio.sleep(TICK_S)
            self.tick(time.monotonic())

    def tick(self, now: float) -> None:
        """One round: announce this node's uploads, renew or drop demands, end stale mirrors."""
        self._announce()
        for key, mirror in list(self._mirrors.items()):
            channel = self._hub.channel(*key)
            if channel is None or channel.producer is not mirror.producer:
                self._drop(key)  # it ended, or an upload here took it over
            elif now - mirror.heard > MIRROR_TTL_S:
                self._hub.release(mirror.producer)  # its node is gone: viewers end
                self._drop(key)
            elif channel.readers:
                self._ask(key, mirror)
            elif mirror.frames is not None:
                self._drop_frames(mirror)
        for key, nodes in list(self._demand.items()):
            for node, heard in list(nodes.items()):
                if now - heard > DEMAND_TTL_S:
                    del nodes[node]
            self._export(key)

    def _announce(self) -> None:
        streams = [
            [c.account_id, c.device, c.subproto, c.delta, c.producer.since if c.producer else 0]
            for c in self._hub.local_channels()
        ]
        for start in range(0, len(streams), ANNOUNCED_PER_MESSAGE):
            part = streams[start : start + ANNOUNCED_PER_MESSAGE]
            body = {"node": self._bus.node, "streams": part}
            self._bus.send(ANNOUNCE_SUBJECT, json.dumps(body).encode(), control=True)

    # Viewers here of another node's upload.
    def _on_event(self, node: str, event: Event) -> None:
        if isinstance(event, StreamReady):
            self._mirror(
                node, event.account_id, event.device, event.subproto, event.delta, event.started
            )
        elif isinstance(event, StreamGone):
            key = (event.account_id, event.device)
            mirror = self._mirrors.get(key)
            if mirror is not None and mirror.node == node:
                self._hub.release(mirror.producer)
                self._drop(key)

    def _mirror(
        self, node: str, account_id: int, device: str, subproto: str, delta: int, since: float
    ) -> None:
        key = (account_id, device)
        mirror = self._mirrors.get(key)
        channel = self._hub.channel(*key)
        current = None if channel is None else channel.producer
        if current is not None and (current.since, current.remote or self._bus.node) > (
            since,
            node,
        ):
            return  # an older upload than this one: its node hears of the newer and yields
        if mirror is not None and channel is not None and channel.producer is mirror.producer:
            if mirror.node == node and (channel.subproto, channel.delta) == (subproto, delta):
                mirror.heard = time.monotonic()
                return
        if mirror is not None and mirror.node != node:
            self._drop_frames(mirror)  # another node's upload now: its frames come elsewhere
            mirror = None
        producer = self._hub.mirror(account_id, device, subproto, delta, node, since)
        if mirror is None:
            self._mirrors[key] = Mirror(node, producer)
        else:  # the same node's new upload: its frame subscription (and receiver) go on
            mirror.producer, mirror.heard = producer, time.monotonic()
        if channel is not None and channel.readers:
            self._viewer_came(producer.channel)

    async def _on_announce(self, msg: Msg) -> None:
        try:
            body = json.loads(msg.data)
            node, streams = str(body["node"]), body["streams"]
        except (ValueError, KeyError, TypeError):
            return
        if node == self._bus.node:
            return
        now = time.monotonic()
        for entry in streams:
            try:  # one broken entry (a foreign sender) must not hide the others
                account_id, device, subproto, delta, since = entry
                key = (int(account_id), str(device))
                subproto, delta, since = str(subproto), int(delta), float(since)
            except (ValueError, TypeError):
                continue
            mirror = self._mirrors.get(key)
            if mirror is not None:
                if mirror.node == node:
                    mirror.heard = now
            elif not self._hub.streaming(*key):
                # A stream this node missed the start of (it joined later, or NATS was away).
                self._mirror(node, key[0], key[1], subproto, delta, since)

    def _viewer_came(self, channel: Channel) -> None:
        key = (channel.account_id, channel.device)
        mirror = self._mirrors.get(key)
        if mirror is not None:
            self._ask(key, mirror)

    def _ask(self, key: Key, mirror: Mirror) -> None:
        """Say this node wants the stream's frames (and listen for them)."""
        if mirror.frames is None and not mirror.subscribing:
            mirror.subscribing = True
            asyncio.get_running_loop().create_task(self._listen(key, mirror))
        self._bus.send(subject_of(DEMAND_PREFIX, key), self._bus.node.encode(), control=True)

    async def _listen(self, key: Key, mirror: Mirror) -> None:
        client = self._bus.client
        try:
            if client is None:
                return
            mirror.frames = await client.subscribe(
                subject_of(FRAMES_PREFIX, key),
                cb=self._receiver(mirror),
                pending_bytes_limit=RECEIVED_BYTES,
            )
        finally:
            mirror.subscribing = False
        if self._mirrors.get(key) is not mirror:
            self._drop_frames(mirror)

    def _receiver(self, mirror: Mirror) -> Callable[[Msg], asyncio.Future[None]]:
        counters = self._bus.counters

        async def receive(msg: Msg) -> None:
            data = msg.data
            counters.bytes_received += len(data)
            number = int.from_bytes(data[1:PIECE_HEAD], "big")
            if number != mirror.number:
                if mirror.pieces:
                    counters.frames_dropped += 1  # its last piece was lost on the way
                mirror.pieces.clear()
                mirror.number = number
            mirror.pieces.append(data[PIECE_HEAD:])
            if data[0] == MORE:
                if sum(map(len, mirror.pieces)) > self._max_message:
                    mirror.pieces.clear()  # never a frame: a broken sender
                    counters.frames_dropped += 1
                return
            frame = mirror.pieces[0] if len(mirror.pieces) == 1 else b"".join(mirror.pieces)
            mirror.pieces.clear()
            counters.frames_received += 1
            if mirror.producer.channel.producer is mirror.producer:
                mirror.producer.publish(frame)

        return receive  # type: ignore[return-value]

    def _drop(self, key: Key) -> None:
        mirror = self._mirrors.pop(key, None)
        if mirror is not None:
            self._drop_frames(mirror)

    def _drop_frames(self, mirror: Mirror) -> None:
        frames, mirror.frames = mirror.frames, None
        mirror.pieces.clear()
        if frames is not None:
            asyncio.get_running_loop().create_task(_unsubscribe(frames))

    # Other nodes' viewers of an upload here.
    async def _on_demand(self, msg: Msg) -> None:
        node = msg.data.decode(errors="replace")
        if node == self._bus.node:
            return
        try:
            key = key_of(msg.subject)
        except ValueError:
            return
        self._demand.setdefault(key, {})[node] = time.monotonic()
        self._export(key)

    def _export(self, key: Key) -> None:
        """Send the upload's frames out while another node wants them, never otherwise."""
        channel = self._hub.channel(*key)
        wanted = bool(self._demand.get(key))
        if not wanted:
            self._demand.pop(key, None)
        if channel is None or channel.producer is None or channel.producer.remote:
            return
        if not wanted:
            channel.export = None
        elif channel.export is None:
            channel.export = self._sender(subject_of(FRAMES_PREFIX, key))

    def _sender(self, subject: str) -> Callable[[bytes], None]:
        bus = self._bus
        counters = bus.counters
        numbers = itertools.count()

        def send(frame: bytes) -> None:
            client = bus.client
            size = (client.max_payload if client is not None else 1 << 20) - PIECE_HEAD
            number = (next(numbers) & 0xFFFFFFFF).to_bytes(4, "big")
            for start in range(0, len(frame), size):
                flag = LAST if start + size >= len(frame) else MORE
                bus.send(subject, bytes((flag,)) + number + frame[start : start + size])
            counters.frames_sent += 1

        return send


async def _unsubscribe(frames: NatsSubscription) -> None:
    try:
        await frames.unsubscribe()
    except Exception:  # the connection went away: nothing left to stop
        return
