"""Each camera's state (CONTRACT §5): the values of the state-sync keys, kept in memory, stored
per camera in SQLite, broadcast to the sockets watching the camera and sent to the camera.

A change is applied in memory and handed to every watcher at once; the store and the camera's
message queue are written right behind it by one task per camera, changes that come meanwhile
merged into the next transaction, so neither broadcasts nor the writer wait on the disk.
The camera learns the keys it applies from a targeted message {"msg":"state","params":{…}};
its {"msg":"state-report"} messages become the state. `cam1-exists` follows the live upload and
is never stored. `record` is stored and announced (StateChanged) for the relay's recorder;
`snap` is a trigger handed to `on_snap`, whose answer (e.g. {"rid": N}) joins the confirmation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite

from .bus import Bus, Event, MessageAdded, StateChanged, StreamGone, StreamReady
from .cameras import Cameras
from .db import Database
from .identity import Identity
from .messages import Messages, NewMessage
from .state_keys import DEFAULTS, KEYS, REPORTABLE, InvalidValue, Value, may_read
from .state_outbox import Outbox, encoded
from .state_pending import Pending

STATE_MSG = "state"  # the relay to the camera: keys to apply
REPORT_MSG = "state-report"  # the camera to the relay: values it applied
RELAY_SENDER = "camrelay"  # the sender of the relay's own messages
LIVE_KEYS = frozenset({"cam1-exists"})  # follow what happens now; never stored
Camera = tuple[int, str]  # (account id, device)
SnapHook = Callable[[int, str], Awaitable[dict[str, Any]]]
Encodings = dict[frozenset[str], tuple[dict[str, Value], str]]  # readable keys -> view, JSON
log = logging.getLogger(__name__)


class Watcher:
    """One socket watching one camera: the keys it may read and its outbox."""

    __slots__ = ("camera", "outbox", "reads", "who")

    def __init__(self, camera: Camera, who: Identity | None, outbox: Outbox) -> None:
        self.camera = camera
        self.who = who
        self.outbox = outbox
        self.reads = frozenset(name for name, key in KEYS.items() if may_read(who, key))

    def offer(self, changes: dict[str, Value], seen: Encodings | None = None) -> None:
        """Queue the changes this watcher may read; `seen` keeps each filtered view's JSON for
        the other watchers of one broadcast, so it is encoded once per set of readable keys."""
        if seen is None:
            seen = {}
        if self.reads not in seen:
            visible = {k: v for k, v in changes.items() if k in self.reads}
            seen[self.reads] = (visible, encoded(visible) if visible else "")
        visible, text = seen[self.reads]
        if visible:
            self.outbox.change(visible, text)


class CameraStates:
    """The state of every camera, its watchers, and the way to the cameras."""

    def __init__(
        self, db: Database, bus: Bus, messages: Messages, cameras: Cameras, queue: int
    ) -> None:
        self._db = db
        self._bus = bus
        self._messages = messages
        self._cameras = cameras
        self.queue = queue  # each socket's outbox capacity
        self._values: dict[Camera, dict[str, Value]] = {}
        self._watchers: dict[Camera, dict[Watcher, None]] = {}
        self._outboxes: dict[Outbox, None] = {}
        self.on_snap: SnapHook | None = None  # the relay's snapshot taker, once there is one
        # Whether the camera uploads now, on any node (cam1-exists of a camera first loaded
        # here while it streams elsewhere).
        self.streaming: Callable[[int, str], bool] | None = None
        self.reports_refused = 0  # report entries that were not valid values of known keys
        self._merged_gone = 0  # merges counted by outboxes already released
        self._direct_gone = 0  # direct sends counted by outboxes already released
        # The store and the camera's queue are written behind the broadcasts, merged.
        self._stored = Pending(self._store, "store the state")
        self._told = Pending(self._tell, "queue the state message")

    async def recording(self) -> list[Camera]:
        """The cameras whose stored `record` is on (to resume after a restart)."""
        rows = await self._db.fetchall(
            "SELECT account_id, device FROM camera_state WHERE key='record' AND value=?",
            (json.dumps("on"),),
        )
        return [(row[0], row[1]) for row in rows]

    async def values(self, camera: Camera) -> dict[str, Value]:
        """Every key's current value (loaded from the store on first use)."""
        if camera not in self._values:
            rows = await self._db.fetchall(
                "SELECT key, value FROM camera_state WHERE account_id=? AND device=?", camera
            )
            stored = {k: json.loads(v) for k, v in rows if k in KEYS and k not in LIVE_KEYS}
            if self.streaming is not None and self.streaming(*camera):
                stored["cam1-exists"] = True
            self._values.setdefault(camera, {**DEFAULTS, **stored})
        return self._values[camera]

    def outbox(self) -> Outbox:
        """A new socket's outbox, closed by `close_all` at shutdown."""
        box = Outbox(self.queue)
        self._outboxes[box] = None
        return box

    def release(self, box: Outbox) -> None:
        """A socket is gone: close and forget its outbox."""
        box.close()
        if self._outboxes.pop(box, 0) is None:
            self._merged_gone += box.merged
            self._direct_gone += box.sent_direct

    @property
    def sockets(self) -> int:
        """State sockets open now (metrics)."""
        return len(self._outboxes)

    @property
    def merged_total(self) -> int:
        """Changes folded into newer ones for sockets that fell behind, since start (metrics)."""
        return self._merged_gone + sum(box.merged for box in self._outboxes)

    @property
    def sent_direct_total(self) -> int:
        """Messages written by a connection's direct writer, skipping the sender, since start."""
        return self._direct_gone + sum(box.sent_direct for box in self._outboxes)

    def close_all(self) -> None:
        """End every socket's outbox (the server stops)."""
        for box in list(self._outboxes):
            box.close()

    def watch(self, camera: Camera, who: Identity | None, box: Outbox) -> Watcher:
        """Start handing the camera's changes to a socket."""
        watcher = Watcher(camera, who, box)
        self._watchers.setdefault(camera, {})[watcher] = None
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        """Stop handing changes to a socket."""
        watchers = self._watchers.get(watcher.camera, {})
        watchers.pop(watcher, None)
        if not watchers:
            self._watchers.pop(watcher.camera, None)

    def watching(self, camera: Camera) -> int:
        """How many sockets watch the camera."""
        return len(self._watchers.get(camera, ()))

    async def write(
        self,
        camera: Camera,
        accepted: dict[str, Value],
        origin: Watcher | None = None,
        source: str = "socket",
    ) -> dict[str, Any]:
        """Apply judged values (stored and sent to the camera right behind, see `flush`). The
        origin's confirmation {…values, "info":[keys]} (with a snap's extra fields, e.g. its
        rid) is queued as they are applied, so it keeps its place among the broadcasts; call
        `origin.outbox.room()` first."""
        extra: dict[str, Any] = {}
        if accepted.get("snap"):
            extra.update(await self._snap(camera))
        changed = await self._apply(camera, accepted, origin, source)
        if origin is not None:
            origin.outbox.reply_now({**accepted, **extra, "info": list(accepted)})
        stored = {k: v for k, v in changed.items() if k not in LIVE_KEYS}
        if stored:
            self._stored.add(camera, stored)
        to_camera = {k: v for k, v in stored.items() if KEYS[k].by_camera}
        if to_camera and source != "report":
            self._told.add(camera, to_camera)
        return extra

    async def flush(self) -> None:
        """Wait until every change is stored and every camera message queued (shutdown)."""
        await self._stored.flush()
        await self._told.flush()

    async def _apply(
        self, camera: Camera, accepted: dict[str, Value], origin: Watcher | None, source: str
    ) -> dict[str, Value]:
        """Update memory and hand the changes to the other watchers, all before any await."""
        values = await self.values(camera)
        changed = {k: v for k, v in accepted.items() if not KEYS[k].trigger and values.get(k) != v}
        values.update(changed)
        if changed:
            seen: Encodings = {}
            for watcher in self._watchers.get(camera, ()):
                if watcher is not origin:
                    watcher.offer(changed, seen)
        announced = {**changed, **{k: v for k, v in accepted.items() if KEYS[k].trigger}}
        if announced:
            self._bus.publish(StateChanged(*camera, tuple(announced.items()), source))
        return changed

    async def _store(self, camera: Camera, changed: dict[str, Value]) -> None:
        rows = [(*camera, k, json.dumps(v)) for k, v in changed.items()]

        async def upsert(conn: aiosqlite.Connection) -> None:
            await conn.executemany(
                "INSERT INTO camera_state(account_id, device, key, value) VALUES(?,?,?,?) "
                "ON CONFLICT(account_id, device, key) DO UPDATE SET value=excluded.value",
                rows,
            )

        await self._db.write(upsert)

    async def _tell(self, camera: Camera, changes: dict[str, Value]) -> None:
        params = json.dumps(changes, separators=(",", ":"))
        message = NewMessage(STATE_MSG, camera[1], params)
        await self._messages.add(camera[0], RELAY_SENDER, [message])

    async def _snap(self, camera: Camera) -> dict[str, Any]:
        return await self.on_snap(*camera) if self.on_snap else {}

    async def report(self, camera: Camera, params: Any) -> dict[str, Value]:
        """A camera's state-report: its valid values of reportable keys become the state."""
        if not isinstance(params, dict):
            self.reports_refused += 1
            return {}
        accepted: dict[str, Value] = {}
        for name, value in params.items():
            try:
                if name not in REPORTABLE:
                    raise InvalidValue(name)
                accepted[name] = KEYS[name].parse(value)
            except InvalidValue:
                self.reports_refused += 1
        if accepted:
            await self.write(camera, accepted, source="report")
        return accepted

    def on_remote(self, node: str, event: Event) -> None:
        """Another node's state change: this node's memory and its sockets follow it (the
        other node stores it and tells the camera)."""
        if not isinstance(event, StateChanged):
            return
        camera = (event.account_id, event.device)
        changed = {k: v for k, v in event.changes if k in KEYS and not KEYS[k].trigger}
        values = self._values.get(camera)
        if values is not None:
            values.update(changed)
        if changed:
            seen: Encodings = {}
            for watcher in self._watchers.get(camera, ()):
                watcher.offer(changed, seen)

    async def follow(self) -> None:
        """Keep cam1-exists on the live uploads and take the cameras' reports, until
        cancelled."""
        async with self._bus.subscribe(StreamReady, StreamGone, MessageAdded) as events:
            async for event in events:
                try:
                    await self._on(event)
                except Exception:  # one bad event must not stop the state from following
                    log.exception("state: could not handle %r", event)

    async def _on(self, event: object) -> None:
        if isinstance(event, StreamReady | StreamGone):
            live = isinstance(event, StreamReady)
            await self.write((event.account_id, event.device), {"cam1-exists": live}, None, "relay")
        elif isinstance(event, MessageAdded) and event.msg == REPORT_MSG:
            camera = (event.account_id, event.sender)
            if await self._cameras.find(*camera) is None:
                return
            text = await self._messages.params_of(*camera, event.stamp)
            try:
                params = json.loads(text) if text else None
            except ValueError:
                params = None
            await self.report(camera, params)
