"""One state-sync WebSocket (CONTRACT §5): login, writes, gets and the camera's broadcasts.

Two tasks per socket: the receiver handles one message at a time, the sender writes the
socket's outbox to the wire. Everything for the client goes through the outbox, in order, so
a write's confirmation keeps its place among the broadcasts of other sockets' writes.
A login that changed (LoginChecks) is applied between two messages, never during one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from quart import websocket

from camrelay.protocol.errors import NoSuchUser

from ....settings import StateSettings
from ...core.identity import Identity
from ...core.relay import Relay
from ...core.state import Watcher
from ...core.state_keys import KEYS, judge, judge_reads, refusal, writable_keys
from ...core.state_outbox import OutboxClosed
from ...transport.ws_direct_send import SEND_TEXT
from .camera_choice import CameraRefused, Choice, anonymous_choice, user_choice
from .login_check import ENDED, Login, LoginChecks
from .rate_limit import RateLimit

RATE_CLOSE = (1008, "Rate limit exceeded")
SHUTDOWN_CLOSE = (1001, "Server shutting down")
INTERNAL_CLOSE = (1011, "Internal error")
CLOSE_WAIT_S = 5.0  # how long a closed socket's client may take to go
RATE_LIMITED = {"error": "Rate limit exceeded"}
NO_CAMERA = {"error": "No camera selected", "message": "connect to /api/v1?device=NAME"}
QUERIES = ("get", "info")
log = logging.getLogger(__name__)
LOGIN_FIELDS = frozenset({"username", "password", "token"})


def invalid(message: str) -> dict[str, str]:
    """§5's answer to anything that is not a JSON object of the right shape."""
    return {"error": "Invalid message", "message": message}


class StateSocket:
    """The current Quart WebSocket as one client of one camera's state."""

    def __init__(
        self, relay: Relay, settings: StateSettings, checks: LoginChecks, address: str
    ) -> None:
        self.relay = relay
        self.checks = checks
        self.settings = settings
        self.address = address
        self.account = websocket.args.get("account", "")
        self.device = websocket.args.get("device", "")
        self.who: Identity | None = None
        self.login: Login | None = None  # None: anonymous
        self.choice = Choice(None)
        self.watcher: Watcher | None = None
        self.outbox = relay.state.outbox()
        self.rate = RateLimit(settings.rate_per_s, settings.rate_close_after_s)
        self._turn = asyncio.Lock()  # one message, or one change of login, at a time
        self._ended: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self._relogins: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        """Accept, serve until either side ends, close with the reason."""
        await websocket.accept()
        receiver = asyncio.create_task(self._receive_all())
        sender = asyncio.create_task(self._send_all())
        try:
            either: set[asyncio.Future[Any]] = {receiver, sender, self._ended}
            done, _ = await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
            close = self._ended.result() if self._ended in done else SHUTDOWN_CLOSE
            if receiver in done and not receiver.cancelled():
                if receiver.exception() is None:
                    close = receiver.result()
                else:
                    log.error("state socket failed", exc_info=receiver.exception())
                    close = INTERNAL_CLOSE
            await websocket.close(*close)
            await _drain_until_gone()
        finally:
            receiver.cancel()
            sender.cancel()
            for task in self._relogins:
                task.cancel()
            self._leave_login()
            self._unwatch()
            self.relay.state.release(self.outbox)

    async def _send_all(self) -> None:
        # Quart's public send yields to the loop before every message (the outbox already
        # waits when empty); its inner send skips that, a tenth of a broadcast's cost.
        wrapper = websocket._get_current_object()  # type: ignore[attr-defined]
        send = getattr(wrapper, "_send", None) or wrapper.send
        # While the outbox is empty, messages skip this task: the connection's direct writer.
        self.outbox.direct = (websocket.scope.get("extensions") or {}).get(SEND_TEXT)  # type: ignore[assignment]
        try:
            while True:
                await send(await self.outbox.next_text())
        except OutboxClosed:
            return

    async def _receive_all(self) -> tuple[int, str]:
        """Handle messages until the socket must close: (code, reason)."""
        try:
            await self._become(None, await self._anonymous_choice())
            while True:
                data = await websocket.receive()
                if not self.rate.allow():
                    if self.rate.exhausted():
                        return RATE_CLOSE
                    # A flood that does not read its answers loses them, not our attention.
                    if self.outbox.has_room():
                        self.outbox.reply_now(RATE_LIMITED)
                    continue
                async with self._turn:
                    await self._handle(data)
        except CameraRefused as exc:
            return 1008, exc.reason
        except OutboxClosed:
            return SHUTDOWN_CLOSE

    def login_checked(self, found: Identity | None) -> None:
        """The login checks' look-up of this socket's login: act on a change (LoginChecks)."""
        if self.login is not None and self.login.now(found) != self.login.who:
            task = asyncio.create_task(self._relogin(self.login, found))
            self._relogins.add(task)
            task.add_done_callback(self._relogins.discard)

    async def _relogin(self, login: Login, found: Identity | None) -> None:
        """A login that no longer holds leaves the socket anonymous; a changed role or scope
        takes effect as a new login would, or closes the socket when its camera is outside."""
        async with self._turn:
            if self.login is not login:  # the client logged in again meanwhile
                return
            try:
                await self._apply_login(login, found)
            except CameraRefused as exc:
                self._end((1008, exc.reason))
            except OutboxClosed:
                self._end(SHUTDOWN_CLOSE)
            except Exception:
                log.exception("state socket: could not apply a changed login")
                self._end(INTERNAL_CLOSE)

    async def _apply_login(self, login: Login, found: Identity | None) -> None:
        who = login.now(found)
        if who == login.who:
            return
        self._leave_login()
        if who is None:
            await self.outbox.reply(ENDED)
            await self._become(None, await self._anonymous_choice())
            return
        choice = await user_choice(self.relay, who, self.account, self.device)
        self._enter_login(Login(who, login.token))
        await self._logged_in(who, choice)

    def _enter_login(self, login: Login) -> None:
        self.login = login
        self.checks.add(login, self)

    def _leave_login(self) -> None:
        if self.login is not None:
            self.checks.discard(self.login, self)
            self.login = None

    def _end(self, close: tuple[int, str]) -> None:
        if not self._ended.done():
            self._ended.set_result(close)

    async def _handle(self, data: str | bytes) -> None:
        size = len(data.encode(errors="surrogatepass")) if isinstance(data, str) else len(data)
        if size > self.settings.max_message_bytes:
            limit = self.settings.max_message_bytes
            return await self.outbox.reply(invalid(f"Message larger than {limit} bytes"))
        try:
            message = json.loads(data)
        except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
            return await self.outbox.reply(invalid("Message must be JSON"))
        if not isinstance(message, dict):
            return await self.outbox.reply(invalid("Message must be a JSON object"))
        if LOGIN_FIELDS & message.keys():
            return await self._login(message)
        queries = {name: message.pop(name) for name in QUERIES if name in message}
        for name, keys in queries.items():
            if not isinstance(keys, list):
                return await self.outbox.reply(invalid(f'"{name}" must be a list of keys'))
        if not self.choice.camera and not self.choice.hidden:
            return await self.outbox.reply(NO_CAMERA)
        for keys in queries.values():
            await self._get(keys)
        if message:
            await self._write(message)

    async def _get(self, names: list[Any]) -> None:
        readable, refused = judge_reads(self.who, names)
        if self.choice.hidden:
            readable, refused = [], [_hidden(name) for name in names]
        if readable and self.choice.camera:
            values = await self.relay.state.values(self.choice.camera)
            await self.outbox.reply({name: values[name] for name in readable})
        for entry in refused:
            await self.outbox.reply(entry)

    async def _write(self, writes: dict[str, Any]) -> None:
        accepted, refused = judge(self.who, writes)
        if accepted and self.choice.camera:
            await self.outbox.room()
            await self.relay.state.write(self.choice.camera, accepted, self.watcher)
        for entry in refused:
            await self.outbox.reply(entry)

    async def _login(self, message: dict[str, Any]) -> None:
        """§5 login: a user or device key by name and password, or a token."""
        try:
            who = await self._identify(message)
        except NoSuchUser:
            self._leave_login()
            await self.outbox.reply({"authenticated": False, "error": "Invalid credentials"})
            await self._become(None, await self._anonymous_choice())
            return
        choice = await user_choice(self.relay, who, self.account, self.device)
        token = message.get("token")
        self._leave_login()
        self._enter_login(Login(who, token if isinstance(token, str) else None))
        await self._logged_in(who, choice)

    async def _logged_in(self, who: Identity, choice: Choice) -> None:
        """§5's login answer, then the snapshot of what `who` may read on `choice`."""
        await self.outbox.reply(
            {
                "authenticated": True,
                "user": who.name,
                "role": who.role.value,
                "permissions": writable_keys(who),
            }
        )
        await self._become(who, choice)
        if choice.camera is None:
            await self.outbox.reply(NO_CAMERA)

    async def _identify(self, message: dict[str, Any]) -> Identity:
        token, name, password = (message.get(k) for k in ("token", "username", "password"))
        if isinstance(token, str) and name is None and password is None:
            return await self.relay.sign_in.identify_token(token, self.address)
        if isinstance(name, str) and isinstance(password, str) and token is None:
            return await self.relay.sign_in.identify(name, password, self.address)
        raise NoSuchUser()

    async def _anonymous_choice(self) -> Choice:
        return await anonymous_choice(self.relay, self.account, self.device)

    async def _become(self, who: Identity | None, choice: Choice) -> None:
        """Act as `who` on `choice`'s camera from now on, starting with its readable state."""
        self._unwatch()
        self.who, self.choice = who, choice
        if choice.camera is None:
            return
        values = await self.relay.state.values(choice.camera)
        await self.outbox.room()
        self.watcher = self.relay.state.watch(choice.camera, who, self.outbox)
        self.outbox.reply_now({k: v for k, v in values.items() if k in self.watcher.reads})

    def _unwatch(self) -> None:
        if self.watcher is not None:
            self.relay.state.unwatch(self.watcher)
            self.watcher = None


async def _drain_until_gone() -> None:
    """After our close: read what the client still sends until it goes (Quart cancels us),
    for a while. Hypercorn reads the client's closing frame only after the messages queued
    before it, and a queue nobody empties would hold the connection open."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CLOSE_WAIT_S):
            while True:
                await websocket.receive()


def _hidden(name: Any) -> dict[str, Any]:
    """A key of a camera an anonymous socket may not see: as if it may read nothing."""
    return refusal("Permission denied" if name in KEYS else "Unknown key", name)
