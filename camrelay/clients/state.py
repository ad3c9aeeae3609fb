"""A client of a camera's state at /api/v1 (CONTRACT §5): log in, get, set, follow changes.

    async with StateClient("wss://relay:8080", device="cam1", username="ann", password="pw",
                           verify=False) as cam:
        print(cam.state["brightness"])
        await cam.set(brightness=90, red_gain=60)     # _ stands for - in key names
        async for change in cam.changes():            # what others change, as {key: value}
            print(change)

One request is in flight at a time: the protocol's answers carry no request id, so a request's
answer is told apart by its shape (a write's confirmation carries "info", each refused key its own
error); values that arrive while a `get` waits count as its answer, being at least as fresh.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections import deque
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PATH = "/api/v1"
CHANGES_QUEUED = 1000  # change messages kept for changes(); beyond it the oldest are merged
MAX_MESSAGE = 1 << 20


class StateError(Exception):
    """The server refused a key or a message: `error`, the `key` (None for the whole message)
    and the rule in `message`. From a batch write, `others` are the other keys it refused and
    `accepted` the values it did apply."""

    def __init__(self, error: str, key: str | None = None, message: str = "") -> None:
        text = f"{key}: {error}" if key else error
        super().__init__(f"{text} ({message})" if message else text)
        self.error = error
        self.key = key
        self.message = message
        self.others: list[StateError] = []
        self.accepted: dict[str, Any] = {}


class LoginFailed(StateError):
    """The credentials were refused; the socket stays open, anonymous."""


class StateClosed(StateError):
    """The server closed the socket (`code`, and the reason in `message`)."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__("Connection closed", None, f"{code} {reason}".strip())
        self.code = code


def state_url(url: str, device: str | None, account: str | None) -> str:
    """ws(s)://host/api/v1?device=… from a ws(s):// or http(s):// address, path optional."""
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    if scheme not in ("ws", "wss"):
        raise ValueError(f"{url}: expected a ws://, wss://, http:// or https:// address")
    query = {k: v for k, v in (("account", account), ("device", device)) if v}
    path = parts.path.rstrip("/") or PATH
    return urlunsplit((scheme, parts.netloc, path, urlencode(query), ""))


def _key(name: str) -> str:
    return name.replace("_", "-")


class _Request:
    """One request waiting for its answer: the keys still unanswered, what came, what failed."""

    def __init__(self, keys: list[str], write: bool) -> None:
        self.keys = list(dict.fromkeys(keys))
        self.write = write
        self.values: dict[str, Any] = {}
        self.refused: list[StateError] = []
        self.done = asyncio.get_running_loop().create_future()

    def answered(self) -> set[str]:
        return set(self.values) | {e.key for e in self.refused if e.key}

    def check(self) -> None:
        if not self.done.done() and set(self.keys) <= self.answered():
            self.done.set_result(None)

    def fail(self, error: StateError) -> None:
        if not self.done.done():
            self.done.set_exception(error)


class StateClient:
    """One camera's state over one WebSocket; `async with` connects, logs in and takes the
    snapshot; `state` always holds the newest values known."""

    def __init__(
        self,
        url: str,
        *,
        device: str | None = None,
        account: str | None = None,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        verify: bool | str = True,
        timeout: float = 10.0,
    ) -> None:
        self.url = state_url(url, device, account)
        self.credentials: dict[str, str] | None = (
            {"token": token}
            if token
            else {"username": username, "password": password or ""}
            if username
            else None
        )
        self.verify = verify
        self.timeout = timeout
        self.state: dict[str, Any] = {}
        self.identity: dict[str, Any] = {}  # the login answer: user, role, permissions
        self.unsolicited: deque[StateError] = deque(maxlen=100)  # errors no request awaited
        self._ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._request: _Request | None = None
        self._login: asyncio.Future[dict[str, Any]] | None = None
        self._snapshot: asyncio.Future[None] | None = None
        self._changes: deque[dict[str, Any]] = deque()
        self._changed = asyncio.Event()
        self._closed: StateClosed | None = None
        self._synced = False

    async def __aenter__(self) -> StateClient:
        await self.connect()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the socket, log in when credentials were given, and wait for the snapshot."""
        self._ws = await asyncio.wait_for(
            connect(self.url, ssl=self._ssl(), max_size=MAX_MESSAGE), self.timeout
        )
        self._reader = asyncio.create_task(self._read(self._ws))
        try:
            if self.credentials:
                await self.login(**self.credentials)
            else:  # anonymous: the public keys come when the server sends them, if any
                self._snapshot = asyncio.get_running_loop().create_future()
        except BaseException:
            await self.close()
            raise

    async def login(self, **credentials: str) -> dict[str, Any]:
        """Log in with username= and password=, or token=; return the login answer and take
        the snapshot that follows. LoginFailed when refused."""
        async with self._lock:
            self._login = asyncio.get_running_loop().create_future()
            await self._send(credentials)
            self.identity = await self._wait(self._login)
            assert self._snapshot is not None  # made when the login answer came
            await self._wait(self._snapshot)
        return self.identity

    async def get(self, *keys: str) -> dict[str, Any]:
        """The current values of `keys` (all the readable ones when none are named, as the
        snapshot); StateError naming the first key refused (the others in `others`)."""
        if not keys:
            return dict(self.state)
        names = [_key(k) for k in keys]
        request = await self._ask({"get": names}, names, write=False)
        return {k: request.values[k] for k in names if k in request.values}

    async def set(self, values: Mapping[str, Any] | None = None, /, **keys: Any) -> dict[str, Any]:
        """Write keys (a mapping, and/or keyword arguments with _ for -); return the
        confirmation (accepted values, and "rid" for snap). StateError when a key is refused,
        after the accepted ones were applied (`accepted` holds them)."""
        write = {**(values or {}), **{_key(k): v for k, v in keys.items()}}
        if not write:
            return {}
        request = await self._ask(write, list(write), write=True)
        return request.values

    async def changes(self) -> AsyncIterator[dict[str, Any]]:
        """What others change, as {key: value} messages, until the socket closes. A consumer
        that falls behind gets its oldest changes merged, never an unbounded backlog."""
        while True:
            while not self._changes:
                if self._closed is not None:
                    return
                self._changed.clear()
                await self._changed.wait()
            yield self._changes.popleft()

    async def close(self) -> None:
        """Close the socket."""
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    def _ssl(self) -> ssl.SSLContext | None:
        if not self.url.startswith("wss:"):
            return None
        if isinstance(self.verify, str):
            return ssl.create_default_context(cafile=self.verify)
        context = ssl.create_default_context()
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    async def _ask(self, message: dict[str, Any], keys: list[str], write: bool) -> _Request:
        async with self._lock:
            request = self._request = _Request(keys, write)
            try:
                await self._send(message)
                await self._wait(request.done)
            finally:
                self._request = None
        if request.refused:
            first = request.refused[0]
            first.others, first.accepted = request.refused[1:], request.values
            raise first
        return request

    async def _send(self, message: dict[str, Any]) -> None:
        if self._closed is not None:
            raise self._closed
        assert self._ws is not None, "connect() first"
        try:
            await self._ws.send(json.dumps(message))
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            raise self._closed or StateClosed(
                code, closed.rcvd.reason if closed.rcvd else ""
            ) from None

    async def _wait(self, future: asyncio.Future[Any]) -> Any:
        return await asyncio.wait_for(asyncio.shield(future), self.timeout)

    async def _read(self, ws: ClientConnection) -> None:
        """Route every message the server sends until it closes."""
        try:
            async for text in ws:
                try:
                    message = json.loads(text)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    self._route(message)
        except ConnectionClosed:
            pass
        self._closed = StateClosed(ws.close_code, ws.close_reason or "")
        for waiting in (self._login, self._snapshot):
            if waiting is not None and not waiting.done():
                waiting.set_exception(self._closed)
        if self._request is not None:
            self._request.fail(self._closed)
        self._changed.set()

    def _route(self, message: dict[str, Any]) -> None:
        if "authenticated" in message:
            self._logged_in(message)
        elif "error" in message:
            self._refused(message)
        elif "info" in message and self._request is not None and self._request.write:
            values = {k: v for k, v in message.items() if k != "info"}
            self.state.update({k: v for k, v in values.items() if k != "rid"})
            request = self._request
            request.values.update(values)
            for key in message.get("info") or []:
                request.values.setdefault(key, True)
            request.check()
        else:
            self._values({k: v for k, v in message.items() if k != "info"})

    def _logged_in(self, message: dict[str, Any]) -> None:
        login = self._login
        if login is None or login.done():
            # The server re-judged the login (logged out, role or scope changed): its values
            # follow as changes.
            self.identity = message if message.get("authenticated") is True else {}
            return
        if message.get("authenticated") is True:
            # The next values are the snapshot of what this login may read.
            self._snapshot = asyncio.get_running_loop().create_future()
            login.set_result(message)
        else:
            login.set_exception(LoginFailed(str(message.get("error") or "Login failed")))

    def _refused(self, message: dict[str, Any]) -> None:
        key = message.get("key")
        error = StateError(str(message["error"]), key, str(message.get("message") or ""))
        request = self._request
        if request is not None and (key is None or key in request.keys):
            request.refused.append(error)
            if key is None:  # the whole message was refused (rate limit, invalid message, …)
                request.fail(error)
            request.check()
        else:
            self.unsolicited.append(error)

    def _values(self, values: dict[str, Any]) -> None:
        """A snapshot, a get's answer or a broadcast: all are the newest values."""
        if self._snapshot is not None and not self._snapshot.done():
            self.state = dict(values)
            self._snapshot.set_result(None)
            self._synced = True
            return
        if self._request is not None and not self._request.write:
            self._request.values.update(values)
            self._request.check()
        changed = {k: v for k, v in values.items() if k not in self.state or self.state[k] != v}
        self.state.update(values)
        if changed and self._synced:  # before the snapshot, nothing is a change yet
            self._queue_change(changed)

    def _queue_change(self, changed: dict[str, Any]) -> None:
        self._changes.append(changed)
        if len(self._changes) > CHANGES_QUEUED:
            oldest = self._changes.popleft()
            self._changes[0] = {**oldest, **self._changes[0]}
        self._changed.set()
