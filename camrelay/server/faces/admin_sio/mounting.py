"""The Socket.IO admin API mounted in front of the Quart app: `/socket.io/` goes to
python-socketio, everything else to Quart; connections are authenticated here (§6)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Sequence
from typing import Any

import socketio

from ....settings import AdminSioSettings
from ...core.identity import Identity
from ...core.relay import Relay
from .callers import (
    Caller,
    SocketCounts,
    address_of,
    receives_logs,
    rooms_of,
    token_of,
)
from .cameras_module import CamerasModule
from .credentials_module import CredentialsModule
from .direct_socket import use_direct_sockets
from .dispatch import Dispatcher
from .fan_out import fan_out
from .h2_websocket import h2_websocket
from .log_stream import LogStream
from .open_modules import AuthModule, HealthModule, VersionModule
from .origin import same_origin
from .requests import UNAUTHORIZED, answer_event
from .shared_logs import sharer, take_shared
from .slow_sockets import SlowSockets
from .topics import relay_topics
from .users_module import UsersModule

PATH = "socket.io"
FAILURE = "failure"  # where a request without a usable requestId is answered
CONNECTED_WAIT_S = 5.0
# A socket's token is checked again before a request at most this often: a revoked or expired
# token stops working within it, and a flood of requests is not a flood of token look-ups.
TOKEN_RECHECK_S = 1.0  # how long a log replay waits for the connection to be acknowledged


class AdminSio:
    """The Socket.IO server, its sockets, and the tasks feeding them events and log lines."""

    def __init__(self, relay: Relay, settings: AdminSioSettings) -> None:
        self.relay = relay
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            cors_allowed_origins=same_origin,
            max_http_buffer_size=settings.max_http_buffer_size,
            ping_interval=settings.ping_interval_s,
            ping_timeout=settings.ping_timeout_s,
            logger=False,
            engineio_logger=False,
        )
        use_direct_sockets(self.sio.eio)
        self.callers: dict[str, Caller] = {}
        self.counts = SocketCounts(
            settings.max_sockets_per_account, settings.max_sockets_per_address
        )
        self.logs = LogStream(settings.log_queue)
        # With one node, nobody else wants its lines.
        self._share = sharer(relay.bus) if relay.cluster is not None else None
        self.slow = SlowSockets(settings.max_queued_packets)
        self.dispatcher = Dispatcher(
            [
                AuthModule(relay),
                HealthModule(relay),
                VersionModule(),
                UsersModule(relay),
                CamerasModule(relay),
                CredentialsModule(relay),
            ]
        )
        self._tasks: list[asyncio.Task[None]] = []
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)
        self.sio.on("request", self._request)

    def mount(self, inner: Any) -> Any:
        """An ASGI app sending /socket.io/ here and the rest (lifespan included) to `inner`."""
        mounted = socketio.ASGIApp(self.sio, other_asgi_app=inner, socketio_path=PATH)
        return h2_websocket(mounted, f"/{PATH.strip('/')}/")

    async def start(self) -> None:
        """Begin forwarding bus events and log records (once the server serves)."""
        logging.getLogger().addHandler(self.logs)
        self._tasks = [
            asyncio.create_task(relay_topics(self.relay.bus, self._fan_out)),
            asyncio.create_task(self.logs.pump(self._fan_out, self._share)),
            asyncio.create_task(take_shared(self.relay.bus, self.logs)),
            asyncio.create_task(self.slow.run(self.sio.eio)),
        ]

    async def close(self) -> None:
        """Disconnect every socket and stop the tasks (server shutdown)."""
        logging.getLogger().removeHandler(self.logs)
        for task in self._tasks:
            task.cancel()
        for sid in list(self.callers):
            with contextlib.suppress(Exception):
                await self.sio.disconnect(sid)

    async def _fan_out(self, names: Sequence[str], data: dict[str, Any], rooms: list[str]) -> None:
        fan_out(self.sio, names, data, rooms)

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        token, address = token_of(environ, auth), address_of(environ)
        identity = await self._identify(token) if token else None
        if token and identity is None:
            raise socketio.exceptions.ConnectionRefusedError(UNAUTHORIZED)
        if not self.counts.admit(address, identity):
            raise socketio.exceptions.ConnectionRefusedError("Too many sockets")
        self.callers[sid] = Caller(sid, address, identity, token, time.monotonic())
        if identity is not None:
            await self._join(sid, identity)

    async def _join(self, sid: str, identity: Identity) -> None:
        for room in rooms_of(identity):
            await self.sio.enter_room(sid, room)
        if receives_logs(identity):
            replay = self.logs.recent(None if identity.server_admin else identity.account_id)
            self._tasks.append(asyncio.create_task(self._replay(sid, replay)))
            self._tasks = [task for task in self._tasks if not task.done()]

    async def _replay(self, sid: str, lines: list[dict[str, Any]]) -> None:
        """Send the recent log lines once the client has been told it is connected."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CONNECTED_WAIT_S
        while not self.sio.manager.is_connected(sid, "/"):
            if loop.time() > deadline or sid not in self.callers:
                return
            await asyncio.sleep(0.005)
        for line in lines:
            await self.sio.emit("log", line, to=sid)

    async def _identify(self, token: str) -> Identity | None:
        found = self.relay.tokens.identify(token)
        return await found if inspect.isawaitable(found) else found

    async def _disconnect(self, sid: str, *reason: Any) -> None:
        caller = self.callers.pop(sid, None)
        if caller is not None:
            self.counts.release(caller.address, caller.identity)
        self._end_long_poll(sid)

    def _end_long_poll(self, sid: str) -> None:
        """Answer a closed long-polling socket's pending GET now: engineio leaves it waiting
        for the next ping (25 s), and python-socketio's client waits for it to disconnect."""
        eio_sid = self.sio.manager.eio_sid_from_sid(sid, "/")
        sock = self.sio.eio.sockets.get(eio_sid) if eio_sid else None
        if sock is not None and not sock.upgraded:
            sock.queue.put_nowait(None)

    async def _request(self, sid: str, *args: Any) -> None:
        caller = self.callers.get(sid)
        if caller is None:
            return
        data = args[0] if len(args) == 1 else None  # not one object: answered on `failure`
        await self._still_valid(caller)
        answer = await self.dispatcher.answer(caller, data)
        if isinstance(data, dict) and data.get("module") == "auth":
            # A logout leaves the socket anonymous before its answer goes out: the client's
            # next request, sent on that answer, must not find the old login.
            await self._still_valid(caller, now=True)
        await self.sio.emit(answer_event(data) or FAILURE, answer, to=sid)

    async def _still_valid(self, caller: Caller, now: bool = False) -> None:
        """A socket whose token was revoked or expired goes on, anonymous (checked at most once
        a second, or `now`)."""
        if caller.token is None or caller.identity is None:
            return
        moment = time.monotonic()
        if not now and moment - caller.checked < TOKEN_RECHECK_S:
            return
        caller.checked = moment
        if await self._identify(caller.token) is None:
            for room in rooms_of(caller.identity):
                await self.sio.leave_room(caller.sid, room)
            self.counts.release(caller.address, caller.identity)
            self.counts.admit(caller.address, None)
            caller.identity = None
