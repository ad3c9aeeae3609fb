"""An async client for the whole core API of a camrelay server, over HTTP/2.

    async with RelayClient("https://relay:8080", "alice", "secret", "phone") as relay:
        rid = await relay.add_record(jpeg, meta="JPEG")
        for message in await relay.messages_and_sync():
            ...
        async for frame in relay.pull("camera"):
            ...

Errors are the server's codes as exceptions (camrelay.protocol.errors: NoSuchRecord, …).
A request answered with code 6 (session expired or capped) authorizes again and is retried once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import Any, TypeVar

import httpx

from camrelay.protocol.errors import NoSuchSession, RelayError, error_for
from camrelay.protocol.framing import DEFAULT_MAX_PAYLOAD, FrameDecoder, encode_frame
from camrelay.protocol.wire_types import (
    ConfigKind,
    DeviceInfo,
    Message,
    OutgoingMessage,
    RecordEntry,
    RecordMeta,
    StreamInfo,
)

T = TypeVar("T")


def raise_for_answer(answer: Any) -> dict[str, Any]:
    """The answer if it is OK; the server's error otherwise."""
    if not isinstance(answer, dict):
        raise RelayError("the server answered something other than a JSON object")
    if answer.get("result") != "OK":
        raise error_for(int(answer.get("code", 1)))
    return answer


class RelayClient:
    """One device's session on a relay server."""

    def __init__(
        self,
        server: str,
        user: str,
        password: str,
        device: str,
        meta: str = "",
        *,
        verify: bool | str = True,
        timeout: float = 30.0,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.server = server.rstrip("/")
        self.user, self.device, self.meta = user, device, meta
        self._password = password
        self._http = http or httpx.AsyncClient(http2=True, verify=verify, timeout=timeout)
        self._owns_http = http is None
        self.shash = ""
        self._authorizing = asyncio.Lock()  # one login at a time, however many tasks need one

    async def __aenter__(self) -> RelayClient:
        await self.authorize()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP connection (if this client opened it)."""
        if self._owns_http:
            await self._http.aclose()

    async def authorize(self) -> str:
        """Open a new session; returns its shash."""
        answer = await self._post(
            "authorize",
            {"name": self.user, "pass": self._password, "device": self.device, "meta": self.meta},
        )
        self.shash = answer["shash"]
        return self.shash

    async def ensure_session(self, stale: str = "") -> str:
        """A session: the current one unless there is none or it is `stale` (answered code 6).
        Tasks that need one together share one login (an upload and a message poll starting
        at once would otherwise open two sessions, and look like a login burst)."""
        async with self._authorizing:
            if not self.shash or self.shash == stale:
                await self.authorize()
            return self.shash

    async def _with_session(self, request: Callable[[], Awaitable[T]]) -> T:
        """Run `request` (which reads self.shash) with a session; on code 6 authorize again
        (unless another task already did) and run it once more."""
        used = self.shash or await self.ensure_session()
        try:
            return await request()
        except NoSuchSession:
            await self.ensure_session(stale=used)
            return await request()

    async def call(self, name: str, **params: Any) -> dict[str, Any]:
        """Any .json request with the session; authorizes again once on code 6."""
        return await self._with_session(lambda: self._post(name, {"shash": self.shash, **params}))

    async def _post(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self._http.post(f"{self.server}/{name}.json", json=body)
        if response.status_code != 200:
            raise RelayError(f"{name}.json: HTTP {response.status_code}")
        return raise_for_answer(response.json())

    async def heartbeat(self) -> None:
        """Keep the session alive (heartBit.json)."""
        await self.call("heartBit")

    async def server_time(self) -> str:
        """The server's UTC time, 'YYYY-MM-DD HH:MM:SS'."""
        return str((await self._post("getServerTime", {}))["stamp"])

    async def config(self) -> list[ConfigKind]:
        """The account's configuration kinds."""
        return [ConfigKind(**entry) for entry in (await self.call("getConfig"))["config"]]

    async def set_config(self, values: dict[int, float]) -> None:
        """Set kinds at once (all or nothing)."""
        await self.call("setConfig", config=[{"kind": k, "fv": v} for k, v in values.items()])

    async def add_record(self, data: bytes, meta: str = "JPEG") -> int:
        """Store a blob as a record; returns its id."""

        async def add() -> int:
            response = await self._http.post(
                f"{self.server}/addRecord.json",
                content=data,
                params={"shash": self.shash, "meta": meta},
            )
            return int(raise_for_answer(response.json())["rid"])

        return await self._with_session(add)

    async def records(self, since: str | None = None) -> list[RecordEntry]:
        """One page of records later than `since`, oldest first."""
        params = {"stamp": since} if since else {}
        return [RecordEntry(**r) for r in (await self.call("getRecordCount", **params))["records"]]

    async def all_records(self, since: str | None = None) -> AsyncIterator[RecordEntry]:
        """Every record later than `since`, page by page."""
        while page := await self.records(since):
            for entry in page:
                yield entry
            since = page[-1].stamp

    async def record_meta(self, rid: int) -> RecordMeta:
        """A record's device, meta and stamp."""
        answer = await self.call("getRecordMeta", rid=rid)
        return RecordMeta(answer["device"], answer["meta"], answer["stamp"])

    async def record_data(self, rid: int) -> bytes:
        """A record's blob."""

        async def fetch() -> bytes:
            body = {"shash": self.shash, "rid": rid}
            response = await self._http.post(f"{self.server}/getRecordData.json", json=body)
            if response.headers.get("content-type") == "application/json":
                answer = response.json()
                if isinstance(answer, dict) and answer.get("result") == "BAD":
                    raise_for_answer(answer)
            return response.content

        return await self._with_session(fetch)

    async def delete_records(self, rids: Iterable[int]) -> None:
        """Delete records (a negative id also deletes everything older than the oldest listed)."""
        await self.call("deleteRecords", records=list(rids))

    async def send(self, msg: str, target: str = "", params: Any = None) -> None:
        """Send one message; an empty target broadcasts to the account."""
        await self.call("addMsgs", msg=msg, target=target, params=params or {})

    async def send_many(self, messages: Iterable[OutgoingMessage]) -> None:
        """Send a batch, stored all or nothing."""
        await self.call("addMsgs", msgs=[m.as_json() for m in messages])

    async def messages(self, stamp: str | None = None) -> list[Message]:
        """Messages after `stamp`, or since the last sync."""
        params = {"stamp": stamp} if stamp else {}
        return [Message(**m) for m in (await self.call("getMsgs", **params))["msgs"]]

    async def messages_and_sync(self) -> list[Message]:
        """New messages, acknowledged at once (what a polling app does)."""
        return [Message(**m) for m in (await self.call("getMsgsAndSync"))["msgs"]]

    async def sync(self) -> None:
        """Acknowledge every message received so far."""
        await self.call("addMsgs", msg="sync")

    async def devices_online(self) -> list[DeviceInfo]:
        """The account's devices with a live session."""
        return [DeviceInfo(**d) for d in (await self.call("getDevicesOnline"))["devices"]]

    async def streams(self) -> list[StreamInfo]:
        """The account's streaming devices."""
        return [StreamInfo(**d) for d in (await self.call("getStreams"))["devices"]]

    async def push(
        self, payloads: AsyncIterable[bytes], subproto: str = "RAW_JPEG", delta: int = 0
    ) -> None:
        """Upload frames through input.raw until `payloads` ends; raises the server's error
        when it ends the upload (ErroredStream, NoSuchSession, …)."""

        async def body() -> AsyncIterator[bytes]:
            async for payload in payloads:
                yield encode_frame(payload)

        params = {"shash": await self.ensure_session(), "subproto": subproto, "delta": str(delta)}
        response = await self._http.put(
            f"{self.server}/input.raw", params=params, content=body(), timeout=None
        )
        raise_for_answer(_json_or_none(response.content))

    async def pull(
        self, device: str, max_payload: int = DEFAULT_MAX_PAYLOAD
    ) -> AsyncIterator[bytes]:
        """The payloads of a device's live stream as they arrive, until the stream ends."""
        if not self.shash:
            await self.authorize()
        params = {"shash": self.shash, "device": device}
        async with self._http.stream(
            "GET",
            f"{self.server}/output.raw",
            params=params,
            timeout=httpx.Timeout(30.0, read=None),
        ) as response:
            if response.headers.get("content-type") == "application/json":
                raise_for_answer(json.loads(await response.aread()))
            decoder = FrameDecoder(max_payload)
            async for chunk in response.aiter_raw():
                for frame in decoder.feed(chunk):
                    yield bytes(frame.payload)


def _json_or_none(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        return None
