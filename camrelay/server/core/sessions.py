"""Device sessions: opened by authorize, kept in memory for speed, persisted in SQLite.

Every request goes through `use`, which checks expiry (kind 2), the total and per-minute
request caps (kinds 3 and 4) and the client address. Counters live in memory and are flushed
by housekeeping; the session rows themselves are written when opened and deleted when they end,
so sessions survive a restart and `camrelay user passwd/del` ends them on the next sweep.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Protocol

import aiosqlite

from camrelay.protocol.errors import NoSuchSession

from . import account_config as kinds
from .account_config import AccountConfig
from .bus import Bus, Event, SessionEnded, SessionOpened
from .clock import Clock
from .db import Database
from .identity import Identity, Role
from .session_rows import LOAD, identity_of
from .unknown_sessions import UnknownSessions

# Records about an account carry `account_id` (extra): the admin API sends them to its admins.
log = logging.getLogger("camrelay.sessions")
NOBODY = Identity(0, "", "", Role.VIEWER, frozenset())  # the session-less requests' "session"
# Sessions ended lately (public ids), never loaded again from a row not yet deleted.
ENDED_KEPT = 4096


@dataclass
class Session:
    """One authorized device session."""

    shash: str
    account_id: int
    device: str
    meta: str
    address: str
    created: float
    last_seen: float
    requests: int = 0
    identity: Identity = NOBODY
    minute_start: float = 0.0
    minute_count: int = 0
    dirty: bool = field(default=False, repr=False)
    flushed: int = field(default=0, repr=False)  # `requests` as the store last had it

    @property
    def scope(self) -> frozenset[str] | None:
        """The devices this session sees: a scoped user's cameras and its own device; None
        when it sees every device of the account."""
        cameras = self.identity.cameras
        return None if cameras is None else cameras | {self.device}

    def sees(self, device: str) -> bool:
        """Whether `device` exists for this session."""
        return self.identity.sees(device, self.device)


@dataclass(frozen=True)
class SessionPolicy:
    """Server-wide session rules from the settings."""

    bind_to_address: bool = True
    enforce_request_caps: bool = True
    max_per_account: int = 256


EXPIRED = "expired"
REQUEST_CAP = "request cap"
EVICTED = "evicted"
REMOVED = "removed"  # its row was deleted: user passwd / del / role change, key revoked


class SessionStreams(Protocol):
    """What must stop the moment a session ends: its upload and its viewers."""

    def end_session(self, shash: str) -> None: ...


def new_shash() -> str:
    """28 characters of base64 over 20 random bytes."""
    return base64.b64encode(secrets.token_bytes(20)).decode("ascii")


def public_id(shash: str) -> str:
    """A session's id for events and faces: tells sessions apart, never lets one be used."""
    return hashlib.sha256(shash.encode("ascii")).hexdigest()[:16]


class Sessions:
    """The live sessions of every account."""

    def __init__(
        self,
        db: Database,
        config: AccountConfig,
        clock: Clock,
        policy: SessionPolicy,
        bus: Bus,
        streams: SessionStreams,
    ) -> None:
        self._db = db
        self._config = config
        self._clock = clock
        self._policy = policy
        self._bus = bus
        # Called, not published: a bus subscriber may lose events, and an ended session's
        # upload and viewers must stop every time, at once.
        self._streams = streams
        self._live: dict[str, Session] = {}
        self._by_public: dict[str, str] = {}  # public id -> shash of the sessions in _live
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._loading: set[asyncio.Task[None]] = set()
        self.flushes = 0  # flushes done (metrics; a test waits for one)
        self.unknown = UnknownSessions()

    async def load(self) -> None:
        """Read the sessions that were live when the server last stopped."""
        rows = await self._db.fetchall(LOAD)
        self._live, self._by_public = {}, {}
        for row in rows:
            self._adopt(row)

    async def open(self, who: Identity, device: str, meta: str, address: str) -> Session:
        """Start a session for a device of the account; a device key's is its own device."""
        now = self._clock.now()
        account_id = who.account_id
        session = Session(new_shash(), account_id, device, meta, address, now, now, identity=who)
        await self._evict_beyond_cap(account_id)

        async def insert(conn: aiosqlite.Connection) -> None:
            await conn.execute(
                "INSERT INTO sessions(shash, account_id, device, meta, address, created, "
                "last_seen, user_id, key_id) VALUES(?,?,?,?,?,?,?,?,?)",
                (
                    session.shash,
                    account_id,
                    device,
                    meta,
                    address,
                    now,
                    now,
                    who.user_id,
                    who.key_id,
                ),
            )
            await conn.execute(
                "INSERT OR IGNORE INTO devices(account_id, device) VALUES(?,?)",
                (account_id, device),
            )

        await self._db.write(insert)
        self._hold(session)
        self._bus.publish(SessionOpened(account_id, device, address, public_id(session.shash)))
        log.info(
            "session opened: device %s from %s", device, address, extra={"account_id": account_id}
        )
        return session

    async def use(self, shash: str, address: str) -> Session:
        """The session for a request: checked, counted and kept alive; NoSuchSession if not."""
        session = self._live.get(shash) or await self._stored(shash, address)
        if session is None or (self._policy.bind_to_address and session.address != address):
            raise NoSuchSession()
        values = await self._config.values(session.account_id)
        now = self._clock.now()
        if self._expired(session, values, now):
            await self.end(session, EXPIRED)
            raise NoSuchSession()
        if self._over_caps(session, values, now):
            await self.end(session, REQUEST_CAP)
            raise NoSuchSession()
        session.last_seen = now
        session.dirty = True
        return session

    async def _stored(self, shash: str, address: str) -> Session | None:
        """A session another node opened (same store), unless it ended meanwhile; a shash
        found nowhere lately is not looked up again (unknown_sessions.py)."""
        if not shash or public_id(shash) in self._ended:
            return None
        now = self._clock.now()
        if not self.unknown.worth_looking(shash, address, now):
            return None
        rows = await self._db.fetchall(LOAD + " WHERE s.shash=?", (shash,))
        for row in rows:
            self._adopt(row)
        session = self._live.get(shash)
        if session is None:
            self.unknown.missed(shash, address, now)
        return session

    def _adopt(self, row: Any) -> None:
        who = identity_of(row)
        shash = str(row[0])
        if who is None or shash in self._live or public_id(shash) in self._ended:
            return
        account_id, device, meta, address, created, seen, requests = row[1:8]
        self._hold(
            Session(
                shash,
                account_id,
                device,
                meta,
                address,
                created,
                seen,
                requests,
                who,
                flushed=requests,
            )
        )

    def _hold(self, session: Session) -> None:
        self._live[session.shash] = session
        self._by_public[public_id(session.shash)] = session.shash

    def on_remote(self, node: str, event: Event) -> None:
        """Another node's session events: its ends end the session here too, at once; its
        opened sessions are loaded, so this node lists their devices online."""
        if isinstance(event, SessionEnded):
            # By index: a node holds every session of the cluster, and ends come in bursts.
            shash = self._by_public.get(event.session)
            if shash is not None:
                self._forget(shash, event.reason, announce=False)
            self._remember_end(event.session)
        elif isinstance(event, SessionOpened):
            self.unknown.opened(event.address)
            task = asyncio.get_running_loop().create_task(
                self._load_device(event.account_id, event.device)
            )
            self._loading.add(task)
            task.add_done_callback(self._loading.discard)

    async def _load_device(self, account_id: int, device: str) -> None:
        try:
            rows = await self._db.fetchall(
                LOAD + " WHERE s.account_id=? AND s.device=?", (account_id, device)
            )
        except Exception:
            log.exception("loading another node's session failed")
            return
        for row in rows:
            self._adopt(row)

    def _remember_end(self, session: str) -> None:
        self._ended[session] = None
        while len(self._ended) > ENDED_KEPT:
            self._ended.popitem(last=False)

    def keep_alive(self, session: Session) -> None:
        """Mark a session as active without counting a request (an open upload)."""
        session.last_seen = self._clock.now()
        session.dirty = True

    def _expired(self, session: Session, values: dict[int, float], now: float) -> bool:
        until = session.identity.until  # a device key's expiry ends its sessions too
        return now - session.last_seen > values[kinds.SESSION_MINUTES] * 60 or (
            until is not None and now >= until
        )

    def _over_caps(self, session: Session, values: dict[int, float], now: float) -> bool:
        session.requests += 1
        if now - session.minute_start >= 60:
            session.minute_start, session.minute_count = now, 0
        session.minute_count += 1
        if not self._policy.enforce_request_caps:
            return False
        return (
            session.requests > values[kinds.SESSION_MAX_REQUESTS]
            or session.minute_count > values[kinds.SESSION_MAX_PER_MINUTE]
        )

    async def end(self, session: Session, reason: str) -> None:
        """End a session now."""
        self._forget(session.shash, reason)

        async def delete(conn: aiosqlite.Connection) -> None:
            await conn.execute("DELETE FROM sessions WHERE shash=?", (session.shash,))

        await self._db.write(delete)

    async def known_device(self, account_id: int, device: str) -> bool:
        """Whether a device of that name ever authorized in the account (asked by every viewer
        of a camera that is not streaming: a key lookup, read on the loop where it can be)."""
        rows = await self._db.fetch_small(
            "SELECT 1 FROM devices WHERE account_id=? AND device=?", (account_id, device)
        )
        return bool(rows)

    async def online(self, account_id: int) -> list[Session]:
        """The newest live session of each device of the account, oldest device first."""
        values = await self._config.values(account_id)
        now = self._clock.now()
        newest: dict[str, Session] = {}
        for session in self._live.values():
            if session.account_id == account_id and not self._expired(session, values, now):
                seen = newest.get(session.device)
                if seen is None or session.created > seen.created:
                    newest[session.device] = session
        return sorted(newest.values(), key=lambda s: s.created)

    def count(self) -> int:
        """How many sessions are live."""
        return len(self._live)

    async def expire(self) -> int:
        """End every session past its kind-2 timeout; returns how many."""
        now = self._clock.now()
        dead = []
        for session in list(self._live.values()):
            values = await self._config.values(session.account_id)
            if self._expired(session, values, now):
                # Another node may be the one it is used on: its stored last use counts.
                row = await self._db.fetchone(
                    "SELECT last_seen FROM sessions WHERE shash=?", (session.shash,)
                )
                if row is not None and float(row[0]) > session.last_seen:
                    session.last_seen = float(row[0])
                if self._expired(session, values, now):
                    dead.append(session)
        for session in dead:
            await self.end(session, EXPIRED)
        return len(dead)

    async def flush(self) -> None:
        """Add the requests counted here since the last flush to the stored totals, and adopt
        the stored totals (other nodes' requests included) of every session live here.

        So a session used on several nodes hits its kind-3 cap at the same total as on one,
        give or take the requests the other nodes served since their last flush: at most one
        flush interval (housekeeping.interval_s) of that session's requests."""
        live = list(self._live.values())
        if not live:
            return
        dirty = [s for s in live if s.dirty]
        counted = {s.shash: s.requests for s in live}
        rows = [(s.last_seen, s.last_seen, s.requests - s.flushed, s.shash) for s in dirty]
        totals: dict[str, int] = {}

        async def update(conn: aiosqlite.Connection) -> None:
            # Deltas, never totals: two nodes' flushes add up instead of overwriting.
            await conn.executemany(
                "UPDATE sessions SET last_seen=CASE WHEN last_seen < ? THEN ? ELSE last_seen "
                "END, requests=requests+? WHERE shash=?",
                rows,
            )
            cursor = await conn.execute("SELECT shash, requests FROM sessions")
            for shash, requests in await cursor.fetchall():
                totals[str(shash)] = int(requests)

        await self._db.write(update)
        self.flushes += 1
        for session in dirty:
            session.dirty = False
        for session in live:
            total = totals.get(session.shash)
            if total is not None:  # requests counted while the flush ran are kept on top
                session.requests = total + session.requests - counted[session.shash]
                session.flushed = total

    async def reconcile(self) -> None:
        """Forget sessions whose rows were deleted (user passwd / del / role change, a device
        key revoked), by this process or another one."""
        # Only sessions live before the read: their rows were committed before it began.
        known = list(self._live)
        stored = {row[0] for row in await self._db.fetchall("SELECT shash FROM sessions")}
        for shash in known:
            if shash not in stored:
                self._forget(shash, REMOVED)

    async def follow_store(self, interval_s: float) -> None:
        """Forget, within `interval_s`, sessions whose rows another process deleted (`camrelay
        user passwd|del`, `camrelay key revoke`); runs until cancelled."""
        seen = await self._db.data_version()
        while True:
            await asyncio.sleep(interval_s)
            try:
                version = await self._db.data_version()
                if version != seen:
                    seen = version
                    await self.reconcile()
            except Exception:
                log.exception("following the store's sessions failed")

    def _forget(self, shash: str, reason: str, announce: bool = True) -> None:
        session = self._live.pop(shash, None)
        if session is not None:
            self._by_public.pop(public_id(shash), None)
            self._remember_end(public_id(shash))
            self._streams.end_session(shash)
            if not announce:
                return  # the node where it ended said so
            log.info(
                "session ended (%s): device %s",
                reason,
                session.device,
                extra={"account_id": session.account_id},
            )
            self._bus.publish(
                SessionEnded(
                    session.account_id, session.device, session.address, public_id(shash), reason
                )
            )

    async def _evict_beyond_cap(self, account_id: int) -> None:
        mine = [s for s in self._live.values() if s.account_id == account_id]
        if len(mine) >= self._policy.max_per_account:
            mine.sort(key=lambda s: s.last_seen)
            for session in mine[: len(mine) - self._policy.max_per_account + 1]:
                await self.end(session, EVICTED)
