"""The stream hub: one producer per device, any number of readers with bounded queues.

A producer publishes whole frames (header included, as received). Each reader owns a queue
bounded in bytes; when it is full the reader loses its own oldest frames and counts them, so a
slow reader never delays the producer or the other readers. A new producer for a device takes
over the channel: readers stay attached and the old producer is told it was replaced. When a
session ends (expired, capped, password changed, account deleted) its upload and its readers
end with it. Streams and viewers coming and going are published on the bus; frames are not.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from camrelay.protocol.errors import NoChannel
from camrelay.protocol.wire_types import StreamInfo

from .bus import Bus, Reach, StreamGone, StreamReady, ViewerAsked, ViewerAttached, ViewerLeft
from .node import NODE_ID
from .stream_reader import Counters, Reader

# Records about an account carry `account_id` (extra): the admin API sends them to its admins.
log = logging.getLogger("camrelay.streams")


@dataclass(eq=False)
class Channel:
    """A device's stream: its current producer and its readers."""

    account_id: int
    device: str
    subproto: str = ""
    delta: int = 0
    producer: Producer | None = None
    readers: set[Reader] = field(default_factory=set)
    frames_in: int = 0
    bytes_in: int = 0
    gone_dropped: int = 0  # frames lost by readers that have left, so the total never falls
    started: float = field(default_factory=time.monotonic)  # for the average frame rate
    newest: bytes = b""  # the last frame published, whole (snapshots)
    # Set while another node has a viewer of this node's upload: takes each frame to it.
    export: Callable[[bytes], None] | None = None

    def dropped(self) -> int:
        """Frames lost by every reader the channel has had, present and gone."""
        return self.gone_dropped + sum(reader.dropped for reader in self.readers)

    def forget(self, reader: Reader) -> None:
        """A reader leaves; what it lost stays counted."""
        if reader in self.readers:
            self.readers.discard(reader)
            self.gone_dropped += reader.dropped


REPLACED = "replaced"
SESSION_ENDED = "session ended"


class Producer:
    """The handle of one upload; `publish` frames, `finish` when the upload ends. `remote` is
    the node of an upload made elsewhere whose frames this node relays (a mirror)."""

    def __init__(
        self,
        hub: StreamHub,
        channel: Channel,
        shash: str,
        on_stop: Callable[[], None],
        remote: str = "",
        since: float = 0.0,
    ) -> None:
        self._hub = hub
        self.channel = channel
        self.shash = shash
        self.stopped = ""  # REPLACED or SESSION_ENDED once told to stop
        self._on_stop = on_stop
        self.remote = remote
        self.since = since  # wall-clock start (StreamReady.started): the newest upload wins

    def publish(self, frame: bytes) -> None:
        """Hand one frame to every reader of the channel (and to other nodes' viewers)."""
        channel = self.channel
        channel.frames_in += 1
        channel.bytes_in += len(frame)
        channel.newest = frame
        if not self.remote:  # another node's frames were counted where they came in
            totals = self._hub.totals
            totals.frames_in += 1
            totals.bytes_in += len(frame)
            if channel.export is not None:
                channel.export(frame)
        for reader in channel.readers:
            reader.offer(frame)

    async def room(self) -> None:
        """Returns when the hub takes more frames (at once unless a test holds it)."""
        await self._hub.taking.wait()

    def stop(self, reason: str) -> None:
        """Tell the upload to end (another took the channel over, or its session ended)."""
        if not self.stopped:
            self.stopped = reason
            self._on_stop()

    def finish(self) -> None:
        """The upload ended: the readers end too, unless another producer took over."""
        self._hub.release(self)


class StreamHub:
    """Every live stream of the server, keyed by (account, device)."""

    def __init__(self, bus: Bus, reader_capacity: int, max_frames_per_s: int = 1000) -> None:
        self._bus = bus
        self.reader_capacity = reader_capacity
        self.max_frames_per_s = max_frames_per_s  # per producer, kept by the upload's face
        self._channels: dict[tuple[int, str], Channel] = {}
        # Readers attached and not yet left, per device: outlives a channel whose stream ended
        # while its viewers were still draining, so only the last one to leave says so.
        self._watching: dict[tuple[int, str], int] = {}
        self.totals = Counters()
        # Set while uploads may hand in frames; only a test clears it, to hold every upload
        # and show that a producer then waits on flow control, not on server memory.
        self.taking = asyncio.Event()
        self.taking.set()
        # Told when a viewer attaches to another node's stream (so its frames start coming).
        self.on_remote_viewer: Callable[[Channel], None] | None = None

    def start(
        self,
        account_id: int,
        device: str,
        subproto: str,
        delta: int,
        shash: str,
        on_stop: Callable[[], None],
    ) -> Producer:
        """Become the device's producer, replacing the current one if any; `on_stop` is
        called when the upload should end."""
        # Newer than the upload it replaces even if this node's clock is behind that one's.
        channel = self._channels.get((account_id, device))
        current = channel.producer if channel is not None else None
        since = max(time.time(), current.since + 0.001 if current is not None else 0.0)
        producer = self._take_over(account_id, device, subproto, delta, shash, on_stop, "", since)
        self._bus.publish(StreamReady(account_id, device, subproto, delta, since))
        log.info(
            "stream started: device %s (%s)", device, subproto, extra={"account_id": account_id}
        )
        return producer

    def mirror(
        self, account_id: int, device: str, subproto: str, delta: int, node: str, since: float
    ) -> Producer:
        """Relay another node's upload of the device here, replacing the current producer
        (a local upload ends as replaced); publishes nothing, the other node did."""
        return self._take_over(account_id, device, subproto, delta, "", _nothing, node, since)

    def _take_over(
        self,
        account_id: int,
        device: str,
        subproto: str,
        delta: int,
        shash: str,
        on_stop: Callable[[], None],
        node: str,
        since: float,
    ) -> Producer:
        key = (account_id, device)
        channel = self._channels.get(key) or Channel(account_id, device)
        self._channels[key] = channel
        old = channel.producer
        channel.subproto, channel.delta = subproto, delta
        channel.producer = Producer(self, channel, shash, on_stop, node, since)
        channel.export = None
        if node:  # the upload moved to another node: what reads only uploads here ends
            for reader in [r for r in channel.readers if r.here_only]:
                reader.end()
                channel.forget(reader)
        if old is not None:
            old.stop(REPLACED)
        return channel.producer

    def release(self, producer: Producer) -> None:
        """End the channel of a producer that is still its current one."""
        channel = producer.channel
        if channel.producer is not producer:
            return
        channel.producer = None
        for reader in channel.readers:
            reader.end()
        channel.readers = set()
        channel.export = None
        self._channels.pop((channel.account_id, channel.device), None)
        if producer.remote:
            return  # the node of the upload said so
        self._bus.publish(StreamGone(channel.account_id, channel.device))
        log.info(
            "stream ended: device %s, %d frames",
            channel.device,
            channel.frames_in,
            extra={"account_id": channel.account_id},
        )

    def attach(
        self,
        account_id: int,
        device: str,
        shash: str = "",
        viewer: str = "",
        here_only: bool = False,
    ) -> Reader:
        """A new reader of the device's stream; NoChannel if it is not streaming (`here_only`:
        not uploading to this node)."""
        self._bus.publish(ViewerAsked(account_id, device, viewer))
        if not self.streaming(account_id, device, here_only):
            raise NoChannel(device)
        channel = self._channels[(account_id, device)]
        assert channel.producer is not None
        reader = Reader(self.reader_capacity, self.totals, shash, viewer, here_only)
        channel.readers.add(reader)
        key = (account_id, device)
        watching = self._watching[key] = self._watching.get(key, 0) + 1
        self._bus.publish(ViewerAttached(account_id, device, viewer, watching, NODE_ID))
        if channel.producer.remote and self.on_remote_viewer is not None:
            self.on_remote_viewer(channel)
        return reader

    def newest(self, account_id: int, device: str) -> bytes:
        """The device's last frame, header included; NoChannel unless it streams and sent one."""
        channel = self._channels.get((account_id, device))
        if channel is None or channel.producer is None or not channel.newest:
            raise NoChannel(device)
        return channel.newest

    def streaming(self, account_id: int, device: str, here: bool = False) -> bool:
        """Whether the device uploads its stream now (`here`: to this node)."""
        channel = self._channels.get((account_id, device))
        if channel is None or channel.producer is None:
            return False
        return not (here and channel.producer.remote)

    async def until_streaming(self, account_id: int, device: str, here: bool = False) -> None:
        """Return once the device streams (`here`: to this node), at once if it does."""
        # Subscribed before looking, so a stream that starts in between is not missed; the
        # live state is checked after every event, so a dropped event is no loss either.
        # Any node's: a stream on another node is relayed here before subscribers hear of it.
        async with self._bus.subscribe(StreamReady, capacity=16, reach=Reach.EVERYWHERE) as started:
            if self.streaming(account_id, device, here):
                return
            async for _ in started:
                if self.streaming(account_id, device, here):
                    return

    def detach(self, account_id: int, device: str, reader: Reader) -> None:
        """Forget a reader (the viewer went away or the stream ended)."""
        channel = self._channels.get((account_id, device))
        if channel is not None:
            channel.forget(reader)
        if not reader.left:
            reader.left = True
            key = (account_id, device)
            remaining = self._watching.get(key, 1) - 1
            if remaining > 0:
                self._watching[key] = remaining
            else:
                self._watching.pop(key, None)
            self._bus.publish(
                ViewerLeft(
                    account_id,
                    device,
                    reader.viewer,
                    reader.frames_out,
                    reader.dropped,
                    max(remaining, 0),
                    NODE_ID,
                )
            )

    def listing(self, account_id: int) -> list[StreamInfo]:
        """The account's streaming devices, by name."""
        return sorted(
            (
                StreamInfo(c.device, c.subproto, c.delta)
                for (acc, _), c in self._channels.items()
                if acc == account_id and c.producer
            ),
            key=lambda info: info.device,
        )

    def close_all(self) -> None:
        """End every stream (server shutdown): uploads are answered, viewers end cleanly."""
        for channel in list(self._channels.values()):
            if channel.producer is not None:
                producer = channel.producer
                self.release(producer)
                producer.stop(REPLACED)

    def end_session(self, shash: str) -> None:
        """A session ended: stop its upload and end its readers."""
        for channel in list(self._channels.values()):
            if channel.producer is not None and channel.producer.shash == shash:
                channel.producer.stop(SESSION_ENDED)
            for reader in [r for r in channel.readers if r.shash == shash]:
                reader.end()
                channel.forget(reader)

    def channels(self) -> list[Channel]:
        """Every live channel (metrics), other nodes' streams relayed here included."""
        return list(self._channels.values())

    def local_channels(self) -> list[Channel]:
        """The channels of uploads to this node."""
        return [c for c in self._channels.values() if c.producer and not c.producer.remote]

    def channel(self, account_id: int, device: str) -> Channel | None:
        """The device's channel, if it streams (here or relayed from another node)."""
        return self._channels.get((account_id, device))


def _nothing() -> None:
    """A relayed upload has no handler here to stop: its own node ends it."""
