"""The core put together: one object holding every domain service, opened and closed once."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...settings import Settings
from .account_config import AccountConfig
from .accounts import Accounts
from .bus import Bus, LocalBus, Reach
from .cameras import Cameras
from .clock import Clock, SystemClock
from .connections import ConnectionGate
from .db import Database
from .device_keys import DeviceKeys
from .housekeeping import Housekeeping
from .login_throttle import LoginThrottle
from .messages import Messages
from .passwords import Passwords
from .recording import Recorder
from .records import Records
from .sessions import SessionPolicy, Sessions
from .sign_in import SignIn
from .stamps import StampSource
from .state import CameraStates
from .state_recording import StateRecording
from .store_url import configured_url, in_data_dir, open_for_serving
from .store_url import database_path as database_path  # where it was: callers import it here
from .streams import StreamHub
from .tokens import Tokens
from .users import Users

if TYPE_CHECKING:  # nats-py (the `cluster` extra) is imported only by a node with a bus
    from .cluster import Cluster
    from .nats_bus import NatsBus


@dataclass
class Relay:
    """Every core service of one server."""

    db: Database
    clock: Clock
    accounts: Accounts
    config: AccountConfig
    sessions: Sessions
    records: Records
    messages: Messages
    throttle: LoginThrottle
    housekeeping: Housekeeping
    streams: StreamHub
    bus: Bus
    passwords: Passwords
    users: Users
    keys: DeviceKeys
    tokens: Tokens
    cameras: Cameras
    sign_in: SignIn
    state: CameraStates
    recorder: Recorder
    recording: StateRecording
    connections: ConnectionGate = field(default_factory=ConnectionGate)
    cluster: Cluster | None = None  # None: one node, the in-process bus

    async def close(self) -> None:
        """Store the recordings' open segments, flush what is only in memory, close the store."""
        await self.recorder.close()
        await self.state.flush()
        await self.sessions.flush()
        self.records.blobs.close()
        await self.db.close()


async def newest_stamp(db: Database) -> str | None:
    """The largest stamp stored, so stamps keep increasing across restarts."""
    row = await db.fetchone(
        "SELECT MAX(s) FROM (SELECT MAX(stamp) AS s FROM records "
        "UNION ALL SELECT MAX(stamp) FROM messages) AS stamps"
    )
    return row[0] if row else None


async def open_relay(settings: Settings, clock: Clock | None = None) -> Relay:
    """Open the settings' store (refused when its schema is not this camrelay's) and build every
    service on it."""
    clock = clock or SystemClock()
    db = await open_for_serving(configured_url(settings), own_folder=in_data_dir(settings))
    stamps = StampSource(clock, await newest_stamp(db))
    page = settings.limits.page_size
    sess = settings.sessions
    nats: NatsBus | None = None
    if settings.bus.url:
        from .nats_bus import NatsBus  # here: the embedded default needs no nats-py

        nats = NatsBus(settings.bus.url)
    bus: Bus = nats if nats is not None else LocalBus()
    passwords = Passwords(sess.max_concurrent_password_checks, settings.passwords)
    accounts = Accounts(db, clock, passwords)
    config = AccountConfig(db, bus)
    streams = StreamHub(bus, settings.streams.viewer_queue_bytes, settings.streams.max_frames_per_s)
    sessions = Sessions(
        db,
        config,
        clock,
        SessionPolicy(sess.bind_to_address, sess.enforce_request_caps, sess.max_per_account),
        bus,
        streams,
    )
    await sessions.load()
    records = Records(
        db, stamps, page, config, settings.records.max_concurrent_reads_per_session, bus
    )
    messages = Messages(db, stamps, page, bus)
    throttle = LoginThrottle(
        clock,
        sess.login_delay_base_s,
        sess.login_delay_max_s,
        max_pending=sess.login_max_pending_per_address,
    )
    users = Users(db, clock, passwords, sessions.reconcile)
    keys = DeviceKeys(db, clock, bus, sessions.reconcile)
    tokens = Tokens(db, clock, users, throttle, sess.token_idle_hours * 3600)
    cameras = Cameras(db, clock, bus, sessions.reconcile)
    housekeeping = Housekeeping(accounts, config, sessions, records, messages, throttle, clock)
    gate = ConnectionGate(
        settings.server.max_connections, settings.server.max_connections_per_address
    )
    state = CameraStates(db, bus, messages, cameras, settings.state.socket_queue)
    rec = settings.recording
    recorder = Recorder(streams, records, clock, rec.segment_s, rec.max_segment_bytes)
    recording = StateRecording(bus, state, recorder)
    cluster = None
    if nats is not None:
        from .cluster import Cluster
        from .stream_link import StreamLink

        recording.reach = Reach.EVERYWHERE
        # Session ends and state changes elsewhere apply here before any subscriber hears.
        nats.listen(config.on_remote)
        nats.listen(sessions.on_remote)
        # Session ends and config changes sent while NATS was away are read from the store.
        nats.on_rejoin(config.forget_all)
        nats.on_rejoin(sessions.reconcile)
        nats.listen(state.on_remote)
        state.streaming = streams.streaming
        recorder.here_only = True
        cluster = Cluster(nats, StreamLink(nats, streams, settings.limits.max_frame_bytes))
    return Relay(
        db,
        clock,
        accounts,
        config,
        sessions,
        records,
        messages,
        throttle,
        housekeeping,
        streams,
        bus,
        passwords,
        users,
        keys,
        tokens,
        cameras,
        SignIn(users, keys, throttle, sessions, tokens),
        state,
        recorder,
        recording,
        gate,
        cluster,
    )
